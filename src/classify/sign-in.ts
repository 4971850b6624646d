/**
 * Sign-in discovery per SIP domain: from the capture's DNS lookups
 * (flow/dns-lookups.ts), whether a client asking as OCS 2007 R2's clients do
 * would find its server. The order and the rule come from "How Client DNS
 * Queries Work" (OCS 2007 R2 documentation): the SRV records
 * `_sipinternaltls._tcp`, `_sipinternal._tcp`, `_sip._tls` (and `_sip._tcp`),
 * the first that answers wins, then the target's A record; without an SRV
 * answer, the A records `sipinternal`, `sip`, `sipexternal`. An Edge's
 * `_sipfederationtls._tcp` lookups, for a federated partner, are judged
 * alone. What the capture does not show (a client's cache, a lookup before
 * the capture began) it cannot judge: a domain asked but never answered is
 * `unanswered`, not `not_found`. Any SIP client asks `_sip._tcp` and
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
  outcome: SignInOutcome;
  /** What a client would connect to: the SRV target and port, or the fall-back host name; null when none. */
  server: string | null;
  /** The domain's lookups in the order first seen, those of its DNS suffix retries included. */
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

/** The SRV answer a client would use first: the lowest priority, then the highest weight (RFC 2782). */
function bestTarget(answers: readonly string[]): { host: string; port: number } | null {
  let best: { p: number; w: number; host: string; port: number } | null = null;
  for (const a of answers) {
    const [p, w, port, host] = a.split(" ");
    const rec = { p: Number(p), w: Number(w), port: Number(port), host: host ?? "" };
    if (rec.host === "." || rec.host === "") continue;
    if (best === null || rec.p < best.p || (rec.p === best.p && rec.w > best.w)) best = rec;
  }
  return best === null ? null : { host: best.host, port: best.port };
}

function judge(
  lookups: readonly DnsLookup[],
  purpose: SignInDomain["purpose"],
): [SignInOutcome, string | null] {
  const order = purpose === "federation" ? [SignIn.Federation] : SRV_ORDER;
  for (const kind of order) {
    for (const l of lookups) {
      if (l.kind !== kind || l.answered === 0) continue;
      const target = bestTarget(l.answers);
      if (target === null) continue;
      const server = `${target.host}:${target.port}`;
      const asked = lookups.filter((t) => t.kind === SignIn.None && t.name === target.host);
      const failed = asked.length > 0 && asked.every((t) => t.answered === 0 && t.responses > 0);
      return [failed ? "target_not_found" : "srv", server];
    }
  }
  if (purpose === "sign-in")
    for (const kind of HOST_ORDER)
      for (const l of lookups) if (l.kind === kind && l.answered > 0) return ["host", l.name];
  const asked = lookups.filter((l) => l.kind !== SignIn.None);
  if (asked.some((l) => l.nxdomain + l.noData > 0)) return ["not_found", null];
  if (asked.some((l) => l.responses > 0)) return ["dns_error", null];
  return ["unanswered", null];
}

/**
 * One finding per SIP domain asked about, in the order first seen. A domain
 * that is another asked domain with a suffix appended (`contoso.com.corp.local`
 * beside `contoso.com`) is that domain's DNS suffix retry, not a domain of its
 * own: its lookups join the shorter domain's.
 */
export function signInFindings(lookups: readonly DnsLookup[]): SignInDomain[] {
  const groups = new Map<string, { purpose: SignInDomain["purpose"]; lookups: DnsLookup[] }>();
  const keyOf = (l: DnsLookup) => `${l.kind === SignIn.Federation ? "federation" : "sign-in"} ${l.domain}`;
  for (const l of lookups) {
    if (l.kind === SignIn.None) continue;
    const key = keyOf(l);
    if (!groups.has(key))
      groups.set(key, { purpose: l.kind === SignIn.Federation ? "federation" : "sign-in", lookups: [] });
  }
  // A suffix retry joins the shortest asked domain it extends, of the same purpose.
  const home = (purpose: string, domain: string): string => {
    let best = `${purpose} ${domain}`;
    for (const key of groups.keys()) {
      const [p, d] = [key.slice(0, key.indexOf(" ")), key.slice(key.indexOf(" ") + 1)];
      if (p === purpose && domain.startsWith(`${d}.`) && key.length < best.length) best = key;
    }
    return best;
  };
  for (const l of lookups) {
    // An SRV target's address lookup belongs to the domain whose SRV named it.
    const purpose = l.kind === SignIn.Federation ? "federation" : "sign-in";
    const target = l.kind === SignIn.None;
    const key = target
      ? groups.has(`sign-in ${l.domain}`)
        ? home("sign-in", l.domain)
        : home("federation", l.domain)
      : home(purpose, l.domain);
    groups.get(key)?.lookups.push(l);
  }
  const out: SignInDomain[] = [];
  for (const [key, g] of groups) {
    if (home(g.purpose, key.slice(key.indexOf(" ") + 1)) !== key) continue; // a suffix retry, folded in
    if (!g.lookups.some((l) => OCS_OWN.has(l.kind))) continue; // any SIP client's lookups, not OCS's
    const [outcome, server] = judge(g.lookups, g.purpose);
    out.push({
      domain: key.slice(key.indexOf(" ") + 1),
      purpose: g.purpose,
      outcome,
      server,
      lookups: g.lookups,
    });
  }
  return out;
}
