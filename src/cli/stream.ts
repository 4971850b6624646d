/**
 * ndjson that streams as flows end (`--format ndjson` without --report-dir):
 * each flow's line is written when the flow ends, so memory stays bounded
 * whatever the number of flows. One capture writes straight to the output,
 * pausing the reader while standard output drains. In a batch, each capture
 * (on this thread or a worker) writes its lines to a spool file of its own;
 * the spools are then copied to the output in the order of the arguments,
 * each followed by its capture line, so the output is the same whatever the
 * number of workers.
 */

import { once } from "node:events";
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import type { Reason } from "../classify/reasons.js";
import type { FlowRecord } from "../report/model.js";
import { NdjsonLines } from "../report/ndjson.js";
import { Redactor, redactFlow } from "../report/redact.js";
import { AtomicFile, forgetFolder, type OutputStream, rememberFolder, writeAllSync } from "./output.js";

/** Text held before it is written (and, on standard output, before the reader waits for a drain). */
const BATCH = 1 << 16;

/** How a stream of flow lines is redacted: the key of the run's Redactor (any thread can rebuild it). */
export interface StreamRedaction {
  key: string;
  keepDomain: boolean;
}

const redactors = new Map<string, Redactor>();

/** The Redactor for a redaction key, one per thread: a run's reports and streamed lines share its caches. */
export function redactorFor(r: StreamRedaction): Redactor {
  const id = `${r.keepDomain}:${r.key}`;
  let out = redactors.get(id);
  if (out === undefined) {
    out = new Redactor({ key: r.key, keepDomain: r.keepDomain });
    redactors.set(id, out);
  }
  return out;
}

/**
 * A function for AnalyzeOptions.onFlowRecord that turns each record into its
 * ndjson line (redacted when asked) and hands it to `write`. `capture` is the
 * path the report shows for the capture, before redaction.
 */
export function flowLineWriter(
  capture: string,
  redaction: StreamRedaction | null,
  write: (line: string) => void,
): (record: FlowRecord) => void {
  const lines = new NdjsonLines();
  if (redaction === null) return (f) => write(lines.flow(capture, f));
  const r = redactorFor(redaction);
  const shown = r.path(capture);
  const cache = new Map<readonly Reason[], Reason[]>();
  return (f) => write(lines.flow(shown, redactFlow(f, r, cache)));
}

/**
 * A spool file of one capture's lines, written synchronously in 64 KB pieces.
 * Its errors name it: a full TMPDIR is then told apart from a full report disk.
 */
export class Spool {
  private readonly fd: number;
  private pending = "";

  constructor(readonly path: string) {
    this.fd = this.named(() => openSync(path, "w", 0o600));
  }

  readonly write = (line: string): void => {
    this.pending += line;
    if (this.pending.length >= BATCH) {
      this.named(() => writeAllSync(this.fd, this.pending));
      this.pending = "";
    }
  };

  close(): void {
    try {
      if (this.pending.length > 0) this.named(() => writeAllSync(this.fd, this.pending));
    } finally {
      this.pending = "";
      closeSync(this.fd);
    }
  }

  private named<T>(step: () => T): T {
    try {
      return step();
    } catch (err) {
      if (err instanceof Error) err.message = `temporary file ${this.path} (TMPDIR): ${err.message}`;
      throw err;
    }
  }
}

/** The output of a streamed run: standard output (honouring back-pressure) or a file written atomically. */
export class NdjsonOutput {
  private pending = "";
  private spools: string | null = null;

  private constructor(
    private readonly stream: OutputStream | null,
    private readonly file: AtomicFile | null,
  ) {}

  /** Opens `-o FILE` (its temporary), or standard output; may throw the file system's error. */
  static open(output: string | undefined, stdout: OutputStream): NdjsonOutput {
    return output === undefined
      ? new NdjsonOutput(stdout, null)
      : new NdjsonOutput(null, AtomicFile.open(output));
  }

  /** The batch's spool folder, made on first use (removed by `close` or `abort`). */
  spoolFolder(): string {
    if (this.spools === null) {
      this.spools = mkdtempSync(join(tmpdir(), "ocs-pcap-spool-"));
      // Removed on a signal or a closed pipe too (main.ts calls removeTemporaries).
      rememberFolder(this.spools);
    }
    return this.spools;
  }

  /**
   * Holds a line, writing 64 KB at a time. Standard output may then buffer
   * what it cannot send yet; the reader waits for it to drain at its next
   * pause, so what is buffered is at most what one chunk's packets end (or,
   * at the end of the capture, the flows still active: at most --max-flows).
   */
  readonly write = (text: string): void => {
    this.pending += text;
    if (this.pending.length < BATCH) return;
    if (this.file !== null) this.file.write(this.pending);
    else this.drained = this.stream!.write(this.pending) && this.drained;
    this.pending = "";
  };

  /** False once standard output has refused a write, until it drains. */
  private drained = true;

  /**
   * For ReadOptions.pause, after each chunk read: writes what is held to
   * standard output (so lines leave as their flows end, a chunk at a time),
   * and makes the reader wait while it drains.
   */
  readonly pause = (): Promise<void> | undefined => {
    if (this.stream === null) return undefined;
    if (this.pending.length > 0) {
      this.drained = this.stream.write(this.pending) && this.drained;
      this.pending = "";
    }
    if (this.drained) return undefined;
    this.drained = true;
    return once(this.stream as unknown as NodeJS.EventEmitter, "drain").then(() => undefined);
  };

  /** Copies a spool file into the output, in 1 MB reads, and removes it. */
  async append(path: string): Promise<void> {
    const fd = openSync(path, "r");
    const buf = Buffer.allocUnsafe(1 << 20);
    // A read may end inside a character: the decoder keeps its first bytes for the next.
    const text = new StringDecoder("utf8");
    try {
      for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) {
        this.write(text.write(buf.subarray(0, n)));
        const wait = this.pause();
        if (wait !== undefined) await wait;
      }
      this.write(text.end());
    } finally {
      closeSync(fd);
      rmSync(path, { force: true });
    }
  }

  /** Writes what is held and puts a file in place. */
  async close(): Promise<void> {
    this.dropSpools();
    if (this.file !== null) {
      if (this.pending.length > 0) this.file.write(this.pending);
      this.pending = "";
      this.file.commit();
      return;
    }
    const wait = this.pause();
    if (wait !== undefined) await wait;
  }

  /** Gives up: a file is never put in place, spools are removed. */
  abort(): void {
    this.dropSpools();
    this.file?.abort();
  }

  private dropSpools(): void {
    if (this.spools !== null) forgetFolder(this.spools);
    this.spools = null;
  }
}
