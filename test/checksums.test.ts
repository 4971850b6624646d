/**
 * TCP and UDP checksums (`--checksums`; RFC 9293 §3.1, RFC 768, RFC 8200 §8.1): a packet the
 * builders wrote with its right checksum passes, one byte changed fails, IPv4 UDP's 0 ("not
 * computed") passes, and a segment not captured whole is not judged. End to end, a bad one is
 * history letter C (c from the responder) on its flow and one `bad_checksums` warning with the count and the first
 * packet's offset, and nothing without `--checksums`.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ip, TcpConversation, udp, udpDatagram, writePcap } from "../fixtures/lib/packets.js";
import { analyzeCapture } from "../src/analyze.js";
import { Anomaly } from "../src/decode/anomaly.js";
import { badTransportChecksum } from "../src/decode/checksum.js";
import { decodeFrame } from "../src/decode/frame.js";
import { Packet } from "../src/decode/packet.js";

const ETHERNET = 1;
const T0 = Date.UTC(2024, 4, 14, 9, 0, 0) * 1000;

function bad(frame: Uint8Array): boolean {
  const pkt = new Packet();
  expect(decodeFrame(ETHERNET, frame, 0, frame.length, pkt)).toBe(Anomaly.OK);
  return badTransportChecksum(frame, pkt, pkt.transportOffset);
}

/** The frame with one payload byte changed. */
function flipped(frame: Uint8Array): Uint8Array {
  const out = Uint8Array.from(frame);
  out[out.length - 1]! ^= 0x40;
  return out;
}

describe("badTransportChecksum", () => {
  const v4udp = udp("10.1.0.20", 50000, "10.0.0.10", 5060, T0, "OPTIONS sip:x SIP/2.0\r\n\r\n").data;
  const v6udp = udp("2001:db8::20", 50000, "2001:db8::10", 5060, T0, "OPTIONS sip:x SIP/2.0\r\n\r\n").data;
  const v4tcp = new TcpConversation("10.1.0.20", 50001, "10.0.0.10", 5061, T0).handshake().data(true, "hello")
    .frames[3]!.data;
  const v6tcp = new TcpConversation("2001:db8::20", 50001, "2001:db8::10", 5061, T0)
    .handshake()
    .data(true, "odd").frames[3]!.data;

  it.each([
    ["UDP over IPv4", v4udp],
    ["UDP over IPv6", v6udp],
    ["TCP over IPv4", v4tcp],
    ["TCP over IPv6 (an odd length)", v6tcp],
  ])("%s: right passes, one byte changed fails", (_name, frame) => {
    expect(bad(frame)).toBe(false);
    expect(bad(flipped(frame))).toBe(true);
  });

  it("IPv4 UDP's checksum 0 means not computed and passes, whatever the payload", () => {
    const zero = flipped(ip("10.1.0.20", "10.0.0.10", 17, udpDatagram(50000, 5060, new Uint8Array(8))));
    const pkt = new Packet();
    decodeFrame(ETHERNET, zero, 0, zero.length, pkt);
    zero[pkt.transportOffset + 6] = 0;
    zero[pkt.transportOffset + 7] = 0;
    expect(bad(zero)).toBe(false);
  });

  it("a segment the capture cut short is not judged", () => {
    const cut = flipped(v4udp).subarray(0, v4udp.length - 4);
    expect(bad(cut)).toBe(false);
  });
});

describe("--checksums end to end", () => {
  it("marks the flow with history letter c and warns once, with the count and the first bad packet's offset", async () => {
    const good = udp("10.1.0.20", 50000, "10.0.0.10", 5060, T0, "OPTIONS sip:x SIP/2.0\r\n\r\n");
    const records = [
      good,
      { ...good, tsMicros: T0 + 1000, data: flipped(good.data) },
      { ...good, tsMicros: T0 + 2000, data: flipped(good.data) },
    ];
    const path = join(mkdtempSync(join(tmpdir(), "ocs-ck-")), "ck.pcap");
    writeFileSync(path, writePcap(records));
    const checked = await analyzeCapture(path, { version: "t", checksums: true });
    // Zeek's letter, upper case for the originator's packets.
    expect(checked.flows[0]!.history).toBe("DC");
    const w = checked.capture.warnings.filter((x) => x.code === "bad_checksums");
    // The second record: after the 24-byte file header, the first record's 16-byte header and frame.
    expect(w.map((x) => [x.offset, x.message.slice(0, 40)])).toEqual([
      [24 + 16 + good.data.length, "2 TCP/UDP packets have a bad checksum (-"],
    ]);
    const unchecked = await analyzeCapture(path, { version: "t" });
    expect(unchecked.flows[0]!.history).toBe("D");
    expect(unchecked.capture.warnings).toEqual([]);
  });
});
