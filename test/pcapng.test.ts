import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { writePcapng } from "../fixtures/lib/pcapng.js";
import { PcapngReader, timestampMicros } from "../src/capture/pcapng.js";
import { CaptureError } from "../src/capture/types.js";
import { readFrames } from "./helpers/frames.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures");
const T0 = Date.UTC(2024, 4, 14, 9, 0, 0) * 1000;
const S = 1_000_000;

interface NgFrame {
  index: number;
  tsMicros: number;
  capLen: number;
  wireLen: number;
  linkType: number;
  fileOffset: number;
  data: string;
}

function readNg(
  bytes: Uint8Array,
  chunk = 0,
  chunkLen?: number,
): { frames: NgFrame[]; reader: PcapngReader } {
  const frames: NgFrame[] = [];
  const reader = new PcapngReader(
    (f) =>
      frames.push({
        index: f.index,
        tsMicros: f.tsMicros,
        capLen: f.capLen,
        wireLen: f.wireLen,
        linkType: f.linkType,
        fileOffset: f.fileOffset,
        data: Buffer.from(f.buf.subarray(f.offset, f.offset + f.capLen)).toString("hex"),
      }),
    chunkLen === undefined ? {} : { chunkLen },
  );
  if (chunk <= 0) reader.push(bytes);
  else for (let at = 0; at < bytes.length; at += chunk) reader.push(bytes.subarray(at, at + chunk));
  reader.finish();
  return { frames, reader };
}

const fixture = (name: string) => readFileSync(join(FIXTURES, name));
const withoutOffset = (frames: { fileOffset: number }[]) => frames.map(({ fileOffset: _o, ...rest }) => rest);

describe("pcapng reader", () => {
  it("reads the same frames as the classic pcap of the same packets, in either byte order and resolution", () => {
    const pcap = withoutOffset(readFrames(fixture("ocs-sample.pcap")).frames);
    expect(pcap).toHaveLength(44);
    for (const name of ["ocs-sample.pcapng", "ocs-sample-be.pcapng", "ocs-sample-ns.pcapng"]) {
      expect(withoutOffset(readNg(fixture(name)).frames), name).toEqual(pcap);
    }
  });

  it("gives identical frames whatever the chunk size", () => {
    for (const name of ["ocs-sample-be.pcapng", "pcapng-features.pcapng", "link-types.pcapng"]) {
      const whole = readNg(fixture(name)).frames;
      expect(whole.length).toBeGreaterThan(10);
      for (const chunk of [1, 7, 13, 100])
        expect(readNg(fixture(name), chunk).frames, `${name} by ${chunk}`).toEqual(whole);
    }
  });

  it("reads sections of both byte orders, interface options, and every packet block kind", () => {
    const { frames, reader } = readNg(fixture("pcapng-features.pcapng"));
    expect(reader.sections).toBe(3);
    expect(reader.linkTypes()).toEqual([1, 228, 276]);
    expect(frames).toHaveLength(7 + 7 + 2 + 7);
    // Section 1, if_tsresol 2^-20: 200 µs is 209.7 units, written as 209, read back as 199.317 µs.
    expect(frames[1]!.tsMicros - T0).toBe(199);
    // Section 2 (big-endian), if_tsresol 10^-9 and if_tsoffset 3600 s: back on the true time.
    expect(frames[7]!.tsMicros).toBe(T0 + 10 * S);
    expect(frames[7]!.linkType).toBe(228);
    // Obsolete Packet Blocks on interface 1 (Ethernet).
    expect(frames.slice(14, 16).map((f) => [f.linkType, f.tsMicros - T0])).toEqual([
      [1, 30 * S],
      [1, 31 * S + 200],
    ]);
    // Section 3: Simple Packet Blocks on SLL2 carry no timestamp; they take the last one seen.
    expect(frames.slice(16).every((f) => f.linkType === 276 && f.tsMicros === frames[15]!.tsMicros)).toBe(
      true,
    );
  });

  it("mixes link types by interface in one capture", () => {
    const { frames, reader } = readNg(fixture("link-types.pcapng"));
    expect(reader.linkTypes()).toEqual([1, 113, 276, 101, 12, 14, 228, 0, 108, 285, 229]);
    expect(new Set(frames.map((f) => f.linkType)).size).toBe(11);
  });

  it("numbers frames as Wireshark does: Systemd Journal Export and Custom Blocks take a number, other blocks none", () => {
    // tshark 4.0 lists this file as frames 1 (packet), 2 (systemd_journal), 3 (packet), 4 (custom
    // block, "data"), 5 and 6 (packets), …; the Decryption Secrets, Interface Statistics and Name
    // Resolution Blocks take no frame number.
    const big = new Uint8Array(300_000).fill(7);
    const pkt = new Uint8Array(60);
    const bytes = writePcapng([
      {
        blocks: [
          { kind: "idb", iface: { linkType: 1 } },
          { kind: "epb", iface: 0, tsMicros: T0, data: pkt },
          { kind: "raw", type: 9, body: new TextEncoder().encode("MESSAGE=hello\n\n\0\0") },
          { kind: "epb", iface: 0, tsMicros: T0 + 1, data: pkt },
          { kind: "raw", type: 0x40000bad, body: Uint8Array.from([0, 0, 0x7e, 0x32, 1, 2, 3, 4]) },
          { kind: "epb", iface: 0, tsMicros: T0 + 2, data: pkt },
          {
            kind: "raw",
            type: 0x0a,
            body: Uint8Array.from([0x4b, 0x53, 0x4c, 0x54, 4, 0, 0, 0, 1, 2, 3, 4]),
          },
          { kind: "raw", type: 5, body: new Uint8Array(16) },
          { kind: "raw", type: 4, body: new Uint8Array(4) },
          { kind: "epb", iface: 0, tsMicros: T0 + 3, data: pkt },
          // A custom block larger than the reader's window is streamed past, and still numbered.
          { kind: "raw", type: 0x00000bad, body: big },
          { kind: "epb", iface: 0, tsMicros: T0 + 4, data: pkt },
          // A Sysdig event block: tshark 4.0 numbers it (so 0x216 and 0x221, its later forms).
          { kind: "raw", type: 0x204, body: new Uint8Array(40) },
          { kind: "epb", iface: 0, tsMicros: T0 + 5, data: pkt },
        ],
      },
    ]);
    expect(readNg(bytes).frames.map((f) => f.index)).toEqual([1, 3, 5, 6, 8, 10]);
    expect(readNg(bytes, 1000).frames.map((f) => f.index)).toEqual([1, 3, 5, 6, 8, 10]);
  });

  it("streams past a non-packet block larger than its window and still checks its trailer", () => {
    const huge = new Uint8Array(200_000).fill(7);
    const build = (trailerDelta: number) => {
      const bytes = writePcapng([
        {
          blocks: [
            { kind: "idb", iface: { linkType: 1 } },
            { kind: "raw", type: 0x40000bad, body: huge },
            { kind: "epb", iface: 0, tsMicros: T0, data: new Uint8Array(60) },
          ],
        },
      ]);
      const at = 28 + 20; // after the SHB and IDB
      const len = new DataView(bytes.buffer).getUint32(at + 4, true);
      new DataView(bytes.buffer).setUint32(at + len - 4, len + trailerDelta, true);
      return bytes;
    };
    const small = { maxRecordLen: 1024 };
    const frames: number[] = [];
    const reader = new PcapngReader((f) => frames.push(f.capLen), { ...small, chunkLen: 4096 });
    const ok = build(0);
    for (let at = 0; at < ok.length; at += 4096) reader.push(ok.subarray(at, at + 4096));
    reader.finish();
    expect(frames).toEqual([60]);
    const bad = new PcapngReader(() => {}, { ...small, chunkLen: 4096 });
    expect(() => bad.push(build(4))).toThrow(
      /block at offset 48: trailing length 200016 differs from leading length 200012/,
    );
  });

  it("rejects blocks that break the format, naming the offset", () => {
    const cases: [string, RegExp, number][] = [
      ["malformed/pcapng-epb-before-idb.pcapng", /refers to interface 0, but only 0 interface\(s\)/, 36],
      ["malformed/pcapng-version.pcapng", /unsupported pcapng version 2\.0/, 12],
    ];
    for (const [name, message, offset] of cases) {
      let err: unknown;
      try {
        readNg(fixture(name));
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(CaptureError);
      expect((err as CaptureError).message).toMatch(message);
      expect((err as CaptureError).offset).toBe(offset);
      expect((err as CaptureError).afterPackets).toBe(false);
    }
  });

  it("stops after good packets at a block whose lengths disagree, is misaligned, or names a missing interface", () => {
    const cases: [string, RegExp][] = [
      [
        "malformed/pcapng-length-mismatch.pcapng",
        /block at offset 224: trailing length 92 differs from leading length 88/,
      ],
      ["malformed/pcapng-misaligned.pcapng", /block at offset 224: length 90 is not a multiple of 4/],
      [
        "malformed/pcapng-no-interface.pcapng",
        /refers to interface 1, but only 1 interface\(s\) are described/,
      ],
    ];
    for (const [name, message] of cases) {
      const frames: number[] = [];
      const reader = new PcapngReader((f) => frames.push(f.index));
      let err: unknown;
      try {
        reader.push(fixture(name));
      } catch (e) {
        err = e;
      }
      expect((err as CaptureError).message, name).toMatch(message);
      expect((err as CaptureError).afterPackets).toBe(true);
      expect(frames).toEqual([1, 2]);
    }
  });

  it("warns about a block cut short at the end, keeping the packets before it", () => {
    const { frames, reader } = readNg(fixture("malformed/pcapng-truncated.pcapng"));
    expect(frames).toHaveLength(4);
    expect(reader.warnings.map((w) => [w.code, w.offset])).toEqual([["truncated_block", 408]]);
  });

  it("rejects an empty stream and one that ends inside the first section header", () => {
    expect(() => readNg(new Uint8Array(0))).toThrow(/empty file/);
    expect(() => readNg(fixture("ocs-sample.pcapng").subarray(0, 20))).toThrow(
      /inside the first section header block/,
    );
  });

  it("never throws anything but CaptureError, and never delivers bytes outside a block (property)", () => {
    const base = fixture("pcapng-features.pcapng");
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
        fc.nat(base.length),
        (edits, cut) => {
          const b = Uint8Array.from(base.subarray(0, cut));
          for (const [at, v] of edits) if (at < b.length) b[at] = v;
          try {
            const reader = new PcapngReader(
              (f) => {
                expect(f.offset + f.capLen).toBeLessThanOrEqual(b.length + 64);
              },
              { maxRecordLen: 4096, chunkLen: 1024 },
            );
            reader.push(b);
            reader.finish();
          } catch (err) {
            expect(err).toBeInstanceOf(CaptureError);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("timestamps", () => {
  const reference = (high: number, low: number, unitsPerSecond: bigint, offsetSeconds: number) => {
    const units = (BigInt(high) << 32n) | BigInt(low);
    return Number((units * 1_000_000n) / unitsPerSecond + BigInt(offsetSeconds) * 1_000_000n);
  };

  it("converts exactly for every decimal and power-of-two resolution (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 9 }).map((n) => 10n ** BigInt(n)),
          fc.integer({ min: 0, max: 32 }).map((n) => 2n ** BigInt(n)),
          fc.integer({ min: 10, max: 15 }).map((n) => 10n ** BigInt(n)),
        ),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: -86_400, max: 86_400 }),
        (ups, high, low, offset) => {
          const want = reference(high, low, ups, offset);
          fc.pre(Math.abs(want) < 2 ** 53);
          expect(timestampMicros(high, low, { unitsPerSecond: Number(ups), offsetSeconds: offset })).toBe(
            want,
          );
        },
      ),
      { numRuns: 3000 },
    );
  });
});
