import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ethernet, icmpMessage, ip, TcpConversation, writePcap } from "../fixtures/lib/packets.js";
import { analyzeCapture } from "../src/analyze.js";
import { decodeFrame } from "../src/decode/frame.js";
import { Packet } from "../src/decode/packet.js";
import { FlowTable } from "../src/flow/table.js";
import type { FlowRecord } from "../src/report/model.js";
import { reasonText } from "../src/report/reason-text.js";
import { runCli } from "./helpers/run.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures");
const real = await analyzeCapture(join(FIXTURES, "recorded/blocked-real.pcap"));
const built = await analyzeCapture(join(FIXTURES, "blocked-cases.pcap"));

const line = (f: FlowRecord) =>
  `${f.transport}/${f.serverPort} ${f.verdict} ${f.state} ${f.history} ${f.reasons.map((r) => r.code).join(",")}`;

describe("blocked-looking traffic recorded through nftables (fixtures/record.sh)", () => {
  it("gives each firewall behaviour its reason, state and history", () => {
    expect(real.flows.map(line)).toEqual([
      // drop: SYN_SENT with nothing back is S0; retransmitted SYNs share a sequence number, one S
      "tcp/5062 blocked S0 S syn_no_reply",
      // reject with tcp reset: the responder resets while the originator is in SYN_SENT, REJ
      "tcp/5063 blocked REJ Sr syn_rejected",
      // closed port: the kernel's reset, also REJ
      "tcp/5064 blocked REJ Sr syn_rejected",
      // reject with icmp admin-prohibited: the ICMP message is attached to the UDP flow (S0: only the originator sent)
      "udp/3478 blocked S0 D icmp_unreachable",
      // reset on the first data after an established handshake: RSTR, the responder sent no data
      "tcp/5065 blocked RSTR ShADr reset_after_handshake",
      // drop of UDP "media": two packets 1.2 s apart, nothing back; not RTP, so the media range does
      // not claim it (unknown), but the evidence still lists it among the blocked-looking groups
      "udp/60010 unknown S0 D media_range_only,udp_no_reply",
    ]);
    expect(reasonText(real.flows.find((f) => f.serverPort === 3478)!.reasons[0]!)).toMatch(
      /communication administratively prohibited, code 13\) from 10\.0\.0\.10: filtered by policy/,
    );
    expect(real.flows.some((f) => f.transport === "icmp")).toBe(false);
  });

  it("groups blocked flows by role, port and reason for the ticket reader", () => {
    // Most attempts first, then by port.
    expect(real.blocked.map((g) => g.summary)).toEqual([
      "Edge Server / Load balancer for Edge Servers 3478/udp: 1 attempt from 1 client, ICMP destination unreachable: filtered by policy",
      "Front End Servers / Edge Server / Load balancer for Edge Servers 5062/tcp: 1 attempt from 1 client, no reply (firewall drop?)",
      "Front End Servers 5063/tcp: 1 attempt from 1 client, answered by TCP reset (port closed, or a firewall rejecting)",
      "Front End Servers 5064/tcp: 1 attempt from 1 client, answered by TCP reset (port closed, or a firewall rejecting)",
      "Front End Servers / Load balancer for Front End Servers 5065/tcp: 1 attempt from 1 client, reset after the first data (a middlebox rejecting TLS or SIP?)",
      "Mediation Server 60010/udp: 1 attempt from 1 client, no reply (firewall drop?) (verdict: unknown)",
    ]);
    const g = real.blocked[1]!;
    expect(g.flows).toEqual([real.flows[0]!.id]);
    expect(g.lastSeen).toBeGreaterThan(g.firstSeen);
  });
});

describe("built cases (fixtures/blocked-cases.pcap)", () => {
  const byClientPort = new Map(built.flows.map((f) => [`${f.clientPort}`, f]));
  const cases: [string, string, string, RegExp][] = [
    ["45001", "blocked", "icmp_unreachable", /port unreachable, code 3\) from 10\.0\.0\.30: closed port/],
    ["45002", "blocked", "icmp_unreachable", /host unreachable, code 1\) from 10\.0\.0\.1: no route/],
    [
      "45003",
      "blocked",
      "icmp_unreachable",
      /host administratively prohibited, code 10\) from 10\.0\.0\.254: filtered by policy/,
    ],
    [
      "45004",
      "blocked",
      "icmp_unreachable",
      /ICMPv6 destination unreachable \(communication administratively prohibited, code 1\) from 2001:db8::fe: filtered/,
    ],
    [
      "45005",
      "blocked",
      "icmp_unreachable",
      /ICMPv6 destination unreachable \(port unreachable, code 4\) from 2001:db8::30: closed port/,
    ],
    ["45006", "blocked", "udp_no_reply", /^STUN\/TURN request, no reply$/],
    // Mid-stream with data both ways: the port works (issue 11), midstream is information.
    [
      "45007",
      "known",
      "midstream",
      /no SYN seen: the capture began after the connection opened \(both sides sent packets\)/,
    ],
    ["45008", "inconclusive", "one_sided_capture", /asymmetric path/],
    ["45012", "inconclusive", "near_capture_end", /the SYN was sent 1\.5 s before the capture ended/],
    ["45013", "inconclusive", "near_capture_end", /the request was sent 1\.0 s before the capture ended/],
  ];
  for (const [port, verdict, code, message] of cases) {
    it(`client port ${port}: ${verdict} (${code})`, () => {
      const f = byClientPort.get(port)!;
      expect(f.verdict).toBe(verdict);
      expect(f.reasons[0]!.code).toBe(code);
      expect(reasonText(f.reasons[0]!)).toMatch(message);
    });
  }

  it("attaches ICMP errors to the flows they quote instead of making ICMP flows", () => {
    expect(built.flows.filter((f) => f.transport.startsWith("icmp"))).toEqual([]);
    // The quoted SYN's flow carries both pieces of evidence.
    expect(byClientPort.get("45003")!.reasons.map((r) => r.code)).toEqual([
      "icmp_unreachable",
      "syn_no_reply",
    ]);
  });

  it("splits a reused 5-tuple and long-idle flows, as Zeek does", () => {
    const on = (port: number) =>
      built.flows.filter((f) => f.clientPort === port).map((f) => `${f.state}:${f.verdict}`);
    expect(on(45009)).toEqual(["SF:known", "SF:known"]); // closed, then a new SYN with a new sequence number
    expect(on(45010)).toEqual(["SF:known", "SF:known"]); // UDP idle 90 s > 60 s
    expect(on(45011)).toEqual(["S1:known", "OTH:known"]); // TCP idle 16 min > 15 min; the later part, mid-stream, has data both ways
    // The later part says it continues an earlier flow, not that the capture began late (UC scenario tester).
    const later = built.flows.filter((f) => f.clientPort === 45011)[1]!;
    expect(later.reasons.map((r) => [r.code, r.details])).toEqual([
      ["midstream", { bothSides: true, continues: true }],
    ]);
  });

  it("keeps long-idle flows together under longer timeouts", async () => {
    const relaxed = await analyzeCapture(join(FIXTURES, "blocked-cases.pcap"), {
      tcpTimeoutMicros: 1_200_000_000,
      udpTimeoutMicros: 120_000_000,
    });
    const on = (port: number) => relaxed.flows.filter((f) => f.clientPort === port).length;
    expect([on(45009), on(45010), on(45011)]).toEqual([2, 1, 1]);
  });

  it("counts the verdicts, inconclusive included", () => {
    expect(built.summary).toEqual({
      flows: 17,
      known: 7,
      unknown: 1,
      blocked: 6,
      misdirected: 0,
      inconclusive: 3,
      mediaFindings: 0,
    });
  });
});

describe("memory follows active flows", () => {
  it("ends closed connections as it goes, so the table holds only the active ones", () => {
    let ended = 0;
    let peak = 0;
    const table = new FlowTable({ likelyServerPort: () => false, onFinal: () => ended++ });
    const pkt = new Packet();
    let index = 0;
    for (let i = 0; i < 3000; i++) {
      // One short connection per second from a new client port, each closed cleanly.
      const c = new TcpConversation(
        "10.1.0.20",
        20000 + i,
        "10.0.0.10",
        5061,
        1_700_000_000_000_000 + i * 1_000_000,
      );
      for (const r of c.handshake().close().frames) {
        decodeFrame(1, r.data, 0, r.data.length, pkt);
        table.add(pkt, {
          buf: r.data,
          tsMicros: r.tsMicros,
          wireLen: r.data.length,
          index: ++index,
          fileOffset: 0,
          process: -1,
        });
        peak = Math.max(peak, table.size);
      }
    }
    table.finish();
    expect(ended).toBe(3000);
    expect(table.created).toBe(3000);
    // Closed connections end 5 s after their last packet (swept every 10 s of capture time).
    expect(peak).toBeLessThanOrEqual(20);
    expect(table.ended.closed).toBeGreaterThan(2900);
  });
});

describe("a capture of which no packet could be analysed", () => {
  it("warns nothing_analysed, naming the commonest skip reason, and --strict fails on it; one IP packet is enough to say nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ocs-nothing-"));
    const t = 1_700_000_000_000_000;
    // ARP (EtherType 0x0806) only: not IP, as a link layer hiding IP would look.
    const arp = [0, 1, 2].map((i) => ({ tsMicros: t + i, data: ethernet(new Uint8Array(28), 0x0806) }));
    const file = join(dir, "arp.pcap");
    writeFileSync(file, writePcap(arp));
    const report = await analyzeCapture(file, { version: "test" });
    expect(report.capture.warnings.map((w) => w.code)).toEqual(["nothing_analysed"]);
    expect(report.capture.warnings[0]!.message).toMatch(
      /^none of the capture's 3 packets were analysed \(the most: 3 non_ip\)/,
    );
    expect((await runCli("analyze", file, "--strict", "-f", "json")).code).toBe(65);
    const syn = new TcpConversation("10.1.0.20", 50000, "10.0.0.10", 5061, t + 5).syn().frames;
    writeFileSync(file, writePcap([...arp, ...syn]));
    expect((await analyzeCapture(file, { version: "test" })).capture.warnings).toEqual([]);
    // Malformed only (IPv4 headers cut at 10 bytes): named by the anomaly, counted among the packets.
    const cut = [0, 1].map((i) => ({
      tsMicros: t + i,
      data: ethernet(new Uint8Array(10).fill(0x45), 0x0800),
    }));
    writeFileSync(file, writePcap(cut));
    const malformed = await analyzeCapture(file, { version: "test" });
    expect(malformed.capture.warnings[0]!.message).toMatch(
      /^none of the capture's 2 packets were analysed \(the most: 2 ipv4\./,
    );
    // No packet at all: nothing to judge either.
    writeFileSync(file, writePcap([]));
    expect((await analyzeCapture(file, { version: "test" })).capture.warnings.map((w) => w.message)).toEqual([
      "the capture holds no packet, so the report has no flow to judge (a capture stopped before its first packet, or a capture filter that matched nothing)",
    ]);
  });
});

describe("a capture that holds one direction only (corpus ocs.pcap: every conversation outbound)", () => {
  const dir = mkdtempSync(join(tmpdir(), "ocs-one-way-"));
  const t = 1_700_000_000_000_000;
  /** SYNs, each retransmitted, to three servers; with `answered`, a fourth connection that completes. */
  const capture = (answered: boolean) => {
    const records = [0, 1, 2].flatMap((i) => {
      const c = new TcpConversation("10.1.0.20", 50000 + i, `10.0.0.${10 + i}`, 5061, t + i * 1_000_000);
      return c
        .syn()
        .at(t + i * 1_000_000 + 3_000_000)
        .syn().frames;
    });
    if (answered)
      records.push(
        ...new TcpConversation("10.1.0.20", 50009, "10.0.0.30", 443, t + 9_000_000).handshake().close()
          .frames,
      );
    const file = join(dir, `${answered ? "answered" : "outbound"}.pcap`);
    writeFileSync(file, writePcap(records.sort((a, b) => a.tsMicros - b.tsMicros)));
    return file;
  };

  it("warns one_way_capture: its no-reply findings may be replies it missed; --strict does not fail on it", async () => {
    const report = await analyzeCapture(capture(false), { version: "test" });
    expect(report.flows.map((f) => f.reasons.map((r) => r.code))).toEqual([
      ["syn_no_reply"],
      ["syn_no_reply"],
      ["syn_no_reply"],
    ]);
    expect(report.capture.warnings.map((w) => [w.code, w.offset])).toEqual([["one_way_capture", 0]]);
    expect(report.capture.warnings[0]!.message).toMatch(
      /^no flow of this capture has packets in both directions: 3 flows' findings rest on a reply that never came/,
    );
    const strict = await runCli("analyze", capture(false), "--strict", "-f", "json");
    expect(strict.code).toBe(0);
  });

  it("says nothing when the firewall's ICMP errors about the SYNs came back, or input filters chose the flows", async () => {
    const records = [0, 1, 2].flatMap((i) => {
      const syn = new TcpConversation(
        "10.1.0.20",
        50010 + i,
        `10.0.0.${20 + i}`,
        5061,
        t + i * 1_000_000,
      ).syn().frames[0]!;
      // ICMP host administratively prohibited (type 3, code 10) from the firewall, quoting the SYN.
      const quote = syn.data.subarray(14, 14 + 28);
      return [
        syn,
        { tsMicros: syn.tsMicros + 300, data: ip("10.0.0.254", "10.1.0.20", 1, icmpMessage(3, 10, quote)) },
      ];
    });
    const file = join(dir, "icmp-answered.pcap");
    writeFileSync(file, writePcap(records));
    const report = await analyzeCapture(file, { version: "test" });
    expect(report.flows.map((f) => f.reasons[0]?.code)).toEqual([
      "icmp_unreachable",
      "icmp_unreachable",
      "icmp_unreachable",
    ]);
    expect(report.capture.warnings).toEqual([]);
    const filtered = JSON.parse(
      (await runCli("analyze", capture(true), "--port", "5061", "-f", "json")).stdout,
    );
    expect(filtered.capture.warnings).toEqual([]);
  });

  it("says nothing when any flow got a packet back", async () => {
    const report = await analyzeCapture(capture(true), { version: "test" });
    expect(report.flows.filter((f) => f.reasons.some((r) => r.code === "syn_no_reply"))).toHaveLength(3);
    expect(report.capture.warnings).toEqual([]);
  });
});
