/**
 * `Flow`: a read-only view of one flow-table row in originator/responder
 * terms. It is valid only while the table's `onFinal` runs: the row is
 * cleared and reused afterwards. Classification and the report read it.
 */

import type { App } from "../decode/apps.js";
import { IPPROTO_TCP, IPPROTO_UDP } from "../decode/constants.js";
import type { FlowDrop } from "./drops.js";
import type { SipOutcome } from "./sip-outcome.js";
import type { StunOutcome } from "./stun-outcome.js";
import type { FlowTable } from "./table.js";
import { type ConnState, type EndpointState, endpointState, tcpConnState, udpConnState } from "./tcp.js";
import type { TlsOutcome } from "./tls-outcome.js";
import { type FirstPayload, type IcmpEvidence, type IcmpQuote, MEDIA_STREAM } from "./types.js";

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
  /** Whether the flow had IP fragments (its display filter then names them: tshark sees its ports only where it reassembles). */
  get fragmented(): boolean {
    return this.table.rowFragmented(this.row);
  }
  /** Whether an earlier flow of the capture (probably: hashed) had this 5-tuple: the report then bounds each part by frame numbers. */
  get keyAgain(): boolean {
    return this.table.rowKeyAgain(this.row);
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
  /** Index into the capture's process table (Network Monitor 2.2+), or -1. */
  get process(): number {
    return this.table.rowProcess(this.row);
  }
  /** What plain SIP said on the flow (requests, final responses by method), or null. */
  get sip(): SipOutcome | null {
    return this.table.rowSip(this.row);
  }
  /** What STUN and TURN said (Binding, Allocate, relay use), or null. */
  get stun(): StunOutcome | null {
    return this.table.rowStun(this.row);
  }
  /** What the TLS handshake said (from a ClientHello on), or null. */
  get tls(): TlsOutcome | null {
    return this.table.rowTls(this.row);
  }
  /** Packets the capturing host reported dropping (pktmon, eBPF verdicts), or null. */
  get drop(): FlowDrop | null {
    const d = this.table.rowDrops(this.row);
    if (d === null) return null;
    const lo = this.origIsLo;
    return {
      origPackets: lo ? d.lo : d.hi,
      respPackets: lo ? d.hi : d.lo,
      firstFrame: d.firstFrame,
      reason: d.reason,
      direction: d.direction,
    };
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
  get origIpBytes(): number {
    return this.table.rowIpBytes(this.row, !this.origIsLo);
  }
  get respIpBytes(): number {
    return this.table.rowIpBytes(this.row, this.origIsLo);
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
  /**
   * Whether this end's address sent media to the other end's address, on this flow or another
   * of the same call: from this end's port or to the other end's (or their RTCP pair). `kind`:
   * any media, or a stream (RTP, ChannelData, DTLS).
   */
  mediaFrom(orig: boolean, kind: "any" | "stream" = "any"): boolean {
    const a = [0, 1, 2, 3].map((i) => this.addrWord(orig, i));
    const b = [0, 1, 2, 3].map((i) => this.addrWord(!orig, i));
    return this.table.sentMediaTo(
      a,
      b,
      orig ? this.origPort : this.respPort,
      orig ? this.respPort : this.origPort,
      kind === "any" ? 0 : MEDIA_STREAM,
    );
  }
  /**
   * What this end's RTCP to the other end's port (or its RTCP pair) said, any flow: RTCP_REPORTED_ON
   * (types.ts) when a report block named the other end's RTP stream on this flow by its SSRC,
   * RTCP_SENDER when a sender report counted RTP sent; 0 for neither.
   */
  rtcpFrom(orig: boolean): number {
    const a = [0, 1, 2, 3].map((i) => this.addrWord(orig, i));
    const b = [0, 1, 2, 3].map((i) => this.addrWord(!orig, i));
    const ssrc = this.table.rowRtpSsrc(this.row, orig === this.origIsLo);
    return this.table.rtcpSent(a, b, orig ? this.respPort : this.origPort, ssrc);
  }
  /** The SSRC of this end's RTP stream on the flow, or null when the end sent no RTP. */
  rtpSsrc(orig: boolean): number | null {
    return this.table.rowRtpSsrc(this.row, orig !== this.origIsLo);
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
  /**
   * Whether media through this end's socket (address, port and transport) worked within a minute
   * or so of this flow's start: an answered ICE check, TURN relaying, RTP both ways (media-worked.ts).
   */
  mediaWorked(orig: boolean): boolean {
    const words = [0, 1, 2, 3].map((i) => this.addrWord(orig, i));
    const port = orig ? this.origPort : this.respPort;
    return this.table.mediaWorkedNear(this.family, words, port, this.ipProto === IPPROTO_TCP, this.first);
  }
  /** Whether this end's media was a call's early media: ringback before a final failure (flow/early-media.ts). */
  earlyMedia(orig: boolean): boolean {
    const port = orig ? this.origPort : this.respPort;
    return this.family === 4 && this.table.sipEarlyMedia(this.addrWord(orig, 3), port, this.first, this.last);
  }
  /** The first KRB-ERROR code a KDC answered on this flow (not pre-authentication required or "too big"), and how many. */
  get kerberosError(): { code: number; count: number } | null {
    return this.table.rowKrbError(this.row);
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

/**
 * What classification and the report read of a flow. The `Flow` view
 * satisfies it; a test can pass a plain object, so a verdict rule can be
 * tested without replaying packets through a table.
 */
export type FlowFacts = Pick<
  Flow,
  | "id"
  | "ipProto"
  | "family"
  | "flipped"
  | "fragmented"
  | "addrWord"
  | "first"
  | "last"
  | "firstFrame"
  | "process"
  | "sip"
  | "drop"
  | "tls"
  | "stun"
  | "origPort"
  | "respPort"
  | "origPackets"
  | "respPackets"
  | "origBytes"
  | "respBytes"
  | "origPayload"
  | "respPayload"
  | "origIpBytes"
  | "respIpBytes"
  | "origSyns"
  | "origFlags"
  | "respFlags"
  | "origFirstPayload"
  | "origApp"
  | "respApp"
  | "appDetail"
  | "sni"
  | "icmp"
  | "icmpQuotesOriginator"
  | "icmpQuote"
  | "mediaFrom"
  | "rtcpFrom"
  | "rtpSsrc"
  | "peerSent"
  | "mediaWorked"
  | "earlyMedia"
  | "kerberosError"
  | "toGroupAddress"
  | "tcpStates"
  | "history"
  | "connState"
> &
  Partial<Pick<Flow, "keyAgain">>;
