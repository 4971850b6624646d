/**
 * Issue 6: every output format, -o and --report-dir, batch runs, summarize,
 * CI policy, redaction, escaping of hostile text, colour, JUnit schema.
 */

import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TcpConversation, tlsClientHello, tlsServerHello, writePcap } from "../fixtures/lib/packets.js";
import { analyzeCapture } from "../src/analyze.js";
import { AUTO_JOBS_MIN_BYTES, defaultJobs } from "../src/cli/jobs.js";
import { toolVersion, wantColor } from "../src/cli/main.js";
import { renderCsv } from "../src/report/csv.js";
import { renderHtml } from "../src/report/html.js";
import { renderJunit } from "../src/report/junit.js";
import { renderMarkdown } from "../src/report/markdown.js";
import { reasonText } from "../src/report/reason-text.js";
import { Redactor } from "../src/report/redact.js";
import { renderTable } from "../src/report/table.js";
import { BATCH } from "./helpers/batch.js";
import { cliFast, ROOT } from "./helpers/cli.js";
import { canonical, readGolden } from "./helpers/golden.js";
import { runCliWith } from "./helpers/run.js";
import { hasTool, requireTools } from "./helpers/tools.js";

const tmp = () => mkdtempSync(join(tmpdir(), "ocs-pcap-formats-"));
const read = (path: string) => readFileSync(path, "utf8");
const hasXmllint = hasTool("xmllint");

/** C0 controls other than tab, LF and CR. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return true;
  }
  return false;
}

/** Every file under a directory, recursively, as text. */
function allFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const p = join(dir, name);
    try {
      out.set(name, read(p));
    } catch {
      // a directory
    }
  }
  return out;
}

// --- A capture full of hostile text ----------------------------------------------

const EVIL_SNI = '=HYPERLINK("http://x")<script>alert(1)</script>|**b**\x1b[2J\x1b]0;pwn\x07';
const EVIL_SNI_2 = "+cmd|' /C calc'!A0";

function hostileCapture(dir: string): string {
  const name = "evil\x1b[31m<b>|=x&amp;.pcap";
  const frames = [
    ...new TcpConversation("10.1.0.20", 50001, "10.0.0.10", 5061, 1_700_000_000_000_000)
      .handshake()
      .data(true, tlsClientHello(EVIL_SNI_2))
      .data(false, tlsServerHello())
      .close().frames,
    ...new TcpConversation("10.1.0.20", 50002, "10.0.0.99", 4444, 1_700_000_001_000_000)
      .handshake()
      .data(true, tlsClientHello(EVIL_SNI)).frames,
  ];
  const path = join(dir, name);
  writeFileSync(path, writePcap(frames));
  return path;
}

describe("hostile text from packets and file names is escaped in every format", async () => {
  const dir = tmp();
  const path = hostileCapture(dir);
  const report = await analyzeCapture(path, { version: toolVersion() });

  it("the capture really carries the hostile server names", async () => {
    expect(report.flows.map((f) => f.application.sni)).toEqual([EVIL_SNI_2, EVIL_SNI]);
  });

  it("html: no markup or control characters get through", async () => {
    const html = renderHtml(report);
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<b>|");
    expect(html).toContain("&#60;script&#62;alert(1)&#60;/script&#62;");
    expect(html).toContain("=x&#38;amp;.pcap");
    expect(html.match(/<script/g)?.length).toBe(1); // the report's own, inline
    expect(hasControl(html)).toBe(false);
  });

  it("markdown: table cells cannot break out of their cell or inject markup", async () => {
    const md = renderMarkdown(report, { limit: 25 });
    expect(md).not.toContain("<script>");
    expect(md).toContain("\\<script\\>alert(1)\\</script\\>\\|\\*\\*b\\*\\*");
    expect(hasControl(md)).toBe(false);
    // Every row of every table has as many unescaped pipes as its header.
    const lines = md.split("\n");
    let width = -1;
    for (const line of lines) {
      if (!line.startsWith("|")) {
        width = -1;
        continue;
      }
      const pipes = line.replace(/\\\|/g, "").split("|").length;
      if (width === -1) width = pipes;
      expect(pipes, line).toBe(width);
    }
  });

  it("csv: formula-looking fields are defused and quoting holds", async () => {
    const csv = [...renderCsv(report)].join("");
    const rows = parseCsv(csv);
    const header = rows[0]!;
    const sni = header.indexOf("sni");
    // Control characters are shown as \xNN, as on a terminal (a CSV is often `cat`).
    expect(rows.slice(1, 3).map((r) => r[sni])).toEqual([
      `'${EVIL_SNI_2}`,
      `'=HYPERLINK("http://x")<script>alert(1)</script>|**b**\\x1b[2J\\x1b]0;pwn\\x07`,
    ]);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: none may be left.
    expect(csv).not.toMatch(/[\u0007\u001b]/);
    for (const row of rows.slice(1)) {
      expect(row.length).toBe(header.length);
      for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
  });

  it("table: escape sequences are shown, not acted on", async () => {
    // No width limit: the title holds the temporary folder's path, however long TMPDIR is.
    const table = renderTable(report, { limit: 25, width: 0 });
    expect(table).not.toContain("\x1b");
    expect(table).toContain("evil\\x1b[31m<b>|=x&amp;.pcap");
  });

  it.skipIf(!hasXmllint && !requireTools)(
    "junit: well-formed and schema-valid despite the names",
    async () => {
      const file = join(dir, "out.xml");
      writeFileSync(file, renderJunit([report], { failOnUnknown: true, failOnInconclusive: true }));
      execFileSync("xmllint", ["--noout", "--schema", join(ROOT, "test/junit.xsd"), file], { stdio: "pipe" });
    },
  );

  it("json: the names round-trip exactly", async () => {
    const r = await cliFast("analyze", relative(ROOT, path), "--format", "json");
    const flows = JSON.parse(r.stdout).flows as { application: { sni?: string } }[];
    expect(flows.map((f) => f.application.sni)).toEqual([EVIL_SNI_2, EVIL_SNI]);
  });
});

/** RFC 4180 CSV into rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += ch;
  }
  return rows;
}

// --- Output files -----------------------------------------------------------------

describe("-o and --report-dir", () => {
  it("-o writes any one format; --report-dir writes all nine, named after the capture", async () => {
    const dir = tmp();
    for (const [format, ext] of [
      ["markdown", "md"],
      ["html", "html"],
      ["csv", "csv"],
      ["junit", "junit.xml"],
      ["zeek", "conn.log"],
      ["zeek-json", "conn.jsonl"],
      ["ndjson", "ndjson"],
    ] as const) {
      const out = join(dir, `one.${ext}`);
      const r = await cliFast("analyze", "fixtures/ocs-sample.pcap", "--format", format, "-o", out);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("");
      expect(read(out)).toBe(
        (await cliFast("analyze", "fixtures/ocs-sample.pcap", "--format", format)).stdout,
      );
    }
    const all = join(dir, "all");
    const r = await cliFast("analyze", "fixtures/ocs-sample.pcap", "--report-dir", all);
    expect(r.code).toBe(0);
    expect(readdirSync(all).sort()).toEqual([
      "ocs-sample.pcap.conn.jsonl",
      "ocs-sample.pcap.conn.log",
      "ocs-sample.pcap.csv",
      "ocs-sample.pcap.html",
      "ocs-sample.pcap.json",
      "ocs-sample.pcap.junit.xml",
      "ocs-sample.pcap.md",
      "ocs-sample.pcap.ndjson",
      "ocs-sample.pcap.txt",
    ]);
    expect(read(join(all, "ocs-sample.pcap.json"))).toBe(read(join(ROOT, "fixtures/ocs-sample.json")));
    for (const ext of ["md", "html", "txt"])
      expect(canonical(read(join(all, `ocs-sample.pcap.${ext}`)))).toBe(
        readGolden(join(ROOT, `fixtures/ocs-sample.${ext}`)),
      );
    // The report still goes to stdout.
    expect(canonical(r.stdout)).toBe(readGolden(join(ROOT, "fixtures/ocs-sample.txt")));
  });
});

// --- Batch ------------------------------------------------------------------------

describe("batch runs", () => {
  it("walks directories by magic bytes, not extension", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "capture.bin"), readFileSync(join(ROOT, "fixtures/ocs-sample.pcapng")));
    writeFileSync(join(dir, "notes.pcap"), "not a capture, whatever the name says\n");
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "sub", "x"), readFileSync(join(ROOT, "fixtures/ocs-sample.pcap.gz")));
    const r = await cliFast("analyze", dir, "--format", "json");
    expect(r.code).toBe(0);
    const batch = JSON.parse(r.stdout) as {
      captures: { path: string }[];
      reports: { capture: { path: string } }[];
    };
    expect(batch.captures.map((c) => c.path)).toEqual([join(dir, "capture.bin"), join(dir, "sub", "x")]);
    expect(batch.reports.map((c) => c.capture.path)).toEqual([
      join(dir, "capture.bin"),
      join(dir, "sub", "x"),
    ]);
  });

  it("in every format, a batch renders from the flows its captures keep (only those it lists) what it renders from all", async () => {
    // A batch keeps of each capture's report only the flows its format lists (shipFlows: none
    // for JSON, HTML and CSV summaries, the notable ones for table, Markdown and JUnit), in this
    // thread as on a worker; with --report-dir it keeps them all. A renderer that used another
    // flow would make these differ. (The same batch from workers: test/system/workers.test.ts.)
    // Known flows whose TLS handshake warns are listed ("TLS handshakes that failed or warn"),
    // so they are kept too: the recorded handshakes come first.
    const tlsFirst = [
      "fixtures/recorded/tls-outcomes-real.pcap",
      "fixtures/ocs-sample.pcap",
      "fixtures/blocked-cases.pcap",
    ];
    const cases = [
      ...["table", "markdown", "junit", "json", "html", "csv"].map(
        (f) => [f, BATCH, ["--limit", "0"]] as const,
      ),
      ...["table", "markdown", "junit"].map((f) => [f, tlsFirst, []] as const),
    ];
    for (const [format, inputs, extra] of cases) {
      const argv = ["analyze", ...inputs, "--format", format, ...extra, "--jobs", "1"];
      const kept = await cliFast(...argv);
      const all = await cliFast(...argv, "--report-dir", tmp());
      expect(kept.code, format).toBe(inputs === BATCH ? 65 : 0);
      expect(all.stdout, format).toBe(kept.stdout);
      if (inputs === tlsFirst && format !== "junit")
        expect(kept.stdout, format).toMatch(/tls_certificate_expired/);
    }
  });

  it("without --jobs, a batch under 64 MB (gzip counted expanded) runs in this thread, and a larger one on a worker per CPU", async () => {
    const [small, large] = ["small.pcap", "large.pcap"].map((n) => join(tmp(), n)) as [string, string];
    copyFileSync(join(ROOT, "fixtures/ocs-sample.pcap"), small);
    // A sparse file: 64 MB on paper, no disk used.
    writeFileSync(large, "");
    truncateSync(large, AUTO_JOBS_MIN_BYTES);
    expect(defaultJobs([small], 4)).toBe(1);
    expect(defaultJobs([small, "-", join(tmp(), "missing.pcap")], 4)).toBe(1);
    expect(defaultJobs([small, large], 4)).toBe(4);
    expect(defaultJobs([large], 2)).toBe(2);
    // A gzip member's trailer says what it expands to (ISIZE): 10 header bytes, 8 of trailer.
    const gz = join(tmp(), "big.pcap.gz");
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(AUTO_JOBS_MIN_BYTES, 4);
    writeFileSync(
      gz,
      Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), Buffer.alloc(8), trailer]),
    );
    expect(defaultJobs([gz], 4)).toBe(4);
    trailer.writeUInt32LE(1000, 4);
    writeFileSync(
      gz,
      Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), Buffer.alloc(8), trailer]),
    );
    expect(defaultJobs([gz], 4)).toBe(1);
    // A pipe's size is unknown: it counts as large.
    const fifo = join(tmp(), "capture.fifo");
    execFileSync("mkfifo", [fifo]);
    expect(defaultJobs([small, fifo], 4)).toBe(4);
    // Worker heap limits asked for: workers, whatever the size.
    process.env.OCS_PCAP_WORKER_HEAP_MB = "64";
    try {
      expect(defaultJobs([small], 4)).toBe(4);
    } finally {
      delete process.env.OCS_PCAP_WORKER_HEAP_MB;
    }
    // End to end: a worker here would throw on start, so the batch shows none was started.
    const failing = { workerScript: { source: "throw new Error('a worker was started')" } };
    const auto = await runCliWith(failing, "analyze", ...BATCH, "-f", "json", "-q");
    expect(auto.stderr).not.toContain("a worker was started");
    expect(auto.code).toBe(65);
    const single = await cliFast("analyze", ...BATCH, "-f", "json", "-q", "--jobs", "1");
    expect(auto.stdout).toBe(single.stdout);
    // With --jobs 2 the same batch does start one, and its failure shows.
    const forced = await runCliWith(failing, "analyze", ...BATCH, "-f", "json", "-q", "--jobs", "2");
    expect(forced.code).not.toBe(0);
    expect(forced.stderr).toContain("a worker was started");
  });

  it("--jobs 1 and --jobs 4 give byte-identical output, and an unreadable capture sets 65 at the end", async () => {
    const a = tmp();
    const b = tmp();
    const one = await cliFast("analyze", ...BATCH, "--jobs", "1", "--report-dir", a);
    const four = await cliFast("analyze", ...BATCH, "--jobs", "4", "--report-dir", b);
    expect(one.code).toBe(65);
    expect(four.code).toBe(65);
    expect(four.stdout).toBe(one.stdout);
    expect(four.stderr).toBe(one.stderr);
    expect(one.stderr).toMatch(/^ocs-pcap: fixtures\/malformed\/short-header\.pcap: offset 0: /m);
    const filesA = allFiles(a);
    expect(allFiles(b)).toEqual(filesA);
    expect([...filesA.keys()].filter((n) => /^[^/]*\.json$/.test(n)).sort()).toEqual([
      "blocked-cases.pcap.json",
      "blocked-real.pcap.json",
      "misdirected-real.pcap.json",
      "ocs-real-any.pcap.json",
      "ocs-real-ns.pcap.json",
      "ocs-real.pcap.json",
      "ocs-real.pcapng.json",
      "ocs-sample.pcap.json",
      "ocs-sample.pcapng.gz.json",
      "sign-in-real.pcap.json",
      "sip-failures-real.pcap.json",
      "tls-outcomes-real.pcap.json",
      "turn-real.pcap.json",
    ]);
    // Each capture's report is the single-capture report, and the summary closes stdout.
    expect(filesA.get("ocs-sample.pcap.json")).toBe(read(join(ROOT, "fixtures/ocs-sample.json")));
    // The run's own outputs are in batch/, where `summarize DIR/*.json` does not look.
    expect([...filesA.keys()].filter((n) => n.startsWith("batch/")).sort()).toEqual([
      "batch/summary.html",
      "batch/summary.json",
      "batch/summary.junit.xml",
      "batch/summary.md",
      "batch/summary.txt",
    ]);
    const summary = filesA.get("batch/summary.txt")!;
    expect(one.stdout.endsWith(summary)).toBe(true);
    expect(summary).toMatch(/^fixtures\/malformed\/short-header\.pcap +unreadable$/m);
    expect(summary).toMatch(/^total: 14 captures +1 unreadable +\d+/m);
  });

  it("--fail-on outranks an unreadable capture: exit 1", async () => {
    const r = await cliFast(
      "analyze",
      "fixtures/ocs-sample.pcap",
      "fixtures/malformed/short-header.pcap",
      "--fail-on",
      "blocked",
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ocs-pcap: fixtures/ocs-sample.pcap: --fail-on: 2 blocked\n");
  });

  it("summarize merges saved JSON reports into the same batch report, in any format", async () => {
    const dir = tmp();
    const inputs = ["fixtures/ocs-sample.pcap", "fixtures/blocked-cases.pcap", "fixtures/recorded"];
    expect((await cliFast("analyze", ...inputs, "--report-dir", dir, "-q")).code).toBe(0);
    const jsons = readdirSync(dir)
      .filter((n) => n.endsWith(".json"))
      .map((n) => join(dir, n));
    // Reports arrive in any order (say, from a CI matrix); the summary follows the arguments.
    const order = [
      join(dir, "ocs-sample.pcap.json"),
      join(dir, "blocked-cases.pcap.json"),
      ...jsons.filter((p) => !/ocs-sample|blocked-cases/.test(p)).sort(),
    ];
    for (const [format, ext] of [
      ["table", "txt"],
      ["markdown", "md"],
      ["csv", "csv"],
    ] as const) {
      const s = await cliFast("summarize", ...order, "--format", format);
      expect(s.code).toBe(0);
      // The same batch report that analyze prints, and the summary file closes it.
      expect(s.stdout).toBe((await cliFast("analyze", ...inputs, "--format", format)).stdout);
      if (format !== "csv") expect(s.stdout.endsWith(read(join(dir, "batch", `summary.${ext}`)))).toBe(true);
    }
    // The batch file holds every report: summarize reads it as the reports themselves,
    // and a capture read twice (the batch file and its own report) counts once.
    const fromBatch = await cliFast("summarize", join(dir, "batch", "summary.json"), "--format", "json");
    expect([fromBatch.code, fromBatch.stderr]).toEqual([0, ""]);
    const fromReports = await cliFast("summarize", ...order, "--format", "json");
    expect(fromBatch.stdout).toBe(fromReports.stdout);
    const twice = await cliFast("summarize", ...order, join(dir, "batch", "summary.json"));
    expect(twice.code).toBe(0);
    expect(twice.stdout).toBe((await cliFast("summarize", ...order)).stdout);
    expect(twice.stderr).toMatch(
      /summary\.json \(report 1\): the report of fixtures\/ocs-sample\.pcap was already read from .*ocs-sample\.pcap\.json; counted once/,
    );
    const j = await cliFast("summarize", ...order, "--format", "junit");
    expect(j.stdout).toBe((await cliFast("analyze", ...inputs, "--format", "junit")).stdout);
    const failing = await cliFast("summarize", ...order, "--fail-on", "misdirected");
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/fixtures\/recorded\/misdirected-real\.pcap: --fail-on: 3 misdirected/);
    const bad = await cliFast(
      "summarize",
      join(dir, "ocs-sample.pcap.html"),
      join(dir, "ocs-sample.pcap.csv"),
    );
    expect(bad.code).toBe(65);
    expect(bad.stderr).toMatch(/ocs-sample\.pcap\.html: not JSON/);
    expect(bad.stderr).toMatch(/ocs-sample\.pcap\.csv: not JSON/);
    // A batch summary from an older ocs-pcap (no reports in it) is named and skipped.
    const old = join(dir, "old-summary.json");
    const oldBatch = JSON.parse(read(join(dir, "batch", "summary.json")));
    delete oldBatch.reports;
    writeFileSync(old, JSON.stringify(oldBatch));
    const skipped = await cliFast("summarize", old, join(dir, "ocs-sample.pcap.json"));
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toMatch(
      /old-summary\.json: a batch summary \(ocs-pcap\/batch@1\) without its reports.*skipped/,
    );
  });
});

// --- CI policy --------------------------------------------------------------------

describe("CI policy", () => {
  // ocs-sample: 12 flows, 4 known, 2 blocked, 2 misdirected, 4 unknown.
  const run = (...args: string[]) => cliFast("analyze", "fixtures/ocs-sample.pcap", "-q", ...args);

  it("--max-unknown-flows takes a count or a percentage", async () => {
    expect((await run("--max-unknown-flows", "4")).code).toBe(0);
    const over = await run("--max-unknown-flows", "3");
    expect(over.code).toBe(1);
    expect(over.stderr).toBe("ocs-pcap: --max-unknown-flows: 4 unknown flows, more than 3\n");
    expect((await run("--max-unknown-flows", "34%")).code).toBe(0);
    const pct = await run("--max-unknown-flows", "33%");
    expect(pct.code).toBe(1);
    expect(pct.stderr).toBe("ocs-pcap: --max-unknown-flows: 33.3% of flows unknown, more than 33%\n");
    expect((await run("--max-unknown-flows", "lots")).code).toBe(2);
    expect((await run("--max-unknown-flows", "120%")).code).toBe(2);
  });

  it("--max-blocked", async () => {
    expect((await run("--max-blocked", "2")).code).toBe(0);
    const r = await run("--max-blocked", "1");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("ocs-pcap: --max-blocked: 2 blocked flows, more than 1\n");
  });

  it("--fail-on takes any subset, inconclusive included", async () => {
    expect((await run("--fail-on", "inconclusive")).code).toBe(0);
    const r = await cliFast("analyze", "fixtures/blocked-cases.pcap", "--fail-on", "inconclusive,unknown");
    expect(r.code).toBe(1);
    // The two mid-stream flows with data both ways are known since issue 11.
    expect(r.stderr).toBe("ocs-pcap: --fail-on: 3 inconclusive, 1 unknown\n");
  });

  it("--expect: roles and ports that must be seen working", async () => {
    const dir = tmp();
    const good = join(dir, "good.yaml");
    writeFileSync(
      good,
      "# Edge STUN and SIP/TLS must work\nexpect:\n  - { role: Edge Server, port: 3478, transport: udp }\n  - { port: 5061, transport: tcp, min: 1 }\n",
    );
    expect((await run("--expect", good)).code).toBe(0);
    const bad = join(dir, "bad.json");
    writeFileSync(
      bad,
      JSON.stringify({
        expect: [
          { role: "Mediation Server", port: 5060, transport: "tcp" },
          { role: "Edge Server", port: 3478, transport: "udp", min: 2 },
        ],
      }),
    );
    const r = await run("--expect", bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "ocs-pcap: --expect: Mediation Server 5060/tcp should have at least 1 known flow, saw 0\n" +
        "ocs-pcap: --expect: Edge Server 3478/udp should have at least 2 known flows, saw 1\n",
    );
    const broken = join(dir, "broken.yaml");
    writeFileSync(broken, "expect:\n  - { port: 99999 }\n");
    const b = await run("--expect", broken);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(
      /broken\.yaml: does not match the expectations format: line 2, column 13: \/expect\/0\/port: must be <= 65535/,
    );
  });

  it.skipIf(!hasXmllint && !requireTools)(
    "junit: one suite per capture, validated against the JUnit schema; unknown fails only under --fail-on unknown",
    async () => {
      const dir = tmp();
      const plain = join(dir, "plain.xml");
      const strict = join(dir, "strict.xml");
      const inputs = ["fixtures/ocs-sample.pcap", "fixtures/blocked-cases.pcap", "fixtures/recorded"];
      await cliFast("analyze", ...inputs, "--format", "junit", "-o", plain);
      await cliFast("analyze", ...inputs, "--format", "junit", "--fail-on", "unknown", "-o", strict);
      for (const f of [plain, strict]) {
        execFileSync("xmllint", ["--noout", "--schema", join(ROOT, "test/junit.xsd"), f], { stdio: "pipe" });
      }
      const p = read(plain);
      expect(p.match(/<testsuite /g)?.length).toBe(12);
      const unknownCase =
        /<testcase name="unknown traffic" classname="ocs-pcap\.fixtures\/ocs-sample\.pcap"[^>]*>\n(.*)/;
      expect(unknownCase.exec(p)?.[1]).not.toContain("<failure");
      expect(unknownCase.exec(read(strict))?.[1]).toContain("<failure");
      expect(p).toMatch(
        /<testcase name="Front End Servers \/ Load balancer for Front End Servers 5065\/tcp"[^>]*>\n\s+<failure message="1 of 1 flows blocked or misdirected" type="ocs-pcap">1 of 1 flows blocked or misdirected\n#4 10\.1\.0\.21:50400 -&#62; 10\.0\.0\.10:5065 tcp REJ Sr: syn_rejected/,
      );
    },
  );
});

// --- Redaction --------------------------------------------------------------------

const V4 = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])/g;

function commonPrefix(a: bigint, b: bigint, bits: number): number {
  let n = 0;
  while (n < bits && ((a >> BigInt(bits - 1 - n)) & 1n) === ((b >> BigInt(bits - 1 - n)) & 1n)) n++;
  return n;
}

const v4ToBig = (ip: string) => ip.split(".").reduce((acc, o) => (acc << 8n) | BigInt(o), 0n);
const bigToV4 = (v: bigint) => [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join(".");

describe("redaction", () => {
  it("is prefix-preserving (Crypto-PAn): two addresses share exactly as many leading bits after as before", async () => {
    const r = new Redactor({ key: "property" });
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }),
        (a, b) => {
          const [ra, rb] = [v4ToBig(r.address(bigToV4(a))), v4ToBig(r.address(bigToV4(b)))];
          expect(commonPrefix(ra, rb, 32)).toBe(commonPrefix(a, b, 32));
        },
      ),
      { numRuns: 300, seed: 6 },
    );
    // IPv6 too, and distinct keys give distinct pseudonyms.
    const x = r.address("2001:db8:1::10");
    const y = r.address("2001:db8:1::11");
    expect(x).not.toBe("2001:db8:1::10");
    expect(x.split(":").slice(0, 3)).toEqual(y.split(":").slice(0, 3));
    expect(new Redactor({ key: "other" }).address("10.0.0.10")).not.toBe(r.address("10.0.0.10"));
    expect(new Redactor({ key: "property" }).address("10.0.0.10")).toBe(r.address("10.0.0.10"));
  });

  it("leaves no original address or server name in any output of a redacted run", async () => {
    const inputs = [
      "fixtures/ocs-sample.pcap",
      "fixtures/topology-cases.pcap",
      "fixtures/ipv6.pcap",
      "fixtures/recorded",
    ];
    const dir = tmp();
    const out = await cliFast(
      "analyze",
      ...inputs,
      "--redact",
      "--redact-key",
      "k1",
      "--report-dir",
      dir,
      "--format",
      "markdown",
    );
    expect(out.code).toBe(0);
    const outputs = [out.stdout, out.stderr, ...allFiles(dir).values()];
    expect(outputs.length).toBe(2 + 13 * 9 + 5);
    // Everything the unredacted reports hold: endpoint addresses, address
    // literals in messages, and TLS server names.
    const secrets = new Set<string>();
    const paths = inputs.flatMap((i) =>
      i.endsWith("recorded")
        ? readdirSync(join(ROOT, i))
            .filter((n) => /\.pcap(ng)?$/.test(n))
            .map((n) => `${i}/${n}`)
        : [i],
    );
    for (const p of paths) {
      const report = await analyzeCapture(p, { version: toolVersion() });
      for (const f of report.flows) {
        secrets.add(f.clientIp);
        secrets.add(f.serverIp);
        if (f.application.sni) secrets.add(f.application.sni);
        // The names a TLS server's certificate carries, and the name the client asked for.
        for (const n of f.tls?.certificate?.dnsNames ?? []) secrets.add(n);
        if (f.tls?.sni) secrets.add(f.tls.sni);
        for (const r of f.reasons) for (const m of reasonText(r).match(V4) ?? []) secrets.add(m);
      }
    }
    expect([...secrets].some((s) => s.includes(":"))).toBe(true); // IPv6 is covered
    expect([...secrets].some((s) => s.endsWith(".test"))).toBe(true); // server names are covered
    for (const secret of secrets) {
      const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      const pattern = secret.includes(":")
        ? new RegExp(`(?<![0-9A-Fa-f:])${escaped}(?![0-9A-Fa-f:])`, "i")
        : new RegExp(`(?<![\\w.])${escaped}(?![\\w])`, "i");
      for (const text of outputs) expect(pattern.test(text), `${secret} survived`).toBe(false);
    }
    // One pseudonym per address across every format of the run.
    const json = JSON.parse(read(join(dir, "ocs-sample.pcap.json")));
    const server = json.flows[0].server.ip as string;
    for (const ext of ["csv", "md", "html", "txt"])
      expect(read(join(dir, `ocs-sample.pcap.${ext}`))).toContain(server);
    // The same key gives the same pseudonyms on another run.
    const again = await cliFast(
      "analyze",
      "fixtures/ocs-sample.pcap",
      "--redact",
      "--redact-key",
      "k1",
      "--format",
      "json",
    );
    expect(JSON.parse(again.stdout).flows[0].server.ip).toBe(server);
  });

  it("redacts addresses in capture names too, in the batch summary and in messages", async () => {
    const dir = tmp();
    const named = join(dir, "edge-10.0.0.30.pcap");
    writeFileSync(named, readFileSync(join(ROOT, "fixtures/ocs-sample.pcap")));
    const broken = join(dir, "fe-10.0.0.10.pcap");
    writeFileSync(broken, "not a capture at all\n");
    const r = await cliFast("analyze", named, broken, "--redact", "--format", "table");
    expect(r.code).toBe(65);
    expect(r.stdout + r.stderr).not.toMatch(/10\.0\.0\.(30|10)(?!\d)/);
    expect(r.stdout).toMatch(/edge-\d+\.\d+\.\d+\.\d+\.pcap +ok/);
    const csv = await cliFast("analyze", named, broken, "--redact", "--format", "csv");
    expect(csv.stdout + csv.stderr).not.toMatch(/10\.0\.0\.(30|10)(?!\d)/);
    expect(csv.stdout).toMatch(/^1,[^,]*edge-\d+\.\d+\.\d+\.\d+\.pcap,/m);
  });

  it("keeps server names' domains only under --redact-keep-domain", async () => {
    const plain = (await cliFast("analyze", "fixtures/topology-cases.pcap", "--redact", "--format", "csv"))
      .stdout;
    const keep = (
      await cliFast(
        "analyze",
        "fixtures/topology-cases.pcap",
        "--redact",
        "--redact-keep-domain",
        "--format",
        "csv",
      )
    ).stdout;
    expect(plain).toMatch(/,host-[0-9a-f]{8}\.redacted,/);
    expect(plain).not.toContain("contoso.test");
    expect(keep).toMatch(/,host-[0-9a-f]{8}\.contoso\.test,/);
    expect(keep).not.toMatch(/pool\.contoso|cwa\.contoso|client\.contoso/);
  });
});

// --- Terminal -----------------------------------------------------------------------

describe("terminal", () => {
  it("colour follows NO_COLOR and FORCE_COLOR; a pipe gets none by default", async () => {
    expect(wantColor({}, true)).toBe(true);
    expect(wantColor({}, false)).toBe(false);
    expect(wantColor({ TERM: "dumb" }, true)).toBe(false);
    expect(wantColor({ NO_COLOR: "1" }, true)).toBe(false);
    expect(wantColor({ NO_COLOR: "1", FORCE_COLOR: "1" }, true)).toBe(false);
    expect(wantColor({ FORCE_COLOR: "1" }, false)).toBe(true);
    expect(wantColor({ FORCE_COLOR: "0" }, true)).toBe(false);
    // `main` passes wantColor's answer on; the table then has colour.
    const forced = await runCliWith({ color: true }, "analyze", "fixtures/ocs-sample.pcap");
    expect(forced.stdout).toContain("\x1b[31mBlocked-looking flows (2)\x1b[39m");
    const none = await runCliWith({ color: false }, "analyze", "fixtures/ocs-sample.pcap");
    expect(canonical(none.stdout)).toBe(readGolden(join(ROOT, "fixtures/ocs-sample.txt")));
    // A file never gets colour, even when forced.
    const dir = tmp();
    await runCliWith({ color: true }, "analyze", "fixtures/ocs-sample.pcap", "-o", join(dir, "r.txt"));
    expect(canonical(read(join(dir, "r.txt")))).toBe(readGolden(join(ROOT, "fixtures/ocs-sample.txt")));
  });

  it("fits the terminal's width, or --width; a file or a pipe gets 100 columns", async () => {
    const widest = (text: string) =>
      Math.max(
        ...text
          .split("\n")
          .filter((l) => !/^ +(#\d+ +frame +\d+ +|filter: )\S+==/.test(l))
          .map((l) => l.length),
      );
    const at80 = await runCliWith({ columns: 80 }, "analyze", "fixtures/blocked-cases.pcap");
    expect(widest(at80.stdout)).toBeLessThanOrEqual(80);
    expect(at80.stdout).toContain("(Blk blocked, Mis misdirected, Inc inconclusive)");
    const at200 = await runCliWith({ columns: 200 }, "analyze", "fixtures/blocked-cases.pcap");
    expect(widest(at200.stdout)).toBeGreaterThan(100);
    expect(at200.stdout).not.toContain("…");
    // --width wins over the terminal; -o ignores the terminal.
    const given = await runCliWith(
      { columns: 200 },
      "analyze",
      "fixtures/blocked-cases.pcap",
      "--width",
      "90",
    );
    expect(widest(given.stdout)).toBeLessThanOrEqual(90);
    // Section titles are cut like every other line (two were 75 and 79 columns wide).
    for (const width of [40, 60])
      for (const fixture of ["fixtures/ocs-sample.pcap", "fixtures/blocked-cases.pcap"]) {
        const fitted = await runCliWith({}, "analyze", fixture, "--width", String(width));
        expect(widest(fitted.stdout)).toBeLessThanOrEqual(width);
        expect(fitted.stdout).toMatch(/^Traffic by role .*…$/m);
      }
    const dir = tmp();
    await runCliWith({ columns: 200 }, "analyze", "fixtures/ocs-sample.pcap", "-o", join(dir, "r.txt"));
    expect(canonical(read(join(dir, "r.txt")))).toBe(readGolden(join(ROOT, "fixtures/ocs-sample.txt")));
    const unlimited = await runCliWith({}, "analyze", "fixtures/ocs-sample.pcap", "--width", "0");
    expect(unlimited.stdout).toMatch(/udp_no_reply: SIP request, no reply$/m);
    const narrow = await runCliWith({}, "analyze", "fixtures/ocs-sample.pcap", "--width", "20");
    expect([narrow.code, narrow.stderr]).toEqual([
      2,
      "ocs-pcap: --width must be 0 (no limit) or at least 40\n(run with --help for usage)\n",
    ]);
  });
});
