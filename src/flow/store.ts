/**
 * The flow table's column store: one row per flow across typed-array
 * columns (struct of arrays), the open hash with chaining by row number that
 * finds a row by its canonical 5-tuple, and the per-row reads the `Flow`
 * view uses. Growing copies numbers; ended rows are cleared and reused.
 */
import { App } from "../decode/apps.js";
import { FlowKey } from "./key.js";
import { INACTIVE_ENDPOINT } from "./tcp.js";
import {
  BIT_FLIPPED,
  BIT_FRAGMENTED,
  BIT_KEY_AGAIN,
  BIT_ORIG_IS_LO,
  FirstPayload,
  HIST_INLINE,
  LOG_SLOTS,
  SEQ_SLOTS,
} from "./types.js";

export type Column = Uint8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float64Array;

export function copy<T extends Column>(into: T, from: Column, n: number): T {
  if (n > 0) into.set(from.subarray(0, n) as never);
  return into;
}

export abstract class FlowStore {
  /** Rows ever used (the high-water mark); active rows are flagged. */
  protected used = 0;

  protected capacity = 0;

  protected activeCount = 0;

  protected nextSerial = 0;

  protected readonly freeRows: number[] = [];

  /** The scratch key every lookup fills (one per table: no allocation per packet). */
  protected readonly key = new FlowKey();

  // Identity.
  protected active = new Uint8Array(0);

  protected serial = new Float64Array(0);

  protected proto = new Uint8Array(0);

  protected family = new Uint8Array(0);

  protected bits = new Uint8Array(0);

  /** 8 address words per row: lo0..lo3, hi0..hi3 (signed int32, see decode/packet.ts). */
  protected addr = new Int32Array(0);

  protected lPort = new Uint16Array(0);

  protected hPort = new Uint16Array(0);

  protected hash = new Int32Array(0);

  protected next = new Int32Array(0);

  // Counters per side.
  protected pktsLo = new Float64Array(0);

  protected pktsHi = new Float64Array(0);

  protected bytesLo = new Float64Array(0);

  protected bytesHi = new Float64Array(0);

  protected payloadLo = new Float64Array(0);

  protected payloadHi = new Float64Array(0);

  /** IP-level bytes per side: the sum of the IP total length fields (Zeek's orig_ip_bytes/resp_ip_bytes). */
  protected ipBytesLo = new Float64Array(0);

  protected ipBytesHi = new Float64Array(0);

  protected synsLo = new Uint32Array(0);

  protected synsHi = new Uint32Array(0);

  protected flagsLo = new Uint8Array(0);

  protected flagsHi = new Uint8Array(0);

  protected first = new Float64Array(0);

  protected last = new Float64Array(0);

  protected firstFrame = new Float64Array(0);

  /** The capture's process index of the flow's first packet that names one (Network Monitor 2.2+), or -1. */
  protected process = new Int32Array(0);

  protected firstPayloadLo = new Uint8Array(0);

  protected firstPayloadHi = new Uint8Array(0);

  // Payload identification per side (decode/signatures.ts).
  protected appLo = new Uint8Array(0);

  protected appHi = new Uint8Array(0);

  protected appSeenLo = new Uint8Array(0);

  protected appSeenHi = new Uint8Array(0);

  protected appDetailLo = new Int16Array(0);

  protected appDetailHi = new Int16Array(0);

  protected rtpSsrcLo = new Uint32Array(0);

  protected rtpSsrcHi = new Uint32Array(0);

  protected rtpSeqLo = new Uint16Array(0);

  protected rtpSeqHi = new Uint16Array(0);

  protected rtpRunLo = new Uint8Array(0);

  protected rtpRunHi = new Uint8Array(0);

  protected readonly sni = new Map<number, string>();

  // TCP state and history.
  protected tcpLo = new Uint8Array(0);

  protected tcpHi = new Uint8Array(0);

  protected onceLo = new Uint16Array(0);

  protected onceHi = new Uint16Array(0);

  /** Which sequence-mark slots hold a value: bits 0–2 lo side, 3–5 hi side. */
  protected seqSet = new Uint8Array(0);

  protected seqMarks = new Uint32Array(0);

  /** Highest sequence number seen (one past the segment), per side; bit 0/1 of lastSeqSet says it is set. */
  protected lastSeqLo = new Uint32Array(0);

  protected lastSeqHi = new Uint32Array(0);

  protected lastSeqSet = new Uint8Array(0);

  protected logCounts = new Uint32Array(0);

  protected histLen = new Uint8Array(0);

  protected hist = new Uint8Array(0);

  protected readonly histOverflow = new Map<number, number[]>();

  protected buckets = new Int32Array(0);

  protected mask = 0;

  // --- Per-row reads for Flow -------------------------------------------------

  /** @internal */ rowSerial(row: number): number {
    return this.serial[row]!;
  }

  /** @internal */ rowProto(row: number): number {
    return this.proto[row]!;
  }

  /** @internal */ rowFamily(row: number): number {
    return this.family[row]!;
  }

  /** @internal */ rowOrigIsLo(row: number): boolean {
    return (this.bits[row]! & BIT_ORIG_IS_LO) !== 0;
  }

  /** @internal */ rowFlipped(row: number): boolean {
    return (this.bits[row]! & BIT_FLIPPED) !== 0;
  }

  /** @internal */ rowFragmented(row: number): boolean {
    return (this.bits[row]! & BIT_FRAGMENTED) !== 0;
  }

  /** @internal */ rowKeyAgain(row: number): boolean {
    return (this.bits[row]! & BIT_KEY_AGAIN) !== 0;
  }

  /** @internal */ rowAddr(row: number, word: number): number {
    return this.addr[row * 8 + word]!;
  }

  /** @internal */ rowPort(row: number, hi: boolean): number {
    return hi ? this.hPort[row]! : this.lPort[row]!;
  }

  /** @internal */ rowPackets(row: number, hi: boolean): number {
    return hi ? this.pktsHi[row]! : this.pktsLo[row]!;
  }

  /** @internal */ rowBytes(row: number, hi: boolean): number {
    return hi ? this.bytesHi[row]! : this.bytesLo[row]!;
  }

  /** @internal */ rowPayload(row: number, hi: boolean): number {
    return hi ? this.payloadHi[row]! : this.payloadLo[row]!;
  }

  /** @internal */ rowIpBytes(row: number, hi: boolean): number {
    return hi ? this.ipBytesHi[row]! : this.ipBytesLo[row]!;
  }

  /** @internal */ rowSyns(row: number, hi: boolean): number {
    return hi ? this.synsHi[row]! : this.synsLo[row]!;
  }

  /** @internal */ rowFlags(row: number, hi: boolean): number {
    return hi ? this.flagsHi[row]! : this.flagsLo[row]!;
  }

  /** @internal */ rowTcp(row: number, hi: boolean): number {
    return hi ? this.tcpHi[row]! : this.tcpLo[row]!;
  }

  /** @internal */ rowFirstPayload(row: number, hi: boolean): FirstPayload {
    return (hi ? this.firstPayloadHi[row]! : this.firstPayloadLo[row]!) as FirstPayload;
  }

  /** @internal */ rowApp(row: number, hi: boolean): App {
    return (hi ? this.appHi[row]! : this.appLo[row]!) as App;
  }

  /** @internal */ rowAppDetail(row: number, hi: boolean): number {
    return hi ? this.appDetailHi[row]! : this.appDetailLo[row]!;
  }

  /** @internal */ rowSni(row: number): string | null {
    return this.sni.get(row) ?? null;
  }

  /** @internal */ rowFirst(row: number): number {
    return this.first[row]!;
  }

  /** @internal */ rowLast(row: number): number {
    return this.last[row]!;
  }

  /** @internal */ rowFirstFrame(row: number): number {
    return this.firstFrame[row]!;
  }

  /** @internal */ rowProcess(row: number): number {
    return this.process[row]!;
  }

  // --- Lookup and lifetime ----------------------------------------------------

  /** The active row of the flow with this key, or -1. */
  protected find(k: FlowKey): number {
    const h = k.hash;
    const addr = this.addr;
    let row = this.buckets[h & this.mask]!;
    while (row >= 0) {
      const a = row * 8;
      if (
        this.hash[row] === h &&
        addr[a + 3] === k.l3 &&
        addr[a + 7] === k.h3 &&
        this.lPort[row] === k.lp &&
        this.hPort[row] === k.hp &&
        this.proto[row] === k.proto &&
        addr[a] === k.l0 &&
        addr[a + 1] === k.l1 &&
        addr[a + 2] === k.l2 &&
        addr[a + 4] === k.h0 &&
        addr[a + 5] === k.h1 &&
        addr[a + 6] === k.h2 &&
        this.family[row] === k.family
      ) {
        return row;
      }
      row = this.next[row]!;
    }
    return -1;
  }

  /** Zeroes a reused row's counters and state. */
  protected clearRow(row: number): void {
    this.bits[row] = 0;
    this.pktsLo[row] = 0;
    this.pktsHi[row] = 0;
    this.bytesLo[row] = 0;
    this.bytesHi[row] = 0;
    this.payloadLo[row] = 0;
    this.payloadHi[row] = 0;
    this.ipBytesLo[row] = 0;
    this.ipBytesHi[row] = 0;
    this.synsLo[row] = 0;
    this.synsHi[row] = 0;
    this.flagsLo[row] = 0;
    this.flagsHi[row] = 0;
    this.firstPayloadLo[row] = FirstPayload.None;
    this.firstPayloadHi[row] = FirstPayload.None;
    this.appLo[row] = App.None;
    this.appHi[row] = App.None;
    this.appSeenLo[row] = 0;
    this.appSeenHi[row] = 0;
    this.appDetailLo[row] = 0;
    this.appDetailHi[row] = 0;
    this.rtpRunLo[row] = 0;
    this.rtpRunHi[row] = 0;
    this.tcpLo[row] = INACTIVE_ENDPOINT;
    this.tcpHi[row] = INACTIVE_ENDPOINT;
    this.onceLo[row] = 0;
    this.onceHi[row] = 0;
    this.seqSet[row] = 0;
    this.lastSeqSet[row] = 0;
    this.logCounts.fill(0, row * LOG_SLOTS * 2, (row + 1) * LOG_SLOTS * 2);
    this.histLen[row] = 0;
  }

  /** Grows every column to `capacity` rows, rehashing into twice as many buckets. */
  protected grow(capacity: number): void {
    const keep = this.used;
    const g8 = (a: Uint8Array, per = 1) => copy(new Uint8Array(capacity * per), a, keep * per);
    const g16 = (a: Uint16Array) => copy(new Uint16Array(capacity), a, keep);
    const g32 = (a: Uint32Array, per = 1) => copy(new Uint32Array(capacity * per), a, keep * per);
    const gi32 = (a: Int32Array, per = 1) => copy(new Int32Array(capacity * per), a, keep * per);
    const g64 = (a: Float64Array) => copy(new Float64Array(capacity), a, keep);
    this.active = g8(this.active);
    this.serial = g64(this.serial);
    this.proto = g8(this.proto);
    this.family = g8(this.family);
    this.bits = g8(this.bits);
    this.addr = gi32(this.addr, 8);
    this.lPort = g16(this.lPort);
    this.hPort = g16(this.hPort);
    this.hash = gi32(this.hash);
    this.next = gi32(this.next);
    this.pktsLo = g64(this.pktsLo);
    this.pktsHi = g64(this.pktsHi);
    this.bytesLo = g64(this.bytesLo);
    this.bytesHi = g64(this.bytesHi);
    this.payloadLo = g64(this.payloadLo);
    this.payloadHi = g64(this.payloadHi);
    this.ipBytesLo = g64(this.ipBytesLo);
    this.ipBytesHi = g64(this.ipBytesHi);
    this.synsLo = g32(this.synsLo);
    this.synsHi = g32(this.synsHi);
    this.flagsLo = g8(this.flagsLo);
    this.flagsHi = g8(this.flagsHi);
    this.first = g64(this.first);
    this.last = g64(this.last);
    this.firstFrame = g64(this.firstFrame);
    this.process = gi32(this.process);
    this.firstPayloadLo = g8(this.firstPayloadLo);
    this.firstPayloadHi = g8(this.firstPayloadHi);
    this.appLo = g8(this.appLo);
    this.appHi = g8(this.appHi);
    this.appSeenLo = g8(this.appSeenLo);
    this.appSeenHi = g8(this.appSeenHi);
    this.appDetailLo = copy(new Int16Array(capacity), this.appDetailLo, keep);
    this.appDetailHi = copy(new Int16Array(capacity), this.appDetailHi, keep);
    this.rtpSsrcLo = g32(this.rtpSsrcLo);
    this.rtpSsrcHi = g32(this.rtpSsrcHi);
    this.rtpSeqLo = g16(this.rtpSeqLo);
    this.rtpSeqHi = g16(this.rtpSeqHi);
    this.rtpRunLo = g8(this.rtpRunLo);
    this.rtpRunHi = g8(this.rtpRunHi);
    this.tcpLo = g8(this.tcpLo);
    this.tcpHi = g8(this.tcpHi);
    this.onceLo = g16(this.onceLo);
    this.onceHi = g16(this.onceHi);
    this.seqSet = g8(this.seqSet);
    this.seqMarks = g32(this.seqMarks, SEQ_SLOTS * 2);
    this.lastSeqLo = g32(this.lastSeqLo);
    this.lastSeqHi = g32(this.lastSeqHi);
    this.lastSeqSet = g8(this.lastSeqSet);
    this.logCounts = g32(this.logCounts, LOG_SLOTS * 2);
    this.histLen = g8(this.histLen);
    this.hist = g8(this.hist, HIST_INLINE);
    this.capacity = capacity;
    // Twice as many buckets as rows keeps chains short.
    this.buckets = new Int32Array(capacity * 2).fill(-1);
    this.mask = capacity * 2 - 1;
    for (let row = 0; row < keep; row++) {
      if (!this.active[row]) continue;
      const bucket = this.hash[row]! & this.mask;
      this.next[row] = this.buckets[bucket]!;
      this.buckets[bucket] = row;
    }
  }
}
