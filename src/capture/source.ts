/**
 * Reads a capture file through a reader's window, one fixed-size read at a
 * time, synchronously. The file is opened read-only and never modified.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { PcapReader } from "./pcap.js";

/** The file could not be opened or read (exit 66), as opposed to being unreadable as a capture (65). */
export class InputError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = "InputError";
  }
}

/**
 * Feeds the whole file through `reader` and signals end of input. Returns the
 * file's size. Throws InputError (cannot open/read) or the reader's CaptureError.
 */
export function readCaptureFile(path: string, reader: PcapReader): number {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw new InputError(`cannot open: ${describeFsError(err)}`, path);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new InputError("is a directory, not a capture file", path);
    for (;;) {
      const span = reader.writable();
      let n: number;
      try {
        n = readSync(fd, span.buf, span.offset, span.length, null);
      } catch (err) {
        throw new InputError(`read failed: ${describeFsError(err)}`, path);
      }
      if (n === 0) break;
      reader.commit(n);
    }
    reader.finish();
    return stat.size;
  } finally {
    closeSync(fd);
  }
}

function describeFsError(err: unknown): string {
  if (err instanceof Error && "code" in err) {
    const code = String((err as NodeJS.ErrnoException).code);
    if (code === "ENOENT") return "no such file";
    if (code === "EACCES" || code === "EPERM") return "permission denied";
    if (code === "EISDIR") return "is a directory, not a capture file";
    return `${code}: ${err.message}`;
  }
  return String(err);
}
