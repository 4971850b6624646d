/**
 * `ocs-pcap analyze`: reads captures (one, or a batch over workers), applies
 * the policy and writes the reports, refusing any output that is an input.
 */

import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { basename, join, resolve } from "node:path";
import { LIMIT_WARNING_CODES, STDIN_LABEL } from "../../analyze.js";
import { type BatchEntry, buildBatch } from "../../report/batch.js";
import { escapeTerminalLine as line1 } from "../../report/escape.js";
import { NdjsonLines } from "../../report/ndjson.js";
import { redactReport } from "../../report/redact.js";
import { inShard, type JobResult, type KeepFlows, runJob, runJobs } from "../batch.js";
import { deliver, policyExit, writeFailure, writeReportFile } from "../deliver.js";
import { EXIT, UsageError } from "../exit.js";
import { parseInputFilter } from "../filter-options.js";
import {
  EXTENSIONS,
  FORMATS,
  type Format,
  PER_FLOW_FORMATS,
  type RenderOptions,
  renderBatch,
  renderReport,
} from "../formats.js";
import type { Io } from "../io.js";
import type { JobSettings } from "../job.js";
import { defaultJobs } from "../jobs.js";
import {
  type AnalyzeCliOptions,
  builtInTopology,
  checkExpectationsFile,
  loadCatalog,
  loadTopology,
  outputPath,
  parseNonNegativeInt,
  parsePolicy,
  parsePositiveSeconds,
  parseShard,
  parseTimeZone,
  redactKeyOption,
  statSize,
  tableWidth,
} from "../options.js";
import { makeFolders } from "../output.js";
import { progressFor } from "../progress.js";
import { InputGuard } from "../protect.js";
import { flowLineWriter, NdjsonOutput, redactorFor } from "../stream.js";
import { expandInputs } from "../walk.js";

export async function analyzeCommand(
  captures: string[],
  opts: AnalyzeCliOptions,
  io: Io,
  version: string,
): Promise<number> {
  const policy = parsePolicy(opts);
  const output = outputPath(opts.output);
  if (opts.reportDir === "") throw new UsageError("--report-dir needs a folder name");
  const limit = parseNonNegativeInt(opts.limit, "--limit");
  const askedJobs =
    opts.jobs === undefined ? availableParallelism() : parseNonNegativeInt(opts.jobs, "--jobs");
  if (askedJobs < 1) throw new UsageError("--jobs must be at least 1");
  // Each worker is a V8 isolate (tens of MB and a cold start): more than four per core only costs memory.
  const maxJobs = availableParallelism() * 4;
  const jobs = Math.min(askedJobs, maxJobs);
  if (askedJobs > maxJobs) {
    io.stderr(`ocs-pcap: warning: --jobs ${askedJobs} is more than 4 per CPU; using ${maxJobs}\n`);
  }
  const maxFlows = parseNonNegativeInt(opts.maxFlows, "--max-flows");
  const maxFragments = parseNonNegativeInt(opts.maxFragments, "--max-fragments");
  if (maxFragments < 1) throw new UsageError("--max-fragments must be at least 1");
  const maxReassembly = parseNonNegativeInt(opts.maxReassembly, "--max-reassembly");
  const maxReportFlows = parseNonNegativeInt(opts.maxReportFlows, "--max-report-flows");
  if (maxFlows < 10) throw new UsageError("--max-flows must be at least 10");
  const maxRecordLen = parseNonNegativeInt(opts.maxRecordLen, "--max-record-len");
  if (maxRecordLen < 64 || maxRecordLen > 64 * 1024 * 1024) {
    throw new UsageError("--max-record-len must be between 64 and 67108864 bytes");
  }
  const tcpTimeout = parsePositiveSeconds(opts.tcpTimeout, "--tcp-timeout");
  const udpTimeout = parsePositiveSeconds(opts.udpTimeout, "--udp-timeout");
  if (
    (opts.redactKey !== undefined || opts.redactKeyFile !== undefined || opts.redactKeepDomain) &&
    !opts.redact
  ) {
    throw new UsageError("--redact-key, --redact-key-file and --redact-keep-domain go with --redact");
  }
  if (opts.redactKey !== undefined && opts.redactKeyFile !== undefined) {
    throw new UsageError("give the key once: --redact-key or --redact-key-file");
  }
  if (captures.includes("-") && captures.length > 1)
    throw new UsageError("'-' (standard input) cannot be combined with other inputs");

  const index = loadCatalog(opts.catalog, opts.catalogExtend, opts.product);
  if (opts.expect !== undefined) checkExpectationsFile(policy.expect, index.index, opts.expect);
  // Without a topology file, a product's published address sets place its roles (Teams' media relays).
  const topology =
    opts.topology === undefined
      ? builtInTopology(index.products, index.index)
      : loadTopology(opts.topology, index.index);
  const settings: JobSettings = {
    version,
    maxRecordLen,
    maxFlows,
    maxFragments,
    maxReassembly,
    maxReportFlows,
    tcpTimeoutMicros: tcpTimeout * 1_000_000,
    udpTimeoutMicros: udpTimeout * 1_000_000,
    checksums: opts.checksums === true,
    dropped: opts.dropped === true,
    catalog: index.source,
    products: index.products,
    topology: topology?.source ?? null,
    filter: parseInputFilter(opts),
  };
  const width = tableWidth(opts.width, output, io);
  const tz = parseTimeZone(opts.tz);
  const render: RenderOptions = {
    limit,
    width,
    ...(tz === undefined ? {} : { tz }),
    // --color always colours standard output even into a pipe; a file never gets colour.
    color:
      output === undefined &&
      opts.format === "table" &&
      (opts.color === "always" || (opts.color !== "never" && io.color === true)),
    policy,
  };
  // The key is text every thread can rebuild the Redactor from (workers redact streamed flows):
  // a random one is 64 hex digits, which the Redactor takes as the raw key.
  const redaction = opts.redact
    ? {
        key: redactKeyOption(opts).key ?? randomBytes(32).toString("hex"),
        keepDomain: opts.redactKeepDomain === true,
      }
    : null;
  const redactor = redaction === null ? null : redactorFor(redaction);

  const shard = parseShard(opts, process.env);
  const expanded = expandInputs(captures);
  for (const r of expanded.repeated)
    io.stderr(`ocs-pcap: note: ${line1(r)} names a capture already given; it is analysed once\n`);
  if (expanded.paths.length === 0 && expanded.unnamed.length === 0)
    throw new UsageError(`no capture files found in ${captures.join(", ")}`);
  // A shard is always a batch (the same outputs whatever it holds, even nothing).
  const batch = expanded.batch || shard !== null;
  const paths =
    shard === null
      ? expanded.paths
      : expanded.paths.filter((_, i) => inShard(expanded.keys[i]!, shard.index, shard.count));
  const unnamed =
    shard === null
      ? expanded.unnamed
      : expanded.unnamed.filter((u) => inShard(u.path, shard.index, shard.count));
  if (shard !== null) {
    io.stderr(
      `ocs-pcap: shard ${shard.index + 1}/${shard.count}: ${paths.length + unnamed.length} of ${expanded.paths.length + expanded.unnamed.length} captures\n`,
    );
  }
  // Nothing is written over an input: -o, and every file --report-dir would write.
  const guard = new InputGuard(paths);
  refuseOverwrite(guard, "--output", output);
  // Report files are named after the capture, redacted when the run is.
  const reportName = (p: string) => (redactor ? redactor.path(p) : p);
  const reportTargets =
    opts.reportDir === undefined ? [] : reportDirTargets(opts.reportDir, paths, batch, reportName);
  for (const t of reportTargets) refuseOverwrite(guard, "--report-dir", t.path);
  if (output !== undefined && reportTargets.some((t) => resolve(t.path) === resolve(output)))
    throw new UsageError(`--output ${output} is also a file --report-dir writes; choose another name`);

  // ndjson without --report-dir streams: each flow's line is written as the flow ends.
  const streaming = opts.format === "ndjson" && opts.reportDir === undefined;
  let out: NdjsonOutput | null = null;
  if (streaming) {
    try {
      out = NdjsonOutput.open(output, io.stdout);
    } catch (err) {
      return writeFailure(output ?? "-", err, io);
    }
  }

  let results: JobResult[];
  if (!batch) {
    const path = paths[0]!;
    let size = 0;
    try {
      size = path === "-" ? 0 : statSize(path);
    } catch {
      size = 0;
    }
    const progress = progressFor(size, opts.quiet === true);
    const shown = path === "-" ? STDIN_LABEL : path;
    try {
      results = [
        await runJob(path, settings, {
          ...(io.stdin === undefined ? {} : { stdin: io.stdin }),
          ...(progress ? { onProgress: progress.onProgress } : {}),
          ...(out === null
            ? {}
            : { onFlowRecord: flowLineWriter(shown, redaction, out.write), pause: out.pause }),
        }),
      ];
    } catch (err) {
      out?.abort();
      throw err;
    } finally {
      progress?.stop();
    }
  } else {
    // Every flow is needed to write each capture's report (--expect reads the
    // report's service counts) and for the formats that hold every flow; the
    // batch table, Markdown and JUnit list only flows that are not known.
    const keepFlows: KeepFlows =
      out !== null
        ? "none"
        : opts.reportDir !== undefined || PER_FLOW_FORMATS.has(opts.format)
          ? "all"
          : opts.format === "table" || opts.format === "markdown" || opts.format === "junit"
            ? "notable"
            : "none";
    try {
      results = await runJobs(paths, settings, opts.jobs === undefined ? defaultJobs(paths, jobs) : jobs, {
        keepFlows,
        ...(io.workerScript === undefined ? {} : { workerScript: io.workerScript }),
        ...(out === null ? {} : { stream: { folder: out.spoolFolder(), redaction } }),
      });
    } catch (err) {
      out?.abort();
      throw err;
    }
  }
  for (const { path, message } of unnamed)
    results.push({ path, report: null, error: { code: EXIT.NOINPUT, message } });

  // Redaction applies to every output of the run, with one key.
  const entries: BatchEntry[] = results.map((r) => {
    const report = r.report && redactor ? redactReport(r.report, redactor) : r.report;
    return {
      path: report ? report.capture.path : redactor ? redactor.path(r.path) : r.path,
      status: report ? "ok" : "error",
      error: r.error ? (redactor ? redactor.text(r.error.message) : r.error.message) : null,
      report,
    };
  });

  let worst: number = EXIT.OK;
  let strictFailed = false;
  for (const [i, r] of results.entries()) {
    if (r.error) {
      io.stderr(`ocs-pcap: ${line1(entries[i]!.path)}: ${line1(entries[i]!.error ?? "")}\n`);
      worst = Math.max(worst, r.error.code);
    }
    const report = entries[i]!.report;
    if (report) {
      for (const w of report.capture.warnings)
        io.stderr(
          `ocs-pcap: warning: ${line1(report.capture.path)}: offset ${w.offset}: ${line1(w.message)}\n`,
        );
      // --strict: a cut or damaged capture is a data error, reported after the report is written.
      if (opts.strict === true && report.capture.warnings.some((w) => !LIMIT_WARNING_CODES.has(w.code)))
        strictFailed = true;
    }
  }
  if (!batch && worst !== EXIT.OK) {
    out?.abort();
    return worst;
  }

  if (opts.reportDir !== undefined) {
    try {
      makeFolders(batch ? join(opts.reportDir, "batch") : opts.reportDir);
    } catch (err) {
      io.stderr(
        `ocs-pcap: ${line1(opts.reportDir)}: cannot create the report directory: ${line1(err instanceof Error ? err.message : String(err))}\n`,
      );
      return EXIT.CANTCREAT;
    }
    for (const t of reportTargets) {
      if (t.capture === null) continue;
      const report = entries[t.capture]!.report;
      if (!report) continue;
      const failed = writeReportFile(t.path, renderReport(report, t.format, { ...render, color: false }), io);
      if (failed !== EXIT.OK) return failed;
    }
    if (batch) {
      const summary = buildBatch(entries, version);
      for (const t of reportTargets) {
        if (t.capture !== null) continue;
        const o = { ...render, color: false, summaryOnly: true };
        const failed = writeReportFile(t.path, renderBatch(summary, t.format, o), io);
        if (failed !== EXIT.OK) return failed;
      }
    }
  }

  const dataError = worst !== EXIT.OK || strictFailed;
  if (out !== null) {
    // The flows are written (or spooled): each capture's spool in argument order, then its capture line.
    const lines = new NdjsonLines();
    try {
      for (const [i, e] of entries.entries()) {
        if (e.report === null) {
          out.write(lines.unreadable(e.path, e.error ?? "unreadable"));
          continue;
        }
        if (batch) await out.append(join(out.spoolFolder(), `${i}.ndjson`));
        out.write(lines.capture(e.report));
      }
      await out.close();
    } catch (err) {
      out.abort();
      return writeFailure(output ?? "-", err, io);
    }
    return policyExit(entries, policy, batch, dataError, io);
  }

  const chunks = batch
    ? renderBatch(buildBatch(entries, version), opts.format, render)
    : renderReport(entries[0]!.report!, opts.format, render);
  return deliver(chunks, output, entries, policy, batch, dataError, io);
}

/** Exit 2, naming both, when `output` is one of the inputs (same device and inode). */
export function refuseOverwrite(guard: InputGuard, option: string, output: string | undefined): void {
  if (output === undefined) return;
  const input = guard.overwrites(output);
  if (input !== null) {
    throw new UsageError(`${option}: ${output} is the input ${input}; refusing to overwrite it`);
  }
}

/** A file --report-dir writes: one capture's report (its index in the inputs) or the batch summary (null). */
export interface ReportTarget {
  path: string;
  format: Format;
  capture: number | null;
}

/** The formats a batch's --report-dir also writes for the whole run, into DIR/batch/. */
const BATCH_DIR_FORMATS: readonly Format[] = ["table", "markdown", "html", "junit", "json"];

/**
 * Every file --report-dir will write, named before anything is written: each
 * capture's reports under its base name (-2, -3 … when names repeat), and for
 * a batch the run's summary in batch/summary.*, a folder of its own so that
 * `summarize DIR/*.json` reads only per-capture reports.
 */
export function reportDirTargets(
  dir: string,
  paths: readonly string[],
  batch: boolean,
  shown: (path: string) => string,
): ReportTarget[] {
  const out: ReportTarget[] = [];
  const names = new Set<string>();
  for (const [i, p] of paths.entries()) {
    const base = p === "-" ? "stdin" : basename(shown(p));
    let name = base;
    for (let n = 2; names.has(name); n++) name = `${base}-${n}`;
    names.add(name);
    for (const format of FORMATS)
      out.push({ path: join(dir, `${name}.${EXTENSIONS[format]}`), format, capture: i });
  }
  if (batch)
    for (const format of BATCH_DIR_FORMATS)
      out.push({ path: join(dir, "batch", `summary.${EXTENSIONS[format]}`), format, capture: null });
  return out;
}
