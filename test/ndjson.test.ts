/**
 * `--format ndjson` (issue 14, item 1): one self-contained JSON object per
 * line, every line valid against the published schema, flows as in
 * report@1, the same lines for a capture alone and in a batch, and `jq`
 * reading the output of a whole folder.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { NDJSON_SCHEMA } from "../src/report/ndjson.js";
import reportSchema from "../src/report/report.schema.json" with { type: "json" };
import { ROOT } from "./helpers/cli.js";
import { runCli } from "./helpers/run.js";
import { hasTool } from "./helpers/tools.js";

const ajv = new Ajv({ allErrors: true, strict: false });
const validLine = ajv.compile(NDJSON_SCHEMA);
const validFlow = ajv.compile({ definitions: reportSchema.definitions, $ref: "#/definitions/flow" });

const FIXTURES = readdirSync(join(ROOT, "fixtures"))
  .filter((n) => /\.(pcap|pcapng)(\.gz)?$/.test(n))
  .map((n) => `fixtures/${n}`);

function lines(text: string): Record<string, unknown>[] {
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("ndjson", () => {
  it("every line of every fixture meets the schema; flows are report@1's, then one capture line", async () => {
    for (const path of FIXTURES) {
      const r = await runCli("analyze", path, "-f", "ndjson");
      expect(r.code, path).toBe(0);
      const all = lines(r.stdout);
      for (const l of all) expect(validLine(l), `${path}: ${ajv.errorsText(validLine.errors)}`).toBe(true);
      const report = JSON.parse((await runCli("analyze", path, "-f", "json")).stdout);
      const flows = all.filter((l) => l.type === "flow");
      expect(all.at(-1)?.type, path).toBe("capture");
      expect(all.filter((l) => l.type === "capture")).toHaveLength(1);
      // Each flow line is the report's flow, plus its type, capture and uid; lines come as flows end.
      const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => Number(a.id) - Number(b.id);
      // …but for the frame bounds the JSON report gives parts of a 5-tuple several flows had in turn
      // (a line is written as its flow ends, before a later part exists).
      const unbounded = (f: { filter: string }) => ({
        ...f,
        filter: f.filter.replace(/ && frame\.number>=\d+( && frame\.number<=\d+)?$/, ""),
      });
      expect(flows.map(({ type: _t, capture: _c, uid: _u, ...f }) => f).sort(byId)).toEqual(
        [...report.flows].map(unbounded).sort(byId),
      );
      for (const f of flows) {
        expect(f.capture).toBe(path);
        const { type: _t, capture: _c, uid: _u, ...flow } = f;
        expect(validFlow(flow), ajv.errorsText(validFlow.errors)).toBe(true);
      }
      expect(new Set(flows.map((f) => f.uid)).size).toBe(flows.length);
      const { type: _t, capture, tool, summary, ...facts } = all.at(-1)!;
      const { path: reportPath, ...reportFacts } = report.capture;
      expect([capture, tool, summary, facts]).toEqual([reportPath, report.tool, report.summary, reportFacts]);
    }
  });

  it("uids join with the Zeek conn.log of the same capture", async () => {
    const nd = lines((await runCli("analyze", "fixtures/ocs-sample.pcap", "-f", "ndjson")).stdout);
    const zeek = lines((await runCli("analyze", "fixtures/ocs-sample.pcap", "-f", "zeek-json")).stdout);
    expect(
      nd
        .filter((l) => l.type === "flow")
        .map((l) => l.uid)
        .sort(),
    ).toEqual(zeek.map((l) => l.uid).sort());
  });

  it("is the same lines for captures alone and in a batch, from workers too", async () => {
    const a = (await runCli("analyze", "fixtures/ocs-sample.pcap", "-f", "ndjson")).stdout;
    const b = (await runCli("analyze", "fixtures/blocked-cases.pcap", "-f", "ndjson")).stdout;
    for (const jobs of ["1", "2"]) {
      const both = await runCli(
        "analyze",
        "fixtures/ocs-sample.pcap",
        "fixtures/blocked-cases.pcap",
        "-f",
        "ndjson",
        "--jobs",
        jobs,
      );
      expect(both.code).toBe(0);
      expect(both.stdout, `--jobs ${jobs}`).toBe(a + b);
    }
  });

  it.skipIf(!hasTool("jq"))("jq -c . reads every line of a whole folder's output", async () => {
    const r = await runCli("analyze", "fixtures/", "-f", "ndjson", "-q");
    // fixtures/malformed/ holds unreadable captures: the batch says so with 65, the rest is read.
    expect(r.code).toBe(65);
    const jq = spawnSync("jq", ["-c", "."], { input: r.stdout, encoding: "utf8", maxBuffer: 1 << 26 });
    expect(jq.status).toBe(0);
    expect(jq.stdout.split("\n").filter((l) => l !== "")).toHaveLength(r.stdout.split("\n").length - 1);
  });
});

describe("ndjson streams as flows end", () => {
  it("writes a flow's line before the capture's input has ended (a FIFO held open)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ocs-pcap-stream-"));
    const fifo = join(dir, "capture.fifo");
    execFileSync("mkfifo", [fifo]);
    // The writer keeps the FIFO open after the whole sample is in it: no end of input until it is killed.
    const writer = spawn(
      "sh",
      [
        "-c",
        'exec 3>"$2"; cat "$1" >&3; exec sleep 30',
        "sh",
        join(ROOT, "fixtures/blocked-cases.pcap"),
        fifo,
      ],
      {
        stdio: "ignore",
      },
    );
    let stdout = "";
    const sink = new Writable({
      write(chunk, _enc, cb) {
        stdout += String(chunk);
        cb();
      },
    });
    let stderr = "";
    // A six-minute capture: its early flows end (idle past a short timeout) while later packets arrive.
    const done = run(["analyze", fifo, "-f", "ndjson", "--udp-timeout", "1", "--tcp-timeout", "1"], {
      stdout: sink,
      stderr: (s) => (stderr += s),
    });
    let seenBeforeEnd = false;
    for (let i = 0; i < 100 && !seenBeforeEnd; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      seenBeforeEnd = stdout.includes('{"type":"flow"');
    }
    writer.kill();
    const code = await done;
    expect([code, stderr]).toEqual([0, ""]);
    expect(seenBeforeEnd).toBe(true);
    // And no capture line until the end.
    const all = lines(stdout);
    expect(all.at(-1)?.type).toBe("capture");
    expect(all.filter((l) => l.type === "flow")).toHaveLength(17);
  });

  it("gives, redacted and from workers, the lines the unstreamed path renders", async () => {
    const inputs = ["fixtures/ocs-sample.pcap", "fixtures/blocked-cases.pcap", "fixtures/recorded"];
    const redact = ["--redact", "--redact-key", "stream-test"];
    const streamed1 = await runCli("analyze", ...inputs, "-f", "ndjson", ...redact, "--jobs", "1");
    const streamed2 = await runCli("analyze", ...inputs, "-f", "ndjson", ...redact, "--jobs", "2");
    // With --report-dir the reports are kept whole and rendered: the same lines, in report order.
    const dir = mkdtempSync(join(tmpdir(), "ocs-pcap-stream-"));
    const rendered = await runCli("analyze", ...inputs, "-f", "ndjson", ...redact, "--report-dir", dir, "-q");
    expect(streamed1.code).toBe(0);
    expect(streamed2.stdout).toBe(streamed1.stdout);
    const sorted = (text: string) => text.split("\n").sort();
    expect(sorted(streamed1.stdout)).toEqual(sorted(rendered.stdout));
    expect(streamed1.stdout).not.toMatch(/"10\.0\.0\.10"/);
    // -o: the same bytes, put in place whole; no temporary or spool file left.
    // The spool goes under a TMPDIR of this run's own: a test in another
    // worker may hold a spool folder in the shared one at the same moment.
    const out = join(dir, "flows.ndjson");
    const spoolRoot = mkdtempSync(join(tmpdir(), "ocs-pcap-spoolroot-"));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = spoolRoot;
    let o: Awaited<ReturnType<typeof runCli>>;
    try {
      o = await runCli("analyze", ...inputs, "-f", "ndjson", ...redact, "--jobs", "2", "-o", out);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect([o.code, o.stdout]).toEqual([0, ""]);
    expect(readFileSync(out, "utf8")).toBe(streamed1.stdout);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    expect(readdirSync(spoolRoot)).toEqual([]);
  });
});

describe("ndjson of a batch with an unreadable capture", () => {
  it("says so in its place, streamed or rendered, from workers too", async () => {
    const inputs = ["fixtures/ocs-sample.pcap", "fixtures/malformed/short-header.pcap", "fixtures/vlan.pcap"];
    const streamed = await runCli("analyze", ...inputs, "-f", "ndjson", "--jobs", "2");
    expect(streamed.code).toBe(65);
    const all = lines(streamed.stdout);
    for (const l of all) expect(validLine(l), ajv.errorsText(validLine.errors)).toBe(true);
    const order = all.filter((l) => l.type !== "flow").map((l) => [l.type, l.capture]);
    expect(order).toEqual([
      ["capture", "fixtures/ocs-sample.pcap"],
      ["unreadable", "fixtures/malformed/short-header.pcap"],
      ["capture", "fixtures/vlan.pcap"],
    ]);
    expect(all.find((l) => l.type === "unreadable")?.error).toMatch(/^offset 0: file ends after 20 bytes/);
    const dir = mkdtempSync(join(tmpdir(), "ocs-pcap-unreadable-"));
    const rendered = await runCli("analyze", ...inputs, "-f", "ndjson", "--report-dir", dir, "-q");
    expect(rendered.stdout.split("\n").sort()).toEqual(streamed.stdout.split("\n").sort());
  });
});
