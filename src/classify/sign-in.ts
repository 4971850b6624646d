/**
 * Sign-in discovery per SIP domain: from the capture's DNS lookups
 * (flow/dns-lookups.ts), whether a client asking as OCS 2007 R2's clients do
 * would find its server. The order and the rule come from "How Client DNS
 * Queries Work" (OCS 2007 R2 documentation): the SRV records
 * `_sipinternaltls._tcp`, `_sipinternal._tcp`, `_sip._tls` (and `_sip._tcp`),
 * the first that answers wins, then the target's A record; without an SRV
 * answer, the A records `sipinternal`, `sip`, `sipexternal`. An Edge's
 * `_sipfederationtls._tcp` lookups, for a federated partner, are judged
 * alone. Each client is judged on its own lookups (split DNS: an outside
 * client asking a public server fails where an inside one finds the pool).
 * What the capture does not show (a client's cache, a lookup before the
 * capture began) it cannot judge: a domain asked but never answered is
 * `unanswered`, not `not_found`, and a target whose address was not asked is
 * not taken for a missing one. Any SIP client asks `_sip._tcp` and
 * `sip.<domain>` (RFC 3263, and phones' configured proxies), so a domain is
 * judged only when a name of OCS's own was asked for it (`_sipinternaltls._tcp`,
 * `_sipinternal._tcp`, `_sip._tls`, `sipinternal`, `sipexternal`).
 */
import { SignIn } from "../decode/dns.js";
import type { DnsLookup } from "../flow/dns-lookups.js";

export type SignInOutcome =
  /** An SRV record answered (and its target's address, when looked up, too). */
  | "srv"
  /** No SRV record answered; a fall-back host name did. */
  | "host"
  /** An SRV record answered, but every lookup of its target's address failed. */
  | "target_not_found"
  /** The names were answered: none exists (NXDOMAIN, or no record of the type). */
  | "not_found"
  /** The DNS servers failed (SERVFAIL, REFUSED, …) and none answered. */
  | "dns_error"
  /** Asked, never answered in the capture. */
  | "unanswered";

/** The outcomes under which a client of the domain cannot find its server. */
export const SIGN_IN_FAILURES: ReadonlySet<SignInOutcome> = new Set([
  "target_not_found",
  "not_found",
  "dns_error",
  "unanswered",
]);

export interface SignInDomain {
  domain: string;
  /** A client's sign-in, or an Edge's lookup of a federated partner. */
  purpose: "sign-in" | "federation";
  /** The client whose lookups these are. */
  client: string;
  outcome: SignInOutcome;
  /** What the client would connect to: the SRV target and port, or the fall-back host name; null when none. */
  server: string | null;
  /** The lookups judged, in the order first seen: the domain's names (its DNS suffix retries included) and its SRV targets' addresses. */
  lookups: DnsLookup[];
}

/** SRV kinds for sign-in, in the client's order of preference. */
const SRV_ORDER: readonly SignIn[] = [
  SignIn.InternalTls,
  SignIn.InternalTcp,
  SignIn.ExternalTls,
  SignIn.ExternalTcp,
];
const HOST_ORDER: readonly SignIn[] = [SignIn.HostInternal, SignIn.HostSip, SignIn.HostExternal];
/** Names only OCS's clients ask (Microsoft's own SRV labels and host names, not RFC 3263's). */
const OCS_OWN: ReadonlySet<SignIn> = new Set([
  SignIn.InternalTls,
  SignIn.InternalTcp,
  SignIn.ExternalTls,
  SignIn.HostInternal,
  SignIn.HostExternal,
  SignIn.Federation,
]);

const SRV_NAME =
  /^(_sipinternaltls\._tcp|_sipinternal\._tcp|_sip\._tls|_sip\._tcp|_sipfederationtls\._tcp)\.(.+)$/s;
const HOST_NAME = /^(sipinternal|sip|sipexternal)\.(.+)$/s;
const KIND_OF: Readonly<Record<string, SignIn>> = {
  "_sipinternaltls._tcp": SignIn.InternalTls,
  "_sipinternal._tcp": SignIn.InternalTcp,
  "_sip._tls": SignIn.ExternalTls,
  "_sip._tcp": SignIn.ExternalTcp,
  "_sipfederationtls._tcp": SignIn.Federation,
  sipinternal: SignIn.HostInternal,
  sip: SignIn.HostSip,
  sipexternal: SignIn.HostExternal,
};

/** Which sign-in name a name's text is, and its domain, as decode/dns.ts reads them from bytes (for saved reports). */
export function signInNameOf(name: string, type: DnsLookup["type"]): { kind: SignIn; domain: string } {
  const m = (type === "SRV" ? SRV_NAME : HOST_NAME).exec(name);
  return m === null
    ? { kind: SignIn.None, domain: "" }
    : { kind: KIND_OF[m[1]!] ?? SignIn.None, domain: m[2]! };
}

interface Target {
  host: string;
  port: number;
  priority: number;
  weight: number;
}

/** An SRV lookup's targets ("." is none: the service is decidedly not offered, RFC 2782). */
function targetsOf(l: DnsLookup): Target[] {
  const out: Target[] = [];
  for (const a of l.answers) {
    const [p, w, port, host] = a.split(" ");
    if (host === undefined || host === "." || host === "") continue;
    out.push({ priority: Number(p), weight: Number(w), port: Number(port), host });
  }
  return out;
}

/**
 * Whether a host's IPv4 address was found (OCS 2007 R2 speaks IPv4 only): an answered A lookup;
 * failed when the name does not exist (NXDOMAIN holds for every type, RFC 8020) or its A lookup
 * found no record (an IPv6 address alone does not help); unknown otherwise (not asked, unanswered).
 */
function addressOf(host: string, lookups: readonly DnsLookup[]): "found" | "failed" | "unknown" {
  const asked = lookups.filter((l) => l.type !== "SRV" && l.name === host);
  if (asked.some((l) => l.type === "A" && l.answered > 0)) return "found";
  if (asked.some((l) => l.nxdomain > 0 || (l.type === "A" && l.noData > 0))) return "failed";
  return "unknown";
}

/** Whether a lookup says its name is not there: NXDOMAIN, no record of the type, or only SRV "." answers. */
function negative(l: DnsLookup): boolean {
  return l.nxdomain + l.noData > 0 || (l.answered > 0 && l.type === "SRV" && targetsOf(l).length === 0);
}

/** A domain's outcome and server from a client's lookups (its names and its SRV targets' addresses). */
export function judgeSignIn(
  lookups: readonly DnsLookup[],
  purpose: SignInDomain["purpose"],
  domain: string,
): [SignInOutcome, string | null] {
  for (const kind of purpose === "federation" ? [SignIn.Federation] : SRV_ORDER) {
    // RFC 2782: the lowest priority first, the higher weight first among equals, the next one
    // when a target cannot be reached.
    const targets = lookups
      .filter((l) => l.kind === kind && l.answered > 0)
      .flatMap(targetsOf)
      .sort((a, b) => a.priority - b.priority || b.weight - a.weight);
    if (targets.length === 0) continue;
    const usable = targets.find((t) => addressOf(t.host, lookups) !== "failed");
    const t = usable ?? targets[0]!;
    return [usable === undefined ? "target_not_found" : "srv", `${t.host}:${t.port}`];
  }
  if (purpose === "sign-in")
    for (const kind of HOST_ORDER)
      for (const l of lookups)
        if (l.kind === kind && l.type === "A" && l.answered > 0) return ["host", l.name];
  // Failures are judged on the domain's own names: a client retries a name with its DNS suffix
  // after any failure, SERVFAIL and REFUSED too, and the suffixed name's NXDOMAIN comes from
  // another zone (a suffix retry that finds the server still counts, above).
  const own = lookups.filter((l) => l.kind !== SignIn.None && l.domain === domain);
  if (own.some(negative)) return ["not_found", null];
  if (own.some((l) => l.responses > l.truncated)) return ["dns_error", null];
  return ["unanswered", null];
}

/**
 * One finding per SIP domain and client, in the order first seen. A domain
 * that another domain the same client asked extends by a DNS suffix of two
 * labels or more (`contoso.com.corp.contoso.com` beside `contoso.com`, not
 * `contoso.com.au`) is that domain's suffix retry: its lookups join the
 * shorter one's.
 */
export function signInFindings(lookups: readonly DnsLookup[]): SignInDomain[] {
  type Group = { purpose: SignInDomain["purpose"]; domain: string; client: string; lookups: DnsLookup[] };
  const groups = new Map<string, Group>();
  const keyOf = (purpose: string, domain: string, client: string) => `${purpose} ${client} ${domain}`;
  const purposeOf = (l: DnsLookup) => (l.kind === SignIn.Federation ? "federation" : "sign-in");
  for (const l of lookups) {
    if (l.kind === SignIn.None) continue;
    const key = keyOf(purposeOf(l), l.domain, l.client);
    if (!groups.has(key))
      groups.set(key, { purpose: purposeOf(l), domain: l.domain, client: l.client, lookups: [] });
  }
  // The group a domain's lookups join: the shortest domain of the client's it extends by a suffix
  // retry: a suffix of two labels or more (an AD domain), or any suffix (a home router's "lan")
  // when the client asked the same name without it first and found nothing (a resolver appends
  // its suffixes to a name that failed).
  const asked = new Map<string, number>(); // "purpose client name" → first seen, of names not found
  for (const l of lookups)
    if (l.kind !== SignIn.None && l.answered === 0) {
      const key = `${purposeOf(l)} ${l.client} ${l.name}`;
      asked.set(key, Math.min(asked.get(key) ?? Number.POSITIVE_INFINITY, l.firstSeen));
    }
  const own = new Map<Group, DnsLookup[]>();
  for (const l of lookups)
    if (l.kind !== SignIn.None) {
      const g = groups.get(keyOf(purposeOf(l), l.domain, l.client))!;
      const list = own.get(g);
      if (list === undefined) own.set(g, [l]);
      else list.push(l);
    }
  const retryOf = (g: Group, o: Group): boolean => {
    const suffix = g.domain.slice(o.domain.length + 1);
    if (suffix.includes(".")) return true;
    return (own.get(g) ?? []).some((l) => {
      const first = asked.get(`${g.purpose} ${g.client} ${l.name.slice(0, -suffix.length - 1)}`);
      return first !== undefined && first <= l.firstSeen;
    });
  };
  // Worked out once per group: candidates are the same client's domains this one extends.
  const homes = new Map<Group, Group>();
  const byClient = new Map<string, Group[]>();
  for (const g of groups.values()) {
    const list = byClient.get(g.client);
    if (list === undefined) byClient.set(g.client, [g]);
    else list.push(g);
  }
  const home = (g: Group): Group => {
    let best = homes.get(g);
    if (best !== undefined) return best;
    best = g;
    for (const o of byClient.get(g.client) ?? []) {
      if (o.purpose !== g.purpose || !g.domain.startsWith(`${o.domain}.`)) continue;
      if (o.domain.length < best.domain.length && retryOf(g, o)) best = o;
    }
    homes.set(g, best);
    return best;
  };
  for (const l of lookups) {
    if (l.kind === SignIn.None) continue;
    const g = groups.get(keyOf(purposeOf(l), l.domain, l.client))!;
    home(g).lookups.push(l);
  }
  const out: SignInDomain[] = [];
  for (const g of groups.values()) {
    if (home(g) !== g) continue; // a suffix retry, folded in
    if (!g.lookups.some((l) => OCS_OWN.has(l.kind))) continue; // any SIP client's lookups, not OCS's
    // The client's address lookups of the hosts this domain's SRV answers named (shared by domains that name one pool).
    const hosts = new Set(
      g.lookups.filter((l) => l.type === "SRV").flatMap((l) => targetsOf(l).map((t) => t.host)),
    );
    const mine = new Set(g.lookups);
    const judged = lookups.filter(
      (l) => mine.has(l) || (l.client === g.client && l.type !== "SRV" && hosts.has(l.name)),
    );
    const [outcome, server] = judgeSignIn(judged, g.purpose, g.domain);
    out.push({ domain: g.domain, purpose: g.purpose, client: g.client, outcome, server, lookups: judged });
  }
  return out;
}
