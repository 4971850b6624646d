/** The CLI in-process (`run(argv, io)`): standard output and error collected as text. */
import { Writable } from "node:stream";
import { run } from "../../src/cli/main.js";

export async function runCli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const sink = new Writable({
    write(chunk, _enc, cb) {
      stdout += String(chunk);
      cb();
    },
  });
  const code = await run(argv, { stdout: sink, stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}
