/**
 * The flow table: groups decoded packets into bidirectional flows and keeps
 * each flow's Zeek-style connection state and history.
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
 * Lifetime: a flow ends (is finalized and handed to `onFinal`) when it has
 * been idle longer than its protocol's timeout (TCP 5 min, UDP and others
 * 1 min by default), when its TCP connection has closed (both FINs, or a
 * RST) and stayed quiet for `closedLinger` (Zeek's tcp_close_delay, 5 s),
 * when a new SYN reuses the 5-tuple of a closed connection (as Zeek and
 * tshark split it), or at the end of the capture. Its row is then reused, so
 * memory follows the number of active flows, not of all flows.
 *
 * Layout: one row per flow across typed-array columns (struct of arrays),
 * found through an open hash with chaining by row number. Adding a packet
 * allocates nothing unless the flow is new and the columns must grow; the
 * table copies numbers from the packet, never its buffer. `Flow` is a
 * read-only view of one row, valid while `onFinal` runs.
 */
import type { Frame } from "../capture/types.js";
import {
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  type Packet,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
} from "../decode/packet.js";
import {
  App,
  identify,
  idResult,
  STUN_BINDING_REQUEST,
  STUN_CHANNEL_DATA,
  tlsServerName,
} from "../decode/signatures.js";
import { FragmentTracker } from "./fragments.js";
import {
  type ConnState,
  EndpointState,
  endpointState,
  INACTIVE_ENDPOINT,
  tcpConnState,
  udpConnState,
  updateTcpState,
} from "./tcp.js";

export type LikelyServerPort = (ipProto: number, port: number) => boolean;

/** What the table reads from a capture frame. */
export type FrameStamp = Pick<Frame, "buf" | "tsMicros" | "wireLen" | "index" | "fileOffset">;

/** Why a flow ended. */
export type EndReason = "capture_end" | "idle_timeout" | "closed" | "reused" | "evicted";

export interface FlowTableOptions {
  likelyServerPort: LikelyServerPort;
  /** Receives each flow as it ends; the view is valid only during the call. */
  onFinal: (flow: Flow, reason: EndReason) => void;
  tcpTimeoutMicros?: number;
  udpTimeoutMicros?: number;
  /** ICMP and other protocols. */
  otherTimeoutMicros?: number;
  /** How long a closed TCP connection is kept for late packets (Zeek's tcp_close_delay). */
  closedLingerMicros?: number;
  fragments?: FragmentTracker;
  /**
   * Most flows held at once. Past it, the longest-idle tenth are ended early
   * (EndReason "evicted"), as Zeek's and nDPI's bounded tables do; the count
   * and the first frame where it happened are kept in `evicted`.
   */
  maxFlows?: number;
}

export const DEFAULT_MAX_FLOWS = 1_000_000;

export const DEFAULT_TCP_TIMEOUT_MICROS = 300_000_000;
export const DEFAULT_UDP_TIMEOUT_MICROS = 60_000_000;
const DEFAULT_CLOSED_LINGER_MICROS = 5_000_000;
/** Capture time between sweeps for ended flows. */
const SWEEP_INTERVAL_MICROS = 10_000_000;

/** What a flow's first payload from a side looked like (for "request with no answer"). */
export const FirstPayload = {
  None: 0,
  Other: 1,
  StunBindingRequest: 2,
  SipRequest: 3,
} as const;
export type FirstPayload = (typeof FirstPayload)[keyof typeof FirstPayload];

/** An ICMP destination-unreachable message quoting one of this flow's packets. */
export interface IcmpEvidence {
  count: number;
  /** ICMP or ICMPv6 type and code of the last message. */
  v6: boolean;
  type: number;
  code: number;
  /** Who sent it: address words and family. */
  family: number;
  words: [number, number, number, number];
  first: number;
  last: number;
  /** Whether the quoted packet was sent by the flow's lo endpoint (see `isLo`). */
  quotesLo: boolean;
}

/**
 * An ICMP destination unreachable that quotes a packet of no flow in the
 * capture: kept on the ICMP flow between its sender and receiver, naming the
 * 5-tuple it quotes (the first one, when several).
 */
export interface IcmpQuote extends IcmpEvidence {
  proto: number;
  src: [number, number, number, number];
  srcPort: number;
  dst: [number, number, number, number];
  dstPort: number;
}

/** Marks a ChannelData run in the RTP SSRC column (an SSRC is any 32-bit value; a clash only restarts a run). */
const CHANNEL_MARK = 0xc1a70000;

/** STUN/TURN (3478), TURN over TLS (5349) and the OCS Edge's 443, where TURN ChannelData may flow. */
function isTurnPort(port: number): boolean {
  return port === 3478 || port === 5349 || port === 443;
}

/** Bits in the sender bitmap: 2^24 (2 MiB), indexed by a hash of the source address. */
const SENDER_BITS_LOG2 = 24;

// History letter codes, indexes into HISTORY_LETTERS.
const H_SYN = 0; // s, h share one slot per endpoint (Zeek's HIST_SYN_PKT)
const H_SYNACK = 1;
const H_ACK = 2;
const H_DATA = 3;
const H_FIN = 4;
const H_RST = 5;
const H_MULTI = 6;
const H_FIN_RST = 7;
const H_RXMIT = 8;
const H_ZERO_WINDOW = 9;
const H_GAP = 10;
const H_BAD_CHECKSUM = 11;
const HISTORY_LETTERS = "shadfrqitwgc";
/** HISTORY_LETTERS as character codes (lower case; upper case is 0x20 less). */
const HISTORY_CODES = Uint16Array.from(HISTORY_LETTERS, (c) => c.charCodeAt(0));
/** Bit set in a history entry when the hi endpoint sent it. */
const FROM_HI = 0x80;
/** History entries kept inline per flow; longer histories spill into a map (rare). */
const HIST_INLINE = 16;
/** Distinct history texts kept for sharing; past it each flow gets its own. */
const HISTORY_INTERN_MAX = 4096;
/** Sequence-mark slots per side: SYN, FIN, RST. */
const SEQ_SLOT_SYN = 0;
const SEQ_SLOT_FIN = 1;
const SEQ_SLOT_RST = 2;
const SEQ_SLOTS = 3;
/** Logarithmic letters, one counter per side each: c, g, t, w. */
const LOG_SLOTS = 4;
const LOG_RXMIT = 0;
const LOG_ZERO_WINDOW = 1;
const LOG_GAP = 2;
const LOG_BAD_CHECKSUM = 3;
/** Zeek's TOO_LARGE_SEQ_DELTA: sequence jumps on SYN/RST larger than this are not trusted. */
const TOO_LARGE_SEQ_DELTA = 1_048_576;

const BIT_ORIG_IS_LO = 1;
const BIT_FLIPPED = 2;

const INITIAL_CAPACITY = 1024;
/** Payload-bearing packets per side looked at for identification (UDP needs more to confirm RTP). */
const IDENTIFY_PACKETS_TCP = 4;
const IDENTIFY_PACKETS_UDP = 8;
/** RTP packets of one SSRC, with rising sequence numbers, that confirm RTP. */
const RTP_RUN = 3;

export class FlowTable {
  /** Rows ever used (the high-water mark); active rows are flagged. */
  private used = 0;
  private capacity = 0;
  private activeCount = 0;
  private nextSerial = 0;
  private readonly freeRows: number[] = [];
  /** Flows ended, by reason. */
  readonly ended: Record<EndReason, number> = {
    capture_end: 0,
    idle_timeout: 0,
    closed: 0,
    reused: 0,
    evicted: 0,
  };
  /** Flows ended early by the maxFlows limit, and the byte offset of the frame that first hit it (-1: never). */
  readonly evicted = { flows: 0, firstOffset: -1 };
  private readonly maxFlows: number;

  // Identity.
  private active = new Uint8Array(0);
  private serial = new Float64Array(0);
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
  private firstPayloadLo = new Uint8Array(0);
  private firstPayloadHi = new Uint8Array(0);
  // Payload identification per side (decode/signatures.ts).
  private appLo = new Uint8Array(0);
  private appHi = new Uint8Array(0);
  private appSeenLo = new Uint8Array(0);
  private appSeenHi = new Uint8Array(0);
  private appDetailLo = new Int16Array(0);
  private appDetailHi = new Int16Array(0);
  private rtpSsrcLo = new Uint32Array(0);
  private rtpSsrcHi = new Uint32Array(0);
  private rtpSeqLo = new Uint16Array(0);
  private rtpSeqHi = new Uint16Array(0);
  private rtpRunLo = new Uint8Array(0);
  private rtpRunHi = new Uint8Array(0);
  private readonly sni = new Map<number, string>();
  // TCP state and history.
  private tcpLo = new Uint8Array(0);
  private tcpHi = new Uint8Array(0);
  private onceLo = new Uint16Array(0);
  private onceHi = new Uint16Array(0);
  /** Which sequence-mark slots hold a value: bits 0–2 lo side, 3–5 hi side. */
  private seqSet = new Uint8Array(0);
  private seqMarks = new Uint32Array(0);
  /** Highest sequence number seen (one past the segment), per side; bit 0/1 of lastSeqSet says it is set. */
  private lastSeqLo = new Uint32Array(0);
  private lastSeqHi = new Uint32Array(0);
  private lastSeqSet = new Uint8Array(0);
  private logCounts = new Uint32Array(0);
  private histLen = new Uint8Array(0);
  private hist = new Uint8Array(0);
  private readonly histOverflow = new Map<number, number[]>();
  /** Distinct history texts by a hash of their letters (see rowHistory). */
  private readonly historyIntern = new Map<number, string[]>();
  private historyInternSize = 0;
  private readonly historyCodes = new Uint16Array(64);
  private readonly icmp = new Map<number, IcmpEvidence>();
  private readonly icmpQuotes = new Map<number, IcmpQuote>();
  /**
   * One bit per hashed source address that has sent any packet: "did the
   * capture see the peer at all" (one-way media). Set once per flow side, at
   * its first packet, not per packet. Fixed size, so it cannot grow; a hash
   * collision can only make a one-way flow look blocked rather than one-sided.
   */
  private readonly senders = new Uint32Array(1 << (SENDER_BITS_LOG2 - 5));
  /**
   * One bit per hashed (source, destination) address pair whose traffic was
   * identified as media (RTP, RTCP, STUN/TURN, DTLS), set once per flow side:
   * "did media come back on another 5-tuple" (asymmetric RTP ports, a
   * receive-only party sending RTCP). Same size and collision rule as `senders`.
   */
  private readonly mediaPairs = new Uint32Array(1 << (SENDER_BITS_LOG2 - 5));

  private buckets = new Int32Array(0);
  private mask = 0;
  private nextSweep = Number.NEGATIVE_INFINITY;

  private readonly likelyServerPort: LikelyServerPort;
  private readonly onFinal: (flow: Flow, reason: EndReason) => void;
  private readonly tcpTimeout: number;
  private readonly udpTimeout: number;
  private readonly otherTimeout: number;
  private readonly closedLinger: number;
  /** Open fragmented datagrams, for attributing later fragments. */
  readonly fragments: FragmentTracker;

  constructor(options: FlowTableOptions) {
    this.likelyServerPort = options.likelyServerPort;
    this.onFinal = options.onFinal;
    this.tcpTimeout = options.tcpTimeoutMicros ?? DEFAULT_TCP_TIMEOUT_MICROS;
    this.udpTimeout = options.udpTimeoutMicros ?? DEFAULT_UDP_TIMEOUT_MICROS;
    this.otherTimeout = options.otherTimeoutMicros ?? DEFAULT_UDP_TIMEOUT_MICROS;
    this.closedLinger = options.closedLingerMicros ?? DEFAULT_CLOSED_LINGER_MICROS;
    this.fragments = options.fragments ?? new FragmentTracker();
    this.maxFlows = Math.max(1, options.maxFlows ?? DEFAULT_MAX_FLOWS);
    this.grow(INITIAL_CAPACITY);
  }

  /** Flows currently active (not yet ended). */
  get size(): number {
    return this.activeCount;
  }

  /** Flows created so far. */
  get created(): number {
    return this.nextSerial;
  }

  /**
   * Adds one decoded IP packet of `frame`. Returns its flow's row, or -1 for
   * a later fragment whose first fragment is unknown. An ICMP destination
   * unreachable that quotes a known flow is attached to that flow and returns
   * its row. The timestamp is never passed on as an argument (callees read
   * `frame.tsMicros`): V8's optimizing compiler boxes a double once for all
   * its uses as an argument, where they meet, so even the rare sweep or ICMP
   * call made every packet allocate a heap number (32 MB per 2 M packets).
   */
  add(pkt: Packet, frame: FrameStamp, badChecksum = false): number {
    const ts = frame.tsMicros;
    if (ts >= this.nextSweep) this.sweep(frame);
    if (pkt.laterFragment) return this.addLaterFragment(pkt, frame);
    const proto = pkt.ipProto;
    const icmpError = pkt.quoted && (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6);
    if (icmpError) {
      const row = this.attachIcmp(pkt, frame);
      if (row >= 0) return row;
    }
    const hasPorts = proto === IPPROTO_TCP || proto === IPPROTO_UDP;
    // An ICMP error quoting no flow gets a flow per quoted port pair, so errors
    // about different attempts between the same two hosts stay apart.
    const sp = hasPorts ? pkt.srcPort : icmpError ? pkt.qSrcPort : 0;
    const dp = hasPorts ? pkt.dstPort : icmpError ? pkt.qDstPort : 0;
    const fromLo = isLo(pkt.s0, pkt.s1, pkt.s2, pkt.s3, sp, pkt.d0, pkt.d1, pkt.d2, pkt.d3, dp);
    let row = fromLo
      ? this.find(proto, pkt.family, pkt.s0, pkt.s1, pkt.s2, pkt.s3, sp, pkt.d0, pkt.d1, pkt.d2, pkt.d3, dp)
      : this.find(proto, pkt.family, pkt.d0, pkt.d1, pkt.d2, pkt.d3, dp, pkt.s0, pkt.s1, pkt.s2, pkt.s3, sp);
    if (row >= 0) {
      const reason = this.endsBefore(row, pkt, fromLo, frame);
      if (reason !== null) {
        this.finalize(row, reason);
        row = -1;
      }
    }
    if (row < 0) {
      row = fromLo
        ? this.create(
            proto,
            pkt.family,
            pkt.s0,
            pkt.s1,
            pkt.s2,
            pkt.s3,
            sp,
            pkt.d0,
            pkt.d1,
            pkt.d2,
            pkt.d3,
            dp,
            frame,
          )
        : this.create(
            proto,
            pkt.family,
            pkt.d0,
            pkt.d1,
            pkt.d2,
            pkt.d3,
            dp,
            pkt.s0,
            pkt.s1,
            pkt.s2,
            pkt.s3,
            sp,
            frame,
          );
      this.chooseOriginator(row, pkt, fromLo, sp, dp);
      if (this.activeCount > this.maxFlows) this.evict(row, frame.fileOffset);
    }

    if (ts < this.first[row]!) this.first[row] = ts;
    if (ts > this.last[row]!) this.last[row] = ts;
    const payload = Math.max(pkt.payloadLen, 0);
    const wireLen = frame.wireLen;
    if (fromLo) {
      const n = this.pktsLo[row]! + 1;
      this.pktsLo[row] = n;
      if (n === 1) this.markSender(row, 0);
      this.bytesLo[row] = this.bytesLo[row]! + wireLen;
      this.payloadLo[row] = this.payloadLo[row]! + payload;
    } else {
      const n = this.pktsHi[row]! + 1;
      this.pktsHi[row] = n;
      if (n === 1) this.markSender(row, 4);
      this.bytesHi[row] = this.bytesHi[row]! + wireLen;
      this.payloadHi[row] = this.payloadHi[row]! + payload;
    }
    if (payload > 0 && pkt.payloadCaptured > 0) this.notePayload(row, pkt, frame.buf, fromLo);
    if (badChecksum) this.markLog(row, H_BAD_CHECKSUM, LOG_BAD_CHECKSUM, fromLo);
    if (proto === IPPROTO_TCP) this.tcpPacket(row, pkt, fromLo, payload);
    else if (proto === IPPROTO_UDP && payload > 0) this.markOnce(row, H_DATA, fromLo);
    if (pkt.moreFragments) this.fragments.remember(pkt, row, this.serial[row]!, fromLo, ts, frame.fileOffset);
    if (icmpError) this.noteUnmatchedIcmp(row, pkt, ts);
    return row;
  }

  /** An ICMP error that quotes no flow: remembered on its own ICMP flow (rare: allocates). */
  private noteUnmatchedIcmp(row: number, pkt: Packet, ts: number): void {
    const known = this.icmpQuotes.get(row);
    if (known) {
      known.count++;
      known.last = ts;
      return;
    }
    this.icmpQuotes.set(row, {
      ...icmpEvidence(pkt, ts, true),
      proto: pkt.qProto,
      src: [pkt.qs0, pkt.qs1, pkt.qs2, pkt.qs3],
      srcPort: pkt.qSrcPort,
      dst: [pkt.qd0, pkt.qd1, pkt.qd2, pkt.qd3],
      dstPort: pkt.qDstPort,
    });
  }

  /** A side's first packet: its address has now sent something (`at`: 0 the lo side's words, 4 the hi side's). */
  private markSender(row: number, at: number): void {
    const a = row * 8 + at;
    const h = senderHash(this.addr[a]!, this.addr[a + 1]!, this.addr[a + 2]!, this.addr[a + 3]!);
    this.senders[h >>> 5] = this.senders[h >>> 5]! | (1 << (h & 31));
  }

  /** A side's payload was identified as media: its address sent media to the other side's address. */
  private markMediaPair(row: number, fromLo: boolean): void {
    const s = row * 8 + (fromLo ? 0 : 4);
    const d = row * 8 + (fromLo ? 4 : 0);
    const h = senderHash(
      this.addr[s]! ^ Math.imul(this.addr[d + 3]!, 0x27d4eb2d),
      this.addr[s + 1]! ^ this.addr[d + 2]!,
      this.addr[s + 2]! ^ this.addr[d + 1]!,
      this.addr[s + 3]! ^ Math.imul(this.addr[d]!, 0x165667b1),
    );
    this.mediaPairs[h >>> 5] = this.mediaPairs[h >>> 5]! | (1 << (h & 31));
  }

  /** Whether the address `from` sent media to the address `to` on any flow so far (hashed; see `mediaPairs`). */
  sentMediaTo(from: readonly number[], to: readonly number[]): boolean {
    const h = senderHash(
      from[0]! ^ Math.imul(to[3]!, 0x27d4eb2d),
      from[1]! ^ to[2]!,
      from[2]! ^ to[1]!,
      from[3]! ^ Math.imul(to[0]!, 0x165667b1),
    );
    return (this.mediaPairs[h >>> 5]! & (1 << (h & 31))) !== 0;
  }

  /** Whether any packet so far came from this address (hashed; see `senders`). */
  sentAnything(w0: number, w1: number, w2: number, w3: number): boolean {
    const h = senderHash(w0, w1, w2, w3);
    return (this.senders[h >>> 5]! & (1 << (h & 31))) !== 0;
  }

  /** Ends every remaining flow: the capture is over. (Consumers order flows themselves.) */
  finish(): void {
    for (let row = 0; row < this.used; row++) if (this.active[row]) this.finalize(row, "capture_end");
  }

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
  /** @internal */ rowIcmp(row: number): IcmpEvidence | null {
    return this.icmp.get(row) ?? null;
  }
  /** @internal */ rowIcmpQuote(row: number): IcmpQuote | null {
    return this.icmpQuotes.get(row) ?? null;
  }

  /** Zeek-style history: upper case from the originator, lower case from the responder. */
  /**
   * The history text. Histories repeat across flows ("ShADadFf"), and a
   * report keeps one per flow it lists, so each distinct text is kept once
   * (up to HISTORY_INTERN_MAX): a flow's own copy, built letter by letter,
   * would be a chain of string pieces the garbage collector marks for as
   * long as the report lives.
   */
  rowHistory(row: number): string {
    const origIsLo = this.rowOrigIsLo(row);
    const n = this.histLen[row]!;
    const codes = this.historyCodes;
    let len = 0;
    if (this.rowFlipped(row)) codes[len++] = 0x5e; // ^
    const overflow = n > HIST_INLINE ? this.histOverflow.get(row) : undefined;
    let key = len;
    for (let i = 0; i < n; i++) {
      const entry = i < HIST_INLINE ? this.hist[row * HIST_INLINE + i]! : overflow![i - HIST_INLINE]!;
      const code = HISTORY_CODES[entry & 0x7f]!;
      const fromLo = (entry & FROM_HI) === 0;
      const c = fromLo === origIsLo ? code - 0x20 : code; // upper case from the originator
      if (len === codes.length) return this.historyText(n, row, origIsLo);
      codes[len++] = c;
      key = (Math.imul(key, 31) + c) | 0;
    }
    if (len > 24) return String.fromCharCode(...codes.subarray(0, len));
    let bucket = this.historyIntern.get(key);
    if (bucket !== undefined) {
      for (const s of bucket) if (sameCodes(s, codes, len)) return s;
    }
    const text = String.fromCharCode(...codes.subarray(0, len));
    if (this.historyInternSize >= HISTORY_INTERN_MAX) return text;
    if (bucket === undefined) {
      bucket = [];
      this.historyIntern.set(key, bucket);
    }
    bucket.push(text);
    this.historyInternSize++;
    return text;
  }

  /** A history longer than the scratch buffer (only with many overflow entries). */
  private historyText(n: number, row: number, origIsLo: boolean): string {
    let out = this.rowFlipped(row) ? "^" : "";
    const overflow = this.histOverflow.get(row);
    for (let i = 0; i < n; i++) {
      const entry = i < HIST_INLINE ? this.hist[row * HIST_INLINE + i]! : overflow![i - HIST_INLINE]!;
      const letter = HISTORY_LETTERS[entry & 0x7f]!;
      out += ((entry & FROM_HI) === 0) === origIsLo ? letter.toUpperCase() : letter;
    }
    return out;
  }

  // --- Lookup and lifetime ----------------------------------------------------

  /** The active row for a flow given in canonical order (lo first), or -1. */
  private find(
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
  ): number {
    const h = flowHash(proto, l0, l1, l2, l3, lp, h0, h1, h2, h3, hp);
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
        this.family[row] === family
      ) {
        return row;
      }
      row = this.next[row]!;
    }
    return -1;
  }

  /**
   * Whether the flow at `row` ended before this packet (and why), so the
   * packet starts a new one. Takes the frame, not its timestamp (see add).
   */
  private endsBefore(row: number, pkt: Packet, fromLo: boolean, frame: FrameStamp): EndReason | null {
    const idle = frame.tsMicros - this.last[row]!;
    const proto = this.proto[row]!;
    const timeout =
      proto === IPPROTO_TCP ? this.tcpTimeout : proto === IPPROTO_UDP ? this.udpTimeout : this.otherTimeout;
    if (idle > timeout) return "idle_timeout";
    if (proto !== IPPROTO_TCP || (pkt.tcpFlags & (TCP_SYN | TCP_ACK)) !== TCP_SYN) return null;
    // A new SYN on a connection that has ended (both FINs, or a reset) opens a
    // new connection, unless it repeats this side's last SYN (a retransmission).
    if (!this.terminated(row)) return null;
    const slot = (fromLo ? 0 : SEQ_SLOTS) + SEQ_SLOT_SYN;
    const sameSyn =
      (this.seqSet[row]! & (1 << slot)) !== 0 && this.seqMarks[row * SEQ_SLOTS * 2 + slot] === pkt.seq;
    return sameSyn ? null : "reused";
  }

  private terminated(row: number): boolean {
    const lo = endpointState(this.tcpLo[row]!);
    const hi = endpointState(this.tcpHi[row]!);
    return (
      lo === EndpointState.Reset ||
      hi === EndpointState.Reset ||
      (lo === EndpointState.Closed && hi === EndpointState.Closed)
    );
  }

  /** Ends flows that have been idle past their timeout, or closed and quiet past the linger time. */
  private sweep(frame: FrameStamp): void {
    const now = frame.tsMicros;
    this.nextSweep = now + SWEEP_INTERVAL_MICROS;
    for (let row = 0; row < this.used; row++) {
      if (!this.active[row]) continue;
      const idle = now - this.last[row]!;
      const proto = this.proto[row]!;
      const timeout =
        proto === IPPROTO_TCP ? this.tcpTimeout : proto === IPPROTO_UDP ? this.udpTimeout : this.otherTimeout;
      if (idle > timeout) this.finalize(row, "idle_timeout");
      else if (proto === IPPROTO_TCP && idle > this.closedLinger && this.terminated(row))
        this.finalize(row, "closed");
    }
  }

  /**
   * Ends the longest-idle flows until a tenth of the limit is free again
   * (never `keep`, the flow just created). One sort per eviction round, and a
   * round frees limit/10 rows, so the cost per new flow stays logarithmic.
   */
  private evict(keep: number, fileOffset: number): void {
    const target = this.maxFlows - Math.max(1, Math.floor(this.maxFlows / 10));
    const lasts = new Float64Array(this.activeCount);
    let n = 0;
    for (let row = 0; row < this.used; row++)
      if (this.active[row] && row !== keep) lasts[n++] = this.last[row]!;
    const sorted = lasts.subarray(0, n).sort();
    const toEnd = this.activeCount - target;
    const threshold = sorted[Math.min(toEnd, n) - 1] ?? Number.NEGATIVE_INFINITY;
    if (this.evicted.firstOffset < 0) this.evicted.firstOffset = fileOffset;
    let ended = 0;
    for (let row = 0; row < this.used && ended < toEnd; row++) {
      if (!this.active[row] || row === keep || this.last[row]! > threshold) continue;
      this.finalize(row, "evicted");
      ended++;
    }
    this.evicted.flows += ended;
  }

  private finalize(row: number, reason: EndReason): void {
    this.ended[reason]++;
    this.onFinal(new Flow(this, row), reason);
    // Unlink from its bucket's chain, then free the row for reuse.
    const bucket = this.hash[row]! & this.mask;
    let at = this.buckets[bucket]!;
    if (at === row) {
      this.buckets[bucket] = this.next[row]!;
    } else {
      while (at >= 0) {
        const nxt = this.next[at]!;
        if (nxt === row) {
          this.next[at] = this.next[row]!;
          break;
        }
        at = nxt;
      }
    }
    this.active[row] = 0;
    this.activeCount--;
    this.histOverflow.delete(row);
    this.icmp.delete(row);
    this.icmpQuotes.delete(row);
    this.sni.delete(row);
    this.freeRows.push(row);
  }

  private create(
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
    frame: FrameStamp,
  ): number {
    const ts = frame.tsMicros;
    let row = this.freeRows.pop();
    if (row === undefined) {
      if (this.used === this.capacity) this.grow(this.capacity * 2);
      row = this.used++;
    }
    this.clearRow(row);
    this.active[row] = 1;
    this.activeCount++;
    this.serial[row] = this.nextSerial++;
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
    this.firstFrame[row] = frame.index;
    const h = flowHash(proto, l0, l1, l2, l3, lp, h0, h1, h2, h3, hp);
    this.hash[row] = h;
    const bucket = h & this.mask;
    this.next[row] = this.buckets[bucket]!;
    this.buckets[bucket] = row;
    return row;
  }

  /** Zeroes a reused row's counters and state. */
  private clearRow(row: number): void {
    this.bits[row] = 0;
    this.pktsLo[row] = 0;
    this.pktsHi[row] = 0;
    this.bytesLo[row] = 0;
    this.bytesHi[row] = 0;
    this.payloadLo[row] = 0;
    this.payloadHi[row] = 0;
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
  private grow(capacity: number): void {
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
    this.synsLo = g32(this.synsLo);
    this.synsHi = g32(this.synsHi);
    this.flagsLo = g8(this.flagsLo);
    this.flagsHi = g8(this.flagsHi);
    this.first = g64(this.first);
    this.last = g64(this.last);
    this.firstFrame = g64(this.firstFrame);
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

  // --- Per-packet updates -----------------------------------------------------

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

  /** A fragment after the first: counted toward the first fragment's flow, in the same direction. */
  private addLaterFragment(pkt: Packet, frame: FrameStamp): number {
    const ts = frame.tsMicros;
    const d = this.fragments.find(pkt, ts);
    if (d === null || !this.active[d.row] || this.serial[d.row] !== d.serial) return -1;
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

  /** Attaches an ICMP unreachable to the flow its quoted packet belongs to; -1 when there is none. */
  private attachIcmp(pkt: Packet, frame: FrameStamp): number {
    const ts = frame.tsMicros;
    const lo = isLo(
      pkt.qs0,
      pkt.qs1,
      pkt.qs2,
      pkt.qs3,
      pkt.qSrcPort,
      pkt.qd0,
      pkt.qd1,
      pkt.qd2,
      pkt.qd3,
      pkt.qDstPort,
    );
    const row = lo
      ? this.find(
          pkt.qProto,
          pkt.qFamily,
          pkt.qs0,
          pkt.qs1,
          pkt.qs2,
          pkt.qs3,
          pkt.qSrcPort,
          pkt.qd0,
          pkt.qd1,
          pkt.qd2,
          pkt.qd3,
          pkt.qDstPort,
        )
      : this.find(
          pkt.qProto,
          pkt.qFamily,
          pkt.qd0,
          pkt.qd1,
          pkt.qd2,
          pkt.qd3,
          pkt.qDstPort,
          pkt.qs0,
          pkt.qs1,
          pkt.qs2,
          pkt.qs3,
          pkt.qSrcPort,
        );
    if (row < 0) return -1;
    const known = this.icmp.get(row);
    if (known) {
      known.count++;
      known.type = pkt.icmpType;
      known.code = pkt.icmpCode;
      known.last = ts;
    } else {
      this.icmp.set(row, icmpEvidence(pkt, ts, lo));
    }
    if (ts > this.last[row]!) this.last[row] = ts;
    return row;
  }

  /**
   * Identifies each side's application protocol from its first payload-bearing
   * packets (at most 4 per side over TCP, 8 over UDP): a signature fixes it at once,
   * except RTP, which needs RTP_RUN packets of one SSRC with rising sequence
   * numbers. Also remembers whether the first payload was a request (STUN
   * binding, SIP) for "request with no answer".
   */
  private notePayload(row: number, pkt: Packet, buf: Uint8Array, fromLo: boolean): void {
    const app = fromLo ? this.appLo : this.appHi;
    const current = app[row]!;
    if (current > App.Unidentified && current !== App.RtpCandidate) return;
    const seen = fromLo ? this.appSeenLo : this.appSeenHi;
    const tcp = pkt.ipProto === IPPROTO_TCP;
    if (seen[row]! >= (tcp ? IDENTIFY_PACKETS_TCP : IDENTIFY_PACKETS_UDP)) return;
    seen[row] = seen[row]! + 1;
    const start = pkt.payloadOffset;
    const end = start + pkt.payloadCaptured;
    const id = identify(buf, start, end, tcp, pkt.srcPort, pkt.dstPort);
    const first = fromLo ? this.firstPayloadLo : this.firstPayloadHi;
    if (first[row] === FirstPayload.None) {
      first[row] =
        id === App.Stun && idResult.detail === STUN_BINDING_REQUEST
          ? FirstPayload.StunBindingRequest
          : id === App.Sip && idResult.detail === 1
            ? FirstPayload.SipRequest
            : FirstPayload.Other;
    }
    if (id === App.Stun && idResult.detail === STUN_CHANNEL_DATA) {
      this.noteChannelData(row, pkt, buf, fromLo, current);
      return;
    }
    if (id === App.RtpCandidate) {
      if (tcp) {
        if (current === App.None) app[row] = App.Unidentified;
        return;
      }
      const ssrcs = fromLo ? this.rtpSsrcLo : this.rtpSsrcHi;
      const seqs = fromLo ? this.rtpSeqLo : this.rtpSeqHi;
      const runs = fromLo ? this.rtpRunLo : this.rtpRunHi;
      const delta = (idResult.rtpSeq - seqs[row]! + 65536) % 65536;
      if (runs[row]! > 0 && ssrcs[row] === idResult.rtpSsrc && delta >= 1 && delta <= 100) {
        runs[row] = runs[row]! + 1;
      } else {
        runs[row] = 1;
        ssrcs[row] = idResult.rtpSsrc;
      }
      seqs[row] = idResult.rtpSeq;
      app[row] = runs[row]! >= RTP_RUN ? App.Rtp : App.RtpCandidate;
      if (app[row] === App.Rtp) this.markMediaPair(row, fromLo);
      return;
    }
    if (id === App.Unidentified || id === App.None) {
      if (current === App.None) app[row] = App.Unidentified;
      return;
    }
    app[row] = id;
    if (id === App.Rtcp || id === App.Stun || id === App.Dtls) this.markMediaPair(row, fromLo);
    (fromLo ? this.appDetailLo : this.appDetailHi)[row] = idResult.detail;
    if (id === App.Tls && idResult.sniOffset >= 0 && !this.sni.has(row)) {
      const name = tlsServerName(buf, start, end);
      if (name !== null) this.sni.set(row, name);
    }
  }

  /**
   * TURN ChannelData (RFC 8656 §12.4) only with context: a channel exists
   * only after a ChannelBind on the same 5-tuple, so the other side must have
   * spoken STUN/TURN, or the flow must sit on a TURN port (3478, 5349, the
   * Edge's 443); and the framing must hold for RTP_RUN packets of one channel.
   * Four bytes of "channel and length" alone match Kerberos, MySQL and more.
   */
  private noteChannelData(row: number, pkt: Packet, buf: Uint8Array, fromLo: boolean, current: number): void {
    const app = fromLo ? this.appLo : this.appHi;
    const other = (fromLo ? this.appHi : this.appLo)[row];
    const turnPort = isTurnPort(pkt.srcPort) || isTurnPort(pkt.dstPort);
    if (other !== App.Stun && !turnPort) {
      if (current === App.None) app[row] = App.Unidentified;
      return;
    }
    const channel = (CHANNEL_MARK | (buf[pkt.payloadOffset]! << 8) | buf[pkt.payloadOffset + 1]!) >>> 0;
    const marks = fromLo ? this.rtpSsrcLo : this.rtpSsrcHi;
    const runs = fromLo ? this.rtpRunLo : this.rtpRunHi;
    if (runs[row]! > 0 && marks[row] === channel) runs[row] = runs[row]! + 1;
    else {
      runs[row] = 1;
      marks[row] = channel;
    }
    if (runs[row]! >= RTP_RUN) {
      app[row] = App.Stun;
      this.markMediaPair(row, fromLo);
      (fromLo ? this.appDetailLo : this.appDetailHi)[row] = STUN_CHANNEL_DATA;
    } else if (current === App.None || current === App.RtpCandidate) {
      app[row] = App.Unidentified;
    }
  }

  private tcpPacket(row: number, pkt: Packet, fromLo: boolean, payload: number): void {
    const flags = pkt.tcpFlags;
    if (fromLo) this.flagsLo[row] = this.flagsLo[row]! | flags;
    else this.flagsHi[row] = this.flagsHi[row]! | flags;
    if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
      if (fromLo) this.synsLo[row] = this.synsLo[row]! + 1;
      else this.synsHi[row] = this.synsHi[row]! + 1;
    }
    const seq = pkt.seq;
    const syn = flags & TCP_SYN;
    const fin = flags & TCP_FIN;
    const rst = flags & TCP_RST;

    // History, in Zeek's order (TCPSessionAdapter update_history): a packet with
    // more than one of SYN/FIN/RST is q (or i for FIN+RST), once per side; one
    // control flag gives s/h, f or r, repeated only when its sequence number
    // (for FIN: the end of its data) differs from that side's last one; with
    // none, data gives d and a bare ACK gives a, once per side.
    const controls = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    if (controls > 1) {
      this.markOnce(row, fin && rst ? H_FIN_RST : H_MULTI, fromLo);
    } else if (syn) {
      this.markSeq(row, flags & TCP_ACK ? H_SYNACK : H_SYN, SEQ_SLOT_SYN, fromLo, seq);
    } else if (fin) {
      this.markSeq(row, H_FIN, SEQ_SLOT_FIN, fromLo, (seq + payload) >>> 0);
    } else if (rst) {
      this.markSeq(row, H_RST, SEQ_SLOT_RST, fromLo, seq);
    } else if (payload > 0) {
      this.markOnce(row, H_DATA, fromLo);
    } else if (flags & TCP_ACK) {
      this.markOnce(row, H_ACK, fromLo);
    }

    const origIsLo = (this.bits[row]! & BIT_ORIG_IS_LO) !== 0;
    const epBefore = fromLo ? this.tcpLo[row]! : this.tcpHi[row]!;
    const peerBefore = fromLo ? this.tcpHi[row]! : this.tcpLo[row]!;

    // Zero window (Zeek update_window): not on a RST, not after the peer closed,
    // not from a reset endpoint; logarithmic.
    if (
      pkt.window === 0 &&
      !rst &&
      endpointState(peerBefore) !== EndpointState.Closed &&
      endpointState(epBefore) !== EndpointState.Reset
    ) {
      this.markLog(row, H_ZERO_WINDOW, LOG_ZERO_WINDOW, fromLo);
    }

    // Retransmission (Zeek update_last_seq): a segment carrying data that ends
    // at or before the highest sequence number this side has sent.
    const segLen = payload + (syn ? 1 : 0) + (fin ? 1 : 0);
    const end = (seq + segLen) >>> 0;
    const bit = fromLo ? 1 : 2;
    const lastSeq = fromLo ? this.lastSeqLo : this.lastSeqHi;
    if (!(this.lastSeqSet[row]! & bit)) {
      lastSeq[row] = end;
      this.lastSeqSet[row] = this.lastSeqSet[row]! | bit;
    } else {
      const delta = (end - lastSeq[row]!) | 0;
      if ((syn || rst) && (delta > TOO_LARGE_SEQ_DELTA || delta < -TOO_LARGE_SEQ_DELTA)) {
        // Untrusted sequence numbers on SYN/RST.
      } else if (endpointState(epBefore) === EndpointState.Reset) {
        // Nothing after a reset is trusted.
      } else if (delta > 0) {
        lastSeq[row] = end;
      } else if (payload > 0) {
        this.markLog(row, H_RXMIT, LOG_RXMIT, fromLo);
      }
    }

    // Content gap (what Zeek's reassembler reports when an ACK covers data
    // never seen): this side acknowledges beyond the peer's highest sequence
    // number. Not on FIN or RST packets, whose ACKs Zeek does not trust for gaps.
    if (flags & TCP_ACK && !fin && !rst) {
      const peerBit = fromLo ? 2 : 1;
      const peerSeq = fromLo ? this.lastSeqHi : this.lastSeqLo;
      if (this.lastSeqSet[row]! & peerBit) {
        const ahead = (pkt.ack - peerSeq[row]!) | 0;
        if (ahead > 0 && ahead < TOO_LARGE_SEQ_DELTA) {
          this.markLog(row, H_GAP, LOG_GAP, !fromLo);
          peerSeq[row] = pkt.ack;
        }
      } else if (!syn) {
        // Start the peer's numbering from what this side acknowledges (Zeek init_peer).
        peerSeq[row] = pkt.ack;
        this.lastSeqSet[row] = this.lastSeqSet[row]! | peerBit;
      }
    }

    const fromOrig = fromLo === origIsLo;
    const origState = endpointState(origIsLo ? this.tcpLo[row]! : this.tcpHi[row]!);
    const pair = updateTcpState(epBefore, peerBefore, origState, fromOrig, flags, payload);
    if (fromLo) {
      this.tcpLo[row] = pair & 0xff;
      this.tcpHi[row] = pair >> 8;
    } else {
      this.tcpHi[row] = pair & 0xff;
      this.tcpLo[row] = pair >> 8;
    }
  }

  /** Records a history letter at most once per direction (a, d, i, q). */
  private markOnce(row: number, code: number, fromLo: boolean): void {
    const bit = 1 << code;
    const once = fromLo ? this.onceLo : this.onceHi;
    if (once[row]! & bit) return;
    once[row] = once[row]! | bit;
    this.pushHistory(row, code, fromLo);
  }

  /** Records s/h, f or r the first time, then again only when its sequence number differs from the last one of that kind. */
  private markSeq(row: number, code: number, slot: number, fromLo: boolean, seq: number): void {
    const index = (fromLo ? 0 : SEQ_SLOTS) + slot;
    const bit = 1 << index;
    const at = row * SEQ_SLOTS * 2 + index;
    const seen = (this.seqSet[row]! & bit) !== 0;
    const last = this.seqMarks[at];
    this.seqSet[row] = this.seqSet[row]! | bit;
    this.seqMarks[at] = seq;
    if (seen && last === seq) return;
    this.pushHistory(row, code, fromLo);
  }

  /** Records c, g, t or w logarithmically: at the 1st, 10th, 100th, … occurrence (Zeek). */
  private markLog(row: number, code: number, slot: number, fromLo: boolean): void {
    const at = row * LOG_SLOTS * 2 + (fromLo ? 0 : LOG_SLOTS) + slot;
    const n = this.logCounts[at]! + 1;
    this.logCounts[at] = n;
    if (n === 1 || n === 10 || n === 100 || n === 1000 || n === 10_000 || n === 100_000 || n === 1_000_000) {
      this.pushHistory(row, code, fromLo);
    }
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
}

/** True when (s, sp) sorts before (d, dp): the sender is the "lo" endpoint. Equal endpoints count as lo. */
function isLo(
  s0: number,
  s1: number,
  s2: number,
  s3: number,
  sp: number,
  d0: number,
  d1: number,
  d2: number,
  d3: number,
  dp: number,
): boolean {
  const cmp = s0 - d0 || s1 - d1 || s2 - d2 || s3 - d3 || sp - dp;
  return cmp <= 0;
}

/**
 * The bucket hash of a flow key. Each word is folded in with a multiply and a
 * rotation, and MurmurHash3's fmix32 finalizer (Appleby, public domain) then
 * spreads every bit into the low bits the bucket mask keeps. (Multiplying
 * alone does not: the low bits of a product depend only on the low bits of
 * its operands, which made chains 7–27 rows long on the benchmark captures.)
 * IPv4 keys have zero in words 0–2, which are folded in only when not.
 */
function flowHash(
  proto: number,
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
): number {
  let h = fold(0x9e3779b9, proto);
  h = fold(h, l3);
  h = fold(h, h3);
  h = fold(h, (lp << 16) | hp);
  if ((l0 | l1 | l2 | h0 | h1 | h2) !== 0) {
    h = fold(h, l0);
    h = fold(h, l1);
    h = fold(h, l2);
    h = fold(h, h0);
    h = fold(h, h1);
    h = fold(h, h2);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function fold(h: number, word: number): number {
  const x = Math.imul(h ^ word, 0xcc9e2d51);
  return (x << 15) | (x >>> 17);
}

type Column = Uint8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float64Array;

function copy<T extends Column>(into: T, from: Column, n: number): T {
  if (n > 0) into.set(from.subarray(0, n) as never);
  return into;
}

/**
 * A read-only view of one flow row, in originator/responder terms. Valid
 * only while the table's `onFinal` callback runs: the row is reused after.
 * Classification and reports read it and copy what they keep.
 */
export class Flow {
  constructor(
    private readonly table: FlowTable,
    readonly row: number,
  ) {}

  /** Creation order, from 0. */
  get id(): number {
    return this.table.rowSerial(this.row);
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
  /** What the originator's first payload was. */
  get origFirstPayload(): FirstPayload {
    return this.table.rowFirstPayload(this.row, !this.origIsLo);
  }
  /** The application protocol identified on the originator's and responder's payloads. */
  get origApp(): App {
    return this.table.rowApp(this.row, !this.origIsLo);
  }
  get respApp(): App {
    return this.table.rowApp(this.row, this.origIsLo);
  }
  /** Signature detail for a side (STUN kind, SIP/HTTP request or response, TLS handshake type). */
  appDetail(orig: boolean): number {
    return this.table.rowAppDetail(this.row, orig !== this.origIsLo);
  }
  /** Server name from a TLS ClientHello, if seen. */
  get sni(): string | null {
    return this.table.rowSni(this.row);
  }
  /** ICMP destination-unreachable messages that quote this flow's packets, if any. */
  get icmp(): IcmpEvidence | null {
    return this.table.rowIcmp(this.row);
  }
  /** Whether that ICMP evidence quotes the originator's packets (else the responder's). */
  get icmpQuotesOriginator(): boolean {
    const icmp = this.table.rowIcmp(this.row);
    return icmp === null || icmp.quotesLo === this.origIsLo;
  }
  /** For an ICMP flow made of errors that quote no flow of the capture: what they quote. */
  get icmpQuote(): IcmpQuote | null {
    return this.table.rowIcmpQuote(this.row);
  }
  /** Whether this end's address sent media to the other end's address, on this flow or any other. */
  mediaFrom(orig: boolean): boolean {
    const a = [0, 1, 2, 3].map((i) => this.addrWord(orig, i));
    const b = [0, 1, 2, 3].map((i) => this.addrWord(!orig, i));
    return this.table.sentMediaTo(a, b);
  }
  /** Whether the capture holds any packet sent by this end's address (on any flow). */
  peerSent(orig: boolean): boolean {
    return this.table.sentAnything(
      this.addrWord(orig, 0),
      this.addrWord(orig, 1),
      this.addrWord(orig, 2),
      this.addrWord(orig, 3),
    );
  }
  /** The responder's address is multicast or broadcast (IPv4 224/4, x.x.x.255, 255.255.255.255; IPv6 ff00::/8): nobody answers on the same 5-tuple. */
  get toGroupAddress(): boolean {
    if (this.family === 4) {
      const w = this.addrWord(false, 3) >>> 0;
      return w >>> 28 === 0xe || (w & 0xff) === 0xff;
    }
    return this.addrWord(false, 0) >>> 24 === 0xff;
  }
  /** Zeek endpoint states (see tcp.ts), originator then responder. */
  get tcpStates(): [EndpointState, EndpointState] {
    const lo = this.origIsLo;
    return [endpointState(this.table.rowTcp(this.row, !lo)), endpointState(this.table.rowTcp(this.row, lo))];
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

/** The first ICMP error of a kind for a flow: who sent it, its type and code, at `ts`. */
function icmpEvidence(pkt: Packet, ts: number, quotesLo: boolean): IcmpEvidence {
  return {
    count: 1,
    v6: pkt.ipProto === IPPROTO_ICMPV6,
    type: pkt.icmpType,
    code: pkt.icmpCode,
    family: pkt.family,
    words: [pkt.s0, pkt.s1, pkt.s2, pkt.s3],
    first: ts,
    last: ts,
    quotesLo,
  };
}

/** A 24-bit hash of an address's four words (MurmurHash3's fmix32 over their fold). */
function senderHash(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ w3, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> (32 - SENDER_BITS_LOG2);
}

/** The string's characters are `codes[0, len)`. */
function sameCodes(s: string, codes: Uint16Array, len: number): boolean {
  if (s.length !== len) return false;
  for (let i = 0; i < len; i++) if (s.charCodeAt(i) !== codes[i]) return false;
  return true;
}
