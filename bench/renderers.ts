/**
 * Every report format at a large flow count: `npm run bench:renderers [-- --flows N --runs R]`.
 *
 * Analyses a generated capture once (default 200,000 flows: a fifth each
 * answered SIP/TLS, STUN, media, unanswered SYNs and unknown TCP, so most
 * flows are findings the human formats list), then times each renderer on
 * the same report model, in this process, R times (median), with every flow
 * listed (`--limit 0`, and the HTML table unbounded). Output is consumed
 * into a counter, not written. Prints each format's time and its ratio to
 * JSON's, measured in the same run: the renderers must stay linear in flows
 * (issue 12: Markdown was quadratic), each under 2× JSON. Then the whole
 * command per format, as a user runs it (`ocs-pcap analyze FILE -f F
 * --limit 0 -q -o /dev/null` in a fresh process, GNU time), against
 * `-f json`. Exit 0 when every format's whole command is under 2× JSON's.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeCapture } from "../src/analyze.js";
import { renderCsv } from "../src/report/csv.js";
import { renderHtmlChunks } from "../src/report/html.js";
import { renderJson } from "../src/report/json.js";
import { renderJunit } from "../src/report/junit.js";
import { renderMarkdown } from "../src/report/markdown.js";
import { renderTable } from "../src/report/table.js";
import { numberArg } from "./args.js";
import { generate } from "./gen.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const flows = numberArg("flows", 200_000);
const runs = numberArg("runs", 3);
const dataDir = join(HERE, ".data");
mkdirSync(dataDir, { recursive: true });
const file = join(dataDir, `renderers-${flows}x4.pcap`);
if (!existsSync(file)) {
  process.stdout.write(`generating ${file} …\n`);
  generate(file, flows, 4, "even");
}

const t0 = performance.now();
const report = await analyzeCapture(file, { maxReportFlows: flows });
process.stdout.write(
  `${report.flows.length} flows listed (${report.summary.known} known, ${report.summary.flows - report.summary.known} other), analysed in ${((performance.now() - t0) / 1000).toFixed(1)} s\n\n`,
);

const size = (out: string | Iterable<string>): number => {
  if (typeof out === "string") return out.length;
  let n = 0;
  for (const piece of out) n += piece.length;
  return n;
};
const formats: [string, () => number][] = [
  ["json", () => size(renderJson(report))],
  ["csv", () => size(renderCsv(report))],
  ["table", () => size(renderTable(report, { limit: 0 }))],
  ["markdown", () => size(renderMarkdown(report, { limit: 0 }))],
  ["html", () => size(renderHtmlChunks(report, { maxRows: Number.MAX_SAFE_INTEGER }))],
  ["junit", () => size(renderJunit([report], { failOnUnknown: true, failOnInconclusive: true }))],
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = new Map<string, { ms: number; chars: number }>();
for (const [name, render] of formats) {
  const times: number[] = [];
  let chars = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    chars = render();
    times.push(performance.now() - t);
  }
  results.set(name, { ms: median(times), chars });
}
const json = results.get("json")!.ms;
process.stdout.write("| format | render ms (median) | output MB | ÷ JSON |\n| --- | ---: | ---: | ---: |\n");
for (const [name, r] of results) {
  process.stdout.write(
    `| ${name} | ${r.ms.toFixed(0)} | ${(r.chars / 1e6).toFixed(1)} | ${(r.ms / json).toFixed(2)} |\n`,
  );
}
const worstRender = Math.max(...[...results.values()].map((r) => r.ms / json));
process.stdout.write(`\nslowest renderer: ${worstRender.toFixed(2)}× JSON's\n\n`);

const BIN = join(HERE, "..", "bin", "ocs-pcap");
const wall = (format: string): number => {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(
      "/usr/bin/time",
      [
        "-f",
        "%e",
        process.execPath,
        BIN,
        "analyze",
        file,
        "-f",
        format,
        "--limit",
        "0",
        "-q",
        "-o",
        "/dev/null",
      ],
      { encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] },
    );
    times.push(Number(r.stderr.trim().split("\n").pop()));
  }
  return median(times);
};
const whole = new Map(formats.map(([name]) => [name, wall(name)]));
const jsonWall = whole.get("json")!;
process.stdout.write("| format | whole command s (median) | ÷ JSON |\n| --- | ---: | ---: |\n");
for (const [name, secs] of whole) {
  process.stdout.write(`| ${name} | ${secs.toFixed(2)} | ${(secs / jsonWall).toFixed(2)} |\n`);
}
const worst = Math.max(...[...whole.values()].map((x) => x / jsonWall));
process.stdout.write(`\nslowest whole command: ${worst.toFixed(2)}× JSON's (limit 2×)\n`);
process.exitCode = worst <= 2 ? 0 : 1;
