/**
 * The evidence behind a verdict, as data: a `ReasonCode` and typed details
 * (counts, durations, ports, ICMP type/code/sender). Grouping, redaction and
 * policy read these fields; only `report/reason-text.ts` turns them into
 * sentences. The codes and what they mean: docs/verdict-rules.md and the
 * README's reason table (a test keeps the two in step with `REASON_CODES`).
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
  role_mismatch: { transport: string; port: number; server: string; role: string; serving: string[] };
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
  icmp_unreachable: IcmpDetails & { quotes: "originator" | "responder"; answered: boolean };
  syn_no_reply: { syns: number; spanMicros: number; after: "nothing" | "fin" | "rst"; icmp: boolean };
  syn_rejected: { syns: number; replies: number; spanMicros: number };
  handshake_incomplete: { syns: number; synAcks: number; spanMicros: number };
  reset_after_handshake: { clientBytes: number };
  udp_no_reply: { request: "stun" | "sip" | null; packets: number; spanMicros: number };
  one_way_media: { protocol: string; packets: number; spanMicros: number };
  // inconclusive (midstream is information on a known flow when both sides spoke)
  one_sided_capture: { kind: "acked_after_syn" | "peer_silent"; packets: number; spanMicros: number };
  near_capture_end: { what: "syn" | "request"; beforeEndMicros: number };
  midstream: { bothSides: boolean };
}

export type ReasonCode = keyof ReasonDetails;

/** One reason: its code and that code's details. */
export type Reason = { [C in ReasonCode]: { code: C; details: ReasonDetails[C] } }[ReasonCode];

/** Every code, in the README table's order. */
export const REASON_CODES: readonly ReasonCode[] = [
  "syn_no_reply",
  "syn_rejected",
  "handshake_incomplete",
  "icmp_unreachable",
  "udp_no_reply",
  "one_way_media",
  "reset_after_handshake",
  "transport_mismatch",
  "protocol_mismatch",
  "role_mismatch",
  "range_mismatch",
  "wrong_direction",
  "client_media",
  "midstream",
  "near_capture_end",
  "one_sided_capture",
  "other_protocol",
  "media_range_only",
  "client_range_only",
  "not_in_catalog",
  "icmp_unmatched",
];

/** Codes that are blocking evidence: a flow with one appears in the blocked-looking groups, whatever its verdict. */
export const BLOCKING_CODES: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  "icmp_unreachable",
  "syn_no_reply",
  "syn_rejected",
  "handshake_incomplete",
  "reset_after_handshake",
  "udp_no_reply",
  "one_way_media",
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
  return !(r.code === "icmp_unreachable" && r.details.category === "too_big" && r.details.answered);
}

/** The first blocking reason of a list, or undefined. */
export function blockingReason(reasons: readonly Reason[]): Reason | undefined {
  for (const r of reasons) if (isBlocking(r)) return r;
  return undefined;
}
