import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";

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
