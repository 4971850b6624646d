/**
 * Which captures the command line names: files as given, folders walked for
 * files that start like a capture (links followed, each folder and file once),
 * and what a walk finds but cannot open, reported instead of skipped.
 * Folders are walked sorted by name, so the order is stable; a file is taken
 * when it starts like pcap, pcapng or gzip (whose content is checked when read).
 */
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { sniff } from "../capture/sniff.js";
import { identity } from "./protect.js";

/**
 * Whether a file starts like a capture (pcap, pcapng or gzip magic bytes). Opened without
 * blocking, so a device-like file a folder walk meets (/proc/kmsg) answers at once. A file that
 * cannot be opened, or a pseudo-file (size 0) that cannot be read, is not one; a file with bytes
 * that fails to read is taken, so that analysing it reports the error instead of skipping it.
 */
export function looksLikeCapture(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(4);
    const n = readSync(fd, head, 0, 4, 0);
    return sniff(head.subarray(0, n)) !== null;
  } catch {
    try {
      return fstatSync(fd).size > 0;
    } catch {
      return false;
    }
  } finally {
    closeSync(fd);
  }
}

/** A file or folder the walk found but cannot open: reported as an unreadable input, never skipped. */
export interface Unopened {
  path: string;
  message: string;
}

/** The captures named by the arguments: files as given, directories walked for captures. */
export function expandInputs(inputs: readonly string[]): {
  paths: string[];
  batch: boolean;
  /**
   * Found but not openable: files whose names are not valid UTF-8 (shown with \xNN escapes), and
   * folders that cannot be listed (permission denied, …).
   */
  unnamed: Unopened[];
  /** Arguments naming a capture already named (another name for the same file): analysed once. */
  repeated: string[];
  /** Each path's name for sharding: relative to the folder argument it was found in, else as given. */
  keys: string[];
} {
  const paths: string[] = [];
  const keys: string[] = [];
  const repeated: string[] = [];
  const unnamed: Unopened[] = [];
  let sawDir = false;
  // Directories and files already seen, by device and inode: a link back up
  // the tree (`self -> .`) or two names for one capture are walked once.
  const seen = new Set<string>();
  const first = (p: string): boolean => {
    const id = identity(p);
    if (id === null) return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  };
  const walk = (dir: string, root: string) => {
    if (!first(dir)) return;
    let raw: Buffer[];
    try {
      raw = readdirSync(dir, { encoding: "buffer" });
    } catch (err) {
      const why =
        (err as NodeJS.ErrnoException).code === "EACCES"
          ? "permission denied"
          : String((err as Error).message);
      unnamed.push({
        path: dir,
        message: `cannot list this folder (${why}): its captures, if any, were not analysed`,
      });
      return;
    }
    const names: string[] = [];
    for (const b of raw) {
      const name = b.toString("utf8");
      // A name that is not UTF-8 cannot be opened through a JavaScript string: report it, never skip it.
      if (Buffer.from(name, "utf8").equals(b)) names.push(name);
      else
        unnamed.push({
          path: join(dir, notUtf8(b)),
          message:
            "the file name is not valid UTF-8, so it cannot be opened by name: rename it to analyse it",
        });
    }
    for (const name of names.sort()) {
      const p = join(dir, name);
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p, root);
      else if (st.isFile() && looksLikeCapture(p) && first(p)) {
        paths.push(p);
        keys.push(relative(root, p));
      }
    }
  };
  for (const input of inputs) {
    let dir = false;
    try {
      dir = input !== "-" && statSync(input).isDirectory();
    } catch {
      dir = false;
    }
    if (dir) {
      sawDir = true;
      const from = paths.length;
      walk(input, input);
      // A folder's captures in the order of their paths (as summarize orders a folder's reports).
      const found = paths.splice(from).map((p, i) => [p, keys[from + i]!] as const);
      keys.splice(from);
      found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [p, k] of found) {
        paths.push(p);
        keys.push(k);
      }
    } else if (input === "-" || first(input)) {
      paths.push(input);
      keys.push(input);
    } else {
      repeated.push(input);
    }
  }
  unnamed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { paths, batch: sawDir || inputs.length > 1 || unnamed.length > 0, unnamed, repeated, keys };
}

/** A file name's bytes as text: printable ASCII as it is, every other byte as \xNN. */
function notUtf8(b: Buffer): string {
  let s = "";
  for (const c of b)
    s +=
      c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, "0")}`;
  return s;
}
