/**
 * The README's CI snippets, run as a shell runs them (issue 14, item 4): the
 * GitHub Actions and GitLab CI steps and the batch example, taken from the
 * README's own text, each in a workspace of its own where `.ocs-pcap` is this
 * checkout, `captures/` holds fixtures and `ocs-pcap` is on the PATH. Any
 * README example that fails here is a bug. One spawned shell runs them all
 * (a smoke test: the batch runs on workers, and exit codes reach the shell).
 */
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";

const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The fenced blocks of a language, in README order. */
function blocks(lang: string): string[] {
  return [...README.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, "gm"))].map((m) => m[1]!);
}

const yaml = blocks("yaml");
const github = yaml.find((b) => b.includes("runs-on:"))!;
const gitlab = yaml.find((b) => b.includes("artifacts:"))!;
const expectYaml = yaml.find((b) => b.startsWith("# expect.yaml"))!;
const batchBlock = blocks("sh").find((b) => b.includes("--report-dir reports/ --jobs"))!;

/** The tool's command lines of a CI file: GitHub's `- run:` steps and GitLab's script items that call it. */
function toolSteps(ci: string): string[] {
  return [...ci.matchAll(/^\s+- (?:run: )?(\.ocs-pcap\/bin\/ocs-pcap .*)$/gm)].map((m) => m[1]!);
}

describe("the README's CI snippets", () => {
  it("run green as documented: the right exit codes, the reports, and summarize over the report folder", () => {
    const steps = {
      github: toolSteps(github),
      gitlab: toolSteps(gitlab),
      batch: batchBlock
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.startsWith("ocs-pcap ")),
    };
    expect(steps.github).toHaveLength(1);
    expect(steps.gitlab).toHaveLength(1);
    expect(steps.batch).toHaveLength(2);

    const root = mkdtempSync(join(tmpdir(), "ocs-pcap-readme-"));
    const bin = join(root, "bin");
    mkdirSync(bin);
    writeFileSync(
      join(bin, "ocs-pcap"),
      `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, "bin", "ocs-pcap")}" "$@"\n`,
      {
        mode: 0o755,
      },
    );
    let script = "";
    for (const [name, commands] of Object.entries(steps)) {
      const ws = join(root, name);
      mkdirSync(join(ws, "captures"), { recursive: true });
      symlinkSync(ROOT, join(ws, ".ocs-pcap"));
      copyFileSync(join(ROOT, "fixtures/ocs-sample.pcap"), join(ws, "captures", "ocs-sample.pcap"));
      copyFileSync(join(ROOT, "fixtures/blocked-cases.pcap"), join(ws, "captures", "blocked-cases.pcap"));
      copyFileSync(join(ROOT, "fixtures/recorded/ocs-real.pcap"), join(ws, "a.pcap"));
      copyFileSync(join(ROOT, "fixtures/ocs-sample.pcapng.gz"), join(ws, "b.pcapng.gz"));
      writeFileSync(join(ws, "expect.yaml"), expectYaml);
      script += `cd '${ws}'\n`;
      commands.forEach((c, i) => {
        script += `${c} >'${ws}/out${i}' 2>'${ws}/err${i}'; echo "${name}${i}=$?"\n`;
      });
    }
    const run = spawnSync("sh", ["-c", script], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, CI: "true" },
    });
    expect(run.stderr).toBe("");
    const codes = Object.fromEntries(
      run.stdout
        .trim()
        .split("\n")
        .map((l) => l.split("=") as [string, string]),
    );
    const read = (ws: string, file: string) => readFileSync(join(root, ws, file), "utf8");

    // GitHub: fails on the sample's blocked and misdirected flows and on the expectations, naming them.
    expect(codes.github0).toBe("1");
    expect(read("github", "err0")).toMatch(/captures\/ocs-sample\.pcap: --fail-on: 2 blocked, 2 misdirected/);
    expect(read("github", "err0")).toMatch(
      /--expect: Edge Server 3478\/udp should have at least 2 known flows/,
    );
    const junit = read("github", "junit.xml");
    expect(junit).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites /);
    // A suite per capture, then the policy's: the checks that set exit 1 fail there, as on stderr.
    expect(junit.match(/<testsuite /g)).toHaveLength(3);
    expect(junit).toContain("<failure ");
    const policy = junit.slice(junit.indexOf('<testsuite name="policy"'));
    expect(policy).toMatch(
      /<failure message="--expect: Edge Server 3478\/udp should have at least 2 known flows, saw 1"/,
    );
    // Each --fail-on item is a testcase of its own (stderr joins them on one line).
    expect(policy).toContain('<failure message="--fail-on: 2 blocked"');
    expect(policy).toContain('<failure message="--fail-on: 2 misdirected"');
    // reports/: every capture's report in every format, the run's own files in reports/batch/.
    const reports = readdirSync(join(root, "github", "reports")).sort();
    expect(reports.filter((n) => n.endsWith(".json"))).toEqual([
      "blocked-cases.pcap.json",
      "ocs-sample.pcap.json",
    ]);
    expect(reports).toHaveLength(2 * 9 + 1);
    expect(readdirSync(join(root, "github", "reports", "batch")).sort()).toEqual([
      "summary.html",
      "summary.json",
      "summary.junit.xml",
      "summary.md",
      "summary.txt",
    ]);

    // GitLab: the same captures fail on --fail-on blocked and the unknown share.
    expect(codes.gitlab0).toBe("1");
    expect(read("gitlab", "err0")).toMatch(/--max-unknown-flows: 33\.3% of flows unknown, more than 5%/);
    expect(read("gitlab", "junit.xml")).toContain(
      '<failure message="--max-unknown-flows: 33.3% of flows unknown, more than 5%"',
    );

    // The batch example: analyze, then summarize reports/*.json (each capture counted once).
    expect(codes.batch0).toBe("0");
    expect(codes.batch1).toBe("0");
    expect(read("batch", "err1")).toBe("");
    const html = read("batch", "summary.html");
    expect(html).toContain("total: 4 captures");
    expect(html).toMatch(/<td>captures\/ocs-sample\.pcap<\/td><td>ok<\/td>/);
  });
});

describe("the README's terminal example", () => {
  it("is what the table report of the sample prints", () => {
    const example = blocks("text").find((b) => b.startsWith("Blocked-looking flows"))!;
    expect(example).toBeDefined();
    expect(readFileSync(join(ROOT, "fixtures/ocs-sample.txt"), "utf8")).toContain(example);
  });
});
