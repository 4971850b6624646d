import { execFileSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The smoke tests spawn bin/ocs-pcap, and in-process batches start workers
 * from dist/cli/worker.js: both run the build, so bring it up to date with
 * the sources first. CI builds once (`npm ci` runs `prepare`), so there this
 * finds nothing newer and costs a directory walk.
 */
export default function setup(): () => void {
  // Every temporary folder the tests make (mkdtemp under os.tmpdir(), which reads TMPDIR) goes
  // into one folder for the run, removed at the end: a run left about 80 MB in /tmp before.
  // The test workers and the processes they start inherit TMPDIR.
  // In memory where Linux offers it (/dev/shm is tmpfs): the tests write and
  // fsync thousands of small reports, which on a virtual disk cost seconds.
  const runDir = mkdtempSync(join(memoryTmp() ?? tmpdir(), "ocs-pcap-test-run-"));
  process.env.TMPDIR = runDir;
  const teardown = () => rmSync(runDir, { recursive: true, force: true });
  build();
  return teardown;
}

/** /dev/shm when it is a writable folder, else null. */
function memoryTmp(): string | null {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return statSync("/dev/shm").isDirectory() ? "/dev/shm" : null;
  } catch {
    return null;
  }
}

function build(): void {
  const built = newest("dist", ".js");
  const sources = Math.max(newest("src", ".ts"), statSync("tsconfig.json").mtimeMs);
  if (built >= sources) return;
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], {
    stdio: "inherit",
  });
}

/** The latest modification time of the files under `dir` ending in `ext`; 0 if none. */
function newest(dir: string, ext: string): number {
  let latest = 0;
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true, encoding: "utf8" });
  } catch {
    return 0;
  }
  for (const name of entries) {
    if (name.endsWith(ext)) latest = Math.max(latest, statSync(join(dir, name)).mtimeMs);
  }
  return latest;
}
