/**
 * How ICMP destination-unreachable evidence is worded (RFC 792, RFC 1812
 * §5.2.7.1, RFC 4443 §3.1): its category in short and in full, and the head
 * and one-line forms reason texts build on (reason-text.ts, blocked.ts).
 */
import type { IcmpDetails } from "../classify/reasons.js";
import { ICMP_V4_CODES, ICMP_V6_CODES, plural } from "./phrases.js";

/** What a destination-unreachable category means, for people. */
export const ICMP_CATEGORY_TEXT: Record<IcmpDetails["category"], string> = {
  filtered: "filtered by policy",
  closed: "closed port",
  no_route: "no route",
  too_big: "packet too big (path MTU)",
};

/** The same, said in full. */
export const ICMP_MEANING: Record<IcmpDetails["category"], string> = {
  filtered: "filtered by policy (a firewall rejects it)",
  closed: "closed port (nothing listens there)",
  no_route: "no route (the destination cannot be reached)",
  too_big:
    "the packet was too big for a link on the path and may not be fragmented (path MTU discovery, RFC 1191)",
};

/** A "closed port" code sent by a third party: a host answers for its own ports (RFC 1122 §3.2.2.1). */
export const CLOSED_BY_OTHER =
  "rejected on the way: the sender is not the destination, so a firewall or router answers for the port (REJECT), whatever listens there";

/** "ICMP 3/13 from 10.1.0.1: filtered by policy". */
export function icmpBrief(d: IcmpDetails & { fromTarget?: boolean }): string {
  const count = d.count === 1 ? "" : `${d.count}× `;
  return `${count}${d.v6 ? "ICMPv6" : "ICMP"} ${d.type}/${d.code} from ${d.sender}: ${icmpCategoryText(d)}`;
}

/** The category's short text; a "closed port" sent by anyone but the destination is a reject on the way. */
export function icmpCategoryText(d: IcmpDetails & { fromTarget?: boolean }): string {
  return d.category === "closed" && d.fromTarget === false
    ? "rejected on the way"
    : ICMP_CATEGORY_TEXT[d.category];
}

/** "2 ICMP destination unreachable (port unreachable, code 3) from 10.0.0.1". */
export function icmpHead(d: IcmpDetails): string {
  const name = (d.v6 ? ICMP_V6_CODES : ICMP_V4_CODES)[d.code] ?? `code ${d.code}`;
  return `${plural(d.count, `${d.v6 ? "ICMPv6" : "ICMP"} destination unreachable`)} (${name}, code ${d.code}) from ${d.sender}`;
}
