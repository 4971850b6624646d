/**
 * Sign-in discovery through DNS (fixtures/sign-in.pcap, built by
 * fixtures/build.ts): one SIP domain per outcome, each lookup's counts and
 * frames equal to what tshark's DNS dissector reads from the same packets,
 * and each domain's display filter matching exactly its lookups' packets.
 * Then the rules alone, on lookups made up in place: suffix retries, the
 * client's order of SRV records, an SRV target found by one of its lookups.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dnsMessage, udp, writePcap } from "../fixtures/lib/packets.js";
import { analyzeCapture } from "../src/analyze.js";
import { signInFindings } from "../src/classify/sign-in.js";
import { DnsMessage, readDns, SignIn } from "../src/decode/dns.js";
import { Packet } from "../src/decode/packet.js";
import { type DnsLookup, DnsLookups, MAX_LOOKUPS } from "../src/flow/dns-lookups.js";
import { redactSignIn, signInFilter } from "../src/report/sign-in.js";
import { ask } from "./helpers/oracle.js";
import { tsharkCount } from "./helpers/tshark.js";

const ROOT = join(import.meta.dirname, "..");
const FIXTURE = join(ROOT, "fixtures/sign-in.pcap");
const report = await analyzeCapture(FIXTURE, { version: "t" });
const signIn = report.signIn ?? [];

describe("fixtures/sign-in.pcap", () => {
  it("judges each SIP domain as a client asking in OCS 2007 R2's order would fare", () => {
    expect(signIn.map((d) => [d.domain, d.purpose, d.outcome, d.server])).toEqual([
      ["contoso.test", "sign-in", "srv", "pool.contoso.test:5061"],
      ["fabrikam.test", "sign-in", "not_found", null],
      // The lowest priority wins (RFC 2782): ocs, whose address does not exist.
      ["litware.test", "sign-in", "target_not_found", "ocs.litware.test:5061"],
      ["adatum.test", "sign-in", "host", "sipinternal.adatum.test"],
      ["partner.test", "federation", "dns_error", null],
      ["tailspin.test", "sign-in", "unanswered", null],
    ]);
    expect(report.summary.signInFailures).toBe(4);
    // The suffix retry is fabrikam.test's, not a domain of its own; www.contoso.test is no sign-in name.
    const names = signIn.flatMap((d) => d.lookups.map((l) => l.name));
    expect(names).toContain("_sipinternaltls._tcp.fabrikam.test.corp.contoso.test");
    expect(names).not.toContain("www.contoso.test");
  });

  it("counts each lookup's queries, responses and codes, and names its frames, as tshark reads them", async () => {
    const r = await ask("tshark", [
      "-n",
      "-r",
      FIXTURE,
      "-Y",
      "dns",
      "-T",
      "fields",
      "-e",
      "frame.number",
      "-e",
      "dns.flags.response",
      "-e",
      "dns.qry.name",
      "-e",
      "dns.qry.type",
      "-e",
      "dns.flags.rcode",
      "-e",
      "dns.count.answers",
    ]);
    const theirs = new Map<
      string,
      { q: number; r: number; codes: string; first: number[]; answered: number }
    >();
    for (const line of r.stdout.split("\n").filter((l) => l !== "")) {
      const [frame, response, name, type, rcode, answers] = line.split("\t");
      const key = `${{ 1: "A", 28: "AAAA", 33: "SRV" }[Number(type)]} ${name!.toLowerCase()}`;
      const t = theirs.get(key) ?? { q: 0, r: 0, codes: "", first: [0, 0], answered: 0 };
      if (response === "1" || response === "True") {
        t.r++;
        t.codes += rcode;
        if (t.first[1] === 0) t.first[1] = Number(frame);
        if (rcode === "0" && Number(answers) > 0) t.answered++;
      } else {
        t.q++;
        if (t.first[0] === 0) t.first[0] = Number(frame);
      }
      theirs.set(key, t);
    }
    for (const d of signIn) {
      for (const l of d.lookups) {
        const t = theirs.get(`${l.type} ${l.name}`);
        expect(t, l.name).toBeDefined();
        const codes =
          "0".repeat(l.answered + l.noData) +
          "3".repeat(l.nxdomain) +
          "2".repeat(l.servfail) +
          "5".repeat(l.refused);
        expect([l.queries, l.responses, l.answered], l.name).toEqual([t!.q, t!.r, t!.answered]);
        expect([...codes].sort().join(""), l.name).toBe([...t!.codes].sort().join(""));
        expect([l.queryFrame ?? 0, l.responseFrame ?? 0], l.name).toEqual(t!.first);
      }
    }
  });

  it("gives each domain a display filter that keeps exactly its lookups' packets", async () => {
    for (const d of signIn) {
      const packets = d.lookups.reduce((n, l) => n + l.queries + l.responses, 0);
      expect(await tsharkCount(FIXTURE, signInFilter(d)), d.domain).toBe(packets);
    }
  });

  it("redacts domains and addresses, keeping the fixed labels of sign-in names", () => {
    const r = { address: (ip: string) => `A(${ip})`, hostname: (n: string) => `H(${n})` };
    const [contoso] = redactSignIn(signIn, r);
    expect(contoso!.domain).toBe("H(contoso.test)");
    expect(contoso!.server).toBe("H(pool.contoso.test):5061");
    expect(contoso!.lookups.map((l) => [l.name, l.client, l.answers])).toEqual([
      ["_sipinternaltls._tcp.H(contoso.test)", "A(10.1.0.20)", ["0 0 5061 H(pool.contoso.test)"]],
      ["H(pool.contoso.test)", "A(10.1.0.20)", ["A(10.0.0.10)"]],
    ]);
  });
});

/** A lookup made up for the rules alone. */
function lookup(kind: SignIn, name: string, domain: string, facts: Partial<DnsLookup>): DnsLookup {
  return {
    name,
    type: kind >= SignIn.HostInternal || kind === SignIn.None ? "A" : "SRV",
    kind,
    domain,
    queries: 1,
    responses: 1,
    answered: 0,
    noData: 0,
    nxdomain: 0,
    servfail: 0,
    refused: 0,
    otherError: 0,
    queryFrame: 1,
    responseFrame: 2,
    answerFrame: 0,
    firstSeen: 0,
    client: "10.1.0.20",
    server: "10.0.0.2",
    answers: [],
    ...facts,
  };
}

describe("signInFindings", () => {
  it("takes the client's first SRV record in its order, whichever was answered first", () => {
    const d = signInFindings([
      lookup(SignIn.ExternalTls, "_sip._tls.c.test", "c.test", {
        answered: 1,
        answers: ["0 0 443 edge.c.test"],
      }),
      lookup(SignIn.InternalTls, "_sipinternaltls._tcp.c.test", "c.test", {
        answered: 1,
        answers: ["0 0 5061 pool.c.test"],
      }),
    ]);
    expect(d.map((x) => [x.outcome, x.server])).toEqual([["srv", "pool.c.test:5061"]]);
  });

  it("an SRV target is found when any of its lookups answered (an AAAA without one beside an A with one)", () => {
    const srv = lookup(SignIn.InternalTls, "_sipinternaltls._tcp.c.test", "c.test", {
      answered: 1,
      answers: ["0 0 5061 pool.c.test"],
    });
    const a = lookup(SignIn.None, "pool.c.test", "c.test", { answered: 1, answers: ["10.0.0.1"] });
    const aaaa = lookup(SignIn.None, "pool.c.test", "c.test", { type: "AAAA", noData: 1 });
    expect(signInFindings([srv, a, aaaa])[0]!.outcome).toBe("srv");
    expect(signInFindings([srv, aaaa])[0]!.outcome).toBe("target_not_found");
    // The target asked and never answered is not known to be missing.
    expect(signInFindings([srv, { ...aaaa, responses: 0, noData: 0 }])[0]!.outcome).toBe("srv");
  });

  it("folds a DNS suffix retry into the domain it extends, and keeps unrelated domains apart", () => {
    const d = signInFindings([
      lookup(SignIn.InternalTls, "_sipinternaltls._tcp.c.test", "c.test", {
        answered: 1,
        answers: ["0 0 5061 p.c.test"],
      }),
      lookup(SignIn.InternalTls, "_sipinternaltls._tcp.c.test.corp.test", "c.test.corp.test", {
        nxdomain: 1,
      }),
      lookup(SignIn.InternalTls, "_sipinternaltls._tcp.b.test", "b.test", { nxdomain: 1 }),
      lookup(SignIn.Federation, "_sipfederationtls._tcp.c.test", "c.test", { nxdomain: 1 }),
    ]);
    expect(d.map((x) => [x.domain, x.purpose, x.outcome, x.lookups.length])).toEqual([
      ["c.test", "sign-in", "srv", 2],
      ["b.test", "sign-in", "not_found", 1],
      ["c.test", "federation", "not_found", 1],
    ]);
  });

  it("judges no domain from names any SIP client asks (RFC 3263's _sip._tcp, a phone's sip.<domain>)", () => {
    const generic = [
      lookup(SignIn.HostSip, "sip.c.test", "c.test", { answered: 1, answers: ["10.0.0.1"] }),
      lookup(SignIn.ExternalTcp, "_sip._tcp.c.test", "c.test", { nxdomain: 1 }),
    ];
    expect(signInFindings(generic)).toEqual([]);
    // With one of OCS's own names asked for the domain, they count as its client's lookups.
    const ocs = lookup(SignIn.InternalTls, "_sipinternaltls._tcp.c.test", "c.test", { nxdomain: 1 });
    expect(signInFindings([ocs, ...generic]).map((d) => [d.outcome, d.server, d.lookups.length])).toEqual([
      ["host", "sip.c.test", 3],
    ]);
  });

  it("NXDOMAIN beside SERVFAIL is not_found; SERVFAIL alone dns_error; no response unanswered", () => {
    const k = SignIn.InternalTls;
    const n = "_sipinternaltls._tcp.c.test";
    const one = (facts: Partial<DnsLookup>) => signInFindings([lookup(k, n, "c.test", facts)])[0]!.outcome;
    expect(one({ servfail: 1 })).toBe("dns_error");
    expect(one({ refused: 1 })).toBe("dns_error");
    expect(one({ responses: 0, responseFrame: 0 })).toBe("unanswered");
    expect(
      signInFindings([
        lookup(k, n, "c.test", { servfail: 1 }),
        lookup(SignIn.HostSip, "sip.c.test", "c.test", { nxdomain: 1 }),
      ])[0]!.outcome,
    ).toBe("not_found");
  });
});

describe("DnsLookups' bound", () => {
  it("keeps 256 names and counts the messages of others", () => {
    const table = new DnsLookups();
    const pkt = new Packet();
    pkt.family = 4;
    const m = new DnsMessage();
    for (let i = 0; i < MAX_LOOKUPS + 10; i++) {
      const bytes = dnsMessage(i, `_sipinternaltls._tcp.d${i}.test`, 33);
      expect(readDns(bytes, 0, bytes.length, false, m)).toBe(true);
      table.note(m, bytes, pkt, i + 1, i);
      table.note(m, bytes, pkt, i + 1, i); // a retry of a name kept counts on it; of one not kept, as left out
    }
    expect(table.list()).toHaveLength(MAX_LOOKUPS);
    expect(table.list()[0]!.queries).toBe(2);
    expect(table.untracked).toBe(20);
  });
});

describe("a capture asking more names than are kept", () => {
  it("warns max_sign_in_lookups, and judges the names kept", async () => {
    const records = Array.from({ length: 300 }, (_, i) =>
      udp(
        "10.1.0.20",
        50000 + i,
        "10.0.0.2",
        53,
        1_700_000_000_000_000 + i * 1000,
        dnsMessage(i, `sipinternal.d${i}.test`, 1),
      ),
    );
    const path = join(mkdtempSync(join(tmpdir(), "ocs-sign-in-")), "many.pcap");
    writeFileSync(path, writePcap(records));
    const r = await analyzeCapture(path, { version: "t" });
    expect(r.capture.warnings.map((w) => w.code)).toContain("max_sign_in_lookups");
    expect(r.capture.warnings.find((w) => w.code === "max_sign_in_lookups")!.message).toContain(
      "44 lookup messages",
    );
    expect(r.signIn).toHaveLength(256);
    expect(r.summary.signInFailures).toBe(256);
  });
});
