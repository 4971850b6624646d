/**
 * Media in shapes real captures have (UC scenario tester):
 * - every packet twice (a SPAN port copying both directions of two ports, a
 *   teamed NIC): the verdicts of the capture without the copies. RTP is
 *   confirmed over its rising sequence numbers, and a copy, which repeats its
 *   number, neither steps nor breaks the run (duplicated media became "no
 *   reply (firewall drop?)");
 * - RTP one way whose peer answers with RTCP receiver reports only (a gateway
 *   that hears the call and sends nothing: "the caller cannot be heard"):
 *   information `peer_receive_only`, where the report was clean.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type PcapRecord, rtcpReceiverReport, rtp, udp, writePcap } from "../fixtures/lib/packets.js";
import { analyzeCapture } from "../src/analyze.js";

const T0 = Date.UTC(2024, 4, 14, 9, 0, 0) * 1000;

/** A call between the Mediation Server and a gateway: RTP both ways, 20 ms apart. */
function call(copies: number): PcapRecord[] {
  const out: PcapRecord[] = [];
  for (let i = 0; i < 30; i++) {
    const t = T0 + i * 20_000;
    for (let c = 0; c < copies; c++) {
      out.push(udp("10.0.0.20", 60010, "10.2.0.50", 30000, t + c * 3, rtp(100 + i, i * 160, 0x1111)));
      out.push(
        udp("10.2.0.50", 30000, "10.0.0.20", 60010, t + 10_000 + c * 3, rtp(500 + i, i * 160, 0x2222)),
      );
    }
  }
  return out;
}

async function analyze(records: PcapRecord[]) {
  const path = join(mkdtempSync(join(tmpdir(), "ocs-dup-")), "call.pcap");
  writeFileSync(path, writePcap(records));
  return analyzeCapture(path, { version: "t" });
}

describe("duplicated packets", () => {
  it("RTP sent twice is still RTP, known both ways, as sent once", async () => {
    const once = await analyze(call(1));
    const twice = await analyze(call(2));
    const view = (r: typeof once) =>
      r.flows.map((f) => [f.verdict, f.application.protocol, f.reasons.map((x) => x.code)]);
    // Peer-to-peer-looking media on the gateway's port: known, with the reason that says so.
    expect(view(once)).toEqual([["known", "rtp", ["client_media"]]]);
    expect(view(twice)).toEqual(view(once));
    expect(twice.flows[0]!.packetsFromClient).toBe(60);
  });
});

describe("RTP one way, the peer answering with RTCP receiver reports only", () => {
  /** The Mediation Server's RTP to a gateway for 4 s, the gateway's RTCP (first part `pt`) on the next ports. */
  function oneWay(pt: number): PcapRecord[] {
    const out: PcapRecord[] = [];
    for (let i = 0; i < 200; i++)
      out.push(udp("10.0.0.20", 60020, "10.2.0.52", 16384, T0 + i * 20_000, rtp(1 + i, i * 160, 0x3333)));
    for (let i = 0; i < 4; i++) {
      const report = Uint8Array.from(rtcpReceiverReport(0x4444));
      report[1] = pt;
      out.push(udp("10.2.0.52", 16385, "10.0.0.20", 60021, T0 + i * 1_000_000 + 500, report));
    }
    return out.sort((a, b) => a.tsMicros - b.tsMicros);
  }

  it("is information, peer_receive_only (RFC 3550 §6.4.2: the peer receives and sends no RTP)", async () => {
    const r = await analyze(oneWay(201));
    const media = r.flows.find((f) => f.serverPort === 16384)!;
    expect([media.verdict, media.reasons.map((x) => x.code)]).toEqual([
      "known",
      ["client_media", "peer_receive_only"],
    ]);
  });

  it("not when the peer's RTCP opens with a sender report (it sends RTP, on a 5-tuple the capture missed)", async () => {
    const r = await analyze(oneWay(200));
    const media = r.flows.find((f) => f.serverPort === 16384)!;
    expect([media.verdict, media.reasons.map((x) => x.code)]).toEqual(["known", ["client_media"]]);
  });
});
