/** The CLI in-process (`run(argv, io)`): standard output and error collected as text. */
import { type Readable, Writable } from "node:stream";
import type { WorkerScript } from "../../src/cli/io.js";
import { run } from "../../src/cli/main.js";

/** Batches in this process start workers from the build, which the global setup keeps current. */
const WORKER = new URL("../../dist/cli/worker.js", import.meta.url);

export function runCli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliWith({}, ...argv);
}

/** `runCli` with a colour terminal on standard output, as `main` passes it, another worker module, or a stream as standard input. */
export async function runCliWith(
  options: { color?: boolean; columns?: number; workerScript?: WorkerScript; stdin?: Readable },
  ...argv: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const sink = new Writable({
    write(chunk, _enc, cb) {
      stdout += String(chunk);
      cb();
    },
  });
  const code = await run(argv, {
    stdout: sink,
    stderr: (s) => (stderr += s),
    workerScript: WORKER,
    ...options,
  });
  return { code, stdout, stderr };
}
