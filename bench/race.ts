/**
 * The speed race: `npm run bench:race [-- --flows N --per-flow K --runs R]`.
 *
 * Generates (once, not committed) bench/.data/race-<flows>x<perFlow>.pcap, a
 * realistic OCS mix (five ninths RTP media, then SIP/TLS, STUN, unanswered
 * SYNs and unknown TCP; by default 100,000 flows × 75 packets, 7.5 million
 * packets, about 1.5 GB), then measures in one run, each in a fresh process:
 *
 * - the minimal record-walking loop (bench/measure.mjs loop: the JavaScript floor);
 * - the same loop keeping a Map of flows (bench/measure.mjs loop-map: a direction-free
 *   5-tuple string key per packet, and packets, bytes, first and last per flow), the least
 *   a flow tool does;
 * - `ocs-pcap analyze FILE --format json` to /dev/null (payload identification and
 *   connection state on, as always);
 * - `tshark -r FILE -q -z conv,tcp -z conv,udp` (when installed);
 * - `ndpiReader -i FILE -q` (Debian's libndpi-bin, when installed).
 *
 * Wall time and peak RSS come from GNU time (`/usr/bin/time -f "%e %M"`), so
 * every tool is measured the same way. Prints each with packets/s and its
 * ratio against ocs-pcap (of the medians, and the median of each round's own
 * ratio, every tool run once a round, back to back), twice: with the file in the page cache (read once
 * before; the loop then measures memory bandwidth, and the others their CPU
 * cost), and from disk, the file's pages evicted from the cache before every
 * run with GNU dd's `iflag=nocache` (POSIX_FADV_DONTNEED; no root needed, and
 * only this file: the tools' own binaries stay cached, as on a user's
 * machine), so the loop measures the disk: whether a tool keeps up with it.
 * `--cold 0` skips the second table. `--mix even` uses gen.ts's even mix (a
 * fifth of the flows each kind: the flow-heavy case of issue 12, with
 * `--per-flow 16`). `--baseline DIR` adds another build's dist/ (for example
 * a worktree of the previous commit, built), run the same way. Then
 * the memory check: ocs-pcap's peak RSS on a capture with 10× the packets at
 * the same flow count.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { numberArg, stringArg } from "./args.js";
import { generate } from "./gen.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = join(HERE, "..", "bin", "ocs-pcap");

const flows = numberArg("flows", 100_000);
const perFlow = numberArg("per-flow", 75);
const runs = numberArg("runs", 1);
const cold = numberArg("cold", 1) !== 0;
const mix = stringArg("mix") === "even" ? "even" : "media";
const baseline = stringArg("baseline");
const dataDir = join(HERE, ".data");
mkdirSync(dataDir, { recursive: true });

function capture(f: number, k: number): { file: string; packets: number } {
  const file = join(dataDir, `race-${f}x${k}${mix === "even" ? "-even" : ""}.pcap`);
  if (!existsSync(file)) {
    process.stdout.write(`generating ${file} …\n`);
    generate(file, f, k, mix);
  }
  return { file, packets: f * k };
}

const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

/** Wall seconds and peak RSS (MB) of a command, by GNU time; output discarded. */
function timed(cmd: string[]): { secs: number; rssMB: number } {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M", ...cmd], {
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  const last = r.stderr.trim().split("\n").pop() ?? "";
  const [secs, kb] = last.split(" ").map(Number);
  if (r.status !== 0 || secs === undefined || kb === undefined || Number.isNaN(secs))
    throw new Error(`${cmd.join(" ")} failed (${r.status}): ${r.stderr.slice(-500)}`);
  return { secs, rssMB: kb / 1024 };
}

const { file, packets } = capture(flows, perFlow);
const size = statSync(file).size;
const tools: { name: string; cmd: string[] }[] = [
  { name: "minimal loop", cmd: [process.execPath, join(HERE, "measure.mjs"), "loop", file] },
  { name: "loop + Map of flows", cmd: [process.execPath, join(HERE, "measure.mjs"), "loop-map", file] },
  {
    name: "ocs-pcap",
    cmd: [process.execPath, BIN, "analyze", file, "--format", "json", "-q", "-o", "/dev/null"],
  },
];
if (baseline !== null)
  tools.push({
    name: `ocs-pcap ${baseline}`,
    cmd: [
      process.execPath,
      join(baseline, "bin", "ocs-pcap"),
      "analyze",
      file,
      "--format",
      "json",
      "-q",
      "-o",
      "/dev/null",
    ],
  });
if (has("tshark"))
  tools.push({ name: "tshark conv", cmd: ["tshark", "-r", file, "-q", "-z", "conv,tcp", "-z", "conv,udp"] });
if (has("ndpiReader")) tools.push({ name: "ndpiReader", cmd: ["ndpiReader", "-i", file, "-q"] });

/** Evicts the capture's pages from the page cache (GNU dd); false when that is not possible. */
function evict(): boolean {
  const r = spawnSync("dd", [`if=${file}`, "iflag=nocache", "count=0", "status=none"]);
  return r.status === 0;
}

/** Reads the file once so it is in the page cache. */
function warm(path: string): void {
  const fd = openSync(path, "r");
  const buf = Buffer.alloc(1 << 20);
  while (readSync(fd, buf, 0, buf.length, null) > 0);
  closeSync(fd);
}

/** Times every tool R times, `before` each run; returns the table's lines. */
function race(title: string, before: () => void): string[] {
  const samples = new Map<string, { secs: number; rssMB: number }[]>(tools.map((t) => [t.name, []]));
  for (let i = 0; i < runs; i++)
    for (const t of tools) {
      before();
      samples.get(t.name)!.push(timed(t.cmd));
    }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const figure = (name: string) => {
    const s = samples.get(name)!;
    return { secs: median(s.map((x) => x.secs)), rssMB: Math.max(...s.map((x) => x.rssMB)) };
  };
  const ours = figure("ocs-pcap");
  // Each round runs every tool once, back to back: the median of the rounds' own ratios follows
  // the machine's drift between rounds (on this VM, ±25% from one minute to the next), which a
  // ratio of medians taken from different rounds does not.
  const oursRounds = samples.get("ocs-pcap")!;
  const paired = (name: string) => median(samples.get(name)!.map((x, i) => x.secs / oursRounds[i]!.secs));
  const out = [
    "",
    title,
    "",
    "| tool | wall s | packets/s | peak RSS MB | time ÷ ocs-pcap's | the rounds' own ratios, median |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const t of tools) {
    const f = figure(t.name);
    out.push(
      `| ${t.name} | ${f.secs.toFixed(2)} | ${(packets / f.secs / 1e6).toFixed(2)} M | ${f.rssMB.toFixed(0)} | ${(f.secs / ours.secs).toFixed(2)} | ${paired(t.name).toFixed(2)} |`,
    );
  }
  return out;
}

const lines = [
  "",
  `file: ${file}: ${packets.toLocaleString("en-US")} packets, ${flows.toLocaleString("en-US")} flows, ${(size / 1e9).toFixed(2)} GB; median of ${runs} run(s); node ${process.version}`,
];
warm(file);
lines.push(...race("In the page cache (the file read once before):", () => {}));
if (cold && evict()) {
  lines.push(...race("From disk (the file evicted from the page cache before every run):", evict));
} else if (cold) {
  lines.push("", "From disk: skipped (GNU dd with iflag=nocache is needed to evict the file).");
}
if (has("tshark")) {
  const version = execFileSync("tshark", ["--version"], { encoding: "utf8" }).split("\n")[0];
  lines.push("", `tshark: ${version}`);
}

// Memory at a fixed flow count: 10× the packets should cost under 1.2× the RSS.
const small = capture(20_000, 10);
const big = capture(20_000, 100);
const rss = (f: string) =>
  timed([process.execPath, BIN, "analyze", f, "--format", "json", "-q", "-o", "/dev/null"]).rssMB;
const [a, b] = [rss(small.file), rss(big.file)];
lines.push(
  "",
  `peak RSS at 20,000 flows: ${small.packets.toLocaleString("en-US")} packets ${a.toFixed(0)} MB, ${big.packets.toLocaleString("en-US")} packets ${b.toFixed(0)} MB: ${(b / a).toFixed(2)}× for 10× the packets`,
);
process.stdout.write(`${lines.join("\n")}\n`);
