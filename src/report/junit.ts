/**
 * JUnit XML renderer for CI systems (GitHub Actions, GitLab, Jenkins show it
 * natively). One <testsuite> per capture, one <testcase> per role-and-port
 * row of the report: it fails, with the evidence, when flows to it are
 * blocked or misdirected. Unknown traffic is one more testcase, failing only
 * when the policy says so (--fail-on unknown). When a policy is given, a last
 * suite, "policy", holds one testcase per check the CLI evaluated (each
 * `--fail-on` item, `--max-unknown-flows`, `--max-blocked`, each `--expect`
 * expectation) for each capture: the checks that set exit 1 fail there, with
 * the message the run prints. A pure function of the model and those outcomes.
 */

import { escapeXml as x } from "./escape.js";
import { flowFilter } from "./filter.js";
import type { FlowRecord, PolicyOutcome, Report } from "./model.js";
import { reasonText } from "./reason-text.js";

export interface JunitOptions {
  failOnUnknown: boolean;
  failOnInconclusive: boolean;
  /** The policy's checks of each report, one list per report in the same order (cli/policy.ts evaluates them); none: no policy suite. */
  policy?: readonly (readonly PolicyOutcome[])[];
}

interface Case {
  name: string;
  classname: string;
  failure: string | null;
  skipped: string | null;
  output: string;
}

export function renderJunit(reports: readonly Report[], options: JunitOptions): string {
  const suites: { name: string; timestamp?: string; cases: Case[] }[] = reports.map((r) => suite(r, options));
  const policy = policySuite(reports, options.policy ?? []);
  if (policy !== null) suites.push(policy);
  const tests = suites.reduce((n, s) => n + s.cases.length, 0);
  const failures = suites.reduce((n, s) => n + s.cases.filter((c) => c.failure !== null).length, 0);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="ocs-pcap" tests="${tests}" failures="${failures}" errors="0">`);
  for (const s of suites) {
    const fails = s.cases.filter((c) => c.failure !== null).length;
    const skips = s.cases.filter((c) => c.skipped !== null).length;
    out.push(
      `  <testsuite name="${x(s.name)}" tests="${s.cases.length}" failures="${fails}" errors="0" skipped="${skips}"${s.timestamp === undefined ? "" : ` timestamp="${x(s.timestamp)}"`}>`,
    );
    for (const c of s.cases) {
      const open = `    <testcase name="${x(c.name)}" classname="${x(c.classname)}" time="0"`;
      if (c.failure === null && c.skipped === null && !c.output) {
        out.push(`${open}/>`);
        continue;
      }
      out.push(`${open}>`);
      if (c.failure !== null)
        out.push(
          `      <failure message="${x(firstLine(c.failure))}" type="ocs-pcap">${x(c.failure)}</failure>`,
        );
      if (c.skipped !== null) out.push(`      <skipped message="${x(c.skipped)}"/>`);
      if (c.output) out.push(`      <system-out>${x(c.output)}</system-out>`);
      out.push("    </testcase>");
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>", "");
  return out.join("\n");
}

function suite(report: Report, options: JunitOptions): { name: string; timestamp: string; cases: Case[] } {
  const classname = `ocs-pcap.${report.capture.path}`;
  const cases: Case[] = [];
  for (const row of report.roles) {
    const flows = report.flows.filter(
      (f) => f.transport === row.transport && f.roles[0] !== undefined && rowMatches(f, row.ports),
    );
    // Counts come from the role row, which covers every flow; the evidence
    // from the flows the report lists (all of them unless --max-report-flows cut the list).
    const bad = flows.filter((f) => f.verdict === "blocked" || f.verdict === "misdirected");
    const failing = row.blocked + row.misdirected;
    const name = `${row.roles.join(" / ")} ${row.ports}/${row.transport}`;
    cases.push({
      name,
      classname,
      failure:
        failing > 0
          ? `${failing} of ${row.flows} flows blocked or misdirected\n${evidence(bad, failing)}`
          : null,
      skipped: null,
      output: `${row.flows} flows: ${row.known} known, ${row.blocked} blocked, ${row.misdirected} misdirected, ${row.inconclusive} inconclusive`,
    });
  }
  // Unknown and inconclusive traffic: one testcase each, failing only when the policy says so.
  for (const [verdict, fails] of [
    ["unknown", options.failOnUnknown],
    ["inconclusive", options.failOnInconclusive],
  ] as const) {
    const flows = report.flows.filter((f) => f.verdict === verdict);
    const count = report.summary[verdict];
    cases.push({
      name: `${verdict} traffic`,
      classname,
      failure: fails && count > 0 ? `${count} ${verdict} flows\n${evidence(flows, count)}` : null,
      skipped: null,
      output: `${count} ${verdict} flows${count > 0 && !fails ? ` (a failure only with --fail-on ${verdict})` : ""}`,
    });
  }
  return {
    name: report.capture.path,
    timestamp: (report.capture.firstSeen ?? "1970-01-01T00:00:00.000000Z").slice(0, 19),
    cases,
  };
}

/**
 * The "policy" suite: each report's checks, named for the check, under the
 * capture's classname; a failed one's message is the line the run prints on
 * standard error. Null when no report has a check (no policy was given).
 */
function policySuite(
  reports: readonly Report[],
  outcomes: readonly (readonly PolicyOutcome[])[],
): { name: string; cases: Case[] } | null {
  if (outcomes.length !== reports.length && outcomes.length > 0)
    throw new Error(`policy outcomes for ${outcomes.length} reports, not ${reports.length}`);
  const cases: Case[] = [];
  reports.forEach((r, i) => {
    for (const o of outcomes[i] ?? []) {
      cases.push({
        name: o.check,
        classname: `ocs-pcap.${r.capture.path}`,
        failure: o.failure === null ? null : `${o.failure}\nseen: ${o.observed}`,
        skipped: null,
        output: o.failure === null ? `seen: ${o.observed}` : "",
      });
    }
  });
  return cases.length === 0 ? null : { name: "policy", cases };
}

function rowMatches(f: FlowRecord, ports: string): boolean {
  const [a, b] = ports.split("-").map(Number);
  const first = a ?? 0;
  const last = b ?? first;
  const best =
    f.roles[0]!.ports.find((p) => p.first <= (f.serverPort ?? -1) && (f.serverPort ?? -1) <= p.last) ??
    f.roles[0]!.ports[0];
  return best !== undefined && best.first === first && best.last === last;
}

/** Up to 50 flows as evidence lines; `total` counts the flows the report did not list too. */
function evidence(flows: readonly FlowRecord[], total: number): string {
  const lines = flows.slice(0, 50).map((f) => {
    const c = f.clientPort === null ? f.clientIp : `${f.clientIp}:${f.clientPort}`;
    const s = f.serverPort === null ? f.serverIp : `${f.serverIp}:${f.serverPort}`;
    const why = f.reasons.map((r) => `${r.code}: ${reasonText(r)}`).join("; ");
    return `#${f.id} ${c} -> ${s} ${f.transport} ${f.state} ${f.history}: ${why}\n    Wireshark: ${flowFilter(f)}`;
  });
  const shown = Math.min(flows.length, 50);
  if (total > shown) lines.push(`… and ${total - shown} more`);
  return lines.join("\n");
}

function firstLine(s: string): string {
  const i = s.indexOf("\n");
  return i < 0 ? s : s.slice(0, i);
}
