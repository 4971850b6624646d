import { execFile, spawnSync } from "node:child_process";
import { join } from "node:path";
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

/** `cliWith` without blocking this process: several can run side by side. */
export function cliAsync(options: { env?: Record<string, string> }, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, OCS_PCAP_DEBUG: "", ...options.env },
        maxBuffer: 1 << 26,
      },
      (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== "number") return reject(err);
        expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
        resolve({ code: err === null ? 0 : (err.code as number), stdout, stderr });
      },
    );
  });
}

/**
 * The CLI as `cli` runs it, but in this process (`run(argv, io)`; a batch's
 * workers are threads of this process): the same exit code, standard output
 * and error, a tenth of the time. Paths are relative to the repository root,
 * as there.
 */
export async function cliFast(...args: string[]): Promise<CliResult> {
  if (process.cwd() !== ROOT) return cli(...args);
  const r = await runCli(...args);
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  return r;
}
