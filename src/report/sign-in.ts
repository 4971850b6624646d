/**
 * The report's sign-in discovery section (`signIn`): classify/sign-in.ts's
 * findings per SIP domain and client as records (ISO times, frame numbers or
 * null), their Wireshark display filters, the sentences every text renderer
 * shows, the section read back from a saved report (each outcome judged
 * again from its lookups), and its redaction.
 */
import { judgeSignIn, SIGN_IN_FAILURES, type SignInDomain, signInNameOf } from "../classify/sign-in.js";
import type { DnsLookup } from "../flow/dns-lookups.js";
import { isoMicros } from "../format.js";
import { addressTerm } from "./filter.js";
import { plural } from "./phrases.js";

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

export type SignInRecord = Omit<SignInDomain, "lookups"> & { lookups: SignInLookupRecord[] };

const frameOrNull = (n: number) => (n > 0 ? n : null);

export function signInRecords(findings: readonly SignInDomain[]): SignInRecord[] {
  return findings.map((d) => ({
    domain: d.domain,
    purpose: d.purpose,
    client: d.client,
    outcome: d.outcome,
    server: d.server,
    lookups: d.lookups.map(({ kind: _, domain: __, ...l }) => ({
      ...l,
      firstSeen: isoMicros(l.firstSeen),
      queryFrame: frameOrNull(l.queryFrame),
      responseFrame: frameOrNull(l.responseFrame),
      answerFrame: frameOrNull(l.answerFrame),
      answers: [...l.answers],
    })),
  }));
}

/** A name a filter may quote: letters, digits, '-', '_' and dots (a saved report is outside input). */
const FILTER_NAME = /^[0-9a-z_.-]{1,253}$/;

/**
 * The Wireshark display filter for a finding's lookups: the client's address
 * and the question names, compared lowercased (clients ask in any case;
 * `lower()`, `==` and `||`, which Wireshark has long taken, not 4.0's set
 * syntax). A name a filter cannot spell (bytes shown as `\DDD`) is named by
 * its lookup's first frames instead; "frame.number == 0" (no frame) when
 * nothing is left to name.
 */
export function signInFilter(r: Pick<SignInRecord, "client" | "lookups">): string {
  const terms = new Set<string>();
  for (const l of r.lookups) {
    if (FILTER_NAME.test(l.name)) terms.add(`lower(dns.qry.name) == "${l.name}"`);
    else
      for (const f of [l.queryFrame, l.responseFrame, l.answerFrame])
        if (f !== null && Number.isSafeInteger(f)) terms.add(`frame.number == ${f}`);
  }
  if (terms.size === 0) return "frame.number == 0";
  const client = addressTerm(r.client);
  const names = [...terms].join(" || ");
  return client === null ? names : `${client} && (${names})`;
}

/** Whether the client cannot find its server, as far as the capture shows. */
export function signInFailed(r: Pick<SignInRecord, "outcome">): boolean {
  return SIGN_IN_FAILURES.has(r.outcome);
}

/** One sentence on a finding's outcome (`clients`: how many clients share it, in the text formats' digest). */
export function signInText(r: SignInRecord, clients = 1): string {
  const from = clients > 1 ? plural(clients, "client") : r.client;
  const who = `${r.purpose === "federation" ? `federation with ${r.domain}` : `sign-in for ${r.domain}`} (${from})`;
  switch (r.outcome) {
    case "srv": {
      // The address of the target chosen may not be in the capture (cached, or asked before it began).
      const host = r.server?.slice(0, r.server.lastIndexOf(":"));
      const seen = r.lookups.some((l) => l.type !== "SRV" && l.name === host && l.answered > 0);
      return `${who}: found ${r.server} through its SRV record${seen ? "" : " (the capture holds no answered lookup of its address)"}`;
    }
    case "host":
      return `${who}: no SRV record answered; the fall-back host ${r.server} did (the server's certificate must carry that name)`;
    case "target_not_found":
      return `${who}: the SRV record names ${r.server}, but no address of it was found (nor of any other target): the client cannot connect`;
    case "not_found": {
      const asked = [...new Set(r.lookups.map((l) => l.name))];
      return r.purpose === "federation"
        ? `${who}: no _sipfederationtls._tcp record exists: the partner cannot be found through DNS (check the name, or configure it as a direct partner)`
        : `${who}: none of the ${plural(asked.length, "name")} asked exists or offers the service; automatic sign-in needs _sipinternaltls._tcp.${r.domain} (inside) or _sip._tls.${r.domain} (outside), or at least sipinternal, sip or sipexternal.${r.domain}`;
    }
    case "dns_error":
      return `${who}: the DNS server failed every lookup of ${r.domain}'s own names (SERVFAIL, REFUSED or another error): ${r.purpose === "federation" ? "the partner's Access Edge cannot be found" : "the client cannot find a server"}`;
    case "unanswered":
      return `${who}: no lookup was answered in the capture: the DNS server may be unreachable, or its answers were not captured`;
  }
}

/** A lookup as one line: what was asked, how often, what came back, and the frames to check. */
export function lookupText(l: SignInLookupRecord): string {
  const parts: string[] = [];
  const times = (what: string, n: number) => (n === 1 ? what : `${what} (${n} times)`);
  if (l.answered > 0) parts.push(`answered ${l.answers.join(", ")}`);
  if (l.nxdomain > 0) parts.push(times("NXDOMAIN", l.nxdomain));
  if (l.noData > 0) parts.push(times(`no ${l.type} record`, l.noData));
  if (l.servfail > 0) parts.push(times("SERVFAIL", l.servfail));
  if (l.refused > 0) parts.push(times("REFUSED", l.refused));
  if (l.otherError > 0) parts.push(times("another error", l.otherError));
  if (l.truncated > 0) parts.push(times("truncated (TC)", l.truncated));
  if (l.responses === 0) parts.push("no response");
  const frames = [
    l.queryFrame === null ? null : `query frame ${l.queryFrame}`,
    l.answerFrame === null
      ? l.responseFrame === null
        ? null
        : `response frame ${l.responseFrame}`
      : `answer frame ${l.answerFrame}`,
  ].filter((x): x is string => x !== null);
  const asked = `${l.queries} ${l.queries === 1 ? "query" : "queries"}${l.server === null ? "" : ` to ${l.server}`}`;
  return `${l.type} ${l.name}: ${parts.join("; ")} (${asked}; ${frames.join(", ")})`;
}

/**
 * What the text formats show: each failing finding with its lookups and
 * filter; findings that worked, once per domain, outcome and server with the
 * number of clients (a capture of a whole site's sign-ins lists each pool once).
 */
export function signInShown(records: readonly SignInRecord[]): { headline: string; details: string[] }[] {
  const keyOf = (r: SignInRecord) => `${r.purpose} ${r.domain} ${r.outcome} ${r.server}`;
  const clients = new Map<string, number>();
  for (const r of records) if (!signInFailed(r)) clients.set(keyOf(r), (clients.get(keyOf(r)) ?? 0) + 1);
  const out: { headline: string; details: string[] }[] = [];
  const shown = new Set<string>();
  for (const r of records) {
    if (signInFailed(r)) {
      out.push({
        headline: `${r.outcome}: ${signInText(r)}`,
        details: [...r.lookups.map(lookupText), `filter: ${signInFilter(r)}`],
      });
      continue;
    }
    const key = keyOf(r);
    if (shown.has(key)) continue;
    shown.add(key);
    out.push({ headline: `${r.outcome}: ${signInText(r, clients.get(key) ?? 1)}`, details: [] });
  }
  return out;
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
  "truncated",
] as const;

/**
 * A saved report's section back into the model, display filters dropped
 * (rendering remakes them). Each finding's outcome and server are judged
 * again from its lookups, as analyze judged them: a report whose outcome
 * does not follow from its own lookups, or whose summary counts other
 * failures, is refused (throws).
 */
export function signInFromJson(
  saved: readonly (SignInRecord & { filter?: string })[],
  failures: number | undefined,
): SignInRecord[] {
  const out = saved.map(({ filter: _, ...d }) => d);
  for (const d of out) {
    const lookups: DnsLookup[] = d.lookups.map((l) => {
      for (const k of COUNTS)
        if (!Number.isSafeInteger(l[k]) || l[k] < 0)
          throw new Error(`signIn ${d.domain}'s ${l.name} ${k} is not a count: ${String(l[k])}`);
      return {
        ...l,
        ...signInNameOf(l.name, l.type),
        firstSeen: 0,
        queryFrame: l.queryFrame ?? 0,
        responseFrame: l.responseFrame ?? 0,
        answerFrame: l.answerFrame ?? 0,
      };
    });
    const [outcome, server] = judgeSignIn(lookups, d.purpose, d.domain);
    if (outcome !== d.outcome || server !== d.server)
      throw new Error(
        `signIn ${d.domain} (${d.client}) says ${d.outcome}${d.server === null ? "" : ` ${d.server}`}, but its lookups give ${outcome}${server === null ? "" : ` ${server}`}`,
      );
  }
  const failing = out.filter(signInFailed).length;
  if (failures !== undefined && failures !== failing)
    throw new Error(`summary.signInFailures (${failures}) is not the ${failing} failing findings of signIn`);
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
  const host = (s: string): string => {
    const port = /:\d+$/.exec(s);
    return port === null ? name(s) : `${name(s.slice(0, port.index))}${port[0]}`;
  };
  return records.map((d) => ({
    ...d,
    domain: r.hostname(d.domain),
    client: r.address(d.client),
    server: d.server === null ? null : host(d.server),
    lookups: d.lookups.map((l) => ({
      ...l,
      name: name(l.name),
      client: r.address(l.client),
      server: l.server === null ? null : r.address(l.server),
      answers: l.answers.map((a) => {
        const srv = /^(\d+ \d+ \d+) (.+)$/.exec(a);
        return srv === null ? r.address(a) : `${srv[1]} ${srv[2] === "." ? "." : name(srv[2]!)}`;
      }),
    })),
  }));
}
