/**
 * Batch speed-up: `npm run bench:jobs [-- --captures 32 --flows N --per-flow K --runs R]`.
 *
 * Generates one synthetic capture (bench/.data/jobs-<flows>x<perFlow>-1.pcap)
 * and copies of it if missing, then times, in the same run and interleaved,
 * the real CLI `ocs-pcap analyze <all> --format json --jobs J -q` for J = 1
 * (the baseline), 2, and the machine's CPU count, each in a fresh process,
 * output discarded. Prints the median wall time of R runs, each as a
 * speed-up over --jobs 1, and (with GNU time) the CPU time per wall second:
 * how many cores a run keeps busy, so what --jobs 1 already uses beyond one
 * core (V8's compiler and collector threads) is visible. Each thread warms
 * up its own JIT (its first two captures run 2-3x slower), so short batches
 * gain less than long ones. Then, for reference, the machine's own ceiling: how much two
 * threads gain over one on pure arithmetic, on random memory access and on
 * allocation (bench/ceiling.mjs); analysis is the last two kinds of work, so
 * those bound what --jobs can give on this machine. Needs a build.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { numberArg } from "./args.js";
import { generate } from "./gen.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = join(HERE, "..", "bin", "ocs-pcap");

const captures = numberArg("captures", 32);
const flows = numberArg("flows", 20_000);
const perFlow = numberArg("per-flow", 10);
const runs = numberArg("runs", 3);
const dataDir = join(HERE, ".data");
mkdirSync(dataDir, { recursive: true });
const first = join(dataDir, `jobs-${flows}x${perFlow}-1.pcap`);
if (!existsSync(first)) {
  process.stdout.write(`generating ${captures} captures of ${flows * perFlow} packets …\n`);
  generate(first, flows, perFlow);
}
const files = [first];
for (let i = 2; i <= captures; i++) {
  const f = join(dataDir, `jobs-${flows}x${perFlow}-${i}.pcap`);
  if (!existsSync(f)) copyFileSync(first, f);
  files.push(f);
}

const GNU_TIME = "/usr/bin/time";
const haveTime = existsSync(GNU_TIME);

/** Wall ms of one run, and CPU seconds (user + system) per wall second when GNU time is there. */
function time(jobs: number): { ms: number; cores: number | null } {
  const cli = [process.execPath, BIN, "analyze", ...files, "--format", "json", "--jobs", String(jobs), "-q"];
  const cmd = haveTime ? [GNU_TIME, "-f", "cpu %e %U %S", ...cli] : cli;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`--jobs ${jobs} exited ${r.status}: ${r.stderr}`);
  const m = /^cpu ([\d.]+) ([\d.]+) ([\d.]+)$/m.exec(r.stderr);
  const cores = m ? (Number(m[2]) + Number(m[3])) / Number(m[1]) : null;
  return { ms, cores };
}

const cpus = availableParallelism();
const levels = [...new Set([1, 2, cpus])];
const samples = new Map<number, { ms: number; cores: number | null }[]>(levels.map((j) => [j, []]));
for (let i = 0; i < runs; i++) for (const j of levels) samples.get(j)!.push(time(j));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const medianMs = (j: number) => median(samples.get(j)!.map((x) => x.ms));
const medianCores = (j: number) => {
  const c = samples.get(j)!.flatMap((x) => (x.cores === null ? [] : [x.cores]));
  return c.length > 0 ? median(c).toFixed(2) : "-";
};
const base = medianMs(1);
const lines = [
  "",
  `${captures} captures × ${(flows * perFlow).toLocaleString("en-US")} packets (${flows.toLocaleString("en-US")} flows each); median of ${runs} runs; ${cpus} CPUs; node ${process.version}`,
  "",
  "jobs   median ms   speed-up vs --jobs 1   cores busy",
];
for (const j of levels) {
  const m = medianMs(j);
  lines.push(
    `${String(j).padStart(4)}   ${m.toFixed(0).padStart(9)}   ${`${(base / m).toFixed(2)}×`.padStart(20)}   ${medianCores(j).padStart(10)}`,
  );
}
lines.push("", "machine ceiling (same run): two threads against one, on one unit of work each");
for (const kind of ["cpu", "memory", "alloc"]) {
  const out = execFileSync(process.execPath, [join(HERE, "ceiling.mjs"), kind], { encoding: "utf8" });
  const c = JSON.parse(out) as { serialMs: number; parallelMs: number };
  lines.push(`  ${kind.padEnd(7)} ${(c.serialMs / c.parallelMs).toFixed(2)}×`);
}
process.stdout.write(`${lines.join("\n")}\n`);
