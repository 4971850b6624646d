/** tshark, as the tests ask it: the frames display filters keep. */
import { execFile } from "node:child_process";

/** Frames tshark's display filter keeps. */
export function tsharkCount(file: string, filter: string): Promise<number> {
  return new Promise((resolve, reject) =>
    execFile(
      "tshark",
      ["-n", "-r", file, "-Y", filter, "-T", "fields", "-e", "frame.number"],
      { encoding: "utf8", maxBuffer: 1 << 26 },
      (err, stdout, stderr) => {
        // tshark exits 2 on a capture cut mid-packet, after writing every frame it read.
        if (err !== null && stdout === "") return reject(new Error(`tshark -Y '${filter}': ${stderr}`));
        resolve(stdout.split("\n").filter((l) => l !== "").length);
      },
    ),
  );
}

/** Frames each filter matches, in one tshark pass; rejects when tshark refuses a filter. */
export function frameCounts(capture: string, filters: readonly string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    execFile(
      "tshark",
      ["-n", "-r", capture, "-q", "-z", `io,stat,0,${filters.join(",")}`],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        // The one interval's row: "| 0.000 <> 9.500 | F1 | B1 | F2 | B2 |" (frames, bytes per filter).
        // (tshark exits 2 on a capture cut mid-packet, after printing the statistics.)
        const row = stdout.split("\n").find((l) => /^\|\s*[\d.]+\s*<>\s*[\d.]+\s*\|/.test(l));
        if (row === undefined) return reject(new Error(`tshark: ${stderr || err?.message}\n${stdout}`));
        const cells = row
          .split("|")
          .slice(2)
          .map((c) => c.trim())
          .filter((c) => c !== "")
          .map(Number);
        if (cells.length !== 2 * filters.length)
          return reject(new Error(`io,stat row ${row} for ${filters.length} filters`));
        resolve(filters.map((_, i) => cells[2 * i]!));
      },
    );
  });
}
