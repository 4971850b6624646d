/**
 * The streams a command writes to: standard output (or a test's buffer) and
 * standard error.
 */

import type { OutputStream } from "./output.js";

export interface Io {
  stdout: OutputStream;
  stderr: (text: string) => void;
  /** Whether standard output is a colour terminal (the table format uses colour then). */
  color?: boolean;
}
