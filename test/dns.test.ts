/**
 * decode/dns.ts: which sign-in name a question asks, the response code, the
 * answers of the asked type (RFC 1035 §4.1, SRV RFC 2782), names with
 * pointers, TCP's length prefix; every short prefix of a message, and any
 * bytes, read without a throw.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dnsMessage } from "../fixtures/lib/packets.js";
import {
  DNS_TYPE_A,
  DNS_TYPE_AAAA,
  DNS_TYPE_SRV,
  DnsMessage,
  dnsNameHash,
  dnsNameText,
  readDns,
  SignIn,
} from "../src/decode/dns.js";

function read(bytes: Uint8Array, tcp = false): DnsMessage | null {
  const m = new DnsMessage();
  return readDns(bytes, 0, bytes.length, tcp, m) ? m : null;
}

describe("readDns: the sign-in name a question asks", () => {
  const cases: [string, number, SignIn, string | null][] = [
    ["_sipinternaltls._tcp.contoso.com", DNS_TYPE_SRV, SignIn.InternalTls, "contoso.com"],
    ["_sipinternal._tcp.contoso.com", DNS_TYPE_SRV, SignIn.InternalTcp, "contoso.com"],
    ["_sip._tls.contoso.com", DNS_TYPE_SRV, SignIn.ExternalTls, "contoso.com"],
    ["_sip._tcp.contoso.com", DNS_TYPE_SRV, SignIn.ExternalTcp, "contoso.com"],
    ["_sipfederationtls._tcp.fabrikam.com", DNS_TYPE_SRV, SignIn.Federation, "fabrikam.com"],
    ["sipinternal.contoso.com", DNS_TYPE_A, SignIn.HostInternal, "contoso.com"],
    ["sip.contoso.com", DNS_TYPE_AAAA, SignIn.HostSip, "contoso.com"],
    ["sipexternal.contoso.com", DNS_TYPE_A, SignIn.HostExternal, "contoso.com"],
    ["_SIPInternalTLS._TCP.Contoso.COM", DNS_TYPE_SRV, SignIn.InternalTls, "contoso.com"],
    // The host names are A lookups, the SRV names SRV lookups: the other type is another question.
    ["sip.contoso.com", DNS_TYPE_SRV, SignIn.None, null],
    ["_sipinternaltls._tcp.contoso.com", DNS_TYPE_A, SignIn.None, null],
    // Labels that only start like a sign-in name, or another service.
    ["_sipinternaltlsx._tcp.contoso.com", DNS_TYPE_SRV, SignIn.None, null],
    ["_sip._udp.contoso.com", DNS_TYPE_SRV, SignIn.None, null],
    ["_ldap._tcp.dc._msdcs.contoso.com", DNS_TYPE_SRV, SignIn.None, null],
    ["sipfoo.contoso.com", DNS_TYPE_A, SignIn.None, null],
    ["www.contoso.com", DNS_TYPE_A, SignIn.None, null],
    // A sign-in name needs a domain after its fixed labels.
    ["_sipinternaltls._tcp", DNS_TYPE_SRV, SignIn.None, null],
    ["sip", DNS_TYPE_A, SignIn.None, null],
  ];
  it.each(cases)("%s (type %i)", (name, qtype, kind, domain) => {
    const bytes = dnsMessage(7, name, qtype);
    const m = read(bytes)!;
    expect(m).not.toBeNull();
    expect(m.response).toBe(false);
    expect(m.qtype).toBe(qtype);
    expect(m.signIn).toBe(kind);
    if (domain !== null) expect(dnsNameText(bytes, m.msg, m.domainAt, m.end)).toBe(domain);
    expect(dnsNameText(bytes, m.msg, m.qname, m.end)).toBe(name.toLowerCase());
  });
});

describe("readDns: responses", () => {
  it("reads the code and where each answer of the asked type starts, SRV targets through pointers", () => {
    const bytes = dnsMessage(9, "_sipinternaltls._tcp.contoso.com", DNS_TYPE_SRV, {
      rcode: 0,
      answers: [
        { type: "SRV", priority: 0, weight: 10, port: 5061, target: "pool.contoso.com" },
        { type: "SRV", priority: 1, weight: 0, port: 443, target: "edge.example.net" },
      ],
    });
    const m = read(bytes)!;
    expect([m.response, m.rcode, m.id, m.answers]).toEqual([true, 0, 9, 2]);
    const at = m.answerAt[0]!;
    expect([bytes[at + 4]! * 256 + bytes[at + 5]!]).toEqual([5061]);
    // The first target's zone is a pointer into the question (RFC 1035 §4.1.4).
    expect(dnsNameText(bytes, m.msg, at + 6, m.end)).toBe("pool.contoso.com");
    expect(dnsNameText(bytes, m.msg, m.answerAt[1]! + 6, m.end)).toBe("edge.example.net");
    expect(dnsNameHash(bytes, m.msg, at + 6, m.end)).toBe(
      dnsNameHash(dnsMessage(1, "POOL.contoso.com", 1), 0, 12, 200),
    );
  });

  it("counts answers of the asked type only, and reads NXDOMAIN, SERVFAIL and NODATA", () => {
    const a = read(
      dnsMessage(1, "sip.contoso.com", DNS_TYPE_A, {
        rcode: 0,
        answers: [
          { type: "AAAA", address: "2001:db8::1" },
          { type: "A", address: "10.0.0.1" },
        ],
      }),
    )!;
    expect(a.answers).toBe(1);
    for (const rcode of [0, 2, 3, 5]) {
      const m = read(dnsMessage(1, "sip.contoso.com", DNS_TYPE_A, { rcode }))!;
      expect([m.rcode, m.answers]).toEqual([rcode, 0]);
    }
  });

  it("tells a referral (NS, no SOA) from NODATA (SOA), and a stub's question (RD) from a resolver's", () => {
    const referral = read(
      dnsMessage(1, "sip.contoso.com", DNS_TYPE_A, { rcode: 0, authority: ["NS", "NS"] }),
    )!;
    const nodata = read(dnsMessage(1, "sip.contoso.com", DNS_TYPE_A, { rcode: 0, authority: ["SOA"] }))!;
    const bare = read(dnsMessage(1, "sip.contoso.com", DNS_TYPE_A, { rcode: 0 }))!;
    expect([referral.referral, nodata.referral, bare.referral]).toEqual([true, false, false]);
    expect(read(dnsMessage(1, "sip.contoso.com", DNS_TYPE_A))!.recursionDesired).toBe(true);
    expect(read(dnsMessage(1, "sip.contoso.com", DNS_TYPE_A, null, false, false))!.recursionDesired).toBe(
      false,
    );
  });

  it("over TCP, after the 2-byte length; the length bounds the message", () => {
    const bytes = dnsMessage(3, "_sip._tls.contoso.com", DNS_TYPE_SRV, { rcode: 3 }, true);
    const m = read(bytes, true)!;
    expect([m.msg, m.rcode, m.signIn]).toEqual([2, 3, SignIn.ExternalTls]);
    const short = Uint8Array.from(bytes);
    short[1] = 11; // a length under a header
    expect(read(short, true)).toBeNull();
  });

  it("no question, a name running past the message, a forward or looping pointer: not read", () => {
    const ok = dnsMessage(1, "sip.contoso.com", DNS_TYPE_A);
    const noQuestion = Uint8Array.from(ok);
    noQuestion[5] = 0;
    expect(read(noQuestion)).toBeNull();
    const forward = Uint8Array.from([...ok.subarray(0, 12), 0xc0, 20, 0, 1, 0, 1, 0, 0, 0, 0]);
    expect(read(forward)).toBeNull();
    // A pointer to itself in an answer's SRV target: the name does not parse, the hash says so.
    const loop = Uint8Array.from([...ok, 0xc0, 0x20]);
    expect(dnsNameHash(loop, 0, ok.length, loop.length)).toBe(-1);
    expect(dnsNameText(loop, 0, ok.length, loop.length)).toBeNull();
  });

  it("writes other bytes of a name as \\DDD", () => {
    const bytes = Uint8Array.from([...new Uint8Array(12), 3, 0x61, 0x20, 0x2e, 3, 0x63, 0x6f, 0x6d, 0]);
    expect(dnsNameText(bytes, 0, 12, bytes.length)).toBe("a\\032\\046.com");
  });
});

describe("readDns never throws", () => {
  const full = dnsMessage(5, "_sipinternaltls._tcp.contoso.com", DNS_TYPE_SRV, {
    rcode: 0,
    answers: [{ type: "SRV", priority: 0, weight: 0, port: 5061, target: "pool.contoso.com" }],
  });

  it("on every short prefix of a response: nothing under a header and question, then part of the answers", () => {
    const questionEnd = 12 + 34 + 4;
    for (let n = 0; n < full.length; n++) {
      const m = new DnsMessage();
      const ok = readDns(full, 0, n, false, m);
      expect(ok).toBe(n >= questionEnd);
      if (ok) expect(m.answers).toBe(n === full.length ? 1 : 0);
    }
    expect(read(full)!.answers).toBe(1);
  });

  it("on any bytes, UDP or TCP (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.boolean(), fc.nat(120), (b, tcp, cut) => {
        const m = new DnsMessage();
        const bytes = Uint8Array.from([...full.subarray(0, cut % full.length), ...b]);
        readDns(bytes, 0, bytes.length, tcp, m);
        for (let i = 0; i < Math.min(m.answers, 4); i++) dnsNameText(bytes, m.msg, m.answerAt[i]! + 6, m.end);
        expect(dnsNameHash(bytes, 0, 12, bytes.length)).toBeGreaterThanOrEqual(-1);
      }),
      { numRuns: 3000 },
    );
  });
});
