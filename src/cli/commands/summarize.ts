/**
 * `ocs-pcap summarize`: merges saved JSON reports (or batch files holding
 * them) into one batch report, validating each against the schema, and
 * counting a capture read twice once.
 */

import { InputError } from "../../capture/source.js";
import { BATCH_SCHEMA, type BatchEntry, buildBatch, reportFromJson } from "../../report/batch.js";
import { escapeTerminalLine as line1 } from "../../report/escape.js";
import { DEFAULT_LIST_LIMIT, type Report } from "../../report/model.js";
import reportSchema from "../../report/report.schema.json" with { type: "json" };
import { DEFAULT_WIDTH } from "../../report/table.js";
import { LazySchema } from "../../schema.js";
import { deliver } from "../deliver.js";
import { EXIT } from "../exit.js";
import { type RenderOptions, renderBatch } from "../formats.js";
import type { Io } from "../io.js";
import { parsePolicy, type SummarizeCliOptions } from "../options.js";
import { InputGuard } from "../protect.js";
import { readSavedReport } from "../saved.js";
import { refuseOverwrite } from "./analyze.js";

export const SAVED_REPORT = new LazySchema<unknown>(reportSchema);

export async function summarizeCommand(
  files: string[],
  opts: SummarizeCliOptions,
  io: Io,
  version: string,
): Promise<number> {
  const policy = parsePolicy(opts);
  refuseOverwrite(new InputGuard(files), "--output", opts.output);
  const entries: BatchEntry[] = [];
  /** Captures read so far (path, packets, first packet), and the file each came from. */
  const seen = new Map<string, string>();
  let worst: number = EXIT.OK;
  const fail = (file: string, error: string, message: string) => {
    io.stderr(`ocs-pcap: ${line1(file)}: ${line1(message)}\n`);
    entries.push({ path: file, status: "error", error, report: null });
    worst = EXIT.DATAERR;
  };
  /** One saved report@1 (a file, or one of a batch file's reports). */
  const add = (data: unknown, file: string) => {
    if (!SAVED_REPORT.check(data)) {
      fail(
        file,
        "not an ocs-pcap report",
        `not an ocs-pcap/report@1 report: ${SAVED_REPORT.problems(3).join("; ")}`,
      );
      return;
    }
    let report: Report;
    try {
      report = reportFromJson(data);
    } catch (err) {
      // Schema-valid but impossible: a timestamp no date holds, counts past 2^53, a summary its flows contradict.
      const why = err instanceof Error ? err.message : String(err);
      fail(file, `not a usable report: ${why}`, `not a usable report: ${why}`);
      return;
    }
    // The same capture twice (its report and a batch file holding it, or one file named twice) counts once.
    const c = report.capture;
    const key = `${c.path}\u0000${c.packets}\u0000${c.firstSeen}`;
    const before = seen.get(key);
    if (before !== undefined) {
      io.stderr(
        `ocs-pcap: warning: ${line1(file)}: the report of ${line1(c.path)} was already read from ${line1(before)}; counted once\n`,
      );
      return;
    }
    seen.set(key, file);
    entries.push({ path: c.path, status: "ok", error: null, report });
  };
  for (const file of files) {
    let data: unknown;
    try {
      data = await readSavedReport(file);
    } catch (err) {
      if (err instanceof InputError) throw err;
      fail(file, "not JSON", `not JSON: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    // A batch file (ocs-pcap/batch@1, from analyze --format json on several captures) holds complete reports.
    if (isBatchFile(data)) {
      if (!Array.isArray(data.reports)) {
        io.stderr(
          `ocs-pcap: warning: ${line1(file)}: a batch summary (${BATCH_SCHEMA}) without its reports, from an older ocs-pcap; skipped: summarize the per-capture reports\n`,
        );
        continue;
      }
      data.reports.forEach((r: unknown, k: number) => {
        add(r, `${file} (report ${k + 1})`);
      });
      continue;
    }
    add(data, file);
  }
  const render: RenderOptions = { limit: DEFAULT_LIST_LIMIT, width: DEFAULT_WIDTH, color: false, policy };
  const chunks = renderBatch(buildBatch(entries, version), opts.format, render);
  return deliver(chunks, opts.output, entries, policy, true, worst !== EXIT.OK, io);
}

function isBatchFile(data: unknown): data is { schema: string; reports?: unknown } {
  return typeof data === "object" && data !== null && (data as { schema?: unknown }).schema === BATCH_SCHEMA;
}
