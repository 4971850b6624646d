/**
 * Command line: options, help, exit codes. Exit codes (README "Exit codes"):
 *   0  analysed (warnings about a cut or damaged tail still exit 0)
 *   1  a --fail-on policy failed
 *   2  usage error
 *   65 the input is not a readable capture (message names file and byte offset)
 *   66 the input file cannot be opened or read
 *   70 internal error (a bug: please report it)
 *   73 the report file cannot be written
 * No stack trace reaches the user unless OCS_PCAP_DEBUG=1.
 */
import { readFileSync, realpathSync } from "node:fs";
import { resolve } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { analyzeCapture } from "../analyze.js";
import { DEFAULT_MAX_RECORD_LEN } from "../capture/pcap.js";
import { InputError } from "../capture/source.js";
import { CaptureError } from "../capture/types.js";
import { CatalogIndex } from "../catalog/index.js";
import { CatalogFileError, extendCatalog, parseCatalogFile } from "../catalog/load.js";
import type { CatalogEntry, Transport } from "../catalog/types.js";
import type { Verdict } from "../classify/classify.js";
import { parseTopology, TOPOLOGY_EXAMPLE, type Topology, TopologyError } from "../classify/topology.js";
import { renderCatalogJson, renderCatalogTable } from "../report/catalog.js";
import { renderJson } from "../report/json.js";
import type { Report } from "../report/model.js";
import { renderTable } from "../report/table.js";
import { type OutputStream, writeFileAtomic, writeToStream } from "./output.js";

export const EXIT = {
  OK: 0,
  POLICY: 1,
  USAGE: 2,
  DATAERR: 65,
  NOINPUT: 66,
  SOFTWARE: 70,
  CANTCREAT: 73,
} as const;

export interface Io {
  stdout: OutputStream;
  stderr: (text: string) => void;
}

class UsageError extends Error {}

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
  $ ocs-pcap analyze capture.pcap --format json > report.json
  $ ocs-pcap analyze capture.pcap --format json -o report.json
  $ ocs-pcap analyze capture.pcap --fail-on blocked,misdirected   # exit 1 if any
  $ tcpdump -i any -w - port 5061 | ocs-pcap analyze -            # read standard input
  $ ocs-pcap analyze capture.pcapng.gz --udp-timeout 30
  $ ocs-pcap analyze capture.pcap --topology topology.yaml         # roles from addresses
  $ ocs-pcap analyze capture.pcap --catalog-extend lync-ports.yaml # add your own ports
  $ ocs-pcap analyze capture.pcap --limit 0                       # list every flow

Exit codes: 0 analysed, 1 --fail-on policy failed, 2 usage error,
65 not a readable capture, 66 file cannot be opened, 70 internal error,
73 the report file cannot be written.`;

const CATALOG_EXAMPLES = `
Examples:
  $ ocs-pcap catalog
  $ ocs-pcap catalog --port 5061
  $ ocs-pcap catalog --port 3478 --transport udp
  $ ocs-pcap catalog --format json`;

export async function run(argv: readonly string[], io: Io): Promise<number> {
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
  $ ocs-pcap catalog --port 5061
  $ ocs-pcap topology --example
  $ ocs-pcap help analyze`,
  );

  program
    .command("analyze")
    .description("analyse a capture file (classic pcap, microsecond or nanosecond, either byte order)")
    .argument("<capture>", "capture file to read")
    .addOption(
      new Option("-f, --format <format>", "report format").choices(["table", "json"]).default("table"),
    )
    .option("-o, --output <file>", "write the report to FILE (atomically) instead of standard output")
    .option(
      "--fail-on <verdicts>",
      "exit 1 when any flow has one of these verdicts: blocked,misdirected,unknown",
    )
    .option("--limit <n>", "table format: flows listed per verdict (0 = all)", "25")
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
    .addHelpText("after", ANALYZE_EXAMPLES)
    .action(async (capture: string, opts: AnalyzeCliOptions) => {
      code = await analyzeCommand(capture, opts, io, version);
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
        const topology = loadTopology(opts.check, new CatalogIndex());
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
      io.stderr(`ocs-pcap: ${err.path}: ${err.message}\n`);
      return EXIT.NOINPUT;
    }
    io.stderr(
      `ocs-pcap: internal error: ${err instanceof Error ? err.message : String(err)} (please report this)\n`,
    );
    if (process.env.OCS_PCAP_DEBUG === "1" && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
    return EXIT.SOFTWARE;
  }
}

interface AnalyzeCliOptions {
  format: "table" | "json";
  output?: string;
  failOn?: string;
  limit: string;
  maxRecordLen: string;
  tcpTimeout: string;
  udpTimeout: string;
  checksums?: boolean;
  topology?: string;
  catalog?: string;
  catalogExtend?: string;
}

async function analyzeCommand(
  capture: string,
  opts: AnalyzeCliOptions,
  io: Io,
  version: string,
): Promise<number> {
  const failOn = parseFailOn(opts.failOn);
  const limit = parseNonNegativeInt(opts.limit, "--limit");
  const maxRecordLen = parseNonNegativeInt(opts.maxRecordLen, "--max-record-len");
  if (maxRecordLen < 64 || maxRecordLen > 64 * 1024 * 1024) {
    throw new UsageError("--max-record-len must be between 64 and 67108864 bytes");
  }
  if (opts.output !== undefined && sameFile(opts.output, capture)) {
    throw new UsageError(`--output ${opts.output} is the input capture; refusing to overwrite it`);
  }

  const tcpTimeout = parsePositiveSeconds(opts.tcpTimeout, "--tcp-timeout");
  const udpTimeout = parsePositiveSeconds(opts.udpTimeout, "--udp-timeout");

  const index = loadCatalog(opts.catalog, opts.catalogExtend);
  const topology = opts.topology === undefined ? null : loadTopology(opts.topology, index);

  let report: Report;
  try {
    report = await analyzeCapture(capture, {
      index,
      topology,
      maxRecordLen,
      version,
      tcpTimeoutMicros: tcpTimeout * 1_000_000,
      udpTimeoutMicros: udpTimeout * 1_000_000,
      checksums: opts.checksums === true,
    });
  } catch (err) {
    if (err instanceof CaptureError) {
      io.stderr(`ocs-pcap: ${capture}: offset ${err.offset}: ${err.message}\n`);
      return EXIT.DATAERR;
    }
    throw err;
  }
  for (const w of report.capture.warnings)
    io.stderr(`ocs-pcap: warning: ${capture}: offset ${w.offset}: ${w.message}\n`);

  const chunks = opts.format === "json" ? renderJson(report) : [renderTable(report, { limit })];
  if (opts.output !== undefined) {
    try {
      writeFileAtomic(opts.output, chunks);
    } catch (err) {
      io.stderr(
        `ocs-pcap: ${opts.output}: cannot write the report: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      return EXIT.CANTCREAT;
    }
  } else {
    await writeToStream(io.stdout, chunks);
  }

  const failing = failOn.filter((v) => report.summary[v] > 0);
  if (failing.length > 0) {
    io.stderr(`ocs-pcap: --fail-on: ${failing.map((v) => `${report.summary[v]} ${v}`).join(", ")}\n`);
    return EXIT.POLICY;
  }
  return EXIT.OK;
}

interface CatalogCliOptions {
  port?: string;
  transport?: Transport;
  format: "table" | "json";
  catalog?: string;
  catalogExtend?: string;
}

/** A settings file could not be used: usage error (exit 2), naming the file (and line). */
class SettingsError extends Error {}

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

function loadCatalog(replace: string | undefined, extend: string | undefined): CatalogIndex {
  if (replace !== undefined && extend !== undefined)
    throw new UsageError("use --catalog or --catalog-extend, not both");
  if (replace === undefined && extend === undefined) return new CatalogIndex();
  const file = (replace ?? extend)!;
  let entries: CatalogEntry[];
  try {
    entries = parseCatalogFile(readSettingsFile(file), file);
  } catch (err) {
    if (err instanceof CatalogFileError) throw new SettingsError(`${err.file}: ${err.message}`);
    throw err;
  }
  return new CatalogIndex(replace !== undefined ? entries : extendCatalog(entries));
}

function loadTopology(file: string, index: CatalogIndex): Topology {
  try {
    return parseTopology(readSettingsFile(file), file, index.roles());
  } catch (err) {
    if (err instanceof TopologyError)
      throw new SettingsError(`${err.file}: line ${err.line}: ${err.message}`);
    throw err;
  }
}

async function catalogCommand(opts: CatalogCliOptions, io: Io): Promise<number> {
  const index = loadCatalog(opts.catalog, opts.catalogExtend);
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

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
}

/** Entry point for bin/ocs-pcap. */
export async function main(): Promise<void> {
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    // A closed pipe (`ocs-pcap … | head`) is not an error worth a message.
    if (err.code === "EPIPE") process.exit(EXIT.OK);
  });
  const code = await run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: (s) => {
      process.stderr.write(s);
    },
  });
  process.exitCode = code;
}
