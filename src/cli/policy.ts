/**
 * CI policy: which findings fail a run (exit 1).
 * - `--fail-on blocked,misdirected,unknown,inconclusive`: any flow with one of these verdicts;
 *   also any blocking reason code (`tls_alert`, `sip_error`, …): any flow with that reason; and
 *   `warnings`: any flow with a warning (`WARNING_CODES`: the TLS certificate and version ones);
 * - `--max-unknown-flows N` or `N%`: more unknown flows than that (count, or share of all flows);
 * - `--max-blocked N`: more blocked flows than that;
 * - `--expect FILE`: roles and ports that must be seen working. YAML or JSON:
 *     expect:
 *       - { role: Edge Server, port: 443, transport: tcp }      # at least 1 known flow
 *       - { port: 3478, transport: udp, min: 2 }
 *       - { role: Front End Servers, port: 5061, tls: complete }  # known and a completed TLS handshake
 */
import { closest } from "fastest-levenshtein";
import type { CatalogIndex } from "../catalog/index.js";
import type { Transport } from "../catalog/types.js";
import type { Verdict } from "../classify/classify.js";
import { type ReasonCode, WARNING_CODES } from "../classify/reasons.js";
import type { Report } from "../report/model.js";
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

/** What `--fail-on` may name: a verdict, a blocking reason code, or every warning. */
export type FailOn = Verdict | ReasonCode | "warnings";

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

/** Why the report fails the policy; empty when it passes. */
export function evaluatePolicy(report: Report, policy: Policy): string[] {
  const failures: string[] = [];
  const s = report.summary;
  // Reason counts cover every flow, listed or not (a report without them: its listed flows).
  const reasons = report.reasons ?? {};
  const count = (what: FailOn): number => {
    if (what === "warnings") {
      let n = 0;
      for (const code of WARNING_CODES) n += reasons[code] ?? 0;
      return n;
    }
    if (what in s) return s[what as Verdict];
    return reasons[what] ?? 0;
  };
  const failing = policy.failOn.filter((v) => count(v) > 0);
  if (failing.length > 0)
    failures.push(
      `--fail-on: ${failing.map((v) => `${count(v)} ${v}${v === "warnings" || v in s ? "" : ` flow${count(v) === 1 ? "" : "s"}`}`).join(", ")}`,
    );
  if (policy.maxUnknown !== null) {
    if ("count" in policy.maxUnknown && s.unknown > policy.maxUnknown.count) {
      failures.push(`--max-unknown-flows: ${s.unknown} unknown flows, more than ${policy.maxUnknown.count}`);
    }
    if ("percent" in policy.maxUnknown && s.flows > 0) {
      const share = (s.unknown / s.flows) * 100;
      if (share > policy.maxUnknown.percent) {
        failures.push(
          `--max-unknown-flows: ${share.toFixed(1)}% of flows unknown, more than ${policy.maxUnknown.percent}%`,
        );
      }
    }
  }
  if (policy.maxBlocked !== null && s.blocked > policy.maxBlocked) {
    failures.push(`--max-blocked: ${s.blocked} blocked flows, more than ${policy.maxBlocked}`);
  }
  for (const e of policy.expect) {
    const min = e.min ?? 1;
    // Counted as flows ended (report.services), so the report's list limit cannot change the result.
    const seen = (report.services ?? [])
      .filter(
        (s) =>
          s.port === e.port &&
          (e.transport === undefined || s.transport === e.transport) &&
          (e.role === undefined || s.roles.some((r) => r.toLowerCase() === e.role!.toLowerCase())),
      )
      .reduce((n, s) => n + (e.tls === "complete" ? (s.tlsComplete ?? 0) : s.known), 0);
    if (seen < min) {
      const what = `${e.role ? `${e.role} ` : ""}${e.port}/${e.transport ?? "tcp or udp"}`;
      const tls = e.tls === "complete" ? " with a completed TLS handshake" : "";
      failures.push(
        `--expect: ${what} should have at least ${min} known flow${min === 1 ? "" : "s"}${tls}, saw ${seen}`,
      );
    }
  }
  return failures;
}
