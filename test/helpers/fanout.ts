/**
 * A local fan-out: N shard runs of one input, each with its own report folder,
 * then summarize over the folders, checked against the single run.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { runCli } from "./run.js";

export async function fanOut(input: string, shards: number, jobs: string[] = []): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "ocs-pcap-shards-"));
  const counts: number[] = [];
  for (let i = 1; i <= shards; i++) {
    const r = await runCli(
      "analyze",
      input,
      "--shard",
      `${i}/${shards}`,
      "--report-dir",
      join(dir, `shard-${i}`),
      "-f",
      "json",
      "-q",
      ...jobs,
    );
    const batch = JSON.parse(r.stdout) as { captures: { path: string }[] };
    counts.push(batch.captures.length);
    expect(r.stderr).toMatch(
      new RegExp(`^ocs-pcap: shard ${i}/${shards}: ${batch.captures.length} of \\d+ captures$`, "m"),
    );
  }
  let all = 0;
  for (const format of ["json", "table"]) {
    const single = await runCli("analyze", input, "-f", format, "-q", ...jobs);
    const reduced = await runCli("summarize", dir, "-f", format);
    expect(reduced.code, format).toBe(single.code);
    expect(reduced.stdout, format).toBe(single.stdout);
    if (format === "json") all = (JSON.parse(single.stdout) as { captures: unknown[] }).captures.length;
  }
  // Every capture in exactly one shard: the shards' counts add up to the batch's.
  expect(all).toBeGreaterThan(0);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(all);
}
