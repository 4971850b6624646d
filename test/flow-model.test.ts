/**
 * A model test of the flow table (issue 13, item 6): random packet
 * sequences go through decode and the real FlowTable, and through a plain
 * Map keyed by the direction-free 5-tuple. Both must find the same flows,
 * with the same packet and byte counts and the same first and last times.
 *
 * The sequences stay inside what the reference can model without Zeek's
 * rules: TCP segments without SYN, FIN or RST (no connection ends or 5-tuple
 * reuse), UDP, IPv4 and IPv6, and gaps far below the idle timeouts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ip, tcpHeader, udpDatagram } from "../fixtures/lib/packets.js";
import { decodeFrame } from "../src/decode/frame.js";
import { Packet } from "../src/decode/packet.js";
import { FlowTable } from "../src/flow/table.js";
import { wordsText } from "../src/format.js";

const HOSTS = ["10.1.0.20", "10.1.0.21", "10.0.0.10", "2001:db8::1", "2001:db8::2"];
const PORTS = [443, 3478, 5061, 50000, 50001];

interface Counted {
  packets: number;
  bytes: number;
  first: number;
  last: number;
}

const packet = fc.record({
  a: fc.nat(HOSTS.length - 1),
  b: fc.nat(HOSTS.length - 1),
  sport: fc.constantFrom(...PORTS),
  dport: fc.constantFrom(...PORTS),
  tcp: fc.boolean(),
  payload: fc.nat(40),
  gap: fc.nat(2_000_000),
});

/** Same family for both ends: IPv4 with IPv4, IPv6 with IPv6. */
function endpoints(a: number, b: number): [string, string] {
  const v6 = (i: number) => HOSTS[i]!.includes(":");
  const src = HOSTS[a]!;
  let dst = HOSTS[b]!;
  if (v6(a) !== v6(b)) dst = v6(a) ? "2001:db8::2" : "10.0.0.10";
  return [src, dst];
}

const key = (proto: string, x: string, xp: number, y: string, yp: number) =>
  `${x}/${xp}` < `${y}/${yp}` ? `${proto} ${x}/${xp} ${y}/${yp}` : `${proto} ${y}/${yp} ${x}/${xp}`;

describe("flow table against a Map of 5-tuples", () => {
  it("finds the same flows, packets, bytes, first and last times (1,000 random sequences)", () => {
    fc.assert(
      fc.property(fc.array(packet, { minLength: 1, maxLength: 60 }), (packets) => {
        const reference = new Map<string, Counted>();
        const found = new Map<string, Counted>();
        const table = new FlowTable({
          likelyServerPort: (proto, port) => proto === 6 && port === 5061,
          onFinal: (f) => {
            const words = (orig: boolean) => [0, 1, 2, 3].map((w) => f.addrWord(orig, w));
            const k = key(
              f.ipProto === 6 ? "tcp" : "udp",
              wordsText(f.family, words(true)),
              f.origPort,
              wordsText(f.family, words(false)),
              f.respPort,
            );
            // A flow that ended and came back would be two flows: the reference would be wrong.
            expect(found.has(k)).toBe(false);
            found.set(k, {
              packets: f.origPackets + f.respPackets,
              bytes: f.origBytes + f.respBytes,
              first: f.first,
              last: f.last,
            });
          },
        });
        const pkt = new Packet();
        let ts = 1_700_000_000_000_000;
        packets.forEach((p, i) => {
          const [src, dst] = endpoints(p.a, p.b);
          const payload = new Uint8Array(p.payload).fill(0x41);
          const seg = p.tcp
            ? tcpHeader({ sport: p.sport, dport: p.dport, seq: 1000 + i, ack: 1, flags: "A", payload })
            : udpDatagram(p.sport, p.dport, payload);
          const frame = ip(src, dst, p.tcp ? 6 : 17, seg);
          ts += p.gap;
          expect(decodeFrame(1, frame, 0, frame.length, pkt)).toBe(0);
          table.add(pkt, {
            buf: frame,
            tsMicros: ts,
            wireLen: frame.length,
            index: i + 1,
            fileOffset: 0,
            process: -1,
          });
          const k = key(p.tcp ? "tcp" : "udp", src, p.sport, dst, p.dport);
          const r = reference.get(k);
          if (r === undefined) reference.set(k, { packets: 1, bytes: frame.length, first: ts, last: ts });
          else {
            r.packets++;
            r.bytes += frame.length;
            r.last = ts;
          }
        });
        table.finish();
        expect(new Map([...found].sort())).toEqual(new Map([...reference].sort()));
      }),
      { numRuns: 1000 },
    );
  });
});
