/**
 * Where reports go. A file is written atomically: to a temporary file in the
 * same directory, flushed, then renamed over the target, so an interrupted run
 * never leaves half a report. Standard output honours back-pressure.
 */
import { once } from "node:events";
import {
  closeSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeSync,
} from "node:fs";
import { basename, dirname, resolve, sep } from "node:path";

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

/**
 * Standard output when it is a regular file (`> report.json`), written with
 * `writeAllSync`: Node's stream for a file descriptor that is a file writes
 * each chunk with one `fs.writeSync` and drops what a short write left over,
 * so a report cut by the file-size limit or a full disk would exit 0. Null for
 * a pipe or terminal, whose streams finish every write or report an error.
 */
export function fileStdout(): OutputStream | null {
  try {
    if (!fstatSync(1).isFile()) return null;
  } catch {
    return null;
  }
  return {
    write(chunk: string): boolean {
      writeAllSync(1, chunk);
      return true;
    },
    once: () => undefined,
  };
}

export function writeFileAtomic(path: string, chunks: Iterable<string>): void {
  const file = AtomicFile.open(path);
  try {
    let pending = "";
    for (const chunk of chunks) {
      pending += chunk;
      if (pending.length >= BATCH) {
        file.write(pending);
        pending = "";
      }
    }
    if (pending.length > 0) file.write(pending);
  } catch (err) {
    file.abort();
    throw err;
  }
  file.commit();
}

/**
 * A file written in pieces and put in place only when complete: a temporary
 * file beside the target, flushed and renamed over it by `commit`, removed by
 * `abort` (or by `removeTemporaries` on a signal). A special file (/dev/null,
 * a FIFO, /dev/stdout) has nothing to rename over and is written straight.
 */
export class AtomicFile {
  private constructor(
    private readonly path: string,
    private readonly fd: number,
    private readonly tmp: string | null,
  ) {}

  static open(path: string): AtomicFile {
    const target = writeTarget(path);
    if (target === null) return new AtomicFile(path, openSync(path, "w"), null);
    const tmp = tempName(path);
    const fd = openSync(tmp, "wx", 0o644);
    temporaries.add(tmp);
    // A report replacing a file keeps its permissions and, where allowed (root), its owner.
    if (target.replaces !== null) {
      fchmodSync(fd, target.replaces.mode & 0o777);
      try {
        fchownSync(fd, target.replaces.uid, target.replaces.gid);
      } catch {
        // not ours to give away: the report is the writer's
      }
    }
    return new AtomicFile(path, fd, tmp);
  }

  write(text: string): void {
    writeAllSync(this.fd, text);
  }

  commit(): void {
    if (this.tmp === null) {
      closeSync(this.fd);
      return;
    }
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
      renameSync(this.tmp, this.path);
    } catch (err) {
      this.abort();
      throw err;
    } finally {
      temporaries.delete(this.tmp);
    }
  }

  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    if (this.tmp !== null) {
      rmSync(this.tmp, { force: true });
      temporaries.delete(this.tmp);
    }
  }
}

/**
 * Writes all of `text` to `fd`. write(2) may write fewer bytes than asked
 * (POSIX: when the file reaches the file-size limit or the disk fills, it
 * writes what fits and the next write fails), and `fs.writeSync` returns that
 * count without retrying: continuing from where it stopped turns a silently
 * cut report into the EFBIG/ENOSPC error that the caller reports (exit 74).
 */
export function writeAllSync(fd: number, text: string): void {
  // Encoded into one reused buffer (UTF-8 takes at most 3 bytes a UTF-16 unit): a fresh Buffer
  // a piece cost a third of the writing time in GC; a rare larger piece gets its own.
  if (text.length * 3 > SCRATCH_BYTES) {
    writeBytes(fd, Buffer.from(text, "utf8"));
    return;
  }
  scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES);
  writeBytes(fd, scratch.subarray(0, scratch.write(text, 0, "utf8")));
}

function writeBytes(fd: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; ) {
    const n = writeSync(fd, bytes, at, bytes.length - at);
    if (n <= 0) throw Object.assign(new Error("write stored no bytes"), { code: "EIO" });
    at += n;
  }
}

const SCRATCH_BYTES = 1 << 20;
let scratch: Buffer | undefined;

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
  for (const dir of temporaryFolders) rmSync(dir, { recursive: true, force: true });
  temporaryFolders.clear();
}

/** Temporary folders (streamed ndjson's spools): removed with the files, or by `forgetFolder` when done. */
const temporaryFolders = new Set<string>();

export function rememberFolder(dir: string): void {
  temporaryFolders.add(dir);
}

export function forgetFolder(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  temporaryFolders.delete(dir);
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
  // Not join(): it would fold "link/.." by the name, where the system goes up from the link's target.
  return `${dirname(path)}${sep}${name}`;
}

/**
 * How a report for `path` is written: null to write straight, for a device,
 * FIFO or socket, and for the file standard output or standard error is
 * (`-o /dev/stdout > file`: renaming over /dev/stdout would replace it, not
 * write the report); else through a temporary file renamed over `path`
 * itself, taking the place of the regular file there (`replaces`, whose mode
 * and owner the report keeps) or of a symbolic link, never following one to
 * rename elsewhere: a link planted where a report is written (a shared
 * folder) cannot send the report over another file.
 */
function writeTarget(path: string): { replaces: Stats | null } | null {
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    return { replaces: null }; // absent, or a dangling link: made (in place of the link)
  }
  if (!st.isFile() || sameFile(st, 1) || sameFile(st, 2) || namesDescriptor(path)) return null;
  return { replaces: lstatSync(path).isSymbolicLink() ? null : st };
}

function sameFile(st: Stats, fd: number): boolean {
  try {
    const o = fstatSync(fd);
    return o.dev === st.dev && o.ino === st.ino;
  } catch {
    return false;
  }
}

/** This process's descriptors by path: /dev/fd/N, /dev/stdout, /proc/self/fd/N, /proc/PID/task/TID/fd/N. */
const DESCRIPTOR_PATH = new RegExp(
  `^/(dev/(fd/|stdout$|stderr$)|proc/(self|thread-self|${process.pid})/(task/\\d+/)?fd/)`,
);

/** Whether `path`, or a symbolic link on the way from it, names one of this process's open descriptors. */
function namesDescriptor(path: string): boolean {
  let at = path;
  for (let hops = 0; hops <= 40; hops++) {
    if (DESCRIPTOR_PATH.test(resolve(at))) return true;
    try {
      if (!lstatSync(at).isSymbolicLink()) return false;
      at = resolve(dirname(at), readlinkSync(at));
    } catch {
      return false;
    }
  }
  return false;
}

/**
 * `mkdir -p`: each missing folder of `path` made in turn, parent first. Not
 * Node's `mkdirSync(…, { recursive: true })`, which never returns where the
 * kernel answers ENOENT for a folder whose parent exists (a path under /proc
 * or /sys): it makes the parent again, is told it exists, and tries the child
 * again, for ever, in native code that no signal interrupts. Here any failure
 * is an error.
 */
export function makeFolders(path: string): void {
  const missing: string[] = [];
  for (let at = resolve(path); ; ) {
    try {
      if (statSync(at).isDirectory()) break;
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${at}'`), { code: "ENOTDIR" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (err) {
      // Made meanwhile by another process: fine if it is a folder.
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || !statSync(dir).isDirectory()) throw err;
    }
  }
}
