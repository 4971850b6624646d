/**
 * Option parsing and validation shared by the commands, and the settings
 * files they load (catalog, topology): a bad value or file is a usage error
 * (exit 2) naming it.
 */

import { readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { closest } from "fastest-levenshtein";
import { InputError } from "../capture/source.js";
import { builtInIndex, CatalogIndex } from "../catalog/index.js";
import { CatalogFileError, extendCatalog, parseCatalogFile } from "../catalog/load.js";
import {
  DEFAULT_PRODUCT,
  isDefaultProducts,
  PRODUCTS,
  parseProducts,
  productCatalog,
  productTopologyText,
  UnknownProductError,
} from "../catalog/products.js";
import type { CatalogEntry, Transport } from "../catalog/types.js";
import type { Verdict } from "../classify/classify.js";
import { BLOCKING_CODES, REASON_CODES } from "../classify/reasons.js";
import { parseTopology, type Topology, TopologyError } from "../classify/topology.js";
import { DEFAULT_WIDTH } from "../report/table.js";
import { OutputPathError, SettingsError, UsageError } from "./exit.js";
import type { FilterCliOptions } from "./filter-options.js";
import type { Format } from "./formats.js";
import type { Io } from "./io.js";
import type { JobSettings } from "./job.js";
import {
  checkExpectations,
  type Expectation,
  type FailOn,
  type Policy,
  PolicyFileError,
  parseExpectFile,
  parseThreshold,
} from "./policy.js";

export const FAILABLE: readonly Verdict[] = ["blocked", "misdirected", "unknown", "inconclusive"];

export interface PolicyCliOptions {
  failOn?: string;
  maxUnknownFlows?: string;
  maxBlocked?: string;
  expect?: string;
}

export interface AnalyzeCliOptions extends PolicyCliOptions, FilterCliOptions {
  format: Format;
  output?: string;
  reportDir?: string;
  jobs?: string;
  redact?: boolean;
  redactKey?: string;
  redactKeyFile?: string;
  redactKeepDomain?: boolean;
  quiet?: boolean;
  color: "auto" | "always" | "never";
  shard?: string;
  shardCount?: string;
  strict?: boolean;
  limit: string;
  width?: string;
  tz?: string;
  maxRecordLen: string;
  maxFlows: string;
  maxFragments: string;
  maxReassembly: string;
  maxReportFlows: string;
  tcpTimeout: string;
  udpTimeout: string;
  checksums?: boolean;
  dropped?: boolean;
  topology?: string;
  catalog?: string;
  catalogExtend?: string;
  product?: string;
}

export interface SummarizeCliOptions extends PolicyCliOptions {
  format: Format;
  output?: string;
  width?: string;
  tz?: string;
}

export interface CatalogCliOptions {
  port?: string;
  transport?: Transport;
  format: "table" | "json" | "csv";
  catalog?: string;
  catalogExtend?: string;
  product?: string;
}

export function parsePolicy(opts: PolicyCliOptions): Policy {
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

export function readSettingsFile(path: string): string {
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

export function statSize(path: string): number {
  return statSync(path).size;
}

export function loadCatalog(
  replace: string | undefined,
  extend: string | undefined,
  productList?: string,
): { index: CatalogIndex; source: JobSettings["catalog"]; products: string[] } {
  if (replace !== undefined && extend !== undefined)
    throw new UsageError("use --catalog or --catalog-extend, not both");
  if (replace !== undefined && productList !== undefined)
    throw new UsageError(
      "--catalog replaces the built-in catalogs that --product chooses among: give one of them",
    );
  if (productList?.split(",").every((s) => s.trim() === ""))
    throw new UsageError(`--product needs at least one product name: ${[...PRODUCTS.keys()].join(", ")}`);
  let products: string[];
  try {
    products = productList === undefined ? [DEFAULT_PRODUCT] : parseProducts(productList);
  } catch (err) {
    if (!(err instanceof UnknownProductError)) throw err;
    throw new UsageError(
      `--product: ${err.message}; did you mean ${closest(err.product, [...PRODUCTS.keys()])}?`,
    );
  }
  const base = isDefaultProducts(products) ? null : productCatalog(products);
  if (replace === undefined && extend === undefined)
    return { index: base === null ? builtInIndex() : new CatalogIndex(base), source: null, products };
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
    index: new CatalogIndex(replace !== undefined ? entries : extendCatalog(entries, base ?? undefined)),
    source: { mode: replace !== undefined ? "replace" : "extend", file, text },
    products,
  };
}

/** The products' published address sets as a topology, or null when they define none. */
export function builtInTopology(
  products: readonly string[],
  index: CatalogIndex,
): { topology: Topology; source: { file: string; text: string } } | null {
  const text = productTopologyText(products);
  if (text === null) return null;
  const file = `built-in addresses of ${products.join(", ")}`;
  return { topology: parseTopology(text, file, index.roles()), source: { file, text } };
}

export function loadTopology(
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

export function parseFailOn(value: string | undefined): FailOn[] {
  if (value === undefined) return [];
  const parts = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const p of parts) {
    if (
      !(FAILABLE as readonly string[]).includes(p) &&
      p !== "warnings" &&
      p !== "sign_in" &&
      !(REASON_CODES as readonly string[]).includes(p)
    ) {
      throw new UsageError(
        `--fail-on: unknown verdict or reason '${p}' (choose from ${FAILABLE.join(", ")}, warnings, sign_in, a blocking reason: ${[...BLOCKING_CODES].join(", ")}, or any other reason code of the README's table, such as peer_receive_only or tls_certificate_expired)`,
      );
    }
  }
  return parts as FailOn[];
}

export function parsePositiveSeconds(value: string, name: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0))
    throw new UsageError(`${name} must be a positive number of seconds, not '${value}'`);
  return n;
}

export function parseNonNegativeInt(value: string, name: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a whole number, not '${value}'`);
  return Number(value);
}

/** The redaction key: --redact-key, --redact-key-file, else $OCS_PCAP_REDACT_KEY, else none (random). */
export function redactKeyOption(opts: AnalyzeCliOptions): { key?: string } {
  if (opts.redactKey !== undefined) return { key: opts.redactKey };
  if (opts.redactKeyFile !== undefined) {
    const key = readSettingsFile(opts.redactKeyFile).trim();
    if (key === "") throw new UsageError(`--redact-key-file ${opts.redactKeyFile} is empty`);
    return { key };
  }
  const env = process.env.OCS_PCAP_REDACT_KEY;
  return env !== undefined && env !== "" ? { key: env } : {};
}

/**
 * -o as given: undefined for standard output (absent, or `-`). Refused before
 * any work: an empty name, a folder (an existing one, or a name ending in a
 * slash), and a name in a folder that does not exist.
 */
export function outputPath(output: string | undefined): string | undefined {
  if (output === undefined || output === "-") return undefined;
  if (output === "") throw new UsageError("-o needs a file name (or - for standard output)");
  let folder = /[/\\]$/.test(output);
  try {
    folder ||= statSync(output).isDirectory();
  } catch {
    // absent: written there
  }
  if (folder) throw new OutputPathError(output, "is a directory; -o names the report file to write");
  const parent = dirname(output);
  let parentIsFolder = false;
  try {
    parentIsFolder = statSync(parent).isDirectory();
  } catch {
    // absent
  }
  if (!parentIsFolder) throw new OutputPathError(output, `cannot be written: there is no folder ${parent}`);
  return output;
}

/** `--expect`'s roles, ports and transports against the run's catalog: exit 2 naming the file and line. */
export function checkExpectationsFile(
  expect: readonly Expectation[],
  index: CatalogIndex,
  file: string,
): void {
  try {
    checkExpectations(expect, index, file);
  } catch (err) {
    if (err instanceof PolicyFileError) throw new SettingsError(`${err.file}: ${err.message}`);
    throw err;
  }
}

export function tableWidth(given: string | undefined, output: string | undefined, io: Io): number {
  if (given !== undefined) {
    const width = parseNonNegativeInt(given, "--width");
    if (width > 0 && width < 40) throw new UsageError("--width must be 0 (no limit) or at least 40");
    return width;
  }
  return output === undefined && io.columns !== undefined ? Math.max(40, io.columns) : DEFAULT_WIDTH;
}

/**
 * `--shard I/N` (1 ≤ I ≤ N), or `--shard-count N` with the shard's 0-based
 * index from JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs): the 0-based
 * index and the count, or null when the run is not sharded.
 */
export function parseShard(
  opts: { shard?: string; shardCount?: string },
  env: NodeJS.ProcessEnv,
): { index: number; count: number } | null {
  if (opts.shard !== undefined && opts.shardCount !== undefined)
    throw new UsageError("give --shard I/N or --shard-count N (with JOB_COMPLETION_INDEX), not both");
  if (opts.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(opts.shard);
    const i = Number(m?.[1]);
    const n = Number(m?.[2]);
    if (m === null || n < 1 || i < 1 || i > n || n > 1_000_000)
      throw new UsageError(`--shard takes I/N with 1 <= I <= N <= 1000000 (say 2/4), not '${opts.shard}'`);
    return { index: i - 1, count: n };
  }
  if (opts.shardCount !== undefined) {
    const n = parseNonNegativeInt(opts.shardCount, "--shard-count");
    if (n < 1 || n > 1_000_000) throw new UsageError("--shard-count must be between 1 and 1000000");
    const raw = env.JOB_COMPLETION_INDEX;
    if (raw === undefined || !/^\d+$/.test(raw) || Number(raw) >= n)
      throw new UsageError(
        `--shard-count ${n} takes this shard's index from JOB_COMPLETION_INDEX (0 to ${n - 1}); it is ${raw === undefined ? "not set" : `'${raw}'`}`,
      );
    return { index: Number(raw), count: n };
  }
  return null;
}

/** `--tz`: an IANA time zone (Europe/Berlin), UTC, or local (this machine's); checked with Intl. */
export function parseTimeZone(tz: string | undefined): string | undefined {
  if (tz === undefined) return undefined;
  const zone = tz === "local" ? Intl.DateTimeFormat().resolvedOptions().timeZone : tz;
  try {
    // Intl's own name for it: "utc" and "Etc/UTC" are UTC, shown as Z.
    const resolved = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
    return resolved === "Etc/UTC" || resolved === "Etc/GMT" ? "UTC" : resolved;
  } catch {
    throw new UsageError(`--tz takes an IANA time zone (Europe/Berlin), UTC or local, not '${tz}'`);
  }
}
