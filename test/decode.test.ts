import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ethernet,
  icmpMessage,
  ip,
  ipv4,
  ipv6,
  krbError,
  tcpHeader,
  udpDatagram,
} from "../fixtures/lib/packets.js";
import { ANOMALY_NAMES, Anomaly } from "../src/decode/anomaly.js";
import { decodeFrame } from "../src/decode/frame.js";
import { decodeIpv4, decodeIpv6 } from "../src/decode/ip.js";
import { krbErrorCode } from "../src/decode/kerberos.js";
import { decodeEthernet, decodeNull, decodeSll, decodeSll2 } from "../src/decode/link.js";
import { Packet } from "../src/decode/packet.js";
import { decodeIcmp, decodeTcp, decodeUdp } from "../src/decode/transport.js";

const pkt = new Packet();

function bytes(...parts: (number[] | Uint8Array)[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

const tcpSyn = tcpHeader({ sport: 50321, dport: 5061, seq: 1000, ack: 0, flags: "S" });
const v4Syn = ipv4("10.1.0.20", "10.0.0.10", 6, tcpSyn);
const v6Syn = ipv6("2001:db8:1::20", "2001:db8::10", 6, tcpSyn);
const udpStun = udpDatagram(50500, 3478, new Uint8Array(20));

describe("anomaly names", () => {
  it("has one stable name per code", () => {
    const codes = Object.values(Anomaly);
    expect(new Set(codes).size).toBe(codes.length);
    expect(ANOMALY_NAMES.length).toBe(codes.length);
    expect(new Set(ANOMALY_NAMES).size).toBe(ANOMALY_NAMES.length);
  });
});

describe("Ethernet and VLAN", () => {
  const cases: {
    name: string;
    frame: Uint8Array;
    code: number;
    vlan: number;
    ipOffset: number;
    etherType: number;
  }[] = [
    {
      name: "untagged IPv4",
      frame: ethernet(v4Syn, 0x0800),
      code: Anomaly.OK,
      vlan: -1,
      ipOffset: 14,
      etherType: 0x0800,
    },
    {
      name: "802.1Q",
      frame: ethernet(v4Syn, 0x0800, [100]),
      code: Anomaly.OK,
      vlan: 100,
      ipOffset: 18,
      etherType: 0x0800,
    },
    {
      name: "802.1ad + 802.1Q (QinQ)",
      frame: ethernet(v6Syn, 0x86dd, [200, 300]),
      code: Anomaly.OK,
      vlan: 200,
      ipOffset: 22,
      etherType: 0x86dd,
    },
    {
      name: "pre-standard 0x9100 tag",
      frame: bytes(new Array(12).fill(0), [0x91, 0x00, 0x00, 0x07, 0x08, 0x00], v4Syn),
      code: Anomaly.OK,
      vlan: 7,
      ipOffset: 18,
      etherType: 0x0800,
    },
    {
      name: "five tags",
      frame: bytes(new Array(12).fill(0), ...new Array(5).fill([0x81, 0x00, 0, 1]), [0x08, 0x00]),
      code: Anomaly.VLAN_TOO_DEEP,
      vlan: 1,
      ipOffset: 0,
      etherType: 0,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      pkt.reset();
      pkt.etherType = 0;
      expect(decodeEthernet(c.frame, 0, c.frame.length, pkt)).toBe(c.code);
      expect(pkt.vlan).toBe(c.vlan);
      if (c.code === Anomaly.OK) {
        expect(pkt.ipOffset).toBe(c.ipOffset);
        expect(pkt.etherType).toBe(c.etherType);
      }
    });
  }

  it("reports every short prefix of a header as truncated", () => {
    const tagged = ethernet(v4Syn, 0x0800, [100]);
    for (let n = 0; n < 14; n++) expect(decodeEthernet(tagged, 0, n, pkt)).toBe(Anomaly.ETHERNET_TRUNCATED);
    for (let n = 14; n < 18; n++) expect(decodeEthernet(tagged, 0, n, pkt)).toBe(Anomaly.VLAN_TRUNCATED);
  });

  it("reads Linux cooked headers v1 and v2, and BSD null in either byte order", () => {
    const sll = bytes([0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00], v4Syn);
    expect(decodeSll(sll, 0, sll.length, pkt)).toBe(Anomaly.OK);
    expect([pkt.ipOffset, pkt.etherType]).toEqual([16, 0x0800]);
    const sll2 = bytes([0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0], v6Syn);
    expect(decodeSll2(sll2, 0, sll2.length, pkt)).toBe(Anomaly.OK);
    expect([pkt.ipOffset, pkt.etherType]).toEqual([20, 0x86dd]);
    for (let n = 0; n < 16; n++) expect(decodeSll(sll, 0, n, pkt)).toBe(Anomaly.LINK_TRUNCATED);
    for (let n = 0; n < 20; n++) expect(decodeSll2(sll2, 0, n, pkt)).toBe(Anomaly.LINK_TRUNCATED);
    // libpcap puts an offloaded VLAN tag back in cooked captures: protocol 0x8100, then the tag.
    const sllTagged = bytes(
      [0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x81, 0x00, 0x20, 110, 0x08, 0x00],
      v4Syn,
    );
    pkt.reset();
    expect(decodeSll(sllTagged, 0, sllTagged.length, pkt)).toBe(Anomaly.OK);
    expect([pkt.ipOffset, pkt.etherType, pkt.vlan]).toEqual([20, 0x0800, 110]);
    const sll2Tagged = bytes(
      [0x81, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0, 7, 0x86, 0xdd],
      v6Syn,
    );
    pkt.reset();
    expect(decodeSll2(sll2Tagged, 0, sll2Tagged.length, pkt)).toBe(Anomaly.OK);
    expect([pkt.ipOffset, pkt.etherType, pkt.vlan]).toEqual([24, 0x86dd, 7]);
    for (let n = 16; n < 20; n++) expect(decodeSll(sllTagged, 0, n, pkt)).toBe(Anomaly.VLAN_TRUNCATED);
    for (let n = 20; n < 24; n++) expect(decodeSll2(sll2Tagged, 0, n, pkt)).toBe(Anomaly.VLAN_TRUNCATED);
    const nullLe = bytes([2, 0, 0, 0], v4Syn);
    const nullBe = bytes([0, 0, 0, 30], v6Syn);
    expect(decodeNull(nullLe, 0, nullLe.length, pkt, false)).toBe(Anomaly.OK);
    expect(pkt.etherType).toBe(0x0800);
    expect(decodeNull(nullBe, 0, nullBe.length, pkt, false)).toBe(Anomaly.OK);
    expect(pkt.etherType).toBe(0x86dd);
    expect(decodeNull(nullBe, 0, nullBe.length, pkt, true)).toBe(Anomaly.OK);
    expect(decodeNull(bytes([7, 0, 0, 0]), 0, 4, pkt, false)).toBe(Anomaly.LINK_BAD_FAMILY);
  });
});

describe("IPv4", () => {
  it("decodes addresses, protocol and lengths", () => {
    pkt.reset();
    expect(decodeIpv4(v4Syn, 0, v4Syn.length, pkt)).toBe(Anomaly.OK);
    expect(pkt.family).toBe(4);
    expect(pkt.s3).toBe(0x0a010014);
    expect(pkt.d3).toBe(0x0a00000a);
    expect(pkt.ipProto).toBe(6);
    expect(pkt.ipLen).toBe(40);
  });

  const bad: { name: string; mutate: (b: Uint8Array) => void; code: number }[] = [
    { name: "version 5", mutate: (b) => (b[0] = 0x55), code: Anomaly.IPV4_BAD_VERSION },
    { name: "IHL 4", mutate: (b) => (b[0] = 0x44), code: Anomaly.IPV4_BAD_HEADER_LENGTH },
    { name: "IHL beyond the capture", mutate: (b) => (b[0] = 0x4f), code: Anomaly.IPV4_TRUNCATED },
    {
      name: "total length below IHL",
      mutate: (b) => {
        b[2] = 0;
        b[3] = 10;
      },
      code: Anomaly.IPV4_BAD_TOTAL_LENGTH,
    },
  ];
  for (const c of bad) {
    it(`flags ${c.name}`, () => {
      const b = Uint8Array.from(v4Syn);
      c.mutate(b);
      expect(decodeIpv4(b, 0, b.length, pkt)).toBe(c.code);
    });
  }

  it("reports every short prefix of the header as truncated", () => {
    for (let n = 0; n < 20; n++) expect(decodeIpv4(v4Syn, 0, n, pkt)).toBe(Anomaly.IPV4_TRUNCATED);
  });

  it("marks later fragments, with their id, and reads no transport header from them", () => {
    const b = Uint8Array.from(ethernet(v4Syn, 0x0800));
    b[14 + 6] = 0x20; // MF
    b[14 + 7] = 0x10; // offset 16 × 8 bytes
    expect(decodeFrame(1, b, 0, b.length, pkt)).toBe(Anomaly.OK);
    expect([pkt.laterFragment, pkt.moreFragments, pkt.fragId, pkt.srcPort, pkt.dstPort]).toEqual([
      true,
      true,
      1,
      0,
      0,
    ]);
  });

  it("accepts a first fragment's UDP length that covers the whole datagram", () => {
    const dgram = udpDatagram(5060, 5060, new Uint8Array(3000));
    const first = Uint8Array.from(ipv4("10.0.0.1", "10.0.0.2", 17, dgram.subarray(0, 1480)));
    first[6] = 0x20; // MF, offset 0
    first[2] = (1500 >> 8) & 0xff;
    first[3] = 1500 & 0xff;
    expect(decodeFrame(228, first, 0, first.length, pkt)).toBe(Anomaly.OK);
    expect([pkt.moreFragments, pkt.laterFragment, pkt.srcPort, pkt.payloadLen]).toEqual([
      true,
      false,
      5060,
      1472,
    ]);
  });

  it("ignores Ethernet padding after the datagram", () => {
    const frame = bytes(
      ethernet(ipv4("10.0.0.1", "10.0.0.2", 17, udpDatagram(1, 2, new Uint8Array(2))), 0x0800),
      new Array(16).fill(0),
    );
    expect(decodeFrame(1, frame, 0, frame.length, pkt)).toBe(Anomaly.OK);
    expect(pkt.payloadLen).toBe(2);
    expect(pkt.payloadCaptured).toBe(2);
  });
});

describe("IPv6", () => {
  it("decodes the fixed header", () => {
    pkt.reset();
    expect(decodeIpv6(v6Syn, 0, v6Syn.length, pkt)).toBe(Anomaly.OK);
    expect([pkt.s0, pkt.s1, pkt.s2, pkt.s3]).toEqual([0x20010db8, 0x00010000, 0, 0x20]);
    expect([pkt.d0, pkt.d3]).toEqual([0x20010db8, 0x10]);
    expect(pkt.ipProto).toBe(6);
    expect(pkt.ipLen).toBe(60);
  });

  it("walks a hop-by-hop header to the transport", () => {
    const withHbh = ipv6("2001:db8::1", "2001:db8::2", 17, udpStun, true);
    expect(decodeFrame(229, withHbh, 0, withHbh.length, pkt)).toBe(Anomaly.OK);
    expect([pkt.ipProto, pkt.srcPort, pkt.dstPort]).toEqual([17, 50500, 3478]);
  });

  it("reports every short prefix of the header as truncated", () => {
    for (let n = 0; n < 40; n++) expect(decodeIpv6(v6Syn, 0, n, pkt)).toBe(Anomaly.IPV6_TRUNCATED);
    const b = Uint8Array.from(v6Syn);
    b[0] = 0x40;
    expect(decodeIpv6(b, 0, b.length, pkt)).toBe(Anomaly.IPV6_BAD_VERSION);
  });

  it("stops an endless extension chain", () => {
    const chain = bytes(v6Syn.subarray(0, 40), ...new Array(10).fill([60, 0, 0, 0, 0, 0, 0, 0]));
    chain[6] = 60;
    chain[4] = 0;
    chain[5] = 80;
    expect(decodeIpv6(chain, 0, chain.length, pkt)).toBe(Anomaly.IPV6_EXT_TOO_LONG);
  });
});

describe("transport headers", () => {
  it("TCP: ports, flags, sequence numbers, payload length from the IP header", () => {
    const seg = tcpHeader({
      sport: 1,
      dport: 443,
      seq: 0xfffffff0,
      ack: 7,
      flags: "PA",
      payload: new Uint8Array(5),
    });
    pkt.reset();
    expect(decodeTcp(seg, 0, seg.length, seg.length, pkt)).toBe(Anomaly.OK);
    expect([pkt.srcPort, pkt.dstPort, pkt.seq, pkt.ack, pkt.tcpFlags]).toEqual([1, 443, 0xfffffff0, 7, 0x18]);
    expect([pkt.payloadOffset, pkt.payloadLen, pkt.payloadCaptured]).toEqual([20, 5, 5]);
    // A snaplen cut: the headers say 5 payload bytes, the capture holds 2.
    expect(decodeTcp(seg, 0, 22, seg.length, pkt)).toBe(Anomaly.OK);
    expect([pkt.payloadLen, pkt.payloadCaptured]).toEqual([5, 2]);
  });

  it("TCP: every short prefix is truncated; a data offset under 5 or past the segment is bad", () => {
    for (let n = 0; n < 20; n++) expect(decodeTcp(tcpSyn, 0, n, 20, pkt)).toBe(Anomaly.TCP_TRUNCATED);
    const b = Uint8Array.from(tcpSyn);
    b[12] = 4 << 4;
    expect(decodeTcp(b, 0, 20, 20, pkt)).toBe(Anomaly.TCP_BAD_HEADER_LENGTH);
    b[12] = 6 << 4;
    expect(decodeTcp(b, 0, 20, 20, pkt)).toBe(Anomaly.TCP_BAD_HEADER_LENGTH);
  });

  it("UDP: ports and length; every short prefix is truncated; bad length fields are flagged", () => {
    pkt.reset();
    expect(decodeUdp(udpStun, 0, udpStun.length, udpStun.length, pkt)).toBe(Anomaly.OK);
    expect([pkt.srcPort, pkt.dstPort, pkt.payloadLen]).toEqual([50500, 3478, 20]);
    for (let n = 0; n < 8; n++) expect(decodeUdp(udpStun, 0, n, 28, pkt)).toBe(Anomaly.UDP_TRUNCATED);
    const short = Uint8Array.from(udpStun);
    short[5] = 7;
    expect(decodeUdp(short, 0, 28, 28, pkt)).toBe(Anomaly.UDP_BAD_LENGTH);
    const long = Uint8Array.from(udpStun);
    long[5] = 200;
    expect(decodeUdp(long, 0, 28, 28, pkt)).toBe(Anomaly.UDP_BAD_LENGTH);
  });

  it("ICMP and ICMPv6: type and code; short prefixes are truncated", () => {
    const msg = icmpMessage(3, 13, new Uint8Array(28));
    expect(decodeIcmp(msg, 0, msg.length, msg.length, pkt, false)).toBe(Anomaly.OK);
    expect([pkt.icmpType, pkt.icmpCode]).toEqual([3, 13]);
    for (let n = 0; n < 8; n++) {
      expect(decodeIcmp(msg, 0, n, msg.length, pkt, false)).toBe(Anomaly.ICMP_TRUNCATED);
      expect(decodeIcmp(msg, 0, n, msg.length, pkt, true)).toBe(Anomaly.ICMPV6_TRUNCATED);
    }
  });
});

describe("decodeFrame", () => {
  const frames: {
    name: string;
    linkType: number;
    frame: Uint8Array;
    proto: number;
    ports: [number, number];
  }[] = [
    {
      name: "Ethernet IPv4 TCP",
      linkType: 1,
      frame: ip("10.1.0.20", "10.0.0.10", 6, tcpSyn),
      proto: 6,
      ports: [50321, 5061],
    },
    {
      name: "Ethernet IPv6 UDP",
      linkType: 1,
      frame: ip("2001:db8::1", "2001:db8::2", 17, udpStun),
      proto: 17,
      ports: [50500, 3478],
    },
    { name: "raw IPv4 (101)", linkType: 101, frame: v4Syn, proto: 6, ports: [50321, 5061] },
    { name: "raw IPv6 (101)", linkType: 101, frame: v6Syn, proto: 6, ports: [50321, 5061] },
    { name: "LINKTYPE_IPV4 (228)", linkType: 228, frame: v4Syn, proto: 6, ports: [50321, 5061] },
    { name: "LINKTYPE_IPV6 (229)", linkType: 229, frame: v6Syn, proto: 6, ports: [50321, 5061] },
    {
      name: "OpenBSD loop (108)",
      linkType: 108,
      frame: bytes([0, 0, 0, 2], v4Syn),
      proto: 6,
      ports: [50321, 5061],
    },
  ];
  for (const f of frames) {
    it(f.name, () => {
      expect(decodeFrame(f.linkType, f.frame, 0, f.frame.length, pkt)).toBe(Anomaly.OK);
      expect([pkt.ipProto, pkt.srcPort, pkt.dstPort]).toEqual([f.proto, ...f.ports]);
    });
  }

  it("names unsupported link types and non-IP frames as skips, not anomalies", () => {
    expect(decodeFrame(285, v4Syn, 0, v4Syn.length, pkt)).toBe(Anomaly.UNSUPPORTED_LINK_TYPE);
    const arp = ethernet(new Uint8Array(28), 0x0806);
    expect(decodeFrame(1, arp, 0, arp.length, pkt)).toBe(Anomaly.NON_IP);
  });

  it("decodes at an offset inside a larger buffer without reading outside the frame", () => {
    const frame = ip("10.1.0.20", "10.0.0.10", 6, tcpSyn);
    const big = bytes(new Array(100).fill(0xff), frame, new Array(100).fill(0xff));
    expect(decodeFrame(1, big, 100, frame.length, pkt)).toBe(Anomaly.OK);
    expect(pkt.dstPort).toBe(5061);
    // Every cut of the frame decodes to OK or an anomaly, never reading the 0xff bytes as data.
    for (let n = 0; n < frame.length; n++) {
      const code = decodeFrame(1, big, 100, n, pkt);
      expect(code).not.toBe(Anomaly.OK);
    }
  });

  it("never throws and always returns a named code, on any bytes and link type (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 999),
        fc.uint8Array({ maxLength: 200 }),
        fc.nat(50),
        (linkType, data, shift) => {
          const off = Math.min(shift, data.length);
          const code = decodeFrame(linkType, data, off, data.length - off, pkt);
          expect(ANOMALY_NAMES[code]).toBeDefined();
          if (code === Anomaly.OK && pkt.payloadCaptured > 0) {
            expect(pkt.payloadOffset + pkt.payloadCaptured).toBeLessThanOrEqual(data.length);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("never throws on mutated real frames (property)", () => {
    const base = ip("2001:db8::1", "2001:db8::2", 6, tcpSyn, { vlans: [5], hopByHop: true });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(base.length),
        (edits, cut) => {
          const b = Uint8Array.from(base);
          for (const [at, v] of edits) b[at] = v;
          const code = decodeFrame(1, b, 0, cut, pkt);
          expect(ANOMALY_NAMES[code]).toBeDefined();
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("never reads past the frame: bytes after capLen cannot change the result (property)", () => {
    const base = ip("10.0.0.1", "10.0.0.2", 6, tcpSyn, { vlans: [5] });
    const snapshot = () => JSON.stringify(pkt, (_k, v) => (v instanceof Uint8Array ? undefined : v));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(base.length),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (edits, cut, tailA, tailB) => {
          const frame = Uint8Array.from(base);
          for (const [at, v] of edits) frame[at] = v;
          const a = new Uint8Array(cut + 64);
          a.set(frame.subarray(0, cut));
          a.set(tailA, cut);
          const b = new Uint8Array(cut + 64);
          b.set(frame.subarray(0, cut));
          b.set(tailB, cut);
          const codeA = decodeFrame(1, a, 0, cut, pkt);
          const seenA = snapshot();
          const codeB = decodeFrame(1, b, 0, cut, pkt);
          expect(codeB).toBe(codeA);
          expect(snapshot()).toBe(seenA);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("krbErrorCode (RFC 4120 §5.9.1)", () => {
  const cases: [string, Uint8Array, number][] = [
    ["KRB_AP_ERR_SKEW", krbError(37), 37],
    ["KDC_ERR_S_PRINCIPAL_UNKNOWN", krbError(7), 7],
    ["a two-byte error code", krbError(300), 300],
    ["a long-form length (a long realm)", krbError(24, false, "A".repeat(200)), 24],
    ["an AS-REQ (application 10), not an error", Uint8Array.from([0x6a, 0x03, 0x30, 0x01, 0x00]), -1],
    [
      "a sequence that ends before the error code",
      Uint8Array.from([0x7e, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x05]),
      -1,
    ],
    ["a negative error code", Uint8Array.from([0x7e, 0x07, 0x30, 0x05, 0xa6, 0x03, 0x02, 0x01, 0xff]), -1],
    [
      "a tag out of order where the error code belongs",
      Uint8Array.from([0x7e, 0x07, 0x30, 0x05, 0xa9, 0x03, 0x02, 0x01, 0x07]),
      -1,
    ],
  ];
  it.each(cases)("%s", (_name, bytes, code) => {
    expect(krbErrorCode(bytes, 0, bytes.length)).toBe(code);
  });

  it("reads TCP's record after its 4-byte length, and no prefix of an error as a code", () => {
    const tcp = krbError(37, true);
    expect(krbErrorCode(tcp, 4, tcp.length)).toBe(37);
    const udp = krbError(37);
    // The code sits before the realm: prefixes that reach it read it, shorter ones read nothing.
    for (let n = 0; n < udp.length; n++) expect([-1, 37]).toContain(krbErrorCode(udp, 0, n));
    expect(krbErrorCode(udp, 0, 10)).toBe(-1);
  });

  it("never throws on any bytes (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        const withTag = Uint8Array.from([0x7e, ...b]);
        const code = krbErrorCode(withTag, 0, withTag.length);
        expect(code >= -1).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
