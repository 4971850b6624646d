/**
 * docs/scale-out.md's Kubernetes manifests validate against the Kubernetes
 * API's own JSON Schemas (kubernetes-models, generated from the OpenAPI
 * spec), and every example runs the tool with options it has.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ROOT } from "./helpers/cli.js";
import { runCli } from "./helpers/run.js";

const DOC = readFileSync(join(ROOT, "docs/scale-out.md"), "utf8");
const yamlBlocks = [...DOC.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);

describe("docs/scale-out.md", () => {
  it("its Kubernetes Jobs are valid batch/v1 Jobs", async () => {
    const { Job } = await import("kubernetes-models/batch/v1/Job");
    const jobs = yamlBlocks
      .flatMap((b) => parseAllDocuments(b).map((d) => d.toJS() as Record<string, unknown> | null))
      .filter((d): d is Record<string, unknown> => d !== null && d.kind === "Job");
    expect(jobs).toHaveLength(2);
    for (const j of jobs) expect(() => new Job(j as never).validate()).not.toThrow();
    // The shard job is an Indexed Job whose pods read JOB_COMPLETION_INDEX.
    expect((jobs[0]!.spec as { completionMode: string }).completionMode).toBe("Indexed");
    expect(JSON.stringify(jobs[0])).toContain("--shard-count 8");
  });

  it("every ocs-pcap command line in it uses options the tool has", async () => {
    const lines = [...DOC.matchAll(/ocs-pcap (analyze|summarize) ([^\n`"]*)/g)];
    expect(lines.length).toBeGreaterThan(4);
    const help = {
      analyze: (await runCli("analyze", "--help")).stdout,
      summarize: (await runCli("summarize", "--help")).stdout,
    };
    for (const [, command, rest] of lines) {
      for (const option of rest!.match(/--[a-z-]+/g) ?? [])
        expect(help[command as "analyze" | "summarize"], `${command} ${option}`).toContain(option);
    }
  });
});
