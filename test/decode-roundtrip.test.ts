/**
 * Round trips, fixture builder → decoder (issue 13, item 6): frames the
 * fixtures' builders make from random fields decode to exactly those fields,
 * and every prefix that cuts a header gives a named anomaly, never a throw
 * or a half-filled packet reported as good.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flagBits, ip, tcpHeader, udpDatagram } from "../fixtures/lib/packets.js";
import { ANOMALY_NAMES, Anomaly } from "../src/decode/anomaly.js";
import { decodeFrame } from "../src/decode/frame.js";
import { Packet } from "../src/decode/packet.js";
import { wordsText } from "../src/format.js";

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join("."));
const v6 = fc
  .array(fc.nat(0xffff), { minLength: 8, maxLength: 8 })
  .map((g) => g.map((x) => x.toString(16)).join(":"));

const frameSpec = fc.record({
  v6: fc.boolean(),
  a4: v4,
  b4: v4,
  a6: v6,
  b6: v6,
  tcp: fc.boolean(),
  sport: fc.integer({ min: 1, max: 65535 }),
  dport: fc.integer({ min: 1, max: 65535 }),
  seq: fc.nat(0xffffffff),
  ack: fc.nat(0xffffffff),
  flags: fc.subarray(["S", "A", "F", "R", "P"]).map((f) => f.join("")),
  window: fc.nat(0xffff),
  payload: fc.uint8Array({ maxLength: 64 }),
  vlans: fc.array(fc.integer({ min: 1, max: 4094 }), { maxLength: 2 }),
});
type FrameSpec = typeof frameSpec extends fc.Arbitrary<infer T> ? T : never;

/** The frame the fixtures' builders make from a spec, and its two addresses as given. */
function build(s: FrameSpec): { src: string; dst: string; frame: Uint8Array } {
  const [src, dst] = s.v6 ? [s.a6, s.b6] : [s.a4, s.b4];
  const seg = s.tcp
    ? tcpHeader({
        sport: s.sport,
        dport: s.dport,
        seq: s.seq,
        ack: s.ack,
        flags: s.flags,
        window: s.window,
        payload: s.payload,
      })
    : udpDatagram(s.sport, s.dport, s.payload);
  return { src, dst, frame: ip(src, dst, s.tcp ? 6 : 17, seg, { vlans: s.vlans }) };
}

/** RFC 5952 text of an address given as text (the builder accepts any valid form). */
function canonical(text: string): string {
  if (!text.includes(":")) return text;
  const words = [0, 1, 2, 3].map((i) => {
    const g = text.split(":").map((x) => Number.parseInt(x, 16));
    return (g[2 * i]! << 16) | g[2 * i + 1]! | 0;
  });
  return wordsText(6, words);
}

describe("decode round trips with the fixture builders", () => {
  it("every field the builder wrote is the field the decoder reads (1,000 random frames)", () => {
    const pkt = new Packet();
    fc.assert(
      fc.property(frameSpec, (s) => {
        const { src, dst, frame } = build(s);
        expect(ANOMALY_NAMES[decodeFrame(1, frame, 0, frame.length, pkt)]).toBe("ok");
        expect(pkt.family).toBe(s.v6 ? 6 : 4);
        expect(pkt.ipProto).toBe(s.tcp ? 6 : 17);
        // The outermost tag (Packet.vlan).
        expect(pkt.vlan).toBe(s.vlans[0] ?? -1);
        expect(wordsText(pkt.family, [pkt.s0, pkt.s1, pkt.s2, pkt.s3])).toBe(canonical(src));
        expect(wordsText(pkt.family, [pkt.d0, pkt.d1, pkt.d2, pkt.d3])).toBe(canonical(dst));
        expect([pkt.srcPort, pkt.dstPort]).toEqual([s.sport, s.dport]);
        expect([pkt.payloadLen, pkt.payloadCaptured]).toEqual([s.payload.length, s.payload.length]);
        expect(Buffer.from(frame.subarray(pkt.payloadOffset, pkt.payloadOffset + pkt.payloadLen))).toEqual(
          Buffer.from(s.payload),
        );
        if (s.tcp) {
          expect([pkt.seq >>> 0, pkt.ack >>> 0, pkt.window, pkt.tcpFlags]).toEqual([
            s.seq,
            s.ack,
            s.window,
            flagBits(s.flags),
          ]);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("every prefix that cuts a header is a named anomaly; a cut payload is a short capture, not an error", () => {
    const pkt = new Packet();
    fc.assert(
      fc.property(frameSpec, (s) => {
        const { frame } = build(s);
        const headers = frame.length - s.payload.length;
        // Each prefix is checked; the wrong ones are collected and compared once
        // per frame (an expect per prefix cost more than the decoding).
        const wrong: string[] = [];
        for (let len = 0; len < frame.length; len++) {
          const code = decodeFrame(1, frame, 0, len, pkt);
          const name = ANOMALY_NAMES[code] ?? `code ${code}`;
          if (len < headers) {
            if (code === Anomaly.OK) wrong.push(`prefix ${len} of ${headers} header bytes decodes`);
            else if (!/^[a-z0-9]+(\.[a-z0-9_]+)+$/.test(name))
              wrong.push(`prefix ${len}: unnamed anomaly ${name}`);
          } else if (code !== Anomaly.OK) {
            wrong.push(`prefix ${len} (payload cut) is ${name}`);
          } else if (pkt.payloadLen !== s.payload.length || pkt.payloadCaptured !== len - headers) {
            wrong.push(
              `prefix ${len}: payload ${pkt.payloadLen}/${pkt.payloadCaptured}, not ${s.payload.length}/${len - headers}`,
            );
          }
        }
        expect(wrong).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});
