/**
 * CI policy: which findings fail a run (exit 1).
 * - `--fail-on blocked,misdirected,unknown,inconclusive`: any flow with one of these verdicts;
 *   also any reason code (blocking ones such as `tls_alert`, `sip_error`, and information ones such
 *   as `peer_receive_only`): any flow with that reason; and
 *   `warnings`: any flow with a warning (`WARNING_CODES`: the TLS certificate and version ones);
 *   and `sign_in`: any SIP domain whose sign-in discovery through DNS failed;
 * - `--max-unknown-flows N` or `N%`: more unknown flows than that (count, or share of all flows);
 * - `--max-blocked N`: more blocked flows than that;
 * - `--expect FILE`: roles and ports that must be seen working. YAML or JSON:
 *     expect:
 *       - { role: Edge Server, port: 443, transport: tcp }      # at least 1 known flow
 *       - { port: 3478, transport: udp, min: 2 }
 *       - { role: Front End Servers, port: 5061, tls: complete }  # known and a completed TLS handshake
 *
 * Every check reads the report's totals (summary, reason counts, known flows
 * per service port), which a saved JSON report carries too, so `summarize`
 * gives the verdict `analyze` gave. The checks are data as well as stderr
 * lines: `policyOutcomes` hands each, passed or failed, to the JUnit report.
 */
import { closest } from "fastest-levenshtein";
import type { CatalogIndex } from "../catalog/index.js";
import type { Transport } from "../catalog/types.js";
import type { Verdict } from "../classify/classify.js";
import { type ReasonCode, WARNING_CODES } from "../classify/reasons.js";
import type { PolicyOutcome, Report } from "../report/model.js";
import { plural } from "../report/phrases.js";
import { signInFailed } from "../report/sign-in.js";
import { LazySchema, SettingsDocument, SettingsSyntaxError } from "../schema.js";

export interface Expectation {
  role?: string;
  port: number;
  transport?: "tcp" | "udp";
  min?: number;
  /** Count only flows whose TLS handshake completed. */
  tls?: "complete";
  /** Where the file writes it (for messages). */
  line?: number;
}

/** What `--fail-on` may name: a verdict, a reason code, every warning, or failed sign-in discovery. */
export type FailOn = Verdict | ReasonCode | "warnings" | "sign_in";

export interface Policy {
  failOn: FailOn[];
  maxUnknown: { count: number } | { percent: number } | null;
  maxBlocked: number | null;
  expect: Expectation[];
}

export class PolicyFileError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
  }
}

const expectSchema = {
  type: "object",
  required: ["expect"],
  additionalProperties: false,
  properties: {
    expect: {
      type: "array",
      items: {
        type: "object",
        required: ["port"],
        additionalProperties: false,
        properties: {
          role: { type: "string", minLength: 1 },
          port: { type: "integer", minimum: 0, maximum: 65535 },
          transport: { enum: ["tcp", "udp"] },
          min: { type: "integer", minimum: 1 },
          tls: { const: "complete" },
        },
      },
    },
  },
} as const;

const EXPECT_FILE = new LazySchema<{ expect: Expectation[] }>(expectSchema);

/** Expectations, each with the line of the file it is written on. */
export function parseExpectFile(text: string, file: string): Expectation[] {
  let doc: SettingsDocument;
  try {
    doc = SettingsDocument.parse(text);
  } catch (err) {
    if (!(err instanceof SettingsSyntaxError)) throw err;
    throw new PolicyFileError(
      `line ${err.line}, column ${err.column}: not valid JSON or YAML: ${err.message}`,
      file,
    );
  }
  const data = doc.data;
  if (!EXPECT_FILE.check(data)) {
    throw new PolicyFileError(
      `does not match the expectations format: ${EXPECT_FILE.problems(5, doc).join("; ")}`,
      file,
    );
  }
  return data.expect.map((e, i) => ({ ...e, line: doc.line(["expect", i]) }));
}

/**
 * Checks expectations against the catalog before any analysis: a role the
 * catalog lacks (with the closest name it has), or a port and transport no
 * entry of the role (or of any role) covers, is a settings error naming the
 * file and line, rather than a policy failure that looks like the network's.
 */
export function checkExpectations(expect: readonly Expectation[], index: CatalogIndex, file: string): void {
  const roles = index.roles();
  const byLower = new Map(roles.map((r) => [r.toLowerCase(), r]));
  for (const e of expect) {
    let role: string | undefined;
    if (e.role !== undefined) {
      role = byLower.get(e.role.toLowerCase());
      // The catalog's own spelling from here on (messages, and the policy's match).
      if (role !== undefined) e.role = role;
      if (role === undefined) {
        throw new PolicyFileError(
          `line ${e.line ?? 1}: role "${e.role}" is not in the catalog; did you mean "${closest(e.role, roles)}"?`,
          file,
        );
      }
    }
    const transports: Transport[] = e.transport === undefined ? ["tcp", "udp"] : [e.transport];
    const covered = transports.some((t) =>
      index.lookup(t, e.port).some((m) => role === undefined || m.entry.role === role),
    );
    if (!covered) {
      const what = `${e.port}/${e.transport ?? "tcp or udp"}`;
      if (role === undefined)
        throw new PolicyFileError(`line ${e.line ?? 1}: no catalog entry covers ${what}`, file);
      const ports = index.entries
        .filter((x) => x.role === role)
        .flatMap((x) => x.ports.flatMap((r) => x.transports.map((t) => ({ r, t }))))
        .sort((a, b) => a.r.first - b.r.first || a.r.last - b.r.last || a.t.localeCompare(b.t))
        .map(({ r, t }) => `${r.first === r.last ? r.first : `${r.first}-${r.last}`}/${t}`)
        .filter((text, k, all) => all.indexOf(text) === k);
      throw new PolicyFileError(
        `line ${e.line ?? 1}: ${role} has no catalog entry for ${what}; its ports: ${ports.join(", ")}`,
        file,
      );
    }
  }
}

/** "25" → a count, "10%" → a share; null when it is neither. */
export function parseThreshold(value: string): { count: number } | { percent: number } | null {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(value.trim());
  if (!m) return null;
  const n = Number(m[1]);
  if (m[2] === "%") return n <= 100 ? { percent: n } : null;
  return Number.isInteger(n) ? { count: n } : null;
}

/** One check's result: `failed` is its failure's text after the option ("2 blocked"), null when it passed. */
interface Check {
  option: "--fail-on" | "--max-unknown-flows" | "--max-blocked" | "--expect";
  name: string;
  failed: string | null;
  observed: string;
}

/**
 * Every check the policy makes of the report, in the order its failures are
 * printed: each `--fail-on` item, then `--max-unknown-flows`, `--max-blocked`,
 * and each expectation. Counts come from the report's totals (summary, reason
 * counts, known flows per service port), which cover every flow whatever the
 * report lists; a saved report without per-port counts (written before they were
 * in the JSON) has its listed flows counted, and says so when they are not all.
 */
function checks(report: Report, policy: Policy): Check[] {
  const out: Check[] = [];
  const s = report.summary;
  // Reason counts cover every flow, listed or not (a report without them: its listed flows).
  const reasons = report.reasons ?? {};
  const count = (what: FailOn): number => {
    if (what === "warnings") {
      let n = 0;
      for (const code of WARNING_CODES) n += reasons[code] ?? 0;
      return n;
    }
    // The findings themselves when the report has them (a saved summary could say otherwise).
    if (what === "sign_in") return report.signIn?.filter(signInFailed).length ?? s.signInFailures ?? 0;
    if (what in s) return s[what as Verdict];
    return reasons[what] ?? 0;
  };
  for (const v of policy.failOn) {
    const n = count(v);
    const verdict = v in s;
    let observed: string;
    if (v === "warnings") {
      const each = [...WARNING_CODES]
        .filter((code) => (reasons[code] ?? 0) > 0)
        .map((code) => `${code}: ${reasons[code]}`);
      observed = `${plural(n, "warning")}${each.length > 0 ? ` (${each.join(", ")})` : ""}`;
    } else if (v === "sign_in") {
      const domains = report.signIn ?? [];
      const failed = domains
        .filter((d) => signInFailed(d))
        .map((d) => `${d.domain} from ${d.client}: ${d.outcome}`);
      observed = `${n} of ${domains.length} sign-in discoveries (SIP domain and client) failed${failed.length > 0 ? ` (${failed.join(", ")})` : ""}`;
    } else {
      observed = verdict ? `${n} ${v} of ${plural(s.flows, "flow")}` : `${plural(n, "flow")} with ${v}`;
    }
    out.push({
      option: "--fail-on",
      name: `--fail-on ${v}`,
      failed:
        n === 0
          ? null
          : v === "sign_in"
            ? `${n} failed sign-in discover${n === 1 ? "y" : "ies"} (SIP domain and client)`
            : `${n} ${v}${v === "warnings" || verdict ? "" : ` flow${n === 1 ? "" : "s"}`}`,
      observed,
    });
  }
  const max = policy.maxUnknown;
  if (max !== null) {
    if ("count" in max) {
      out.push({
        option: "--max-unknown-flows",
        name: `--max-unknown-flows ${max.count}`,
        failed: s.unknown > max.count ? `${s.unknown} unknown flows, more than ${max.count}` : null,
        observed: `${s.unknown} unknown of ${plural(s.flows, "flow")}`,
      });
    } else {
      const share = s.flows > 0 ? (s.unknown / s.flows) * 100 : 0;
      out.push({
        option: "--max-unknown-flows",
        name: `--max-unknown-flows ${max.percent}%`,
        failed:
          share > max.percent ? `${share.toFixed(1)}% of flows unknown, more than ${max.percent}%` : null,
        observed: `${s.unknown} unknown of ${plural(s.flows, "flow")} (${share.toFixed(1)}%)`,
      });
    }
  }
  if (policy.maxBlocked !== null) {
    out.push({
      option: "--max-blocked",
      name: `--max-blocked ${policy.maxBlocked}`,
      failed:
        s.blocked > policy.maxBlocked ? `${s.blocked} blocked flows, more than ${policy.maxBlocked}` : null,
      observed: `${s.blocked} blocked of ${plural(s.flows, "flow")}`,
    });
  }
  for (const e of policy.expect) {
    const min = e.min ?? 1;
    const what = `${e.role ? `${e.role} ` : ""}${e.port}/${e.transport ?? "tcp or udp"}`;
    const tls = e.tls === "complete" ? " with a completed TLS handshake" : "";
    const { seen, unlisted } = expected(report, e);
    // Counted from the listed flows only, a shortfall may be the list's, not the network's.
    const caveat =
      unlisted > 0
        ? ` among the listed flows (a report from an ocs-pcap without per-port counts, not listing ${plural(unlisted, "known flow")})`
        : "";
    out.push({
      option: "--expect",
      name: `--expect ${what}: at least ${plural(min, "known flow")}${tls}${e.line === undefined ? "" : ` (line ${e.line})`}`,
      failed:
        seen < min
          ? `${what} should have at least ${plural(min, "known flow")}${tls}, saw ${seen}${caveat}`
          : null,
      observed: `${plural(seen, "known flow")}${tls}${caveat}`,
    });
  }
  return out;
}

/**
 * Known flows an expectation counts: from the report's per-port counts (every
 * flow), or, in a saved report without them, from its listed flows, with the
 * known flows it does not list (then `seen` is a lower bound).
 */
function expected(report: Report, e: Expectation): { seen: number; unlisted: number } {
  const role = e.role?.toLowerCase();
  const fits = (port: number | null, transport: string, roles: readonly string[]): boolean =>
    port === e.port &&
    (transport === "tcp" || transport === "udp") &&
    (e.transport === undefined || transport === e.transport) &&
    (role === undefined || roles.some((r) => r.toLowerCase() === role));
  if (report.services !== undefined) {
    let seen = 0;
    for (const x of report.services)
      if (fits(x.port, x.transport, x.roles)) seen += e.tls === "complete" ? x.tlsComplete : x.known;
    return { seen, unlisted: 0 };
  }
  let seen = 0;
  let listed = 0;
  for (const f of report.flows) {
    if (f.verdict !== "known") continue;
    listed++;
    if (
      fits(
        f.serverPort,
        f.transport,
        f.roles.map((r) => r.role),
      ) &&
      (e.tls !== "complete" || f.tls?.complete === true)
    )
      seen++;
  }
  return { seen, unlisted: Math.max(0, report.summary.known - listed) };
}

/** Each check of the policy against the report, passed or failed (the JUnit report's policy testcases). */
export function policyOutcomes(report: Report, policy: Policy): PolicyOutcome[] {
  return checks(report, policy).map((c) => ({
    check: c.name,
    failure: c.failed === null ? null : `${c.option}: ${c.failed}`,
    observed: c.observed,
  }));
}

/**
 * Why the report fails the policy, one line each for standard error; empty
 * when it passes. The failing `--fail-on` items share one line.
 */
export function evaluatePolicy(report: Report, policy: Policy): string[] {
  const failed = checks(report, policy).filter((c) => c.failed !== null);
  const failOn = failed.filter((c) => c.option === "--fail-on").map((c) => c.failed);
  return [
    ...(failOn.length > 0 ? [`--fail-on: ${failOn.join(", ")}`] : []),
    ...failed.filter((c) => c.option !== "--fail-on").map((c) => `${c.option}: ${c.failed}`),
  ];
}
