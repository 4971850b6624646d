/**
 * Types that cross the capture → decode boundary.
 *
 * Buffer lifetime contract: `Frame.buf` is a view of the reader's internal
 * window. The bytes at `buf[offset .. offset + capLen)` are valid only until
 * the sink returns; the next frame may overwrite them. Consumers copy numbers,
 * never the buffer.
 */

/** One captured record, reused by the reader for every frame (no per-packet allocation). */
export interface Frame {
  /** The reader's window; the frame's bytes start at `offset`. */
  buf: Uint8Array;
  offset: number;
  /** Bytes captured (pcap incl_len). */
  capLen: number;
  /** Bytes on the wire (pcap orig_len). */
  wireLen: number;
  /** Timestamp in microseconds since the Unix epoch (nanosecond captures are truncated to µs). */
  tsMicros: number;
  /** Link-layer header type (LINKTYPE_* value from the tcpdump.org registry). */
  linkType: number;
  /** Byte offset of the record header in the (decompressed) capture stream. */
  fileOffset: number;
  /** 1-based frame number, as Wireshark numbers frames. */
  index: number;
  /** Index into the reader's process table (Network Monitor 2.2+), or -1. */
  process: number;
  /** The pcapng packet's direction (epb_flags bits 0-1, or pktmon's comment): 0 not given, 1 inbound, 2 outbound. */
  direction: number;
  /**
   * Why the capturing host dropped this packet, or null: a pktmon drop
   * comment's reason, an eBPF drop verdict (epb_verdict), or a drop-only
   * export. Interned by the reader: no string is made per packet.
   */
  drop: string | null;
  /** Another appearance of a packet already delivered: pktmon logs a packet once for each component it passes. */
  repeat: boolean;
}

/** The one frame a reader reuses for every record, over its window. */
export function reusedFrame(buf: Uint8Array): Frame {
  return {
    buf,
    offset: 0,
    capLen: 0,
    wireLen: 0,
    tsMicros: 0,
    linkType: 0,
    fileOffset: 0,
    index: 0,
    process: -1,
    direction: 0,
    drop: null,
    repeat: false,
  };
}

export type CaptureFormat = "pcap" | "pcap-ns";

/** Facts about the capture container, known after its header is parsed. */
export interface CaptureInfo {
  format: CaptureFormat;
  byteOrder: "little" | "big";
  versionMajor: number;
  versionMinor: number;
  snapLen: number;
  linkType: number;
}

/** A problem that stops reading: the capture is unreadable from `offset` on. */
export class CaptureError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    /** True when earlier packets were read and a partial report is meaningful. */
    readonly afterPackets: boolean,
  ) {
    super(message);
    this.name = "CaptureError";
  }
}

/** A non-fatal finding about the container, reported with the analysis. */
export interface CaptureWarning {
  code: string;
  offset: number;
  message: string;
}

export type FrameSink = (frame: Frame) => void;
