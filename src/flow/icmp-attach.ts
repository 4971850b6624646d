/**
 * Packets that belong to a flow without carrying its ports: an ICMP error
 * (RFC 792, RFC 4443 §3) quoting a flow's packet becomes that flow's
 * evidence (one quoting no flow is kept per quoted port pair, to become its
 * own flow), and an IP fragment after the first (RFC 791) is counted toward
 * the first fragment's flow.
 */

import { IPPROTO_ICMPV6 } from "../decode/constants.js";
import type { Packet } from "../decode/packet.js";
import type { FragmentTracker } from "./fragments.js";
import { PayloadHooks } from "./payload-hooks.js";
import type { FrameStamp, IcmpEvidence, IcmpQuote } from "./types.js";

/** The first ICMP error of a kind for a flow: who sent it, its type and code, at `ts`. */
export function icmpEvidence(pkt: Packet, ts: number, quotesLo: boolean): IcmpEvidence {
  return {
    count: 1,
    v6: pkt.ipProto === IPPROTO_ICMPV6,
    type: pkt.icmpType,
    code: pkt.icmpCode,
    family: pkt.family,
    words: [pkt.s0, pkt.s1, pkt.s2, pkt.s3],
    first: ts,
    last: ts,
    quotesLo,
  };
}

export abstract class IcmpAttachment extends PayloadHooks {
  /** Open fragmented datagrams (the table\'s), for attributing later fragments. */
  protected abstract readonly fragments: FragmentTracker;
  protected readonly icmp = new Map<number, IcmpEvidence>();

  protected readonly icmpQuotes = new Map<number, IcmpQuote>();

  /** @internal */ rowIcmp(row: number): IcmpEvidence | null {
    return this.icmp.get(row) ?? null;
  }

  /** @internal */ rowIcmpQuote(row: number): IcmpQuote | null {
    return this.icmpQuotes.get(row) ?? null;
  }

  /** Attaches an ICMP unreachable to the flow its quoted packet belongs to; -1 when there is none. */
  protected attachIcmp(pkt: Packet, frame: FrameStamp): number {
    const ts = frame.tsMicros;
    const key = this.key.ofQuote(pkt);
    const lo = key.fromLo;
    const row = this.find(key);
    if (row < 0) return -1;
    const known = this.icmp.get(row);
    if (known) {
      known.count++;
      known.type = pkt.icmpType;
      known.code = pkt.icmpCode;
      known.last = ts;
    } else {
      this.icmp.set(row, icmpEvidence(pkt, ts, lo));
    }
    if (ts > this.last[row]!) this.last[row] = ts;
    return row;
  }

  /** An ICMP error that quotes no flow: remembered on its own ICMP flow (rare: allocates). */
  protected noteUnmatchedIcmp(row: number, pkt: Packet, ts: number): void {
    const known = this.icmpQuotes.get(row);
    if (known) {
      known.count++;
      known.last = ts;
      return;
    }
    this.icmpQuotes.set(row, {
      ...icmpEvidence(pkt, ts, true),
      proto: pkt.qProto,
      src: [pkt.qs0, pkt.qs1, pkt.qs2, pkt.qs3],
      srcPort: pkt.qSrcPort,
      dst: [pkt.qd0, pkt.qd1, pkt.qd2, pkt.qd3],
      dstPort: pkt.qDstPort,
    });
  }

  /** A fragment after the first: counted toward the first fragment's flow, in the same direction. */
  protected addLaterFragment(pkt: Packet, frame: FrameStamp): number {
    const ts = frame.tsMicros;
    const d = this.fragments.find(pkt, ts);
    if (d === null || !this.active[d.row] || this.serial[d.row] !== d.serial) return -1;
    const row = d.row;
    if (ts < this.first[row]!) this.first[row] = ts;
    if (ts > this.last[row]!) this.last[row] = ts;
    if (d.fromLo) {
      this.pktsLo[row] = this.pktsLo[row]! + 1;
      this.bytesLo[row] = this.bytesLo[row]! + frame.wireLen;
      this.ipBytesLo[row] = this.ipBytesLo[row]! + pkt.ipLen;
    } else {
      this.pktsHi[row] = this.pktsHi[row]! + 1;
      this.bytesHi[row] = this.bytesHi[row]! + frame.wireLen;
      this.ipBytesHi[row] = this.ipBytesHi[row]! + pkt.ipLen;
    }
    return row;
  }
}
