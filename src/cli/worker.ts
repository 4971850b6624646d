/** A batch worker thread: analyses the captures the main thread sends it, one at a time. */
import { parentPort, workerData } from "node:worker_threads";
import { runJob } from "./batch.js";
import type { JobSettings } from "./job.js";

const settings = (workerData as { settings: JobSettings }).settings;

parentPort?.on("message", (msg: { index: number; path: string }) => {
  runJob(msg.path, settings).then(
    (result) => parentPort?.postMessage({ index: msg.index, result }),
    (err: unknown) =>
      parentPort?.postMessage({
        index: msg.index,
        failure: err instanceof Error ? err.message : String(err),
      }),
  );
});
