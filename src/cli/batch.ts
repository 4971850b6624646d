/**
 * Batch runs: which files to read, and reading them on worker threads.
 *
 * Directories are walked (sorted by name, so the order is stable) for files
 * that start like a capture: pcap, pcapng, or gzip (whose content is checked
 * when read). Results keep the order of the inputs whatever order the
 * workers finish in, so `--jobs 1` and `--jobs N` print the same bytes.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { analyzeCapture } from "../analyze.js";
import { InputError } from "../capture/source.js";
import { CaptureError } from "../capture/types.js";
import type { Report } from "../report/model.js";
import { type JobSettings, settingsToOptions } from "./job.js";

export interface JobResult {
  path: string;
  report: Report | null;
  /** Exit code for an unreadable input (65 or 66) and its message. */
  error: { code: number; message: string } | null;
}

const MAGICS = [
  [0xd4, 0xc3, 0xb2, 0xa1],
  [0xa1, 0xb2, 0xc3, 0xd4],
  [0x4d, 0x3c, 0xb2, 0xa1],
  [0xa1, 0xb2, 0x3c, 0x4d],
  [0x0a, 0x0d, 0x0d, 0x0a],
];

function looksLikeCapture(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(4);
    const n = readSync(fd, head, 0, 4, 0);
    if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
    return n === 4 && MAGICS.some((m) => m.every((b, i) => head[i] === b));
  } finally {
    closeSync(fd);
  }
}

/** The captures named by the arguments: files as given, directories walked for captures. */
export function expandInputs(inputs: readonly string[]): { paths: string[]; batch: boolean } {
  const paths: string[] = [];
  let sawDir = false;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && looksLikeCapture(p)) paths.push(p);
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
      walk(input);
    } else {
      paths.push(input);
    }
  }
  return { paths, batch: sawDir || inputs.length > 1 };
}

/** Analyses one capture in this thread. */
export async function runJob(
  path: string,
  settings: JobSettings,
  extra: Parameters<typeof analyzeCapture>[1] = {},
): Promise<JobResult> {
  try {
    const report = await analyzeCapture(path, { ...settingsToOptions(settings), ...extra });
    return { path, report, error: null };
  } catch (err) {
    if (err instanceof CaptureError)
      return { path, report: null, error: { code: 65, message: `offset ${err.offset}: ${err.message}` } };
    if (err instanceof InputError) return { path, report: null, error: { code: 66, message: err.message } };
    throw err;
  }
}

/**
 * Analyses every capture, `jobs` at a time: this thread takes captures from
 * the same queue as `jobs - 1` worker threads (a worker costs a cold start
 * and a copy of its report back). Results come back in input order.
 */
export async function runJobs(
  paths: readonly string[],
  settings: JobSettings,
  jobs: number,
): Promise<JobResult[]> {
  if (jobs <= 1 || paths.length <= 1) {
    const out: JobResult[] = [];
    for (const p of paths) out.push(await runJob(p, settings));
    return out;
  }
  const results: (JobResult | undefined)[] = new Array(paths.length);
  let next = 0;
  const workerUrl = new URL("./worker.js", import.meta.url);
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(workerUrl, { workerData: { settings } });
      const feed = () => {
        if (next >= paths.length) {
          void worker.terminate();
          resolve();
          return;
        }
        const i = next++;
        worker.postMessage({ index: i, path: paths[i] });
      };
      worker.on("message", (msg: { index: number; result?: JobResult; failure?: string }) => {
        if (msg.failure !== undefined) {
          void worker.terminate();
          reject(new Error(msg.failure));
          return;
        }
        results[msg.index] = msg.result;
        feed();
      });
      worker.on("error", reject);
      feed();
    });
  const here = async (): Promise<void> => {
    for (let i = next++; i < paths.length; i = next++) results[i] = await runJob(paths[i]!, settings);
  };
  await Promise.all([...Array.from({ length: Math.min(jobs, paths.length) - 1 }, one), here()]);
  return results.map(
    (r, i) => r ?? { path: paths[i]!, report: null, error: { code: 70, message: "no result" } },
  );
}
