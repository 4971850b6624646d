/**
 * The hostile cases of issue 12, each run through the real CLI in a fresh
 * process: `npm run bench:stress [-- --full] [--only NAME]`.
 *
 * For each case it prints the exit code, wall time, peak RSS (GNU time) and
 * whether the outcome holds: the expected exit code, no Node abort or stack
 * trace, every report that should exist written, inputs never modified, and
 * peak heap under the documented promise. Every analysis runs under
 * `--max-old-space-size=1024`, the README's "about 1 GB of heap with the
 * default limits", so a broken promise shows as an abort (exit 134).
 *
 * The default sizes finish in a few minutes on 2 cores; `--full` uses the
 * issue's sizes (150 M interface blocks, 16 M SYN sources, a 600,000-flow
 * report past V8's 512 MB string limit), which take much longer. Inputs are
 * generated under bench/.data/stress/ (not committed). Exit 0 when every
 * case holds, 1 otherwise.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createGzip } from "node:zlib";
import { writeNetmon } from "../fixtures/lib/netmon.js";
import { writePcapng } from "../fixtures/lib/pcapng.js";
import { generate } from "./gen.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const BIN = join(ROOT, "bin", "ocs-pcap");
const SAMPLE = join(ROOT, "fixtures", "ocs-sample.pcap");
const full = process.argv.includes("--full");
const only = (() => {
  const i = process.argv.indexOf("--only");
  return i > 0 ? process.argv[i + 1] : undefined;
})();
/** The README's promise: the defaults stay under about 1 GB of heap. */
const HEAP_MB = 1024;
const WORK = join(HERE, ".data", "stress");
rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });

interface Run {
  code: number | null;
  signal: string | null;
  secs: number;
  rssMB: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI under GNU time with the promised heap; output to files, not memory, for huge reports. */
function ocs(args: string[], opts: { env?: Record<string, string>; stdoutTo?: string } = {}): Run {
  const out = opts.stdoutTo ?? join(WORK, ".stdout");
  const fd = openSync(out, "w");
  const r = spawnSync(
    "/usr/bin/time",
    ["-f", "%e %M", process.execPath, `--max-old-space-size=${HEAP_MB}`, BIN, ...args],
    {
      stdio: ["ignore", fd, "pipe"],
      encoding: "utf8",
      env: { ...process.env, ...opts.env },
      maxBuffer: 1 << 26,
    },
  );
  closeSync(fd);
  // GNU time adds "Command exited with non-zero status N" (or "terminated by signal") before its line.
  const lines = r.stderr
    .trimEnd()
    .split("\n")
    .filter((l) => !/^Command (exited with non-zero status|terminated by signal)/.test(l));
  const [secs, kb] = (lines.pop() ?? "").split(" ").map(Number);
  const st = statSync(out);
  const size = st.isFile() ? st.size : Number.POSITIVE_INFINITY;
  return {
    code: r.status,
    signal: r.signal,
    secs: secs ?? Number.NaN,
    rssMB: (kb ?? Number.NaN) / 1024,
    stdout: size < 1 << 24 ? readFileSync(out, "utf8") : "",
    stderr: lines.join("\n"),
  };
}

/** The first `n` bytes of a file (a report can be past V8's string limit). */
function readHead(path: string, n: number): string {
  const fd = openSync(path, "r");
  const buf = Buffer.alloc(n);
  const got = readSync(fd, buf, 0, n, 0);
  closeSync(fd);
  return buf.subarray(0, got).toString("utf8");
}

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

interface Case {
  name: string;
  /** What the issue reported, for the table. */
  was: string;
  run: () => { r: Run; problem: string | null } | Promise<{ r: Run; problem: string | null }>;
}

/** Common failure checks: an abort, a signal, a stack trace, a raw control character on stderr. */
function broken(r: Run): string | null {
  if (r.signal !== null) return `killed by ${r.signal}`;
  if (r.code === 134) return "Node aborted (out of heap?)";
  if (/\n\s+at .+:\d+:\d+/.test(r.stderr)) return "stack trace on stderr";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point.
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(r.stderr)) return "raw control character on stderr";
  if (r.rssMB > HEAP_MB * 1.6) return `peak RSS ${r.rssMB.toFixed(0)} MB`;
  return null;
}

/**
 * The batch summary's rows (the table format's last section) for captures whose name ends with
 * `name`: what follows the name on each, from the status column on.
 */
function summaryRows(r: Run, name: string): string[] {
  const at = r.stdout.lastIndexOf("\nBatch summary\n");
  if (at < 0) return [];
  const rows: string[] = [];
  for (const line of r.stdout.slice(at).split("\n")) {
    const i = line.indexOf(`${name} `);
    if (i >= 0 && (i === 0 || line[i - 1] === "/")) rows.push(line.slice(i + name.length).trim());
  }
  return rows;
}

function expect(r: Run, code: number, more: (r: Run) => string | null = () => null) {
  const b = broken(r);
  if (b !== null) return { r, problem: b };
  if (r.code !== code) return { r, problem: `exit ${r.code}, expected ${code}: ${r.stderr.split("\n")[0]}` };
  return { r, problem: more(r) };
}

function dir(name: string): string {
  const d = join(WORK, name);
  mkdirSync(d, { recursive: true });
  return d;
}

/** A pcap of `n` two-packet TCP flows (SYN, RST) from distinct sources: a scan that ends at once. */
function synScan(path: string, n: number, dport = 5062): void {
  const fd = openSync(path, "w");
  const out = Buffer.alloc(8 << 20);
  let used = 24;
  out.writeUInt32LE(0xa1b2c3d4, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeUInt32LE(65535, 16);
  out.writeUInt32LE(1, 20);
  const frame = Buffer.alloc(54);
  frame.writeUInt16BE(0x0800, 12);
  frame[14] = 0x45;
  frame.writeUInt16BE(40, 16);
  frame[22] = 64;
  frame[23] = 6;
  frame.writeUInt32BE(0x0a00000a, 30); // 10.0.0.10
  frame.writeUInt16BE(dport, 36);
  frame[46] = 0x50;
  frame[47] = 0x02; // SYN
  let ts = 1_715_677_200_000_000;
  for (let i = 0; i < n; i++) {
    if (used + 70 > out.length) {
      writeSync(fd, out, 0, used);
      used = 0;
    }
    out.writeUInt32LE(Math.floor(ts / 1e6), used);
    out.writeUInt32LE(ts % 1e6, used + 4);
    out.writeUInt32LE(54, used + 8);
    out.writeUInt32LE(54, used + 12);
    frame.writeUInt32BE((0x0b000000 + i) >>> 0, 26); // 11.x.y.z: distinct sources
    frame.writeUInt16BE(1024 + (i % 60000), 34);
    frame.copy(out, used + 16);
    used += 70;
    ts += 3;
  }
  writeSync(fd, out, 0, used);
  closeSync(fd);
}

/** A gzipped pcapng whose section has `n` Interface Description Blocks (`distinct`: each its own link type). */
async function idbBomb(path: string, n: number, distinct: boolean): Promise<void> {
  const gz = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gz.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve) => gz.on("end", resolve));
  // The section header and one 20-byte IDB from the fixtures' writer; the IDB is copied n times.
  const shb = writePcapng([{ blocks: [] }]);
  const idb = writePcapng([{ blocks: [{ kind: "idb", iface: { linkType: 1, snapLen: 65535 } }] }]).subarray(
    shb.length,
  );
  gz.write(shb);
  const per = 1 << 16;
  const block = Buffer.alloc(idb.length * per);
  for (let i = 0; i < per; i++) block.set(idb, idb.length * i);
  for (let done = 0; done < n; done += per) {
    const k = Math.min(per, n - done);
    if (distinct) for (let i = 0; i < k; i++) block.writeUInt16LE((done + i) % 65536, idb.length * i + 8);
    // gzip reads the chunk later: hand it a copy, as the next round rewrites the link types.
    if (!gz.write(Buffer.from(block.subarray(0, idb.length * k))))
      await new Promise((r) => gz.once("drain", r));
  }
  gz.end();
  await done;
  writeFileSync(path, Buffer.concat(chunks));
}

const cases: Case[] = [
  {
    name: "-o names a capture inside the input folder",
    was: "exit 0, capture overwritten",
    run: () => {
      const d = dir("o-input");
      copyFileSync(SAMPLE, join(d, "x.pcap"));
      const before = sha(join(d, "x.pcap"));
      const r = ocs(["analyze", d, "-f", "json", "-o", join(d, "x.pcap")]);
      return expect(r, 2, () => (sha(join(d, "x.pcap")) === before ? null : "the capture changed"));
    },
  },
  {
    name: "--report-dir is the capture folder (a, a.json)",
    was: "capture a.json overwritten",
    run: () => {
      const d = dir("report-dir-input");
      copyFileSync(SAMPLE, join(d, "a"));
      copyFileSync(SAMPLE, join(d, "a.json"));
      const before = sha(join(d, "a.json"));
      const r = ocs(["analyze", d, "--report-dir", d, "--jobs", "1"]);
      return expect(r, 2, () => (sha(join(d, "a.json")) === before ? null : "a.json changed"));
    },
  },
  {
    name: "summarize r.json -o r.json",
    was: "input overwritten",
    run: () => {
      const d = dir("summarize-self");
      const rep = join(d, "r.json");
      ocs(["analyze", SAMPLE, "-f", "json", "-o", rep]);
      const before = sha(rep);
      const r = ocs(["summarize", rep, "-o", rep]);
      return expect(r, 2, () => (sha(rep) === before ? null : "r.json changed"));
    },
  },
  {
    name: `gzipped pcapng, ${full ? "150 M" : "20 M"} interface blocks`,
    was: "exit 134, native stack trace (150 M); 3.6 GB for 50 M",
    run: async () => {
      const f = join(dir("idb"), "bomb.pcapng.gz");
      await idbBomb(f, full ? 150_000_000 : 20_000_000, false);
      const r = ocs(["analyze", f, "-f", "json", "-q"]);
      // A limit warning, not damage: exit 0.
      return expect(r, 0, (x) =>
        /more than 65536 interfaces/.test(x.stderr) ? null : "no interface limit warning",
      );
    },
  },
  {
    name: "1 M interface blocks, distinct link types",
    was: "20 s (linear link-type scan)",
    run: async () => {
      const f = join(dir("idb-distinct"), "bomb.pcapng.gz");
      await idbBomb(f, 1_000_000, true);
      const r = ocs(["analyze", f, "-f", "json", "-q"]);
      return expect(r, 0, (x) => (x.secs < 10 ? null : `took ${x.secs} s`));
    },
  },
  {
    name: "batch: one capture exhausts a 24 MB worker heap",
    was: "exit 70, no report for the captures that succeeded",
    run: () => {
      const d = dir("worker-oom");
      // Several: the main thread also takes captures, with the process's heap.
      for (const n of ["a1", "a2", "a3"]) synScan(join(d, `${n}-huge.pcap`), 150_000);
      for (const n of ["b", "c", "d"]) copyFileSync(SAMPLE, join(d, `${n}.pcap`));
      const r = ocs(["analyze", d, "--jobs", "2"], { env: { OCS_PCAP_WORKER_HEAP_MB: "24" } });
      return expect(r, 65, (x) =>
        ["b.pcap", "c.pcap", "d.pcap"].every((n) => summaryRows(x, n).some((row) => row.startsWith("ok")))
          ? null
          : "a good capture lost its report",
      );
    },
  },
  {
    name: "Markdown report of 100,000 unknown flows",
    was: "58 s (quadratic grouping)",
    run: () => {
      const f = join(dir("md"), "unknown.pcap");
      synScan(f, 100_000, 8081);
      const r = ocs(["analyze", f, "-f", "markdown", "--limit", "0", "-q"], {
        stdoutTo: join(WORK, "md", "out.md"),
      });
      return expect(r, 0, (x) => (x.secs < 30 ? null : `took ${x.secs} s`));
    },
  },
  {
    name: "folder with symlink loops (self -> ., a/up -> ..)",
    was: "41 analyses of one capture; never ends with two links",
    run: () => {
      const d = dir("loops");
      copyFileSync(SAMPLE, join(d, "x.pcap"));
      symlinkSync(".", join(d, "self"));
      mkdirSync(join(d, "a"));
      symlinkSync("..", join(d, "a", "up"));
      const r = ocs(["analyze", d, "--jobs", "1"]);
      return expect(r, 0, (x) => {
        const rows = summaryRows(x, "x.pcap");
        return rows.length === 1 ? null : `${rows.length} batch summary rows for x.pcap`;
      });
    },
  },
  {
    name: `${full ? "16 M" : "3 M"} distinct SYN sources to one port`,
    was: "3.4 GB for 16 M; 5 M abort with a 1 GB heap",
    run: () => {
      const f = join(dir("syn-sources"), "scan.pcap");
      synScan(f, full ? 16_000_000 : 3_000_000);
      const r = ocs(["analyze", f, "-f", "json", "-q"], { stdoutTo: join(WORK, "syn-sources", "r.json") });
      const head = readHead(join(WORK, "syn-sources", "r.json"), 200_000);
      return expect(r, 0, () =>
        /"clientsExact": false/.test(head) ? null : "the client count is not marked as a lower bound",
      );
    },
  },
  {
    name: "file names with ESC, BEL, BS and a newline",
    was: "raw escapes on the terminal; a newline splits a row",
    run: () => {
      const d = dir("names");
      copyFileSync(SAMPLE, join(d, "evil\u001b[31mred\u0007\b\nline.pcap"));
      const r = ocs(["analyze", d, "--jobs", "1"]);
      return expect(r, 0, (x) =>
        // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point.
        /[\u001b\u0007\u0008]/.test(x.stdout) ? "raw control character in the table" : null,
      );
    },
  },
  {
    name: "--redact with addresses in file names",
    was: "edge_10.0.0.30_trace.pcap kept its address in 19 outputs",
    run: () => {
      const d = dir("redact");
      copyFileSync(SAMPLE, join(d, "edge_10.0.0.30_trace.pcap"));
      copyFileSync(SAMPLE, join(d, "fe10.0.0.31.pcap"));
      const r = ocs(["analyze", d, "-f", "html", "--redact", "--redact-key", "stress", "--jobs", "1"]);
      return expect(r, 0, (x) => (/10\.0\.0\.3[01]/.test(x.stdout) ? "an address survived" : null));
    },
  },
  {
    name: "gzip with trailing garbage, and with a bad CRC",
    was: "exit 65 on a 764-byte capture zcat and tshark read",
    run: () => {
      const r = ocs([
        "analyze",
        join(ROOT, "fixtures/malformed/gzip-trailing.pcap.gz"),
        join(ROOT, "fixtures/malformed/gzip-bad-crc.pcap.gz"),
        "--jobs",
        "1",
      ]);
      return expect(r, 0, (x) =>
        ["gzip-trailing.pcap.gz", "gzip-bad-crc.pcap.gz"].every((n) =>
          summaryRows(x, n).some((row) => /^ok, 1 warning\s+44\s/.test(row)),
        )
          ? null
          : "not every packet read",
      );
    },
  },
  {
    name: `summarize a ${full ? "600,000" : "100,000"}-flow report`,
    was: "exit 66 past ~512 MB (one string)",
    run: () => {
      const d = dir("big-report");
      const cap = join(d, "c.pcap");
      generate(cap, full ? 600_000 : 100_000, 4);
      const rep = join(d, "r.json");
      ocs(["analyze", cap, "-f", "json", "-q", "-o", rep]);
      const r = ocs(["summarize", rep, "-f", "json"]);
      return expect(r, 0);
    },
  },
  {
    name: "topology of 20,000 entries, 50,000 flows placed",
    was: "32 s to check; 78 s to place 50 k flows (5,000 entries)",
    run: () => {
      const d = dir("topology");
      const lines = ["roles:", "  Front End Servers:"];
      for (let i = 0; i < 20_000; i++)
        lines.push(`    - 172.${16 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`);
      lines.push("clients: [10.1.0.0/16]");
      writeFileSync(join(d, "t.yaml"), `${lines.join("\n")}\n`);
      const cap = join(d, "c.pcap");
      generate(cap, 50_000, 4);
      const r = ocs([
        "analyze",
        cap,
        "--topology",
        join(d, "t.yaml"),
        "-f",
        "json",
        "-q",
        "-o",
        join(d, "r.json"),
      ]);
      return expect(r, 0, (x) => (x.secs < 20 ? null : `took ${x.secs} s`));
    },
  },
  {
    name: "report on a full disk (> /dev/full)",
    was: "reported as an internal error (70)",
    run: () => expect(ocs(["analyze", SAMPLE], { stdoutTo: "/dev/full" }), 74),
  },
  {
    name: "SIGTERM while -o is being written",
    was: "a hidden temporary file of hundreds of MB left behind",
    run: async () => {
      const d = dir("signal");
      const cap = join(d, "c.pcap");
      generate(cap, 300_000, 4);
      const out = join(d, "out", "r.json");
      mkdirSync(dirname(out));
      const t = performance.now();
      // Wait for the temporary file to appear (the write has begun), then signal.
      const p = spawn(
        process.execPath,
        [`--max-old-space-size=${HEAP_MB}`, BIN, "analyze", cap, "-f", "json", "-q", "-o", out],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      let stderr = "";
      p.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
      });
      let sawTemp = false;
      const poll = setInterval(() => {
        if (!sawTemp && readdirSync(dirname(out)).length > 0) {
          sawTemp = true;
          p.kill("SIGTERM");
        }
      }, 5);
      const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
        p.on("exit", (c, sig) => resolve([c, sig])),
      );
      clearInterval(poll);
      const r: Run = {
        code,
        signal,
        secs: (performance.now() - t) / 1000,
        rssMB: Number.NaN,
        stdout: "",
        stderr,
      };
      if (!sawTemp) return { r, problem: "the write finished before the signal could be sent" };
      const left = readdirSync(dirname(out));
      // The write is synchronous: the signal is handled once it is done. Either the
      // report is finished (exit 0) or removed (143); never half a report or a temp file.
      if (left.some((n) => n !== "r.json")) return { r, problem: `left behind: ${left.join(", ")}` };
      if (r.code === 143) return { r, problem: left.length === 0 ? null : "a report after exit 143" };
      if (r.code !== 0) return { r, problem: `exit ${r.code ?? r.signal}` };
      const text = readFileSync(out, "utf8");
      return { r, problem: text.endsWith("]\n}\n") ? null : "the report is cut short" };
    },
  },
  {
    name: "a 245-character -o name",
    was: "failed: the temp name was 20 characters longer",
    run: () => {
      const d = dir("long-name");
      const name = join(d, `${"r".repeat(240)}.json`);
      return expect(ocs(["analyze", SAMPLE, "-f", "json", "-o", name]), 0, () =>
        existsSync(name) ? null : "no report",
      );
    },
  },
  {
    name: "a file name that is not UTF-8, in a folder",
    was: "skipped silently",
    run: () => {
      const d = dir("non-utf8");
      copyFileSync(SAMPLE, join(d, "ok.pcap"));
      writeFileSync(
        Buffer.concat([Buffer.from(`${d}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from(".pcap")]),
        readFileSync(SAMPLE),
      );
      const r = ocs(["analyze", d, "-f", "csv", "--jobs", "1"]);
      return expect(r, 65, (x) =>
        /not valid UTF-8|UTF-8/.test(x.stderr + x.stdout) ? null : "not reported",
      );
    },
  },
  {
    name: "a capture named summary, with --report-dir",
    was: "its reports lost to the batch summary",
    run: () => {
      const d = dir("summary-name");
      copyFileSync(SAMPLE, join(d, "summary"));
      copyFileSync(SAMPLE, join(d, "b.pcap"));
      const out = join(WORK, "summary-name-out");
      const r = ocs(["analyze", d, "--report-dir", out, "--jobs", "1"]);
      return expect(r, 0, () =>
        readdirSync(out).length >= 3 ? null : `only ${readdirSync(out).join(", ")}`,
      );
    },
  },
  {
    name: "--jobs 1500",
    was: "4.9 GB and 33 s, against 144 MB and 3 s with --jobs 1",
    run: () => {
      const d = dir("jobs");
      for (let i = 0; i < 8; i++) copyFileSync(SAMPLE, join(d, `c${i}.pcap`));
      return expect(ocs(["analyze", d, "-f", "csv", "--jobs", "1500"]), 0, (x) =>
        x.rssMB < 1024 ? null : `${x.rssMB} MB`,
      );
    },
  },
  {
    name: "saved report: 1e308 counts, an impossible date, a contradicting summary",
    was: "null totals; exit 70; passes --fail-on",
    run: () => {
      const d = dir("saved");
      const rep = join(d, "r.json");
      ocs(["analyze", join(ROOT, "fixtures/blocked-cases.pcap"), "-f", "json", "-o", rep]);
      const base = JSON.parse(readFileSync(rep, "utf8"));
      const variants = [
        (r: typeof base) => (r.summary.flows = 1e308),
        (r: typeof base) => (r.flows[0].firstSeen = "2024-13-45T99:99:99.000000Z"),
        (r: typeof base) => (r.summary.blocked = 0),
      ];
      let last: Run | null = null;
      for (const [i, change] of variants.entries()) {
        const v = structuredClone(base);
        change(v);
        writeFileSync(join(d, `v${i}.json`), JSON.stringify(v));
        last = ocs(["summarize", join(d, `v${i}.json`), "--fail-on", "blocked"]);
        if (last.code !== 65) return { r: last, problem: `variant ${i}: exit ${last.code}` };
      }
      return expect(last!, 65);
    },
  },
  {
    name: "--max-record-len on a pcapng Simple Packet Block",
    was: "ignored by SPBs",
    run: () => {
      const d = dir("spb");
      const spb = writePcapng([
        {
          blocks: [
            { kind: "idb", iface: { linkType: 1 } },
            { kind: "spb", data: new Uint8Array(4096) },
          ],
        },
      ]);
      writeFileSync(join(d, "s.pcapng"), spb);
      return expect(ocs(["analyze", join(d, "s.pcapng"), "--max-record-len", "1000"]), 65);
    },
  },
  {
    name: "Network Monitor: 524,288 process entries (the limit)",
    was: "174 s (four small reads per entry; review of stop 7)",
    run: () => {
      const d = dir("netmon-procs");
      const processes = Array.from({ length: 524_288 }, (_, i) => ({
        path: "a.exe",
        pid: i,
        localPort: 1,
        remotePort: 2,
      }));
      const record = { tsMicros: Date.UTC(2024, 0, 1) * 1000, data: new Uint8Array(60), process: 7 };
      writeFileSync(join(d, "p.cap"), writeNetmon([record], { minor: 3, processes }));
      return expect(ocs(["analyze", join(d, "p.cap"), "-f", "json"]), 0, (r) =>
        r.secs > 20 ? "over 20 s" : null,
      );
    },
  },
  {
    name: "Network Monitor: 200,000 records stored in reverse order",
    was: "21.5 s against 2.1 s in order (a window re-read per record; review of stop 7)",
    run: () => {
      const d = dir("netmon-reverse");
      const t0 = Date.UTC(2024, 0, 1) * 1000;
      const records = Array.from({ length: 200_000 }, (_, i) => ({
        tsMicros: t0 + i,
        data: new Uint8Array(60),
      }));
      writeFileSync(join(d, "r.cap"), writeNetmon(records, { minor: 0, reverse: true }));
      return expect(ocs(["analyze", join(d, "r.cap"), "-f", "json"]), 0, (r) =>
        r.secs > 20 ? "over 20 s" : null,
      );
    },
  },
];

const rows: string[][] = [];
let failed = 0;
for (const c of cases) {
  if (only !== undefined && !c.name.includes(only)) continue;
  process.stderr.write(`… ${c.name}\n`);
  const { r, problem } = await c.run();
  if (problem !== null) failed++;
  rows.push([
    c.name,
    String(r.code ?? r.signal),
    r.secs.toFixed(2),
    Number.isNaN(r.rssMB) ? "-" : r.rssMB.toFixed(0),
    problem === null ? "holds" : `FAILS: ${problem}`,
    c.was,
  ]);
}

const head = ["case", "exit", "wall s", "peak RSS MB", "outcome", "before (issue 12)"];
process.stdout.write(`Every analysis ran with --max-old-space-size=${HEAP_MB} (the README's promise).\n\n`);
process.stdout.write(`| ${head.join(" | ")} |\n| ${head.map(() => "---").join(" | ")} |\n`);
for (const row of rows) process.stdout.write(`| ${row.join(" | ")} |\n`);
process.stdout.write(`\n${failed === 0 ? "every case holds" : `${failed} case(s) FAIL`}\n`);
process.exitCode = failed === 0 ? 0 : 1;
