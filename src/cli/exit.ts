/**
 * Exit codes (README "Exit codes"; sysexits.h) and the errors that map to
 * them: one home for the numbers the commands and the batch return.
 *   0  analysed (warnings about a cut or damaged tail still exit 0, unless --strict)
 *   1  a CI policy failed (--fail-on, --max-unknown-flows, --max-blocked, --expect)
 *   2  usage error, or a settings file (topology, catalog, expectations) that cannot be used
 *   65 the input is not a readable capture (message names file and byte offset);
 *      in a batch: at least one capture was unreadable, and no policy failed
 *   66 an input file cannot be opened or read
 *   70 internal error (a bug: please report it)
 *   73 a report file cannot be written
 *   74 the report could not be written: the disk is full, or another I/O error (sysexits EX_IOERR)
 *   141 standard output was closed by its reader before the report was whole (`| head`):
 *      128 + SIGPIPE, the status of cat or grep there, so `set -o pipefail` sees it
 */

export const EXIT = {
  OK: 0,
  POLICY: 1,
  USAGE: 2,
  DATAERR: 65,
  NOINPUT: 66,
  SOFTWARE: 70,
  CANTCREAT: 73,
  IOERR: 74,
  PIPE: 141,
} as const;

/** Write errors that are the system's, not a bug: sysexits' EX_IOERR (74). */
export const IO_ERRORS: ReadonlySet<string> = new Set([
  "ENOSPC",
  "EDQUOT",
  "EIO",
  "EFBIG",
  "EROFS",
  // Standard output open for reading only (`1<file`).
  "EBADF",
]);

export class UsageError extends Error {}

/** The report file cannot be created where -o says (a folder, say): exit 73, naming it. */
export class OutputPathError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** A settings file could not be used: usage error (exit 2), naming the file (and line). */
export class SettingsError extends Error {}

/**
 * What a "module not found" error says is missing from the installation (a
 * pruned or half-copied node_modules), as "the package X" or "the file X",
 * else null. CommonJS writes "Cannot find module 'X'" (code MODULE_NOT_FOUND),
 * ES modules "Cannot find package 'X' imported from …" or "Cannot find module
 * 'X' imported from …" (ERR_MODULE_NOT_FOUND).
 */
export function missingModule(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== "MODULE_NOT_FOUND" && code !== "ERR_MODULE_NOT_FOUND") return null;
  const m = /Cannot find (?:module|package) '([^']+)'/.exec(err.message);
  if (m === null) return null;
  const name = m[1]!;
  return /^(?:[./]|[A-Za-z]:[\\/]|file:)/.test(name) ? `the file ${name}` : `the package ${name}`;
}
