/**
 * Benchmark: `npm run bench [-- --flows N --per-flow K --runs R]`.
 *
 * Generates bench/.data/synthetic-<flows>x<perFlow>.pcap if missing, then
 * times, in the same run and each in a fresh process, the minimal
 * record-walking loop (the baseline), pcap-parser@0.2.1, and the full
 * `ocs-pcap analyze --format json` (output discarded). Prints the median wall
 * time of R runs, packets/s, peak RSS, and each figure as a ratio against the
 * baseline. Needs a build (`npm run build`).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generate } from "./gen.js";

const HERE = dirname(fileURLToPath(import.meta.url));

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const flows = arg("flows", 100_000);
const perFlow = arg("per-flow", 10);
const runs = arg("runs", 3);
const dataDir = join(HERE, ".data");
mkdirSync(dataDir, { recursive: true });
const file = join(dataDir, `synthetic-${flows}x${perFlow}.pcap`);
if (!existsSync(file)) {
  process.stdout.write(`generating ${file} …\n`);
  generate(file, flows, perFlow);
}
const size = statSync(file).size;

interface Sample {
  mode: string;
  ms: number;
  packets: number | null;
  maxRssMB: number;
}

function measure(mode: string): Sample {
  const out = execFileSync(process.execPath, [join(HERE, "measure.mjs"), mode, file], { encoding: "utf8" });
  return JSON.parse(out.trim()) as Sample;
}

const modes = ["loop", "pcap-parser", "ocs-pcap"];
const samples = new Map<string, Sample[]>(modes.map((m) => [m, []]));
// Interleave the modes so that a noisy moment hits all of them alike.
for (let r = 0; r < runs; r++) for (const m of modes) samples.get(m)!.push(measure(m));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const packets = flows * perFlow;
const base = median(samples.get("loop")!.map((s) => s.ms));
process.stdout.write(
  `\nfile: ${file}\n${packets.toLocaleString("en-US")} packets, ${flows.toLocaleString("en-US")} flows, ${(size / 1e6).toFixed(1)} MB; median of ${runs} runs; node ${process.version}\n\n`,
);
process.stdout.write(
  `${"mode".padEnd(14)}${"wall ms".padStart(10)}${"packets/s".padStart(14)}${"peak RSS MB".padStart(14)}${"× loop".padStart(9)}\n`,
);
for (const m of modes) {
  const ms = median(samples.get(m)!.map((s) => s.ms));
  const rss = Math.max(...samples.get(m)!.map((s) => s.maxRssMB));
  process.stdout.write(
    `${m.padEnd(14)}${ms.toFixed(0).padStart(10)}${Math.round((packets / ms) * 1000)
      .toLocaleString("en-US")
      .padStart(14)}${rss.toFixed(0).padStart(14)}${(ms / base).toFixed(2).padStart(9)}\n`,
  );
}
const ours = median(samples.get("ocs-pcap")!.map((s) => s.ms));
process.stdout.write(
  `\nocs-pcap analyze / minimal loop: ${(ours / base).toFixed(2)} (target ≤ 2.0)\npcap-parser / minimal loop: ${(median(samples.get("pcap-parser")!.map((s) => s.ms)) / base).toFixed(2)}\n`,
);
try {
  execFileSync("git", ["-C", HERE, "rev-parse", "--short", "HEAD"], { stdio: "ignore" });
} catch {
  // not a checkout; nothing to add
}
