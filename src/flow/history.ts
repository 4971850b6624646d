/**
 * Zeek's connection history and TCP endpoint rules, per packet, for the flow
 * table (Zeek's TCPSessionAdapter update_history and conn.log history
 * letters): endpoint states, history letters once per direction, sequence
 * marks for retransmissions and gaps, and the history text.
 */

import { IPPROTO_TCP, IPPROTO_UDP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from "../decode/constants.js";
import type { Packet } from "../decode/packet.js";
import { FlowStore } from "./store.js";
import { EndpointState, endpointState, updateTcpState } from "./tcp.js";
import {
  BIT_FLIPPED,
  BIT_ORIG_IS_LO,
  FROM_HI,
  H_ACK,
  H_DATA,
  H_FIN,
  H_FIN_RST,
  H_GAP,
  H_MULTI,
  H_RST,
  H_RXMIT,
  H_SYN,
  H_SYNACK,
  H_ZERO_WINDOW,
  HIST_INLINE,
  HISTORY_CODES,
  HISTORY_INTERN_MAX,
  HISTORY_LETTERS,
  type LikelyServerPort,
  LOG_GAP,
  LOG_RXMIT,
  LOG_SLOTS,
  LOG_ZERO_WINDOW,
  SEQ_SLOT_FIN,
  SEQ_SLOT_RST,
  SEQ_SLOT_SYN,
  SEQ_SLOTS,
  TOO_LARGE_SEQ_DELTA,
} from "./types.js";

/** The string's characters are `codes[0, len)`. */
export function sameCodes(s: string, codes: Uint16Array, len: number): boolean {
  if (s.length !== len) return false;
  for (let i = 0; i < len; i++) if (s.charCodeAt(i) !== codes[i]) return false;
  return true;
}

export abstract class TcpHistory extends FlowStore {
  /** Whether a port is a likely server port (Zeek's `likely_server_ports`), from the table's options. */
  protected abstract readonly likelyServerPort: LikelyServerPort;

  /** Distinct history texts by a hash of their letters (see rowHistory). */
  protected readonly historyIntern = new Map<number, string[]>();

  protected historyInternSize = 0;

  protected readonly historyCodes = new Uint16Array(64);

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
  protected historyText(n: number, row: number, origIsLo: boolean): string {
    let out = this.rowFlipped(row) ? "^" : "";
    const overflow = this.histOverflow.get(row);
    for (let i = 0; i < n; i++) {
      const entry = i < HIST_INLINE ? this.hist[row * HIST_INLINE + i]! : overflow![i - HIST_INLINE]!;
      const letter = HISTORY_LETTERS[entry & 0x7f]!;
      out += ((entry & FROM_HI) === 0) === origIsLo ? letter.toUpperCase() : letter;
    }
    return out;
  }

  /** Whether the last TCP segment `tcpPacket` saw repeated data its side had sent (Zeek's retransmission). */
  protected retransmitted = false;

  protected tcpPacket(row: number, pkt: Packet, fromLo: boolean, payload: number): void {
    this.retransmitted = false;
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
        this.retransmitted = true;
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
  protected markOnce(row: number, code: number, fromLo: boolean): void {
    const bit = 1 << code;
    const once = fromLo ? this.onceLo : this.onceHi;
    if (once[row]! & bit) return;
    once[row] = once[row]! | bit;
    this.pushHistory(row, code, fromLo);
  }

  /** The sequence number of a side's SYN (or SYN+ACK), or -1 when none was seen: the stream's first byte is one past it. */
  protected synSeq(row: number, fromLo: boolean): number {
    const index = (fromLo ? 0 : SEQ_SLOTS) + SEQ_SLOT_SYN;
    if ((this.seqSet[row]! & (1 << index)) === 0) return -1;
    return this.seqMarks[row * SEQ_SLOTS * 2 + index]! >>> 0;
  }

  /** Records s/h, f or r the first time, then again only when its sequence number differs from the last one of that kind. */
  protected markSeq(row: number, code: number, slot: number, fromLo: boolean, seq: number): void {
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
  protected markLog(row: number, code: number, slot: number, fromLo: boolean): void {
    const at = row * LOG_SLOTS * 2 + (fromLo ? 0 : LOG_SLOTS) + slot;
    const n = this.logCounts[at]! + 1;
    this.logCounts[at] = n;
    if (n === 1 || n === 10 || n === 100 || n === 1000 || n === 10_000 || n === 100_000 || n === 1_000_000) {
      this.pushHistory(row, code, fromLo);
    }
  }

  protected pushHistory(row: number, code: number, fromLo: boolean): void {
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

  protected chooseOriginator(row: number, pkt: Packet, fromLo: boolean, sp: number, dp: number): void {
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
    // Added to the bits `create` set (a new row has no direction bits yet).
    this.bits[row] = this.bits[row]! | (origIsLo ? BIT_ORIG_IS_LO : 0) | (flipped ? BIT_FLIPPED : 0);
  }
}
