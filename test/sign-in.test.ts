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
import { dnsMessage, type PcapRecord, udp, writePcap } from "../fixtures/lib/packets.js";
import { analyzeCapture } from "../src/analyze.js";
import { signInFindings } from "../src/classify/sign-in.js";
import { DnsMessage, readDns, SignIn } from "../src/decode/dns.js";
import { Packet } from "../src/decode/packet.js";
import { type DnsLookup, DnsLookups, MAX_LOOKUPS } from "../src/flow/dns-lookups.js";
import { redactSignIn, signInFilter } from "../src/report/sign-in.js";
import { tsharkCount } from "./helpers/tshark.js";
import { tsharkDnsLookups } from "./helpers/tshark-dns.js";

const ROOT = join(import.meta.dirname, "..");
const FIXTURE = join(ROOT, "fixtures/sign-in.pcap");
const report = await analyzeCapture(FIXTURE, { version: "t" });
const signIn = report.signIn ?? [];

describe("fixtures/sign-in.pcap", () => {
  it("judges each SIP domain, client by client, as a client asking in OCS 2007 R2's order would fare", () => {
    expect(signIn.map((d) => [d.domain, d.client, d.purpose, d.outcome, d.server])).toEqual([
      ["contoso.test", "10.1.0.20", "sign-in", "srv", "pool.contoso.test:5061"],
      // Over UDP and TCP (the answer's length in a segment of its own), with a suffix retry.
      ["fabrikam.test", "10.1.0.21", "sign-in", "not_found", null],
      // The lowest priority first (RFC 2782): ocs, then ocs2; neither has an address.
      ["litware.test", "10.1.0.20", "sign-in", "target_not_found", "ocs.litware.test:5061"],
      ["adatum.test", "10.1.0.20", "sign-in", "host", "sipinternal.adatum.test"],
      ["partner.test", "10.0.0.30", "federation", "dns_error", null],
      // Split DNS: the client asking the public server finds nothing where 10.1.0.20 found the pool.
      ["contoso.test", "10.1.0.23", "sign-in", "not_found", null],
      // A truncated UDP answer says nothing; the TCP answer, split mid-message, and the target's
      // answer, pipelined with another in one segment, are read whole.
      ["wingtip.test", "10.1.0.23", "sign-in", "srv", "pool.wingtip.test:5061"],
      ["tailspin.test", "10.1.0.22", "sign-in", "unanswered", null],
    ]);
    expect(report.summary.signInFailures).toBe(5);
    const wingtip = signIn.find((d) => d.domain === "wingtip.test")!;
    expect(wingtip.lookups.map((l) => [l.name, l.responses, l.truncated, l.answered])).toEqual([
      ["_sipinternaltls._tcp.wingtip.test", 2, 1, 1],
      ["pool.wingtip.test", 1, 0, 1],
    ]);
    // The suffix retry is fabrikam.test's, not a domain of its own; www.contoso.test is no sign-in name.
    const names = signIn.flatMap((d) => d.lookups.map((l) => l.name));
    expect(names).toContain("_sipinternaltls._tcp.fabrikam.test.corp.contoso.test");
    expect(names).not.toContain("www.contoso.test");
  });

  it("counts each lookup's queries, responses and codes, and names its frames, as tshark reads them", async () => {
    const theirs = await tsharkDnsLookups(FIXTURE);
    for (const d of signIn) {
      for (const l of d.lookups) {
        const t = theirs.lookups.get(`${l.type} ${l.name} ${l.client}`);
        expect(t, l.name).toBeDefined();
        // A truncated answer (TC) has code 0 in tshark and none here.
        const codes =
          "0".repeat(l.answered + l.noData + l.truncated) +
          "3".repeat(l.nxdomain) +
          "2".repeat(l.servfail) +
          "5".repeat(l.refused);
        expect([l.queries, l.responses, l.answered], l.name).toEqual([t!.queries, t!.responses, t!.answered]);
        expect([...codes].sort().join(""), l.name).toBe([...t!.codes].sort().join(""));
        expect([l.queryFrame ?? 0, l.responseFrame ?? 0, l.answerFrame ?? 0], l.name).toEqual(t!.first);
      }
    }
  });

  it("gives each finding a display filter that keeps exactly its lookups' packets", async () => {
    for (const d of signIn) {
      const packets = d.lookups.reduce((n, l) => n + l.queries + l.responses, 0);
      expect(await tsharkCount(FIXTURE, signInFilter(d)), `${d.domain} ${d.client}`).toBe(packets);
    }
  });

  it("redacts domains and addresses, keeping the fixed labels of sign-in names", () => {
    const r = { address: (ip: string) => `A(${ip})`, hostname: (n: string) => `H(${n})` };
    const [contoso] = redactSignIn(signIn, r);
    expect([contoso!.domain, contoso!.client]).toEqual(["H(contoso.test)", "A(10.1.0.20)"]);
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
    truncated: 0,
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

  it("an SRV target is missing only when its name does not exist or it has no IPv4 address", () => {
    const srv = lookup(SignIn.InternalTls, "_sipinternaltls._tcp.c.test", "c.test", {
      answered: 1,
      answers: ["0 0 5061 pool.c.test"],
    });
    const a = lookup(SignIn.None, "pool.c.test", "", { answered: 1, answers: ["10.0.0.1"] });
    const aaaa = lookup(SignIn.None, "pool.c.test", "", { type: "AAAA", noData: 1 });
    const outcome = (...l: DnsLookup[]) => signInFindings([srv, ...l])[0]!.outcome;
    expect(outcome(a, aaaa)).toBe("srv");
    // No AAAA record says only that the host has no IPv6 address (RFC 2308 NODATA).
    expect(outcome(aaaa)).toBe("srv");
    expect(outcome({ ...a, answered: 0, answers: [], noData: 1 })).toBe("target_not_found");
    expect(outcome({ ...aaaa, noData: 0, nxdomain: 1 })).toBe("target_not_found");
    // Asked and never answered: not known to be missing.
    expect(outcome({ ...a, answered: 0, answers: [], responses: 0 })).toBe("srv");
  });

  it("a target named sip.<domain> (the Access Edge's usual name) is judged as the SRV target it is", () => {
    const srv = lookup(SignIn.Federation, "_sipfederationtls._tcp.f.test", "f.test", {
      answered: 1,
      answers: ["0 0 5061 sip.f.test"],
    });
    const target = lookup(SignIn.HostSip, "sip.f.test", "f.test", { nxdomain: 1 });
    expect(
      signInFindings([srv, target]).map((d) => [d.purpose, d.outcome, d.server, d.lookups.length]),
    ).toEqual([["federation", "target_not_found", "sip.f.test:5061", 2]]);
  });

  it("tries the targets in priority order, then by weight, moving on from one without an address (RFC 2782)", () => {
    const srv = lookup(SignIn.InternalTls, "_sipinternaltls._tcp.c.test", "c.test", {
      answered: 1,
      answers: ["10 0 5061 pool2.c.test", "0 10 5061 pool1.c.test", "0 90 5061 pool0.c.test"],
    });
    const gone = (host: string) => lookup(SignIn.None, host, "", { nxdomain: 1 });
    const found = (host: string) => lookup(SignIn.None, host, "", { answered: 1, answers: ["10.0.0.1"] });
    const judge = (...l: DnsLookup[]) => signInFindings([srv, ...l]).map((d) => [d.outcome, d.server]);
    expect(judge(found("pool0.c.test"))).toEqual([["srv", "pool0.c.test:5061"]]);
    expect(judge(gone("pool0.c.test"), found("pool2.c.test"))).toEqual([["srv", "pool1.c.test:5061"]]);
    expect(judge(gone("pool0.c.test"), gone("pool1.c.test"), found("pool2.c.test"))).toEqual([
      ["srv", "pool2.c.test:5061"],
    ]);
    expect(judge(gone("pool0.c.test"), gone("pool1.c.test"), gone("pool2.c.test"))).toEqual([
      ["target_not_found", "pool0.c.test:5061"],
    ]);
  });

  it("one pool named by two domains' SRV records is judged for both", () => {
    const srv = (d: string) =>
      lookup(SignIn.InternalTls, `_sipinternaltls._tcp.${d}`, d, {
        answered: 1,
        answers: ["0 0 5061 pool.h.net"],
      });
    const d = signInFindings([
      srv("a.test"),
      srv("b.test"),
      lookup(SignIn.None, "pool.h.net", "", { nxdomain: 1 }),
    ]);
    expect(d.map((x) => [x.domain, x.outcome])).toEqual([
      ["a.test", "target_not_found"],
      ["b.test", "target_not_found"],
    ]);
  });

  it('an SRV record of "." says the service is not offered: not found, not a server failure', () => {
    const dot = lookup(SignIn.InternalTls, "_sipinternaltls._tcp.c.test", "c.test", {
      answered: 1,
      answers: ["0 0 0 ."],
    });
    expect(signInFindings([dot]).map((d) => [d.outcome, d.server])).toEqual([["not_found", null]]);
  });

  it("judges each client on its own lookups (split DNS), and a truncated answer as no answer", () => {
    const inside = lookup(SignIn.InternalTls, "_sipinternaltls._tcp.c.test", "c.test", {
      answered: 1,
      answers: ["0 0 5061 pool.c.test"],
    });
    const outside = { ...inside, client: "192.0.2.7", answered: 0, answers: [], nxdomain: 1 };
    expect(signInFindings([inside, outside]).map((d) => [d.client, d.outcome])).toEqual([
      ["10.1.0.20", "srv"],
      ["192.0.2.7", "not_found"],
    ]);
    const cut = { ...inside, answered: 0, answers: [], truncated: 1 };
    expect(signInFindings([cut])[0]!.outcome).toBe("unanswered");
  });

  it("folds a DNS suffix retry (two labels or more) into the domain it extends; contoso.com.au stays apart", () => {
    const au = signInFindings([
      lookup(SignIn.InternalTls, "_sipinternaltls._tcp.contoso.com", "contoso.com", {
        answered: 1,
        answers: ["0 0 5061 p.contoso.com"],
      }),
      lookup(SignIn.InternalTls, "_sipinternaltls._tcp.contoso.com.au", "contoso.com.au", { nxdomain: 1 }),
    ]);
    expect(au.map((x) => [x.domain, x.outcome])).toEqual([
      ["contoso.com", "srv"],
      ["contoso.com.au", "not_found"],
    ]);
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

  it("judges a domain's failure on its own names, not on its DNS suffix retries' NXDOMAIN", () => {
    // glibc (and Windows) retry a name that failed with SERVFAIL or REFUSED with the suffix
    // appended; the retry asks a name in another zone, whose NXDOMAIN says nothing of c.test
    // (fixtures/recorded/sign-in-real.pcap: northwind.test and woodgrove.test).
    const own = "_sipinternaltls._tcp.c.test";
    const retry = lookup(SignIn.InternalTls, `${own}.corp.test`, "c.test.corp.test", { nxdomain: 1 });
    const judged = (facts: Partial<DnsLookup>) =>
      signInFindings([lookup(SignIn.InternalTls, own, "c.test", facts), retry]).map((d) => [
        d.domain,
        d.outcome,
        d.lookups.length,
      ]);
    expect(judged({ servfail: 1 })).toEqual([["c.test", "dns_error", 2]]);
    expect(judged({ refused: 1 })).toEqual([["c.test", "dns_error", 2]]);
    expect(judged({ responses: 0, responseFrame: 0 })).toEqual([["c.test", "unanswered", 2]]);
    expect(judged({ nxdomain: 1 })).toEqual([["c.test", "not_found", 2]]);
    // A retry that answered is what the client used, as before.
    const found = { ...retry, nxdomain: 0, answered: 1, answers: ["0 0 5061 pool.corp.test"] };
    expect(
      signInFindings([lookup(SignIn.InternalTls, own, "c.test", { servfail: 1 }), found]).map((d) => [
        d.outcome,
        d.server,
      ]),
    ).toEqual([["srv", "pool.corp.test:5061"]]);
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
      table.note(m, bytes, pkt, { index: i + 1, tsMicros: i });
      table.note(m, bytes, pkt, { index: i + 1, tsMicros: i }); // a retry of a name kept counts on it; of one not kept, as left out
    }
    expect(table.list()).toHaveLength(MAX_LOOKUPS);
    expect(table.list()[0]!.queries).toBe(2);
    expect(table.untracked).toBe(20);
  });
});

describe("a capture asking more names than are kept", () => {
  it("warns max_sign_in_lookups, and judges the names kept", async () => {
    const records = Array.from({ length: MAX_LOOKUPS + 44 }, (_, i) =>
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
    expect(r.signIn).toHaveLength(MAX_LOOKUPS);
    expect(r.summary.signInFailures).toBe(MAX_LOOKUPS);
  });
});

describe("what the second review found (review7)", () => {
  const at = (s: number) => 1_700_000_000_000_000 + s * 1_000_000;
  const file = (records: PcapRecord[]) => {
    const path = join(mkdtempSync(join(tmpdir(), "ocs-sign-in-")), "c.pcap");
    writeFileSync(path, writePcap(records));
    return path;
  };
  const srvName = "_sipinternaltls._tcp.contoso.com";
  const srvAnswer = {
    rcode: 0,
    answers: [{ type: "SRV" as const, priority: 0, weight: 0, port: 5061, target: "pool.contoso.com" }],
  };

  it("an answer the snapshot length cut before its records is no 'no record', and is warned about", async () => {
    const answer = dnsMessage(1, srvName, 33, srvAnswer);
    const reply = udp("10.0.0.53", 53, "10.0.0.5", 50000, at(0.002), answer);
    // Cut inside the answer record: the header and question are whole, the SRV target is not.
    const cut = {
      ...reply,
      data: reply.data.subarray(0, reply.data.length - 10),
      wireLen: reply.data.length,
    };
    const r = await analyzeCapture(
      file([udp("10.0.0.5", 50000, "10.0.0.53", 53, at(0), dnsMessage(1, srvName, 33)), cut]),
      { version: "t" },
    );
    const l = r.signIn![0]!.lookups[0]!;
    expect([r.signIn![0]!.outcome, l.noData, l.truncated]).toEqual(["unanswered", 0, 1]);
    expect(r.capture.warnings.map((w) => w.code)).toEqual(["dns_snaplen"]);
  });

  it("a recursive resolver's own questions (RD clear) are no client's, and a referral says nothing of a name", async () => {
    const client = "10.0.0.5";
    const resolver = "10.0.0.53";
    const records = [
      udp(client, 50000, resolver, 53, at(0), dnsMessage(1, srvName, 33)),
      // The resolver walks down from a root server: a referral, then the zone's NXDOMAIN.
      udp(resolver, 40000, "198.41.0.4", 53, at(0.01), dnsMessage(2, srvName, 33, null, false, false)),
      udp(
        "198.41.0.4",
        53,
        resolver,
        40000,
        at(0.02),
        dnsMessage(2, srvName, 33, { rcode: 0, authority: ["NS"] }, false, false),
      ),
      udp(resolver, 40001, "203.0.113.53", 53, at(0.03), dnsMessage(3, srvName, 33, null, false, false)),
      udp(
        "203.0.113.53",
        53,
        resolver,
        40001,
        at(0.04),
        dnsMessage(3, srvName, 33, { rcode: 3, authority: ["SOA"] }, false, false),
      ),
      udp(
        resolver,
        53,
        client,
        50000,
        at(0.05),
        dnsMessage(1, srvName, 33, { rcode: 3, authority: ["SOA"] }),
      ),
    ];
    const r = await analyzeCapture(file(records), { version: "t" });
    expect(r.signIn!.map((d) => [d.client, d.outcome])).toEqual([[client, "not_found"]]);
    // A referral to a question with RD set (as some tools send) counts under no code either.
    const referral = await analyzeCapture(
      file([
        udp(resolver, 40000, "198.41.0.4", 53, at(0), dnsMessage(2, srvName, 33)),
        udp(
          "198.41.0.4",
          53,
          resolver,
          40000,
          at(0.01),
          dnsMessage(2, srvName, 33, { rcode: 0, authority: ["NS"] }),
        ),
      ]),
      { version: "t" },
    );
    const l = referral.signIn![0]!.lookups[0]!;
    expect([referral.signIn![0]!.outcome, l.noData, l.truncated]).toEqual(["unanswered", 0, 1]);
    // NODATA proper carries the zone's SOA: that is no record of the type.
    const nodata = await analyzeCapture(
      file([
        udp(client, 50000, resolver, 53, at(0), dnsMessage(1, srvName, 33)),
        udp(
          resolver,
          53,
          client,
          50000,
          at(0.01),
          dnsMessage(1, srvName, 33, { rcode: 0, authority: ["SOA"] }),
        ),
      ]),
      { version: "t" },
    );
    expect(nodata.signIn![0]!.lookups[0]!.noData).toBe(1);
  });

  it("a one-label DNS suffix (a home router's) folds in when the client asked the bare name first and found nothing", () => {
    const bare = lookup(SignIn.InternalTls, srvName, "contoso.com", { nxdomain: 1, firstSeen: 1 });
    const home = lookup(SignIn.InternalTls, `${srvName}.home`, "contoso.com.home", {
      nxdomain: 1,
      firstSeen: 2,
    });
    expect(signInFindings([bare, home]).map((d) => [d.domain, d.lookups.length])).toEqual([
      ["contoso.com", 2],
    ]);
    // Asked before the bare name, or after it was found: a domain of its own.
    expect(signInFindings([bare, { ...home, firstSeen: 0 }]).map((d) => d.domain)).toEqual([
      "contoso.com",
      "contoso.com.home",
    ]);
    const found = { ...bare, nxdomain: 0, answered: 1, answers: ["0 0 5061 pool.contoso.com"] };
    expect(signInFindings([found, home]).map((d) => d.domain)).toEqual(["contoso.com", "contoso.com.home"]);
  });

  it("an IPv6 address alone is no address for OCS 2007 R2 (IPv4 only), for a target or a fall-back host", () => {
    const srv = lookup(SignIn.InternalTls, srvName, "contoso.com", {
      answered: 1,
      answers: ["0 0 5061 pool.contoso.com"],
    });
    const aaaa = lookup(SignIn.None, "pool.contoso.com", "", {
      type: "AAAA",
      answered: 1,
      answers: ["2001:db8::1"],
    });
    const noA = lookup(SignIn.None, "pool.contoso.com", "", { noData: 1 });
    expect(signInFindings([srv, aaaa, noA])[0]!.outcome).toBe("target_not_found");
    const v6host = lookup(SignIn.HostInternal, "sipinternal.contoso.com", "contoso.com", {
      type: "AAAA",
      answered: 1,
      answers: ["2001:db8::1"],
    });
    expect(signInFindings([{ ...srv, answered: 0, answers: [], nxdomain: 1 }, v6host])[0]!.outcome).toBe(
      "not_found",
    );
  });

  it("judges every SRV target, not only the first four the answer lists", async () => {
    const answers = [
      ...[1, 2, 3, 4].map((i) => ({
        type: "SRV" as const,
        priority: 10,
        weight: 0,
        port: 5061,
        target: `old${i}.contoso.com`,
      })),
      { type: "SRV" as const, priority: 0, weight: 0, port: 5061, target: "pool.contoso.com" },
    ];
    const r = await analyzeCapture(
      file([
        udp("10.0.0.5", 50000, "10.0.0.53", 53, at(0), dnsMessage(1, srvName, 33)),
        udp("10.0.0.53", 53, "10.0.0.5", 50000, at(0.01), dnsMessage(1, srvName, 33, { rcode: 0, answers })),
        udp("10.0.0.5", 50001, "10.0.0.53", 53, at(0.02), dnsMessage(2, "pool.contoso.com", 1)),
        udp(
          "10.0.0.53",
          53,
          "10.0.0.5",
          50001,
          at(0.03),
          dnsMessage(2, "pool.contoso.com", 1, {
            rcode: 0,
            answers: [{ type: "A", address: "10.0.0.10" }],
          }),
        ),
      ]),
      { version: "t" },
    );
    expect(r.signIn!.map((d) => [d.outcome, d.server])).toEqual([["srv", "pool.contoso.com:5061"]]);
  });
});
