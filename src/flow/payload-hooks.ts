/**
 * Payload identification hooks of the flow table: the first payload packets
 * of each side go through decode/signatures' `identify`; TURN ChannelData
 * is confirmed over several packets; and the sender and media-pair bitmaps
 * that one-way-media evidence reads are marked once per flow side, as is the
 * record of sockets whose media worked, which unanswered ICE checks read.
 */

import { App } from "../decode/apps.js";
import { u32 } from "../decode/bytes.js";
import { IPPROTO_TCP } from "../decode/constants.js";
import type { Packet } from "../decode/packet.js";
import { identify, PayloadId, tlsServerName } from "../decode/signatures.js";
import { isRtcp, STUN_BINDING_REQUEST, STUN_CHANNEL_DATA } from "../decode/signatures-media.js";
import { HashedBits } from "./hashed-bits.js";
import { TcpHistory } from "./history.js";
import { ANY_PORT, BOTH_WAYS, FROM_PORT, mediaKey, reportKey, senderHash, TO_PORT } from "./media-keys.js";
import { MediaWorked } from "./media-worked.js";
import {
  FirstPayload,
  IDENTIFY_PACKETS_TCP,
  IDENTIFY_PACKETS_UDP,
  MEDIA_SENDER_REPORT,
  MEDIA_STREAM,
  RTCP_REPORTED_ON,
  RTCP_SENDER,
  RTP_RUN,
  SENDER_BITS_LOG2,
} from "./types.js";

/** Marks a ChannelData run in the RTP SSRC column (an SSRC is any 32-bit value; a clash only restarts a run). */
export const CHANNEL_MARK = 0xc1a70000;

/** STUN/TURN (3478), TURN over TLS (5349) and the OCS Edge's 443, where TURN ChannelData may flow. */
export function isTurnPort(port: number): boolean {
  return port === 3478 || port === 5349 || port === 443;
}

/** RTCP's sender and receiver reports (RFC 3550 §6.4.1, §6.4.2). */
const RTCP_SR = 200;
const RTCP_RR = 201;
/** An RTCP side's state in the RTP run column (the SSRC column holds its last SR's packet count). */
const RTCP_SR_SEEN = 1;
const RTCP_SR_MARKED = 2;
const RTCP_STREAM_MARKED = 4;
/** Report blocks marked per RTCP side at most (the sequence column counts them): one flow cannot fill the bitmap. */
const RTCP_BLOCKS_MAX = 16;

export abstract class PayloadHooks extends TcpHistory {
  /**
   * One bit per hashed source address that has sent any packet: "did the
   * capture see the peer at all" (one-way media). Set once per flow side, at
   * its first packet, not per packet. Fixed size, so it cannot grow; a hash
   * collision can only make a one-way flow look blocked rather than one-sided.
   */
  protected readonly senders = new HashedBits(SENDER_BITS_LOG2);

  /** What `identify` found in the payload being looked at (reused: no allocation per packet). */
  private readonly payloadId = new PayloadId();

  /**
   * Hashed keys of media (RTP, RTCP, TURN ChannelData, DTLS) sent from one
   * address to another, set once per flow side: (source, destination, source
   * port), (source, destination, destination port), (source, destination), and
   * for a flow with RTP both ways, (both addresses, either order). "Did media
   * come back on another 5-tuple of the same call" (asymmetric RTP ports, RFC 3550
   * §3; a receive-only party's RTCP, RFC 3264 §5.1): yes when it shares a port
   * with the one-way flow; else only when no flow between the two addresses
   * carried RTP both ways. A Mediation Server and its gateway carry many
   * calls: one working call does not hide a one-way one, while two streams of
   * one asymmetric call, each one way on its own ports, still answer each other.
   * Same size and collision rule as `senders`.
   */
  protected readonly mediaPairs = new HashedBits(SENDER_BITS_LOG2);

  /** Sockets whose media worked, and when (media-worked.ts): what excuses an unanswered ICE check. */
  protected readonly mediaWorked = new MediaWorked();

  /** Media through a side's socket (`at`: 0 the lo side's address and port, 4 the hi side's) worked at `ts`. */
  protected markMediaWorked(row: number, at: number, ts: number): void {
    const port = at === 0 ? this.lPort[row]! : this.hPort[row]!;
    this.mediaWorked.mark(
      this.rowFamily(row),
      this.addr,
      row * 8 + at,
      port,
      this.rowProto(row) === IPPROTO_TCP,
      ts,
    );
  }

  /** Whether media through the socket worked within a slot of `ts` (30–60 s either side). */
  mediaWorkedNear(family: number, words: readonly number[], port: number, tcp: boolean, ts: number): boolean {
    return this.mediaWorked.near(family, words, port, tcp, ts);
  }

  /** A side's first packet: its address has now sent something (`at`: 0 the lo side's words, 4 the hi side's). */
  protected markSender(row: number, at: number): void {
    const a = row * 8 + at;
    const h = senderHash(this.addr[a]!, this.addr[a + 1]!, this.addr[a + 2]!, this.addr[a + 3]!);
    this.senders.add(h);
  }

  /**
   * A side's payload was identified as media: its address sent media to the other side's, from and
   * to these ports; `kind` MEDIA_STREAM adds that it was a stream (RTP, ChannelData, DTLS), not RTCP.
   */
  protected markMediaPair(row: number, fromLo: boolean, kind = 0): void {
    const s = row * 8 + (fromLo ? 0 : 4);
    const d = row * 8 + (fromLo ? 4 : 0);
    const from = [this.addr[s]!, this.addr[s + 1]!, this.addr[s + 2]!, this.addr[s + 3]!];
    const to = [this.addr[d]!, this.addr[d + 1]!, this.addr[d + 2]!, this.addr[d + 3]!];
    const lo = this.lPort[row]!;
    const hi = this.hPort[row]!;
    const m = this.mediaPairs;
    m.add(mediaKey(from, to, fromLo ? lo : hi, FROM_PORT));
    m.add(mediaKey(from, to, fromLo ? hi : lo, TO_PORT));
    m.add(mediaKey(from, to, 0, ANY_PORT));
    if (kind !== 0) {
      m.add(mediaKey(from, to, fromLo ? lo : hi, FROM_PORT | kind));
      m.add(mediaKey(from, to, fromLo ? hi : lo, TO_PORT | kind));
      m.add(mediaKey(from, to, 0, ANY_PORT | kind));
    }
    // A call's audio or video both ways on one 5-tuple: RTP from each side (RTCP alone, a held
    // call's receiver reports, is not a working call).
    if (
      (fromLo ? this.appLo : this.appHi)[row] === App.Rtp &&
      (fromLo ? this.appHi : this.appLo)[row] === App.Rtp
    ) {
      m.add(mediaKey(from, to, 0, BOTH_WAYS));
      m.add(mediaKey(to, from, 0, BOTH_WAYS));
      const start = this.first[row]!;
      this.markMediaWorked(row, 0, start);
      this.markMediaWorked(row, 4, start);
    }
  }

  /**
   * Whether the address `from` sent media to the address `to` on a flow of the same call so far:
   * from port `fromPort` or its RTP/RTCP pair (port ^ 1), or to port `toPort` or its pair; or on any
   * flow, when no flow between the two carried RTP both ways (hashed; see `mediaPairs`).
   */
  sentMediaTo(
    from: readonly number[],
    to: readonly number[],
    fromPort: number,
    toPort: number,
    kind = 0,
  ): boolean {
    const m = this.mediaPairs;
    return (
      m.has(mediaKey(from, to, fromPort, FROM_PORT | kind)) ||
      m.has(mediaKey(from, to, fromPort ^ 1, FROM_PORT | kind)) ||
      m.has(mediaKey(from, to, toPort, TO_PORT | kind)) ||
      m.has(mediaKey(from, to, toPort ^ 1, TO_PORT | kind)) ||
      (m.has(mediaKey(from, to, 0, ANY_PORT | kind)) && !m.has(mediaKey(from, to, 0, BOTH_WAYS)))
    );
  }

  /**
   * Every packet of a side identified as RTCP (RFC 3550 §6.4). A sender report whose packet count
   * rose since the side's last one marks (source, destination, destination port) as sending a
   * stream: a count read once may be a session's total from before the capture, or from before
   * a hold. The first RTCP_BLOCKS_MAX report blocks mark the stream each reports on, by SSRC, as
   * received by the source. RTP on the side (rtcp-mux, RFC 5761, after an opening report) marks
   * it as sending a stream. RTCP comes every few seconds a stream, so reading each packet costs
   * nothing a media flow notices; the marks are made once a side.
   */
  private noteRtcp(row: number, pkt: Packet, buf: Uint8Array, fromLo: boolean): void {
    const start = pkt.payloadOffset;
    const end = start + pkt.payloadCaptured;
    const state = fromLo ? this.rtpRunLo : this.rtpRunHi;
    if (!isRtcp(buf, start, end)) {
      // RTP's version 2 and a payload type outside RTCP's 72-76 (RFC 5761 §4).
      const pt = end - start >= 12 && buf[start]! >> 6 === 2 ? buf[start + 1]! & 0x7f : 72;
      if ((pt < 72 || pt > 76) && (state[row]! & RTCP_STREAM_MARKED) === 0) {
        state[row] = state[row]! | RTCP_STREAM_MARKED;
        this.markMediaPair(row, fromLo, MEDIA_STREAM);
      }
      return;
    }
    const lastCount = fromLo ? this.rtpSsrcLo : this.rtpSsrcHi;
    const blocksMarked = fromLo ? this.rtpSeqLo : this.rtpSeqHi;
    const s = row * 8 + (fromLo ? 0 : 4);
    const d = row * 8 + (fromLo ? 4 : 0);
    const from = [this.addr[s]!, this.addr[s + 1]!, this.addr[s + 2]!, this.addr[s + 3]!];
    const to = [this.addr[d]!, this.addr[d + 1]!, this.addr[d + 2]!, this.addr[d + 3]!];
    const toPort = fromLo ? this.hPort[row]! : this.lPort[row]!;
    let srRead = false;
    for (let p = start; p + 8 <= end; ) {
      const next = p + (((buf[p + 2]! << 8) | buf[p + 3]!) + 1) * 4;
      const pt = buf[p + 1]!;
      if (pt === RTCP_SR || pt === RTCP_RR) {
        // SR: header, SSRC, 20 bytes of sender info (the packet count at +20); RR: header, SSRC.
        const blocks = p + (pt === RTCP_SR ? 28 : 8);
        if (pt === RTCP_SR && !srRead && blocks <= next) {
          srRead = true;
          const count = u32(buf, p + 20);
          const rose = (state[row]! & RTCP_SR_SEEN) !== 0 && count > lastCount[row]!;
          if (rose && (state[row]! & RTCP_SR_MARKED) === 0) {
            state[row] = state[row]! | RTCP_SR_MARKED;
            this.mediaPairs.add(mediaKey(from, to, toPort, TO_PORT | MEDIA_SENDER_REPORT));
          }
          state[row] = state[row]! | RTCP_SR_SEEN;
          lastCount[row] = count;
        }
        const count = buf[p]! & 0x1f;
        for (let b = 0; b < count && blocks + (b + 1) * 24 <= next; b++) {
          if (blocksMarked[row]! >= RTCP_BLOCKS_MAX) break;
          blocksMarked[row] = blocksMarked[row]! + 1;
          this.mediaPairs.add(reportKey(from, to, toPort, u32(buf, blocks + b * 24)));
        }
      }
      p = next;
    }
  }

  /**
   * What `from` said in RTCP to `to`'s port `toPort` or its RTP/RTCP pair: RTCP_REPORTED_ON when a
   * report block named the stream `ssrc` (null: none asked); RTCP_SENDER when sender reports
   * counted RTP sent, the count rising in the capture (hashed; see `mediaPairs`).
   */
  rtcpSent(from: readonly number[], to: readonly number[], toPort: number, ssrc: number | null): number {
    const m = this.mediaPairs;
    let out = 0;
    if (
      ssrc !== null &&
      (m.has(reportKey(from, to, toPort, ssrc)) || m.has(reportKey(from, to, toPort ^ 1, ssrc)))
    )
      out |= RTCP_REPORTED_ON;
    if (
      m.has(mediaKey(from, to, toPort, TO_PORT | MEDIA_SENDER_REPORT)) ||
      m.has(mediaKey(from, to, toPort ^ 1, TO_PORT | MEDIA_SENDER_REPORT))
    )
      out |= RTCP_SENDER;
    return out;
  }

  /** The SSRC of a side's RTP stream, or null when the side is not RTP. */
  /** @internal */ rowRtpSsrc(row: number, hi: boolean): number | null {
    return (hi ? this.appHi : this.appLo)[row] === App.Rtp
      ? (hi ? this.rtpSsrcHi : this.rtpSsrcLo)[row]!
      : null;
  }

  /** Whether any packet so far came from this address (hashed; see `senders`). */
  sentAnything(w0: number, w1: number, w2: number, w3: number): boolean {
    const h = senderHash(w0, w1, w2, w3);
    return this.senders.has(h);
  }

  /**
   * Identifies each side's application protocol from its first payload-bearing
   * packets (at most 4 per side over TCP, 8 over UDP): a signature fixes it at once,
   * except RTP, which needs RTP_RUN packets of one SSRC with rising sequence
   * numbers. Also remembers whether the first payload was a request (STUN
   * binding, SIP) for "request with no answer".
   */
  protected notePayload(row: number, pkt: Packet, buf: Uint8Array, fromLo: boolean): void {
    const app = fromLo ? this.appLo : this.appHi;
    const current = app[row]!;
    if (current > App.Unidentified && current !== App.RtpCandidate) {
      if (current === App.Rtcp) this.noteRtcp(row, pkt, buf, fromLo);
      return;
    }
    const seen = fromLo ? this.appSeenLo : this.appSeenHi;
    const tcp = pkt.ipProto === IPPROTO_TCP;
    if (seen[row]! >= (tcp ? IDENTIFY_PACKETS_TCP : IDENTIFY_PACKETS_UDP)) return;
    seen[row] = seen[row]! + 1;
    const start = pkt.payloadOffset;
    const end = start + pkt.payloadCaptured;
    const found = this.payloadId;
    const id = identify(buf, start, end, tcp, pkt.srcPort, pkt.dstPort, found);
    const first = fromLo ? this.firstPayloadLo : this.firstPayloadHi;
    if (first[row] === FirstPayload.None) {
      first[row] =
        id === App.Stun && found.detail === STUN_BINDING_REQUEST
          ? FirstPayload.StunBindingRequest
          : id === App.Sip && found.detail === 1
            ? FirstPayload.SipRequest
            : FirstPayload.Other;
    }
    if (id === App.Stun && found.detail === STUN_CHANNEL_DATA) {
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
      const delta = (found.rtpSeq - seqs[row]! + 65536) % 65536;
      // The same packet again (a SPAN port copying both directions, a teamed NIC): neither a step
      // nor a break in the run, or no duplicated stream would ever be RTP.
      if (runs[row]! > 0 && ssrcs[row] === found.rtpSsrc && delta === 0) return;
      if (runs[row]! > 0 && ssrcs[row] === found.rtpSsrc && delta >= 1 && delta <= 100) {
        runs[row] = runs[row]! + 1;
      } else {
        runs[row] = 1;
        ssrcs[row] = found.rtpSsrc;
      }
      seqs[row] = found.rtpSeq;
      app[row] = runs[row]! >= RTP_RUN ? App.Rtp : App.RtpCandidate;
      if (app[row] === App.Rtp) this.markMediaPair(row, fromLo, MEDIA_STREAM);
      return;
    }
    if (id === App.Unidentified || id === App.None) {
      if (current === App.None) app[row] = App.Unidentified;
      return;
    }
    app[row] = id;
    if (id === App.Dtls) this.markMediaPair(row, fromLo, MEDIA_STREAM);
    else if (id === App.Rtcp) {
      this.markMediaPair(row, fromLo);
      // The RTP columns held a candidate run; from here they hold the side's RTCP state.
      (fromLo ? this.rtpRunLo : this.rtpRunHi)[row] = 0;
      (fromLo ? this.rtpSeqLo : this.rtpSeqHi)[row] = 0;
      this.noteRtcp(row, pkt, buf, fromLo);
    }
    (fromLo ? this.appDetailLo : this.appDetailHi)[row] = found.detail;
    if (id === App.Tls && found.sniOffset >= 0 && !this.sni.has(row)) {
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
  protected noteChannelData(
    row: number,
    pkt: Packet,
    buf: Uint8Array,
    fromLo: boolean,
    current: number,
  ): void {
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
      this.markMediaPair(row, fromLo, MEDIA_STREAM);
      (fromLo ? this.appDetailLo : this.appDetailHi)[row] = STUN_CHANNEL_DATA;
    } else if (current === App.None || current === App.RtpCandidate) {
      app[row] = App.Unidentified;
    }
  }
}
