/**
 * The CLI as a process among others (issue 12's regression tests that need
 * one): a worker that runs out of memory, a full disk and the file-size
 * limit, readers that close the pipes, a signal during a write, and the
 * progress bar on a terminal. They spawn bin/ocs-pcap, sh and script(1), so
 * they run in the system suite (`npm run test:system`, run by CI), not in
 * `npm test`.
 */
import { type ChildProcess, execFile } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { udp, writePcap } from "../../fixtures/lib/packets.js";
import { ROOT } from "../helpers/cli.js";
import { runCli } from "../helpers/run.js";
import { implementedBy } from "../helpers/tools.js";

const CAPTURE = join(ROOT, "fixtures/blocked-cases.pcap");

const cli = runCli;
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const tmp = () => mkdtempSync(join(tmpdir(), "ocs-pcap-process-"));

function folder(): string {
  const dir = tmp();
  mkdirSync(join(dir, "caps"));
  copyFileSync(CAPTURE, join(dir, "caps", "x.pcap"));
  return dir;
}

describe("a failing capture never costs the others", () => {
  it("a worker that runs out of memory marks only its capture, and the batch goes on", async () => {
    const { TcpConversation, writePcap } = await import("../../fixtures/lib/packets.js");
    const { cliAsync } = await import("../helpers/cli.js");
    const dir = mkdtempSync(join(tmpdir(), "ocs-pcap-oom-"));
    // 30,000 one-packet flows: more than a 16 MB worker heap holds (they fit in 32 MB), while a
    // small capture needs about 7 MB, so both sides have room (8 MB was flaky on a busy machine).
    const t0 = Date.UTC(2024, 0, 1) * 1000;
    const records = [];
    for (let i = 0; i < 30_000; i++) {
      const client = `10.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
      records.push(
        ...new TcpConversation(client, 40000 + (i % 1000), "10.0.0.10", 5061, t0 + i).syn().frames,
      );
    }
    writeFileSync(join(dir, "a-huge.pcap"), writePcap(records));
    copyFileSync(join(dir, "a-huge.pcap"), join(dir, "a-huge2.pcap"));
    copyFileSync(CAPTURE, join(dir, "b.pcap"));
    copyFileSync(CAPTURE, join(dir, "c.pcap"));
    copyFileSync(CAPTURE, join(dir, "d.pcap"));
    // Also with a process-wide heap flag, which V8 lets override a worker's own limit unless cleared.
    // The two runs side by side: most of their time is the dying worker's last collections.
    const runs = await Promise.all(
      [{}, { NODE_OPTIONS: "--max-old-space-size=1024" }].map((env) =>
        cliAsync(
          { env: { OCS_PCAP_WORKER_HEAP_MB: "16", ...env } },
          "analyze",
          dir,
          "-f",
          "table",
          "--jobs",
          "3",
          // Whole paths in the summary rows, however long TMPDIR is.
          "--width",
          "0",
        ),
      ),
    );
    for (const r of runs) {
      // The main thread takes captures too, with the process's heap: one of the
      // two huge captures reaches a worker.
      expect(r.stderr).toMatch(/a-huge\d?\.pcap: the analysis ran out of memory/);
      // An unreadable capture makes a batch exit 65 (a data error), as a damaged one does.
      expect(r.code).toBe(65);
      // Every other capture has its report (the batch summary's rows).
      for (const name of ["b.pcap", "c.pcap", "d.pcap"])
        expect(r.stdout).toMatch(new RegExp(`^\\S*/${name.replace(".", "\\.")} +ok `, "m"));
    }
  }, 60_000);
});

describe("writing the report", () => {
  it("a full disk or the file-size limit is exit 74 with a clear message, on standard output and on -o, never a cut report", async () => {
    const { spawnSync } = await import("node:child_process");
    // Smoke test: the exit code reaches the shell. Standard output redirected to /dev/full, as `> /dev/full` in a shell.
    const node = `"${process.execPath}" bin/ocs-pcap analyze fixtures/ocs-sample.pcap -f json`;
    const r = spawnSync("sh", ["-c", `${node} > /dev/full`], { cwd: ROOT, encoding: "utf8" });
    expect(r.status).toBe(74);
    expect(r.stderr).toMatch(/^ocs-pcap: cannot write the report.*ENOSPC/);
    const o = await cli("analyze", "fixtures/ocs-sample.pcap", "-o", "/dev/full");
    expect(o.code).toBe(74);
    expect(o.stderr).toMatch(/\/dev\/full: cannot write the report: ENOSPC/);
    // The file-size limit (RLIMIT_FSIZE, `ulimit -f` in 512-byte blocks) makes write(2) store
    // what fits and return that count, and only the next write fail (EFBIG): a short write
    // not continued would rename a cut report into place and exit 0. The report is 22 KB.
    const dir = folder();
    // And a streamed ndjson batch on a worker, whose spool (in TMPDIR) reaches the limit first.
    const spools = join(dir, "tmp");
    mkdirSync(spools);
    const batch = `"${process.execPath}" bin/ocs-pcap analyze fixtures/ocs-sample.pcap fixtures/blocked-cases.pcap -f ndjson --jobs 2`;
    const cut = spawnSync(
      "sh",
      [
        "-c",
        `ulimit -f 8; ${node} > "${dir}/stdout.json"; echo "exit $?" >&2; ${node} -o "${dir}/o.json"; echo "exit $?" >&2; ` +
          `TMPDIR="${spools}" ${batch} -o "${dir}/batch.ndjson"`,
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(cut.stderr).toMatch(
      new RegExp(
        `^${literal("ocs-pcap: cannot write the report: EFBIG: file too large, write\nexit 74\n")}` +
          `${literal(`ocs-pcap: ${dir}/o.json: cannot write the report: EFBIG: file too large, write\nexit 74\n`)}` +
          `${literal(`ocs-pcap: cannot write the report: temporary file ${spools}/ocs-pcap-spool-`)}\\w+/0\\.ndjson \\(TMPDIR\\): EFBIG: file too large, write\n$`,
      ),
    );
    expect(cut.status).toBe(74);
    expect(readdirSync(dir).sort()).toEqual(["caps", "stdout.json", "tmp"]);
    expect(readdirSync(spools)).toEqual([]);
  });

  it("a reader that closes standard output early is exit 141, one that closes standard error costs nothing, and standard output open for reading is exit 74", async () => {
    const { spawn } = await import("node:child_process");
    const { closeSync, openSync } = await import("node:fs");
    const bin = join(ROOT, "bin/ocs-pcap");
    // `… --fail-on unknown | head`: the report was not read whole and the policy's verdict not
    // given, so not 0 (which `set -o pipefail` took for a pass): 128 + SIGPIPE, as cat or grep.
    // The pipe's reader is gone before the process starts writing.
    const head = spawn(
      process.execPath,
      [bin, "analyze", "fixtures/ocs-sample.pcap", "-f", "json", "--fail-on", "unknown"],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "ignore"],
      },
    );
    head.stdout.destroy();
    const [headCode] = await once(head, "exit");
    expect(headCode).toBe(141);
    // Standard error into a pipe whose reader is gone: the report is whole and the batch's code stands.
    const argv = [
      "analyze",
      "fixtures/malformed/not-a-capture.txt",
      "fixtures/ocs-sample.pcap",
      "-f",
      "json",
    ];
    const file = join(folder(), "batch.json");
    const out = openSync(file, "w");
    const quiet = spawn(process.execPath, [bin, ...argv], { cwd: ROOT, stdio: ["ignore", out, "pipe"] });
    closeSync(out);
    quiet.stderr?.destroy();
    const [quietCode] = await once(quiet, "exit");
    expect(quietCode).toBe(65);
    expect(readFileSync(file, "utf8")).toBe((await cli(...argv)).stdout);
    // Standard output open for reading only (`1<file`): exit 74 as any write failure, not an internal error.
    const ro = openSync(file, "r");
    const bad = spawn(process.execPath, [bin, "analyze", "fixtures/ocs-sample.pcap", "-f", "json"], {
      cwd: ROOT,
      stdio: ["ignore", ro, "pipe"],
    });
    closeSync(ro);
    let said = "";
    bad.stderr?.on("data", (d: Buffer) => {
      said += d.toString();
    });
    const [badCode] = await once(bad, "exit");
    expect([badCode, said]).toEqual([
      74,
      "ocs-pcap: cannot write the report: EBADF: bad file descriptor, write\n",
    ]);
  });
});

describe("a signal during a write", () => {
  it("leaves no temporary file or spool folder and no half report: exit 143, the report whole or absent", async () => {
    const { TcpConversation, writePcap } = await import("../../fixtures/lib/packets.js");
    const { spawn } = await import("node:child_process");
    const dir = folder();
    const t0 = Date.UTC(2024, 0, 1) * 1000;
    const records = [];
    for (let i = 0; i < 20_000; i++) {
      const client = `10.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
      records.push(...new TcpConversation(client, 40000, "10.0.0.10", 5061, t0 + i).syn().frames);
    }
    const capture = join(dir, "many.pcap");
    writeFileSync(capture, writePcap(records));
    const out = join(dir, "out", "report.json");
    mkdirSync(join(dir, "out"));
    const child = spawn(process.execPath, [
      join(ROOT, "bin/ocs-pcap"),
      "analyze",
      capture,
      "-f",
      "json",
      "-o",
      out,
    ]);
    // Send SIGTERM as soon as the temporary file appears (the report is being written).
    const code = await termWhen(child, () => readdirSync(join(dir, "out")).some((n) => n.endsWith(".tmp")));
    expect([0, 143]).toContain(code);
    const left = readdirSync(join(dir, "out"));
    expect(left.filter((n) => n.endsWith(".tmp"))).toEqual([]);
    // Atomic: either the whole report or none.
    if (left.includes("report.json"))
      expect(JSON.parse(readFileSync(out, "utf8")).flows).toHaveLength(20_000);
    // Streamed ndjson of a batch: its spool folder goes too (in a TMPDIR of its own).
    const tmp = join(dir, "tmp");
    mkdirSync(tmp);
    copyFileSync(capture, join(dir, "many2.pcap"));
    const batch = spawn(
      process.execPath,
      [
        join(ROOT, "bin/ocs-pcap"),
        "analyze",
        capture,
        join(dir, "many2.pcap"),
        "-f",
        "ndjson",
        "-o",
        join(dir, "out", "f.ndjson"),
      ],
      { env: { ...process.env, TMPDIR: tmp } },
    );
    const stopped = await termWhen(batch, () =>
      readdirSync(tmp).some((n) => n.startsWith("ocs-pcap-spool-")),
    );
    expect([0, 143]).toContain(stopped);
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(join(dir, "out")).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  }, 60_000);
});

describe("the progress bar", () => {
  it.skipIf(!implementedBy("script", /util-linux/))(
    "shows a progress bar on a terminal for a long capture, and none under --quiet or CI; the table fits the terminal",
    async () => {
      const file = join(tmp(), "long.pcap");
      // Over the bar's 8 MiB in 6,600 full-size datagrams: the size matters, not the packet count.
      const payload = new Uint8Array(1300).fill(0x41);
      const records = Array.from({ length: 6600 }, (_, i) =>
        udp("10.1.0.20", 50000 + (i % 50), "10.0.0.10", 5060, 1_700_000_000_000_000 + i * 1000, payload),
      );
      writeFileSync(file, writePcap(records));
      const env = { ...process.env };
      delete env.CI;
      // Under script(1), so standard error is a terminal; the three runs side by side.
      const inTty = (args: string, extra: Record<string, string> = {}) =>
        new Promise<string>((resolve, reject) =>
          execFile(
            "script",
            ["-qec", `${process.execPath} bin/ocs-pcap analyze ${file} ${args}`, "/dev/null"],
            { cwd: ROOT, encoding: "utf8", env: { ...env, ...extra } },
            (err, stdout) => (err !== null && typeof err.code !== "number" ? reject(err) : resolve(stdout)),
          ),
        );
      const [shown, quiet, ci, table] = await Promise.all([
        inTty("--format json -o /dev/null"),
        inTty("--format json -o /dev/null -q"),
        inTty("--format json -o /dev/null", { CI: "true" }),
        // The table fits the terminal's width, as the bin reads it (stty sets it).
        new Promise<string>((resolve, reject) =>
          execFile(
            "script",
            [
              "-qec",
              `stty cols 80; ${process.execPath} bin/ocs-pcap analyze fixtures/blocked-cases.pcap`,
              "/dev/null",
            ],
            { cwd: ROOT, encoding: "utf8", env },
            (err, stdout) => (err !== null && typeof err.code !== "number" ? reject(err) : resolve(stdout)),
          ),
        ),
      ]);
      const lines = stripVTControlCharacters(table).split(/\r?\n/);
      expect(lines.filter((l) => l.length > 80 && !/^ +(#\d+ +frame +\d+ +|filter: )\S+==/.test(l))).toEqual(
        [],
      );
      expect(table).toContain("(Blk blocked, Mis misdirected, Inc inconclusive)");
      expect(shown).toMatch(/100% \| [\d.]+\/[\d.]+ MB \| [\d,]+ packets\/s \| ETA/);
      expect(quiet).not.toContain("packets/s");
      expect(ci).not.toContain("packets/s");
    },
  );
});

/** Sends SIGTERM to `child` as soon as `ready()` holds; its exit code, or 143 when the signal ended it. */
function termWhen(child: ChildProcess, ready: () => boolean): Promise<number | null> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (ready()) {
        clearInterval(poll);
        child.kill("SIGTERM");
      }
    }, 1);
    child.on("exit", (c, signal) => {
      clearInterval(poll);
      resolve(c ?? (signal === "SIGTERM" ? 143 : null));
    });
  });
}
