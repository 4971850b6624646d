/**
 * The report's sign-in discovery section (`signIn`): classify/sign-in.ts's
 * findings per SIP domain as records (ISO times, frame numbers or null, a
 * Wireshark display filter for the domain's lookups), and the sentences
 * every text renderer shows for them.
 */
import { SIGN_IN_FAILURES, type SignInDomain, type SignInOutcome } from "../classify/sign-in.js";
import type { DnsLookup } from "../flow/dns-lookups.js";
import { isoMicros } from "../format.js";

/** A lookup as the report holds it: times as ISO text, frames null when the capture has none. */
export type SignInLookupRecord = Omit<
  DnsLookup,
  "kind" | "domain" | "firstSeen" | "queryFrame" | "responseFrame" | "answerFrame"
> & {
  firstSeen: string;
  queryFrame: number | null;
  responseFrame: number | null;
  answerFrame: number | null;
};

export interface SignInRecord {
  domain: string;
  purpose: SignInDomain["purpose"];
  outcome: SignInOutcome;
  server: string | null;
  lookups: SignInLookupRecord[];
}

const frameOrNull = (n: number) => (n > 0 ? n : null);

export function signInRecords(findings: readonly SignInDomain[]): SignInRecord[] {
  return findings.map((d) => ({
    domain: d.domain,
    purpose: d.purpose,
    outcome: d.outcome,
    server: d.server,
    lookups: d.lookups.map((l) => ({
      name: l.name,
      type: l.type,
      queries: l.queries,
      responses: l.responses,
      answered: l.answered,
      noData: l.noData,
      nxdomain: l.nxdomain,
      servfail: l.servfail,
      refused: l.refused,
      otherError: l.otherError,
      firstSeen: isoMicros(l.firstSeen),
      queryFrame: frameOrNull(l.queryFrame),
      responseFrame: frameOrNull(l.responseFrame),
      answerFrame: frameOrNull(l.answerFrame),
      client: l.client,
      server: l.server,
      answers: [...l.answers],
    })),
  }));
}

/** A name a filter may quote: letters, digits, '-', '_' and dots (a saved report is outside input). */
const FILTER_NAME = /^[0-9a-z_.-]{1,253}$/;

/**
 * The Wireshark display filter for a domain's lookups: the question names,
 * compared lowercased (clients ask in any case; `lower()` and `||`, which
 * Wireshark has long taken, not 4.0's set syntax). A name with other
 * characters gets no term; with no term left the filter is "dns".
 */
export function signInFilter(r: Pick<SignInRecord, "lookups">): string {
  const names = [...new Set(r.lookups.map((l) => l.name))].filter((n) => FILTER_NAME.test(n));
  return names.length === 0 ? "dns" : names.map((n) => `lower(dns.qry.name) == "${n}"`).join(" || ");
}

/** Whether a client of the domain cannot find its server, as far as the capture shows. */
export function signInFailed(r: Pick<SignInRecord, "outcome">): boolean {
  return SIGN_IN_FAILURES.has(r.outcome);
}

/** One sentence on a domain's outcome. */
export function signInText(r: SignInRecord): string {
  const who = r.purpose === "federation" ? `federation with ${r.domain}` : `sign-in for ${r.domain}`;
  switch (r.outcome) {
    case "srv":
      return `${who}: found ${r.server} through its SRV record`;
    case "host":
      return `${who}: no SRV record answered; clients fall back to the host ${r.server}, which answered (the server's certificate must carry that name)`;
    case "target_not_found":
      return `${who}: the SRV record names ${r.server}, but that host's address lookups failed: clients cannot connect`;
    case "not_found":
      return r.purpose === "federation"
        ? `${who}: no _sipfederationtls._tcp record exists: the partner cannot be found through DNS (check the name, or configure it as a direct partner)`
        : `${who}: no record a client looks for exists (no SRV record, no sipinternal, sip or sipexternal host): automatic sign-in cannot find a server; create _sipinternaltls._tcp.${r.domain} (internal) or _sip._tls.${r.domain} (external)`;
    case "dns_error":
      return `${who}: the DNS server failed every lookup (SERVFAIL, REFUSED): ${r.purpose === "federation" ? "the partner's Access Edge cannot be found" : "clients cannot find a server"}`;
    case "unanswered":
      return `${who}: no lookup was answered in the capture: the DNS server may be unreachable, or its answers were not captured`;
  }
}

/** A lookup as one line: what was asked, how often, what came back, and the frames to check. */
export function lookupText(l: SignInLookupRecord): string {
  const parts: string[] = [];
  if (l.answered > 0) parts.push(`answered ${l.answers.join(", ")}`);
  const times = (what: string, n: number) => (n === 1 ? what : `${what} (${n} times)`);
  if (l.nxdomain > 0) parts.push(times("NXDOMAIN", l.nxdomain));
  if (l.noData > 0) parts.push(times(`no ${l.type} record`, l.noData));
  if (l.servfail > 0) parts.push(times("SERVFAIL", l.servfail));
  if (l.refused > 0) parts.push(times("REFUSED", l.refused));
  if (l.otherError > 0) parts.push(times("another error", l.otherError));
  if (l.responses === 0) parts.push("no response");
  const frames = [
    l.queryFrame === null ? null : `query frame ${l.queryFrame}`,
    l.answerFrame === null
      ? l.responseFrame === null
        ? null
        : `response frame ${l.responseFrame}`
      : `answer frame ${l.answerFrame}`,
  ].filter((x): x is string => x !== null);
  const asked = `${l.queries} ${l.queries === 1 ? "query" : "queries"}${l.client === null ? "" : ` from ${l.client}`}${l.server === null ? "" : ` to ${l.server}`}`;
  return `${l.type} ${l.name}: ${parts.join("; ")} (${asked}; ${frames.join(", ")})`;
}

/**
 * What the text formats show for a domain: its sentence, then, when it
 * failed, each lookup and the display filter (a domain that worked needs
 * no evidence beyond its server).
 */
export function signInLines(r: SignInRecord): { headline: string; details: string[] } {
  const headline = `${r.outcome}: ${signInText(r)}`;
  if (!signInFailed(r)) return { headline, details: [] };
  return { headline, details: [...r.lookups.map(lookupText), `filter: ${signInFilter(r)}`] };
}

const COUNTS = [
  "queries",
  "responses",
  "answered",
  "noData",
  "nxdomain",
  "servfail",
  "refused",
  "otherError",
] as const;

/**
 * A saved report's section back into the model, display filters dropped
 * (rendering remakes them from the names). Throws when a count is not one,
 * or the summary's failure count is not the failing domains'.
 */
export function signInFromJson(
  saved: readonly (SignInRecord & { filter?: string })[],
  failures: number | undefined,
): SignInRecord[] {
  const out = saved.map(({ filter: _, ...d }) => d);
  for (const d of out)
    for (const l of d.lookups)
      for (const k of COUNTS)
        if (!Number.isSafeInteger(l[k]) || l[k] < 0)
          throw new Error(`signIn ${d.domain}'s ${l.name} ${k} is not a count: ${String(l[k])}`);
  const failing = out.filter(signInFailed).length;
  if (failures !== undefined && failures !== failing)
    throw new Error(`summary.signInFailures (${failures}) is not the ${failing} failing domains of signIn`);
  return out;
}

/** The section with its addresses and names pseudonymized; a sign-in name's fixed labels stay. */
export function redactSignIn(
  records: readonly SignInRecord[],
  r: { address(ip: string): string; hostname(name: string): string },
): SignInRecord[] {
  const name = (n: string): string => {
    const m =
      /^(_sipinternaltls\._tcp|_sipinternal\._tcp|_sip\._tls|_sip\._tcp|_sipfederationtls\._tcp|sipinternal|sip|sipexternal)\.(.+)$/.exec(
        n,
      );
    return m === null ? r.hostname(n) : `${m[1]}.${r.hostname(m[2]!)}`;
  };
  const address = (a: string | null) => (a === null ? null : r.address(a));
  return records.map((d) => ({
    ...d,
    domain: r.hostname(d.domain),
    server:
      d.server === null
        ? null
        : /:\d+$/.test(d.server)
          ? `${r.hostname(d.server.slice(0, d.server.lastIndexOf(":")))}${d.server.slice(d.server.lastIndexOf(":"))}`
          : name(d.server),
    lookups: d.lookups.map((l) => ({
      ...l,
      name: name(l.name),
      client: address(l.client),
      server: address(l.server),
      answers: l.answers.map((a) => {
        const srv = /^(\d+ \d+ \d+) (.+)$/.exec(a);
        return srv === null ? r.address(a) : `${srv[1]} ${srv[2] === "." ? "." : r.hostname(srv[2]!)}`;
      }),
    })),
  }));
}
