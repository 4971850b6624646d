/**
 * Turns a reason's data into the sentence every renderer shows, and into the
 * brief form (key figures only) of the terminal's one-line flow listings. The
 * only place reason text is written: classification, grouping, redaction and
 * policy work on the fields (src/classify/reasons.ts).
 */
import { FAMILY_TEXT } from "../classify/payload.js";
import type { Reason } from "../classify/reasons.js";
import { CLOSED_BY_OTHER, ICMP_MEANING, icmpBrief, icmpHead } from "./icmp-text.js";
import { plural, protocolName, SIP_REASON_PHRASES, seconds, TURN_PHRASES, transportText } from "./phrases.js";

/**
 * The protocols of the OCS families (classify/payload.ts payloadFamily; STUN in its Microsoft and
 * TURN forms too): found on a port whose rows take none of them, they are not "other traffic".
 * DTLS is left out: OCS 2007 R2 never speaks it (later products do, for media).
 */
const OCS_FAMILY: ReadonlySet<string> = new Set([
  "sip",
  "tls",
  "http",
  "stun",
  "ms-turn",
  "turn-channel",
  "ms-turn-multiplex",
  "rtp",
  "rtcp",
  "dcerpc",
  "kerberos",
  "ldap",
]);

/** The sentence for a reason. (Not cached: nearly every reason is one flow's own.) */
/** An SSRC as Wireshark shows it (rtcp.ssrc.identifier): 0x and eight hex digits. */
function ssrcHex(ssrc: number): string {
  return `0x${(ssrc >>> 0).toString(16).padStart(8, "0")}`;
}

export function reasonText(r: Reason): string {
  switch (r.code) {
    case "not_in_catalog": {
      const d = r.details;
      return d.port === null
        ? `${transportText(d.transport)} is not in the OCS port catalog`
        : `no catalog entry for ${d.port}/${d.transport}`;
    }
    case "other_protocol": {
      const d = r.details;
      const what = OCS_FAMILY.has(d.protocol) ? "a protocol OCS speaks, but" : "other traffic,";
      return `${protocolName(d.protocol)} on ${d.port}/${d.transport}: ${what} not a protocol the OCS catalog has for this port`;
    }
    case "client_range_only": {
      const d = r.details;
      return `${d.port}/${d.transport} falls only in the client media range ${d.range}, which alone does not identify OCS traffic`;
    }
    case "outside_topology": {
      const d = r.details;
      return d.connecting
        ? `${d.port}/${d.transport} went to ${d.server}, an address the topology gives no role; the catalog lists the port only for ${roleList(d.roles)} connecting to other hosts, and the client is not one`
        : `${d.port}/${d.transport} went to ${d.server}, an address the topology gives no role, while the roles that serve it (${roleList(d.roles)}) live elsewhere`;
    }
    case "media_range_only": {
      const d = r.details;
      return `${d.port}/${d.transport} lies in the media range ${d.ranges} (${roleList(d.roles)}), but no media (RTP, RTCP, STUN, TURN, DTLS) was seen in the flow`;
    }
    case "icmp_unmatched": {
      const d = r.details;
      const ports = d.quotedTransport === "tcp" || d.quotedTransport === "udp";
      const from = ports ? `${d.quotedSrc}:${d.quotedSrcPort}` : d.quotedSrc;
      const to = ports ? `${d.quotedDst}:${d.quotedDstPort}` : d.quotedDst;
      return `${icmpHead(d)} quoting ${transportText(d.quotedTransport)} ${from} -> ${to}, which matches no flow active in the capture: ${ICMP_MEANING[d.category]}`;
    }
    case "transport_mismatch": {
      const d = r.details;
      return `${d.port}/${d.transport} is catalogued only for ${d.other.toUpperCase()} (${roleList(d.roles)})`;
    }
    case "protocol_mismatch": {
      const d = r.details;
      return `${FAMILY_TEXT[d.seen]} on ${d.port}/${d.transport}, where the catalog expects ${d.expected.map((f) => FAMILY_TEXT[f]).join(" or ")} (${d.rows.join("; ")})`;
    }
    case "role_mismatch": {
      const d = r.details;
      const others =
        d.serving.length > 0
          ? `${roleList(d.serving)} ${d.serving.length === 1 ? "does" : "do"}`
          : `the catalog has ${roleList(d.connecting ?? [])} connect to it on other hosts`;
      return `${d.port}/${d.transport} was sent to ${d.server} (${d.role}), which the catalog does not list as serving ${d.port}/${d.transport}; ${others}`;
    }
    case "range_mismatch": {
      const d = r.details;
      return `${d.role} ${d.address} uses media port ${d.port}/${d.transport}, outside its range ${d.ranges}`;
    }
    case "wrong_direction": {
      const d = r.details;
      return `${d.server} (${d.role}) opened ${d.port}/${d.transport} to client ${d.client}; the catalog has clients connect to ${d.port}/${d.transport} (${roleList(d.clientRoles)}), not accept it`;
    }
    case "client_media": {
      const d = r.details;
      const why =
        d.protocol !== null
          ? `${d.protocol.toUpperCase()} identified in the payload`
          : "the topology puts both endpoints in client networks";
      return `peer-to-peer client media on the clients' own ports${d.range === null ? "" : ` (${d.range})`}: ${why}`;
    }
    case "icmp_unreachable": {
      const d = r.details;
      const about =
        d.quotes === "responder"
          ? " about the server's packets (the client could not be reached)"
          : d.answered
            ? " although the server answered"
            : "";
      const meaning =
        d.category === "closed" && d.fromTarget === false ? CLOSED_BY_OTHER : ICMP_MEANING[d.category];
      return `${icmpHead(d)}${about}: ${meaning}`;
    }
    case "syn_no_reply": {
      const d = r.details;
      const then = d.icmp
        ? ", no TCP reply"
        : d.after === "fin"
          ? ", no reply, client then sent FIN"
          : d.after === "rst"
            ? ", no reply, client then sent RST"
            : ", no reply";
      // One SYN has no span of its own (the flow's span may hold the ICMP error that quoted it).
      return `${plural(d.syns, "SYN")}${d.syns > 1 ? ` over ${seconds(d.spanMicros)}` : ""}${then}`;
    }
    case "syn_rejected": {
      const d = r.details;
      return `SYN answered by RST (${plural(d.syns, "SYN")}, ${plural(d.replies, "packet")} back, over ${seconds(d.spanMicros)})`;
    }
    case "handshake_incomplete": {
      const d = r.details;
      return `the server answered with ${plural(d.synAcks, "packet")} (SYN+ACK) but the client never acknowledged, sending ${plural(d.syns, "SYN")}${d.syns > 1 ? ` over ${seconds(d.spanMicros)}` : ""}: the SYN+ACK did not reach it (return path blocked?)`;
    }
    case "reset_after_handshake":
      return `the server reset the connection after the client's first data (${plural(r.details.clientBytes, "byte")} sent, retransmissions included), having sent none: a middlebox rejecting TLS or SIP?`;
    case "sip_error": {
      const d = r.details;
      const diag = d.diagnostics === null ? "" : `; ms-diagnostics: ${d.diagnostics}`;
      return (
        `${d.method} answered ${d.code} ${SIP_REASON_PHRASES[d.code] ?? ""}`.trimEnd() +
        (d.successes === undefined
          ? ` (${plural(d.responses, "final response")} of that kind, no success for ${d.method})${diag}`
          : ` (${plural(d.responses, "final response")} of that kind, in a call no success answered; ${plural(d.successes, `other ${d.method}`)} succeeded on this connection)${diag}`)
      );
    }
    case "early_media":
      return `media one way (${plural(r.details.packets, "packet")} over ${seconds(r.details.spanMicros)}) from the address and port a provisional answer (18x with SDP) announced, for a call no 2xx answered: early media (ringback or an announcement, RFC 3960), one way by design`;
    case "peer_receive_only": {
      const d = r.details;
      const what = `one way (${plural(d.packets, "packet")} over ${seconds(d.spanMicros)})`;
      // A report saved before the SSRC was evidence (summarize reads it) keeps its own wording.
      if (d.ssrc === undefined)
        return `media ${what}; the peer sent back only RTCP receiver reports (RFC 3550 §6.4.2: it receives this stream and sends no RTP of its own): one-way audio, unless the call is on hold`;
      const x = ssrcHex(d.ssrc);
      return `RTP ${what}; the peer sent back only RTCP, whose report blocks name this stream (rtcp.ssrc.identifier == ${x} && rtcp.senderssrc != ${x}), no sender report counting up (RFC 3550 §6.4: it receives this stream and sends no RTP of its own): one-way audio, unless the call is on hold`;
    }
    case "ice_check_unanswered":
      return `${plural(r.details.checks, "ICE connectivity check")} over ${seconds(r.details.spanMicros)}, no answer, while the same client port's media worked on another pair within a minute (an answered check, TURN relaying or RTP both ways): a candidate pair ICE did not keep`;
    case "kerberos_error": {
      const d = r.details;
      return `the KDC answered ${d.name} (Kerberos error ${d.code}${d.count > 1 ? `, ${d.count} times` : ""}): Kerberos failed here, and OCS falls back to NTLM where it can`;
    }
    case "sip_auth":
      return `${r.details.method} challenged with ${r.details.code} (authentication), then succeeded`;
    case "turn_allocate_failed": {
      const d = r.details;
      const phrase = TURN_PHRASES[d.code] ?? "";
      const realm = d.realm === null ? "" : ` (realm ${d.realm})`;
      return (
        `no TURN allocation succeeded: ${plural(d.requests, "Allocate request")}, answered ${d.code} ${phrase}`.trimEnd() +
        `${d.responses > 1 ? ` ×${d.responses}` : ""}${realm}`
      );
    }
    case "tls_alert": {
      const d = r.details;
      return `the ${d.from} sent a ${d.level} TLS alert, ${d.alert} (${d.code}), ending the handshake`;
    }
    case "tls_handshake_incomplete": {
      const d = r.details;
      if (d.stage === "after_server_hello")
        return "TLS handshake never completed: the server answered the ClientHello, then reset the connection";
      if (d.stage === "after_client_keys")
        return "TLS handshake never completed: the client sent its keys (and its certificate, if asked) and ChangeCipherSpec, and the server reset the connection without finishing: it refused them (with MTLS, the client certificate's chain or the server's trust of it; else a TLS-inspecting middlebox or the server's key)";
      const server = d.serverReset
        ? "the server reset the connection"
        : d.serverPayload
          ? "the server answered with something other than TLS"
          : "the server sent no data back";
      return `TLS handshake never completed: the client's ClientHello got no ServerHello; ${server}`;
    }
    case "tls_client_certificate_missing": {
      const d = r.details;
      const what = d.answered === "empty" ? "an empty certificate list" : "no certificate";
      return `the server asked for a client certificate (MTLS) and the client sent ${what}${d.completed ? "; the handshake completed anyway" : ""}`;
    }
    case "tls_certificate_expired": {
      const d = r.details;
      return `the server's certificate (${d.subject}) expired ${d.notAfter}, before this connection (${d.at})`;
    }
    case "tls_certificate_not_yet_valid": {
      const d = r.details;
      return `the server's certificate (${d.subject}) is valid only from ${d.notBefore}, after this connection (${d.at})`;
    }
    case "tls_name_mismatch": {
      const d = r.details;
      const names = `(it names ${d.certificateNames.join(", ")}${d.moreNames === undefined ? "" : ` and ${d.moreNames} more`})`;
      return d.role === undefined
        ? `the client asked for ${d.name} (SNI), which the server's certificate does not name ${names}`
        : `the server's certificate names none of the names the topology gives ${d.role}${d.topologyLine === undefined ? "" : ` (line ${d.topologyLine})`}: ${d.name.split(" | ").join(", ")} ${names}`;
    }
    case "tls_client_closed":
      return `the client ${r.details.how === "reset" ? "reset" : "closed"} the connection after the server's certificate, before completing the TLS handshake, without an alert: a client that does not trust the certificate (its chain, its names, revocation) often ends so, as does a load balancer's health monitor; when the server's certificate segments were retransmitted (history letter t) the client may never have received them (a path MTU black hole, RFC 1191)`;
    case "tls_self_signed":
      return `the server's certificate (${r.details.subject}) is self-signed`;
    case "tls_deprecated_version":
      return `the handshake chose ${r.details.version}, deprecated (RFC 8996)`;
    case "host_dropped": {
      const d = r.details;
      const whose =
        d.side === "both" ? "both sides'" : d.side === "originator" ? "the client's" : "the server's";
      const first = d.direction === null ? `frame ${d.firstFrame}` : `frame ${d.firstFrame}, ${d.direction}`;
      const n = d.packets === 1 ? "1" : d.packets.toLocaleString("en-US");
      const after = d.answered ? "; the flow got through otherwise" : "";
      return `the capturing host dropped ${n} of ${whose} packets (first: ${first}): ${d.reason}${after}`;
    }
    case "udp_no_reply": {
      const d = r.details;
      const what =
        d.request !== null
          ? `${d.request === "stun" ? "STUN/TURN request" : "SIP request"}${d.packets > 1 ? ` (${plural(d.packets, "packet")} over ${seconds(d.spanMicros)})` : ""}`
          : `${plural(d.packets, "packet")} over ${seconds(d.spanMicros)}`;
      return `${what}, no reply`;
    }
    case "one_way_media": {
      const d = r.details;
      const sent = `${d.protocol.toUpperCase()} sent one way (${plural(d.packets, "packet")} over ${seconds(d.spanMicros)})`;
      return d.peerSenderReports === true
        ? `${sent}; only RTCP came back to its ports (or the next), the peer's sender reports counting RTP it sent, the count rising in the capture (rtcp.sender.packetcount, RFC 3550 §6.4.1), and no RTP of it reached this capture: lost on its way`
        : `${sent}, nothing back, although the capture holds other packets from the peer`;
    }
    case "one_sided_capture":
      return r.details.kind === "acked_after_syn"
        ? "the client sent ACKs or data after its SYN, so it received a reply this capture does not contain (capture taken on one side of an asymmetric path?)"
        : `media flowed one way (${plural(r.details.packets, "packet")} over ${seconds(r.details.spanMicros)}) and the capture holds no packet at all from the peer: taken on one side of the path?`;
    case "near_capture_end":
      return r.details.what === "syn"
        ? `the SYN was sent ${seconds(r.details.beforeEndMicros)} before the capture ended; a reply may have come after it`
        : `the request was sent ${seconds(r.details.beforeEndMicros)} before the capture ended; an answer may have come after it`;
    case "midstream": {
      const sides = r.details.bothSides ? "both sides sent packets" : "one side sent nothing, or only resets";
      return r.details.continues === true
        ? `no SYN in this part: an earlier flow of the capture had the same addresses and ports, so this is probably its later part, split after it was idle past --tcp-timeout (${sides})`
        : `no SYN seen: the capture began after the connection opened (${sides})`;
    }
  }
}

/**
 * The key figures of a reason, for a one-line flow listing beside its code:
 * "3 SYNs over 3.0 s, no reply"; empty when the code says it all.
 */
export function reasonBrief(r: Reason): string {
  switch (r.code) {
    case "not_in_catalog":
      return "";
    case "other_protocol":
      return protocolName(r.details.protocol);
    case "client_range_only":
      return r.details.range;
    case "outside_topology":
      return "no role at this address";
    case "media_range_only":
      return `${r.details.ranges}, no media seen`;
    case "icmp_unmatched": {
      const d = r.details;
      const to =
        d.quotedTransport === "tcp" || d.quotedTransport === "udp"
          ? `${d.quotedDst}:${d.quotedDstPort}`
          : d.quotedDst;
      return `${icmpBrief(d)}, quoting ${transportText(d.quotedTransport)} to ${to}`;
    }
    case "transport_mismatch":
      return `a ${r.details.other.toUpperCase()}-only port`;
    case "protocol_mismatch":
      return `${FAMILY_TEXT[r.details.seen]}, ${r.details.expected.map((f) => FAMILY_TEXT[f]).join(" or ")} expected`;
    case "role_mismatch":
      return `${r.details.role} does not serve the port`;
    case "range_mismatch":
      return `${r.details.role} port outside ${r.details.ranges}`;
    case "wrong_direction":
      return `${r.details.role} opened it to a client`;
    case "client_media":
      return r.details.protocol === null
        ? "peer-to-peer (topology)"
        : `peer-to-peer ${r.details.protocol.toUpperCase()}`;
    case "icmp_unreachable": {
      const d = r.details;
      return `${icmpBrief(d)}${d.quotes === "responder" ? " about the server's packets" : d.answered ? ", server answered" : ""}`;
    }
    case "syn_no_reply": {
      const d = r.details;
      const then = d.icmp
        ? ", no TCP reply"
        : d.after === "nothing"
          ? ", no reply"
          : `, no reply, then ${d.after.toUpperCase()}`;
      return `${plural(d.syns, "SYN")}${d.syns > 1 ? ` over ${seconds(d.spanMicros)}` : ""}${then}`;
    }
    case "syn_rejected":
      return `RST to ${plural(r.details.syns, "SYN")}`;
    case "handshake_incomplete":
      return `SYN+ACK never acked, ${plural(r.details.syns, "SYN")}${r.details.syns > 1 ? ` over ${seconds(r.details.spanMicros)}` : ""}`;
    case "reset_after_handshake":
      return `server RST after ${plural(r.details.clientBytes, "byte")} from the client`;
    case "sip_error": {
      const d = r.details;
      // The ms-diagnostics code is what support looks up ("diag 4005"); the full text is in the sentence.
      const code = d.diagnostics === null ? null : /^\s*(\d+)/.exec(d.diagnostics)?.[1];
      return `${d.method} → ${d.code}${d.responses > 1 ? ` ×${d.responses}` : ""}${code ? `, diag ${code}` : ""}`;
    }
    case "sip_auth":
      return `${r.details.method} → ${r.details.code}, then success`;
    case "kerberos_error":
      return `${r.details.name}${r.details.count > 1 ? ` ×${r.details.count}` : ""}`;
    case "ice_check_unanswered":
      return `${plural(r.details.checks, "ICE check")} unanswered, another pair of the port worked`;
    case "early_media":
      return `early media one way, ${plural(r.details.packets, "packet")} over ${seconds(r.details.spanMicros)}`;
    case "peer_receive_only":
      return r.details.ssrc === undefined
        ? "one way, the peer sends receiver reports only"
        : `one way, the peer's RTCP reports receiving it (SSRC ${ssrcHex(r.details.ssrc)})`;
    case "host_dropped":
      return `${plural(r.details.packets, "packet")} dropped by the host: ${r.details.reason}`;
    case "turn_allocate_failed":
      return `TURN Allocate → ${r.details.code}${r.details.responses > 1 ? ` ×${r.details.responses}` : ""}`;
    case "tls_alert":
      return `TLS ${r.details.level} alert ${r.details.alert} from the ${r.details.from}`;
    case "tls_handshake_incomplete":
      return r.details.stage === "no_server_hello"
        ? `ClientHello, no ServerHello${r.details.serverReset ? ", server RST" : ""}`
        : r.details.stage === "after_client_keys"
          ? "server RST after the client's keys, handshake unfinished"
          : `TLS handshake stopped after the ServerHello${r.details.serverReset ? ", server RST" : ""}`;
    case "tls_client_certificate_missing":
      return `client certificate asked, ${r.details.answered === "empty" ? "empty list" : "none"} sent`;
    case "tls_certificate_expired":
      return `certificate expired ${r.details.notAfter.slice(0, 10)}`;
    case "tls_certificate_not_yet_valid":
      return `certificate valid from ${r.details.notBefore.slice(0, 10)}`;
    case "tls_name_mismatch":
      return r.details.role !== undefined
        ? `certificate names none of ${r.details.name.split(" | ").join(", ")} (topology, ${r.details.role})`
        : `certificate does not name ${r.details.name}`;
    case "tls_client_closed":
      return `client ${r.details.how === "reset" ? "reset" : "closed"} after the certificate`;
    case "tls_self_signed":
      return "self-signed certificate";
    case "tls_deprecated_version":
      return r.details.version;
    case "udp_no_reply": {
      const d = r.details;
      const what = d.request === "stun" ? "STUN request, " : d.request === "sip" ? "SIP request, " : "";
      const figures =
        d.packets > 1 || d.request === null
          ? `${plural(d.packets, "packet")} over ${seconds(d.spanMicros)}, `
          : "";
      return `${what}${figures}no reply`;
    }
    case "one_way_media":
      return `${r.details.protocol.toUpperCase()} one way, ${plural(r.details.packets, "packet")} over ${seconds(r.details.spanMicros)}${r.details.peerSenderReports === true ? ", the peer's RTCP says it sends" : ""}`;
    case "one_sided_capture":
      return r.details.kind === "acked_after_syn" ? "reply not captured" : "peer not captured";
    case "near_capture_end":
      return `${r.details.what === "syn" ? "SYN" : "request"} ${seconds(r.details.beforeEndMicros)} before the end`;
    case "midstream":
      return r.details.bothSides
        ? "no SYN seen, both sides sent"
        : "no SYN seen, one side sent nothing or only resets";
  }
}

/** "A, B, C" for up to three roles, "A, B, C and 4 more" past that. */
function roleList(roles: readonly string[]): string {
  return roles.length <= 3
    ? roles.join(", ")
    : `${roles.slice(0, 3).join(", ")} and ${roles.length - 3} more`;
}
