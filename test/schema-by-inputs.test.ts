/**
 * Schemas that never depend on the number of inputs (issue 14, item 3): CSV,
 * ndjson and the Zeek logs are flow records with their capture for one
 * capture and for a batch; JSON is report@1 for one capture and batch@1 for
 * several, whose `reports` are the complete report@1 objects the captures
 * give alone. Both cases, side by side.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import batchSchema from "../src/report/batch.schema.json" with { type: "json" };
import { CSV_HEADER } from "../src/report/csv.js";
import reportSchema from "../src/report/report.schema.json" with { type: "json" };
import { ROOT } from "./helpers/cli.js";
import { canonical, expectGolden } from "./helpers/golden.js";
import { runCli } from "./helpers/run.js";

const ajv = new Ajv({ allErrors: true, strict: false });
const validBatch = ajv.compile(batchSchema);
const validReport = ajv.compile(reportSchema);

const A = "fixtures/ocs-sample.pcap";
const B = "fixtures/blocked-cases.pcap";

async function out(...args: string[]): Promise<string> {
  const r = await runCli("analyze", ...args);
  expect([r.code, r.stderr]).toEqual([0, ""]);
  return r.stdout;
}

describe("the same records for one capture and for a batch", () => {
  it("csv: one header, then each capture's rows as it gives them alone", async () => {
    const [a, b, both] = await Promise.all([
      out(A, "-f", "csv"),
      out(B, "-f", "csv"),
      out(A, B, "-f", "csv"),
    ]);
    const header = a.slice(0, a.indexOf("\r\n") + 2);
    expect(header).toMatch(/^id,capture,verdict,/);
    expect(b.startsWith(header)).toBe(true);
    expect(both).toBe(header + a.slice(header.length) + b.slice(header.length));
  });

  it("ndjson: each capture's lines, one after the other", async () => {
    const [a, b, both] = await Promise.all([
      out(A, "-f", "ndjson"),
      out(B, "-f", "ndjson"),
      out(A, B, "-f", "ndjson"),
    ]);
    expect(both).toBe(a + b);
  });

  it("zeek and zeek-json: the same header and fields, each capture's records in turn", async () => {
    const [a, b, both] = await Promise.all([
      out(A, "-f", "zeek"),
      out(B, "-f", "zeek"),
      out(A, B, "-f", "zeek"),
    ]);
    const body = (log: string) => log.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    const fields = (log: string) => log.split("\n").find((l) => l.startsWith("#fields"));
    expect(fields(both)).toBe(fields(a));
    expect(body(both)).toEqual([...body(a), ...body(b)]);
    const [ja, jb, jboth] = await Promise.all([
      out(A, "-f", "zeek-json"),
      out(B, "-f", "zeek-json"),
      out(A, B, "-f", "zeek-json"),
    ]);
    expect(jboth).toBe(ja + jb);
  });

  it("json: report@1 alone; batch@1 in a batch, whose reports are the complete reports", async () => {
    const [a, b, both] = await Promise.all([
      out(A, "-f", "json"),
      out(B, "-f", "json"),
      out(A, B, "-f", "json"),
    ]);
    const one = JSON.parse(a);
    expect(validReport(one), ajv.errorsText(validReport.errors)).toBe(true);
    const batch = JSON.parse(both);
    expect(validBatch(batch), ajv.errorsText(validBatch.errors)).toBe(true);
    expect(batch.schema).toBe("ocs-pcap/batch@1");
    for (const r of batch.reports) expect(validReport(r), ajv.errorsText(validReport.errors)).toBe(true);
    expect(batch.reports).toEqual([one, JSON.parse(b)]);
    expect(batch.captures.map((c: { path: string }) => c.path)).toEqual([A, B]);
    // Each flow still on a line of its own, so a batch file reads and greps like a report.
    const flowLines = both.split("\n").filter((l) => l.startsWith('        {"id":'));
    expect(flowLines).toHaveLength(one.flows.length + JSON.parse(b).flows.length);
  });

  it("json: an unreadable capture has its line in captures and no report", async () => {
    const r = await runCli("analyze", A, "fixtures/malformed/short-header.pcap", "-f", "json");
    expect(r.code).toBe(65);
    const batch = JSON.parse(r.stdout);
    expect(validBatch(batch), ajv.errorsText(validBatch.errors)).toBe(true);
    expect(batch.captures.map((c: { status: string }) => c.status)).toEqual(["ok", "error"]);
    expect(batch.reports.map((x: { capture: { path: string } }) => x.capture.path)).toEqual([A]);
  });
});

describe("goldens of the sample's per-flow formats", () => {
  it.each([
    ["csv", "ocs-sample.csv"],
    ["ndjson", "ocs-sample.ndjson"],
    ["zeek-json", "ocs-sample.conn.jsonl"],
  ])("%s", async (format, golden) => {
    expectGolden(join(ROOT, "fixtures", golden), canonical(await out(A, "-f", format)));
  });
});

describe("csv and zeek-json on every fixture", () => {
  const fixtures = readdirSync(join(ROOT, "fixtures"))
    .filter((n) => /\.(pcap|pcapng)(\.gz)?$/.test(n))
    .map((n) => `fixtures/${n}`);

  it.each(fixtures)("%s: a CSV row and a Zeek JSON object per flow, the report's flows", async (path) => {
    // (A cut capture warns on standard error: only the exit code is checked here.)
    const run = async (format: string) => {
      const r = await runCli("analyze", path, "-f", format);
      expect(r.code).toBe(0);
      return r.stdout;
    };
    const [json, csv, zeek] = await Promise.all([run("json"), run("csv"), run("zeek-json")]);
    const flows = JSON.parse(json).flows as { id: number; filter: string; verdict: string }[];
    const rows = csv.split("\r\n").filter((l) => l !== "");
    expect(rows[0]).toBe(CSV_HEADER.trimEnd());
    expect(rows).toHaveLength(flows.length + 1);
    const header = rows[0]!.split(",");
    rows.slice(1).forEach((row, i) => {
      // No field of these fixtures holds a comma or a quote but the reasons, which come last.
      const cells = row.split(",");
      expect(Number(cells[header.indexOf("id")])).toBe(flows[i]!.id);
      expect(cells[header.indexOf("verdict")]).toBe(flows[i]!.verdict);
      expect(cells[header.indexOf("filter")]).toBe(flows[i]!.filter);
    });
    const objects = zeek
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objects).toHaveLength(flows.length);
    for (const o of objects) {
      expect(typeof o.ts).toBe("number");
      expect(o.uid).toMatch(/^C[0-9A-Za-z]{17}$/);
      expect(o["ocs.filter"]).toBe(flows.find((f) => f.filter === o["ocs.filter"])?.filter);
    }
  });
});
