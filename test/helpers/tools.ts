/**
 * Which external tools the tests may compare against. A tool counts as
 * present when an executable of its name is on PATH: looked up, not run, as
 * `tshark -v` alone costs half a second of start-up. Tools whose options
 * differ between implementations are asked their version instead
 * (`implementedBy`). Under OCS_PCAP_REQUIRE_TOOLS=1 (set by .ci/run, which
 * installs them) every tool counts as present, so a missing one fails its
 * tests instead of skipping them.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

export const requireTools = process.env.OCS_PCAP_REQUIRE_TOOLS === "1";

const found = new Map<string, boolean>();

/** Whether `name` is an executable file in a PATH folder. */
export function onPath(name: string): boolean {
  let hit = found.get(name);
  if (hit === undefined) {
    hit = (process.env.PATH ?? "").split(delimiter).some((dir) => {
      if (dir === "") return false;
      const file = join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return statSync(file).isFile();
      } catch {
        return false;
      }
    });
    found.set(name, hit);
  }
  return hit;
}

/** Whether tests needing `name` run: it is on PATH, or CI requires every tool. */
export function hasTool(name: string): boolean {
  return requireTools || onPath(name);
}

/**
 * Whether `name --version` runs and names the implementation whose options a
 * test uses (util-linux's `script -qec`, man-db's `man --warnings -l`): a
 * BSD, BusyBox or mandoc tool of the same name would fail the test, not skip it.
 */
export function implementedBy(name: string, implementation: RegExp): boolean {
  if (!onPath(name)) return false;
  const r = spawnSync(name, ["--version"], { encoding: "utf8" });
  return r.status === 0 && implementation.test(`${r.stdout}${r.stderr}`);
}
