/**
 * Packets of a flow that the capturing host reported dropping (Windows
 * pktmon's drop events, eBPF drop verdicts in pcapng, a drop-only export):
 * counted per side, with the first one's frame, reason and direction. Kept
 * only for flows that have such a packet, and forgotten when the flow ends.
 */

/** What the capture said about a flow's dropped packets, by table side (lo/hi), not yet by originator. */
export interface RowDrops {
  lo: number;
  hi: number;
  firstFrame: number;
  /** The first drop's reason, as the capture gave it. */
  reason: string;
  /** The first drop's direction at the capturing host: 0 not given, 1 inbound, 2 outbound. */
  direction: number;
}

/** The same, in originator/responder terms (the flow view's `drop`). */
export interface FlowDrop {
  origPackets: number;
  respPackets: number;
  firstFrame: number;
  reason: string;
  direction: number;
}

export class Drops {
  private readonly byRow = new Map<number, RowDrops>();

  note(row: number, fromLo: boolean, frameIndex: number, reason: string, direction: number): void {
    let d = this.byRow.get(row);
    if (d === undefined) {
      d = { lo: 0, hi: 0, firstFrame: frameIndex, reason, direction };
      this.byRow.set(row, d);
    }
    if (fromLo) d.lo++;
    else d.hi++;
  }

  of(row: number): RowDrops | null {
    return this.byRow.get(row) ?? null;
  }

  delete(row: number): void {
    this.byRow.delete(row);
  }
}
