/**
 * Batch runs: one report per capture, and a batch report that closes the run
 * (one line per capture, plus totals), in any format. Also reads saved JSON
 * reports back into the model, for `ocs-pcap summarize`.
 */

import type { Application, Reason, Verdict } from "../classify/classify.js";
import { REASON_CODES } from "../classify/reasons.js";
import { isoToMicros } from "../format.js";
import { escapeHtml as h, escapeTerminalLine as line1, escapeMarkdown as md } from "./escape.js";
import { savedFilterFacts } from "./filter.js";
import { renderJson } from "./json.js";
import type { FlowProcess, FlowRecord, Report, RoleRef, Summary } from "./model.js";
import { emptySummary, REPORT_SCHEMA } from "./model.js";
import { reasonBrief, reasonText } from "./reason-text.js";
import { signInFromJson } from "./sign-in.js";

export const BATCH_SCHEMA = "ocs-pcap/batch@1";

export interface BatchEntry {
  path: string;
  status: "ok" | "error";
  /** For status "error": what went wrong, with the byte offset when there is one. */
  error: string | null;
  report: Report | null;
}

export interface BatchReport {
  schema: typeof BATCH_SCHEMA;
  tool: { name: string; version: string };
  captures: BatchEntry[];
  totals: Summary & { captures: number; failed: number; packets: number };
}

export function buildBatch(entries: BatchEntry[], version: string): BatchReport {
  const totals = { captures: entries.length, failed: 0, packets: 0, ...emptySummary() };
  for (const e of entries) {
    if (e.status === "error" || e.report === null) {
      totals.failed++;
      continue;
    }
    const s = e.report.summary;
    totals.packets += e.report.capture.packets;
    totals.flows += s.flows;
    totals.known += s.known;
    totals.unknown += s.unknown;
    totals.blocked += s.blocked;
    totals.misdirected += s.misdirected;
    totals.inconclusive += s.inconclusive;
  }
  return { schema: BATCH_SCHEMA, tool: { name: "ocs-pcap", version }, captures: entries, totals };
}

const COLUMNS = [
  "capture",
  "status",
  "packets",
  "flows",
  "known",
  "blocked",
  "misdirected",
  "inconclusive",
  "unknown",
];

function rowOf(e: BatchEntry): (string | number)[] {
  const r = e.report;
  if (r === null) return [e.path, "unreadable", "", "", "", "", "", "", ""];
  const s = r.summary;
  const w = r.capture.warnings.length;
  return [
    e.path,
    w === 0 ? "ok" : `ok, ${w} warning${w === 1 ? "" : "s"}`,
    r.capture.packets,
    s.flows,
    s.known,
    s.blocked,
    s.misdirected,
    s.inconclusive,
    s.unknown,
  ];
}

function totalsRow(b: BatchReport): (string | number)[] {
  const t = b.totals;
  return [
    `total: ${t.captures} capture${t.captures === 1 ? "" : "s"}`,
    t.failed > 0 ? `${t.failed} unreadable` : "ok",
    t.packets,
    t.flows,
    t.known,
    t.blocked,
    t.misdirected,
    t.inconclusive,
    t.unknown,
  ];
}

/** The batch summary as plain text lines (one per capture, then totals). */
export function renderBatchText(b: BatchReport, width = 0): string {
  // File names and messages may hold control characters: shown as \xNN, one line each.
  const rows = [COLUMNS, ...b.captures.map(rowOf), totalsRow(b)].map((r) => r.map((c) => line1(String(c))));
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  // To fit `width` (0: no limit), long capture paths keep their end: "…/site-3/edge.pcap".
  const others = widths.slice(1).reduce((a, w) => a + w + 2, 0);
  // (Only when the numbers leave a path 20 columns: narrower, the lines wrap whole.)
  if (width > 0 && widths[0]! + others > width && width - others >= 20) {
    const room = width - others;
    for (const r of rows) if (r[0]!.length > room) r[0] = `…${r[0]!.slice(r[0]!.length - room + 1)}`;
    widths[0] = Math.min(widths[0]!, room);
  }
  const line = (r: string[]) =>
    r
      .map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `Batch summary\n${rows.map(line).join("\n")}\n${problems(b)
    .map((p) => `${line1(p)}\n`)
    .join("")}`;
}

/** One line per unreadable capture or capture warning, so the table stays narrow. */
function problems(b: BatchReport): string[] {
  const out: string[] = [];
  for (const e of b.captures) {
    if (e.report === null) out.push(`${e.path}: unreadable: ${e.error ?? "unknown error"}`);
    else for (const w of e.report.capture.warnings) out.push(`${e.path}: warning: ${w.message}`);
  }
  return out;
}

export function renderBatchMarkdown(b: BatchReport): string {
  const out = [
    "# ocs-pcap batch summary",
    "",
    `| ${COLUMNS.join(" | ")} |`,
    `| --- | --- | ${COLUMNS.slice(2)
      .map(() => "---:")
      .join(" | ")} |`,
  ];
  for (const r of [...b.captures.map(rowOf), totalsRow(b)])
    out.push(`| ${r.map((c) => md(String(c))).join(" | ")} |`);
  const p = problems(b);
  if (p.length > 0) out.push("", "## Problems", "", ...p.map((line) => `- ${md(line)}`));
  return `${out.join("\n")}\n`;
}

/**
 * The batch as JSON (ocs-pcap/batch@1): the per-capture lines and totals,
 * then `reports`, every capture's complete report@1 (the same text as
 * `--format json` gives for that capture alone, indented four spaces, so
 * its flows are still one per line). In pieces, as the JSON renderer yields.
 */
export function* renderBatchJson(b: BatchReport): Generator<string> {
  const head = JSON.stringify(
    {
      schema: b.schema,
      tool: b.tool,
      captures: b.captures.map((e) => ({
        path: e.path,
        status: e.status,
        error: e.error,
        summary: e.report?.summary ?? null,
        blocked: e.report?.blocked.map((g) => g.summary) ?? [],
      })),
      totals: b.totals,
    },
    null,
    2,
  );
  // head ends with "\n}"; reopen it for the reports.
  yield `${head.slice(0, -2)},\n  "reports": [`;
  let n = 0;
  for (const e of b.captures) {
    if (e.report === null) continue;
    yield n++ === 0 ? "\n    " : ",\n    ";
    // Re-indented chunk by chunk; the last one loses its closing newline.
    let pending: string | null = null;
    for (const chunk of renderJson(e.report)) {
      if (pending !== null) yield pending.replaceAll("\n", "\n    ");
      pending = chunk;
    }
    if (pending !== null) yield pending.trimEnd().replaceAll("\n", "\n    ");
  }
  yield n === 0 ? "]\n}\n" : "\n  ]\n}\n";
}

export function renderBatchHtml(b: BatchReport): string {
  const rows = [...b.captures.map(rowOf), totalsRow(b)];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>ocs-pcap batch summary</title>
<style>body{font:14px system-ui,sans-serif;margin:24px}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:4px 8px}td.n{text-align:right}</style></head>
<body><h1>ocs-pcap batch summary</h1>
<table><thead><tr>${COLUMNS.map((c) => `<th>${c}</th>`).join("")}</tr></thead><tbody>
${rows.map((r) => `<tr>${r.map((c, i) => `<td${i >= 2 ? ' class="n"' : ""}>${h(String(c))}</td>`).join("")}</tr>`).join("\n")}
</tbody></table>
${(() => {
  const p = problems(b);
  return p.length === 0 ? "" : `<h2>Problems</h2><ul>${p.map((line) => `<li>${h(line)}</li>`).join("")}</ul>`;
})()}</body></html>
`;
}

// --- Reading saved JSON reports back ---------------------------------------------

interface JsonFlow {
  id: number;
  transport: string;
  client: { ip: string; port: number | null };
  server: { ip: string; port: number | null };
  verdict: Verdict;
  application?: Application;
  roles: RoleRef[];
  state: string;
  history: string;
  packets: { fromClient: number; fromServer: number };
  bytes: { fromClient: number; fromServer: number };
  firstSeen: string;
  lastSeen: string;
  firstFrame?: number;
  process?: FlowProcess;
  sip?: FlowRecord["sip"];
  tls?: FlowRecord["tls"];
  stun?: FlowRecord["stun"];
  filter?: string;
  reasons: (Reason & { message?: string })[];
}

/**
 * A JSON report (contract ocs-pcap/report@1, already checked against the
 * schema) back into the model; throws on a report of another schema.
 */
export function reportFromJson(json: unknown): Report {
  const r = json as Omit<Report, "flows" | "blocked"> & {
    flows: JsonFlow[];
    blocked?: (Omit<Report["blocked"][number], "firstSeen" | "lastSeen"> & {
      firstSeen: string;
      lastSeen: string;
    })[];
  };
  if (r.schema !== REPORT_SCHEMA)
    throw new Error(`not an ${REPORT_SCHEMA} report (schema: ${String(r.schema)})`);
  const flows: FlowRecord[] = r.flows.map((f) => ({
    id: f.id,
    transport: f.transport,
    clientIp: f.client.ip,
    clientPort: f.client.port,
    serverIp: f.server.ip,
    serverPort: f.server.port,
    verdict: f.verdict,
    application: f.application ?? { protocol: "unknown", confidence: "unidentified" },
    roles: f.roles,
    state: f.state,
    history: f.history,
    packetsFromClient: f.packets.fromClient,
    packetsFromServer: f.packets.fromServer,
    bytesFromClient: f.bytes.fromClient,
    bytesFromServer: f.bytes.fromServer,
    payloadFromClient: -1,
    payloadFromServer: -1,
    ipBytesFromClient: -1,
    ipBytesFromServer: -1,
    firstSeen: isoToMicros(f.firstSeen),
    lastSeen: isoToMicros(f.lastSeen),
    firstFrame: f.firstFrame ?? 0,
    // Not report@1 fields of their own: the saved display filter says what it named.
    ...savedFilterFacts(f.filter),
    ...(f.process === undefined ? {} : { process: f.process }),
    ...(f.sip === undefined ? {} : { sip: f.sip }),
    ...(f.tls === undefined ? {} : { tls: f.tls }),
    ...(f.stun === undefined ? {} : { stun: f.stun }),
    reasons: f.reasons.map((x) => ({ code: x.code, details: x.details }) as Reason),
  }));
  const report: Report = {
    schema: REPORT_SCHEMA,
    tool: r.tool,
    ...(r.catalog === undefined ? {} : { catalog: r.catalog }),
    // skipped, accounting and warnings are optional in the schema (older reports lack them).
    capture: {
      ...r.capture,
      skipped: r.capture.skipped ?? {},
      warnings: r.capture.warnings ?? [],
      accounting: r.capture.accounting ?? { inFlows: 0, icmpEvidence: 0, malformed: 0, skipped: 0 },
    },
    summary: { ...r.summary, inconclusive: r.summary.inconclusive ?? 0 },
    // Older reports lack the reason counts (those of the flows they list) and media findings.
    reasons: r.reasons ?? countReasons(flows),
    // Verdict counts a report of its own making always has; one saved by hand may lack them (0, not a crash).
    roles: (r.roles ?? []).map((x) => ({
      ...x,
      known: x.known ?? 0,
      blocked: x.blocked ?? 0,
      misdirected: x.misdirected ?? 0,
      inconclusive: x.inconclusive ?? 0,
    })),
    media: r.media ?? [],
    ...(r.signIn === undefined ? {} : { signIn: signInFromJson(r.signIn, r.summary.signInFailures) }),
    // Known flows per service port (`--expect`); older reports lack them (cli/policy.ts then counts the listed flows).
    ...(r.services === undefined ? {} : { services: r.services }),
    unknown: r.unknown ?? [],
    blocked: (r.blocked ?? []).map((g) => ({
      ...g,
      firstSeen: isoToMicros(g.firstSeen),
      lastSeen: isoToMicros(g.lastSeen),
    })),
    flows,
  };
  checkSaved(report);
  return report;
}

/**
 * What the schema cannot say of a saved report: every timestamp a real date,
 * every count an exact integer (at most 2^53 - 1), a summary that covers its
 * own flows and its per-port known counts (`services`, which `--expect` reads),
 * and reasons whose details fit their code (they are rendered).
 * Throws an Error naming the first problem.
 */
function checkSaved(report: Report): void {
  const count = (n: unknown, what: string) => {
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0)
      throw new Error(`${what} is not a count: ${String(n)}`);
  };
  const time = (t: number, what: string) => {
    if (!Number.isFinite(t) || Number.isNaN(new Date(Math.floor(t / 1000)).getTime()))
      throw new Error(`${what} is not a real date`);
  };
  const s = report.summary;
  for (const [k, v] of Object.entries(s)) count(v, `summary.${k}`);
  count(report.capture.packets, "capture.packets");
  count(report.capture.bytes, "capture.bytes");
  for (const v of Object.values(report.capture.anomalies)) count(v, "an anomaly count");
  for (const x of report.services ?? []) {
    count(x.known, `services' ${x.port}/${x.transport} known`);
    count(x.tlsComplete, `services' ${x.port}/${x.transport} tlsComplete`);
    if (x.tlsComplete > x.known)
      throw new Error(
        `services' ${x.port}/${x.transport} has more completed TLS handshakes than known flows`,
      );
  }
  const serviced = (report.services ?? []).reduce((n, x) => n + x.known, 0);
  if (report.services !== undefined && serviced > s.known)
    throw new Error(`services count ${serviced} known flows, more than summary.known (${s.known})`);
  if (s.flows < report.flows.length)
    throw new Error(`summary.flows (${s.flows}) is below the ${report.flows.length} flows listed`);
  for (const verdict of ["known", "unknown", "blocked", "misdirected", "inconclusive"] as const) {
    const listed = report.flows.filter((f) => f.verdict === verdict).length;
    if (s[verdict] < listed)
      throw new Error(`summary.${verdict} (${s[verdict]}) is below the ${listed} ${verdict} flows listed`);
  }
  for (const f of report.flows) {
    time(f.firstSeen, `flow ${f.id}'s firstSeen`);
    time(f.lastSeen, `flow ${f.id}'s lastSeen`);
    for (const x of f.reasons) {
      // Every renderer says a reason in words (its text) or a few (its brief): a detail its code
      // needs and the report lacks shows as a throw, a non-string, or "undefined"/"NaN" in the words.
      let fits: boolean;
      // ms-diagnostics and a drop reason are the capture's own text, which may say anything: left out of the check.
      const probe: Reason =
        x.code === "sip_error"
          ? { code: x.code, details: { ...x.details, diagnostics: null } }
          : x.code === "host_dropped" && typeof x.details.reason === "string"
            ? { code: x.code, details: { ...x.details, reason: "-" } }
            : x.code === "tls_name_mismatch" && typeof x.details.name === "string"
              ? { code: x.code, details: { ...x.details, name: "-" } }
              : "subject" in x.details && typeof x.details.subject === "string"
                ? ({ code: x.code, details: { ...x.details, subject: "-" } } as Reason)
                : x;
      try {
        const text = reasonText(probe);
        const brief = reasonBrief(probe);
        fits =
          typeof text === "string" &&
          typeof brief === "string" &&
          !/\b(undefined|NaN)\b/.test(`${text} ${brief}`);
      } catch {
        fits = false;
      }
      if (!fits) throw new Error(`flow ${f.id}'s ${x.code} reason has details that do not fit its code`);
    }
  }
  for (const g of report.blocked) {
    time(g.firstSeen, "a blocked group's firstSeen");
    time(g.lastSeen, "a blocked group's lastSeen");
  }
}

/** Flows per reason code among `flows`, in the README's order. */
function countReasons(flows: readonly FlowRecord[]): Record<string, number> {
  const n = new Map<string, number>();
  for (const f of flows)
    for (const code of new Set(f.reasons.map((x) => x.code))) n.set(code, (n.get(code) ?? 0) + 1);
  return Object.fromEntries(REASON_CODES.filter((c) => n.has(c)).map((c) => [c, n.get(c)!]));
}
