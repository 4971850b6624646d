/**
 * CI policy: which findings fail a run (exit 1).
 * - `--fail-on blocked,misdirected,unknown,inconclusive`: any flow with one of these verdicts;
 * - `--max-unknown-flows N` or `N%`: more unknown flows than that (count, or share of all flows);
 * - `--max-blocked N`: more blocked flows than that;
 * - `--expect FILE`: roles and ports that must be seen working. YAML or JSON:
 *     expect:
 *       - { role: Edge Server, port: 443, transport: tcp }      # at least 1 known flow
 *       - { port: 3478, transport: udp, min: 2 }
 */
import { parse } from "yaml";
import type { Verdict } from "../classify/classify.js";
import type { Report } from "../report/model.js";
import { LazySchema } from "../schema.js";

export interface Expectation {
  role?: string;
  port: number;
  transport?: "tcp" | "udp";
  min?: number;
}

export interface Policy {
  failOn: Verdict[];
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
        },
      },
    },
  },
} as const;

const EXPECT_FILE = new LazySchema<{ expect: Expectation[] }>(expectSchema);

export function parseExpectFile(text: string, file: string): Expectation[] {
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw new PolicyFileError(
      `not valid JSON or YAML: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`,
      file,
    );
  }
  if (!EXPECT_FILE.check(data)) {
    throw new PolicyFileError(
      `does not match the expectations format: ${EXPECT_FILE.problems(5).join("; ")}`,
      file,
    );
  }
  return data.expect;
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
  const failing = policy.failOn.filter((v) => s[v] > 0);
  if (failing.length > 0) failures.push(`--fail-on: ${failing.map((v) => `${s[v]} ${v}`).join(", ")}`);
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
          (e.role === undefined || s.roles.includes(e.role)),
      )
      .reduce((n, s) => n + s.known, 0);
    if (seen < min) {
      const what = `${e.role ? `${e.role} ` : ""}${e.port}/${e.transport ?? "tcp or udp"}`;
      failures.push(
        `--expect: ${what} should have at least ${min} known flow${min === 1 ? "" : "s"}, saw ${seen}`,
      );
    }
  }
  return failures;
}
