/**
 * gzip input (RFC 1952): every packet decompressed before a fault is kept,
 * faults are warnings at their compressed offset, and the results agree with
 * zcat (bytes) and tshark (packets, recorded: helpers/oracle.ts) on the same files.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { crc32, deflateRawSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { Gunzip } from "../src/capture/gzip.js";
import { readCapture } from "../src/capture/source.js";
import { CaptureError } from "../src/capture/types.js";
import { ask } from "./helpers/oracle.js";
import { runCli } from "./helpers/run.js";

const ROOT = join(import.meta.dirname, "..");
const FIXTURES = join(ROOT, "fixtures");
const PLAIN = readFileSync(join(FIXTURES, "ocs-sample.pcap"));
const GZ = gzipSync(PLAIN, { level: 9 });
const PACKETS = 44;

const tmp = mkdtempSync(join(tmpdir(), "ocs-gzip-"));

/** Decompresses with our Gunzip, feeding `size`-byte chunks. */
async function gunzip(bytes: Uint8Array, size = 1 << 20): Promise<{ out: Buffer; codes: string[] }> {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
  let i = 1;
  const gz = new Gunzip(parts[0] ?? new Uint8Array(0), async () => parts[i++] ?? null);
  const out: Buffer[] = [];
  for await (const chunk of gz.chunks()) out.push(Buffer.from(chunk));
  return { out: Buffer.concat(out), codes: gz.faults.map((f) => f.code) };
}

interface Outcome {
  packets: number;
  codes: string[];
  error: string | null;
}

async function read(bytes: Uint8Array, chunk?: number): Promise<Outcome> {
  let packets = 0;
  try {
    let result: Awaited<ReturnType<typeof readCapture>>;
    if (chunk === undefined) {
      const file = join(tmp, "in.gz");
      writeFileSync(file, bytes);
      result = await readCapture(file, () => packets++);
    } else {
      const parts: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; at += chunk) parts.push(bytes.subarray(at, at + chunk));
      result = await readCapture("-", () => packets++, { stdin: Readable.from(parts) });
    }
    return { packets, codes: result.reader.warnings.map((w) => w.code), error: null };
  } catch (err) {
    if (err instanceof CaptureError) return { packets, codes: [], error: err.message };
    throw err;
  }
}

/** A gzip member with the optional header fields of RFC 1952 §2.3.1. */
function member(
  data: Uint8Array,
  opts: { name?: string; comment?: string; extra?: Uint8Array; hcrc?: boolean; badHcrc?: boolean } = {},
): Buffer {
  let flags = 0;
  const fields: Buffer[] = [];
  if (opts.extra) {
    flags |= 0x04;
    const len = Buffer.alloc(2);
    len.writeUInt16LE(opts.extra.length);
    fields.push(len, Buffer.from(opts.extra));
  }
  if (opts.name !== undefined) {
    flags |= 0x08;
    fields.push(Buffer.from(`${opts.name}\0`, "latin1"));
  }
  if (opts.comment !== undefined) {
    flags |= 0x10;
    fields.push(Buffer.from(`${opts.comment}\0`, "latin1"));
  }
  if (opts.hcrc) flags |= 0x02;
  let header = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 3]), ...fields]);
  if (opts.hcrc) {
    const c = Buffer.alloc(2);
    c.writeUInt16LE((crc32(header) & 0xffff) ^ (opts.badHcrc ? 1 : 0));
    header = Buffer.concat([header, c]);
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length % 2 ** 32, 4);
  return Buffer.concat([header, deflateRawSync(data), trailer]);
}

function withByte(bytes: Uint8Array, at: number, xor: number): Buffer {
  const b = Buffer.from(bytes);
  b[at]! ^= xor;
  return b;
}

const half = Math.floor(PLAIN.length / 2);
/** Files gzip(1) decompresses to exactly the capture, some with a warning. */
const READABLE: { name: string; bytes: Buffer; codes: string[]; zcat?: "refuses" }[] = [
  { name: "one member", bytes: GZ, codes: [] },
  {
    name: "two members splitting the capture mid-record",
    bytes: Buffer.concat([member(PLAIN.subarray(0, half)), member(PLAIN.subarray(half))]),
    codes: [],
  },
  {
    name: "every optional header field",
    bytes: member(PLAIN, { name: "x.pcap", comment: "ticket 4711", extra: new Uint8Array(300), hcrc: true }),
    codes: [],
  },
  {
    name: "trailing garbage",
    bytes: Buffer.concat([GZ, Buffer.from("GARBAGE\n")]),
    codes: ["gzip_trailing_data"],
  },
  // Zero padding (tar, some uploaders) is not garbage to gzip(1) either.
  { name: "trailing zeros", bytes: Buffer.concat([GZ, Buffer.alloc(512)]), codes: [] },
  { name: "bad CRC-32", bytes: withByte(GZ, GZ.length - 8, 0xff), codes: ["gzip_crc_mismatch"] },
  { name: "bad ISIZE", bytes: withByte(GZ, GZ.length - 4, 0x01), codes: ["gzip_length_mismatch"] },
  // gzip(1) refuses a bad header CRC outright; tshark reads every packet, and so do we, with a warning.
  {
    name: "bad header CRC-16",
    bytes: member(PLAIN, { hcrc: true, badHcrc: true }),
    codes: ["gzip_crc_mismatch"],
    zcat: "refuses",
  },
];

describe("gzip members (RFC 1952)", () => {
  it.each(READABLE)("$name: decompresses to the capture, as zcat does, with warnings $codes", async (row) => {
    const ours = await gunzip(row.bytes);
    expect(ours.out.equals(PLAIN)).toBe(true);
    expect(ours.codes).toEqual(row.codes);
    const zcat = spawnSync("gzip", ["-dc"], { input: row.bytes, maxBuffer: 1 << 24 });
    expect(zcat.stdout.equals(PLAIN)).toBe(row.zcat !== "refuses");
    // gzip(1) agrees that something is wrong exactly when we warn (exit 1 or 2).
    expect(zcat.status !== 0).toBe(row.codes.length > 0);
  });

  it.each(READABLE)("$name: every packet is read, in any chunking", async (row) => {
    for (const chunk of [undefined, 1, 7, 4096]) {
      const r = await read(row.bytes, chunk);
      expect([r.packets, r.codes, r.error], `chunk ${chunk}`).toEqual([PACKETS, row.codes, null]);
    }
  });

  it("a cut stream keeps every packet decompressed before the cut, at every cut point", async () => {
    let previous = 0;
    for (let len = 0; len < GZ.length; len++) {
      const r = await read(GZ.subarray(0, len), 64);
      expect(r.packets, `cut at ${len}`).toBeGreaterThanOrEqual(previous);
      previous = r.packets;
      if (r.error === null) expect(r.codes, `cut at ${len}`).toContain("truncated_gzip");
      else expect(r.packets).toBe(0);
    }
    // A cut inside the trailer loses no data: every packet, and a warning that it was not checked.
    const inTrailer = await read(GZ.subarray(0, GZ.length - 3));
    expect([inTrailer.packets, inTrailer.codes]).toEqual([PACKETS, ["truncated_gzip"]]);
  });

  it("corrupt deflate data: the packets before it, and a warning at its compressed offset", async () => {
    const bytes = readFileSync(join(FIXTURES, "malformed/gzip-corrupt.pcap.gz"));
    const ours = await gunzip(bytes);
    expect(ours.codes).toEqual(["corrupt_gzip"]);
    // Whatever zlib wrote before finding the fault is delivered: it is a prefix of gzip(1)'s output.
    const zcat = spawnSync("gzip", ["-dc"], { input: bytes, maxBuffer: 1 << 24 }).stdout;
    expect(ours.out.length).toBeGreaterThan(0);
    expect(zcat.subarray(0, ours.out.length).equals(ours.out)).toBe(true);
    let packets = 0;
    const result = await readCapture(join(FIXTURES, "malformed/gzip-corrupt.pcap.gz"), () => packets++).catch(
      (e: unknown) => e,
    );
    // The garbage zlib decoded before the fault stops the pcap reader first; the gzip warning is still there.
    expect(result).toBeInstanceOf(CaptureError);
    expect((result as CaptureError).afterPackets).toBe(true);
    expect(packets).toBe(11);
  });

  it("refuses what gzip(1) refuses before any data: bad method, reserved flags, an endless name", async () => {
    const method = withByte(GZ, 2, 8 ^ 7);
    const reserved = withByte(GZ, 3, 0x20);
    const endless = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3]),
      Buffer.alloc(70_000, 0x41),
    ]);
    expect((await read(method)).error).toMatch(/compression method 7 at compressed byte 2 is not deflate/);
    expect((await read(reserved)).error).toMatch(/reserved flag bits \(0x20\)/);
    expect((await read(endless)).error).toMatch(/file name over 65536 bytes/);
    for (const bytes of [method, reserved]) {
      expect(spawnSync("gzip", ["-dc"], { input: bytes }).status).toBe(1);
    }
  });

  it("a second member with a broken header stops there, keeping the first member's packets", async () => {
    const first = member(PLAIN);
    const bytes = Buffer.concat([first, withByte(first, 2, 8 ^ 7)]);
    const ours = await gunzip(bytes);
    expect(ours.out.equals(PLAIN)).toBe(true);
    expect(ours.codes).toEqual(["corrupt_gzip"]);
  });

  it("never throws anything but CaptureError on damaged gzip, and never reads more packets than the capture has", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(GZ.length - 1), xor: fc.integer({ min: 1, max: 255 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.integer({ min: 1, max: 300 }),
        async (flips, chunk) => {
          const b = Buffer.from(GZ);
          for (const f of flips) b[f.at]! ^= f.xor;
          const r = await read(b, chunk);
          expect(r.packets).toBeLessThanOrEqual(PACKETS + 5);
        },
      ),
      { numRuns: 150 },
    );
  });
});

const AGAINST_TSHARK: [string, string[]][] = [
  ["malformed/gzip-trailing.pcap.gz", ["gzip_trailing_data"]],
  ["malformed/gzip-bad-crc.pcap.gz", ["gzip_crc_mismatch"]],
  ["malformed/gzip-corrupt.pcap.gz", ["corrupt_gzip", "unreadable_record"]],
  ["malformed/gzip-cut.pcap.gz", ["truncated_gzip", "truncated_record"]],
  ["ocs-sample.pcap.gz", []],
];

/** How many packets tshark reads from a file (it exits 2 after printing the packets of a damaged file). */
async function tsharkPackets(file: string): Promise<number> {
  const r = await ask("tshark", ["-r", file, "-T", "fields", "-e", "frame.number"]);
  return r.stdout.split("\n").filter((l) => l !== "").length;
}

describe("gzip fixtures against tshark (answers recorded, see helpers/oracle.ts)", () => {
  // Run live, tshark takes about a second to start: all of them at once, side by side.
  const counts = new Map<string, Promise<number>>();
  beforeAll(() => {
    for (const [name] of AGAINST_TSHARK) {
      const p = tsharkPackets(join(FIXTURES, name));
      p.catch(() => undefined); // awaited by its test
      counts.set(name, p);
    }
  });

  it.each(AGAINST_TSHARK)("%s: the same packets as tshark, warnings %j", async (name, codes) => {
    const out = await runCli("analyze", join(FIXTURES, name), "-f", "json");
    expect(out.code).toBe(0);
    const capture = JSON.parse(out.stdout).capture as { packets: number; warnings: { code: string }[] };
    expect(capture.packets).toBe(await counts.get(name));
    expect(capture.warnings.map((w) => w.code)).toEqual(codes);
  });
});
