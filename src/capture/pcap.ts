/**
 * Streaming reader for classic libpcap files.
 *
 * Format: draft-ietf-opsawg-pcap (the "PCAP Capture File Format" draft) and
 * tcpdump.org's pcap-savefile(5). A 24-byte file header (magic, version,
 * reserved, snaplen, link type + FCS bits) is followed by records of a
 * 16-byte header (ts_sec, ts_frac, incl_len, orig_len) and incl_len bytes.
 *
 * Contracts:
 * - Input arrives in chunks of any size (`push`) or is read straight into the
 *   reader's window (`writable` + `commit`). Frames do not depend on chunking.
 * - The window is fixed at construction: chunk size + the record cap. Memory
 *   does not grow with the file.
 * - Each frame is handed to the sink synchronously and is valid only until the
 *   sink returns (see types.ts).
 * - Fatal problems throw CaptureError with the byte offset; a record cut short
 *   at end of input is a warning, not an error, so the packets before it count.
 */

import {
  PCAP_MAGIC_MICRO,
  PCAP_MAGIC_MICRO_SWAPPED,
  PCAP_MAGIC_NANO,
  PCAP_MAGIC_NANO_SWAPPED,
} from "./sniff.js";
import { CaptureError, type CaptureInfo, type Frame, type FrameSink, reusedFrame } from "./types.js";
import { describeMagic, WindowedReader } from "./window.js";

export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
/** Wireshark's default maximum for most link types (WTAP_MAX_PACKET_SIZE_STANDARD). */
export const DEFAULT_MAX_RECORD_LEN = 262_144;

const MAGIC_MICRO = PCAP_MAGIC_MICRO;
const MAGIC_NANO = PCAP_MAGIC_NANO;
const MAGIC_MICRO_SWAPPED = PCAP_MAGIC_MICRO_SWAPPED;
const MAGIC_NANO_SWAPPED = PCAP_MAGIC_NANO_SWAPPED;

export interface PcapReaderOptions {
  /** Largest incl_len accepted; larger is treated as corruption. */
  maxRecordLen?: number;
  /** Largest chunk the caller will commit at once. */
  chunkLen?: number;
}

/** Counters for record-level oddities that do not stop reading. */
export interface RecordAnomalies {
  /** incl_len larger than the file's snaplen. */
  caplen_exceeds_snaplen: number;
  /** incl_len larger than orig_len. */
  caplen_exceeds_wirelen: number;
}

enum State {
  FileHeader = 0,
  Records = 1,
}

export class PcapReader extends WindowedReader {
  info: CaptureInfo | null = null;
  readonly anomalies: RecordAnomalies = { caplen_exceeds_snaplen: 0, caplen_exceeds_wirelen: 0 };

  private state = State.FileHeader;

  get format(): string {
    return this.info?.format ?? "pcap";
  }

  linkTypes(): number[] {
    return this.info ? [this.info.linkType] : [];
  }
  private le = true;
  private nano = false;
  /** Version 2.0–2.2 files may hold incl_len and orig_len the other way round. */
  private maybeSwappedLengths = false;
  private snapLen = 0;
  private readonly maxRecordLen: number;
  private readonly frame: Frame;

  constructor(
    private readonly sink: FrameSink,
    options: PcapReaderOptions = {},
  ) {
    const maxRecordLen = options.maxRecordLen ?? DEFAULT_MAX_RECORD_LEN;
    super(maxRecordLen + PCAP_RECORD_HEADER_LEN, options.chunkLen);
    this.maxRecordLen = maxRecordLen;
    this.frame = reusedFrame(this.win);
  }

  /** Signals end of input. Throws for an empty or headerless stream; warns for a cut record. */
  override finish(): void {
    const left = this.end - this.start;
    const offset = this.base + this.start;
    if (this.state === State.FileHeader) {
      if (offset === 0 && left === 0) throw new CaptureError("empty file: no pcap header", 0, false);
      throw new CaptureError(
        `file ends after ${left} bytes, inside the ${PCAP_FILE_HEADER_LEN}-byte pcap file header`,
        offset,
        false,
      );
    }
    if (left > 0) {
      const what =
        left < PCAP_RECORD_HEADER_LEN
          ? `record header cut short (${left} of ${PCAP_RECORD_HEADER_LEN} bytes)`
          : `record cut short (${left - PCAP_RECORD_HEADER_LEN} of ${this.recordLength(this.start)} bytes)`;
      this.warnings.push({
        code: "truncated_record",
        offset,
        message: `capture ends mid-record at offset ${offset}: ${what}; the ${this.frames} complete packets before it were read`,
      });
      this.start = this.end;
    }
  }

  /** incl_len of the record at `at`, after the version 2.0–2.2 swap rule. */
  private recordLength(at: number): number {
    const incl = this.view.getUint32(at + 8, this.le);
    const wire = this.view.getUint32(at + 12, this.le);
    return incl > wire && this.maybeSwappedLengths ? wire : incl;
  }

  protected override parse(): void {
    if (this.state === State.FileHeader) {
      if (this.end - this.start < PCAP_FILE_HEADER_LEN) return;
      this.parseFileHeader();
    }
    const win = this.win;
    const view = this.view;
    const le = this.le;
    const frame = this.frame;
    const max = this.maxRecordLen;
    const snap = this.snapLen;
    const linkType = this.info?.linkType ?? 0;
    let pos = this.start;
    const end = this.end;
    while (end - pos >= PCAP_RECORD_HEADER_LEN) {
      let incl = view.getUint32(pos + 8, le);
      let wire = view.getUint32(pos + 12, le);
      if (incl > wire && this.maybeSwappedLengths) {
        // libpcap before 0.4 (file versions below 2.3) wrote the two lengths
        // swapped; Wireshark's reader swaps them back in the same case.
        const t = incl;
        incl = wire;
        wire = t;
      }
      if (incl > max) {
        const offset = this.base + pos;
        this.start = pos;
        throw new CaptureError(
          `record at offset ${offset} claims ${incl} captured bytes, over the ${max}-byte limit (corrupt file?)`,
          offset,
          this.frames > 0,
        );
      }
      if (end - pos - PCAP_RECORD_HEADER_LEN < incl) break;
      const sec = view.getUint32(pos, le);
      const frac = view.getUint32(pos + 4, le);
      if (snap !== 0 && incl > snap) this.anomalies.caplen_exceeds_snaplen++;
      if (incl > wire) this.anomalies.caplen_exceeds_wirelen++;
      frame.buf = win;
      frame.offset = pos + PCAP_RECORD_HEADER_LEN;
      frame.capLen = incl;
      frame.wireLen = wire;
      frame.tsMicros = sec * 1_000_000 + (this.nano ? Math.floor(frac / 1000) : frac);
      frame.linkType = linkType;
      frame.fileOffset = this.base + pos;
      frame.index = ++this.frames;
      pos += PCAP_RECORD_HEADER_LEN + incl;
      this.sink(frame);
    }
    this.start = pos;
  }

  private parseFileHeader(): void {
    const at = this.start;
    const magicLE = this.view.getUint32(at, true);
    let le: boolean;
    let nano: boolean;
    if (magicLE === MAGIC_MICRO || magicLE === MAGIC_NANO) {
      le = true;
      nano = magicLE === MAGIC_NANO;
    } else if (magicLE === MAGIC_MICRO_SWAPPED || magicLE === MAGIC_NANO_SWAPPED) {
      le = false;
      nano = magicLE === MAGIC_NANO_SWAPPED;
    } else {
      throw new CaptureError(describeMagic(this.win.subarray(at, at + 4)), 0, false);
    }
    this.le = le;
    this.nano = nano;
    const major = this.view.getUint16(at + 4, le);
    const minor = this.view.getUint16(at + 6, le);
    // Version 2.4 is current; 2.0–2.3 differ only in details that do not change
    // the record layout, and tools such as tshark read them.
    if (major !== 2) {
      throw new CaptureError(`unsupported pcap version ${major}.${minor} (only 2.x is defined)`, 4, false);
    }
    const snapLen = this.view.getUint32(at + 16, le);
    // The link-type field's low 16 bits are the LINKTYPE; the upper bits carry
    // the FCS length (draft-ietf-opsawg-pcap, section 4).
    const linkType = this.view.getUint32(at + 20, le) & 0xffff;
    this.snapLen = snapLen;
    this.maybeSwappedLengths = minor < 3;
    this.info = {
      format: nano ? "pcap-ns" : "pcap",
      byteOrder: le ? "little" : "big",
      versionMajor: major,
      versionMinor: minor,
      snapLen,
      linkType,
    };
    this.start += PCAP_FILE_HEADER_LEN;
    this.state = State.Records;
  }
}
