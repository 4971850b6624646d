/**
 * Mutation fuzzer: `npm run fuzz -- [--variants N] [--seed S] [--jobs J] [--save]`.
 *
 * Seeds: every capture under fixtures/, plus ../shared/corpus when present
 * (files over 1 MiB are cut to their first 1 MiB). Each variant is one seed
 * with one or two mutations (bit flips, byte insertion or deletion,
 * truncation, a length field set to 0, its maximum or off by one), run
 * through the real CLI in-process in a child process, in one of the six
 * output formats. A failure is an uncaught exception, a stack trace on
 * stderr, an exit code other than 0 or 65, more than 5 s on a file under
 * 1 MiB (a watchdog kills a worker that stops answering), or heap growth over
 * 256 MB (and each child's heap is capped at 1 GiB: running out kills it, a failure).
 *
 * With --save, failing inputs are minimised and written to fixtures/malformed/
 * as fuzz-<hash>.<ext>, where test/robustness.test.ts picks them up as
 * regression tests. Exit 0 when no variant failed, 1 otherwise.
 */

import { type ChildProcess, fork } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import {
  collectReportSeeds,
  collectSeeds,
  judge,
  minimise,
  runCli,
  shortHash,
  TIME_LIMIT_MS,
  variant,
} from "./core.js";

const ROOT = join(import.meta.dirname, "..", "..");
const CORPUS = join(ROOT, "..", "shared", "corpus");

function seeds() {
  return collectSeeds(ROOT, [join(ROOT, "fixtures"), ...(existsSync(CORPUS) ? [CORPUS] : [])]);
}

/** The goldens' saved reports, mutated into hostile and broken reports for `summarize`. */
function reportSeeds() {
  return collectReportSeeds(ROOT, [join(ROOT, "fixtures")]);
}

interface Job {
  index: number;
}
interface Done {
  index: number;
  failure: string | null;
  kind: string;
}

if (process.env.OCS_PCAP_FUZZ_CHILD !== undefined) {
  const seed = Number(process.env.OCS_PCAP_FUZZ_CHILD);
  const all = seeds();
  const reports = reportSeeds();
  const dir = mkdtempSync(join(tmpdir(), "ocs-pcap-fuzz-"));
  process.on("message", async (job: Job) => {
    // A bug in the fuzzer itself must not pass for a failure of the analyzer.
    let v: ReturnType<typeof variant>;
    try {
      v = variant(all, seed, job.index, reports);
    } catch (err) {
      process.stderr.write(
        `fuzzer bug at variant ${job.index}: ${err instanceof Error ? err.stack : String(err)}\n`,
      );
      process.exit(3);
    }
    const o = await runCli(v.bytes, join(dir, v.file), v.format, v.command);
    const done: Done = { index: job.index, failure: judge(o, v.bytes.length), kind: v.kind };
    process.send!(done);
  });
  process.on("disconnect", () => process.exit(0));
  process.send!({ ready: true });
} else {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const total = arg("variants", 100_000);
  const seed = arg("seed", Date.now() % 2 ** 31);
  const jobs = arg("jobs", availableParallelism());
  const save = process.argv.includes("--save");
  const all = seeds();
  const reports = reportSeeds();
  process.stdout.write(
    `fuzz: ${total} variants of ${all.length} seed captures (${all.filter((s) => !s.name.startsWith("fixtures")).length} from the corpus) and ${reports.length} saved reports, plus IDB floods; seed ${seed}, ${jobs} workers\n`,
  );

  const t0 = performance.now();
  let next = 0;
  let finished = 0;
  const failures: { index: number; reason: string }[] = [];
  const kinds = new Map<string, number>();
  let lastReport = 0;

  const spawn = (): Promise<void> =>
    new Promise((resolve) => {
      const worker: ChildProcess = fork(process.argv[1]!, [], {
        env: { ...process.env, OCS_PCAP_FUZZ_CHILD: String(seed) },
        execArgv: [...process.execArgv, "--max-old-space-size=1024"],
        stdio: ["ignore", "ignore", "pipe", "ipc"],
      });
      let died = "";
      worker.stderr?.on("data", (d: Buffer) => {
        died = (died + d.toString()).slice(-2000);
      });
      const stop = () => {
        worker.removeAllListeners("exit");
        worker.kill("SIGKILL");
      };
      let current = -1;
      let timer: NodeJS.Timeout | null = null;
      const feed = () => {
        if (timer) clearTimeout(timer);
        if (next >= total) {
          stop();
          resolve();
          return;
        }
        current = next++;
        worker.send({ index: current } satisfies Job);
        timer = setTimeout(() => {
          failures.push({
            index: current,
            reason: `no answer within ${(2 * TIME_LIMIT_MS) / 1000} s (hang?)`,
          });
          finished++;
          stop();
          resolve(spawn());
        }, 2 * TIME_LIMIT_MS);
      };
      worker.on("message", (m: Done | { ready: true }) => {
        if ("ready" in m) {
          feed();
          return;
        }
        finished++;
        kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
        if (m.failure !== null) {
          failures.push({ index: m.index, reason: m.failure });
          process.stdout.write(`  FAILURE at variant ${m.index}: ${m.failure}\n`);
        }
        const now = performance.now();
        if (now - lastReport > 10_000) {
          lastReport = now;
          const rate = finished / ((now - t0) / 1000);
          process.stdout.write(
            `  ${finished} done, ${failures.length} failures, ${rate.toFixed(0)} variants/s\n`,
          );
        }
        feed();
      });
      worker.on("exit", (code, signal) => {
        if (timer) clearTimeout(timer);
        const why = died.split("\n").find((l) => /Error|heap/i.test(l)) ?? "";
        failures.push({ index: current, reason: `worker died (${signal ?? code}): ${why}` });
        finished++;
        resolve(spawn());
      });
    });

  await Promise.all(Array.from({ length: jobs }, spawn));
  const secs = (performance.now() - t0) / 1000;
  process.stdout.write(
    `fuzz: ${finished} variants in ${secs.toFixed(0)} s (${(finished / secs).toFixed(0)}/s), seed ${seed}; by mutation: ${[
      ...kinds,
    ]
      .map(([k, n]) => `${k} ${n}`)
      .join(", ")}\n`,
  );
  if (failures.length === 0) {
    process.stdout.write("fuzz: no failures\n");
  } else {
    process.stdout.write(`fuzz: ${failures.length} FAILURES\n`);
    const dir = mkdtempSync(join(tmpdir(), "ocs-pcap-fuzz-min-"));
    const seen = new Set<string>();
    for (const f of failures.sort((a, b) => a.index - b.index)) {
      const v = variant(all, seed, f.index, reports);
      process.stdout.write(
        `  variant ${f.index} (${v.seed.name}, ${v.kind}, --format ${v.format}): ${f.reason}\n`,
      );
      const key = f.reason.replace(/\d+/g, "#");
      if (!save || seen.has(key) || seen.size >= 10) continue;
      seen.add(key);
      let bytes = v.bytes;
      const ext =
        v.command === "summarize"
          ? "json"
          : v.seed.name.endsWith(".gz")
            ? "pcap.gz"
            : v.seed.name.endsWith(".pcapng")
              ? "pcapng"
              : "pcap";
      const file = join(dir, `m.${ext}`);
      if (!/hang|died/.test(f.reason)) {
        bytes = await minimise(
          bytes,
          async (b) => judge(await runCli(b, file, v.format, v.command), b.length) !== null,
        );
      }
      const out = join(ROOT, "fixtures", "malformed", `fuzz-${shortHash(bytes)}.${ext}`);
      writeFileSync(out, bytes);
      process.stdout.write(`    minimised to ${bytes.length} bytes: ${out}\n`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
  process.exitCode = failures.length === 0 ? 0 : 1;
}
