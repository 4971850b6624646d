/**
 * Command line: options, help, exit codes. Exit codes (README "Exit codes"):
 *   0  analysed (warnings about a cut or damaged tail still exit 0, unless --strict)
 *   1  a CI policy failed (--fail-on, --max-unknown-flows, --max-blocked, --expect)
 *   2  usage error, or a settings file (topology, catalog, expectations) that cannot be used
 *   65 the input is not a readable capture (message names file and byte offset);
 *      in a batch: at least one capture was unreadable, and no policy failed
 *   66 an input file cannot be opened or read
 *   70 internal error (a bug: please report it)
 *   74 the report could not be written: the disk is full, or another I/O error (sysexits EX_IOERR)
 *   73 a report file cannot be written
 * Nothing but the report goes to standard output; warnings and progress go
 * to standard error. No stack trace reaches the user unless OCS_PCAP_DEBUG=1.
 */

import { mkdirSync, readFileSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, join } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { LIMIT_WARNING_CODES } from "../analyze.js";
import { DEFAULT_MAX_RECORD_LEN } from "../capture/pcap.js";
import { InputError } from "../capture/source.js";
import { CatalogIndex } from "../catalog/index.js";
import { CatalogFileError, extendCatalog, parseCatalogFile } from "../catalog/load.js";
import type { CatalogEntry, Transport } from "../catalog/types.js";
import type { Verdict } from "../classify/classify.js";
import { parseTopology, TOPOLOGY_EXAMPLE, type Topology, TopologyError } from "../classify/topology.js";
import { DEFAULT_MAX_DATAGRAMS } from "../flow/fragments.js";
import { DEFAULT_MAX_FLOWS } from "../flow/table.js";
import {
  type BatchEntry,
  type BatchReport,
  buildBatch,
  renderBatchCsv,
  renderBatchHtml,
  renderBatchJson,
  renderBatchMarkdown,
  renderBatchText,
  reportFromJson,
} from "../report/batch.js";
import { renderCatalogJson, renderCatalogTable } from "../report/catalog.js";
import { renderCsv } from "../report/csv.js";
import { escapeTerminal, escapeTerminalLine as line1 } from "../report/escape.js";
import { renderHtmlChunks } from "../report/html.js";
import { renderJson } from "../report/json.js";
import { renderJunit } from "../report/junit.js";
import { renderMarkdown } from "../report/markdown.js";
import { DEFAULT_MAX_REPORT_FLOWS, type Report } from "../report/model.js";
import { Redactor, redactReport } from "../report/redact.js";
import reportSchema from "../report/report.schema.json" with { type: "json" };
import { renderTable } from "../report/table.js";
import { LazySchema } from "../schema.js";
import { expandInputs, type JobResult, type KeepFlows, runJob, runJobs } from "./batch.js";
import type { JobSettings } from "./job.js";
import { type OutputStream, removeTemporaries, writeFileAtomic, writeToStream } from "./output.js";
import {
  type Expectation,
  evaluatePolicy,
  type Policy,
  PolicyFileError,
  parseExpectFile,
  parseThreshold,
} from "./policy.js";
import { progressFor } from "./progress.js";
import { InputGuard } from "./protect.js";
import { readSavedReport } from "./saved.js";

export const EXIT = {
  OK: 0,
  POLICY: 1,
  USAGE: 2,
  DATAERR: 65,
  NOINPUT: 66,
  SOFTWARE: 70,
  CANTCREAT: 73,
  IOERR: 74,
} as const;

/** Write errors that are the system's, not a bug: sysexits' EX_IOERR (74). */
const IO_ERRORS: ReadonlySet<string> = new Set(["ENOSPC", "EDQUOT", "EIO", "EFBIG", "EROFS"]);

export interface Io {
  stdout: OutputStream;
  stderr: (text: string) => void;
  /** Whether standard output is a colour terminal (the table format uses colour then). */
  color?: boolean;
}

class UsageError extends Error {}

/** A settings file could not be used: usage error (exit 2), naming the file (and line). */
class SettingsError extends Error {}

const FORMATS = ["table", "json", "markdown", "html", "junit", "csv"] as const;
type Format = (typeof FORMATS)[number];
const EXTENSIONS: Record<Format, string> = {
  table: "txt",
  json: "json",
  markdown: "md",
  html: "html",
  junit: "junit.xml",
  csv: "csv",
};
const FAILABLE: readonly Verdict[] = ["blocked", "misdirected", "unknown", "inconclusive"];

export function toolVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

const ANALYZE_EXAMPLES = `
Examples:
  $ ocs-pcap analyze capture.pcap
  $ ocs-pcap analyze capture.pcapng.gz --format html -o report.html
  $ ocs-pcap analyze capture.pcap --format markdown > ticket.md
  $ ocs-pcap analyze captures/ --report-dir reports/ --format junit -o junit.xml
  $ ocs-pcap analyze a.pcap b.pcapng --jobs 4 --fail-on blocked,misdirected
  $ ocs-pcap analyze capture.pcap --max-unknown-flows 5% --expect expect.yaml
  $ tcpdump -i any -w - port 5061 | ocs-pcap analyze -
  $ ocs-pcap analyze capture.pcap --topology topology.yaml
  $ ocs-pcap analyze capture.pcap --redact --format html -o shareable.html

Exit codes: 0 analysed, 1 policy failed, 2 usage error or bad settings file,
65 not a readable capture (in a batch: any capture, after the rest are
reported), 66 file cannot be opened, 70 internal error, 73 the report file
cannot be written, 74 writing failed (disk full, I/O error).`;

const CATALOG_EXAMPLES = `
Examples:
  $ ocs-pcap catalog
  $ ocs-pcap catalog --port 5061
  $ ocs-pcap catalog --port 3478 --transport udp
  $ ocs-pcap catalog --format json`;

export async function run(argv: readonly string[], rawIo: Io): Promise<number> {
  // Whatever reaches standard error, no control character acts on the terminal.
  const io: Io = { ...rawIo, stderr: (s) => rawIo.stderr(escapeTerminal(s)) };
  let code: number = EXIT.OK;
  const version = toolVersion();
  const program = new Command()
    .name("ocs-pcap")
    .description(
      "Packet-capture analyzer for Office Communications Server 2007 R2: matches flows against the OCS port catalog and reports unknown, blocked-looking and misdirected traffic.",
    )
    .version(version, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => {
        io.stdout.write(s);
      },
      writeErr: (s) => io.stderr(s),
    });
  program.addHelpText(
    "after",
    `
Examples:
  $ ocs-pcap analyze capture.pcap
  $ ocs-pcap analyze capture.pcap --format json -o report.json
  $ ocs-pcap analyze capture.pcap --topology topology.yaml
  $ ocs-pcap summarize reports/*.json --format junit
  $ ocs-pcap catalog --port 5061
  $ ocs-pcap topology --example
  $ ocs-pcap help analyze`,
  );

  program
    .command("analyze")
    .description("analyse capture files or directories (pcap, pcapng, gzip; - for standard input)")
    .argument("<captures...>", "capture files, directories of them, or - for standard input")
    .addOption(new Option("-f, --format <format>", "report format").choices(FORMATS).default("table"))
    .option(
      "-o, --output <file>",
      "write the report (or the batch report) to FILE, atomically, instead of standard output",
    )
    .option(
      "--report-dir <dir>",
      "also write every format of every capture's report into DIR, named after the capture",
    )
    .option(
      "-j, --jobs <n>",
      `captures analysed at once, on worker threads (default: the CPU count, ${availableParallelism()} here)`,
    )
    .option(
      "--fail-on <verdicts>",
      "exit 1 when any flow has one of these verdicts: blocked,misdirected,unknown,inconclusive",
    )
    .option(
      "--max-unknown-flows <n|p%>",
      "exit 1 when more flows than this (a count, or a share like 5%) are unknown",
    )
    .option("--max-blocked <n>", "exit 1 when more flows than this are blocked")
    .option(
      "--expect <file>",
      "YAML or JSON list of roles and ports that must have known flows (exit 1 otherwise)",
    )
    .option("--redact", "pseudonymize addresses (prefix-preserving) and hostnames in every output")
    .option(
      "--redact-key <key>",
      "with --redact: the key, so runs can be compared; 64 hex digits are a raw Crypto-PAn key (default: $OCS_PCAP_REDACT_KEY, else random per run)",
    )
    .option(
      "--redact-key-file <file>",
      "with --redact: read the key from a file (keeps it out of ps and shell history)",
    )
    .option("--redact-keep-domain", "with --redact: keep hostnames' domains (the last two labels)")
    .option("-q, --quiet", "no progress bar")
    .option("--strict", "exit 65 when a capture is cut short or damaged (the report is still written)")
    .option("--limit <n>", "table and markdown formats: flows listed per verdict or reason (0 = all)", "25")
    .option("--tcp-timeout <seconds>", "a TCP flow idle this long ends; its 5-tuple starts a new flow", "300")
    .option("--udp-timeout <seconds>", "a UDP (or ICMP, or other) flow idle this long ends", "60")
    .option(
      "--checksums",
      "verify TCP/UDP checksums (history letter c); off because offloading hosts capture bad ones",
    )
    .option(
      "--topology <file>",
      "YAML or JSON file placing roles, clients and the Internet (see: ocs-pcap topology --example)",
    )
    .option(
      "--catalog <file>",
      "use this catalog (JSON or YAML, the format of catalog --format json) instead of the built-in one",
    )
    .option("--catalog-extend <file>", "add this catalog's entries to the built-in one")
    .option(
      "--max-record-len <bytes>",
      "largest record accepted before the file is treated as corrupt",
      String(DEFAULT_MAX_RECORD_LEN),
    )
    .option(
      "--max-flows <n>",
      "most flows held in memory at once; past it the longest-idle are ended early (reported)",
      String(DEFAULT_MAX_FLOWS),
    )
    .option(
      "--max-fragments <n>",
      "most fragmented IP datagrams tracked at once; past it the oldest are forgotten (reported)",
      String(DEFAULT_MAX_DATAGRAMS),
    )
    .option(
      "--max-report-flows <n>",
      "most flows a report lists (every flow is still counted); findings are listed first (reported)",
      String(DEFAULT_MAX_REPORT_FLOWS),
    )
    .addHelpText("after", ANALYZE_EXAMPLES)
    .action(async (captures: string[], opts: AnalyzeCliOptions) => {
      code = await analyzeCommand(captures, opts, io, version);
    });

  program
    .command("summarize")
    .description("merge saved JSON reports (from analyze --format json) into one batch report")
    .argument("<reports...>", "JSON report files")
    .addOption(new Option("-f, --format <format>", "batch report format").choices(FORMATS).default("table"))
    .option("-o, --output <file>", "write the batch report to FILE, atomically")
    .option("--fail-on <verdicts>", "exit 1 when any flow has one of these verdicts")
    .option("--max-unknown-flows <n|p%>", "exit 1 when more flows than this are unknown, in any report")
    .option("--max-blocked <n>", "exit 1 when more flows than this are blocked, in any report")
    .option("--expect <file>", "roles and ports that must have known flows, in every report")
    .addHelpText(
      "after",
      `
Examples:
  $ ocs-pcap summarize reports/*.json
  $ ocs-pcap summarize reports/*.json --format junit -o junit.xml --fail-on blocked`,
    )
    .action(async (files: string[], opts: SummarizeCliOptions) => {
      code = await summarizeCommand(files, opts, io, version);
    });

  program
    .command("catalog")
    .description("print the OCS 2007 R2 port catalog, or the roles that use one port")
    .option("-p, --port <port>", "list the entries that cover this port, most specific first")
    .addOption(
      new Option("-t, --transport <transport>", "with --port: only this transport").choices(["tcp", "udp"]),
    )
    .addOption(
      new Option("-f, --format <format>", "output format").choices(["table", "json"]).default("table"),
    )
    .option("--catalog <file>", "show this catalog file instead of the built-in one")
    .option("--catalog-extend <file>", "show the built-in catalog with this file's entries added")
    .addHelpText("after", CATALOG_EXAMPLES)
    .action(async (opts: CatalogCliOptions) => {
      code = await catalogCommand(opts, io);
    });

  program
    .command("topology")
    .description("help with topology files (where roles, clients and the Internet live)")
    .option("--example", "print a commented example topology file")
    .option("--check <file>", "validate a topology file and list what it places")
    .addHelpText(
      "after",
      `
Examples:
  $ ocs-pcap topology --example > topology.yaml
  $ ocs-pcap topology --check topology.yaml
  $ ocs-pcap analyze capture.pcap --topology topology.yaml`,
    )
    .action(async (opts: { example?: boolean; check?: string }) => {
      if (opts.check !== undefined) {
        const topology = loadTopology(opts.check, new CatalogIndex()).topology;
        await writeToStream(io.stdout, [
          `${opts.check}: valid; roles placed: ${topology.roles().join(", ") || "none"}\n`,
        ]);
        code = EXIT.OK;
        return;
      }
      if (!opts.example) throw new UsageError("topology needs --example or --check FILE");
      await writeToStream(io.stdout, [TOPOLOGY_EXAMPLE]);
      code = EXIT.OK;
    });

  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === "commander.helpDisplayed" ||
        err.code === "commander.version" ||
        err.code === "commander.help"
      ) {
        return EXIT.OK;
      }
      return EXIT.USAGE;
    }
    if (err instanceof SettingsError) {
      io.stderr(`ocs-pcap: ${err.message}\n`);
      return EXIT.USAGE;
    }
    if (err instanceof UsageError) {
      io.stderr(`ocs-pcap: ${err.message}\n(run with --help for usage)\n`);
      return EXIT.USAGE;
    }
    if (err instanceof InputError) {
      io.stderr(`ocs-pcap: ${line1(err.path)}: ${line1(err.message)}\n`);
      return EXIT.NOINPUT;
    }
    const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
    if (code !== undefined && IO_ERRORS.has(code)) {
      io.stderr(`ocs-pcap: cannot write the report: ${line1((err as Error).message)}\n`);
      return EXIT.IOERR;
    }
    io.stderr(
      `ocs-pcap: internal error: ${err instanceof Error ? err.message : String(err)} (please report this)\n`,
    );
    if (process.env.OCS_PCAP_DEBUG === "1" && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
    return EXIT.SOFTWARE;
  }
}

interface PolicyCliOptions {
  failOn?: string;
  maxUnknownFlows?: string;
  maxBlocked?: string;
  expect?: string;
}

interface AnalyzeCliOptions extends PolicyCliOptions {
  format: Format;
  output?: string;
  reportDir?: string;
  jobs?: string;
  redact?: boolean;
  redactKey?: string;
  redactKeyFile?: string;
  redactKeepDomain?: boolean;
  quiet?: boolean;
  strict?: boolean;
  limit: string;
  maxRecordLen: string;
  maxFlows: string;
  maxFragments: string;
  maxReportFlows: string;
  tcpTimeout: string;
  udpTimeout: string;
  checksums?: boolean;
  topology?: string;
  catalog?: string;
  catalogExtend?: string;
}

interface SummarizeCliOptions extends PolicyCliOptions {
  format: Format;
  output?: string;
}

interface RenderOptions {
  limit: number;
  color: boolean;
  policy: Policy;
}

/** One report in one format, as text chunks. */
function renderReport(report: Report, format: Format, o: RenderOptions): Iterable<string> {
  switch (format) {
    case "json":
      return renderJson(report);
    case "markdown":
      return [renderMarkdown(report, { limit: o.limit })];
    case "html":
      return renderHtmlChunks(report);
    case "junit":
      return [renderJunit([report], junitOptions(o.policy))];
    case "csv":
      return renderCsv(report);
    default:
      return [renderTable(report, { limit: o.limit, color: o.color })];
  }
}

function junitOptions(policy: Policy) {
  return {
    failOnUnknown: policy.failOn.includes("unknown"),
    failOnInconclusive: policy.failOn.includes("inconclusive"),
  };
}

/**
 * A batch report in one format: for table and Markdown, each capture's report
 * then the summary (only the summary with `summaryOnly`, as in --report-dir,
 * where each capture has its own file); JUnit holds every capture's suite.
 */
function* renderBatch(
  batch: BatchReport,
  format: Format,
  o: RenderOptions & { summaryOnly?: boolean },
): Generator<string> {
  const reports = batch.captures.flatMap((e) => (e.report ? [e.report] : []));
  const each = o.summaryOnly === true ? [] : reports;
  switch (format) {
    case "json":
      yield renderBatchJson(batch);
      return;
    case "markdown":
      for (const r of each) yield `${renderMarkdown(r, { limit: o.limit })}\n`;
      yield renderBatchMarkdown(batch);
      return;
    case "html":
      yield renderBatchHtml(batch);
      return;
    case "junit":
      yield renderJunit(reports, junitOptions(o.policy));
      return;
    case "csv":
      yield renderBatchCsv(batch);
      return;
    default:
      for (const r of each) yield `${renderTable(r, { limit: o.limit, color: o.color })}\n`;
      yield renderBatchText(batch);
  }
}

function parsePolicy(opts: PolicyCliOptions): Policy {
  const failOn = parseFailOn(opts.failOn);
  let maxUnknown: Policy["maxUnknown"] = null;
  if (opts.maxUnknownFlows !== undefined) {
    maxUnknown = parseThreshold(opts.maxUnknownFlows);
    if (maxUnknown === null)
      throw new UsageError(
        `--max-unknown-flows takes a count or a percentage, not '${opts.maxUnknownFlows}'`,
      );
  }
  const maxBlocked =
    opts.maxBlocked === undefined ? null : parseNonNegativeInt(opts.maxBlocked, "--max-blocked");
  let expect: Expectation[] = [];
  if (opts.expect !== undefined) {
    try {
      expect = parseExpectFile(readSettingsFile(opts.expect), opts.expect);
    } catch (err) {
      if (err instanceof PolicyFileError) throw new SettingsError(`${err.file}: ${err.message}`);
      throw err;
    }
  }
  return { failOn, maxUnknown, maxBlocked, expect };
}

async function analyzeCommand(
  captures: string[],
  opts: AnalyzeCliOptions,
  io: Io,
  version: string,
): Promise<number> {
  const policy = parsePolicy(opts);
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

  const index = loadCatalog(opts.catalog, opts.catalogExtend);
  const topology = opts.topology === undefined ? null : loadTopology(opts.topology, index.index);
  const settings: JobSettings = {
    version,
    maxRecordLen,
    maxFlows,
    maxFragments,
    maxReportFlows,
    tcpTimeoutMicros: tcpTimeout * 1_000_000,
    udpTimeoutMicros: udpTimeout * 1_000_000,
    checksums: opts.checksums === true,
    catalog: index.source,
    topology: topology?.source ?? null,
  };
  const render: RenderOptions = {
    limit,
    color: io.color === true && opts.output === undefined && opts.format === "table",
    policy,
  };
  const redactor = opts.redact
    ? new Redactor({
        ...redactKeyOption(opts),
        keepDomain: opts.redactKeepDomain === true,
      })
    : null;

  const { paths, batch, unnamed } = expandInputs(captures);
  if (paths.length === 0 && unnamed.length === 0)
    throw new UsageError(`no capture files found in ${captures.join(", ")}`);
  // Nothing is written over an input: -o, and every file --report-dir would write.
  const guard = new InputGuard(paths);
  refuseOverwrite(guard, "--output", opts.output);
  // Report files are named after the capture, redacted when the run is.
  const reportName = (p: string) => (redactor ? redactor.path(p) : p);
  const reportTargets =
    opts.reportDir === undefined ? [] : reportDirTargets(opts.reportDir, paths, batch, reportName);
  for (const t of reportTargets) refuseOverwrite(guard, "--report-dir", t.path);

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
    try {
      results = [await runJob(path, settings, progress ? { onProgress: progress.onProgress } : {})];
    } finally {
      progress?.stop();
    }
  } else {
    // Every flow is needed to write each capture's report (--expect reads the
    // report's service counts); the batch table, Markdown and JUnit list only
    // flows that are not known.
    const keepFlows: KeepFlows =
      opts.reportDir !== undefined
        ? "all"
        : opts.format === "table" || opts.format === "markdown" || opts.format === "junit"
          ? "notable"
          : "none";
    results = await runJobs(paths, settings, jobs, { keepFlows });
  }
  for (const path of unnamed) {
    const message =
      "the file name is not valid UTF-8, so it cannot be opened by name: rename it to analyse it";
    results.push({ path, report: null, error: { code: EXIT.NOINPUT, message } });
  }

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
  if (!batch && worst !== EXIT.OK) return worst;

  if (opts.reportDir !== undefined) {
    try {
      mkdirSync(opts.reportDir, { recursive: true });
    } catch (err) {
      io.stderr(
        `ocs-pcap: ${opts.reportDir}: cannot create the report directory: ${err instanceof Error ? err.message : String(err)}\n`,
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

  const chunks = batch
    ? renderBatch(buildBatch(entries, version), opts.format, render)
    : renderReport(entries[0]!.report!, opts.format, render);
  const dataError = worst !== EXIT.OK || strictFailed;
  return deliver(chunks, opts.output, entries, policy, batch, dataError, io);
}

/**
 * Writes the report (to -o atomically, or to stdout), then applies the
 * policy: exit 1 with one stderr line per failure, which outranks a data
 * error (65); otherwise 65 when `dataError`, else 0.
 */
async function deliver(
  chunks: Iterable<string>,
  output: string | undefined,
  entries: readonly BatchEntry[],
  policy: Policy,
  namePaths: boolean,
  dataError: boolean,
  io: Io,
): Promise<number> {
  if (output !== undefined) {
    const failed = writeReportFile(output, chunks, io);
    if (failed !== EXIT.OK) return failed;
  } else {
    await writeToStream(io.stdout, chunks);
  }
  const failures = entries.flatMap((e) =>
    e.report ? evaluatePolicy(e.report, policy).map((f) => (namePaths ? `${e.path}: ${f}` : f)) : [],
  );
  for (const f of failures) io.stderr(`ocs-pcap: ${line1(f)}\n`);
  if (failures.length > 0) return EXIT.POLICY;
  return dataError ? EXIT.DATAERR : EXIT.OK;
}

const SAVED_REPORT = new LazySchema<unknown>(reportSchema);

async function summarizeCommand(
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
  const render: RenderOptions = { limit: 25, color: false, policy };
  const chunks = renderBatch(buildBatch(entries, version), opts.format, render);
  return deliver(chunks, opts.output, entries, policy, true, worst !== EXIT.OK, io);
}

/** Writes a report file atomically; 0, or the exit code: 74 for a full disk or I/O error, 73 otherwise. */
function writeReportFile(path: string, chunks: Iterable<string>, io: Io): number {
  try {
    writeFileAtomic(path, chunks);
    return EXIT.OK;
  } catch (err) {
    io.stderr(
      `ocs-pcap: ${line1(path)}: cannot write the report: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
    return code !== undefined && IO_ERRORS.has(code) ? EXIT.IOERR : EXIT.CANTCREAT;
  }
}

interface CatalogCliOptions {
  port?: string;
  transport?: Transport;
  format: "table" | "json";
  catalog?: string;
  catalogExtend?: string;
}

function readSettingsFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = err instanceof Error && "code" in err ? String((err as NodeJS.ErrnoException).code) : "";
    throw new InputError(
      code === "ENOENT" ? "cannot open: no such file" : `cannot read: ${String(err)}`,
      path,
    );
  }
}

function statSize(path: string): number {
  return statSync(path).size;
}

function loadCatalog(
  replace: string | undefined,
  extend: string | undefined,
): { index: CatalogIndex; source: JobSettings["catalog"] } {
  if (replace !== undefined && extend !== undefined)
    throw new UsageError("use --catalog or --catalog-extend, not both");
  if (replace === undefined && extend === undefined) return { index: new CatalogIndex(), source: null };
  const file = (replace ?? extend)!;
  const text = readSettingsFile(file);
  let entries: CatalogEntry[];
  try {
    entries = parseCatalogFile(text, file);
  } catch (err) {
    if (err instanceof CatalogFileError) throw new SettingsError(`${err.file}: ${err.message}`);
    throw err;
  }
  return {
    index: new CatalogIndex(replace !== undefined ? entries : extendCatalog(entries)),
    source: { mode: replace !== undefined ? "replace" : "extend", file, text },
  };
}

function loadTopology(
  file: string,
  index: CatalogIndex,
): { topology: Topology; source: { file: string; text: string } } {
  const text = readSettingsFile(file);
  try {
    return { topology: parseTopology(text, file, index.roles()), source: { file, text } };
  } catch (err) {
    if (err instanceof TopologyError)
      throw new SettingsError(`${err.file}: line ${err.line}: ${err.message}`);
    throw err;
  }
}

async function catalogCommand(opts: CatalogCliOptions, io: Io): Promise<number> {
  const index = loadCatalog(opts.catalog, opts.catalogExtend).index;
  if (opts.transport !== undefined && opts.port === undefined) {
    throw new UsageError("--transport needs --port");
  }
  let entries = index.entries;
  let title = `OCS 2007 R2 port catalog (${entries.length} entries)`;
  if (opts.port !== undefined) {
    const port = parseNonNegativeInt(opts.port, "--port");
    if (port > 65535) throw new UsageError("--port must be between 0 and 65535");
    const transports: Transport[] = opts.transport ? [opts.transport] : ["tcp", "udp"];
    // Most specific first across transports: merge the ranked lists by range width.
    const matches = transports
      .flatMap((t) => index.lookup(t, port).map((m, rank) => ({ m, rank, t })))
      .sort(
        (a, b) =>
          a.m.range.last - a.m.range.first - (b.m.range.last - b.m.range.first) ||
          a.rank - b.rank ||
          a.t.localeCompare(b.t),
      );
    entries = [...new Set(matches.map((x) => x.m.entry))];
    title = `Catalog entries for port ${port}${opts.transport ? `/${opts.transport}` : ""}, most specific first (${entries.length})`;
  }
  await writeToStream(io.stdout, [
    opts.format === "json" ? renderCatalogJson(entries) : renderCatalogTable(entries, title),
  ]);
  return EXIT.OK;
}

function parseFailOn(value: string | undefined): Verdict[] {
  if (value === undefined) return [];
  const parts = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const p of parts) {
    if (!(FAILABLE as readonly string[]).includes(p)) {
      throw new UsageError(`--fail-on: unknown verdict '${p}' (choose from ${FAILABLE.join(", ")})`);
    }
  }
  return parts as Verdict[];
}

function parsePositiveSeconds(value: string, name: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0))
    throw new UsageError(`${name} must be a positive number of seconds, not '${value}'`);
  return n;
}

function parseNonNegativeInt(value: string, name: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a whole number, not '${value}'`);
  return Number(value);
}

/** The redaction key: --redact-key, --redact-key-file, else $OCS_PCAP_REDACT_KEY, else none (random). */
function redactKeyOption(opts: AnalyzeCliOptions): { key?: string } {
  if (opts.redactKey !== undefined) return { key: opts.redactKey };
  if (opts.redactKeyFile !== undefined) {
    const key = readSettingsFile(opts.redactKeyFile).trim();
    if (key === "") throw new UsageError(`--redact-key-file ${opts.redactKeyFile} is empty`);
    return { key };
  }
  const env = process.env.OCS_PCAP_REDACT_KEY;
  return env !== undefined && env !== "" ? { key: env } : {};
}

/** Exit 2, naming both, when `output` is one of the inputs (same device and inode). */
function refuseOverwrite(guard: InputGuard, option: string, output: string | undefined): void {
  if (output === undefined) return;
  const input = guard.overwrites(output);
  if (input !== null) {
    throw new UsageError(`${option}: ${output} is the input ${input}; refusing to overwrite it`);
  }
}

/** A file --report-dir writes: one capture's report (its index in the inputs) or the batch summary (null). */
interface ReportTarget {
  path: string;
  format: Format;
  capture: number | null;
}

/**
 * Every file --report-dir will write, named before anything is written: each
 * capture's reports under its base name (-2, -3 … when names repeat; "summary"
 * is reserved for the batch summary, so a capture named summary gets
 * summary-2), and the batch summary.
 */
function reportDirTargets(
  dir: string,
  paths: readonly string[],
  batch: boolean,
  shown: (path: string) => string,
): ReportTarget[] {
  const out: ReportTarget[] = [];
  const names = new Set<string>(batch ? ["summary"] : []);
  for (const [i, p] of paths.entries()) {
    const base = p === "-" ? "stdin" : basename(shown(p));
    let name = base;
    for (let n = 2; names.has(name); n++) name = `${base}-${n}`;
    names.add(name);
    for (const format of FORMATS)
      out.push({ path: join(dir, `${name}.${EXTENSIONS[format]}`), format, capture: i });
  }
  if (batch)
    for (const format of FORMATS)
      out.push({ path: join(dir, `summary.${EXTENSIONS[format]}`), format, capture: null });
  return out;
}

/**
 * Colour for the table report on standard output: NO_COLOR (no-color.org)
 * turns it off whatever else is set; FORCE_COLOR turns it on even into a
 * pipe, except FORCE_COLOR=0 or =false (as chalk and Node read it); otherwise
 * only a terminal that is not TERM=dumb gets colour.
 */
export function wantColor(env: NodeJS.ProcessEnv, isTty: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force !== "false";
  return isTty && env.TERM !== "dumb";
}

/** Entry point for bin/ocs-pcap. */
export async function main(): Promise<void> {
  // Stopped by a signal: no temporary report file is left behind; exit 128 + the signal's number.
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    process.on(signal, () => {
      removeTemporaries();
      process.exit(code);
    });
  }
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    // A closed pipe (`ocs-pcap … | head`) is not an error worth a message.
    if (err.code === "EPIPE") process.exit(EXIT.OK);
    process.stderr.write(`ocs-pcap: cannot write the report to standard output: ${line1(err.message)}\n`);
    process.exit(EXIT.IOERR);
  });
  const code = await run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: (s) => {
      process.stderr.write(s);
    },
    color: wantColor(process.env, process.stdout.isTTY === true),
  });
  process.exitCode = code;
}
