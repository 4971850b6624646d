/**
 * A batch worker thread: analyses the captures the main thread sends it, one
 * at a time and in the order sent (it may hold a backlog; see runJobs).
 */
import { parentPort, workerData } from "node:worker_threads";
import { type JobRequest, runStreamedJob, shipFlows } from "./batch.js";
import type { JobSettings } from "./job.js";

const settings = (workerData as { settings: JobSettings }).settings;
let queue: Promise<void> = Promise.resolve();

parentPort?.on("message", (msg: JobRequest) => {
  queue = queue.then(() =>
    runStreamedJob(msg.path, settings, msg.stream).then(
      (result) => {
        if (result.report) result.report = shipFlows(result.report, msg.keepFlows);
        parentPort?.postMessage({ index: msg.index, result });
      },
      (err: unknown) =>
        parentPort?.postMessage({
          index: msg.index,
          failure: err instanceof Error ? err.message : String(err),
          // A write failure's code (ENOSPC on the spool), or a missing package's: the batch ends on it (see runJobs).
          code: (err as NodeJS.ErrnoException | undefined)?.code,
        }),
    ),
  );
});
