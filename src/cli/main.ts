/**
 * Command line: the commander program (commands, options, help texts) and
 * the mapping of errors to exit codes (exit.ts). Each command's work lives in
 * commands/; options and settings files in options.ts; formats in
 * formats.ts. Nothing but the report goes to standard output; warnings and
 * progress go to standard error. No stack trace reaches the user unless
 * OCS_PCAP_DEBUG=1.
 */

import { availableParallelism } from "node:os";
import { Argument, Command, CommanderError, Option } from "commander";
import { InputError } from "../capture/source.js";
import { DEFAULT_PRODUCT, PRODUCTS } from "../catalog/products.js";
import { escapeTerminal, escapeTerminalLine as line1 } from "../report/escape.js";
import { DEFAULT_LIST_LIMIT } from "../report/model.js";
import { DEFAULT_WIDTH } from "../report/table.js";
import { analyzeCommand } from "./commands/analyze.js";
import { catalogCommand, catalogDiffCommand } from "./commands/catalog.js";
import { completionScript, manPage } from "./commands/completion.js";
import { summarizeCommand } from "./commands/summarize.js";
import { type TopologyCliOptions, topologyCommand } from "./commands/topology.js";
import { toolVersion, wantColor } from "./environment.js";
import { EXIT, IO_ERRORS, missingModule, OutputPathError, SettingsError, UsageError } from "./exit.js";
import { FORMATS } from "./formats.js";
import {
  ANALYZE_EXAMPLES,
  allExamples,
  CATALOG_EXAMPLES,
  COMPLETION_EXAMPLES,
  EXIT_CODES,
  SUMMARIZE_EXAMPLES,
  TOPOLOGY_EXAMPLES,
} from "./help.js";
import type { Io } from "./io.js";
import { addLimitOptions } from "./limit-options.js";
import type { AnalyzeCliOptions, CatalogCliOptions, SummarizeCliOptions } from "./options.js";
import { fileStdout, removeTemporaries } from "./output.js";

export { toolVersion, wantColor };

const PRODUCT_NAMES = [...PRODUCTS.keys()].join(", ");
/** This machine's CPU count, for --jobs's help; the man page, which every machine shares, leaves it out. */
const CPUS_HERE = `, ${availableParallelism()} here`;

/** Commander's way to repeat an option: each value appended. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

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
      // One prefix for every error, commander's own included.
      outputError: (s, write) => write(s.replace(/^error: /, "ocs-pcap: ")),
    });
  program.addHelpText(
    "after",
    `
Examples:
  $ ocs-pcap analyze capture.pcap
  $ ocs-pcap analyze capture.pcap --format json -o report.json
  $ ocs-pcap analyze capture.pcap --topology topology.yaml
  $ ocs-pcap analyze capture.pcap --format zeek > conn.log       # Zeek conn.log (zeek-cut reads it)
  $ ocs-pcap summarize reports/*.json --format junit
  $ ocs-pcap catalog --port 5061
  $ ocs-pcap topology --example
  $ ocs-pcap help analyze`,
  );

  const analyze = program
    .command("analyze")
    .description(
      "analyse capture files or directories (pcap, pcapng, Network Monitor, gzip; - for standard input)",
    )
    .argument("<captures...>", "capture files, directories of them, or - for standard input")
    .addOption(new Option("-f, --format <format>", "report format").choices(FORMATS).default("table"))
    .option(
      "-o, --output <file>",
      "write the report (or the batch report) to FILE, atomically, instead of standard output (- is standard output)",
    )
    .option(
      "--report-dir <dir>",
      "also write every format of every capture's report into DIR, named after the capture",
    )
    .option(
      "-j, --jobs <n>",
      `captures analysed at once, on worker threads (default: the CPU count${CPUS_HERE}; 1 for a batch under 64 MB, which workers would only slow down)`,
    )
    .option(
      "--fail-on <list>",
      "exit 1 when any flow has one of these: verdicts (blocked,misdirected,unknown,inconclusive), reason codes (tls_alert, sip_error, peer_receive_only, …) or warnings; sign_in: a SIP domain whose sign-in discovery through DNS failed for a client",
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
    .addOption(
      new Option(
        "--color <when>",
        "colour in the table format: auto (a terminal, unless NO_COLOR), always, never",
      )
        .choices(["auto", "always", "never"])
        .default("auto"),
    )
    .option(
      "--shard <i/n>",
      "analyse only shard I of N of the captures (by a stable hash of each name): fan a batch out",
    )
    .option(
      "--shard-count <n>",
      "as --shard, this shard's index (0-based) read from JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs)",
    )
    .option("-q, --quiet", "no progress bar")
    .option("--strict", "exit 65 when a capture is cut short or damaged (the report is still written)")
    .option(
      "--limit <n>",
      "table and markdown formats: flows listed per verdict or reason (0 = all)",
      String(DEFAULT_LIST_LIMIT),
    )
    .option(
      "--width <columns>",
      `table format: fit this many columns, 0 for no limit (default: the terminal's width, else ${DEFAULT_WIDTH})`,
    )
    .option(
      "--tz <zone>",
      "table, Markdown and HTML: show times in this IANA zone (Europe/Berlin) or local; JSON and the rest stay UTC",
    )
    .option("--host <address>", "only flows with this address at either end (repeatable)", collect)
    .option(
      "--net <cidr>",
      "only flows with an end in this network (repeatable; with --host: either)",
      collect,
    )
    .option("--port <n>", "only TCP/UDP flows with this port at either end (repeatable)", collect)
    .addOption(new Option("--transport <transport>", "only this transport").choices(["tcp", "udp"]))
    .option(
      "--since <time>",
      "only packets from this time: ISO 8601 with its zone, or seconds from the first packet",
    )
    .option(
      "--until <time>",
      "only packets up to this time: ISO 8601 with its zone, or seconds from the first packet",
    )
    .option("--tcp-timeout <seconds>", "a TCP flow idle this long ends; its 5-tuple starts a new flow", "900")
    .option("--udp-timeout <seconds>", "a UDP (or ICMP, or other) flow idle this long ends", "60")
    .option(
      "--checksums",
      "verify TCP/UDP checksums (history letter c); off because offloading hosts capture bad ones",
    )
    .option(
      "--dropped",
      "every packet was dropped by the capturing host: a pktmon etl2pcap --drop-only export (blocking evidence)",
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
      "--product <names>",
      `built-in catalogs to match against, comma-separated (several: a migration; each role names its product): ${PRODUCT_NAMES} (default: ${DEFAULT_PRODUCT})`,
    );
  addLimitOptions(analyze)
    .addHelpText("after", ANALYZE_EXAMPLES)
    .action(async (captures: string[], opts: AnalyzeCliOptions) => {
      code = await analyzeCommand(captures, opts, io, version);
    });

  program
    .command("summarize")
    .description("merge saved JSON reports (from analyze --format json) into one batch report")
    .argument("<reports...>", "JSON report files (or batch files), or folders of them")
    .addOption(new Option("-f, --format <format>", "batch report format").choices(FORMATS).default("table"))
    .option("-o, --output <file>", "write the batch report to FILE, atomically (- is standard output)")
    .option(
      "--width <columns>",
      `table format: fit this many columns, 0 for no limit (default: the terminal's width, else ${DEFAULT_WIDTH})`,
    )
    .option("--tz <zone>", "table, Markdown and HTML: show times in this IANA zone (Europe/Berlin) or local")
    .option("-q, --quiet", "accepted for scripts that pass it to analyze too (summarize shows no progress)")
    .option(
      "--fail-on <list>",
      "exit 1 when any flow has one of these verdicts, reasons or warnings (sign_in: failed sign-in discovery)",
    )
    .option("--max-unknown-flows <n|p%>", "exit 1 when more flows than this are unknown, in any report")
    .option("--max-blocked <n>", "exit 1 when more flows than this are blocked, in any report")
    .option("--expect <file>", "roles and ports that must have known flows, in every report")
    .addHelpText("after", SUMMARIZE_EXAMPLES)
    .action(async (files: string[], opts: SummarizeCliOptions) => {
      code = await summarizeCommand(files, opts, io, version);
    });

  const catalog = program
    .command("catalog")
    .description(
      "print a port catalog (OCS 2007 R2 by default), the roles that use one port, or the difference between two",
    )
    .option("-p, --port <port>", "list the entries that cover this port, most specific first")
    .addOption(
      new Option("-t, --transport <transport>", "with --port: only this transport").choices(["tcp", "udp"]),
    )
    .addOption(
      new Option(
        "-f, --format <format>",
        "output format (csv: one firewall rule per port range and transport)",
      )
        .choices(["table", "json", "csv"])
        .default("table"),
    )
    .option("--catalog <file>", "show this catalog file instead of the built-in one")
    .option("--catalog-extend <file>", "show the built-in catalog with this file's entries added")
    .option(
      "--product <names>",
      `the built-in catalogs to show, comma-separated: ${PRODUCT_NAMES} (default: ${DEFAULT_PRODUCT})`,
    )
    .addHelpText("after", CATALOG_EXAMPLES)
    .action(async (opts: CatalogCliOptions) => {
      code = await catalogCommand(opts, io);
    });
  catalog
    .command("diff")
    .description(
      "the ports, transports and roles added, removed or changed from catalog A to catalog B (a product's name, or a catalog file): a migration's firewall change list",
    )
    .argument("<a>", "the catalog before: a product name or a catalog file")
    .argument("<b>", "the catalog after")
    .addOption(
      new Option("-f, --format <format>", "output format (default: table)").choices(["table", "json"]),
    )
    .action(async (a: string, b: string, opts: { format?: "table" | "json" }) => {
      code = await catalogDiffCommand(a, b, opts, catalog.opts() as CatalogCliOptions, io);
    });

  program
    .command("completion")
    .description("print a shell completion script: bash, zsh or fish")
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh", "fish"]))
    .addHelpText("after", COMPLETION_EXAMPLES)
    .action((shell: "bash" | "zsh" | "fish") => {
      io.stdout.write(completionScript(program, shell));
    });

  program
    .command("manpage", { hidden: true })
    .description("print the man page (roff), as docs/ocs-pcap.1 holds it")
    .action(() => {
      io.stdout.write(manPage(program, version, allExamples(), EXIT_CODES, [CPUS_HERE]));
    });

  program
    .command("topology")
    .description("help with topology files (where roles, clients and the Internet live)")
    .option("--example", "print a commented example topology file")
    .option("--check <file>", "validate a topology file and list what it places")
    .option(
      "--product <names>",
      "with --check: the built-in catalogs whose role names the file uses (as for analyze)",
    )
    .addHelpText("after", TOPOLOGY_EXAMPLES)
    .action(async (opts: TopologyCliOptions) => {
      code = await topologyCommand(opts, io);
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
    if (err instanceof OutputPathError) {
      io.stderr(`ocs-pcap: ${line1(err.path)}: ${line1(err.message)}\n`);
      return EXIT.CANTCREAT;
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
    // A package the installation should hold is gone: say which, not Node's require stack.
    const missing = missingModule(err);
    if (missing !== null) {
      io.stderr(
        `ocs-pcap: the installation is incomplete: ${line1(missing)} is missing (reinstall ocs-pcap; in a checkout, run npm ci)\n`,
      );
      return EXIT.SOFTWARE;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`ocs-pcap: internal error: ${line1(message.split("\n")[0]!)} (please report this)\n`);
    if (process.env.OCS_PCAP_DEBUG === "1" && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
    return EXIT.SOFTWARE;
  }
}

/** Runs the command line of this process; `workerScript` as in `Io` (the standalone executable's). */
export async function main(overrides: Pick<Io, "workerScript"> = {}): Promise<void> {
  // Stopped by a signal: no temporary file or folder is left behind, then
  // the signal is raised again with its default action, so the shell sees
  // 128 + its number. (Not process.exit: it waits for the thread pool, where
  // the open of a FIFO without a writer never returns.)
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      removeTemporaries();
      process.kill(process.pid, signal);
    });
  }
  // Standard error that cannot be written (a closed pipe): the messages are lost, the report and
  // the exit code are not. Without a listener, the stream's error would end the run half-written.
  process.stderr.on("error", () => {});
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    // A closed pipe (`ocs-pcap … | head`) is not an error worth a message, nor a success: the
    // report was not read whole, and a policy's verdict was not given (as cat and grep end there).
    removeTemporaries();
    if (err.code === "EPIPE") process.exit(EXIT.PIPE);
    process.stderr.write(`ocs-pcap: cannot write the report to standard output: ${line1(err.message)}\n`);
    process.exit(EXIT.IOERR);
  });
  const code = await run(process.argv.slice(2), {
    stdout: fileStdout() ?? process.stdout,
    stderr: (s) => {
      process.stderr.write(s);
    },
    color: wantColor(process.env, process.stdout.isTTY === true),
    ...(process.stdout.isTTY === true && process.stdout.columns > 0
      ? { columns: process.stdout.columns }
      : {}),
    ...overrides,
  });
  process.exitCode = code;
}
