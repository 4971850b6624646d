import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { udp, writePcap } from "../fixtures/lib/packets.js";
import { PcapReader } from "../src/capture/pcap.js";
import { PcapngReader } from "../src/capture/pcapng.js";
import { createReader } from "../src/capture/source.js";
import { CaptureError } from "../src/capture/types.js";
import { oracleFrames, readFrames } from "./helpers/frames.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures");

/** Every classic pcap fixture pcap-parser can read (it drops cut tails silently, so truncated.pcap is left out). */
function classicPcapFixtures(): string[] {
  return ["", "recorded"].flatMap((dir) =>
    readdirSync(join(FIXTURES, dir))
      .filter((name) => name.endsWith(".pcap") && name !== "truncated.pcap")
      .map((name) => join(FIXTURES, dir, name)),
  );
}

describe("classic pcap reader", () => {
  it("has fixtures to check", () => {
    expect(classicPcapFixtures().length).toBeGreaterThanOrEqual(12);
  });

  for (const path of classicPcapFixtures()) {
    it(`agrees packet for packet with pcap-parser on ${path.split("/").pop()}`, async () => {
      const bytes = readFileSync(path);
      const ours = readFrames(bytes);
      const oracle = await oracleFrames(path);
      const nano = ours.reader.info?.format === "pcap-ns";
      expect(ours.frames.length).toBe(oracle.frames.length);
      expect(ours.reader.info?.linkType).toBe(oracle.linkType);
      ours.frames.forEach((f, i) => {
        const o = oracle.frames[i]!;
        expect(f.capLen).toBe(o.capLen);
        expect(f.wireLen).toBe(o.wireLen);
        expect(f.data).toBe(o.data);
        expect(f.tsMicros).toBe(o.sec * 1_000_000 + (nano ? Math.floor(o.frac / 1000) : o.frac));
      });
    });
  }

  it("reads the same frames from little- and big-endian, micro- and nanosecond files", () => {
    const variants = [
      "ocs-sample.pcap",
      "ocs-sample-be.pcap",
      "ocs-sample-ns.pcap",
      "ocs-sample-be-ns.pcap",
    ].map((name) => readFrames(readFileSync(join(FIXTURES, name))));
    const formats = variants.map((v) => `${v.reader.info?.format}/${v.reader.info?.byteOrder}`);
    expect(formats).toEqual(["pcap/little", "pcap/big", "pcap-ns/little", "pcap-ns/big"]);
    for (const v of variants.slice(1)) expect(v.frames).toEqual(variants[0]!.frames);
  });

  it("gives identical frames whatever the chunk size", () => {
    const bytes = readFileSync(join(FIXTURES, "ocs-sample.pcap"));
    const whole = readFrames(bytes).frames;
    expect(whole.length).toBe(44);
    for (const chunk of [1, 7, 16, 24, 25, 1000]) expect(readFrames(bytes, chunk).frames).toEqual(whole);
  });

  it("does not depend on chunk boundaries (property)", () => {
    const bytes = readFileSync(join(FIXTURES, "tcp-states.pcap"));
    const whole = readFrames(bytes).frames;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 40 }), (sizes) => {
        const frames: string[] = [];
        const reader = new PcapReader((f) => frames.push(`${f.index}:${f.fileOffset}:${f.capLen}`));
        let at = 0;
        let i = 0;
        while (at < bytes.length) {
          const n = sizes[i++ % sizes.length]!;
          reader.push(bytes.subarray(at, at + n));
          at += n;
        }
        reader.finish();
        expect(frames).toEqual(whole.map((f) => `${f.index}:${f.fileOffset}:${f.capLen}`));
      }),
      { numRuns: 60 },
    );
  });

  it("keeps a fixed window: a file many times the window streams through it", () => {
    const records = Array.from({ length: 3000 }, (_, i) =>
      udp("10.1.0.1", 40000 + (i % 50), "10.0.0.10", 3478, 1_700_000_000_000_000 + i, new Uint8Array(400)),
    );
    const bytes = writePcap(records);
    let count = 0;
    const reader = new PcapReader(() => count++, { chunkLen: 4096, maxRecordLen: 2048 });
    const window = reader.writable().buf;
    for (let at = 0; at < bytes.length; at += 4096) reader.push(bytes.subarray(at, at + 4096));
    reader.finish();
    expect(bytes.length).toBeGreaterThan(window.length * 100);
    expect(count).toBe(3000);
    // The window never grew: it is the same buffer of the same size.
    expect(reader.writable().buf).toBe(window);
    expect(window.length).toBe(4096 + 2048 + 16 + 64);
  });

  it("numbers frames from 1 and records each record's byte offset", () => {
    const { frames } = readFrames(readFileSync(join(FIXTURES, "ocs-sample.pcap")));
    expect(frames[0]!.index).toBe(1);
    expect(frames[0]!.fileOffset).toBe(24);
    expect(frames[1]!.fileOffset).toBe(24 + 16 + frames[0]!.capLen);
  });
});

describe("bad input", () => {
  const read = (name: string) => readFileSync(join(FIXTURES, name));

  function captureError(bytes: Uint8Array): CaptureError {
    try {
      readFrames(bytes);
    } catch (err) {
      if (err instanceof CaptureError) return err;
      throw err;
    }
    throw new Error("expected a CaptureError");
  }

  it("rejects an empty file at offset 0", () => {
    const err = captureError(read("malformed/empty.pcap"));
    expect(err.message).toMatch(/empty file/);
    expect(err.offset).toBe(0);
    expect(err.afterPackets).toBe(false);
  });

  it("rejects a file that is not a capture, naming its magic", () => {
    const err = captureError(read("malformed/not-a-capture.txt"));
    expect(err.message).toMatch(/not a capture file: unknown magic number 54 68 69 73/);
    expect(err.offset).toBe(0);
  });

  it("rejects a header cut short", () => {
    const err = captureError(read("malformed/short-header.pcap"));
    expect(err.message).toMatch(/inside the 24-byte pcap file header/);
  });

  it("rejects an unsupported version at the version field's offset", () => {
    const err = captureError(read("malformed/bad-version.pcap"));
    expect(err.message).toMatch(/unsupported pcap version 3\.4/);
    expect(err.offset).toBe(4);
  });

  it("chooses the reader by magic bytes, not by file name", () => {
    const sink = () => {};
    expect(createReader(read("ocs-sample.pcapng").subarray(0, 4), sink)).toBeInstanceOf(PcapngReader);
    expect(createReader(read("ocs-sample-be.pcap").subarray(0, 4), sink)).toBeInstanceOf(PcapReader);
    expect(createReader(read("ocs-sample-ns.pcap").subarray(0, 4), sink)).toBeInstanceOf(PcapReader);
    expect(() => createReader(read("malformed/not-a-capture.txt").subarray(0, 4), sink)).toThrow(
      /unknown magic number 54 68 69 73 \(expected pcap, pcapng or Network Monitor, or pcap or pcapng gzip-compressed\)/,
    );
    expect(() => createReader(new Uint8Array(2), sink)).toThrow(/only 2 bytes long/);
  });

  it("stops at a record whose length is over the cap, after delivering the records before it", () => {
    const frames: number[] = [];
    const reader = new PcapReader((f) => frames.push(f.index));
    let err: unknown;
    try {
      reader.push(read("malformed/huge-record.pcap"));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CaptureError);
    expect((err as CaptureError).afterPackets).toBe(true);
    expect((err as CaptureError).message).toMatch(
      /claims 2147483647 captured bytes, over the 262144-byte limit/,
    );
    expect(frames).toEqual([1, 2]);
  });

  it("reports a record cut at the end of the file as a warning, keeping every complete packet", () => {
    const { frames, reader } = readFrames(read("truncated.pcap"));
    expect(frames.length).toBe(43);
    expect(reader.warnings).toHaveLength(1);
    expect(reader.warnings[0]!.code).toBe("truncated_record");
    expect(reader.warnings[0]!.offset).toBe(4390);
    expect(reader.warnings[0]!.message).toMatch(/record cut short \(12 of 42 bytes\)/);
  });

  it("swaps incl_len and orig_len back in version 2.0-2.2 files, as Wireshark does, and only there", () => {
    const rec = udp("10.1.0.1", 1, "10.0.0.1", 2, 0, new Uint8Array(10));
    const bytes = writePcap([{ ...rec, wireLen: 1500 }]);
    const view = new DataView(bytes.buffer);
    // Write the lengths the old way round: incl_len holds the wire length.
    view.setUint32(24 + 8, 1500, true);
    view.setUint32(24 + 12, rec.data.length, true);
    view.setUint16(6, 2, true); // version 2.2
    const old = readFrames(bytes);
    expect(old.frames.map((f) => [f.capLen, f.wireLen])).toEqual([[rec.data.length, 1500]]);
    view.setUint16(6, 4, true); // version 2.4: lengths are taken as written, so the record runs past the end
    const current = readFrames(bytes);
    expect(current.frames).toHaveLength(0);
    expect(current.reader.warnings[0]!.message).toMatch(/record cut short \(52 of 1500 bytes\)/);
  });

  it("counts records longer than the snaplen or than their wire length without stopping", () => {
    const rec = udp("10.1.0.1", 1, "10.0.0.1", 2, 0, new Uint8Array(100));
    const bytes = writePcap([{ ...rec, wireLen: 60 }], { snapLen: 96 });
    const { frames, reader } = readFrames(bytes);
    expect(frames).toHaveLength(1);
    expect(reader.anomalies).toEqual({ caplen_exceeds_snaplen: 1, caplen_exceeds_wirelen: 1 });
  });

  it("never throws anything but CaptureError and never loops, on any bytes (property)", () => {
    const sample = read("ocs-sample.pcap");
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.integer({ min: 0, max: 600 }),
        fc.boolean(),
        (noise, cut, keepHeader) => {
          const bytes = keepHeader
            ? Uint8Array.from([...sample.subarray(0, Math.min(cut, sample.length)), ...noise])
            : noise;
          let frames = 0;
          try {
            const reader = new PcapReader(() => frames++, { maxRecordLen: 4096 });
            reader.push(bytes);
            reader.finish();
          } catch (err) {
            expect(err).toBeInstanceOf(CaptureError);
          }
          expect(frames).toBeLessThanOrEqual(bytes.length / 16);
        },
      ),
      { numRuns: 300 },
    );
  });
});
