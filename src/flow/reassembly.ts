/**
 * Bounded in-order reassembly of the start of a TCP direction (issue 17,
 * item 1): the first `cap` bytes of a stream, from its first payload byte,
 * whatever order the segments arrive in. Used only for flows whose first
 * payload is TLS, and released when the handshake is over or the flow ends.
 *
 * Nothing is copied that need not be: a reader that consumes whole records
 * straight from an in-order segment (`inOrder`, then `skip`) leaves the
 * buffer empty, and only a record cut by a segment boundary, or a segment
 * that came early, is copied. The buffer holds stream bytes from `origin`
 * on; bytes before it were consumed and are dropped.
 *
 * Memory is bounded twice: each stream's buffer starts small and doubles up
 * to `cap` (64 KiB by default), and all streams together may hold at most
 * `budget` bytes (64 MiB by default); a stream that would pass it stops
 * growing and is marked starved, and the analysis says so (a named warning).
 * Bytes are copied out of the frame (a frame's bytes live only until the
 * next frame); sequence numbers wrap as RFC 9293 §3.4 says.
 */

export const DEFAULT_REASSEMBLY_BYTES = 65_536;
export const DEFAULT_REASSEMBLY_BUDGET = 64 << 20;
const FIRST_SIZE = 2048;
/** Out-of-order pieces waiting for the gap before them (beyond this, later ones are dropped). */
const MAX_PENDING = 32;

const EMPTY = new Uint8Array(0);

/** One direction's stream start. */
export class StreamStart {
  /** Stream bytes [origin, origin + buf.length); bytes before `origin` were consumed. */
  buf: Uint8Array = EMPTY;
  origin = 0;
  /** Bytes in order from the stream's first byte (those before `origin` no longer held). */
  len = 0;
  /** Reached `cap` (its bytes still readable), or starved or released: no more bytes will come. */
  closed = false;
  /** Stopped by the global budget rather than by its own cap. */
  starved = false;
  /** Pieces past a gap: flat [start, end) pairs of stream offsets, sorted by start. */
  readonly pending: number[] = [];
  constructor(
    /** The sequence number of byte 0. */
    readonly base: number,
  ) {}

  /** The byte at stream offset `at` (at least `origin`, below `len`). */
  at(at: number): number {
    return this.buf[at - this.origin]!;
  }
}

export class Reassembler {
  /** Bytes held by all open streams' buffers. */
  private used = 0;
  /** Streams the budget starved, and the byte offset of the frame that first hit it (-1: never). */
  readonly starved = { streams: 0, firstOffset: -1 };
  /** Streams that stopped at a segment the capture cut short (snapshot length), and the first such frame. */
  readonly cut = { streams: 0, firstOffset: -1 };

  constructor(
    readonly cap = DEFAULT_REASSEMBLY_BYTES,
    readonly budget = DEFAULT_REASSEMBLY_BUDGET,
  ) {}

  /** A stream stopped at a segment the capture cut short: counted for the warning. */
  noteCut(fileOffset: number): void {
    this.cut.streams++;
    if (this.cut.firstOffset < 0) this.cut.firstOffset = fileOffset;
  }

  /** A stream whose first byte has sequence number `base`. */
  open(base: number): StreamStart {
    return new StreamStart(base >>> 0);
  }

  /**
   * The stream offset of a segment with sequence number `seq` when it comes
   * exactly where the stream's in-order bytes end and nothing is held: its
   * bytes can then be read where they are. -1 otherwise.
   */
  inOrder(s: StreamStart, seq: number): number {
    if (s.closed || s.pending.length > 0 || s.len !== s.origin) return -1;
    const rel = ((seq >>> 0) - s.base) | 0;
    return rel === s.len && rel < this.cap ? rel : -1;
  }

  /** The reader consumed the stream up to offset `to` straight from a segment: nothing is held before it. */
  skip(s: StreamStart, to: number): void {
    s.len = Math.min(to, this.cap);
    s.origin = s.len;
    if (s.len >= this.cap) s.closed = true;
  }

  /** The reader consumed everything up to offset `to`: drop those bytes (the buffer is kept for what follows). */
  consumed(s: StreamStart, to: number): void {
    if (to < s.len || s.pending.length > 0) return;
    s.origin = s.len;
  }

  /**
   * Adds `len` payload bytes at `buf[off]` with sequence number `seq`.
   * Returns whether the in-order length grew. `fileOffset` names the frame
   * in the warning when the budget runs out.
   */
  add(s: StreamStart, seq: number, buf: Uint8Array, off: number, len: number, fileOffset: number): boolean {
    if (s.closed || len <= 0) return false;
    let rel = ((seq >>> 0) - s.base) | 0;
    if (rel < s.origin) {
      // Reaches back before what is held (a retransmission): keep the part from there on.
      if (rel + len <= s.origin) return false;
      off += s.origin - rel;
      len -= s.origin - rel;
      rel = s.origin;
    }
    if (rel >= this.cap) return false;
    const end = Math.min(rel + len, this.cap);
    if (end <= s.len) return false;
    if (!this.room(s, end, fileOffset)) return false;
    this.write(s, buf, off, rel, end);
    if (rel > s.len) {
      this.remember(s, rel, end);
      return false;
    }
    s.len = end;
    // Pieces that the new bytes reach join the in-order run.
    const p = s.pending;
    let k = 0;
    while (k < p.length && p[k]! <= s.len) {
      if (p[k + 1]! > s.len) s.len = p[k + 1]!;
      k += 2;
    }
    if (k > 0) p.splice(0, k);
    // Full: no more bytes are taken, but what it holds stays readable until `close`.
    if (s.len >= this.cap) s.closed = true;
    return true;
  }

  /**
   * Copies the segment's bytes [rel, end) that the stream does not hold yet: bytes already held,
   * in order or in a waiting piece, keep their first copy (as Wireshark's reassembly does), so an
   * overlapping segment with other bytes changes nothing already read or waiting.
   */
  private write(s: StreamStart, buf: Uint8Array, off: number, rel: number, end: number): void {
    let from = Math.max(rel, s.len);
    const p = s.pending;
    for (let k = 0; k < p.length && from < end; k += 2) {
      const a = p[k]!;
      const b = p[k + 1]!;
      if (b <= from) continue;
      if (a >= end) break;
      if (a > from) s.buf.set(buf.subarray(off + (from - rel), off + (a - rel)), from - s.origin);
      from = Math.max(from, b);
    }
    if (from < end) s.buf.set(buf.subarray(off + (from - rel), off + (end - rel)), from - s.origin);
  }

  /** Frees the stream's buffer (the handshake is over, or the flow ended): it then holds nothing. */
  close(s: StreamStart): void {
    this.used -= s.buf.length;
    s.closed = true;
    s.buf = EMPTY;
    s.origin = s.len;
    s.pending.length = 0;
  }

  /** Makes `s.buf` hold stream bytes up to `end`; false (and the stream starved) when the budget says no. */
  private room(s: StreamStart, end: number, fileOffset: number): boolean {
    const need = end - s.origin;
    if (need <= s.buf.length) return true;
    let size = Math.max(FIRST_SIZE, s.buf.length);
    while (size < need) size *= 2;
    size = Math.min(size, this.cap);
    if (this.used + size - s.buf.length > this.budget) {
      s.starved = true;
      this.starved.streams++;
      if (this.starved.firstOffset < 0) this.starved.firstOffset = fileOffset;
      this.close(s);
      return false;
    }
    const grown = new Uint8Array(size);
    grown.set(s.buf.subarray(0, Math.max(s.len, this.highestPending(s)) - s.origin));
    this.used += size - s.buf.length;
    s.buf = grown;
    return true;
  }

  private highestPending(s: StreamStart): number {
    let hi = s.origin;
    for (let k = 1; k < s.pending.length; k += 2) hi = Math.max(hi, s.pending[k]!);
    return hi;
  }

  /** Records [start, end) past the gap, merged with its neighbours. */
  private remember(s: StreamStart, start: number, end: number): void {
    const p = s.pending;
    let k = 0;
    while (k < p.length && p[k]! < start) k += 2;
    p.splice(k, 0, start, end);
    // Merge overlapping or touching neighbours.
    const merged: number[] = [];
    for (let i = 0; i < p.length; i += 2) {
      const a = p[i]!;
      const b = p[i + 1]!;
      const last = merged.length - 1;
      if (merged.length > 0 && a <= merged[last]!) merged[last] = Math.max(merged[last]!, b);
      else merged.push(a, b);
    }
    p.length = 0;
    for (let i = 0; i < merged.length && i < MAX_PENDING * 2; i++) p.push(merged[i]!);
  }
}
