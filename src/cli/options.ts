/**
 * Option parsing and validation shared by the commands, and the settings
 * files they load (catalog, topology): a bad value or file is a usage error
 * (exit 2) naming it.
 */

import { readFileSync, statSync } from "node:fs";
import { InputError } from "../capture/source.js";
import { CatalogIndex } from "../catalog/index.js";
import { CatalogFileError, extendCatalog, parseCatalogFile } from "../catalog/load.js";
import type { CatalogEntry, Transport } from "../catalog/types.js";
import type { Verdict } from "../classify/classify.js";
import { parseTopology, type Topology, TopologyError } from "../classify/topology.js";
import { OutputPathError, SettingsError, UsageError } from "./exit.js";
import type { Format } from "./formats.js";
import type { JobSettings } from "./job.js";
import {
  checkExpectations,
  type Expectation,
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

export interface AnalyzeCliOptions extends PolicyCliOptions {
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
  strict?: boolean;
  limit: string;
  width?: string;
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

export interface SummarizeCliOptions extends PolicyCliOptions {
  format: Format;
  output?: string;
}

export interface CatalogCliOptions {
  port?: string;
  transport?: Transport;
  format: "table" | "json";
  catalog?: string;
  catalogExtend?: string;
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

export function parseFailOn(value: string | undefined): Verdict[] {
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
 * -o as given: undefined for standard output (absent, or `-`); a folder (an
 * existing one, or a name ending in a slash) is refused before any work.
 */
export function outputPath(output: string | undefined): string | undefined {
  if (output === undefined || output === "-") return undefined;
  let folder = /[/\\]$/.test(output);
  try {
    folder ||= statSync(output).isDirectory();
  } catch {
    // absent: written there
  }
  if (folder) throw new OutputPathError(output, "is a directory; -o names the report file to write");
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
