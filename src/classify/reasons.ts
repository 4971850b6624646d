/**
 * The evidence behind a verdict, as data: a `ReasonCode` and typed details
 * (counts, durations, ports, ICMP type/code/sender). Grouping, redaction and
 * policy read these fields; only `report/reason-text.ts` turns them into
 * sentences. The codes and what they mean: docs/verdict-rules.md and the
 * README's reason table (a test keeps the two in step with `REASON_CODES`).
 * Lists whose facts are the port's alone (`portReasons`) are frozen and
 * shared between flows.
 */

import type { PayloadFamily } from "../catalog/types.js";

/** What the ICMP code of a destination unreachable says (RFC 792, RFC 1812 §5.2.7.1, RFC 4443 §3.1). */
export type IcmpCategory = "filtered" | "closed" | "no_route" | "too_big";

export interface IcmpDetails {
  /** Messages seen. */
  count: number;
  v6: boolean;
  type: number;
  code: number;
  category: IcmpCategory;
  /** The router or host that sent it (address text). */
  sender: string;
}

export interface ReasonDetails {
  // unknown
  not_in_catalog: { transport: string; port: number | null };
  other_protocol: { protocol: string; transport: string; port: number };
  client_range_only: { transport: string; port: number; range: string };
  /**
   * With a topology: `server` is in no role, while `roles`, which serve the port (or, with
   * `connecting`, only connect to it on other hosts), are placed elsewhere.
   */
  outside_topology: { transport: string; port: number; server: string; roles: string[]; connecting?: true };
  media_range_only: { transport: string; port: number; roles: string[]; ranges: string };
  icmp_unmatched: IcmpDetails & {
    quotedTransport: string;
    quotedSrc: string;
    quotedSrcPort: number;
    quotedDst: string;
    quotedDstPort: number;
  };
  // misdirected
  transport_mismatch: { transport: string; port: number; other: string; roles: string[] };
  protocol_mismatch: {
    seen: PayloadFamily;
    transport: string;
    port: number;
    expected: PayloadFamily[];
    rows: string[];
  };
  /** `serving`: the roles that listen on the port; `connecting`, when none does: the roles that connect to it on other hosts. */
  role_mismatch: {
    transport: string;
    port: number;
    server: string;
    role: string;
    serving: string[];
    connecting?: string[];
  };
  range_mismatch: { role: string; address: string; port: number; transport: string; ranges: string };
  wrong_direction: {
    transport: string;
    port: number;
    server: string;
    role: string;
    client: string;
    clientRoles: string[];
  };
  // known
  client_media: { range: string | null; protocol: string | null };
  // blocked
  /** `fromTarget`: sent by the quoted packet's destination, not a router or firewall (absent in older reports). */
  icmp_unreachable: IcmpDetails & {
    quotes: "originator" | "responder";
    answered: boolean;
    fromTarget?: boolean;
  };
  syn_no_reply: { syns: number; spanMicros: number; after: "nothing" | "fin" | "rst"; icmp: boolean };
  syn_rejected: { syns: number; replies: number; spanMicros: number };
  handshake_incomplete: { syns: number; synAcks: number; spanMicros: number };
  reset_after_handshake: { clientBytes: number };
  udp_no_reply: { request: "stun" | "sip" | null; packets: number; spanMicros: number };
  /** `peerSenderReports`: nothing came back but the peer's RTCP sender reports counting RTP sent. */
  one_way_media: { protocol: string; packets: number; spanMicros: number; peerSenderReports?: true };
  /**
   * A final SIP failure to a registration, call, subscription or service request (issue 17);
   * `successes`: 2xx answers to the method in other calls on the flow (a trunk carries many).
   */
  sip_error: {
    method: string;
    code: number;
    responses: number;
    diagnostics: string | null;
    successes?: number;
  };
  /**
   * Packets the capturing host said it dropped: Windows pktmon's drop events,
   * an eBPF drop verdict (pcapng epb_verdict), or a `--dropped` export.
   */
  host_dropped: {
    packets: number;
    side: "originator" | "responder" | "both";
    firstFrame: number;
    /** The reason as the capture gave it (pktmon's DropReason text), or the source's own words. */
    reason: string;
    /** Where the first dropped packet was going at the capturing host. */
    direction: "inbound" | "outbound" | null;
    /**
     * Each side also had packets through: the flow worked despite the drop,
     * which is then information, not blocking.
     */
    answered: boolean;
  };
  /** No TURN allocation succeeded: the server refused it (403, 437, 441, 442, 486, 508) or challenged twice (401). */
  turn_allocate_failed: {
    code: number;
    responses: number;
    requests: number;
    realm: string | null;
    msVersion: number | null;
  };
  /** A TLS alert in the clear ended the handshake (RFC 8446 §6, RFC 5246 §7.2). */
  tls_alert: { from: "client" | "server"; level: "warning" | "fatal"; alert: string; code: number };
  /** The client's ClientHello got no completed handshake: the server went silent or reset. */
  tls_handshake_incomplete: {
    /** after_client_keys: the client's key exchange and ChangeCipherSpec (and certificate, if asked), then the server's reset. */
    stage: "no_server_hello" | "after_server_hello" | "after_client_keys";
    serverReset: boolean;
    /** The server sent payload that was not a ServerHello (another protocol), rather than nothing. */
    serverPayload: boolean;
  };
  /** The server asked for a client certificate (MTLS) and the client sent none (blocking when the handshake failed). */
  tls_client_certificate_missing: { answered: "empty" | "nothing"; completed: boolean };
  // TLS warnings: information on the flow, whatever its verdict.
  tls_certificate_expired: { subject: string; notAfter: string; at: string };
  tls_certificate_not_yet_valid: { subject: string; notBefore: string; at: string };
  /** `role` and `topologyLine` when the names come from the topology file's `names` (then `name` lists them, " | " between). */
  tls_name_mismatch: {
    name: string;
    /** The certificate's names, the first 10; `moreNames` counts the rest. */
    certificateNames: string[];
    moreNames?: number;
    role?: string;
    topologyLine?: number;
  };
  tls_self_signed: { subject: string };
  /** The client closed (`reset` or `fin`) after the server's certificate, before finishing, without an alert. */
  tls_client_closed: { how: "reset" | "fin" };
  tls_deprecated_version: { version: string };
  /**
   * Information: ICE connectivity checks (STUN Binding requests with USERNAME) got no answer
   * while media through the same socket (address and port) worked within a minute (an answered check, TURN
   * relaying, RTP both ways): a candidate pair ICE did not keep.
   */
  ice_check_unanswered: { checks: number; packets: number; spanMicros: number };
  /**
   * Information: media one way from an address and port a SIP 18x's SDP announced, for an INVITE no
   * 2xx answered: early media (ringback, an announcement; RFC 3960), one way by design.
   */
  early_media: { packets: number; spanMicros: number };
  /** `ssrc`: this stream's, which the peer's RTCP report blocks named (absent in reports saved before it was). */
  peer_receive_only: { packets: number; spanMicros: number; ssrc?: number };
  /** Information: a KDC's KRB-ERROR (RFC 4120 §5.9.1), other than pre-authentication required. */
  kerberos_error: { code: number; name: string; count: number };
  /** Information: the server challenged for credentials (401/407), and the request then succeeded. */
  sip_auth: { method: string; code: number };
  // inconclusive (midstream is information on a known flow when both sides spoke)
  one_sided_capture: { kind: "acked_after_syn" | "peer_silent"; packets: number; spanMicros: number };
  near_capture_end: { what: "syn" | "request"; beforeEndMicros: number };
  /** `continues`: an earlier flow of the capture had the 5-tuple (hashed): this is a later part of it, split by an idle timeout or a reused port. */
  midstream: { bothSides: boolean; continues?: true };
}

export type ReasonCode = keyof ReasonDetails;

/** One reason: its code and that code's details; read-only, as flows share some (portReasons). */
export type Reason = {
  [C in ReasonCode]: { readonly code: C; readonly details: Readonly<ReasonDetails[C]> };
}[ReasonCode];

/** Every code, in the README table's order. */
export const REASON_CODES: readonly ReasonCode[] = [
  "syn_no_reply",
  "syn_rejected",
  "handshake_incomplete",
  "icmp_unreachable",
  "udp_no_reply",
  "one_way_media",
  "reset_after_handshake",
  "sip_error",
  "host_dropped",
  "tls_alert",
  "tls_handshake_incomplete",
  "tls_client_certificate_missing",
  "turn_allocate_failed",
  "transport_mismatch",
  "protocol_mismatch",
  "role_mismatch",
  "range_mismatch",
  "wrong_direction",
  "client_media",
  "ice_check_unanswered",
  "early_media",
  "peer_receive_only",
  "sip_auth",
  "kerberos_error",
  "tls_certificate_expired",
  "tls_certificate_not_yet_valid",
  "tls_name_mismatch",
  "tls_self_signed",
  "tls_deprecated_version",
  "tls_client_closed",
  "midstream",
  "near_capture_end",
  "one_sided_capture",
  "other_protocol",
  "media_range_only",
  "client_range_only",
  "outside_topology",
  "not_in_catalog",
  "icmp_unmatched",
];

/**
 * What to check on the network, per code: one line each, shown under the
 * findings of every human format (table, Markdown, HTML). The README's reason
 * table has the same text in its last column (test/classify-facts.test.ts).
 */
export const REASON_GUIDANCE: Readonly<Record<ReasonCode, string>> = {
  syn_no_reply: "a firewall silently dropping the port, a wrong address or route, the server down",
  syn_rejected: "nothing listens on that port on that host, or a firewall rejects with a reset",
  handshake_incomplete:
    "a firewall or route dropping the server-to-client direction, asymmetric routing through a stateful firewall",
  icmp_unreachable:
    "the firewall or router named in the message; for a closed port, the service on the server",
  udp_no_reply: "a firewall dropping the UDP port (media ranges, 3478), NAT, the server's listener",
  one_way_media: "a firewall or NAT dropping the media in one direction; the peer's media port range",
  reset_after_handshake:
    "a middlebox (firewall with application inspection, TLS proxy, SIP ALG) rejecting TLS or SIP",
  sip_error:
    "the server's ms-diagnostics reason; for 403/404 the user's SIP address and policy, for 488 the gateway's codecs and encryption (SRTP) settings, for 408/480/503/504 the next hop the server could not reach, for repeated 401/407 the user's credentials and the client's clock (Kerberos)",
  host_dropped:
    "the drop reason on the capturing host: its firewall (Windows Firewall, WFP filters) for a filtering or inspection reason, the listening service for 'transport endpoint was not found'",
  tls_alert:
    "the alert's sender: certificate alerts (bad_certificate, unknown_ca, certificate_expired) mean the peer refused the certificate chain; handshake_failure or protocol_version, no common version or cipher",
  tls_handshake_incomplete:
    "a firewall or TLS-inspecting middlebox between client and server, the server's TLS listener and certificate binding",
  tls_client_certificate_missing:
    "the client's certificate (MTLS between servers and federation need one the server trusts), its chain and the server's trusted root list",
  turn_allocate_failed:
    "the A/V Edge's TURN credentials (the A/V authentication service, the client's time), its allocation quota and capacity, or a relay transport it does not offer",
  tls_certificate_expired: "renew the server's certificate",
  tls_certificate_not_yet_valid: "the server's clock, or a certificate issued for a later date",
  tls_name_mismatch:
    "the certificate's subject alternative names against the FQDN clients use (pool, Edge, web services names)",
  tls_self_signed: "a certificate from a CA the clients trust (OCS clients refuse self-signed ones)",
  tls_client_closed:
    "the client's trust of the server's certificate (its chain to a root the client has, its names against the FQDN the client asked for, revocation the client could not check), unless it is a load balancer's health monitor",
  tls_deprecated_version:
    "the server's SChannel protocol settings: SSL 3.0 and TLS 1.1 are no OCS deployment's default, and newer products' servers and clients speak TLS 1.2",
  ice_check_unanswered:
    "nothing, unless the two hosts should reach each other directly (then a firewall dropping UDP between them); a call that takes the Edge's relay uses its bandwidth",
  early_media: "nothing: a call that rang or played an announcement and was not answered",
  peer_receive_only:
    "one-way audio: why the peer (a gateway, a phone) sends no RTP though it receives (its codec, a muted or held leg, NAT on its way back); nothing if the call was on hold (SDP sendonly/inactive)",
  kerberos_error:
    "by the error: KRB_AP_ERR_SKEW the client's clock (5 minutes at most off the DC's), KDC_ERR_S_PRINCIPAL_UNKNOWN the server's SPN (setspn), KDC_ERR_PREAUTH_FAILED the password, KDC_ERR_CLIENT_REVOKED the account; OCS falls back to NTLM where it can",
  sip_auth: "nothing: OCS challenges every first request (NTLM or Kerberos) before it succeeds",
  transport_mismatch:
    "a client or server configured with the wrong transport (UDP SIP to 5061, TCP to the STUN port)",
  protocol_mismatch:
    "the client's or trunk's transport setting (TLS vs TCP), a proxy or load balancer rule, a URL with http:// where https:// belongs",
  role_mismatch: "DNS records, SRV records or a load balancer pointing at the wrong server",
  range_mismatch: "the server's configured media port range, NAT rewriting ports",
  wrong_direction: "routing or NAT that reverses direction, a misconfigured server",
  client_media: "nothing: this is how OCS clients talk directly",
  midstream:
    "start the capture before the connection opens, or capture longer; for a later part of an earlier flow, a longer --tcp-timeout keeps an idle connection whole",
  near_capture_end: "capture longer: the answer may have come after the capture stopped",
  one_sided_capture: "the path is asymmetric: capture where both directions pass",
  other_protocol:
    "nothing for OCS: other traffic in the capture, grouped by protocol and port in the unknown section",
  media_range_only: "not OCS media unless a topology places the server; look at what the hosts are",
  client_range_only: "not OCS traffic unless it is peer-to-peer client media; look at what the hosts are",
  outside_topology:
    "if the server is an OCS server, add its address to the topology; else other systems' traffic on an OCS port (a browser's HTTPS)",
  not_in_catalog:
    "nothing for OCS unless the port belongs to a product the catalog lacks; look at what the hosts are",
  icmp_unmatched: "the quoted traffic was not captured here: capture where the client sends",
};

/**
 * Warnings (`--fail-on warnings`): information a deployment should still
 * fix, as the TLS certificate and version findings.
 */
export const WARNING_CODES: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  "tls_certificate_expired",
  "tls_certificate_not_yet_valid",
  "tls_name_mismatch",
  "tls_self_signed",
  "tls_deprecated_version",
]);

/** Codes that are blocking evidence: a flow with one appears in the blocked-looking groups, whatever its verdict. */
export const BLOCKING_CODES: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  "icmp_unreachable",
  "syn_no_reply",
  "syn_rejected",
  "handshake_incomplete",
  "reset_after_handshake",
  "udp_no_reply",
  "one_way_media",
  "sip_error",
  "host_dropped",
  "tls_alert",
  "tls_handshake_incomplete",
  "tls_client_certificate_missing",
  "turn_allocate_failed",
  "icmp_unmatched",
]);

export function reason<C extends ReasonCode>(code: C, details: ReasonDetails[C]): Reason {
  return { code, details } as Reason;
}

/**
 * Whether a reason puts its flow in the blocked-looking groups: a blocking
 * code, except a "fragmentation needed" on a flow that was answered (path
 * MTU discovery at work, RFC 1191), which is information only.
 */
export function isBlocking(r: Reason): boolean {
  if (!BLOCKING_CODES.has(r.code)) return false;
  if (r.code === "tls_client_certificate_missing") return !r.details.completed;
  if (r.code === "host_dropped") return r.details.answered !== true;
  return !(r.code === "icmp_unreachable" && r.details.category === "too_big" && r.details.answered);
}

/** The first blocking reason of a list, or undefined. */
export function blockingReason(reasons: readonly Reason[]): Reason | undefined {
  for (const r of reasons) if (isBlocking(r)) return r;
  return undefined;
}

/** Distinct shared reason lists kept; past it the cache starts again. */
const PORT_REASONS_MAX = 4096;
/**
 * By code, text, transport and port. Code and transport are fixed vocabularies and the port a
 * number, so the key names one set of facts whatever the text holds.
 */
const portReasonLists = new Map<string, readonly Reason[]>();

type PortReasonCode = "not_in_catalog" | "other_protocol" | "client_range_only";

/**
 * The one-reason list of an unknown flow whose reason says only what its
 * port and transport are, with the protocol seen (`other_protocol`) or the
 * client range the port falls in (`client_range_only`): frozen and shared
 * by every flow with the same facts. Most flows of a customer's capture are
 * other traffic, and a report keeps every listed flow's list. `port` is null
 * only for not_in_catalog: a flow without ports (neither TCP nor UDP).
 */
export function portReasons(
  code: PortReasonCode,
  text: string,
  transport: string,
  port: number | null,
): readonly Reason[] {
  const key = `${code}\n${text}\n${transport}\n${port}`;
  let list = portReasonLists.get(key);
  if (list === undefined) {
    if (portReasonLists.size >= PORT_REASONS_MAX) portReasonLists.clear();
    list = Object.freeze([Object.freeze(portReason(code, text, transport, port))]);
    portReasonLists.set(key, list);
  }
  return list;
}

function portReason(code: PortReasonCode, text: string, transport: string, port: number | null): Reason {
  if (port === null || code === "not_in_catalog")
    return reason("not_in_catalog", Object.freeze({ transport, port }));
  if (code === "other_protocol") return reason(code, Object.freeze({ protocol: text, transport, port }));
  return reason(code, Object.freeze({ transport, port, range: text }));
}
