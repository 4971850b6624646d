/**
 * The spawned smoke tests: bin/ocs-pcap as a shell starts it. Everything
 * else runs the CLI in this process (`run(argv, Io)`); these check what only
 * a process shows: the bin starts, exit codes reach the shell (the others,
 * 2, 65, 66, 74, 141…, are checked in-process and in test/system/), a batch's
 * worker threads start from the build, and Ctrl-C leaves nothing behind.
 * (Standard input through a real pipe is the fifth, in cli.test.ts.) The
 * other process-level cases are in the system suite (test/system/).
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/cli.js";
import { canonical, readGolden } from "./helpers/golden.js";
import { runCli } from "./helpers/run.js";

const BIN = join(ROOT, "bin", "ocs-pcap");
const node = `"${process.execPath}" "${BIN}"`;

describe("bin/ocs-pcap, spawned", () => {
  it("starts, prints the table report, and its exit codes reach the shell", () => {
    const r = spawnSync(
      "sh",
      [
        "-c",
        `${node} analyze fixtures/ocs-sample.pcap; echo "exit $?" >&2; ` +
          `${node} analyze fixtures/ocs-sample.pcap --fail-on unknown > /dev/null; echo "exit $?" >&2`,
      ],
      { cwd: ROOT, encoding: "utf8", env: { ...process.env, OCS_PCAP_DEBUG: "" } },
    );
    expect(canonical(r.stdout)).toBe(readGolden(join(ROOT, "fixtures/ocs-sample.txt")));
    expect(r.stderr.split("\n").filter((l) => l.startsWith("exit "))).toEqual(["exit 0", "exit 1"]);
    // No stack trace ever reaches the user.
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it("runs a batch on worker threads started from the build: the report the in-process run gives", async () => {
    const argv = ["analyze", "fixtures/ocs-sample.pcap", "fixtures/blocked-cases.pcap", "fixtures/vlan.pcap"];
    const r = spawnSync(process.execPath, [BIN, ...argv, "-f", "json", "--jobs", "2"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toBe((await runCli(...argv, "-f", "json", "--jobs", "1")).stdout);
  });

  it("stops on Ctrl-C (SIGINT) as the shell expects (killed by it: 130), leaving no file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ocs-pcap-smoke-"));
    const child = spawn(process.execPath, [BIN, "analyze", "-", "-f", "json", "-o", join(dir, "r.json")], {
      cwd: ROOT,
      stdio: ["pipe", "ignore", "ignore"],
    });
    // A capture that has not ended: its header, then its packets again and again, 1 MB in all,
    // more than a pipe holds. Once the write is done, the run has read most of it, so it is
    // analysing (its handlers set) when the signal comes; standard input stays open.
    const sample = readFileSync(join(ROOT, "fixtures/ocs-sample.pcap"));
    const records = sample.subarray(24);
    const chunks = [
      sample.subarray(0, 24),
      ...Array.from({ length: (1 << 20) / records.length }, () => records),
    ];
    await new Promise<void>((resolve, reject) =>
      child.stdin.write(Buffer.concat(chunks), (err) => (err ? reject(err) : resolve())),
    );
    child.kill("SIGINT");
    const [code, signal] = await once(child, "exit");
    expect([code, signal]).toEqual([null, "SIGINT"]);
    expect(readdirSync(dir)).toEqual([]);
  });
});
