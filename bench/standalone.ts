/**
 * Start-up: `npm run bench:standalone [-- --runs 20 --flows N]` (needs
 * `npm run build`; the standalone column needs `npm run standalone`).
 *
 * Four ways to start the same code: `node bin/ocs-pcap` loading dist/'s ES
 * modules (OCS_PCAP_BUNDLE=0; the baseline), `node bin/ocs-pcap` loading the
 * bundle without V8's code cache (OCS_PCAP_CODE_CACHE=0) and with it
 * (bin/bundle.mjs, bin/load-bundle.mjs: what a user runs), and the standalone
 * executable.
 * Prints the median wall time of R fresh processes, interleaved, for three
 * jobs: `--version` (start-up alone), the sample capture (start-up plus a
 * small analysis) and a synthetic capture of N flows (bench/gen.ts; analysis
 * speed), each as a ratio to the baseline measured in the same run.
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

const BUNDLE = join(ROOT, "dist", "bundle", "ocs-pcap.cjs");
if (!existsSync(BUNDLE)) {
  process.stderr.write(`${BUNDLE} is missing: run npm run build first\n`);
  process.exit(1);
}
const standalone = existsSync(EXE);
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
const tools: [string, string, string[], NodeJS.ProcessEnv][] = [
  ["ES modules", process.execPath, [BIN], { ...process.env, OCS_PCAP_BUNDLE: "0" }],
  ["bundle, no code cache", process.execPath, [BIN], { ...process.env, OCS_PCAP_CODE_CACHE: "0" }],
  ["bundle", process.execPath, [BIN], process.env],
  ...(standalone
    ? [["standalone", EXE, [], process.env] as [string, string, string[], NodeJS.ProcessEnv]]
    : []),
];

function time(command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, { stdio: ["ignore", "ignore", "inherit"], env });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
process.stdout.write(
  standalone
    ? `standalone executable: ${mb(statSync(EXE).size)}; Node ${process.version} itself: ${mb(statSync(process.execPath).size)}\n`
    : `no standalone executable (npm run standalone builds it); Node ${process.version}\n`,
);
process.stdout.write(`median of ${runs} runs, interleaved; ratios against ES modules\n\n`);
process.stdout.write(`${"job".padEnd(16)}${tools.map(([name]) => name.padStart(22)).join("")}\n`);
for (const [label, args] of jobs) {
  const samples: number[][] = tools.map(() => []);
  for (let i = 0; i < runs; i++)
    for (const [t, [, cmd, pre, env]] of tools.entries()) samples[t]!.push(time(cmd, [...pre, ...args], env));
  const medians = samples.map(median);
  const base = medians[0]!;
  const cells = medians.map((m, t) =>
    t === 0 ? `${m.toFixed(0)} ms` : `${m.toFixed(0)} ms (${(m / base).toFixed(2)}×)`,
  );
  process.stdout.write(`${label.padEnd(16)}${cells.map((c) => c.padStart(22)).join("")}\n`);
}
