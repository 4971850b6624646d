/**
 * A folder the walk cannot list (permission denied) is reported as an
 * unreadable input with the reason, never skipped in silence, and the rest
 * of the folder is analysed. Needs a user the folder's mode applies to: as
 * root (CI), the command runs as `nobody` through su, so it is spawned and
 * lives in the system suite.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";

describe("a folder that cannot be listed", () => {
  it("is reported unreadable, and the captures beside it are analysed", () => {
    // Not under the test run's TMPDIR, which only its owner may enter.
    const dir = mkdtempSync(join(existsSync("/tmp") ? "/tmp" : tmpdir(), "ocs-pcap-walk-"));
    chmodSync(dir, 0o755);
    copyFileSync(join(ROOT, "fixtures/ocs-sample.pcap"), join(dir, "ok.pcap"));
    chmodSync(join(dir, "ok.pcap"), 0o644);
    mkdirSync(join(dir, "closed"));
    copyFileSync(join(ROOT, "fixtures/blocked-cases.pcap"), join(dir, "closed", "hidden.pcap"));
    chmodSync(join(dir, "closed"), 0o000);
    const args = [join(ROOT, "bin/ocs-pcap"), "analyze", dir, "-f", "csv", "-q"];
    const r =
      process.getuid?.() === 0
        ? spawnSync(
            "su",
            ["nobody", "-s", "/bin/sh", "-c", [process.execPath, ...args].map((a) => `'${a}'`).join(" ")],
            {
              encoding: "utf8",
            },
          )
        : spawnSync(process.execPath, args, { encoding: "utf8" });
    chmodSync(join(dir, "closed"), 0o755);
    rmSync(dir, { recursive: true, force: true });
    expect(r.stderr).toBe(
      `ocs-pcap: ${join(dir, "closed")}: cannot list this folder (permission denied): its captures, if any, were not analysed\n`,
    );
    expect(r.status).toBe(65);
    expect(r.stdout).toContain(`${join(dir, "ok.pcap")},known,`);
  });
});
