import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect } from "vitest";
import { runCli } from "./run.js";

export const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "bin", "ocs-pcap");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/ocs-pcap from the repository root, as a user would. */
export function cli(...args: string[]): CliResult {
  return cliWith({}, ...args);
}

/** bin/ocs-pcap with standard input and extra environment variables. */
export function cliWith(
  options: { input?: Buffer; env?: Record<string, string> },
  ...args: string[]
): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, OCS_PCAP_DEBUG: "", ...options.env },
    maxBuffer: 64 * 1024 * 1024,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  // No stack trace ever reaches the user.
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Options of `analyze` that take no value (every other option takes one). */
const FLAGS = new Set([
  "--redact",
  "--redact-keep-domain",
  "-q",
  "--quiet",
  "--strict",
  "--checksums",
  "-h",
  "--help",
]);

/**
 * Whether `analyze` with these arguments starts worker threads, which only
 * the built bin can (a worker loads dist/cli/worker.js): a batch of more
 * than one capture, or a folder, without `--jobs 1`.
 */
function needsWorkers(args: readonly string[]): boolean {
  if (args[0] !== "analyze") return false;
  const positional: string[] = [];
  let jobs: string | undefined;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith("-") && a !== "-") {
      if (a.includes("=") || FLAGS.has(a)) continue;
      if (a === "-j" || a === "--jobs") jobs = args[i + 1];
      i++;
    } else {
      positional.push(a);
    }
  }
  if (jobs === "1") return false;
  if (jobs !== undefined) return true;
  return positional.length > 1 || positional.some((p) => p !== "-" && isDirectory(resolve(ROOT, p)));
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The CLI as `cli` runs it, but in this process (`run(argv, io)`) unless it
 * needs worker threads: the same exit code, standard output and error, a
 * tenth of the time. Paths are relative to the repository root, as there.
 */
export async function cliFast(...args: string[]): Promise<CliResult> {
  if (needsWorkers(args) || process.cwd() !== ROOT) return cli(...args);
  const r = await runCli(...args);
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  return r;
}
