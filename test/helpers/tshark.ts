/** tshark, as the tests ask it: the frames display filters keep (answers recorded, see oracle.ts). */
import { ask } from "./oracle.js";

/** Frames tshark's display filter keeps. */
export async function tsharkCount(file: string, filter: string): Promise<number> {
  const r = await ask("tshark", ["-n", "-r", file, "-Y", filter, "-T", "fields", "-e", "frame.number"]);
  // tshark exits 2 on a capture cut mid-packet, after writing every frame it read.
  if (r.status !== 0 && r.stdout === "") throw new Error(`tshark -Y '${filter}' exited ${r.status}`);
  return r.stdout.split("\n").filter((l) => l !== "").length;
}

/** Frames each filter matches, in one tshark pass; rejects when tshark refuses a filter. */
export async function frameCounts(capture: string, filters: readonly string[]): Promise<number[]> {
  const r = await ask("tshark", ["-n", "-r", capture, "-q", "-z", `io,stat,0,${filters.join(",")}`]);
  // The one interval's row: "| 0.000 <> 9.500 | F1 | B1 | F2 | B2 |" (frames, bytes per filter).
  // (tshark exits 2 on a capture cut mid-packet, after printing the statistics.)
  const row = r.stdout.split("\n").find((l) => /^\|\s*[\d.]+\s*<>\s*[\d.]+\s*\|/.test(l));
  if (row === undefined) throw new Error(`tshark exited ${r.status} without statistics:\n${r.stdout}`);
  const cells = row
    .split("|")
    .slice(2)
    .map((c) => c.trim())
    .filter((c) => c !== "")
    .map(Number);
  if (cells.length !== 2 * filters.length)
    throw new Error(`io,stat row ${row} for ${filters.length} filters`);
  return filters.map((_, i) => cells[2 * i]!);
}
