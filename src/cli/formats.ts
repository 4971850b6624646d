/**
 * The format registry: each output format's renderer for one report and for
 * a batch, and its file extension. Adding a format touches this file and the
 * renderer's own.
 */

import {
  type BatchReport,
  renderBatchHtml,
  renderBatchJson,
  renderBatchMarkdown,
  renderBatchText,
} from "../report/batch.js";
import { CSV_HEADER, renderCsv } from "../report/csv.js";
import { renderHtmlChunks } from "../report/html.js";
import { renderJson } from "../report/json.js";
import { type JunitOptions, renderJunit } from "../report/junit.js";
import { renderMarkdown } from "../report/markdown.js";
import type { Report } from "../report/model.js";
import { NdjsonLines, renderNdjson } from "../report/ndjson.js";
import { renderTable } from "../report/table.js";
import { renderZeekJson, renderZeekTsv } from "../report/zeek.js";
import { type Policy, policyOutcomes } from "./policy.js";

export const FORMATS = [
  "table",
  "json",
  "markdown",
  "html",
  "junit",
  "csv",
  "zeek",
  "zeek-json",
  "ndjson",
] as const;

export type Format = (typeof FORMATS)[number];

export const EXTENSIONS: Record<Format, string> = {
  table: "txt",
  json: "json",
  markdown: "md",
  html: "html",
  junit: "junit.xml",
  csv: "csv",
  zeek: "conn.log",
  "zeek-json": "conn.jsonl",
  ndjson: "ndjson",
};

/**
 * Formats whose schema holds every flow: per-flow records (CSV, Zeek,
 * ndjson), or complete report@1 objects (JSON's batch@1 `reports`). A batch
 * gives the same records for every capture, so the schema never depends on
 * the number of inputs.
 */
export const PER_FLOW_FORMATS: ReadonlySet<Format> = new Set(["json", "csv", "zeek", "zeek-json", "ndjson"]);

export interface RenderOptions {
  limit: number;
  /** Table format: columns to fit (0: no limit). */
  width: number;
  /** Human formats (table, Markdown, HTML): the time zone of the times shown; JSON and the rest stay UTC. */
  tz?: string;
  color: boolean;
  policy: Policy;
}

/** One report in one format, as text chunks. */
export function renderReport(report: Report, format: Format, o: RenderOptions): Iterable<string> {
  switch (format) {
    case "json":
      return renderJson(report);
    case "markdown":
      return [renderMarkdown(report, { limit: o.limit, ...zone(o) })];
    case "html":
      return renderHtmlChunks(report, { maxRows: 5000, ...zone(o) });
    case "junit":
      return [renderJunit([report], junitOptions([report], o.policy))];
    case "csv":
      return renderCsv(report);
    case "zeek":
      return renderZeekTsv([report]);
    case "zeek-json":
      return renderZeekJson([report]);
    case "ndjson":
      return renderNdjson([report]);
    default:
      return [renderTable(report, { limit: o.limit, color: o.color, width: o.width, ...zone(o) })];
  }
}

/** The JUnit renderer's options: the policy's verdicts it fails on, and each report's policy checks, evaluated here. */
export function junitOptions(reports: readonly Report[], policy: Policy): JunitOptions {
  return {
    failOnUnknown: policy.failOn.includes("unknown"),
    failOnInconclusive: policy.failOn.includes("inconclusive"),
    policy: reports.map((r) => policyOutcomes(r, policy)),
  };
}

/**
 * A batch report in one format: for table and Markdown, each capture's report
 * then the summary (only the summary with `summaryOnly`, as in --report-dir,
 * where each capture has its own file); JUnit holds every capture's suite;
 * JSON is batch@1 with every complete report; CSV, Zeek and ndjson are the
 * captures' flow records, as for one capture; HTML is the summary.
 */
export function* renderBatch(
  batch: BatchReport,
  format: Format,
  o: RenderOptions & { summaryOnly?: boolean },
): Generator<string> {
  const reports = batch.captures.flatMap((e) => (e.report ? [e.report] : []));
  const each = o.summaryOnly === true ? [] : reports;
  switch (format) {
    case "json":
      yield* renderBatchJson(batch);
      return;
    case "markdown":
      for (const r of each) yield `${renderMarkdown(r, { limit: o.limit, ...zone(o) })}\n`;
      yield renderBatchMarkdown(batch);
      return;
    case "html":
      yield renderBatchHtml(batch);
      return;
    case "junit":
      yield renderJunit(reports, junitOptions(reports, o.policy));
      return;
    case "csv":
      // One header, then every capture's flow rows: the same columns as for one capture.
      yield CSV_HEADER;
      for (const r of reports) yield* renderCsv(r, false);
      return;
    case "zeek":
      yield* renderZeekTsv(reports);
      return;
    case "zeek-json":
      yield* renderZeekJson(reports);
      return;
    case "ndjson": {
      // Each capture in turn: its lines, or the line saying it could not be read.
      const lines = new NdjsonLines();
      for (const e of batch.captures) {
        if (e.report === null) yield lines.unreadable(e.path, e.error ?? "unreadable");
        else yield* renderNdjson([e.report]);
      }
      return;
    }
    default:
      for (const r of each)
        yield `${renderTable(r, { limit: o.limit, color: o.color, width: o.width, ...zone(o) })}\n`;
      yield renderBatchText(batch, o.width);
  }
}

/** The --tz option as renderer options (absent: UTC). */
function zone(o: RenderOptions): { tz?: string } {
  return o.tz === undefined ? {} : { tz: o.tz };
}
