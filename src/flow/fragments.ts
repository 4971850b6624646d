/**
 * Which flow a later IP fragment belongs to.
 *
 * Only a datagram's first fragment carries the transport header (RFC 791
 * §3.2; RFC 8200 §4.5), so the flow is known from it; later fragments of the
 * same datagram (same addresses, protocol and identification) count toward
 * that flow. State is bounded: at most `maxDatagrams` open datagrams, the
 * oldest dropped first, and each forgotten `timeoutMicros` after its first
 * fragment (Linux's ipfrag_time default is 30 s). Fragments are rare, so a
 * string key per fragment is an acceptable cost.
 */
import type { Packet } from "../decode/packet.js";

export const DEFAULT_MAX_DATAGRAMS = 4096;
export const DEFAULT_FRAGMENT_TIMEOUT_MICROS = 30_000_000;

interface Datagram {
  row: number;
  /** The flow's serial number: a row may have been reused by another flow since. */
  serial: number;
  fromLo: boolean;
  ts: number;
}

export class FragmentTracker {
  /** Datagrams dropped because the table was full, and the file offset of the frame that first did it (-1: never). */
  evicted = 0;
  firstEvictedOffset = -1;
  /** Datagrams forgotten after the timeout. */
  expired = 0;
  private readonly open = new Map<string, Datagram>();

  constructor(
    private readonly maxDatagrams = DEFAULT_MAX_DATAGRAMS,
    private readonly timeoutMicros = DEFAULT_FRAGMENT_TIMEOUT_MICROS,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Records a first fragment (offset 0, more fragments follow) of flow `row`. */
  remember(pkt: Packet, row: number, serial: number, fromLo: boolean, ts: number, fileOffset = -1): void {
    this.expire(ts);
    const key = datagramKey(pkt);
    this.open.delete(key);
    if (this.open.size >= this.maxDatagrams) {
      const oldest = this.open.keys().next();
      if (!oldest.done) {
        this.open.delete(oldest.value);
        if (this.evicted === 0) this.firstEvictedOffset = fileOffset;
        this.evicted++;
      }
    }
    this.open.set(key, { row, serial, fromLo, ts });
  }

  /** The flow of a later fragment, or null when its first fragment is unknown. */
  find(pkt: Packet, ts: number): Datagram | null {
    this.expire(ts);
    return this.open.get(datagramKey(pkt)) ?? null;
  }

  private expire(now: number): void {
    for (const [key, d] of this.open) {
      if (now - d.ts <= this.timeoutMicros) break;
      this.open.delete(key);
      this.expired++;
    }
  }
}

function datagramKey(p: Packet): string {
  return `${p.family}|${p.s0}|${p.s1}|${p.s2}|${p.s3}|${p.d0}|${p.d1}|${p.d2}|${p.d3}|${p.ipProto}|${p.fragId}`;
}
