/**
 * The streams a command reads and writes: standard input (for `-`), standard
 * output (or a test's buffer) and standard error.
 */

import type { Readable } from "node:stream";
import type { OutputStream } from "./output.js";

export interface Io {
  stdout: OutputStream;
  stderr: (text: string) => void;
  /** Whether standard output is a colour terminal (the table format uses colour then). */
  color?: boolean;
  /** Standard output's width when it is a terminal (the table format fits it). */
  columns?: number;
  /**
   * The batch worker's module, for a caller that runs the CLI from sources
   * (tests run `run(argv, io)` in-process, where no `worker.js` sits beside
   * the TypeScript), or its bundled source (the standalone executable, which
   * has no file beside it): by default the built one beside the batch code.
   */
  workerScript?: WorkerScript;
  /** What `analyze -` reads: by default the process's standard input (tests pass their own stream). */
  stdin?: Readable;
}

/** A worker's module file, or its whole source as one CommonJS script. */
export type WorkerScript = URL | { source: string };
