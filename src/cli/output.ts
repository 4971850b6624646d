/**
 * Where reports go. A file is written atomically: to a temporary file in the
 * same directory, flushed, then renamed over the target, so an interrupted run
 * never leaves half a report. Standard output honours back-pressure.
 */
import { once } from "node:events";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

const BATCH = 1 << 16;

export interface OutputStream {
  write(chunk: string): boolean;
  once(event: "drain", listener: () => void): unknown;
}

export async function writeToStream(stream: OutputStream, chunks: Iterable<string>): Promise<void> {
  let pending = "";
  for (const chunk of chunks) {
    pending += chunk;
    if (pending.length >= BATCH) {
      const ok = stream.write(pending);
      pending = "";
      if (!ok) await once(stream as unknown as NodeJS.EventEmitter, "drain");
    }
  }
  if (pending.length > 0 && !stream.write(pending))
    await once(stream as unknown as NodeJS.EventEmitter, "drain");
}

export function writeFileAtomic(path: string, chunks: Iterable<string>): void {
  if (isSpecialFile(path)) {
    // /dev/null, a FIFO, /dev/stdout: nothing to rename over; write straight through.
    const fd = openSync(path, "w");
    try {
      writeChunks(fd, chunks);
    } finally {
      closeSync(fd);
    }
    return;
  }
  const tmp = tempName(path);
  const fd = openSync(tmp, "wx", 0o644);
  temporaries.add(tmp);
  try {
    try {
      writeChunks(fd, chunks);
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw err;
    }
    closeSync(fd);
    try {
      renameSync(tmp, path);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  } finally {
    temporaries.delete(tmp);
  }
}

/** Temporary files being written now: removed if the process is stopped by a signal (see `removeTemporaries`). */
const temporaries = new Set<string>();

/**
 * Removes every temporary report file still being written. The CLI calls it
 * from its SIGINT/SIGTERM/SIGHUP handlers before exiting, so an interrupted
 * run leaves neither half a report nor a hidden temporary file.
 */
export function removeTemporaries(): void {
  for (const tmp of temporaries) rmSync(tmp, { force: true });
  temporaries.clear();
}

/**
 * A temporary name beside `path`: `.NAME.PID.TIME.tmp`, or a short
 * `.ocs-pcap.PID.TIME.tmp` when that would pass the 255-byte name limit of
 * common file systems, so any name that fits as the target fits as its temp.
 */
export function tempName(path: string): string {
  const unique = `${process.pid}.${Date.now().toString(36)}`;
  const long = `.${basename(path)}.${unique}.tmp`;
  const name = Buffer.byteLength(long) <= 255 ? long : `.ocs-pcap.${unique}.tmp`;
  return join(dirname(path), name);
}

function writeChunks(fd: number, chunks: Iterable<string>): void {
  let pending = "";
  for (const chunk of chunks) {
    pending += chunk;
    if (pending.length >= BATCH) {
      writeSync(fd, pending);
      pending = "";
    }
  }
  if (pending.length > 0) writeSync(fd, pending);
}

function isSpecialFile(path: string): boolean {
  try {
    const st = statSync(path);
    return !st.isFile() && !st.isDirectory();
  } catch {
    return false;
  }
}
