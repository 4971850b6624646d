/**
 * Benchmark: `npm run bench [-- --flows N --per-flow K --runs R]`.
 *
 * Generates bench/.data/synthetic-<flows>x<perFlow>.pcap if missing, then
 * times, in the same run and each in a fresh process, the minimal
 * record-walking loop (the baseline), pcap-parser@0.2.1, and the full
 * `ocs-pcap analyze --format json` (output discarded; also the table and the
 * streamed ndjson formats). Prints the median wall
 * time of R runs, packets/s, peak RSS, and each figure as a ratio against the
 * baseline. Needs a build (`npm run build`).
 *
 * `--baseline DIR`: also time the ocs-pcap build in DIR (a checkout of an
 * earlier commit, built; e.g. `git worktree add /tmp/base REV && cd /tmp/base
 * && npm ci`) interleaved with this one, and print this build's time as a
 * ratio of that one's: the side-by-side check of a change's cost.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { numberArg, stringArg } from "./args.js";
import { generate, pcapToPcapng } from "./gen.js";

const HERE = dirname(fileURLToPath(import.meta.url));

const flows = numberArg("flows", 100_000);
const perFlow = numberArg("per-flow", 10);
const runs = numberArg("runs", 3);
const dataDir = join(HERE, ".data");
mkdirSync(dataDir, { recursive: true });
const file = join(dataDir, `synthetic-${flows}x${perFlow}.pcap`);
if (!existsSync(file)) {
  process.stdout.write(`generating ${file} …\n`);
  generate(file, flows, perFlow);
}
const ngFile = file.replace(/\.pcap$/, ".pcapng");
if (!existsSync(ngFile)) pcapToPcapng(file, ngFile);
// The same packets as a Network Monitor 2.x file, when editcap is installed (read at offsets, not streamed).
const cap = file.replace(/\.pcap$/, ".cap");
if (!existsSync(cap)) {
  try {
    execFileSync("editcap", ["-F", "netmon2", file, cap], {
      stdio: "ignore",
      env: { ...process.env, TZ: "UTC" },
    });
  } catch {
    // no editcap: the Network Monitor row is left out
  }
}
const size = statSync(file).size;

interface Sample {
  mode: string;
  ms: number;
  packets: number | null;
  maxRssMB: number;
}

/** A measurement: the mode measure.mjs runs, on which file. */
interface Run {
  label: string;
  mode: string;
  file: string;
  /** Another build's dist/ directory (--baseline). */
  dist?: string;
}

function measure(r: Run): Sample {
  const out = execFileSync(process.execPath, [join(HERE, "measure.mjs"), r.mode, r.file], {
    encoding: "utf8",
    env: r.dist === undefined ? process.env : { ...process.env, OCS_PCAP_DIST: r.dist },
  });
  return JSON.parse(out.trim()) as Sample;
}

const plan: Run[] = [
  { label: "loop", mode: "loop", file },
  { label: "pcap-parser", mode: "pcap-parser", file },
  { label: "ocs-pcap", mode: "ocs-pcap", file },
  { label: "ocs-pcap table", mode: "ocs-pcap-table", file },
  { label: "ocs-pcap ndjson", mode: "ocs-pcap-ndjson", file },
  { label: "loop pcapng", mode: "loop-ng", file: ngFile },
  { label: "ocs-pcap pcapng", mode: "ocs-pcap", file: ngFile },
  ...(existsSync(cap) ? [{ label: "ocs-pcap netmon", mode: "ocs-pcap", file: cap }] : []),
];
const baselineDir = stringArg("baseline");
if (baselineDir !== null) {
  plan.push({ label: "baseline ocs-pcap", mode: "ocs-pcap", file, dist: resolve(baselineDir, "dist") });
}
const modes = plan.map((r) => r.label);
const samples = new Map<string, Sample[]>(modes.map((m) => [m, []]));
// Interleave the runs so that a noisy moment hits all of them alike.
for (let i = 0; i < runs; i++) for (const r of plan) samples.get(r.label)!.push(measure(r));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const med = (label: string) => median(samples.get(label)!.map((s) => s.ms));
const packets = flows * perFlow;
const base = med("loop");
const baseNg = med("loop pcapng");
const lines: string[] = [
  "",
  `file: ${file} (and its .pcapng)`,
  `${packets.toLocaleString("en-US")} packets, ${flows.toLocaleString("en-US")} flows, ${(size / 1e6).toFixed(1)} MB; median of ${runs} runs; node ${process.version}`,
  "",
  `${"run".padEnd(18)}${"wall ms".padStart(10)}${"packets/s".padStart(14)}${"peak RSS MB".padStart(14)}${"× its loop".padStart(12)}`,
];
for (const m of modes) {
  const ms = med(m);
  const rss = Math.max(...samples.get(m)!.map((s) => s.maxRssMB));
  const loop = m.includes("pcapng") ? baseNg : base;
  const pps = Math.round((packets / ms) * 1000).toLocaleString("en-US");
  lines.push(
    `${m.padEnd(18)}${ms.toFixed(0).padStart(10)}${pps.padStart(14)}${rss.toFixed(0).padStart(14)}${(ms / loop).toFixed(2).padStart(12)}`,
  );
}
const ratio = (a: string, b: number) => (med(a) / b).toFixed(2);
lines.push(
  "",
  "ratios (same run):",
  `  ocs-pcap analyze --format json / minimal pcap loop:    ${ratio("ocs-pcap", base)}`,
  `  ocs-pcap analyze --format json / minimal pcapng loop:  ${ratio("ocs-pcap pcapng", baseNg)}`,
  `  ocs-pcap analyze (table) / minimal pcap loop:          ${ratio("ocs-pcap table", base)}`,
  `  ocs-pcap analyze (ndjson) / ocs-pcap analyze (json):   ${ratio("ocs-pcap ndjson", med("ocs-pcap"))}`,
  `  pcap-parser / minimal pcap loop:                       ${ratio("pcap-parser", base)}`,
  `  ocs-pcap on pcapng / ocs-pcap on pcap:                 ${ratio("ocs-pcap pcapng", med("ocs-pcap"))}`,
  ...(existsSync(cap)
    ? [
        `  ocs-pcap on Network Monitor / ocs-pcap on pcap:        ${ratio("ocs-pcap netmon", med("ocs-pcap"))}`,
      ]
    : []),
  ...(baselineDir === null
    ? []
    : [
        `  ocs-pcap (JSON) / the --baseline build (JSON):          ${ratio("ocs-pcap", med("baseline ocs-pcap"))}  (${baselineDir})`,
        `    per run, this build: ${samples
          .get("ocs-pcap")!
          .map((s) => s.ms.toFixed(0))
          .join(", ")} ms; baseline: ${samples
          .get("baseline ocs-pcap")!
          .map((s) => s.ms.toFixed(0))
          .join(", ")} ms`,
      ]),
  "",
);
process.stdout.write(lines.join("\n"));
