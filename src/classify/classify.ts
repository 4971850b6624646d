/**
 * Decides each flow's verdict against the catalog, with the evidence for it.
 *
 * - The service port is the responder's port; matches come ranked from the
 *   catalog index (exact port first, then narrower ranges).
 * - unknown: no entry covers the port on either transport, or only the client
 *   media range 1024–65535 does (it covers any port a client picks, so on its
 *   own it would make RDP or any stray service look like OCS media).
 * - misdirected (transport_mismatch): the port is catalogued, but only for the
 *   other transport.
 * - blocked: a TCP handshake that got no answer (Zeek conn_state S0, or SH /
 *   RSTOS0 where the client gave up), or a SYN answered by RST (REJ).
 * - known: otherwise.
 */
import type { CatalogIndex, CatalogMatch } from "../catalog/index.js";
import { formatPorts } from "../catalog/index.js";
import type { Transport } from "../catalog/types.js";
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from "../decode/packet.js";
import type { Flow } from "../flow/table.js";
import type { ConnState } from "../flow/tcp.js";

export type Verdict = "known" | "unknown" | "blocked" | "misdirected";
export const VERDICTS: readonly Verdict[] = ["known", "unknown", "blocked", "misdirected"];

export interface Reason {
  /** Stable code: not_in_catalog, client_range_only, transport_mismatch, syn_no_reply, syn_rejected. */
  code: string;
  message: string;
}

export interface Classified {
  flow: Flow;
  verdict: Verdict;
  /** Catalog entries for the service port, most specific first (for transport_mismatch: the other transport's). */
  matches: readonly CatalogMatch[];
  state: ConnState;
  history: string;
  /** Evidence, strongest first; a shared empty list when there is none. */
  reasons: readonly Reason[];
}

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

export function classifyFlow(flow: Flow, index: CatalogIndex): Classified {
  const history = flow.history();
  const state = flow.connState(history);
  const blocked = blockedReason(flow, state);
  const verdict = (
    v: Verdict,
    matches: readonly CatalogMatch[],
    ...reasons: (Reason | null)[]
  ): Classified => {
    const kept = reasons.filter((r): r is Reason => r !== null);
    return { flow, verdict: v, matches, state, history, reasons: kept.length > 0 ? kept : NO_REASONS };
  };

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
    return blocked ? verdict("blocked", matches, blocked) : verdict("known", matches);
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
      blocked,
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
      blocked,
    );
  }
  return verdict(
    "unknown",
    NO_MATCHES,
    { code: "not_in_catalog", message: `no catalog entry for ${port}/${transport}` },
    blocked,
  );
}

function blockedReason(flow: Flow, state: ConnState): Reason | null {
  if (flow.ipProto !== IPPROTO_TCP) return null;
  const span = seconds(flow.last - flow.first);
  if (state === "S0" || state === "SH" || state === "RSTOS0") {
    const syns = flow.origSyns;
    const gaveUp = state === "S0" ? "" : state === "SH" ? ", client then sent FIN" : ", client then sent RST";
    return {
      code: "syn_no_reply",
      message: `${plural(syns, "SYN")} over ${span}, no reply${gaveUp}`,
    };
  }
  if (state === "REJ") {
    return {
      code: "syn_rejected",
      message: `SYN answered by RST (${plural(flow.origSyns, "SYN")}, ${plural(flow.respPackets, "packet")} back, over ${span})`,
    };
  }
  return null;
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
