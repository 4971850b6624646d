/**
 * Reader for Microsoft Network Monitor 2.x capture files (`.cap`, magic
 * `GMBU`), read at offsets from a seekable file.
 *
 * Layout (all little-endian), as Wireshark's wiretap/netmon.c reads it:
 * - a 128-byte file header: version (minor, major), the media type, the
 *   capture start as a SYSTEMTIME, and the offset and length in bytes of the
 *   frame table; from 2.2 on also the process table's offset and count;
 * - the frame table, usually at the end: one u32 file offset per record, in
 *   frame order (records may be out of order or have gaps between them);
 * - each record: u64 signed microseconds since the start time, u32 wire
 *   length, u32 captured length, the data, then a trailer of 0 (2.0), 2
 *   (2.1: media type), 6 (2.2: + u32 process index) or 15 bytes (2.3+: + u64
 *   UTC FILETIME, which replaces start + delta, + u8 time zone index).
 *
 * Contracts:
 * - Memory is bounded: one window (chunk + the record cap), one block of the
 *   frame table at a time, and at most MAX_PROCESSES process entries.
 * - Frames are numbered as Wireshark numbers them: the payload-header,
 *   network-info and DNS-cache records (media 0xFFFC–0xFFFE) are not frames
 *   (counted in `hidden`); NetEvent, NetworkInfoEx and filter records are
 *   frames of a link type the decoder does not know (skipped by name).
 * - The 2.0–2.2 start time is the capturing machine's local time with no zone;
 *   it is taken as UTC (README "Supported input").
 * - Fatal problems throw CaptureError with the byte offset; a record or table
 *   cut short at the end of the file is a warning after the frames before it.
 */
import { type NetmonProcess, readProcesses } from "./netmon-process.js";
import { NETMON1_MAGIC, NETMON2_MAGIC } from "./sniff.js";
import { CaptureError, type CaptureWarning, type Frame, type FrameSink, reusedFrame } from "./types.js";
import { unzeroed } from "./window.js";

export const NETMON_HEADER_LEN = 128;
const RECORD_HEADER_LEN = 16;
/** Trailer bytes after a record's data, by minor version (2.3 and later: 15). */
const TRAILER_LEN = [0, 2, 6] as const;
const TRAILER_LEN_23 = 15;
const WINDOW_CHUNK = 1 << 20;
const TABLE_BLOCK_ENTRIES = 1 << 14;
/** 100 ns intervals from 1601-01-01 to 1970-01-01, in microseconds. */
const FILETIME_UNIX_EPOCH_MICROS = 11_644_473_600_000_000;

/**
 * Link types for records that are not network frames, above the 16-bit
 * LINKTYPE space, so the decoder counts them as a link type it does not know.
 */
export const NETMON_LINKTYPE_BASE = 0x1_0000;
const META_NAMES: Readonly<Record<number, string>> = {
  65504: "net_event",
  65531: "network_info_ex",
  65535: "filter",
  2: "token_ring",
  3: "fddi",
  4: "atm",
  5: "ieee1394",
  6: "802.11",
  10: "wireless_wan",
  11: "irda",
};
/** Records that Wireshark does not show as frames at all. */
const HIDDEN_NAMES: Readonly<Record<number, string>> = {
  65532: "payload_header",
  65533: "network_info",
  65534: "dns_cache",
};
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;

/** The name a link type from this reader goes by in reports, or null for a real LINKTYPE. */
export function netmonLinkTypeName(linkType: number): string | null {
  if (linkType < NETMON_LINKTYPE_BASE) return null;
  const media = linkType - NETMON_LINKTYPE_BASE;
  return `netmon.${META_NAMES[media] ?? `media_0x${media.toString(16).padStart(4, "0")}`}`;
}

/** The LINKTYPE of a Network Monitor media type (Wireshark's netmon_encap and the 0xE000 range). */
function linkTypeOf(media: number): number {
  if (media === 0 || media === 1) return LINKTYPE_ETHERNET; // 0: some NetMon 3.4 VPN captures
  if (media >= 7 && media <= 9) return LINKTYPE_RAW; // tunnel, wireless WAN, raw IP frames
  // 0xE000 | LINKTYPE: a pcap file converted by Network Monitor (0xE080–0xE08A are Message Analyzer's).
  if ((media & 0xf000) === 0xe000 && (media < 0xe080 || media > 0xe08a)) return media & 0x0fff;
  return NETMON_LINKTYPE_BASE + media;
}

/** Positional reads from a file (or a test's buffer). */
export type { NetmonProcess };

export interface RandomAccess {
  /** Reads up to `length` bytes at `position` into `into[offset…]`; returns the count (0 at the end). */
  read(into: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  readonly size: number;
}

export interface NetmonOptions {
  maxRecordLen?: number;
  onProcesses?: (processes: readonly NetmonProcess[]) => void;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  pause?: () => Promise<void> | undefined;
}

export class NetmonReader {
  readonly warnings: CaptureWarning[] = [];
  /** Times outside 1970 to 2^53 µs (year 2255) are clamped to that range and counted, as the pcapng reader does. */
  readonly anomalies = { caplen_exceeds_wirelen: 0, timestamp_out_of_range: 0 };
  /** Records that are not frames (Wireshark hides them too), by kind. */
  readonly hidden: Record<string, number> = {};
  /** The process table of a 2.2+ file; a frame's `process` indexes it. */
  processes: NetmonProcess[] = [];
  frames = 0;
  versionMinor = 0;
  private readonly seen = new Set<number>();

  get format(): string {
    return "netmon2";
  }

  linkTypes(): number[] {
    return [...this.seen];
  }

  /** Reads the whole file, handing each frame to `sink`. */
  async read(file: RandomAccess, sink: FrameSink, options: NetmonOptions = {}): Promise<void> {
    const max = options.maxRecordLen ?? 262_144;
    const win = unzeroed(WINDOW_CHUNK + max + RECORD_HEADER_LEN + TRAILER_LEN_23 + 64);
    const view = new DataView(win.buffer, win.byteOffset, win.byteLength);
    const size = file.size;
    const head = await readHeader(file);
    this.versionMinor = head.minor;
    if (head.minor >= 2 && head.processCount > 0) {
      this.processes = await readProcesses(file, head.processOffset, head.processCount, this.warnings);
      options.onProcesses?.(this.processes);
    }

    const trailer = head.minor >= 3 ? TRAILER_LEN_23 : TRAILER_LEN[head.minor as 0 | 1 | 2];
    const frame: Frame = reusedFrame(win);
    let winStart = 0;
    let winLen = 0;
    /** Makes [pos, pos + len) readable in the window; false when the file ends first. */
    const inWindow = (pos: number, len: number) => pos >= winStart && pos + len <= winStart + winLen;
    const ensure = async (pos: number, len: number): Promise<boolean> => {
      if (inWindow(pos, len)) return true;
      // Walking forward (the usual layout), the window starts at the record; walking
      // backward (records stored in reverse), the record sits a chunk into the window, so
      // the records before it are in it too and the largest record still fits after it.
      const back = pos < winStart && winLen > 0;
      winStart = back ? Math.max(0, pos - WINDOW_CHUNK) : pos;
      winLen = await file.read(win, 0, Math.min(win.length, Math.max(0, size - winStart)), winStart);
      if (winStart + winLen < pos + len) return false;
      options.onProgress?.(Math.min(size, winStart + winLen), size);
      const wait = options.pause?.();
      if (wait !== undefined) await wait;
      return true;
    };

    let entries = head.tableLength / 4;
    if (head.tableOffset + head.tableLength > size) {
      const fit = Math.max(0, Math.floor((size - head.tableOffset) / 4));
      this.warnings.push({
        code: "netmon_frame_table_cut",
        offset: Math.min(size, head.tableOffset + fit * 4),
        message: `the frame table at offset ${head.tableOffset} lists ${entries} frames but the file ends after ${fit} of them; those were read`,
      });
      entries = fit;
    }
    if (head.tableLength === 0) {
      this.warnings.push({
        code: "netmon_empty_frame_table",
        offset: 28,
        message: "the frame table is empty: the file lists no frames (Wireshark refuses such a file)",
      });
    }
    const table = new Uint8Array(TABLE_BLOCK_ENTRIES * 4);
    const tableView = new DataView(table.buffer);
    let index = 0; // Wireshark's frame number
    for (let i = 0; i < entries; i++) {
      const slot = i % TABLE_BLOCK_ENTRIES;
      if (slot === 0) {
        const n = Math.min(TABLE_BLOCK_ENTRIES, entries - i) * 4;
        await readFully(file, table, n, head.tableOffset + i * 4);
      }
      const at = tableView.getUint32(slot * 4, true);
      // The window usually holds the record already: checked here, so only a refill awaits
      // (an await per record costs a microtask turn, a quarter of the whole read).
      if (!inWindow(at, RECORD_HEADER_LEN) && !(await ensure(at, RECORD_HEADER_LEN))) {
        this.stopEarly(at, i, entries, size, Math.max(0, size - at));
        return;
      }
      let p = at - winStart;
      const deltaLo = view.getUint32(p, true);
      const deltaHi = view.getInt32(p + 4, true);
      const wire = view.getUint32(p + 8, true);
      const incl = view.getUint32(p + 12, true);
      if (incl > max) {
        throw new CaptureError(
          `frame ${i + 1} at offset ${at} claims ${incl} captured bytes, over the ${max}-byte limit (corrupt file?)`,
          at,
          this.frames > 0,
        );
      }
      const need = RECORD_HEADER_LEN + incl + trailer;
      if (!inWindow(at, need) && !(await ensure(at, need))) {
        this.stopEarly(at, i, entries, size, Math.max(0, size - at));
        return;
      }
      p = at - winStart;
      const t = p + RECORD_HEADER_LEN + incl;
      const media = head.minor >= 1 ? view.getUint16(t, true) : head.network;
      const hidden = HIDDEN_NAMES[media];
      if (hidden !== undefined) {
        this.hidden[hidden] = (this.hidden[hidden] ?? 0) + 1;
        continue;
      }
      let micros: number;
      if (head.minor >= 3) {
        micros = filetimeMicros(view.getUint32(t + 10, true), view.getUint32(t + 6, true));
      } else {
        micros = head.startMicros + deltaHi * 0x1_0000_0000 + deltaLo;
      }
      if (!(micros >= 0 && micros <= Number.MAX_SAFE_INTEGER)) {
        this.anomalies.timestamp_out_of_range++;
        micros = micros > 0 ? Number.MAX_SAFE_INTEGER : 0;
      }
      if (incl > wire) this.anomalies.caplen_exceeds_wirelen++;
      const linkType = linkTypeOf(media);
      if (!this.seen.has(linkType)) this.seen.add(linkType);
      frame.buf = win;
      frame.offset = p + RECORD_HEADER_LEN;
      frame.capLen = incl;
      frame.wireLen = wire;
      frame.tsMicros = micros;
      frame.linkType = linkType;
      frame.fileOffset = at;
      frame.index = ++index;
      const proc = head.minor >= 2 ? view.getUint32(t + 2, true) : -1;
      frame.process = proc >= 0 && proc < this.processes.length ? proc : -1;
      this.frames++;
      sink(frame);
    }
  }

  private stopEarly(at: number, i: number, entries: number, size: number, got: number): void {
    const message =
      at >= size
        ? `frame table entry ${i + 1} of ${entries} points at offset ${at}, past the end of the file (${size} bytes)`
        : `capture ends mid-record at offset ${at}: record cut short (${got} bytes left in the file)`;
    this.warnings.push({
      code: at >= size ? "netmon_frame_outside_file" : "truncated_record",
      offset: Math.min(at, size),
      message: `${message}; the ${this.frames} frames before it were read`,
    });
  }
}

interface Header {
  minor: number;
  network: number;
  startMicros: number;
  tableOffset: number;
  tableLength: number;
  processOffset: number;
  processCount: number;
}

async function readHeader(file: RandomAccess): Promise<Header> {
  const h = new Uint8Array(64);
  const n = await file.read(h, 0, 64, 0);
  const v = new DataView(h.buffer);
  const magic = n >= 4 ? v.getUint32(0, true) : 0;
  if (magic === NETMON1_MAGIC) {
    throw new CaptureError(
      "Network Monitor 1.x capture: not supported (only 2.x is; tshark reads 1.x)",
      0,
      false,
    );
  }
  if (magic !== NETMON2_MAGIC) throw new CaptureError("not a Network Monitor 2.x file", 0, false);
  if (n < 64) {
    throw new CaptureError(`file ends after ${n} bytes, inside the Network Monitor file header`, n, false);
  }
  const minor = h[4]!;
  const major = h[5]!;
  if (major !== 2) {
    throw new CaptureError(
      `unsupported Network Monitor version ${major}.${minor} (only 2.x is read)`,
      5,
      false,
    );
  }
  const tableLength = v.getUint32(28, true);
  if (tableLength % 4 !== 0) {
    throw new CaptureError(
      `frame table length ${tableLength} is not a multiple of 4 bytes (one u32 offset per frame)`,
      28,
      false,
    );
  }
  // SYSTEMTIME: year, month, day of week, day, hour, minute, second, millisecond.
  const st = (i: number) => v.getUint16(8 + 2 * i, true);
  const startMs = Date.UTC(st(0), st(1) - 1, st(3), st(4), st(5), st(6), st(7));
  return {
    minor,
    network: v.getUint16(6, true),
    startMicros: Number.isFinite(startMs) ? startMs * 1000 : 0,
    tableOffset: v.getUint32(24, true),
    tableLength,
    processOffset: v.getUint32(48, true),
    processCount: v.getUint32(52, true),
  };
}

/** Microseconds since 1970 of a FILETIME given as its high and low halves, exactly. */
function filetimeMicros(hi: number, lo: number): number {
  // (hi·2^32 + lo) / 10 without leaving double precision: hi = 10a + b.
  const a = Math.floor(hi / 10);
  const b = hi - a * 10;
  return a * 0x1_0000_0000 - FILETIME_UNIX_EPOCH_MICROS + Math.floor((b * 0x1_0000_0000 + lo) / 10);
}

async function readFully(
  file: RandomAccess,
  into: Uint8Array,
  length: number,
  position: number,
): Promise<void> {
  let got = 0;
  while (got < length) {
    const n = await file.read(into, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  into.fill(0, got, length);
}
