import { execFileSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, readdirSync, rmSync, statfsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The smoke tests spawn bin/ocs-pcap (dist/bundle/, or dist/'s modules when the
 * bundle is older), and in-process batches start workers from
 * dist/cli/worker.js: both run the build, so bring it up to date with
 * the sources first. CI builds once (`npm ci` runs `prepare`), so there this
 * finds nothing newer and costs a directory walk.
 */
export default function setup(): () => void {
  // Every temporary folder the tests make (mkdtemp under os.tmpdir(), which reads TMPDIR) goes
  // into one folder for the run, removed at the end: a run left about 80 MB in /tmp before.
  // The test workers and the processes they start inherit TMPDIR.
  // In memory where Linux offers room for it (/dev/shm is tmpfs): the tests write and
  // fsync hundreds of reports, which on a virtual disk cost seconds. The run's folder
  // peaks near 80 MB; a container's /dev/shm is often 64 MB, so it must have 1 GiB free.
  const base = memoryTmp() ?? tmpdir();
  removeAbandoned(base);
  const runDir = mkdtempSync(join(base, `ocs-pcap-test-run-${process.pid}-`));
  process.env.TMPDIR = runDir;
  const teardown = () => rmSync(runDir, { recursive: true, force: true });
  build();
  return teardown;
}

/** /dev/shm when it is a writable folder with at least 1 GiB free, else null. */
function memoryTmp(): string | null {
  try {
    accessSync("/dev/shm", constants.W_OK);
    if (!statSync("/dev/shm").isDirectory()) return null;
    const fs = statfsSync("/dev/shm");
    return fs.bavail * fs.bsize >= 1 << 30 ? "/dev/shm" : null;
  } catch {
    return null;
  }
}

/**
 * Run folders left by runs that were killed before their teardown (in memory,
 * they would hold RAM until a reboot): those whose process no longer exists.
 */
function removeAbandoned(base: string): void {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^ocs-pcap-test-run-(\d+)-/.exec(name)?.[1]);
    if (!(pid > 0) || alive(pid)) continue;
    rmSync(join(base, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function build(): void {
  const built = newest("dist", ".js");
  const sources = Math.max(newest("src", ".ts"), statSync("tsconfig.json").mtimeMs);
  if (built >= sources) {
    // The modules are current; the bundle (dist/bundle/*.cjs) may not be (a tsc-only rebuild).
    if (newest("dist/bundle", ".cjs") < Math.max(built, statSync("package.json").mtimeMs))
      execFileSync(process.execPath, ["bin/bundle.mjs"], { stdio: "inherit" });
    return;
  }
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], {
    stdio: "inherit",
  });
  execFileSync(process.execPath, ["bin/bundle.mjs"], { stdio: "inherit" });
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
