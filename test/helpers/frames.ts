/** Test helpers: collect frames from a reader as plain values (copied, since frames are reused). */
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import * as pcapParser from "pcap-parser";
import { PcapReader, type PcapReaderOptions } from "../../src/capture/pcap.js";

export interface FrameValue {
  index: number;
  tsMicros: number;
  capLen: number;
  wireLen: number;
  linkType: number;
  fileOffset: number;
  data: string;
}

/** Feeds `bytes` in chunks of `chunk` bytes (0 = all at once) and returns every frame. */
export function readFrames(
  bytes: Uint8Array,
  chunk = 0,
  options: PcapReaderOptions = {},
): { frames: FrameValue[]; reader: PcapReader } {
  const frames: FrameValue[] = [];
  const reader = new PcapReader((f) => {
    frames.push({
      index: f.index,
      tsMicros: f.tsMicros,
      capLen: f.capLen,
      wireLen: f.wireLen,
      linkType: f.linkType,
      fileOffset: f.fileOffset,
      data: Buffer.from(f.buf.subarray(f.offset, f.offset + f.capLen)).toString("hex"),
    });
  }, options);
  if (chunk <= 0) reader.push(bytes);
  else for (let at = 0; at < bytes.length; at += chunk) reader.push(bytes.subarray(at, at + chunk));
  reader.finish();
  return { frames, reader };
}

export interface OracleFrame {
  sec: number;
  frac: number;
  capLen: number;
  wireLen: number;
  data: string;
}

/** pcap-parser@0.2.1 as an oracle. It reads microsecond magic only, so nanosecond files get their magic swapped. */
export function oracleFrames(path: string): Promise<{ linkType: number; frames: OracleFrame[] }> {
  const bytes = Buffer.from(readFileSync(path));
  const magic = bytes.readUInt32LE(0);
  if (magic === 0xa1b23c4d) bytes.writeUInt32LE(0xa1b2c3d4, 0);
  if (magic === 0x4d3cb2a1) bytes.writeUInt32LE(0xd4c3b2a1, 0);
  return new Promise((resolve, reject) => {
    const frames: OracleFrame[] = [];
    let linkType = -1;
    const parser = pcapParser.parse(Readable.from([bytes]));
    parser.on("globalHeader", (h) => {
      linkType = h.linkLayerType;
    });
    parser.on("packet", (p) => {
      frames.push({
        sec: p.header.timestampSeconds,
        frac: p.header.timestampMicroseconds,
        capLen: p.header.capturedLength,
        wireLen: p.header.originalLength,
        data: p.data.toString("hex"),
      });
    });
    parser.on("error", reject);
    parser.on("end", () => resolve({ linkType, frames }));
  });
}
