/**
 * gzip decompression (RFC 1952) that keeps every byte decoded before a fault
 * and says where in the compressed file the fault is.
 *
 * Contracts:
 * - Members (RFC 1952 §2.2) are parsed here: the header (§2.3.1: magic, CM 8,
 *   FLG with FEXTRA/FNAME/FCOMMENT/FHCRC), the deflate body (RFC 1951), and
 *   the trailer's CRC-32 and ISIZE, which are checked. Concatenated members
 *   decompress as one stream, as gzip(1) does.
 * - The deflate body goes through pako's port of zlib, driven at its low
 *   level: after a data error, the output zlib wrote before it is still in
 *   our buffer, and `next_in` is the compressed offset of the fault. Node's
 *   zlib discards both when it reports an error.
 * - Faults never throw. A bad CRC or length, and bytes after the last member
 *   ("trailing garbage" to gzip(1)), are reported with everything delivered;
 *   corrupt deflate data and a cut stream stop decoding after delivering all
 *   output before them. The caller decides what is fatal.
 * - Memory is bounded: one output buffer, the source's current chunk, and a
 *   header of at most MAX_HEADER bytes. Each yielded chunk is a view of the
 *   reused output buffer, valid until the next one is asked for.
 */
import { crc32 } from "node:zlib";
import {
  Z_BUF_ERROR,
  Z_NO_FLUSH,
  Z_OK,
  Z_STREAM_END,
  ZStream,
  zlibInflate,
  zlibInflateEnd,
  zlibInflateInit2,
} from "pako";
import { unzeroed } from "./window.js";

export type GzipFaultCode =
  | "truncated_gzip"
  | "corrupt_gzip"
  | "gzip_crc_mismatch"
  | "gzip_length_mismatch"
  | "gzip_trailing_data";

export interface GzipFault {
  code: GzipFaultCode;
  /** Offset in the compressed file where the fault was found. */
  compressedOffset: number;
  /** Decompressed bytes delivered before it. */
  decompressedOffset: number;
  message: string;
  /** True when decoding stopped here: output past this point is missing. */
  stopped: boolean;
}

const OUT_LEN = 1 << 20;
/** FNAME and FCOMMENT are zero-terminated and unbounded in RFC 1952; a real one is a file name. */
const MAX_HEADER = 1 << 16;

const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const FRESERVED = 0xe0;

export class Gunzip {
  readonly faults: GzipFault[] = [];
  /** Compressed bytes taken from the source so far. */
  compressedRead = 0;
  /** Decompressed bytes delivered so far. */
  decompressed = 0;

  /** Unconsumed input is buf[pos..]; `base` is the compressed offset of buf[0]. */
  private buf: Uint8Array;
  private pos = 0;
  private base = 0;
  private sourceDone = false;
  /** Inflate's output space: only the bytes inflate wrote are handed on. */
  private readonly out = unzeroed(OUT_LEN);

  constructor(
    first: Uint8Array,
    private readonly next: () => Promise<Uint8Array | null>,
    sourceDone = false,
  ) {
    this.buf = first;
    this.compressedRead = first.length;
    this.sourceDone = sourceDone;
  }

  /** The decompressed stream, chunk by chunk. */
  async *chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    let member = 0;
    for (;;) {
      const memberStart = this.offset;
      const header = await this.readHeader(member === 0);
      if (header === "end") return;
      if (header !== "ok") {
        this.fault(header.code, memberStart + header.at, header.message, true);
        return;
      }
      const strm = new ZStream();
      zlibInflateInit2(strm, -15);
      strm.output = this.out;
      strm.next_out = 0;
      strm.avail_out = OUT_LEN;
      let crc = 0;
      let size = 0;
      for (;;) {
        strm.input = this.buf;
        strm.next_in = this.pos;
        strm.avail_in = this.buf.length - this.pos;
        const status = zlibInflate(strm, Z_NO_FLUSH);
        this.pos = strm.next_in;
        const inputUsed = this.pos === this.buf.length;
        if (strm.next_out > 0 && (strm.avail_out === 0 || status !== Z_OK || inputUsed)) {
          const chunk = this.out.subarray(0, strm.next_out);
          crc = crc32(chunk, crc);
          size += chunk.length;
          this.decompressed += chunk.length;
          strm.next_out = 0;
          strm.avail_out = OUT_LEN;
          yield chunk;
        }
        if (status === Z_STREAM_END) break;
        // Z_BUF_ERROR means "no progress possible", which is only right when
        // the input ran out (there is always room for output here); with input
        // left it would loop forever, so it counts as corrupt data.
        if (status !== Z_OK && !(status === Z_BUF_ERROR && inputUsed)) {
          zlibInflateEnd(strm);
          this.fault(
            "corrupt_gzip",
            this.offset,
            `corrupt gzip data (${strm.msg || `inflate status ${status}`}) at compressed byte ${this.offset}`,
            true,
          );
          return;
        }
        if (inputUsed && !(await this.pull())) {
          zlibInflateEnd(strm);
          this.fault(
            "truncated_gzip",
            this.offset,
            `gzip stream cut short at compressed byte ${this.offset}, inside member ${member + 1}'s deflate data`,
            true,
          );
          return;
        }
      }
      zlibInflateEnd(strm);
      // RFC 1952 §2.3.1: CRC32 then ISIZE (length mod 2^32), both little-endian.
      if (!(await this.ensure(8))) {
        this.fault(
          "truncated_gzip",
          this.offset,
          `gzip stream ends at compressed byte ${this.base + this.buf.length} inside member ${member + 1}'s 8-byte trailer; its data was decompressed in full but could not be checked`,
          false,
        );
        return;
      }
      const trailerAt = this.offset;
      const wantCrc = this.u32(this.pos);
      const wantSize = this.u32(this.pos + 4);
      this.pos += 8;
      if (wantCrc !== crc >>> 0) {
        this.fault(
          "gzip_crc_mismatch",
          trailerAt,
          `gzip member ${member + 1}: CRC-32 in the trailer at compressed byte ${trailerAt} is ${hex(wantCrc)}, the data's is ${hex(crc >>> 0)}; every decompressed byte was read`,
          false,
        );
      }
      if (wantSize !== size % 2 ** 32) {
        this.fault(
          "gzip_length_mismatch",
          trailerAt + 4,
          `gzip member ${member + 1}: the trailer at compressed byte ${trailerAt} gives a length of ${wantSize} bytes (mod 2^32), the data is ${size}; every decompressed byte was read`,
          false,
        );
      }
      member++;
      if (!(await this.ensure(1))) return;
      if ((await this.ensure(2)) && this.buf[this.pos] === 0x1f && this.buf[this.pos + 1] === 0x8b) continue;
      await this.trailing();
      return;
    }
  }

  /** Compressed offset of the next unconsumed byte. */
  private get offset(): number {
    return this.base + this.pos;
  }

  private fault(code: GzipFaultCode, at: number, message: string, stopped: boolean): void {
    this.faults.push({ code, compressedOffset: at, decompressedOffset: this.decompressed, message, stopped });
  }

  private u32(at: number): number {
    const b = this.buf;
    return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
  }

  /** Takes the next source chunk, keeping the unconsumed bytes; false at the end of the source. */
  private async pull(): Promise<boolean> {
    if (this.sourceDone) return false;
    const chunk = await this.next();
    if (chunk === null) {
      this.sourceDone = true;
      return false;
    }
    this.compressedRead += chunk.length;
    const left = this.buf.length - this.pos;
    if (left === 0) {
      this.base += this.buf.length;
      this.buf = chunk;
    } else {
      const joined = new Uint8Array(left + chunk.length);
      joined.set(this.buf.subarray(this.pos), 0);
      joined.set(chunk, left);
      this.base += this.pos;
      this.buf = joined;
    }
    this.pos = 0;
    return true;
  }

  /** True once at least `n` unconsumed bytes are buffered; false if the source ends first. */
  private async ensure(n: number): Promise<boolean> {
    while (this.buf.length - this.pos < n) if (!(await this.pull())) return false;
    return true;
  }

  /**
   * Parses one member header and consumes it. "end" only for a clean end
   * before a member (never for the first). Offsets in faults are relative to
   * the member's start.
   */
  private async readHeader(
    first: boolean,
  ): Promise<"ok" | "end" | { code: GzipFaultCode; at: number; message: string }> {
    if (!first && !(await this.ensure(1))) return "end";
    const cut = (what: string) => ({
      code: "truncated_gzip" as const,
      at: this.buf.length - this.pos,
      message: `gzip stream ends inside a member header (${what}) at compressed byte ${this.base + this.buf.length}`,
    });
    if (!(await this.ensure(10))) return cut("10-byte fixed part");
    const b = this.buf;
    const p = this.pos;
    if (b[p] !== 0x1f || b[p + 1] !== 0x8b) {
      return { code: "corrupt_gzip", at: 0, message: `no gzip magic at compressed byte ${this.offset}` };
    }
    if (b[p + 2] !== 8) {
      return {
        code: "corrupt_gzip",
        at: 2,
        message: `gzip compression method ${b[p + 2]} at compressed byte ${this.offset + 2} is not deflate (8)`,
      };
    }
    const flags = b[p + 3]!;
    if ((flags & FRESERVED) !== 0) {
      return {
        code: "corrupt_gzip",
        at: 3,
        message: `gzip header at compressed byte ${this.offset} sets reserved flag bits (${hex(flags, 2)})`,
      };
    }
    let len = 10;
    if ((flags & FEXTRA) !== 0) {
      if (!(await this.ensure(len + 2))) return cut("FEXTRA length");
      const xlen = this.buf[this.pos + len]! | (this.buf[this.pos + len + 1]! << 8);
      len += 2 + xlen;
      if (!(await this.ensure(len))) return cut("FEXTRA field");
    }
    for (const flag of [FNAME, FCOMMENT]) {
      if ((flags & flag) === 0) continue;
      for (;;) {
        const at = this.buf.indexOf(0, this.pos + len);
        if (at >= 0) {
          len = at - this.pos + 1;
          break;
        }
        len = this.buf.length - this.pos;
        if (len > MAX_HEADER) {
          return {
            code: "corrupt_gzip",
            at: 0,
            message: `gzip header at compressed byte ${this.offset} has a ${flag === FNAME ? "file name" : "comment"} over ${MAX_HEADER} bytes`,
          };
        }
        if (!(await this.pull())) return cut(flag === FNAME ? "file name" : "comment");
      }
    }
    if ((flags & FHCRC) !== 0) {
      if (!(await this.ensure(len + 2))) return cut("header CRC-16");
      const want = this.buf[this.pos + len]! | (this.buf[this.pos + len + 1]! << 8);
      const got = crc32(this.buf.subarray(this.pos, this.pos + len)) & 0xffff;
      if (want !== got) {
        this.fault(
          "gzip_crc_mismatch",
          this.offset + len,
          `gzip header CRC-16 at compressed byte ${this.offset + len} is ${hex(want, 4)}, the header's is ${hex(got, 4)}; decompressing anyway`,
          false,
        );
      }
      len += 2;
    }
    this.pos += len;
    return "ok";
  }

  /**
   * Counts the bytes after the last member. gzip(1) ignores them with a
   * warning ("trailing garbage ignored"), and zero padding silently.
   */
  private async trailing(): Promise<void> {
    const at = this.offset;
    let count = 0;
    let zeros = true;
    for (;;) {
      const rest = this.buf.subarray(this.pos);
      count += rest.length;
      if (zeros) for (const byte of rest) if (byte !== 0) zeros = false;
      this.pos = this.buf.length;
      if (!(await this.pull())) break;
    }
    if (zeros) return;
    this.fault(
      "gzip_trailing_data",
      at,
      `${count} bytes after the last gzip member, at compressed byte ${at}, are not gzip data and were ignored (gzip calls this trailing garbage)`,
      false,
    );
  }
}

function hex(n: number, digits = 8): string {
  return `0x${n.toString(16).padStart(digits, "0")}`;
}
