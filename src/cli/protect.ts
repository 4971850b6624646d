/**
 * The input is never written (issue 12): every output path is checked
 * against every input file before anything is written. Identity is the
 * device and inode, so a symbolic link, a hard link or another spelling of
 * the same path is caught as well as the path itself.
 */
import { statSync } from "node:fs";

export class InputGuard {
  /** "device:inode" of each input file, with the name it was given as. */
  private readonly inputs = new Map<string, string>();

  constructor(files: readonly string[]) {
    for (const f of files) {
      if (f === "-") continue;
      const key = identity(f);
      if (key !== null && !this.inputs.has(key)) this.inputs.set(key, f);
    }
  }

  /** The input that `output` would overwrite, or null when it overwrites none (or does not exist yet). */
  overwrites(output: string): string | null {
    if (output === "-") return null;
    const key = identity(output);
    return key === null ? null : (this.inputs.get(key) ?? null);
  }
}

/** "device:inode" of the file at `path` (following links), or null when there is none. */
export function identity(path: string): string | null {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}
