/**
 * Input filters (`--host`, `--net`, `--port`, `--transport`, `--since`,
 * `--until`): which decoded packets enter the flow table, so memory follows
 * the traffic kept. Every packet of a flow shares its addresses, ports and
 * transport, so the address, port and transport tests keep or drop whole
 * flows; the time window keeps the packets inside it. An ICMP destination
 * unreachable is judged by the packet it quotes (the evidence about a kept
 * flow stays), and a later IP fragment, which carries no ports, by its
 * addresses and then by its datagram (analyze.ts leaves it out when its first
 * fragment was). Tests run on the decoder's numbers: no allocation per packet.
 */

import { IPPROTO_TCP, IPPROTO_UDP } from "../decode/constants.js";
import type { Packet } from "../decode/packet.js";

/** An address or network: its family, and four 32-bit words and masks (IPv4 uses word 3). */
export interface NetSpec {
  family: 4 | 6;
  words: readonly [number, number, number, number];
  masks: readonly [number, number, number, number];
}

export interface InputFilterSpec {
  /** Hosts and networks (`--host`, `--net`): a packet is kept when either end is in one. */
  nets: readonly NetSpec[];
  /** `--port`: either end's port. */
  ports: readonly number[];
  /** `--transport`: an IP protocol number (6 or 17). */
  transport: number | null;
  /** `--since` and `--until`: microseconds since the epoch, or from the first packet. */
  since: { micros: number; relative: boolean } | null;
  until: { micros: number; relative: boolean } | null;
  /** The options as given, for the report. */
  description: string;
}

export class InputFilter {
  /** Packets and bytes (on the wire) left out. */
  packetsOut = 0;
  bytesOut = 0;
  private readonly ports: Set<number>;
  private first = Number.NaN;

  /** Whether ports or the transport are asked for: later fragments, which carry neither, follow their first. */
  readonly judgesPorts: boolean;

  constructor(readonly spec: InputFilterSpec) {
    this.ports = new Set(spec.ports);
    this.judgesPorts = spec.ports.length > 0 || spec.transport !== null;
  }

  /** Counts a packet left out after the fact (a later fragment whose datagram was left out). */
  leaveOut(wireLen: number): void {
    this.packetsOut++;
    this.bytesOut += wireLen;
  }

  /** Whether the packet stays; counts it when it does not. `wireLen` is the frame's length on the wire. */
  keeps(p: Packet, tsMicros: number, wireLen: number): boolean {
    if (this.keepsPacket(p, tsMicros)) return true;
    this.packetsOut++;
    this.bytesOut += wireLen;
    return false;
  }

  private keepsPacket(p: Packet, ts: number): boolean {
    if (!this.inWindow(ts)) return false;
    const s = this.spec;
    if (p.quoted) {
      // An ICMP error: judged by what it quotes (its sender is a router, not an endpoint).
      if (s.transport !== null && p.qProto !== s.transport) return false;
      if (this.ports.size > 0 && !this.ports.has(p.qSrcPort) && !this.ports.has(p.qDstPort)) return false;
      return (
        s.nets.length === 0 ||
        this.inNets(p.qFamily, p.qs0, p.qs1, p.qs2, p.qs3) ||
        this.inNets(p.qFamily, p.qd0, p.qd1, p.qd2, p.qd3)
      );
    }
    if (s.transport !== null && p.ipProto !== s.transport && !p.laterFragment) return false;
    if (this.ports.size > 0 && !p.laterFragment) {
      const ported = p.ipProto === IPPROTO_TCP || p.ipProto === IPPROTO_UDP;
      if (!ported || (!this.ports.has(p.srcPort) && !this.ports.has(p.dstPort))) return false;
    }
    return (
      s.nets.length === 0 ||
      this.inNets(p.family, p.s0, p.s1, p.s2, p.s3) ||
      this.inNets(p.family, p.d0, p.d1, p.d2, p.d3)
    );
  }

  /**
   * Where a time window ends (microseconds since the epoch), or null: for the
   * classification, the capture ends there (an answer after it is not seen).
   */
  windowEnd(): number | null {
    const u = this.spec.until;
    if (u === null) return null;
    if (!u.relative) return u.micros;
    return Number.isNaN(this.first) ? null : this.first + u.micros;
  }

  private inWindow(ts: number): boolean {
    const s = this.spec;
    if (s.since === null && s.until === null) return true;
    // Relative times count from the capture's first packet, kept or not.
    if (Number.isNaN(this.first)) this.first = ts;
    if (s.since !== null && ts < (s.since.relative ? this.first + s.since.micros : s.since.micros))
      return false;
    if (s.until !== null && ts > (s.until.relative ? this.first + s.until.micros : s.until.micros))
      return false;
    return true;
  }

  private inNets(family: number, w0: number, w1: number, w2: number, w3: number): boolean {
    for (const n of this.spec.nets) {
      if (n.family !== family) continue;
      const [a, b, c, d] = n.words;
      const [ma, mb, mc, md] = n.masks;
      if ((w3 & md) === d && (w2 & mc) === c && (w1 & mb) === b && (w0 & ma) === a) return true;
    }
    return false;
  }
}
