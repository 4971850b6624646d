/**
 * Blocking and inconclusive evidence from a flow's own packets
 * (docs/verdict-rules.md §4, §5), computed for every flow whatever its
 * verdict:
 * - `icmp_unreachable`: an ICMP/ICMPv6 destination unreachable quoting the
 *   flow's packets. Filtered by policy: ICMP codes 9, 10, 13, ICMPv6 code 1;
 *   closed port: ICMP code 3, ICMPv6 code 4; no route: the rest (RFC 792,
 *   RFC 1812 §5.2.7.1, RFC 4443 §3.1). It decides the verdict only when it
 *   quotes the originator and the responder never answered.
 * - `syn_no_reply`: Zeek conn_state S0, SH or RSTOS0: SYNs never answered.
 * - `syn_rejected`: REJ, a SYN answered by RST.
 * - `handshake_incomplete`: the server's SYN+ACK never acknowledged, the
 *   client retransmitting its SYN or the server its SYN+ACK (or an ICMP error
 *   quoting the SYN+ACK).
 * - `reset_after_handshake`: RSTR after the client's first data, the
 *   responder having sent none (a middlebox rejecting TLS or SIP).
 * - `udp_no_reply`: unicast UDP, only the originator sent, either at least 2
 *   packets over at least 1 s, or a request (STUN binding, SIP) that got no
 *   answer; not syslog nor media (below); ICE checks from a socket whose media
 *   worked within a minute are information (`ice_check_unanswered`).
 * - `one_way_media`: media one way for at least 1 s while the capture holds
 *   other packets from the peer (`one_sided_capture` when none; `early_media`).
 * - `tls_alert`, `tls_handshake_incomplete`, `tls_client_certificate_missing`:
 *   the TLS handshake failed (tls.ts), with its warnings as information.
 * - `turn_allocate_failed`: no TURN allocation succeeded (turn.ts).
 * - `host_dropped`: the capturing host said it dropped packets of the flow
 *   (Windows pktmon's drop events, pcapng's eBPF drop verdicts, `--dropped`).
 * Inconclusive, when the capture cannot tell:
 * - `one_sided_capture`: the client acknowledged or sent data after its SYN;
 * - `near_capture_end`: the attempt started in the last 3 s of the capture;
 * - `midstream`: TCP without SYN or SYN+ACK (whatever conn_state says: a
 *   lone RST is RSTRH or OTH) where a side sent nothing but resets. With
 *   each side sending data, ACKs or FINs, `midstream` is information.
 */

import { App } from "../decode/apps.js";
import { IPPROTO_TCP, IPPROTO_UDP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from "../decode/constants.js";
import { isTurnPort } from "../flow/payload-hooks.js";
import { FirstPayload, type IcmpEvidence } from "../flow/table.js";
import type { ConnState } from "../flow/tcp.js";
import { RTCP_REPORTED_ON, RTCP_SENDER } from "../flow/types.js";
import type { FlowFacts } from "../flow/view.js";
import { wordsText } from "../format.js";
import { kerberosEvidence, sipEvidence } from "./answers.js";
import { isMedia, protocolOf } from "./payload.js";
import { type IcmpDetails, type Reason, type ReasonDetails, reason } from "./reasons.js";
import { tlsEvidence } from "./tls.js";
import { turnEvidence } from "./turn.js";

/** Attempts that started this close to the end of the capture may have been answered after it. */
export const NEAR_END_MICROS = 3_000_000;

export interface Evidence {
  /** Decides a matched flow's verdict: blocked. */
  blocked: Reason[];
  /** Decides a matched flow's verdict: inconclusive. */
  inconclusive: Reason[];
  /** Shown, decides nothing (an ICMP error although the server answered, mid-stream with both sides). */
  info: Reason[];
}

/** Shared "nothing found", so the common case allocates nothing. */
/** The FQDNs a topology gives the server's role (topology `names`), and the line that gives them. */
export interface ServerNames {
  role: string;
  names: readonly string[];
  line: number;
}

export const NO_EVIDENCE: Evidence = Object.freeze({ blocked: [], inconclusive: [], info: [] }) as Evidence;

export function flowEvidence(
  flow: FlowFacts,
  state: ConnState,
  history: string,
  captureEnd: number | null,
  serverNames: ServerNames | null = null,
  /** The responder is a multicast or broadcast address (nobody answers on the same 5-tuple). */
  toGroup: boolean = flow.toGroupAddress,
  tls10Expected = true, // TLS 1.0 is the products' default (classify.ts's ClassifyContext)
): Evidence {
  const tcp = flow.ipProto === IPPROTO_TCP;
  // A SYN or SYN+ACK from either side (Zeek's history letters S/s, H/h).
  // Without one the capture began after the connection opened, whatever
  // conn_state says.
  const handshake = tcp && ((flow.origFlags | flow.respFlags) & TCP_SYN) !== 0;
  const sip = flow.sip === null ? null : sipEvidence(flow.sip);
  const kerberos = kerberosEvidence(flow.kerberosError);
  // The cheap common case first: a flow that got answers, whose handshake
  // was seen and that was not refused or reset, cannot carry evidence.
  if (
    sip === null &&
    kerberos === null &&
    flow.drop === null &&
    flow.tls === null &&
    flow.stun === null &&
    flow.respPackets > 0 &&
    flow.origPackets > 0 &&
    flow.icmp === null &&
    (!tcp ||
      (handshake &&
        (flow.origFlags & TCP_ACK) !== 0 &&
        state !== "REJ" &&
        state !== "RSTR" &&
        state !== "S0" &&
        state !== "SH" &&
        state !== "RSTOS0"))
  ) {
    return NO_EVIDENCE;
  }
  const blocked: Reason[] = sip?.error ? [sip.error] : [];
  const inconclusive: Reason[] = [];
  const info: Reason[] = sip === null ? [] : [...sip.info];
  if (kerberos !== null) info.push(kerberos);
  const turn = flow.stun === null ? null : turnEvidence(flow.stun);
  if (turn !== null) blocked.push(turn);
  const drop = flow.drop;
  if (drop !== null) {
    const side =
      drop.origPackets > 0 && drop.respPackets > 0
        ? "both"
        : drop.origPackets > 0
          ? "originator"
          : "responder";
    // Both sides also got packets through: the flow worked, and the drop is information.
    const answered = flow.origPackets > drop.origPackets && flow.respPackets > drop.respPackets;
    (answered ? info : blocked).push(
      reason("host_dropped", {
        packets: drop.origPackets + drop.respPackets,
        side,
        firstFrame: drop.firstFrame,
        reason: drop.reason,
        direction: drop.direction === 1 ? "inbound" : drop.direction === 2 ? "outbound" : null,
        answered,
      }),
    );
  }
  const nearEnd =
    captureEnd !== null && captureEnd - flow.first < NEAR_END_MICROS ? captureEnd - flow.first : null;
  if (flow.tls !== null)
    tlsEvidence(
      flow.tls,
      flow.first,
      state,
      flow.respPayload > 0,
      flow.respPackets > 0,
      nearEnd !== null,
      serverNames,
      tls10Expected,
      blocked,
      inconclusive,
      info,
    );
  const noReply = flow.respPackets === 0;
  const icmp = flow.icmp;
  let icmpBlocks = false;
  if (icmp !== null) {
    const quotes = flow.icmpQuotesOriginator ? "originator" : "responder";
    icmpBlocks = noReply && quotes === "originator";
    // Sent by the quoted packet's destination itself, or by a router or firewall on the way.
    const target = quotes === "responder";
    const fromTarget =
      icmp.family === flow.family && icmp.words.every((w, i) => w === flow.addrWord(target, i));
    (icmpBlocks ? blocked : info).push(
      reason("icmp_unreachable", { ...icmpDetails(icmp), quotes, answered: !noReply, fromTarget }),
    );
  }
  const span = flow.last - flow.first;

  if (tcp) {
    if (!handshake) {
      // Each side sent something other than a reset (history letters A, D or
      // F from the originator, a, d or f from the responder): each heard the
      // other, so the port works. A side that only reset shows nothing.
      const both = /[ADF]/.test(history) && /[adf]/.test(history);
      const details =
        flow.keyAgain === true ? { bothSides: both, continues: true as const } : { bothSides: both };
      (both ? info : inconclusive).push(reason("midstream", details));
    } else if (
      state === "S0" ||
      state === "SH" ||
      state === "RSTOS0" ||
      (noReply && state === "OTH" && history.includes("S"))
    ) {
      // SYNs never answered; OTH too when the client went on without a reply (one-sided capture).
      // The client acknowledging or sending data means a reply reached it.
      const acked = (flow.origFlags & 0x10) !== 0 || flow.origPayload > 0;
      if (acked && noReply && !icmpBlocks) {
        inconclusive.push(
          reason("one_sided_capture", {
            kind: "acked_after_syn",
            packets: flow.origPackets,
            spanMicros: span,
          }),
        );
      } else if (nearEnd !== null && !icmpBlocks) {
        inconclusive.push(reason("near_capture_end", { what: "syn", beforeEndMicros: nearEnd }));
      } else {
        blocked.push(
          reason("syn_no_reply", {
            syns: flow.origSyns,
            spanMicros: span,
            after: state === "S0" ? "nothing" : state === "SH" ? "fin" : "rst",
            icmp: icmpBlocks,
          }),
        );
      }
    } else if ((flow.origFlags & TCP_ACK) === 0 && flow.origPayload === 0 && history.includes("h")) {
      // The server answered with SYN+ACK but the client never acknowledged it:
      // retransmitted SYNs (RFC 9293 §3.8.1), the server's own retransmitted
      // SYN+ACKs (it saw no ACK either) or an ICMP error about the SYN+ACK
      // show it never arrived (the return path is blocked).
      const icmpOnReply = icmp !== null && !flow.icmpQuotesOriginator;
      // Retransmitted SYN+ACKs: two or more server packets, none a FIN or RST, and no reset from
      // the client (a client that resets got the SYN+ACK).
      const synAcksAgain =
        flow.respPackets >= 2 &&
        (flow.respFlags & (TCP_FIN | TCP_RST)) === 0 &&
        (flow.origFlags & TCP_RST) === 0;
      if (flow.origSyns >= 2 || synAcksAgain || icmpOnReply) {
        blocked.push(
          reason("handshake_incomplete", {
            syns: flow.origSyns,
            synAcks: flow.respPackets,
            spanMicros: span,
          }),
        );
      } else if (nearEnd !== null) {
        inconclusive.push(reason("near_capture_end", { what: "syn", beforeEndMicros: nearEnd }));
      }
    } else if (state === "REJ") {
      blocked.push(
        reason("syn_rejected", { syns: flow.origSyns, replies: flow.respPackets, spanMicros: span }),
      );
    } else if (state === "RSTR" && flow.origPayload > 0 && flow.respPayload === 0 && history.includes("h")) {
      blocked.push(reason("reset_after_handshake", { clientBytes: flow.origPayload }));
    }
  } else if (flow.ipProto === IPPROTO_UDP && !icmpBlocks) {
    if (noReply && !toGroup) udpOneWay(flow, span, nearEnd, blocked, inconclusive, info);
    // Only the responder sent (flows turned round by a server port: the Edge's 3478 talking to a silent client).
    else if (flow.origPackets === 0 && isMedia(flow.respApp))
      oneWayMedia(flow, false, span, blocked, inconclusive, info);
  }
  return blocked.length === 0 && inconclusive.length === 0 && info.length === 0
    ? NO_EVIDENCE
    : { blocked, inconclusive, info };
}

/** UDP ports of protocols that only ever send one way: SNMP traps, NetFlow/IPFIX/sFlow export. */
const ONE_WAY_PORTS: ReadonlySet<number> = new Set([162, 2055, 4739, 6343, 9995, 9996]);

/** The originator sent and nothing came back on this 5-tuple. */
function udpOneWay(
  flow: FlowFacts,
  span: number,
  nearEnd: number | null,
  blocked: Reason[],
  inconclusive: Reason[],
  info: Reason[],
): void {
  const app = flow.origApp;
  // One-way by design (RFC 5424 syslog, RFC 3416 §4.2.6 traps, flow export): silence is normal.
  if (app === App.Syslog || ONE_WAY_PORTS.has(flow.respPort)) return;
  const repeated = flow.origPackets >= 2 && span >= 1_000_000;
  const first = flow.origFirstPayload;
  // A STUN or TURN request (Binding, Allocate) is a request: it must be answered, media or not.
  const stunRequest = flow.stun !== null && flow.stun.bindingRequests + flow.stun.allocateRequests > 0;
  const request: ReasonDetails["udp_no_reply"]["request"] =
    first === FirstPayload.StunBindingRequest || stunRequest
      ? "stun"
      : first === FirstPayload.SipRequest
        ? "sip"
        : null;
  if (isMedia(app) && request === null) {
    oneWayMedia(flow, true, span, blocked, inconclusive, info);
    return;
  }
  if (!repeated && request === null) return;
  // ICE keeps one candidate pair that answers (RFC 8445 §2.2): pairs it did not keep go unanswered.
  // Not to a STUN/TURN server's port, where RFC 3489 Bindings carry USERNAME as credentials.
  const stun = flow.stun;
  const onlyChecks = stun !== null && stun.checks > 0 && stun.checks === stun.bindingRequests;
  if (onlyChecks && stun.allocateRequests === 0 && !isTurnPort(flow.respPort) && flow.mediaWorked(true)) {
    info.push(
      reason("ice_check_unanswered", { checks: stun.checks, packets: flow.origPackets, spanMicros: span }),
    );
    return;
  }
  if (nearEnd !== null && !repeated) {
    inconclusive.push(reason("near_capture_end", { what: "request", beforeEndMicros: nearEnd }));
  } else {
    blocked.push(reason("udp_no_reply", { request, packets: flow.origPackets, spanMicros: span }));
  }
}

/**
 * Media (RTP, RTCP, STUN answers, TURN, DTLS) sent one way by `fromOrig`'s
 * side for at least 1 s, nothing back on this 5-tuple. Nothing to say when
 * the silent end sent media to the sender on another 5-tuple of the same call
 * (one sharing a port or its RTCP pair with this one), or on any 5-tuple when no
 * flow between the two carried RTP both ways (asymmetric RTP ports, RFC 3550
 * allows them; a receive-only party's RTCP, RFC 3264 §5.1); another, working
 * call between the same two hosts does not count (flow/payload-hooks.ts);
 * information when a SIP 18x announced it for a call that then ended
 * unanswered (early media, flow/early-media.ts); blocked when the silent end
 * was otherwise seen in the capture (the media did not get through); else the
 * capture may be one-sided.
 */
function oneWayMedia(
  flow: FlowFacts,
  fromOrig: boolean,
  span: number,
  blocked: Reason[],
  inconclusive: Reason[],
  info: Reason[],
): void {
  const packets = fromOrig ? flow.origPackets : flow.respPackets;
  if (packets < 2 || span < 1_000_000) return;
  if (flow.mediaFrom(!fromOrig)) {
    const ssrc = flow.rtpSsrc(fromOrig);
    // RTP one way, and only RTCP back to its ports (RFC 3550 §6.4): a sender report counting RTP
    // sent says the peer's stream was lost on its way; else a report block on this stream (its
    // SSRC) says the peer receives it and sends none of its own, as in one-way audio or a held call.
    if (ssrc !== null && !flow.mediaFrom(!fromOrig, "stream")) {
      const rtcp = flow.rtcpFrom(!fromOrig);
      if ((rtcp & RTCP_SENDER) !== 0 && flow.peerSent(!fromOrig))
        blocked.push(
          reason("one_way_media", { protocol: "rtp", packets, spanMicros: span, peerSenderReports: true }),
        );
      else if ((rtcp & RTCP_REPORTED_ON) !== 0)
        info.push(reason("peer_receive_only", { packets, spanMicros: span, ssrc }));
    }
    return;
  }
  // Ringback or an announcement before the call is answered (RFC 3960): one way by design.
  if (flow.earlyMedia(fromOrig)) info.push(reason("early_media", { packets, spanMicros: span }));
  else if (flow.peerSent(!fromOrig)) {
    const app = fromOrig ? flow.origApp : flow.respApp;
    blocked.push(
      reason("one_way_media", { protocol: protocolOf(flow, app, fromOrig), packets, spanMicros: span }),
    );
  } else {
    inconclusive.push(reason("one_sided_capture", { kind: "peer_silent", packets, spanMicros: span }));
  }
}

/**
 * Which of RFC 792/4443's codes filter (ICMP 9, 10, 13; ICMPv6 1), close
 * (port or protocol unreachable: ICMP 3, 2; ICMPv6 4), say the packet was too
 * big (ICMP 4, fragmentation needed: RFC 1191) or find no route (the rest).
 */
export function icmpDetails(icmp: IcmpEvidence): IcmpDetails {
  const filtered = icmp.v6 ? icmp.code === 1 : icmp.code === 9 || icmp.code === 10 || icmp.code === 13;
  const closed = icmp.v6 ? icmp.code === 4 : icmp.code === 3 || icmp.code === 2;
  const tooBig = !icmp.v6 && icmp.code === 4;
  return {
    count: icmp.count,
    v6: icmp.v6,
    type: icmp.type,
    code: icmp.code,
    category: filtered ? "filtered" : closed ? "closed" : tooBig ? "too_big" : "no_route",
    sender: wordsText(icmp.family, icmp.words),
  };
}
