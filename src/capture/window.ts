/**
 * The byte window every capture reader parses from.
 *
 * Contracts:
 * - The window is allocated once: chunk size + the largest unit (record or
 *   block) a reader accepts + slack. Memory does not grow with the file.
 * - Input arrives either copied in (`push`, any chunk size) or read straight
 *   into the free tail (`writable` + `commit`). Parsing does not depend on
 *   how the input was chunked.
 * - A subclass's `parse()` consumes whole units from `[start, end)` and
 *   returns; unconsumed bytes move to the front before the next write.
 */
import type { CaptureWarning } from "./types.js";

export const DEFAULT_CHUNK_LEN = 1 << 20;

export abstract class WindowedReader {
  readonly warnings: CaptureWarning[] = [];
  /** Frames delivered so far. */
  frames = 0;

  protected readonly win: Uint8Array;
  protected readonly view: DataView;
  protected start = 0;
  protected end = 0;
  /** Stream offset of win[0]. */
  protected base = 0;

  constructor(unitMax: number, chunkLen: number = DEFAULT_CHUNK_LEN) {
    this.win = unzeroed(chunkLen + unitMax + 64);
    this.view = new DataView(this.win.buffer, this.win.byteOffset, this.win.byteLength);
  }

  /** Stream offset of the first unconsumed byte. */
  get offset(): number {
    return this.base + this.start;
  }

  /** Free space at the end of the window after compacting; write there, then `commit`. */
  writable(): { buf: Uint8Array; offset: number; length: number } {
    this.compact();
    return { buf: this.win, offset: this.end, length: this.win.length - this.end };
  }

  /** Declares `n` bytes written at the offset `writable()` returned, and parses them. */
  commit(n: number): void {
    this.end += n;
    this.parse();
  }

  /** Copies a chunk of any size in and parses it. */
  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      const span = this.writable();
      const n = Math.min(span.length, chunk.length - at);
      this.win.set(chunk.subarray(at, at + n), span.offset);
      at += n;
      this.commit(n);
    }
  }

  /** Signals end of input: throws if nothing usable was read, warns about a cut tail. */
  abstract finish(): void;

  protected abstract parse(): void;

  protected compact(): void {
    if (this.start === 0) return;
    if (this.start < this.end) this.win.copyWithin(0, this.start, this.end);
    this.base += this.start;
    this.end -= this.start;
    this.start = 0;
  }
}

/**
 * A plain Uint8Array of `n` bytes that are not zero-filled, for buffers of
 * which only bytes written since allocation are read (windows, inflate
 * output). A zeroed megabyte costs about ten times as much to allocate,
 * which counts in batches of many small captures. Not a Buffer: a Buffer's
 * `slice` would be a view where callers expect a copy.
 */
export function unzeroed(n: number): Uint8Array<ArrayBuffer> {
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/** Names what a stream starts with when no reader knows it. */
export function describeMagic(head: Uint8Array): string {
  const hex = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
  return `not a capture file: unknown magic number ${hex} (expected pcap, pcapng or Network Monitor, or pcap or pcapng gzip-compressed)`;
}
