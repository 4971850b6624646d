/**
 * `--format ndjson` (issue 14, item 1): one self-contained JSON object per
 * line, every line valid against the published schema, flows as in
 * report@1, the same lines for a capture alone and in a batch, and `jq`
 * reading the output of a whole folder.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { NDJSON_SCHEMA } from "../src/report/ndjson.js";
import reportSchema from "../src/report/report.schema.json" with { type: "json" };
import { ROOT } from "./helpers/cli.js";
import { runCli } from "./helpers/run.js";

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
      // Each flow line is the report's flow, plus its type, capture and uid.
      expect(flows.map(({ type: _t, capture: _c, uid: _u, ...f }) => f)).toEqual(report.flows);
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
    expect(nd.filter((l) => l.type === "flow").map((l) => l.uid)).toEqual(zeek.map((l) => l.uid));
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

  it.skipIf(spawnSync("jq", ["--version"]).status !== 0 && process.env.OCS_PCAP_REQUIRE_TOOLS !== "1")(
    "jq -c . reads every line of a whole folder's output",
    async () => {
      const r = await runCli("analyze", "fixtures/", "-f", "ndjson", "-q");
      // fixtures/malformed/ holds unreadable captures: the batch says so with 65, the rest is read.
      expect(r.code).toBe(65);
      const jq = spawnSync("jq", ["-c", "."], { input: r.stdout, encoding: "utf8", maxBuffer: 1 << 26 });
      expect(jq.status).toBe(0);
      expect(jq.stdout.split("\n").filter((l) => l !== "")).toHaveLength(r.stdout.split("\n").length - 1);
    },
  );
});
