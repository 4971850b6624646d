import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { analyzeCapture, STDIN_LABEL } from "../src/analyze.js";
import { readCapture } from "../src/capture/source.js";
import { CaptureError } from "../src/capture/types.js";
import { toolVersion } from "../src/cli/main.js";
import { renderJson } from "../src/report/json.js";

const ROOT = join(import.meta.dirname, "..");
const FIXTURES = join(ROOT, "fixtures");
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

/** A stream that delivers `bytes` in chunks of `size`. */
function chunked(bytes: Uint8Array, size: number): Readable {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
  return Readable.from(parts, { objectMode: false });
}

async function framesOf(input: string, stdin?: Readable): Promise<string[]> {
  const out: string[] = [];
  await readCapture(
    input,
    (f) => {
      out.push(
        `${f.index}:${f.tsMicros}:${f.linkType}:${Buffer.from(f.buf.subarray(f.offset, f.offset + f.capLen)).toString("hex")}`,
      );
    },
    stdin ? { stdin } : {},
  );
  return out;
}

async function reportJson(input: string, stdin?: Readable): Promise<string> {
  const path = input === "-" ? "-" : relative(ROOT, join(FIXTURES, input));
  const report = await analyzeCapture(path, { version: toolVersion(), ...(stdin ? { stdin } : {}) });
  return [...renderJson(report)].join("");
}

describe("capture sources", () => {
  it("detects gzip by its magic bytes and decompresses while streaming", async () => {
    const plain = await framesOf(join(FIXTURES, "ocs-sample.pcap"));
    expect(plain).toHaveLength(44);
    expect(await framesOf(join(FIXTURES, "ocs-sample.pcap.gz"))).toEqual(plain);
    expect(await framesOf(join(FIXTURES, "ocs-sample.pcapng.gz"))).toEqual(plain);
  });

  it("reads standard input, plain or compressed, whatever the chunk size", async () => {
    const plain = await framesOf(join(FIXTURES, "ocs-sample.pcap"));
    for (const name of [
      "ocs-sample.pcap",
      "ocs-sample.pcapng",
      "ocs-sample.pcap.gz",
      "ocs-sample.pcapng.gz",
    ]) {
      for (const size of [1, 7, 1 << 20]) {
        expect(await framesOf("-", chunked(fixture(name), size)), `${name} in ${size}-byte chunks`).toEqual(
          plain,
        );
      }
    }
  });

  it("names the format, with .gz for compressed input", async () => {
    const formats: string[] = [];
    for (const name of [
      "ocs-sample.pcap",
      "ocs-sample-ns.pcap",
      "ocs-sample.pcapng",
      "ocs-sample.pcap.gz",
      "ocs-sample.pcapng.gz",
    ]) {
      formats.push((await analyzeCapture(join(FIXTURES, name))).capture.format);
    }
    expect(formats).toEqual(["pcap", "pcap-ns", "pcapng", "pcap.gz", "pcapng.gz"]);
    const piped = await analyzeCapture("-", { stdin: chunked(fixture("ocs-sample.pcapng.gz"), 100) });
    expect([piped.capture.path, piped.capture.format]).toEqual([STDIN_LABEL, "pcapng.gz"]);
  });

  it("reports a gzip stream cut short after good packets, and rejects one cut before any", async () => {
    const cut = await analyzeCapture(join(FIXTURES, "malformed/gzip-cut.pcap.gz"));
    expect(cut.capture.packets).toBe(19);
    expect(cut.capture.warnings.map((w) => w.code)).toContain("truncated_gzip");
    await expect(analyzeCapture(join(FIXTURES, "malformed/gzip-cut-early.pcap.gz"))).rejects.toThrow(
      /gzip stream cut short at compressed byte 16, inside member 1.s deflate data, after 0 decompressed bytes, before any packet/,
    );
    await expect(
      analyzeCapture("-", { stdin: chunked(fixture("malformed/gzip-cut-early.pcap.gz"), 3) }),
    ).rejects.toBeInstanceOf(CaptureError);
  });

  it("rejects empty and unknown input from a stream as from a file", async () => {
    await expect(analyzeCapture("-", { stdin: chunked(new Uint8Array(0), 1) })).rejects.toThrow(/empty file/);
    await expect(
      analyzeCapture("-", { stdin: chunked(fixture("malformed/not-a-capture.txt"), 5) }),
    ).rejects.toThrow(/unknown magic number 54 68 69 73/);
  });
});

describe("one capture, every container", () => {
  it("gives identical reports for real traffic in pcap, nanosecond pcap and pcapng (editcap conversions)", async () => {
    const normalize = (json: string) => json.replace(/"path": ".*",\n/, "").replace(/"format": ".*",\n/, "");
    const base = normalize(await reportJson("recorded/ocs-real.pcap"));
    for (const name of ["recorded/ocs-real-ns.pcap", "recorded/ocs-real.pcapng"]) {
      expect(normalize(await reportJson(name)), name).toBe(base);
    }
  });

  it("gives byte-identical JSON reports apart from capture.format and capture.path", async () => {
    const normalize = (json: string) => json.replace(/"path": ".*",\n/, "").replace(/"format": ".*",\n/, "");
    const base = normalize(await reportJson("ocs-sample.pcap"));
    expect(base).toMatch(/"flows": 12,/);
    const variants: [string, Readable?][] = [
      ["ocs-sample-be.pcap"],
      ["ocs-sample-ns.pcap"],
      ["ocs-sample-be-ns.pcap"],
      ["ocs-sample.pcapng"],
      ["ocs-sample-be.pcapng"],
      ["ocs-sample-ns.pcapng"],
      ["ocs-sample.pcap.gz"],
      ["ocs-sample.pcapng.gz"],
      ["-", chunked(fixture("ocs-sample.pcap"), 7)],
      ["-", chunked(fixture("ocs-sample-be.pcapng"), 1)],
      ["-", chunked(fixture("ocs-sample.pcapng.gz"), 64)],
    ];
    for (const [name, stdin] of variants) {
      expect(normalize(await reportJson(name, stdin)), name).toBe(base);
    }
  });
});
