/**
 * Decides each flow's verdict against the catalog, with the evidence for it.
 *
 * Port: the service port is the responder's port; matches come ranked from
 * the catalog index (exact port first, then narrower ranges).
 *
 * Evidence from the flow itself (TCP and UDP):
 * - `icmp_unreachable`: an ICMP/ICMPv6 destination unreachable quoting the
 *   flow's packets, and no reply. Filtered by policy: ICMP codes 9, 10, 13,
 *   ICMPv6 code 1; closed port: ICMP code 3, ICMPv6 code 4; no route: the rest
 *   (RFC 792, RFC 1812 §5.2.7.1, RFC 4443 §3.1).
 * - `syn_no_reply`: Zeek conn_state S0, SH or RSTOS0: SYNs never answered.
 * - `syn_rejected`: REJ, a SYN answered by RST.
 * - `reset_after_handshake`: RSTR after the client's first data, the
 *   responder having sent none (a middlebox rejecting TLS or SIP).
 * - `udp_no_reply`: only the originator sent, either at least 2 packets over
 *   at least 1 s, or a request (STUN binding, SIP) that got no answer.
 * Inconclusive instead, when the capture cannot tell:
 * - `one_sided_capture`: the client acknowledged or sent data after its SYN,
 *   so it got a reply the capture does not hold (asymmetric path);
 * - `near_capture_end`: the attempt started in the last 3 s of the capture;
 * - `midstream`: TCP without a SYN (conn_state OTH): the capture began
 *   after the connection opened.
 *
 * Verdict: `unknown` when no catalog entry covers the port (not_in_catalog)
 * or only the client media range 1024–65535 does (client_range_only);
 * `misdirected` (transport_mismatch) when only the other transport's entries
 * do; otherwise `blocked` with blocking evidence, `inconclusive` with
 * inconclusive evidence, else `known`. Evidence is kept as extra reasons on
 * unknown and misdirected flows too.
 */
import { Address6 } from "ip-address";
import type { CatalogIndex, CatalogMatch } from "../catalog/index.js";
import { formatPorts } from "../catalog/index.js";
import type { Transport } from "../catalog/types.js";
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from "../decode/packet.js";
import { FirstPayload, type Flow, type IcmpEvidence } from "../flow/table.js";
import type { ConnState } from "../flow/tcp.js";

export type Verdict = "known" | "unknown" | "blocked" | "misdirected" | "inconclusive";
export const VERDICTS: readonly Verdict[] = ["known", "unknown", "blocked", "misdirected", "inconclusive"];

export interface Reason {
  /** Stable code; see the README's reason table. */
  code: string;
  message: string;
}

export interface Classified {
  /** Valid only while the flow table's `onFinal` callback runs. */
  flow: Flow;
  verdict: Verdict;
  /** Catalog entries for the service port, most specific first (for transport_mismatch: the other transport's). */
  matches: readonly CatalogMatch[];
  state: ConnState;
  history: string;
  /** Evidence, strongest first; a shared empty list when there is none. */
  reasons: readonly Reason[];
}

export interface ClassifyContext {
  /** Time of the capture's last packet, when the capture has ended; null while it is still being read. */
  captureEnd: number | null;
}

/** Attempts that started this close to the end of the capture may have been answered after it. */
export const NEAR_END_MICROS = 3_000_000;

const NO_MATCHES: readonly CatalogMatch[] = Object.freeze([]);
const NO_REASONS: readonly Reason[] = Object.freeze([]);

export function transportName(ipProto: number): string {
  switch (ipProto) {
    case IPPROTO_TCP:
      return "tcp";
    case IPPROTO_UDP:
      return "udp";
    case IPPROTO_ICMP:
      return "icmp";
    case IPPROTO_ICMPV6:
      return "icmpv6";
    default:
      return `ip-proto-${ipProto}`;
  }
}

interface Evidence {
  blocked: Reason[];
  inconclusive: Reason[];
}

export function classifyFlow(flow: Flow, index: CatalogIndex, context: ClassifyContext): Classified {
  const history = flow.history();
  const state = flow.connState(history);
  const evidence = flowEvidence(flow, state, history, context);
  const extra = [...evidence.blocked, ...evidence.inconclusive];
  const verdict = (v: Verdict, matches: readonly CatalogMatch[], ...reasons: Reason[]): Classified => ({
    flow,
    verdict: v,
    matches,
    state,
    history,
    reasons: reasons.length > 0 ? reasons : NO_REASONS,
  });

  if (flow.ipProto !== IPPROTO_TCP && flow.ipProto !== IPPROTO_UDP) {
    return verdict("unknown", NO_MATCHES, {
      code: "not_in_catalog",
      message: `${transportName(flow.ipProto).toUpperCase()} is not in the OCS port catalog`,
    });
  }

  const transport: Transport = flow.ipProto === IPPROTO_TCP ? "tcp" : "udp";
  const other: Transport = transport === "tcp" ? "udp" : "tcp";
  const port = flow.respPort;
  if (index.lookupService(transport, port).length > 0) {
    const matches = index.lookup(transport, port);
    if (evidence.blocked.length > 0) return verdict("blocked", matches, ...extra);
    if (evidence.inconclusive.length > 0) return verdict("inconclusive", matches, ...evidence.inconclusive);
    return verdict("known", matches);
  }
  const otherMatches = index.lookupService(other, port);
  if (otherMatches.length > 0) {
    return verdict(
      "misdirected",
      otherMatches,
      {
        code: "transport_mismatch",
        message: `${port}/${transport} is catalogued only for ${other.toUpperCase()} (${roleList(otherMatches)})`,
      },
      ...extra,
    );
  }
  const clientRange = index.lookup(transport, port);
  if (clientRange.length > 0) {
    return verdict(
      "unknown",
      NO_MATCHES,
      {
        code: "client_range_only",
        message: `${port}/${transport} falls only in the client media range ${formatPorts(clientRange[0]!.entry.ports)}, which alone does not identify OCS traffic`,
      },
      ...extra,
    );
  }
  return verdict(
    "unknown",
    NO_MATCHES,
    { code: "not_in_catalog", message: `no catalog entry for ${port}/${transport}` },
    ...extra,
  );
}

function flowEvidence(flow: Flow, state: ConnState, history: string, context: ClassifyContext): Evidence {
  const blocked: Reason[] = [];
  const inconclusive: Reason[] = [];
  const nearEnd =
    context.captureEnd !== null && context.captureEnd - flow.first < NEAR_END_MICROS
      ? seconds(context.captureEnd - flow.first)
      : null;
  const noReply = flow.respPackets === 0;
  const icmp = flow.icmp;
  if (icmp !== null && noReply) blocked.push(icmpReason(icmp));

  if (flow.ipProto === IPPROTO_TCP) {
    const span = seconds(flow.last - flow.first);
    if (state === "S0" || state === "SH" || state === "RSTOS0") {
      // The client acknowledging or sending data means a reply reached it.
      const acked = (flow.origFlags & 0x10) !== 0 || flow.origPayload > 0;
      if (acked && noReply && icmp === null) {
        inconclusive.push({
          code: "one_sided_capture",
          message:
            "the client sent ACKs or data after its SYN, so it received a reply this capture does not contain (capture taken on one side of an asymmetric path?)",
        });
      } else if (nearEnd !== null && icmp === null) {
        inconclusive.push({
          code: "near_capture_end",
          message: `the SYN was sent ${nearEnd} before the capture ended; a reply may have come after it`,
        });
      } else if (icmp === null || blocked.length === 0) {
        const gaveUp =
          state === "S0" ? "" : state === "SH" ? ", client then sent FIN" : ", client then sent RST";
        blocked.push({
          code: "syn_no_reply",
          message: `${plural(flow.origSyns, "SYN")} over ${span}, no reply${gaveUp}`,
        });
      } else {
        blocked.push({
          code: "syn_no_reply",
          message: `${plural(flow.origSyns, "SYN")} over ${span}, no TCP reply`,
        });
      }
    } else if (state === "REJ") {
      blocked.push({
        code: "syn_rejected",
        message: `SYN answered by RST (${plural(flow.origSyns, "SYN")}, ${plural(flow.respPackets, "packet")} back, over ${span})`,
      });
    } else if (state === "RSTR" && flow.origPayload > 0 && flow.respPayload === 0 && history.includes("h")) {
      blocked.push({
        code: "reset_after_handshake",
        message: `the server reset the connection after the client's first data (${plural(flow.origPayload, "byte")}), having sent none: a middlebox rejecting TLS or SIP?`,
      });
    } else if (
      state === "OTH" &&
      !history.includes("S") &&
      !history.includes("s") &&
      !history.includes("H") &&
      !history.includes("h")
    ) {
      const sides =
        flow.origPackets > 0 && flow.respPackets > 0
          ? "both sides sent packets"
          : "only one side sent packets";
      inconclusive.push({
        code: "midstream",
        message: `no SYN seen: the capture began after the connection opened (${sides})`,
      });
    }
  } else if (flow.ipProto === IPPROTO_UDP && noReply && icmp === null) {
    const request = flow.origFirstPayload;
    const isRequest = request === FirstPayload.StunBindingRequest || request === FirstPayload.SipRequest;
    const spanMicros = flow.last - flow.first;
    const repeated = flow.origPackets >= 2 && spanMicros >= 1_000_000;
    if (repeated || isRequest) {
      if (nearEnd !== null && !repeated) {
        inconclusive.push({
          code: "near_capture_end",
          message: `the request was sent ${nearEnd} before the capture ended; an answer may have come after it`,
        });
      } else {
        const what = isRequest
          ? `${request === FirstPayload.StunBindingRequest ? "STUN binding request" : "SIP request"}${flow.origPackets > 1 ? ` (${plural(flow.origPackets, "packet")} over ${seconds(spanMicros)})` : ""}`
          : `${plural(flow.origPackets, "packet")} over ${seconds(spanMicros)}`;
        blocked.push({ code: "udp_no_reply", message: `${what}, no reply` });
      }
    }
  }
  return { blocked, inconclusive };
}

const ICMP_V4_CODES: Record<number, string> = {
  0: "net unreachable",
  1: "host unreachable",
  2: "protocol unreachable",
  3: "port unreachable",
  4: "fragmentation needed",
  5: "source route failed",
  6: "destination network unknown",
  7: "destination host unknown",
  9: "network administratively prohibited",
  10: "host administratively prohibited",
  11: "network unreachable for type of service",
  12: "host unreachable for type of service",
  13: "communication administratively prohibited",
};
const ICMP_V6_CODES: Record<number, string> = {
  0: "no route to destination",
  1: "communication administratively prohibited",
  2: "beyond scope of source address",
  3: "address unreachable",
  4: "port unreachable",
  5: "source address failed ingress/egress policy",
  6: "reject route to destination",
};

function icmpReason(icmp: IcmpEvidence): Reason {
  const name = (icmp.v6 ? ICMP_V6_CODES : ICMP_V4_CODES)[icmp.code] ?? `code ${icmp.code}`;
  const filtered = icmp.v6 ? icmp.code === 1 : icmp.code === 9 || icmp.code === 10 || icmp.code === 13;
  const closed = icmp.v6 ? icmp.code === 4 : icmp.code === 3;
  const meaning = filtered
    ? "filtered by policy (a firewall rejects it)"
    : closed
      ? "closed port (nothing listens there)"
      : "no route (the destination cannot be reached)";
  const from = formatWords(icmp.family, icmp.words);
  return {
    code: "icmp_unreachable",
    message: `${plural(icmp.count, `${icmp.v6 ? "ICMPv6" : "ICMP"} destination unreachable`)} (${name}, code ${icmp.code}) from ${from}: ${meaning}`,
  };
}

function formatWords(family: number, w: readonly number[]): string {
  if (family === 4) {
    const v = w[3]! >>> 0;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  return new Address6(
    w.map((x) => `${((x >>> 16) & 0xffff).toString(16)}:${(x & 0xffff).toString(16)}`).join(":"),
  ).correctForm();
}

function roleList(matches: readonly CatalogMatch[]): string {
  const roles = [...new Set(matches.map((m) => m.entry.role))];
  return roles.length <= 3
    ? roles.join(", ")
    : `${roles.slice(0, 3).join(", ")} and ${roles.length - 3} more`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** "3.1 s", "250 ms", "0 s". */
export function seconds(micros: number): string {
  if (micros <= 0) return "0 s";
  if (micros < 1_000_000) return `${Math.round(micros / 1000)} ms`;
  return `${(micros / 1_000_000).toFixed(1)} s`;
}
