/**
 * Batch runs: which shard takes each capture, and reading them on worker threads.
 * (Which files to read is cli/walk.ts's.) Results keep the order of the inputs whatever order the
 * workers finish in, so `--jobs 1` and `--jobs N` print the same bytes.
 */

import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import { analyzeCapture, STDIN_LABEL } from "../analyze.js";
import { InputError } from "../capture/source.js";
import { CaptureError } from "../capture/types.js";
import { blockingReason } from "../classify/reasons.js";
import type { Report } from "../report/model.js";
import { hasTlsFinding } from "../report/tls-text.js";
import { EXIT, IO_ERRORS, missingModule } from "./exit.js";
import type { WorkerScript } from "./io.js";
import { type JobSettings, settingsToOptions } from "./job.js";
import { flowLineWriter, Spool, type StreamRedaction } from "./stream.js";

export interface JobResult {
  path: string;
  report: Report | null;
  /** Exit code for an unreadable input (65 or 66) and its message. */
  error: { code: number; message: string } | null;
}

/** Analyses one capture in this thread. */
export async function runJob(
  path: string,
  settings: JobSettings,
  extra: Parameters<typeof analyzeCapture>[1] = {},
): Promise<JobResult> {
  try {
    const report = await analyzeCapture(path, { ...(await settingsToOptions(settings)), ...extra });
    return { path, report, error: null };
  } catch (err) {
    if (err instanceof CaptureError)
      return {
        path,
        report: null,
        error: { code: EXIT.DATAERR, message: `offset ${err.offset}: ${err.message}` },
      };
    if (err instanceof InputError)
      return { path, report: null, error: { code: EXIT.NOINPUT, message: err.message } };
    throw err;
  }
}

/**
 * Which flows a worker's report brings back: all, only those that are not
 * "known" (all that the table, Markdown and JUnit renderers list), or none
 * (the counts suffice). Copying 50,000 flows to the main thread takes it
 * about 0.15 s, during which it analyses nothing.
 */
export type KeepFlows = "all" | "notable" | "none";

export interface BatchOptions {
  keepFlows: KeepFlows;
  /** Stream each capture's ndjson flow lines into a spool file `<index>.ndjson` in this folder. */
  stream?: { folder: string; redaction: StreamRedaction | null };
  /** The worker's module or source; by default the built `worker.js` beside this file. */
  workerScript?: WorkerScript;
}

/** What the main thread sends a worker. */
export interface JobRequest {
  index: number;
  path: string;
  keepFlows: KeepFlows;
  /** Where this capture's ndjson flow lines go, and how they are redacted. */
  stream?: { spool: string; redaction: StreamRedaction | null };
}

/**
 * Analyses one capture in this thread, its flows' ndjson lines streamed into
 * `stream.spool` as they end when asked (the report then lists no flow).
 */
export async function runStreamedJob(
  path: string,
  settings: JobSettings,
  stream: JobRequest["stream"],
): Promise<JobResult> {
  if (stream === undefined) return runJob(path, settings);
  const spool = new Spool(stream.spool);
  try {
    const shown = path === "-" ? STDIN_LABEL : path;
    return await runJob(path, settings, {
      onFlowRecord: flowLineWriter(shown, stream.redaction, spool.write),
    });
  } finally {
    spool.close();
  }
}

/** The report with only the flows `keep` asks for (the summary still counts them all). */
export function shipFlows(report: Report, keep: KeepFlows): Report {
  if (keep === "all") return report;
  // "notable": what table, Markdown and JUnit list: every flow that is not known, known
  // flows with blocking-looking evidence (the groups point at them), and known flows whose
  // TLS handshake warns (listed under "TLS handshakes that failed or warn").
  return {
    ...report,
    flows:
      keep === "none"
        ? []
        : report.flows.filter((f) => f.verdict !== "known" || blockingReason(f.reasons) || hasTlsFinding(f)),
  };
}

/** Captures a worker holds at once: one being read and one waiting, so it never idles while this thread is busy. */
const WORKER_BACKLOG = 2;

/**
 * Analyses every capture, `jobs` at a time: this thread takes captures from
 * the same queue as `jobs - 1` worker threads (a worker costs a cold start
 * and a copy of its report back). Results come back in input order.
 *
 * This thread answers workers only when its own work yields: between file
 * chunks, and not at all while it classifies and builds a report. Each worker
 * therefore holds a backlog (its next capture is already queued when it
 * reports one), and this thread yields to the event loop after each capture.
 */
export async function runJobs(
  paths: readonly string[],
  settings: JobSettings,
  jobs: number,
  options: BatchOptions = { keepFlows: "all" },
): Promise<JobResult[]> {
  const streamOf = (i: number) => (options.stream === undefined ? undefined : spoolOf(options.stream, i));
  // This thread's own results keep only the flows the output lists too, as
  // workers' do: otherwise a batch held every flow of every capture it read.
  const mine = async (i: number): Promise<JobResult> => {
    const result = await runStreamedJob(paths[i]!, settings, streamOf(i));
    if (result.report !== null) result.report = shipFlows(result.report, options.keepFlows);
    return result;
  };
  if (jobs <= 1 || paths.length <= 1) {
    const out: JobResult[] = [];
    for (let i = 0; i < paths.length; i++) out.push(await mine(i));
    return out;
  }
  const results: (JobResult | undefined)[] = new Array(paths.length);
  let next = 0;
  // Captures a dead worker was holding but had not started: taken again first.
  const retry: number[] = [];
  // A write failure of a streamed batch's spool (a full TMPDIR) ends the batch as it would in
  // one thread (exit 74, no report), not as an unreadable capture: no more captures are handed out.
  let fatal: Error | null = null;
  const take = (): number | undefined =>
    fatal !== null ? undefined : retry.length > 0 ? retry.shift() : next < paths.length ? next++ : undefined;
  const script = options.workerScript ?? new URL("./worker.js", import.meta.url);
  const heapMb = Number(process.env.OCS_PCAP_WORKER_HEAP_MB ?? "");
  const resourceLimits = heapMb > 0 ? { maxOldGenerationSizeMb: heapMb } : undefined;
  // V8 lets a process-wide --max-old-space-size (`node --max-old-space-size=…`,
  // NODE_OPTIONS) override a new isolate's own limit (Heap::ConfigureHeap), so
  // the worker limit would be ignored. The flag is read when an isolate's heap
  // is configured: clearing it now leaves this thread's heap as it is and lets
  // the workers' limits apply.
  if (resourceLimits !== undefined) setFlagsFromString("--max-old-space-size=0");
  /**
   * One worker, replaced when it dies (out of memory, a crash): the capture it
   * was analysing is reported unreadable with the reason, the ones it held
   * but had not started go back to the queue, and the batch goes on.
   */
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const worker = new Worker(script instanceof URL ? script : script.source, {
        eval: !(script instanceof URL),
        workerData: { settings },
        ...(resourceLimits === undefined ? {} : { resourceLimits }),
      });
      // Indexes sent to this worker, in the order it analyses them.
      const held: number[] = [];
      let done = false;
      const feed = () => {
        while (held.length < WORKER_BACKLOG) {
          const i = take();
          if (i === undefined) break;
          held.push(i);
          const request: JobRequest = {
            index: i,
            path: paths[i]!,
            keepFlows: options.keepFlows,
            ...(options.stream === undefined ? {} : { stream: spoolOf(options.stream, i) }),
          };
          worker.postMessage(request);
        }
        if (held.length === 0 && !done) {
          done = true;
          void worker.terminate();
          resolve();
        }
      };
      const died = (why: string) => {
        if (done) return;
        done = true;
        const [current, ...waiting] = held;
        if (current !== undefined) {
          results[current] = {
            path: paths[current]!,
            report: null,
            error: { code: EXIT.SOFTWARE, message: why },
          };
        }
        retry.unshift(...waiting);
        void worker.terminate();
        // A replacement takes the rest of the queue.
        one().then(resolve, resolve);
      };
      worker.on("message", (msg: { index: number; result?: JobResult; failure?: string; code?: string }) => {
        held.splice(held.indexOf(msg.index), 1);
        // A write failure, or a package missing from the installation: every capture would fail alike.
        if (msg.failure !== undefined && msg.code !== undefined) {
          const err = Object.assign(new Error(msg.failure), { code: msg.code });
          if (IO_ERRORS.has(msg.code) || missingModule(err) !== null) fatal ??= err;
        }
        results[msg.index] =
          msg.failure !== undefined
            ? {
                path: paths[msg.index]!,
                report: null,
                error: { code: EXIT.SOFTWARE, message: `internal error: ${msg.failure}` },
              }
            : msg.result;
        feed();
      });
      worker.on("error", (err: Error) => {
        const oom = (err as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY";
        died(
          oom
            ? "the analysis ran out of memory (the worker's heap limit); analyse this capture alone, with --jobs 1 or a larger heap"
            : `the worker analysing it failed: ${err.message}`,
        );
      });
      worker.on("exit", (code) => {
        if (!done) died(`the worker analysing it exited with code ${code}`);
      });
      feed();
    });
  const here = async (): Promise<void> => {
    for (let i = take(); i !== undefined; i = take()) {
      try {
        results[i] = await mine(i);
      } catch (err) {
        fatal ??= err instanceof Error ? err : new Error(String(err));
        break;
      }
      // Let waiting worker messages run before taking the next capture.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  const workers = Array.from({ length: Math.min(jobs, paths.length) - 1 }, one);
  await Promise.all([...workers, here()]);
  if (fatal !== null) throw fatal;
  return results.map(
    (r, i) => r ?? { path: paths[i]!, report: null, error: { code: EXIT.SOFTWARE, message: "no result" } },
  );
}

/** The spool of capture `index` in a streamed batch. */
function spoolOf(
  stream: NonNullable<BatchOptions["stream"]>,
  index: number,
): NonNullable<JobRequest["stream"]> {
  return { spool: join(stream.folder, `${index}.ndjson`), redaction: stream.redaction };
}

/**
 * Whether a capture belongs to shard `index` (0-based) of `count`: FNV-1a
 * (32-bit) of its name relative to the folder argument, modulo the count.
 * Every shard process lists the same folder, so each capture lands in
 * exactly one shard whatever order the file system lists them in.
 */
export function inShard(key: string, index: number, count: number): boolean {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(key, "utf8")) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % count === index;
}
