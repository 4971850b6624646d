/**
 * docs/scale-out.md's manifests validate: the Kubernetes Jobs against the
 * Kubernetes API's own JSON Schemas (kubernetes-models, generated from the
 * OpenAPI spec), the Argo Workflow against Argo's (@kubernetes-models/
 * argo-workflows, from Argo's CRD schemas), and the GitHub Actions workflow
 * with GitHub's own workflow parser (@actions/workflow-parser, the one
 * behind the Actions language server). Every example runs the tool with
 * options it has.
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

  const documents = yamlBlocks.flatMap((b) =>
    parseAllDocuments(b).map((d) => d.toJS() as Record<string, unknown> | null),
  );

  it("its Argo Workflow is a valid argoproj.io/v1alpha1 Workflow", async () => {
    const { Workflow } = await import("@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Workflow");
    const flows = documents.filter((d) => d?.kind === "Workflow");
    expect(flows).toHaveLength(1);
    expect(() => new Workflow(flows[0] as never).validate()).not.toThrow();
    // The validator does catch a mistake: a container without its image's type right.
    const broken = structuredClone(flows[0]) as { spec: { templates: { container?: { image: unknown } }[] } };
    broken.spec.templates[1]!.container!.image = ["node:20-slim"];
    expect(() => new Workflow(broken as never).validate()).toThrow(/container\/image must be string/);
  });

  it("its GitHub Actions matrix passes GitHub's workflow parser", async () => {
    const { parseWorkflow, NoOperationTraceWriter } = await import("@actions/workflow-parser");
    const errors = (content: string) =>
      parseWorkflow({ name: "shards.yml", content }, new NoOperationTraceWriter())
        .context.errors.getErrors()
        .map((e) => e.message);
    const block = yamlBlocks.find((b) => b.includes("strategy:") && b.includes("matrix:"))!;
    // The doc's block is the `jobs:` part; a workflow also names its trigger.
    const workflow = `name: ocs-pcap shards\non: [push]\n${block}`;
    expect(errors(workflow)).toEqual([]);
    expect(errors(workflow.replace("runs-on:", "run-on:")).join("\n")).toMatch(/run-on/);
    // At most 256 jobs per matrix: the doc says so and uses far fewer.
    expect(DOC).toContain("256");
    // The README's GitHub workflows pass the same parser.
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const workflows = [...readme.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)]
      .map((m) => m[1]!)
      .filter((b) => b.includes("runs-on:"));
    expect(workflows.length).toBeGreaterThan(0);
    for (const w of workflows) expect(errors(w.includes("\non:") ? w : `on: [push]\n${w}`)).toEqual([]);
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
