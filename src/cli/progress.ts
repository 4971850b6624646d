/**
 * A progress bar on standard error for long captures: only on a terminal,
 * for files over 8 MiB, not under --quiet and not in CI (the CI variable).
 * Shows bytes read, packets per second and the time left (cli-progress).
 */
import { createRequire } from "node:module";

const requireCjs = createRequire(import.meta.url);

const MIN_BYTES = 8 << 20;

export interface Progress {
  onProgress: (bytes: number, total: number, packets: number) => void;
  stop: () => void;
}

export function progressFor(
  size: number,
  quiet: boolean,
  stream: NodeJS.WriteStream = process.stderr,
): Progress | null {
  if (quiet || !stream.isTTY || process.env.CI || size < MIN_BYTES) return null;
  // Loaded only when a bar is shown: most runs (pipes, CI, workers) never pay for it.
  const { SingleBar } = requireCjs("cli-progress") as typeof import("cli-progress");
  const bar = new SingleBar({
    stream,
    format: "{bar} {percentage}% | {mb}/{totalMb} MB | {pps} packets/s | ETA {eta_formatted}",
    hideCursor: true,
    synchronousUpdate: true,
    fps: 10,
    clearOnComplete: true,
    barCompleteChar: "#",
    barIncompleteChar: ".",
  });
  const start = Date.now();
  bar.start(size, 0, { mb: "0.0", totalMb: (size / 1e6).toFixed(1), pps: "0" });
  return {
    onProgress: (bytes, total, packets) => {
      const secs = Math.max(0.001, (Date.now() - start) / 1000);
      bar.setTotal(total);
      bar.update(bytes, {
        mb: (bytes / 1e6).toFixed(1),
        totalMb: (total / 1e6).toFixed(1),
        pps: Math.round(packets / secs).toLocaleString("en-US"),
      });
    },
    stop: () => bar.stop(),
  };
}
