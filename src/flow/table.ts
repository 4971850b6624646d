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
 *
 * The class is built in layers, one file each: the column store and lookup
 * (store.ts), Zeek's history and TCP rules (history.ts), payload
 * identification hooks (payload-hooks.ts), ICMP attachment (icmp-attach.ts),
 * application outcomes (app-outcomes.ts: SIP, TLS, the host's drops),
 * and here the lifetime: creating, sweeping, evicting and ending flows.
 * The key and hash are in key.ts, the view in view.ts.
 */

import { App } from "../decode/apps.js";
import {
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  TCP_ACK,
  TCP_SYN,
} from "../decode/constants.js";
import type { Packet } from "../decode/packet.js";
import { AppOutcomes } from "./app-outcomes.js";
import { FragmentTracker } from "./fragments.js";
import { HashedBits } from "./hashed-bits.js";
import type { FlowKey } from "./key.js";
import { DEFAULT_REASSEMBLY_BUDGET, DEFAULT_REASSEMBLY_BYTES, Reassembler } from "./reassembly.js";
import { EndpointState, endpointState } from "./tcp.js";
import {
  BIT_FRAGMENTED,
  BIT_KEY_AGAIN,
  DEFAULT_CLOSED_LINGER_MICROS,
  DEFAULT_MAX_FLOWS,
  DEFAULT_TCP_TIMEOUT_MICROS,
  DEFAULT_UDP_TIMEOUT_MICROS,
  type EndReason,
  type FlowTableOptions,
  type FrameStamp,
  H_BAD_CHECKSUM,
  H_DATA,
  INITIAL_CAPACITY,
  type LikelyServerPort,
  LOG_BAD_CHECKSUM,
  SENDER_BITS_LOG2,
  SEQ_SLOT_SYN,
  SEQ_SLOTS,
  SWEEP_INTERVAL_MICROS,
} from "./types.js";
import { Flow } from "./view.js";

export {
  DEFAULT_MAX_FLOWS,
  DEFAULT_TCP_TIMEOUT_MICROS,
  DEFAULT_UDP_TIMEOUT_MICROS,
  type EndReason,
  FirstPayload,
  type FlowTableOptions,
  type FrameStamp,
  type IcmpEvidence,
  type IcmpQuote,
  type LikelyServerPort,
} from "./types.js";
export { Flow } from "./view.js";

export class FlowTable extends AppOutcomes {
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

  protected readonly maxFlows: number;

  protected nextSweep = Number.NEGATIVE_INFINITY;

  protected readonly likelyServerPort: LikelyServerPort;

  protected readonly onFinal: (flow: Flow, reason: EndReason) => void;

  protected readonly tcpTimeout: number;

  protected readonly udpTimeout: number;

  protected readonly otherTimeout: number;

  protected readonly closedLinger: number;

  /** Open fragmented datagrams, for attributing later fragments. */
  readonly fragments: FragmentTracker;

  /** The hashed 5-tuples of the capture's flows so far: a new flow on one of them is a later part (BIT_KEY_AGAIN). */
  private readonly keysSeen = new HashedBits(SENDER_BITS_LOG2);

  constructor(options: FlowTableOptions) {
    super(
      new Reassembler(
        options.reassemblyBytes ?? DEFAULT_REASSEMBLY_BYTES,
        options.reassemblyBudget ?? DEFAULT_REASSEMBLY_BUDGET,
      ),
    );
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
    const key = this.key.ofPacket(pkt, sp, dp);
    const fromLo = key.fromLo;
    let row = this.find(key);
    if (row >= 0) {
      const reason = this.endsBefore(row, pkt, fromLo, frame);
      if (reason !== null) {
        this.finalize(row, reason);
        row = -1;
      }
    }
    if (row < 0) {
      row = this.create(key, frame);
      this.chooseOriginator(row, pkt, fromLo, sp, dp);
      if (this.activeCount > this.maxFlows) this.evict(row, frame.fileOffset);
    }

    if (ts < this.first[row]!) this.first[row] = ts;
    if (ts > this.last[row]!) this.last[row] = ts;
    if (frame.process >= 0 && this.process[row]! < 0) this.process[row] = frame.process;
    this.noteDrop(row, frame, fromLo);
    const payload = Math.max(pkt.payloadLen, 0);
    const wireLen = frame.wireLen;
    if (fromLo) {
      const n = this.pktsLo[row]! + 1;
      this.pktsLo[row] = n;
      if (n === 1) this.markSender(row, 0);
      this.bytesLo[row] = this.bytesLo[row]! + wireLen;
      this.payloadLo[row] = this.payloadLo[row]! + payload;
      this.ipBytesLo[row] = this.ipBytesLo[row]! + pkt.ipLen;
    } else {
      const n = this.pktsHi[row]! + 1;
      this.pktsHi[row] = n;
      if (n === 1) this.markSender(row, 4);
      this.bytesHi[row] = this.bytesHi[row]! + wireLen;
      this.payloadHi[row] = this.payloadHi[row]! + payload;
      this.ipBytesHi[row] = this.ipBytesHi[row]! + pkt.ipLen;
    }
    const carries = payload > 0 && pkt.payloadCaptured > 0;
    // A DNS answer cut short may lose its records: said once, as a warning (sign-in discovery).
    if (pkt.payloadCaptured < payload && hasPorts && (sp === 53 || dp === 53) && this.dnsCut.frames++ === 0)
      this.dnsCut.firstOffset = frame.fileOffset;
    if (carries) this.notePayload(row, pkt, frame.buf, fromLo);
    if (badChecksum) this.markLog(row, H_BAD_CHECKSUM, LOG_BAD_CHECKSUM, fromLo);
    if (proto === IPPROTO_TCP) this.tcpPacket(row, pkt, fromLo, payload);
    else if (proto === IPPROTO_UDP && payload > 0) this.markOnce(row, H_DATA, fromLo);
    if (carries) {
      const lo = this.appLo[row];
      const hi = this.appHi[row];
      if (
        lo === App.Sip ||
        hi === App.Sip ||
        lo === App.Tls ||
        hi === App.Tls ||
        lo === App.Stun ||
        hi === App.Stun ||
        lo === App.Kerberos ||
        hi === App.Kerberos ||
        lo === App.Dns ||
        hi === App.Dns
      )
        this.noteApplication(row, pkt, frame, fromLo, proto === IPPROTO_TCP && this.retransmitted);
    }
    if (pkt.moreFragments) {
      this.bits[row] = this.bits[row]! | BIT_FRAGMENTED;
      this.fragments.remember(pkt, row, this.serial[row]!, fromLo, ts, frame.fileOffset);
    }
    if (icmpError) this.noteUnmatchedIcmp(row, pkt, ts);
    return row;
  }

  /**
   * Ends every remaining flow: the capture is over. (Consumers order flows themselves.)
   * Then the address sets go back for the thread's next capture: no flow view is left to ask them.
   */
  finish(): void {
    for (let row = 0; row < this.used; row++) if (this.active[row]) this.finalize(row, "capture_end");
    this.senders.release();
    this.mediaPairs.release();
    this.mediaWorked.clear();
    this.keysSeen.release();
  }

  /**
   * Whether the flow at `row` ended before this packet (and why), so the
   * packet starts a new one. Takes the frame, not its timestamp (see add).
   */
  protected endsBefore(row: number, pkt: Packet, fromLo: boolean, frame: FrameStamp): EndReason | null {
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

  protected terminated(row: number): boolean {
    const lo = endpointState(this.tcpLo[row]!);
    const hi = endpointState(this.tcpHi[row]!);
    return (
      lo === EndpointState.Reset ||
      hi === EndpointState.Reset ||
      (lo === EndpointState.Closed && hi === EndpointState.Closed)
    );
  }

  /** Ends flows that have been idle past their timeout, or closed and quiet past the linger time. */
  protected sweep(frame: FrameStamp): void {
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
  protected evict(keep: number, fileOffset: number): void {
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

  protected finalize(row: number, reason: EndReason): void {
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
    this.forgetApplication(row);
    this.freeRows.push(row);
  }

  /** A new row for the flow with this key, first seen in `frame`. */
  protected create(k: FlowKey, frame: FrameStamp): number {
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
    this.proto[row] = k.proto;
    this.family[row] = k.family;
    const a = row * 8;
    this.addr[a] = k.l0;
    this.addr[a + 1] = k.l1;
    this.addr[a + 2] = k.l2;
    this.addr[a + 3] = k.l3;
    this.addr[a + 4] = k.h0;
    this.addr[a + 5] = k.h1;
    this.addr[a + 6] = k.h2;
    this.addr[a + 7] = k.h3;
    this.lPort[row] = k.lp;
    this.hPort[row] = k.hp;
    this.first[row] = ts;
    this.last[row] = ts;
    this.firstFrame[row] = frame.index;
    this.process[row] = frame.process;
    const h = k.hash;
    this.hash[row] = h;
    const seen = h >>> (32 - SENDER_BITS_LOG2);
    if (this.keysSeen.has(seen)) this.bits[row] = this.bits[row]! | BIT_KEY_AGAIN;
    this.keysSeen.add(seen);
    const bucket = h & this.mask;
    this.next[row] = this.buckets[bucket]!;
    this.buckets[bucket] = row;
    return row;
  }
}
