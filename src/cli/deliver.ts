/**
 * Delivers a finished report: to standard output or atomically to a file,
 * then returns the exit code the policy and the data give.
 */

import type { BatchEntry } from "../report/batch.js";
import { escapeTerminalLine as line1 } from "../report/escape.js";
import { EXIT, IO_ERRORS } from "./exit.js";
import type { Io } from "./io.js";
import { writeFileAtomic, writeToStream } from "./output.js";
import { evaluatePolicy, type Policy } from "./policy.js";

/**
 * Writes the report (to -o atomically, or to stdout), then applies the
 * policy: exit 1 with one stderr line per failure, which outranks a data
 * error (65); otherwise 65 when `dataError`, else 0.
 */
export async function deliver(
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
  return policyExit(entries, policy, namePaths, dataError, io);
}

/**
 * The exit code once the report is written: 1 with one stderr line per
 * policy failure, which outranks a data error (65); otherwise 65 when
 * `dataError`, else 0.
 */
export function policyExit(
  entries: readonly BatchEntry[],
  policy: Policy,
  namePaths: boolean,
  dataError: boolean,
  io: Io,
): number {
  const failures = entries.flatMap((e) =>
    e.report ? evaluatePolicy(e.report, policy).map((f) => (namePaths ? `${e.path}: ${f}` : f)) : [],
  );
  for (const f of failures) io.stderr(`ocs-pcap: ${line1(f)}\n`);
  if (failures.length > 0) return EXIT.POLICY;
  return dataError ? EXIT.DATAERR : EXIT.OK;
}

/**
 * The exit code for an error writing a report: 74 for a full disk or I/O error, 141 when the
 * reader of a pipe or FIFO went away, 73 otherwise. Standard output ("-") is not named, as in
 * every other message about it.
 */
export function writeFailure(path: string, err: unknown, io: Io): number {
  const where = path === "-" ? "" : `${line1(path)}: `;
  io.stderr(
    `ocs-pcap: ${where}cannot write the report: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
  if (code === "EPIPE") return EXIT.PIPE;
  return code !== undefined && IO_ERRORS.has(code) ? EXIT.IOERR : EXIT.CANTCREAT;
}

/** Writes a report file atomically; 0, or the exit code: 74 for a full disk or I/O error, 73 otherwise. */
export function writeReportFile(path: string, chunks: Iterable<string>, io: Io): number {
  try {
    writeFileAtomic(path, chunks);
    return EXIT.OK;
  } catch (err) {
    return writeFailure(path, err, io);
  }
}
