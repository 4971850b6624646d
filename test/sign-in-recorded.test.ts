/**
 * Sign-in discovery through DNS on recorded traffic: fixtures/recorded/sign-in-real.pcap
 * (`bash fixtures/record.sh dns`), unbound on a namespace's loopback asked by glibc's stub
 * resolver (res_search for the SRV records, getaddrinfo for addresses, a search list, so a
 * name that fails is asked again with the suffix) in an OCS 2007 R2 client's order, and by dig
 * (over TCP; an Edge's federation lookup; a client whose queries the server drops). Each SIP
 * domain's outcome; every lookup's counts, codes and first frames equal to tshark's DNS
 * dissection (recorded, see helpers/oracle.ts); no lookup of a sign-in name or an SRV target
 * that tshark sees is missing; each domain's display filter keeps exactly its lookups' packets.
 * Nothing depends on the recording's times, ports or query IDs, so a re-recording passes.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeCapture } from "../src/analyze.js";
import { signInFilter } from "../src/report/sign-in.js";
import { tsharkCount } from "./helpers/tshark.js";
import { tsharkDnsLookups } from "./helpers/tshark-dns.js";

const ROOT = join(import.meta.dirname, "..");
const RECORDED = join(ROOT, "fixtures/recorded/sign-in-real.pcap");
const report = await analyzeCapture(RECORDED, { version: "t" });
const signIn = report.signIn ?? [];

const theirs = await tsharkDnsLookups(RECORDED);

describe("fixtures/recorded/sign-in-real.pcap (unbound, glibc's resolver and dig)", () => {
  it("judges each SIP domain as a client asking in OCS 2007 R2's order fared", () => {
    expect(signIn.map((d) => [d.domain, d.purpose, d.outcome, d.server])).toEqual([
      ["contoso.test", "sign-in", "srv", "pool.contoso.test:5061"],
      ["fabrikam.test", "sign-in", "not_found", null],
      ["litware.test", "sign-in", "target_not_found", "ocs.litware.test:5061"],
      // sipinternal.adatum.test is an alias: unbound answers the CNAME and pool.adatum.test's A.
      ["adatum.test", "sign-in", "host", "sipinternal.adatum.test"],
      // The server failed (an unreachable forwarder; a refusing zone): glibc's suffix retries got
      // NXDOMAIN from contoso.test's zone, which says nothing of these domains.
      ["northwind.test", "sign-in", "dns_error", null],
      ["woodgrove.test", "sign-in", "dns_error", null],
      ["partner.test", "federation", "dns_error", null],
      ["tailspin.test", "sign-in", "unanswered", null],
    ]);
    expect(report.summary.signInFailures).toBe(6);
    expect(report.capture.warnings).toEqual([]);
  });

  it("folds glibc's suffix retries into the domain they extend, and leaves other names out", () => {
    const names = signIn.flatMap((d) => d.lookups.map((l) => `${l.type} ${l.name}`));
    const fabrikam = signIn.find((d) => d.domain === "fabrikam.test")!;
    // Four SRV names and three hosts (A and AAAA), each asked again with corp.contoso.test.
    expect(fabrikam.lookups).toHaveLength(20);
    expect(fabrikam.lookups.every((l) => l.nxdomain === l.responses && l.responses > 0)).toBe(true);
    expect(names).toContain("SRV _sipinternaltls._tcp.fabrikam.test.corp.contoso.test");
    const northwind = signIn.find((d) => d.domain === "northwind.test")!;
    const retries = northwind.lookups.filter((l) => l.name.endsWith(".corp.contoso.test"));
    expect(retries).toHaveLength(10);
    expect(retries.every((l) => l.nxdomain === 1 && l.servfail === 0)).toBe(true);
    expect(northwind.lookups.filter((l) => !retries.includes(l)).every((l) => l.servfail === 1)).toBe(true);
    expect(names.filter((n) => n.includes("www.contoso.test"))).toEqual([]);
    expect(names.filter((n) => n.includes("tailspin"))).toEqual(["SRV _sipinternaltls._tcp.tailspin.test"]);
    const adatum = signIn.find((d) => d.domain === "adatum.test")!;
    const a = adatum.lookups.find((l) => l.type === "A" && l.name === "sipinternal.adatum.test")!;
    expect([a.answered, a.answers]).toEqual([1, ["10.0.0.11"]]);
    expect(
      adatum.lookups.find((l) => l.type === "AAAA" && l.name === "sipinternal.adatum.test")!.noData,
    ).toBe(1);
  });

  it("counts each lookup's queries, responses and codes, and names its frames, as tshark reads them", () => {
    for (const d of signIn) {
      for (const l of d.lookups) {
        const t = theirs.lookups.get(`${l.type} ${l.name} ${l.client}`);
        expect(t, l.name).toBeDefined();
        const codes =
          "0".repeat(l.answered + l.noData) +
          "3".repeat(l.nxdomain) +
          "2".repeat(l.servfail) +
          "5".repeat(l.refused);
        expect([l.queries, l.responses, l.answered, l.otherError], l.name).toEqual([
          t!.queries,
          t!.responses,
          t!.answered,
          0,
        ]);
        expect([...codes].sort().join(""), l.name).toBe([...t!.codes].sort().join(""));
        expect([l.queryFrame ?? 0, l.responseFrame ?? 0, l.answerFrame ?? 0], l.name).toEqual(t!.first);
      }
    }
  });

  it("reads the lookups made over TCP (dig +tcp) with those over UDP", () => {
    const overTcp = [...theirs.lookups].filter(([, t]) => t.tcp > 0).map(([key, t]) => [key, t.tcp]);
    expect(overTcp).toEqual([
      ["SRV _sipinternaltls._tcp.contoso.test 127.0.0.1", 2],
      ["SRV _sipinternaltls._tcp.fabrikam.test 127.0.0.1", 2],
    ]);
    const lookup = (name: string) => signIn.flatMap((d) => d.lookups).find((l) => l.name === name)!;
    // One query from glibc over UDP, one from dig over TCP; each answered.
    expect([
      lookup("_sipinternaltls._tcp.contoso.test").queries,
      lookup("_sipinternaltls._tcp.contoso.test").answered,
    ]).toEqual([2, 2]);
    expect(lookup("_sipinternaltls._tcp.fabrikam.test").nxdomain).toBe(2);
  });

  it("misses no lookup of a sign-in name or of an SRV target that tshark sees", () => {
    const signInName =
      /^(_sipinternaltls\._tcp|_sipinternal\._tcp|_sip\._tls|_sip\._tcp|_sipfederationtls\._tcp|sipinternal|sip|sipexternal)\.[^.]/;
    const expected = [...theirs.lookups.keys()]
      .filter((key) => {
        const [type, name] = key.split(" ") as [string, string];
        return type === "SRV" ? signInName.test(name) : signInName.test(name) || theirs.targets.has(name);
      })
      .sort();
    const ours = [
      ...new Set(signIn.flatMap((d) => d.lookups.map((l) => `${l.type} ${l.name} ${l.client}`))),
    ].sort();
    expect(ours).toEqual(expected);
    // What is left out: www.contoso.test, and the suffix retries of an SRV target's name.
    expect([...theirs.lookups.keys()].filter((k) => !ours.includes(k)).sort()).toEqual([
      "A ocs.litware.test.corp.contoso.test 127.0.0.1",
      "A www.contoso.test 127.0.0.1",
      "A www.contoso.test.corp.contoso.test 127.0.0.1",
      "AAAA ocs.litware.test.corp.contoso.test 127.0.0.1",
      "AAAA www.contoso.test 127.0.0.1",
      "AAAA www.contoso.test.corp.contoso.test 127.0.0.1",
    ]);
  });

  it("gives each domain a display filter that keeps exactly its lookups' packets", async () => {
    for (const d of signIn) {
      const packets = d.lookups.reduce((n, l) => n + l.queries + l.responses, 0);
      expect(await tsharkCount(RECORDED, signInFilter(d)), d.domain).toBe(packets);
    }
  });
});
