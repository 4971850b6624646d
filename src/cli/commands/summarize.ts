/**
 * `ocs-pcap summarize`: merges saved JSON reports into one batch report,
 * validating each against the schema.
 */

import { InputError } from "../../capture/source.js";
import { type BatchEntry, buildBatch, reportFromJson } from "../../report/batch.js";
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
  let worst: number = EXIT.OK;
  for (const file of files) {
    let data: unknown;
    try {
      data = await readSavedReport(file);
    } catch (err) {
      if (err instanceof InputError) throw err;
      io.stderr(
        `ocs-pcap: ${line1(file)}: not JSON: ${line1(err instanceof Error ? err.message : String(err))}\n`,
      );
      entries.push({ path: file, status: "error", error: "not JSON", report: null });
      worst = EXIT.DATAERR;
      continue;
    }
    if (!SAVED_REPORT.check(data)) {
      io.stderr(
        `ocs-pcap: ${file}: not an ocs-pcap/report@1 report: ${SAVED_REPORT.problems(3).join("; ")}\n`,
      );
      entries.push({ path: file, status: "error", error: "not an ocs-pcap report", report: null });
      worst = EXIT.DATAERR;
      continue;
    }
    let report: Report;
    try {
      report = reportFromJson(data);
    } catch (err) {
      // Schema-valid but impossible: a timestamp no date holds, counts past 2^53, a summary its flows contradict.
      const why = err instanceof Error ? err.message : String(err);
      io.stderr(`ocs-pcap: ${line1(file)}: not a usable report: ${line1(why)}\n`);
      entries.push({ path: file, status: "error", error: `not a usable report: ${why}`, report: null });
      worst = EXIT.DATAERR;
      continue;
    }
    entries.push({ path: report.capture.path, status: "ok", error: null, report });
  }
  const render: RenderOptions = { limit: DEFAULT_LIST_LIMIT, width: DEFAULT_WIDTH, color: false, policy };
  const chunks = renderBatch(buildBatch(entries, version), opts.format, render);
  return deliver(chunks, opts.output, entries, policy, true, worst !== EXIT.OK, io);
}
