import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type PcapRecord, TcpConversation, udp } from "../fixtures/lib/packets.js";
import { analyzeCapture } from "../src/analyze.js";
import { decodeFrame } from "../src/decode/frame.js";
import { Packet } from "../src/decode/packet.js";
import { FlowTable, type FlowTableOptions } from "../src/flow/table.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures");

/** What a test reads of a flow, copied while the view is valid. */
interface Snapshot {
  id: number;
  origPackets: number;
  respPackets: number;
  origBytes: number;
  origPort: number;
  respPort: number;
  first: number;
  last: number;
  origFlags: number;
  respFlags: number;
  origSyns: number;
  flipped: boolean;
  history: string;
  state: string;
  reason: string;
}

/**
 * Runs records through decode and a flow table where 5061/tcp and 3478/udp
 * are likely server ports; returns every flow as it ended, in that order.
 */
function flows(records: PcapRecord[], options: Partial<FlowTableOptions> = {}): Snapshot[] {
  const out: Snapshot[] = [];
  const table = new FlowTable({
    likelyServerPort: (proto, port) => (proto === 6 && port === 5061) || (proto === 17 && port === 3478),
    onFinal: (f, reason) =>
      out.push({
        id: f.id,
        origPackets: f.origPackets,
        respPackets: f.respPackets,
        origBytes: f.origBytes,
        origPort: f.origPort,
        respPort: f.respPort,
        first: f.first,
        last: f.last,
        origFlags: f.origFlags,
        respFlags: f.respFlags,
        origSyns: f.origSyns,
        flipped: f.flipped,
        history: f.history(),
        state: f.connState(),
        reason,
      }),
    ...options,
  });
  const pkt = new Packet();
  records.forEach((r, i) => {
    expect(decodeFrame(1, r.data, 0, r.data.length, pkt)).toBe(0);
    table.add(pkt, {
      buf: r.data,
      tsMicros: r.tsMicros,
      wireLen: r.data.length,
      index: i + 1,
      fileOffset: 0,
      process: -1,
    });
  });
  table.finish();
  return out;
}

describe("flow table", () => {
  it("puts both directions of a conversation in one flow, with per-direction counters", () => {
    const c = new TcpConversation("10.1.0.20", 50000, "10.0.0.10", 5061, 1_000_000);
    c.handshake().data(true, "hello").data(false, "hi").close();
    const [f, ...rest] = flows(c.frames);
    expect(rest).toHaveLength(0);
    expect(f!.origPackets).toBe(5); // SYN, ACK, data, FIN, last ACK
    expect(f!.respPackets).toBe(3); // SYN+ACK, data, FIN
    expect(f!.origBytes).toBe(
      c.frames.filter((_, i) => [0, 2, 3, 5, 7].includes(i)).reduce((n, r) => n + r.data.length, 0),
    );
    expect(f!.origPort).toBe(50000);
    expect(f!.respPort).toBe(5061);
    expect(f!.first).toBe(1_000_000);
    expect(f!.last).toBe(c.frames.at(-1)!.tsMicros);
    expect(f!.origFlags).toBe(0x02 | 0x10 | 0x08 | 0x01);
    expect(f!.respFlags).toBe(0x02 | 0x10 | 0x08 | 0x01);
  });

  it("makes the sender of the first SYN the originator, whatever the ports", () => {
    // The "client" here uses 5061 as its source port and connects to a random port.
    const c = new TcpConversation("10.0.0.10", 5061, "10.1.0.20", 40000, 0).handshake();
    const [f] = flows(c.frames);
    expect(f!.origPort).toBe(5061);
    expect(f!.history).toBe("ShA");
  });

  it("makes the receiver of a first SYN+ACK the originator, and marks the flip", () => {
    const c = new TcpConversation("10.1.0.20", 40000, "10.0.0.10", 5061, 0).synAck().ack(true);
    const [f] = flows(c.frames);
    expect(f!.origPort).toBe(40000);
    expect(f!.flipped).toBe(true);
    expect(f!.history).toBe("^hA");
  });

  it("flips a flow first seen from the server when only the server's port is a likely server port", () => {
    const reply = udp("10.0.0.30", 3478, "10.1.0.20", 50500, 0, "x");
    const request = udp("10.1.0.20", 50500, "10.0.0.30", 3478, 10, "y");
    const [f] = flows([reply, request]);
    expect(f!.origPort).toBe(50500);
    expect(f!.respPort).toBe(3478);
    expect(f!.history).toBe("^dD");
    expect(f!.state).toBe("SF");
  });

  it("does not flip when both or neither port is a likely server port", () => {
    const [a] = flows([udp("10.0.0.1", 3478, "10.0.0.2", 3478, 0, "x")]);
    expect(a!.flipped).toBe(false);
    const [b] = flows([udp("10.0.0.1", 60000, "10.0.0.2", 50000, 0, "x")]);
    expect(b!.origPort).toBe(60000);
    expect(b!.state).toBe("S0");
  });

  it("counts retransmitted SYNs of one attempt in one flow, with one S in the history", () => {
    const c = new TcpConversation("10.1.0.20", 40000, "10.0.0.10", 5062, 0).syn().synAgain().synAgain();
    const all = flows(c.frames);
    expect(all).toHaveLength(1);
    expect(all[0]!.origSyns).toBe(3);
    expect(all[0]!.history).toBe("S");
    expect(all[0]!.state).toBe("S0");
  });

  it("keeps IPv4 and IPv6 flows with the same ports apart", () => {
    const v4 = udp("10.0.0.1", 1000, "10.0.0.2", 3478, 0, "x");
    const v6 = udp("::a00:1", 1000, "::a00:2", 3478, 1, "x");
    expect(flows([v4, v6])).toHaveLength(2);
  });
});

const tcpStates = await analyzeCapture(join(FIXTURES, "tcp-states.pcap"));
const byClientPort = new Map(tcpStates.flows.map((f) => [f.clientPort, f]));

describe("conn_state and history on tcp-states.pcap (Zeek's rules)", () => {
  // [client port, server port, conn_state, history, the rule that gives it]
  const cases: [number, number, string, string, string][] = [
    [40001, 5061, "SF", "ShADFf", "both endpoints CLOSED after a FIN each"],
    [40002, 5061, "S1", "ShAD", "both endpoints ESTABLISHED, neither closed"],
    [
      40003,
      5062,
      "S0",
      "S",
      "originator SYN_SENT, responder INACTIVE; retransmitted SYNs share a sequence number",
    ],
    [40004, 5063, "REJ", "Sr", "responder RESET while the originator is in SYN_SENT"],
    [40005, 5064, "RSTO", "ShADR", "originator RESET, responder established"],
    [40006, 5065, "RSTR", "ShADr", "responder RESET after the connection was established"],
    [40007, 5071, "SH", "SF", "originator CLOSED, responder INACTIVE"],
    [40008, 5072, "RSTOS0", "SR", "originator RESET, responder inactive, history S then R with no H/A/F"],
    [40009, 5073, "S2", "ShAFa", "originator CLOSED, responder established"],
    [40010, 5074, "S3", "ShAf", "responder CLOSED, originator established"],
    [40011, 443, "OTH", "Dd", "no SYN seen: both endpoints PARTIAL"],
    [40012, 444, "S1", "^hAD", "first packet a SYN+ACK: flipped; both ESTABLISHED"],
  ];
  for (const [clientPort, port, state, history, rule] of cases) {
    it(`${state} on ${port}/tcp: ${rule}`, () => {
      const c = byClientPort.get(clientPort)!;
      expect(c.serverPort).toBe(port);
      expect(c.state).toBe(state);
      expect(c.history).toBe(history);
    });
  }
});
