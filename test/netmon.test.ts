/**
 * Network Monitor 2.x input (issue 16, item 5), with tshark as the oracle
 * (its answers recorded, see helpers/oracle.ts):
 * every classic fixture converted by `editcap -F netmon2` gives the pcap's
 * report but for `capture.format`; the fixture builder's 2.3 file (with a
 * process table, metadata records, gaps and records out of order) reads as
 * tshark reads it, and its flows name their processes. Damaged files stop
 * with a named error or a warning after the frames before them.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GOLDEN_FIXTURES } from "../fixtures/build.js";
import { writeNetmon } from "../fixtures/lib/netmon.js";
import { analyzeCapture } from "../src/analyze.js";
import { readCapture } from "../src/capture/source.js";
import { CaptureError } from "../src/capture/types.js";
import { renderJson } from "../src/report/json.js";
import { askSync } from "./helpers/oracle.js";
import { runCli } from "./helpers/run.js";
import { hasTool } from "./helpers/tools.js";

const ROOT = join(import.meta.dirname, "..");
const FIXTURE = join(ROOT, "fixtures/netmon-process.cap");
const hasEditcap = hasTool("editcap");
const tmp = mkdtempSync(join(tmpdir(), "ocs-netmon-"));
// Network Monitor 2.0–2.2 keeps local time without a zone: editcap writes it, and tshark reads it, in TZ.
const UTC = { ...process.env, TZ: "UTC" };

async function frames(path: string) {
  const out: string[] = [];
  await readCapture(path, (f) => {
    out.push(`${f.index}\t${(f.tsMicros / 1e6).toFixed(6)}\t${f.wireLen}`);
  });
  return out;
}

function tsharkFrames(path: string): string[] {
  const r = askSync(
    "tshark",
    ["-r", path, "-T", "fields", "-e", "frame.number", "-e", "frame.time_epoch", "-e", "frame.len"],
    UTC,
  );
  expect(r.status).toBe(0);
  return r.stdout
    .trim()
    .split("\n")
    .map((l) => {
      const [n, t, len] = l.split("\t");
      return `${n}\t${Number(t).toFixed(6)}\t${len}`;
    });
}

/** The JSON report without what names the file. */
async function comparable(path: string, dropWarnings = false): Promise<string> {
  const r = await analyzeCapture(path, { version: "t" });
  const c = { ...r.capture, path: "-", format: "-", ...(dropWarnings ? { warnings: [] } : {}) };
  return [...renderJson({ ...r, capture: c })].join("");
}

describe("Network Monitor 2.x", () => {
  it.skipIf(!hasEditcap)(
    "every classic fixture converted with editcap -F netmon2 gives the pcap's report, but for capture.format",
    async () => {
      let converted = 0;
      const files: string[] = [];
      let frameCount = 0;
      // pktmon.pcapng is about its packet comments and flags, which a Network Monitor file cannot carry.
      for (const name of GOLDEN_FIXTURES.filter((n) => /\.pcap(ng)?$/.test(n) && n !== "pktmon.pcapng")) {
        const from = join(ROOT, "fixtures", name);
        const to = join(tmp, `${name.replace(/\//g, "_")}.cap`);
        const r = spawnSync("editcap", ["-F", "netmon2", from, to], { encoding: "utf8", env: UTC });
        // editcap writes only Ethernet, Token Ring, FDDI and ATM: raw IP, SLL and pcapng's extra blocks are refused.
        if (r.status !== 0) {
          expect(r.stderr).toMatch(/can't be (saved|written)/);
          continue;
        }
        converted++;
        files.push(to);
        frameCount += (await frames(to)).length;
        // editcap drops a record cut short, so the pcap's warning about it has no counterpart.
        const cut = name === "truncated.pcap";
        expect(await comparable(to, cut), name).toBe(await comparable(from, cut));
      }
      expect(converted).toBe(19);
      // tshark's frames, for all of them in one tshark run: mergecap concatenates the converted
      // files into one Network Monitor 2.x file, every frame kept (one tshark per file cost 3 s).
      const merged = join(tmp, "all-converted.cap");
      const m = spawnSync("mergecap", ["-a", "-F", "netmon2", "-w", merged, ...files], {
        encoding: "utf8",
        env: UTC,
      });
      expect(m.status, m.stderr).toBe(0);
      const ours = await frames(merged);
      expect(ours).toHaveLength(frameCount);
      expect(ours).toEqual(tsharkFrames(merged));
    },
  );

  it("reads the builder's 2.3 file as tshark does: frame numbers, UTC times and lengths", async () => {
    const ours = await frames(FIXTURE);
    expect(ours).toHaveLength(20); // the DNS-cache record is not a frame
    expect(ours).toEqual(tsharkFrames(FIXTURE));
  });

  it("reads the builder's 2.1 sample as its pcap: the same report but for capture.format", async () => {
    const cap = join(ROOT, "fixtures/ocs-sample.cap");
    expect(await comparable(cap)).toBe(await comparable(join(ROOT, "fixtures/ocs-sample.pcap")));
    expect(await frames(cap)).toEqual(tsharkFrames(cap));
  });

  it("names the process behind each flow from the process table, and counts records that are not packets", async () => {
    const r = await analyzeCapture(FIXTURE, { version: "t" });
    expect(r.capture.format).toBe("netmon2");
    const byPort = (port: number) => r.flows.find((f) => f.clientPort === port)!;
    expect(byPort(50401).process).toEqual({
      name: "communicator.exe",
      path: "C:\\Program Files\\Microsoft Office Communicator\\communicator.exe",
      pid: 4321,
    });
    expect(byPort(50405).verdict).toBe("blocked");
    expect(byPort(50405).process?.name).toBe("communicator.exe");
    expect(byPort(50403).process).toEqual({
      name: "iexplore.exe",
      path: "C:\\Program Files\\Internet Explorer\\iexplore.exe",
      pid: 2200,
    });
    expect(byPort(50404).process).toBeUndefined(); // no process index on the DNS query
    expect(r.capture.skipped).toEqual({ "netmon.network_info_ex": 1, "netmon.dns_cache (not a frame)": 1 });
    const a = r.capture.accounting!;
    expect(a.inFlows + a.icmpEvidence + a.malformed + a.skipped).toBe(r.capture.packets);
  });

  const bytes = readFileSync(FIXTURE);
  const file = (name: string, b: Uint8Array) => {
    const p = join(tmp, name);
    writeFileSync(p, b);
    return p;
  };
  const error = async (p: string): Promise<CaptureError> => {
    try {
      await analyzeCapture(p);
    } catch (err) {
      if (err instanceof CaptureError) return err;
      throw err;
    }
    throw new Error(`${p} was read`);
  };

  it.each([
    ["1.x", () => Buffer.from("RTSS\x01\x01", "latin1"), /Network Monitor 1\.x capture: not supported/],
    [
      "a version 3",
      () => Buffer.concat([Buffer.from("GMBU\x00\x03"), Buffer.alloc(122)]),
      /unsupported Network Monitor version 3\.0/,
    ],
    [
      "a frame table of 6 bytes",
      () => {
        const b = Buffer.from(bytes);
        b.writeUInt32LE(6, 28);
        return b;
      },
      /frame table length 6 is not a multiple of 4/,
    ],
    [
      "a header cut at 40 bytes",
      () => bytes.subarray(0, 40),
      /file ends after 40 bytes, inside the Network Monitor file header/,
    ],
  ])("refuses %s with a named error (exit 65)", async (_what, make, message) => {
    expect((await error(file("bad.cap", make()))).message).toMatch(message);
  });

  it("every prefix of the file is a named error or a report with a warning, never anything else", async () => {
    for (let n = 0; n < bytes.length; n += n < 128 ? 1 : 37) {
      const p = file("prefix.cap", bytes.subarray(0, n));
      try {
        const r = await analyzeCapture(p);
        // A cut loses frames or processes, and a warning says so; only the last process entry's
        // ports and addresses (not read) can go unnoticed.
        const whole = r.capture.packets === 20 && r.flows.filter((f) => f.process).length === 4;
        expect(whole || (r.capture.warnings?.length ?? 0) > 0, `prefix ${n}`).toBe(true);
      } catch (err) {
        expect(err, `prefix ${n}`).toBeInstanceOf(CaptureError);
      }
    }
  });

  it("a frame table entry past the end stops reading with a warning after the frames before it", async () => {
    const b = Buffer.from(bytes);
    const table = b.readUInt32LE(24);
    b.writeUInt32LE(0x7fff_0000, table + 4 * 5); // the 6th entry
    const r = await analyzeCapture(file("past.cap", b));
    expect(r.capture.packets).toBe(5);
    expect(r.capture.warnings).toEqual([
      expect.objectContaining({ code: "netmon_frame_outside_file", offset: b.length }),
    ]);
  });

  it("--redact pseudonymizes a process's folders and the addresses in its name (hostile review)", async () => {
    const r = await runCli("analyze", FIXTURE, "--redact", "--redact-key", "k", "-f", "json");
    expect(r.stdout).not.toMatch(/Program Files|Microsoft Office Communicator|Internet Explorer/);
    const flows = (JSON.parse(r.stdout) as { flows: { process?: { name: string; path: string } }[] }).flows;
    const named = flows.filter((f) => f.process !== undefined);
    expect(named.map((f) => f.process!.name)).toContain("communicator.exe");
    for (const f of named) expect(f.process!.path).toMatch(/^(dir-[0-9a-f]{8}\\)+\w+\.exe$/);
  });

  it("clamps and counts record times no report can show (a delta near 2^63, hostile review)", async () => {
    for (const minor of [1, 3]) {
      const b = Buffer.from(
        writeNetmon([{ tsMicros: Date.UTC(2024, 0, 1) * 1000, data: new Uint8Array(60) }], { minor }),
      );
      // 2.0-2.2: the record's delta; 2.3: the trailer's FILETIME.
      if (minor === 1) b.writeBigInt64LE(2n ** 63n - 1n, 128);
      else b.writeBigUInt64LE(2n ** 64n - 1n, 128 + 16 + 60 + 6);
      const r = await analyzeCapture(file(`huge-${minor}.cap`, b));
      expect(r.capture.anomalies["capture.timestamp_out_of_range"]).toBe(1);
      expect(r.capture.firstSeen).toMatch(/^\d{4}-/);
    }
  });

  it("needs a seekable file: standard input and gzip are refused with the way round it", async () => {
    const stdin = Readable.from([bytes]);
    await expect(analyzeCapture("-", { stdin })).rejects.toThrow(/frame table at the end.*editcap -F pcapng/);
    const { gzipSync } = await import("node:zlib");
    await expect(analyzeCapture(file("x.cap.gz", gzipSync(bytes)))).rejects.toThrow(/plain file/);
  });

  it("never throws anything but CaptureError on mutated files (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          maxLength: 8,
        }),
        fc.nat({ max: bytes.length }),
        async (edits, cut) => {
          const b = Buffer.from(bytes.subarray(0, Math.max(cut, 4)));
          for (const [at, v] of edits) if (at < b.length) b[at] = v;
          try {
            await analyzeCapture(file("m.cap", b));
          } catch (err) {
            if (!(err instanceof CaptureError)) throw err;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
