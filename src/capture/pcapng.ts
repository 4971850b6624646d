/**
 * Streaming reader for pcapng (draft-ietf-opsawg-pcapng, "PCAP Next
 * Generation (pcapng) Capture File Format").
 *
 * Every block is: type (4), total length (4), body, total length again (4),
 * in the byte order of its section. The rules applied here:
 * - A Section Header Block (type 0x0A0D0D0A, a palindrome) starts a section;
 *   its byte-order magic 0x1A2B3C4D decides the order of everything up to the
 *   next SHB, which also forgets all interfaces (§4.1). Major version 1 only.
 * - Interface Description Blocks (§4.2) are numbered from 0 within their
 *   section and give link type, snaplen, and the options if_tsresol (code 9:
 *   10^-n, or 2^-n when the top bit is set; default 10^-6) and if_tsoffset
 *   (code 14: seconds added to every timestamp).
 * - Enhanced (§4.3), Simple (§4.4) and obsolete Packet Blocks (appendix)
 *   carry packets; a Simple Packet Block has no timestamp and belongs to
 *   interface 0 (we give it the section's last timestamp).
 * - A packet block's options give its direction, a drop (an eBPF drop
 *   verdict, Windows pktmon's drop comment) and pktmon's repeated
 *   appearances of one packet (pcapng-packet-options.ts).
 * - Every other block (Name Resolution, Interface Statistics, Decryption
 *   Secrets, custom, unknown) is skipped by its length.
 * - Lengths must be at least 12 and a multiple of 4, the trailing length must
 *   equal the leading one, and packet blocks are capped like pcap records.
 *   Errors name the block's byte offset.
 */

import { type Interface, readInterface, timestampMicros } from "./pcapng-interface.js";
import { PacketOptions } from "./pcapng-packet-options.js";
import { PCAPNG_SHB } from "./sniff.js";
import { CaptureError, type Frame, type FrameSink, reusedFrame } from "./types.js";
import { WindowedReader } from "./window.js";

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BLOCK_IDB = 1;
const BLOCK_PB = 2;
const BLOCK_SPB = 3;
const BLOCK_EPB = 6;
/** Not packets, but frames to tshark 4.0, so numbered: Systemd Journal Export, Custom (draft §4.7-4.8), Sysdig events. */
const NUMBERED_BLOCKS: ReadonlySet<number> = new Set([9, 0x00000bad, 0x40000bad, 0x204, 0x216, 0x221]);

/** Overhead of the largest packet block header (EPB/PB: 28 bytes) plus trailer, plus room for options. */
const PACKET_BLOCK_SLACK = 28 + 4 + 4096;

export interface PcapngReaderOptions {
  maxRecordLen?: number;
  chunkLen?: number;
}

export interface PcapngAnomalies {
  caplen_exceeds_snaplen: number;
  caplen_exceeds_wirelen: number;
  bad_option: number;
  /** Timestamps before 1970 or past 2^53 µs (year 2255), clamped to that range (found by fuzzing). */
  timestamp_out_of_range: number;
}

/**
 * Interfaces kept per section. A real capture has a handful; a crafted one
 * can describe hundreds of millions (7 MB of gzip). Past this, further IDBs
 * are counted and ignored, and packets on them are skipped and counted, with
 * one `max_interfaces` warning.
 */
export const MAX_INTERFACES = 65_536;

/** The latest timestamp kept exact as a double: 2^53 - 1 µs after 1970 (year 2255). */
const MAX_TS_MICROS = Number.MAX_SAFE_INTEGER;

export class PcapngReader extends WindowedReader {
  readonly format = "pcapng";
  readonly anomalies: PcapngAnomalies = {
    caplen_exceeds_snaplen: 0,
    caplen_exceeds_wirelen: 0,
    bad_option: 0,
    timestamp_out_of_range: 0,
  };
  sections = 0;
  /** Every link type described, in order of first appearance (the set finds repeats in constant time). */
  private readonly linkTypeList: number[] = [];
  private readonly linkTypeSeen = new Set<number>();
  /** IDBs past MAX_INTERFACES in their section, and packets that named one of them. */
  private interfacesOverLimit = 0;
  private packetsOverLimit = 0;
  private overLimitOffset = -1;
  private le = true;
  private interfaces: Interface[] = [];
  private lastTs = 0;
  /** Frames as Wireshark numbers them: packets and NUMBERED_BLOCKS. */
  private records = 0;
  /** Bytes still to skip of a block too large for the window; then its trailer is checked. */
  private skipLeft = 0;
  private awaitTrailer = false;
  private skipLength = 0;
  private skipOffset = 0;
  private readonly maxRecordLen: number;
  private readonly frame: Frame;
  /** The last packet block's options: direction, drop, pktmon repeat (pcapng-packet-options.ts). */
  readonly packetOptions = new PacketOptions();

  constructor(
    private readonly sink: FrameSink,
    options: PcapngReaderOptions = {},
  ) {
    const maxRecordLen = options.maxRecordLen ?? 262_144;
    super(maxRecordLen + PACKET_BLOCK_SLACK, options.chunkLen);
    this.maxRecordLen = maxRecordLen;
    this.frame = reusedFrame(this.win);
  }

  linkTypes(): number[] {
    return [...this.linkTypeList];
  }

  override finish(): void {
    const left = this.end - this.start;
    if (this.sections === 0) {
      if (this.base + this.start === 0 && left === 0)
        throw new CaptureError("empty file: no pcapng section header", 0, false);
      throw new CaptureError(
        `file ends after ${left} bytes, inside the first section header block`,
        this.offset,
        false,
      );
    }
    if (this.interfacesOverLimit > 0) {
      this.warnings.push({
        code: "max_interfaces",
        offset: this.overLimitOffset,
        message: `more than ${MAX_INTERFACES} interfaces were described in one section; ${this.interfacesOverLimit} interface description blocks were ignored and ${this.packetsOverLimit} packet${this.packetsOverLimit === 1 ? "" : "s"} on those interfaces ${this.packetsOverLimit === 1 ? "was" : "were"} skipped`,
      });
    }
    if (this.skipLeft > 0 || this.awaitTrailer || left > 0) {
      const offset = this.skipLeft > 0 || this.awaitTrailer ? this.skipOffset : this.offset;
      this.warnings.push({
        code: "truncated_block",
        offset,
        message: `capture ends mid-block at offset ${offset}; the ${this.frames} complete packets before it were read`,
      });
      this.start = this.end;
      this.skipLeft = 0;
      this.awaitTrailer = false;
    }
  }

  private u32(at: number): number {
    return this.view.getUint32(at, this.le);
  }

  private fail(message: string, offset: number): never {
    throw new CaptureError(message, offset, this.frames > 0);
  }

  protected override parse(): void {
    for (;;) {
      if ((this.skipLeft > 0 || this.awaitTrailer) && !this.skip()) return;
      const avail = this.end - this.start;
      if (avail < 12) return;
      const at = this.start;
      const offset = this.offset;
      const type = this.u32(at);
      if (type === PCAPNG_SHB) {
        const bom = this.view.getUint32(at + 8, true);
        if (bom === BYTE_ORDER_MAGIC) this.le = true;
        else if (bom === 0x4d3c2b1a) this.le = false;
        else this.fail(`section header at offset ${offset}: bad byte-order magic ${hex(bom)}`, offset + 8);
      } else if (this.sections === 0) {
        this.fail(`block at offset ${offset} comes before any section header block`, offset);
      }
      const len = this.u32(at + 4);
      if (len < 12 || len % 4 !== 0) {
        this.fail(
          `block at offset ${offset}: length ${len} is ${len < 12 ? "below the 12-byte minimum" : "not a multiple of 4"}`,
          offset + 4,
        );
      }
      const isPacket = type === BLOCK_EPB || type === BLOCK_SPB || type === BLOCK_PB;
      if (len > this.win.length) {
        if (isPacket || type === PCAPNG_SHB || type === BLOCK_IDB) {
          this.fail(
            `block at offset ${offset} claims ${len} bytes, over the ${this.maxRecordLen}-byte packet limit (corrupt file?)`,
            offset + 4,
          );
        }
        // A large block we only skip: stream past it, then check its trailer.
        if (NUMBERED_BLOCKS.has(type)) this.records++;
        this.skipLeft = len - 4;
        this.skipLength = len;
        this.skipOffset = offset;
        continue;
      }
      if (avail < len) return;
      const trailer = this.u32(at + len - 4);
      if (trailer !== len) {
        this.fail(
          `block at offset ${offset}: trailing length ${trailer} differs from leading length ${len}`,
          offset + len - 4,
        );
      }
      switch (type) {
        case PCAPNG_SHB:
          this.sectionHeader(at, len, offset);
          break;
        case BLOCK_IDB:
          this.interfaceDescription(at, len, offset);
          break;
        case BLOCK_EPB:
          this.packet(at, len, offset, this.u32(at + 8), this.u32(at + 12), this.u32(at + 16), 28);
          break;
        case BLOCK_PB:
          this.packet(
            at,
            len,
            offset,
            this.view.getUint16(at + 8, this.le),
            this.u32(at + 12),
            this.u32(at + 16),
            28,
          );
          break;
        case BLOCK_SPB:
          this.simplePacket(at, len, offset);
          break;
        default:
          if (NUMBERED_BLOCKS.has(type)) this.records++;
          break;
      }
      this.start += len;
    }
  }

  /**
   * Moves past what the window holds of an oversized block, then checks its
   * trailer. False while more input is needed.
   */
  private skip(): boolean {
    if (this.skipLeft > 0) {
      const n = Math.min(this.skipLeft, this.end - this.start);
      this.start += n;
      this.skipLeft -= n;
      if (this.skipLeft > 0) return false;
      this.awaitTrailer = true;
    }
    if (!this.awaitTrailer) return true;
    if (this.end - this.start < 4) return false;
    const trailer = this.u32(this.start);
    if (trailer !== this.skipLength) {
      this.fail(
        `block at offset ${this.skipOffset}: trailing length ${trailer} differs from leading length ${this.skipLength}`,
        this.offset,
      );
    }
    this.start += 4;
    this.awaitTrailer = false;
    return true;
  }

  private sectionHeader(at: number, len: number, offset: number): void {
    if (len < 28)
      this.fail(`section header at offset ${offset}: length ${len} is below its 28-byte minimum`, offset + 4);
    const major = this.view.getUint16(at + 12, this.le);
    const minor = this.view.getUint16(at + 14, this.le);
    if (major !== 1)
      this.fail(`unsupported pcapng version ${major}.${minor} (only 1.x is defined)`, offset + 12);
    this.sections++;
    this.interfaces = [];
  }

  private interfaceDescription(at: number, len: number, offset: number): void {
    if (len < 20)
      this.fail(
        `interface description at offset ${offset}: length ${len} is below its 20-byte minimum`,
        offset + 4,
      );
    const iface = readInterface(this.view, at, len, this.le);
    if (iface.badOption) this.anomalies.bad_option++;
    if (this.interfaces.length >= MAX_INTERFACES) {
      this.interfacesOverLimit++;
      if (this.overLimitOffset < 0) this.overLimitOffset = offset;
      return;
    }
    this.interfaces.push(iface);
    if (!this.linkTypeSeen.has(iface.linkType)) {
      this.linkTypeSeen.add(iface.linkType);
      this.linkTypeList.push(iface.linkType);
    }
  }

  private packet(
    at: number,
    len: number,
    offset: number,
    ifaceId: number,
    high: number,
    low: number,
    dataAt: number,
  ): void {
    const iface = this.interfaces[ifaceId];
    if (!iface && ifaceId >= MAX_INTERFACES && this.interfacesOverLimit > 0) {
      this.packetsOverLimit++;
      return;
    }
    if (!iface) {
      this.fail(
        `packet block at offset ${offset} refers to interface ${ifaceId}, but only ${this.interfaces.length} interface(s) are described before it in this section`,
        offset + 8,
      );
    }
    const capLen = this.u32(at + 20);
    const wireLen = this.u32(at + 24);
    if (capLen > this.maxRecordLen) {
      this.fail(
        `packet at offset ${offset} claims ${capLen} captured bytes, over the ${this.maxRecordLen}-byte limit`,
        offset + 20,
      );
    }
    if (dataAt + capLen + 4 > len) {
      this.fail(
        `packet block at offset ${offset}: ${capLen} captured bytes run past the block's end`,
        offset + 20,
      );
    }
    const ts = timestampMicros(high, low, iface);
    if (ts >= 0 && ts <= MAX_TS_MICROS) this.lastTs = ts;
    else {
      // A 64-bit tick count with a resolution or offset can land outside what a
      // report can show (or a double can hold exactly); count it and clamp.
      this.anomalies.timestamp_out_of_range++;
      this.lastTs = ts < 0 || Number.isNaN(ts) ? 0 : MAX_TS_MICROS;
    }
    const opts = this.packetOptions;
    const optionsAt = at + dataAt + ((capLen + 3) & ~3);
    if (optionsAt < at + len - 4) {
      opts.read(this.view, this.win, optionsAt, at + len - 4, this.le, at + dataAt, at + dataAt + capLen);
      if (opts.badOption) this.anomalies.bad_option++;
      this.deliver(at + dataAt, capLen, wireLen, iface, offset, opts.direction, opts.drop, opts.repeat);
    } else this.deliver(at + dataAt, capLen, wireLen, iface, offset, 0, null, false);
  }

  private simplePacket(at: number, len: number, offset: number): void {
    const iface = this.interfaces[0];
    if (!iface) {
      this.fail(
        `simple packet block at offset ${offset} needs interface 0, but none is described before it`,
        offset,
      );
    }
    const wireLen = this.u32(at + 8);
    let capLen = Math.min(wireLen, len - 16);
    if (iface.snapLen !== 0) capLen = Math.min(capLen, iface.snapLen);
    // The same record limit as every other packet block (--max-record-len).
    if (capLen > this.maxRecordLen) {
      this.fail(
        `simple packet block at offset ${offset} carries ${capLen} bytes, over the ${this.maxRecordLen}-byte limit`,
        offset + 4,
      );
    }
    this.deliver(at + 12, capLen, wireLen, iface, offset, 0, null, false);
  }

  private deliver(
    dataOffset: number,
    capLen: number,
    wireLen: number,
    iface: Interface,
    offset: number,
    direction: number,
    drop: string | null,
    repeat: boolean,
  ): void {
    if (iface.snapLen !== 0 && capLen > iface.snapLen) this.anomalies.caplen_exceeds_snaplen++;
    if (capLen > wireLen) this.anomalies.caplen_exceeds_wirelen++;
    const frame = this.frame;
    frame.buf = this.win;
    frame.offset = dataOffset;
    frame.capLen = capLen;
    frame.wireLen = wireLen;
    frame.tsMicros = this.lastTs;
    frame.linkType = iface.linkType;
    frame.fileOffset = offset;
    this.frames++;
    frame.index = ++this.records;
    frame.direction = direction;
    frame.drop = drop;
    frame.repeat = repeat;
    this.sink(frame);
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

export { timestampMicros };
