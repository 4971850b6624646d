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
 * - `reset_after_handshake`: RSTR after the client's first data, the
 *   responder having sent none (a middlebox rejecting TLS or SIP).
 * - `udp_no_reply`: unicast UDP, only the originator sent, either at least 2
 *   packets over at least 1 s, or a request (STUN binding, SIP) that got no
 *   answer; not syslog (one-way by design) nor media (below).
 * - `one_way_media`: media (RTP, RTCP, STUN answers, TURN, DTLS) one way for
 *   at least 1 s while the capture holds other packets from the peer;
 *   `one_sided_capture` when it holds none.
 * Inconclusive, when the capture cannot tell:
 * - `one_sided_capture`: the client acknowledged or sent data after its SYN;
 * - `near_capture_end`: the attempt started in the last 3 s of the capture;
 * - `midstream`: TCP without SYN or SYN+ACK (whatever conn_state says: a
 *   lone RST is RSTRH or OTH) and only one side sending, or only resets.
 *   With both sides sending and not only resets, `midstream` is information.
 */

import { IPPROTO_TCP, IPPROTO_UDP } from "../decode/packet.js";

/** The SYN bit of the TCP flags (RFC 9293 §3.1). */
const TCP_SYN = 0x02;

import { App } from "../decode/signatures.js";
import { FirstPayload, type Flow, type IcmpEvidence } from "../flow/table.js";
import type { ConnState } from "../flow/tcp.js";
import { formatWords } from "./address.js";
import { isMedia, protocolOf } from "./payload.js";
import { type IcmpDetails, type Reason, type ReasonDetails, reason } from "./reasons.js";

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
export const NO_EVIDENCE: Evidence = Object.freeze({ blocked: [], inconclusive: [], info: [] }) as Evidence;

export function flowEvidence(
  flow: Flow,
  state: ConnState,
  history: string,
  captureEnd: number | null,
): Evidence {
  const tcp = flow.ipProto === IPPROTO_TCP;
  // A SYN or SYN+ACK from either side (Zeek's history letters S/s, H/h).
  // Without one the capture began after the connection opened, whatever
  // conn_state says.
  const handshake = tcp && ((flow.origFlags | flow.respFlags) & TCP_SYN) !== 0;
  // The cheap common case first: a flow that got answers, whose handshake
  // was seen and that was not refused or reset, cannot carry evidence.
  if (
    flow.respPackets > 0 &&
    flow.icmp === null &&
    (!tcp ||
      (handshake &&
        state !== "REJ" &&
        state !== "RSTR" &&
        state !== "S0" &&
        state !== "SH" &&
        state !== "RSTOS0"))
  ) {
    return NO_EVIDENCE;
  }
  const blocked: Reason[] = [];
  const inconclusive: Reason[] = [];
  const info: Reason[] = [];
  const nearEnd =
    captureEnd !== null && captureEnd - flow.first < NEAR_END_MICROS ? captureEnd - flow.first : null;
  const noReply = flow.respPackets === 0;
  const icmp = flow.icmp;
  let icmpBlocks = false;
  if (icmp !== null) {
    const quotes = flow.icmpQuotesOriginator ? "originator" : "responder";
    icmpBlocks = noReply && quotes === "originator";
    (icmpBlocks ? blocked : info).push(
      reason("icmp_unreachable", { ...icmpDetails(icmp), quotes, answered: !noReply }),
    );
  }
  const span = flow.last - flow.first;

  if (tcp) {
    if (!handshake) {
      // Both sides sent packets, not only resets (history letters A D F in
      // either case): each side heard the other, so the port works.
      const both = flow.origPackets > 0 && flow.respPackets > 0 && /[ADFadf]/.test(history);
      (both ? info : inconclusive).push(reason("midstream", { bothSides: both }));
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
    } else if (state === "REJ") {
      blocked.push(
        reason("syn_rejected", { syns: flow.origSyns, replies: flow.respPackets, spanMicros: span }),
      );
    } else if (state === "RSTR" && flow.origPayload > 0 && flow.respPayload === 0 && history.includes("h")) {
      blocked.push(reason("reset_after_handshake", { clientBytes: flow.origPayload }));
    }
  } else if (flow.ipProto === IPPROTO_UDP && noReply && !icmpBlocks && !flow.toGroupAddress) {
    udpOneWay(flow, span, nearEnd, blocked, inconclusive);
  }
  return blocked.length === 0 && inconclusive.length === 0 && info.length === 0
    ? NO_EVIDENCE
    : { blocked, inconclusive, info };
}

function udpOneWay(
  flow: Flow,
  span: number,
  nearEnd: number | null,
  blocked: Reason[],
  inconclusive: Reason[],
): void {
  const app = flow.origApp;
  if (app === App.Syslog) return;
  const repeated = flow.origPackets >= 2 && span >= 1_000_000;
  const first = flow.origFirstPayload;
  const request: ReasonDetails["udp_no_reply"]["request"] =
    first === FirstPayload.StunBindingRequest ? "stun" : first === FirstPayload.SipRequest ? "sip" : null;
  if (isMedia(app) && request === null) {
    // Media one way (RTP, RTCP, STUN answers, TURN, DTLS): blocked when the
    // peer was visible elsewhere in the capture, else the capture is one-sided.
    if (!repeated) return;
    if (flow.peerSent(false)) {
      blocked.push(
        reason("one_way_media", {
          protocol: protocolOf(flow, app, true),
          packets: flow.origPackets,
          spanMicros: span,
        }),
      );
    } else {
      inconclusive.push(
        reason("one_sided_capture", { kind: "peer_silent", packets: flow.origPackets, spanMicros: span }),
      );
    }
    return;
  }
  if (!repeated && request === null) return;
  if (nearEnd !== null && !repeated) {
    inconclusive.push(reason("near_capture_end", { what: "request", beforeEndMicros: nearEnd }));
  } else {
    blocked.push(reason("udp_no_reply", { request, packets: flow.origPackets, spanMicros: span }));
  }
}

/** Which of RFC 792/4443's codes filter, close or find no route. */
export function icmpDetails(icmp: IcmpEvidence): IcmpDetails {
  const filtered = icmp.v6 ? icmp.code === 1 : icmp.code === 9 || icmp.code === 10 || icmp.code === 13;
  const closed = icmp.v6 ? icmp.code === 4 : icmp.code === 3;
  return {
    count: icmp.count,
    v6: icmp.v6,
    type: icmp.type,
    code: icmp.code,
    category: filtered ? "filtered" : closed ? "closed" : "no_route",
    sender: formatWords(icmp.family, icmp.words),
  };
}
