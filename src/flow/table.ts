/**
 * The flow table: groups decoded packets into bidirectional flows.
 *
 * A flow is one IP protocol plus its two endpoints, in either direction. Its
 * endpoints are stored in a canonical order ("lo" sorts before "hi" by
 * address, then port), so both directions hash to the same bucket; which of
 * them is the originator is a flag, so a flip never moves counters around.
 *
 * Originator (Zeek's vocabulary): the sender of the first SYN. A flow first
 * seen by its SYN+ACK is flipped so the SYN+ACK's receiver is the originator.
 * Otherwise the first packet's sender, flipped when only the other side's port
 * is a likely server port (Zeek's `likely_server_ports` rule), which the
 * caller supplies as a predicate so this stage does not depend on the catalog.
 * A flipped flow's history starts with `^`.
 *
 * Layout: one row per flow across typed-array columns (struct of arrays),
 * found through an open hash with chaining by row number. Adding a packet
 * allocates nothing unless the flow is new and the columns must grow; the
 * table copies numbers from the packet, never its buffer. `Flow` is a
 * read-only view of one row for the stages after this one.
 */
import type { Frame } from "../capture/types.js";
import {
  IPPROTO_TCP,
  IPPROTO_UDP,
  type Packet,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
} from "../decode/packet.js";
import { FragmentTracker } from "./fragments.js";
import {
  type ConnState,
  endpointState,
  INACTIVE_ENDPOINT,
  tcpConnState,
  udpConnState,
  updateTcpState,
} from "./tcp.js";

export type LikelyServerPort = (ipProto: number, port: number) => boolean;

/** What the table reads from a capture frame. */
export type FrameStamp = Pick<Frame, "tsMicros" | "wireLen" | "index">;

// History letter codes, indexes into HISTORY_LETTERS.
const H_SYN = 0;
const H_SYNACK = 1;
const H_ACK = 2;
const H_DATA = 3;
const H_FIN = 4;
const H_RST = 5;
const H_MULTI = 6;
const H_INCONSISTENT = 7;
const HISTORY_LETTERS = "shadfrqi";
/** Bit set in a history entry when the hi endpoint sent it. */
const FROM_HI = 0x80;
/** History entries kept inline per flow; longer histories spill into a map (rare). */
const HIST_INLINE = 16;
/** Sequence-mark slots per side: s, h, f, r. */
const SEQ_SLOTS = 4;

const BIT_ORIG_IS_LO = 1;
const BIT_FLIPPED = 2;

const INITIAL_CAPACITY = 1024;

export class FlowTable {
  /** Rows in use; row numbers are creation order. */
  private count = 0;
  private capacity = 0;

  // Identity.
  private proto = new Uint8Array(0);
  private family = new Uint8Array(0);
  private bits = new Uint8Array(0);
  /** 8 address words per row: lo0..lo3, hi0..hi3 (signed int32, see decode/packet.ts). */
  private addr = new Int32Array(0);
  private lPort = new Uint16Array(0);
  private hPort = new Uint16Array(0);
  private hash = new Int32Array(0);
  private next = new Int32Array(0);
  // Counters per side.
  private pktsLo = new Float64Array(0);
  private pktsHi = new Float64Array(0);
  private bytesLo = new Float64Array(0);
  private bytesHi = new Float64Array(0);
  private payloadLo = new Float64Array(0);
  private payloadHi = new Float64Array(0);
  private synsLo = new Uint32Array(0);
  private synsHi = new Uint32Array(0);
  private flagsLo = new Uint8Array(0);
  private flagsHi = new Uint8Array(0);
  private first = new Float64Array(0);
  private last = new Float64Array(0);
  private firstFrame = new Float64Array(0);
  // TCP state and history.
  private tcpLo = new Uint8Array(0);
  private tcpHi = new Uint8Array(0);
  private onceLo = new Uint8Array(0);
  private onceHi = new Uint8Array(0);
  /** Which sequence-mark slots hold a value: bits 0–3 lo side, 4–7 hi side. */
  private seqSet = new Uint8Array(0);
  private seqMarks = new Uint32Array(0);
  private histLen = new Uint8Array(0);
  private hist = new Uint8Array(0);
  private readonly histOverflow = new Map<number, number[]>();

  private buckets = new Int32Array(0);
  private mask = 0;
  /** Open fragmented datagrams, for attributing later fragments. */
  readonly fragments: FragmentTracker;

  constructor(
    private readonly likelyServerPort: LikelyServerPort,
    fragments: FragmentTracker = new FragmentTracker(),
  ) {
    this.fragments = fragments;
    this.grow(INITIAL_CAPACITY);
  }

  get size(): number {
    return this.count;
  }

  /**
   * Adds one decoded IP packet of `frame`. Returns its flow's row, or -1 for
   * a later fragment whose first fragment is unknown. Takes the frame rather
   * than its timestamp so no double is boxed per packet.
   */
  add(pkt: Packet, frame: FrameStamp): number {
    const ts = frame.tsMicros;
    if (pkt.laterFragment) return this.addLaterFragment(pkt, frame);
    const proto = pkt.ipProto;
    const hasPorts = proto === IPPROTO_TCP || proto === IPPROTO_UDP;
    const sp = hasPorts ? pkt.srcPort : 0;
    const dp = hasPorts ? pkt.dstPort : 0;
    // Canonical order: compare (address words, port) of source and destination.
    let cmp = pkt.s0 - pkt.d0 || pkt.s1 - pkt.d1 || pkt.s2 - pkt.d2 || pkt.s3 - pkt.d3 || sp - dp;
    if (cmp === 0) cmp = -1;
    const fromLo = cmp < 0;
    const l0 = fromLo ? pkt.s0 : pkt.d0;
    const l1 = fromLo ? pkt.s1 : pkt.d1;
    const l2 = fromLo ? pkt.s2 : pkt.d2;
    const l3 = fromLo ? pkt.s3 : pkt.d3;
    const lp = fromLo ? sp : dp;
    const h0 = fromLo ? pkt.d0 : pkt.s0;
    const h1 = fromLo ? pkt.d1 : pkt.s1;
    const h2 = fromLo ? pkt.d2 : pkt.s2;
    const h3 = fromLo ? pkt.d3 : pkt.s3;
    const hp = fromLo ? dp : sp;

    let h = Math.imul(proto + 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ l0, 0xcc9e2d51) ^ l1;
    h = Math.imul(h ^ l2, 0x1b873593) ^ l3;
    h = Math.imul(h ^ h0, 0xcc9e2d51) ^ h1;
    h = Math.imul(h ^ h2, 0x1b873593) ^ h3;
    h = Math.imul(h ^ ((lp << 16) | hp), 0x85ebca6b);
    h ^= h >>> 15;

    const addr = this.addr;
    let row = this.buckets[h & this.mask]!;
    while (row >= 0) {
      const a = row * 8;
      if (
        this.hash[row] === h &&
        addr[a + 3] === l3 &&
        addr[a + 7] === h3 &&
        this.lPort[row] === lp &&
        this.hPort[row] === hp &&
        this.proto[row] === proto &&
        addr[a] === l0 &&
        addr[a + 1] === l1 &&
        addr[a + 2] === l2 &&
        addr[a + 4] === h0 &&
        addr[a + 5] === h1 &&
        addr[a + 6] === h2 &&
        this.family[row] === pkt.family
      ) {
        break;
      }
      row = this.next[row]!;
    }
    if (row < 0) {
      row = this.create(h, proto, pkt.family, l0, l1, l2, l3, lp, h0, h1, h2, h3, hp, ts, frame.index);
      this.chooseOriginator(row, pkt, fromLo, sp, dp);
    }

    if (ts < this.first[row]!) this.first[row] = ts;
    if (ts > this.last[row]!) this.last[row] = ts;
    const payload = Math.max(pkt.payloadLen, 0);
    const wireLen = frame.wireLen;
    if (fromLo) {
      this.pktsLo[row] = this.pktsLo[row]! + 1;
      this.bytesLo[row] = this.bytesLo[row]! + wireLen;
      this.payloadLo[row] = this.payloadLo[row]! + payload;
    } else {
      this.pktsHi[row] = this.pktsHi[row]! + 1;
      this.bytesHi[row] = this.bytesHi[row]! + wireLen;
      this.payloadHi[row] = this.payloadHi[row]! + payload;
    }
    if (proto === IPPROTO_TCP) this.tcpPacket(row, pkt, fromLo, payload);
    else if (proto === IPPROTO_UDP && payload > 0) this.markOnce(row, H_DATA, fromLo);
    if (pkt.moreFragments) this.fragments.remember(pkt, row, fromLo, ts);
    return row;
  }

  /** A fragment after the first: counted toward the first fragment's flow, in the same direction. */
  private addLaterFragment(pkt: Packet, frame: FrameStamp): number {
    const ts = frame.tsMicros;
    const d = this.fragments.find(pkt, ts);
    if (d === null) return -1;
    const row = d.row;
    if (ts < this.first[row]!) this.first[row] = ts;
    if (ts > this.last[row]!) this.last[row] = ts;
    if (d.fromLo) {
      this.pktsLo[row] = this.pktsLo[row]! + 1;
      this.bytesLo[row] = this.bytesLo[row]! + frame.wireLen;
    } else {
      this.pktsHi[row] = this.pktsHi[row]! + 1;
      this.bytesHi[row] = this.bytesHi[row]! + frame.wireLen;
    }
    return row;
  }

  /**
   * Every flow as a view, ordered by first packet time then creation. The
   * views are made one at a time, so a consumer that turns each into
   * something smaller holds few of them at once.
   */
  *inOrder(): Generator<Flow> {
    const n = this.count;
    const first = this.first;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => first[a]! - first[b]! || a - b);
    for (let i = 0; i < n; i++) yield new Flow(this, order[i]!);
  }

  /** A view of one row. */
  view(row: number): Flow {
    return new Flow(this, row);
  }

  // --- Per-row reads for Flow -------------------------------------------------

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
  /** @internal */ rowSyns(row: number, hi: boolean): number {
    return hi ? this.synsHi[row]! : this.synsLo[row]!;
  }
  /** @internal */ rowFlags(row: number, hi: boolean): number {
    return hi ? this.flagsHi[row]! : this.flagsLo[row]!;
  }
  /** @internal */ rowTcp(row: number, hi: boolean): number {
    return hi ? this.tcpHi[row]! : this.tcpLo[row]!;
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

  /** Zeek-style history: upper case from the originator, lower case from the responder. */
  rowHistory(row: number): string {
    let out = this.rowFlipped(row) ? "^" : "";
    const origIsLo = this.rowOrigIsLo(row);
    const n = this.histLen[row]!;
    const overflow = this.histOverflow.get(row);
    for (let i = 0; i < n; i++) {
      const entry = i < HIST_INLINE ? this.hist[row * HIST_INLINE + i]! : overflow![i - HIST_INLINE]!;
      const letter = HISTORY_LETTERS[entry & 0x7f]!;
      const fromLo = (entry & FROM_HI) === 0;
      out += fromLo === origIsLo ? letter.toUpperCase() : letter;
    }
    return out;
  }

  // --- Writes -------------------------------------------------------------------

  private create(
    h: number,
    proto: number,
    family: number,
    l0: number,
    l1: number,
    l2: number,
    l3: number,
    lp: number,
    h0: number,
    h1: number,
    h2: number,
    h3: number,
    hp: number,
    ts: number,
    frame: number,
  ): number {
    if (this.count === this.capacity) this.grow(this.capacity * 2);
    const row = this.count++;
    this.proto[row] = proto;
    this.family[row] = family;
    const a = row * 8;
    this.addr[a] = l0;
    this.addr[a + 1] = l1;
    this.addr[a + 2] = l2;
    this.addr[a + 3] = l3;
    this.addr[a + 4] = h0;
    this.addr[a + 5] = h1;
    this.addr[a + 6] = h2;
    this.addr[a + 7] = h3;
    this.lPort[row] = lp;
    this.hPort[row] = hp;
    this.first[row] = ts;
    this.last[row] = ts;
    this.firstFrame[row] = frame;
    this.tcpLo[row] = INACTIVE_ENDPOINT;
    this.tcpHi[row] = INACTIVE_ENDPOINT;
    this.hash[row] = h;
    const bucket = h & this.mask;
    this.next[row] = this.buckets[bucket]!;
    this.buckets[bucket] = row;
    return row;
  }

  /** Grows every column to `capacity` rows, rehashing into twice as many buckets. */
  private grow(capacity: number): void {
    const keep = this.count;
    const g8 = (a: Uint8Array, per = 1) => copy(new Uint8Array(capacity * per), a, keep * per);
    const g16 = (a: Uint16Array) => copy(new Uint16Array(capacity), a, keep);
    const g32 = (a: Uint32Array, per = 1) => copy(new Uint32Array(capacity * per), a, keep * per);
    const gi32 = (a: Int32Array, per = 1) => copy(new Int32Array(capacity * per), a, keep * per);
    const g64 = (a: Float64Array) => copy(new Float64Array(capacity), a, keep);
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
    this.synsLo = g32(this.synsLo);
    this.synsHi = g32(this.synsHi);
    this.flagsLo = g8(this.flagsLo);
    this.flagsHi = g8(this.flagsHi);
    this.first = g64(this.first);
    this.last = g64(this.last);
    this.firstFrame = g64(this.firstFrame);
    this.tcpLo = g8(this.tcpLo);
    this.tcpHi = g8(this.tcpHi);
    this.onceLo = g8(this.onceLo);
    this.onceHi = g8(this.onceHi);
    this.seqSet = g8(this.seqSet);
    this.seqMarks = g32(this.seqMarks, SEQ_SLOTS * 2);
    this.histLen = g8(this.histLen);
    this.hist = g8(this.hist, HIST_INLINE);
    this.capacity = capacity;
    // Twice as many buckets as rows keeps chains short.
    this.buckets = new Int32Array(capacity * 2).fill(-1);
    this.mask = capacity * 2 - 1;
    for (let row = 0; row < keep; row++) {
      const bucket = this.hash[row]! & this.mask;
      this.next[row] = this.buckets[bucket]!;
      this.buckets[bucket] = row;
    }
  }

  private chooseOriginator(row: number, pkt: Packet, fromLo: boolean, sp: number, dp: number): void {
    const proto = this.proto[row]!;
    const flags = pkt.tcpFlags;
    let origIsLo = fromLo;
    let flipped = false;
    if (proto === IPPROTO_TCP && flags & TCP_SYN) {
      // A pure SYN's sender originates; a SYN+ACK's receiver does.
      flipped = (flags & TCP_ACK) !== 0;
      origIsLo = flipped ? !fromLo : fromLo;
    } else if (
      (proto === IPPROTO_TCP || proto === IPPROTO_UDP) &&
      !this.likelyServerPort(proto, dp) &&
      this.likelyServerPort(proto, sp)
    ) {
      origIsLo = !fromLo;
      flipped = true;
    }
    this.bits[row] = (origIsLo ? BIT_ORIG_IS_LO : 0) | (flipped ? BIT_FLIPPED : 0);
  }

  /** Records a history letter at most once per direction (a, d, i, q). */
  private markOnce(row: number, code: number, fromLo: boolean): void {
    const bit = 1 << code;
    const once = fromLo ? this.onceLo : this.onceHi;
    if (once[row]! & bit) return;
    once[row] = once[row]! | bit;
    this.pushHistory(row, code, fromLo);
  }

  /** Records s, h, f or r again only when its sequence number differs from the last one of that kind. */
  private markSeq(row: number, code: number, slot: number, fromLo: boolean, seq: number): void {
    const bit = 1 << (fromLo ? slot : SEQ_SLOTS + slot);
    const at = row * SEQ_SLOTS * 2 + (fromLo ? slot : SEQ_SLOTS + slot);
    if (this.seqSet[row]! & bit && this.seqMarks[at] === seq) return;
    this.seqSet[row] = this.seqSet[row]! | bit;
    this.seqMarks[at] = seq;
    this.pushHistory(row, code, fromLo);
  }

  private pushHistory(row: number, code: number, fromLo: boolean): void {
    const entry = fromLo ? code : code | FROM_HI;
    const n = this.histLen[row]!;
    if (n === 255) return; // Zeek's histories stop growing long before this.
    if (n < HIST_INLINE) {
      this.hist[row * HIST_INLINE + n] = entry;
    } else {
      let overflow = this.histOverflow.get(row);
      if (overflow === undefined) {
        overflow = [];
        this.histOverflow.set(row, overflow);
      }
      overflow.push(entry);
    }
    this.histLen[row] = n + 1;
  }

  private tcpPacket(row: number, pkt: Packet, fromLo: boolean, payload: number): void {
    const flags = pkt.tcpFlags;
    if (fromLo) this.flagsLo[row] = this.flagsLo[row]! | flags;
    else this.flagsHi[row] = this.flagsHi[row]! | flags;
    if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
      if (fromLo) this.synsLo[row] = this.synsLo[row]! + 1;
      else this.synsHi[row] = this.synsHi[row]! + 1;
    }

    // History (Zeek conn.log `history`): multi-flag packets first, then one
    // control flag, then pure ACK; data is marked independently.
    const syn = flags & TCP_SYN;
    const fin = flags & TCP_FIN;
    const rst = flags & TCP_RST;
    const controls = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    if (controls > 1) {
      this.markOnce(row, fin && rst ? H_INCONSISTENT : H_MULTI, fromLo);
    } else if (syn) {
      if (flags & TCP_ACK) this.markSeq(row, H_SYNACK, 1, fromLo, pkt.seq);
      else this.markSeq(row, H_SYN, 0, fromLo, pkt.seq);
    } else if (fin) {
      this.markSeq(row, H_FIN, 2, fromLo, pkt.seq);
    } else if (rst) {
      this.markSeq(row, H_RST, 3, fromLo, pkt.seq);
    } else if (flags & TCP_ACK && payload === 0) {
      this.markOnce(row, H_ACK, fromLo);
    }
    if (payload > 0) this.markOnce(row, H_DATA, fromLo);

    const origIsLo = (this.bits[row]! & BIT_ORIG_IS_LO) !== 0;
    const fromOrig = fromLo === origIsLo;
    const origState = endpointState(origIsLo ? this.tcpLo[row]! : this.tcpHi[row]!);
    if (fromLo) {
      const pair = updateTcpState(this.tcpLo[row]!, this.tcpHi[row]!, origState, fromOrig, flags, payload);
      this.tcpLo[row] = pair & 0xff;
      this.tcpHi[row] = pair >> 8;
    } else {
      const pair = updateTcpState(this.tcpHi[row]!, this.tcpLo[row]!, origState, fromOrig, flags, payload);
      this.tcpHi[row] = pair & 0xff;
      this.tcpLo[row] = pair >> 8;
    }
  }
}

type Column = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

function copy<T extends Column>(into: T, from: Column, n: number): T {
  if (n > 0) into.set(from.subarray(0, n) as never);
  return into;
}

/**
 * A read-only view of one flow row, in originator/responder terms.
 * Classification and reports read it and copy what they keep.
 */
export class Flow {
  constructor(
    private readonly table: FlowTable,
    readonly row: number,
  ) {}

  /** Creation order, from 0. */
  get id(): number {
    return this.row;
  }
  get ipProto(): number {
    return this.table.rowProto(this.row);
  }
  get family(): number {
    return this.table.rowFamily(this.row);
  }
  get origIsLo(): boolean {
    return this.table.rowOrigIsLo(this.row);
  }
  get flipped(): boolean {
    return this.table.rowFlipped(this.row);
  }
  /** Address word 0–3 of the originator (`orig`) or responder. */
  addrWord(orig: boolean, word: number): number {
    const hi = orig !== this.origIsLo;
    return this.table.rowAddr(this.row, (hi ? 4 : 0) + word);
  }
  get first(): number {
    return this.table.rowFirst(this.row);
  }
  get last(): number {
    return this.table.rowLast(this.row);
  }
  get firstFrame(): number {
    return this.table.rowFirstFrame(this.row);
  }
  get origPort(): number {
    return this.table.rowPort(this.row, !this.origIsLo);
  }
  get respPort(): number {
    return this.table.rowPort(this.row, this.origIsLo);
  }
  get origPackets(): number {
    return this.table.rowPackets(this.row, !this.origIsLo);
  }
  get respPackets(): number {
    return this.table.rowPackets(this.row, this.origIsLo);
  }
  get origBytes(): number {
    return this.table.rowBytes(this.row, !this.origIsLo);
  }
  get respBytes(): number {
    return this.table.rowBytes(this.row, this.origIsLo);
  }
  get origPayload(): number {
    return this.table.rowPayload(this.row, !this.origIsLo);
  }
  get respPayload(): number {
    return this.table.rowPayload(this.row, this.origIsLo);
  }
  get origSyns(): number {
    return this.table.rowSyns(this.row, !this.origIsLo);
  }
  get origFlags(): number {
    return this.table.rowFlags(this.row, !this.origIsLo);
  }
  get respFlags(): number {
    return this.table.rowFlags(this.row, this.origIsLo);
  }

  history(): string {
    return this.table.rowHistory(this.row);
  }

  /** conn.log `conn_state` for TCP and UDP; OTH for everything else. Pass `history()` if already at hand. */
  connState(history?: string): ConnState {
    const proto = this.ipProto;
    if (proto === IPPROTO_TCP) {
      const lo = this.origIsLo;
      return tcpConnState(
        this.table.rowTcp(this.row, !lo),
        this.table.rowTcp(this.row, lo),
        this.origPayload,
        this.respPayload,
        history ?? this.history(),
      );
    }
    if (proto === IPPROTO_UDP) return udpConnState(this.origPackets, this.respPackets);
    return "OTH";
  }
}
