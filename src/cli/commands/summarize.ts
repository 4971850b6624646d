/**
 * `ocs-pcap summarize`: merges saved JSON reports (or batch files holding
 * them) into one batch report, validating each against the schema, and
 * counting a capture read twice once.
 */

import { lstatSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../../capture/source.js";
import { BATCH_SCHEMA, type BatchEntry, buildBatch, reportFromJson } from "../../report/batch.js";
import { escapeTerminalLine as line1 } from "../../report/escape.js";
import { DEFAULT_LIST_LIMIT, type Report } from "../../report/model.js";
import reportSchema from "../../report/report.schema.json" with { type: "json" };
import { LazySchema } from "../../schema.js";
import { deliver } from "../deliver.js";
import { EXIT, UsageError } from "../exit.js";
import { type RenderOptions, renderBatch } from "../formats.js";
import type { Io } from "../io.js";
import { outputPath, parsePolicy, parseTimeZone, type SummarizeCliOptions, tableWidth } from "../options.js";
import { InputGuard } from "../protect.js";
import { readSavedReport } from "../saved.js";
import { looksLikeCapture } from "../walk.js";
import { refuseOverwrite } from "./analyze.js";

export const SAVED_REPORT = new LazySchema<unknown>(reportSchema);

export async function summarizeCommand(
  inputs: string[],
  opts: SummarizeCliOptions,
  io: Io,
  version: string,
): Promise<number> {
  const policy = parsePolicy(opts);
  const output = outputPath(opts.output);
  const { files, walked } = reportFiles(inputs);
  if (files.length === 0) throw new UsageError(`no JSON reports found in ${inputs.join(", ")}`);
  refuseOverwrite(new InputGuard(files), "--output", output);
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
    if (looksLikeCapture(file)) {
      fail(
        file,
        "a capture file, not a report",
        "this is a capture file, not a report; use `ocs-pcap analyze` on it",
      );
      continue;
    }
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
      // In a folder, a batch file sits beside its captures' own reports (--report-dir's batch/):
      // its reports are read from those, and only its unreadable captures (which have none) from it.
      const inFolder = walked.has(file);
      if (!inFolder) {
        if (!Array.isArray(data.reports)) {
          io.stderr(
            `ocs-pcap: warning: ${line1(file)}: a batch summary (${BATCH_SCHEMA}) without its reports, from an older ocs-pcap; skipped: summarize the per-capture reports\n`,
          );
          continue;
        }
        data.reports.forEach((r: unknown, k: number) => {
          add(r, `${file} (report ${k + 1})`);
        });
      }
      // Its unreadable captures stay unreadable: named, and exit 65 as the batch did.
      for (const c of Array.isArray(data.captures) ? data.captures : []) {
        const entry = c as { path?: unknown; status?: unknown; error?: unknown };
        if (entry.status !== "error" || typeof entry.path !== "string") continue;
        const why = typeof entry.error === "string" ? entry.error : "unreadable";
        fail(entry.path, why, `${why} (as ${file} records)`);
      }
      continue;
    }
    add(data, file);
  }
  // Reports found in folders come in the order of their captures' paths, as analyze walks a
  // folder: shards of one batch, summarised from their folders, give the batch's own summary.
  if (walked.size > 0) entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const render: RenderOptions = {
    limit: DEFAULT_LIST_LIMIT,
    width: tableWidth(opts.width, output, io),
    ...(opts.tz === undefined ? {} : { tz: parseTimeZone(opts.tz)! }),
    color: false,
    policy,
  };
  const chunks = renderBatch(buildBatch(entries, version), opts.format, render);
  return deliver(chunks, output, entries, policy, true, worst !== EXIT.OK, io);
}

function isBatchFile(data: unknown): data is { schema: string; reports?: unknown; captures?: unknown } {
  return typeof data === "object" && data !== null && (data as { schema?: unknown }).schema === BATCH_SCHEMA;
}

/**
 * The files to read: each argument that is a file, and the `.json` files
 * of each folder argument, walked in name order (not through symbolic links).
 * `walked` holds those found in folders.
 */
function reportFiles(inputs: readonly string[]): { files: string[]; walked: Set<string> } {
  const files: string[] = [];
  const walked = new Set<string>();
  for (const input of inputs) {
    let dir = false;
    try {
      dir = statSync(input).isDirectory();
    } catch {
      dir = false;
    }
    if (!dir) {
      files.push(input);
      continue;
    }
    const found = readdirSync(input, { recursive: true, encoding: "utf8" })
      .filter((name) => name.endsWith(".json"))
      .map((name) => join(input, name))
      .filter((p) => {
        try {
          return lstatSync(p).isFile();
        } catch {
          return false;
        }
      })
      .sort();
    for (const p of found) {
      files.push(p);
      walked.add(p);
    }
  }
  return { files, walked };
}
