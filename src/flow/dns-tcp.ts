/**
 * DNS over TCP (RFC 1035 §4.2.2, RFC 7766 §8): each direction's stream start
 * is reassembled in order (reassembly.ts, under the budget TLS shares), and
 * every whole length-prefixed message in it goes to `onMessage`, however the
 * segments cut the messages: a length alone in its segment, a message split
 * over several, two messages in one. A direction is read up to the
 * reassembler's cap (64 KiB: a client's lookups, not a zone transfer), and
 * not past a segment the capture's snapshot length cut.
 */
import { u16 } from "../decode/bytes.js";
import type { Reassembler, StreamStart } from "./reassembly.js";

/** A message at `buf[start, end)`: its 2-byte length, then the message. */
export type DnsTcpMessage = (buf: Uint8Array, start: number, end: number) => void;

interface Side {
  stream: StreamStart;
  /** The stream offset where the next message's length starts. */
  next: number;
  stopped: boolean;
}

export class DnsTcpStreams {
  private readonly byRow = new Map<number, (Side | null)[]>();

  constructor(
    private readonly reassembler: Reassembler,
    private readonly onMessage: DnsTcpMessage,
  ) {}

  /** Bytes `buf[off, off + len)` of side `side` with sequence number `seq`; the side's first byte is `base`. */
  note(
    row: number,
    side: 0 | 1,
    base: number,
    seq: number,
    buf: Uint8Array,
    off: number,
    len: number,
    fileOffset: number,
    missing: number,
  ): void {
    let sides = this.byRow.get(row);
    if (sides === undefined) {
      sides = [null, null];
      this.byRow.set(row, sides);
    }
    let s = sides[side] ?? null;
    if (s === null) {
      s = { stream: this.reassembler.open(base), next: 0, stopped: false };
      sides[side] = s;
    }
    if (s.stopped) return;
    const r = this.reassembler;
    const stream = s.stream;
    if (r.inOrder(stream, seq) === s.next) {
      // The segment continues the stream and nothing waits: whole messages are read in place,
      // and only a message cut at the segment's end is copied.
      const end = Math.min(off + len, off + r.cap - s.next);
      const used = this.messages(buf, off, end);
      s.next += used;
      r.skip(stream, s.next);
      if (used < len) r.add(stream, (seq + used) >>> 0, buf, off + used, len - used, fileOffset);
    } else if (r.add(stream, seq, buf, off, len, fileOffset)) {
      s.next += this.messages(stream.buf, s.next - stream.origin, stream.len - stream.origin);
      r.consumed(stream, s.next);
    }
    if (stream.closed || missing > 0) {
      // Full, starved, or cut by the snapshot length: no more of this side can be read.
      s.stopped = true;
      r.close(stream);
    }
  }

  /** Reads the whole messages in `buf[start, end)`; returns the bytes they take. */
  private messages(buf: Uint8Array, start: number, end: number): number {
    let p = start;
    while (p + 2 <= end) {
      const next = p + 2 + u16(buf, p);
      if (next > end) break;
      this.onMessage(buf, p, next);
      p = next;
    }
    return p - start;
  }

  /** Forgets a flow's streams (it ended), releasing their buffers. */
  delete(row: number): void {
    const sides = this.byRow.get(row);
    if (sides === undefined) return;
    for (const s of sides) if (s !== null && !s.stopped) this.reassembler.close(s.stream);
    this.byRow.delete(row);
  }
}
