/**
 * Media in shapes real captures have (UC scenario tester):
 * - every packet twice (a SPAN port copying both directions of two ports, a
 *   teamed NIC): the verdicts of the capture without the copies. RTP is
 *   confirmed over its rising sequence numbers, and a copy, which repeats its
 *   number, neither steps nor breaks the run (duplicated media became "no
 *   reply (firewall drop?)");
 * - RTP one way whose peer answers with RTCP only: report blocks on the stream
 *   and no sender report (a gateway that hears the call and sends nothing: "the
 *   caller cannot be heard") is information `peer_receive_only`, where the
 *   report was clean; sender reports counting RTP that never arrived are
 *   `one_way_media`.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type PcapRecord,
  rtcpReceiverReport,
  rtcpSenderReport,
  rtp,
  udp,
  writePcap,
} from "../fixtures/lib/packets.js";
import { analyzeCapture } from "../src/analyze.js";
import { reasonText } from "../src/report/reason-text.js";

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

describe("RTP one way, the peer answering with RTCP only", () => {
  /** The Mediation Server's RTP (SSRC 0x3333) to a gateway for 4 s, and the gateway's RTCP from the next port, one a second. */
  function oneWay(
    rtcp: (i: number) => Uint8Array,
    ports = { med: 60020, gw: 16384 },
    ssrc = 0x3333,
  ): PcapRecord[] {
    const out: PcapRecord[] = [];
    for (let i = 0; i < 200; i++)
      out.push(
        udp("10.0.0.20", ports.med, "10.2.0.52", ports.gw, T0 + i * 20_000, rtp(1 + i, i * 160, ssrc)),
      );
    for (let i = 0; i < 4; i++)
      out.push(udp("10.2.0.52", ports.gw + 1, "10.0.0.20", ports.med + 1, T0 + i * 1_000_000 + 500, rtcp(i)));
    return out.sort((a, b) => a.tsMicros - b.tsMicros);
  }
  const codes = async (records: PcapRecord[], port = 16384) => {
    const f = (await analyze(records)).flows.find((x) => x.serverPort === port)!;
    return [f.verdict, f.reasons.map((x) => x.code)];
  };

  it("report blocks on the stream, no sender report: information, peer_receive_only (RFC 3550 §6.4.2)", async () => {
    const r = await analyze(oneWay((i) => rtcpReceiverReport(0x4444, 0x3333, 50 * i)));
    const media = r.flows.find((f) => f.serverPort === 16384)!;
    expect([media.verdict, media.reasons.map((x) => x.code)]).toEqual([
      "known",
      ["client_media", "peer_receive_only"],
    ]);
    // The evidence names the SSRC the peer's report blocks carry, as tshark shows it.
    expect(media.reasons[1]!.details).toMatchObject({ ssrc: 0x3333 });
    expect(reasonText(media.reasons[1]!)).toContain("rtcp.ssrc.identifier == 0x00003333");
  });

  // Hostile review of c248b4e: each of these was peer_receive_only.
  it("receiver reports without a report block (the peer hears nothing): not peer_receive_only", async () => {
    expect(await codes(oneWay(() => rtcpReceiverReport(0x4444)))).toEqual(["known", ["client_media"]]);
  });

  it("sender reports counting RTP the capture never saw: blocked, one_way_media", async () => {
    expect(await codes(oneWay((i) => rtcpSenderReport(0x4444, 50 * (i + 1))))).toEqual([
      "blocked",
      ["one_way_media", "client_media"],
    ]);
  });

  it("a receiver report first, sender reports after (every RTCP packet is read, not only the first)", async () => {
    const rtcp = (i: number) =>
      i === 0 ? rtcpReceiverReport(0x4444, 0x3333) : rtcpSenderReport(0x4444, 50 * i);
    expect(await codes(oneWay(rtcp))).toEqual(["blocked", ["one_way_media", "client_media"]]);
  });

  // Second hostile review (of 1f66973): a count read once, another session's SR, rtcp-mux RTP.
  it("a sender report whose count does not rise (a total from before a hold): not one_way_media", async () => {
    const rtcp = (i: number) =>
      i === 0 ? rtcpSenderReport(0x4444, 5000) : rtcpReceiverReport(0x4444, 0x3333, 50 * i);
    expect(await codes(oneWay(rtcp))).toEqual(["known", ["client_media", "peer_receive_only"]]);
    const still = (i: number) =>
      i < 2 ? rtcpSenderReport(0x4444, 5000) : rtcpReceiverReport(0x4444, 0x3333);
    expect(await codes(oneWay(still))).toEqual(["known", ["client_media", "peer_receive_only"]]);
  });

  it("another session's rising sender reports, the same SSRC (audio and video of one party), do not", async () => {
    // Video one way 60030 -> 16500, the peer's video RTCP receiver reports on it; the peer's audio
    // session (its own ports) carries sender reports whose block names the same SSRC.
    const video = oneWay((i) => rtcpReceiverReport(0x5555, 0x3333, 50 * i), { med: 60030, gw: 16500 });
    const audio: PcapRecord[] = [];
    for (let i = 0; i < 4; i++) {
      const sr = Uint8Array.from([
        ...rtcpSenderReport(0x6666, 50 * (i + 1)).subarray(0, 28),
        ...rtcpReceiverReport(0, 0x3333).subarray(8),
      ]);
      sr[0] = 0x81;
      sr[3] = 12;
      audio.push(udp("10.2.0.52", 16601, "10.0.0.20", 60041, T0 + i * 1_000_000 + 700, sr));
    }
    const records = [...video, ...audio].sort((a, b) => a.tsMicros - b.tsMicros);
    expect(await codes(records, 16500)).toEqual(["known", ["client_media", "peer_receive_only"]]);
  });

  it("RTP on the peer's side after an opening receiver report (rtcp-mux) is its stream", async () => {
    const out = oneWay((i) => rtcpSenderReport(0x4444, 50 * (i + 1)));
    // The same peer port also sends RTP to the Mediation Server's RTCP port, after its first report.
    for (let i = 0; i < 50; i++)
      out.push(
        udp("10.2.0.52", 16385, "10.0.0.20", 60021, T0 + 600_000 + i * 20_000, rtp(1 + i, i * 160, 0x4444)),
      );
    out.sort((a, b) => a.tsMicros - b.tsMicros);
    expect(await codes(out)).toEqual(["known", ["client_media"]]);
  });

  it("another call's receiver reports between the same hosts do not speak for this one", async () => {
    const held = oneWay((i) => rtcpReceiverReport(0x5555, 0x6666, 50 * i), { med: 60030, gw: 16500 }, 0x6666);
    const silent: PcapRecord[] = [];
    for (let i = 0; i < 200; i++)
      silent.push(
        udp("10.0.0.20", 60040, "10.2.0.52", 16600, T0 + i * 20_000 + 7, rtp(1 + i, i * 160, 0x7777)),
      );
    const records = [...held, ...silent].sort((a, b) => a.tsMicros - b.tsMicros);
    const r = await analyze(records);
    const of = (port: number) => r.flows.find((f) => f.serverPort === port)!.reasons.map((x) => x.code);
    expect(of(16500)).toContain("peer_receive_only");
    expect(of(16600)).not.toContain("peer_receive_only");
  });
});
