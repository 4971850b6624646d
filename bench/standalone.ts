/**
 * The standalone executable against `node bin/ocs-pcap`:
 * `npm run bench:standalone [-- --runs 20 --flows N]` (needs `npm run build`
 * and `npm run standalone`).
 *
 * Prints each file's size, then the median wall time of R fresh processes,
 * interleaved, for three jobs: `--version` (start-up alone), the sample
 * capture (start-up plus a small analysis) and a synthetic capture of N
 * flows (bench/gen.ts; analysis speed), each as a ratio to `node bin/ocs-pcap`
 * measured in the same run.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { numberArg } from "./args.js";
import { generate } from "./gen.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const BIN = join(ROOT, "bin", "ocs-pcap");
const EXE = join(ROOT, "dist", "standalone", `ocs-pcap-${process.platform}-${process.arch}`);
const runs = numberArg("runs", 20);
const flows = numberArg("flows", 20_000);

if (!existsSync(EXE)) {
  process.stderr.write(`${EXE} is missing: run npm run standalone first\n`);
  process.exit(1);
}
const dataDir = join(HERE, ".data");
mkdirSync(dataDir, { recursive: true });
const synthetic = join(dataDir, `standalone-${flows}x10.pcap`);
if (!existsSync(synthetic)) generate(synthetic, flows, 10);

const sample = join(ROOT, "fixtures", "ocs-sample.pcap");
const jobs: [string, string[]][] = [
  ["--version", ["--version"]],
  ["sample capture", ["analyze", sample, "-f", "json"]],
  [`${flows} flows`, ["analyze", synthetic, "-f", "json", "-q"]],
];
const tools: [string, string, string[]][] = [
  ["node bin/ocs-pcap", process.execPath, [BIN]],
  ["standalone", EXE, []],
];

function time(command: string, args: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
process.stdout.write(
  `standalone executable: ${mb(statSync(EXE).size)}; Node ${process.version} itself: ${mb(statSync(process.execPath).size)}\n`,
);
process.stdout.write(`median of ${runs} runs, interleaved\n\n`);
process.stdout.write(
  `${"job".padEnd(16)}${"node bin/ocs-pcap".padStart(20)}${"standalone".padStart(14)}${"ratio".padStart(8)}\n`,
);
for (const [label, args] of jobs) {
  const samples: number[][] = tools.map(() => []);
  for (let i = 0; i < runs; i++)
    for (const [t, [, cmd, pre]] of tools.entries()) samples[t]!.push(time(cmd, [...pre, ...args]));
  const [base, exe] = samples.map(median) as [number, number];
  process.stdout.write(
    `${label.padEnd(16)}${`${base.toFixed(0)} ms`.padStart(20)}${`${exe.toFixed(0)} ms`.padStart(14)}${`${(exe / base).toFixed(2)}×`.padStart(8)}\n`,
  );
}
