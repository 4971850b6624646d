/**
 * Verdict rules on plain `FlowFacts` objects (issue 13, item 6): no packets,
 * no flow table. Each row is a flow as the table would describe it and the
 * verdict and first reason code the README's reason table gives it.
 */
import { describe, expect, it } from "vitest";
import { CatalogIndex } from "../src/catalog/index.js";
import { classifyFlow } from "../src/classify/classify.js";
import { App } from "../src/decode/signatures.js";
import { FirstPayload } from "../src/flow/table.js";
import { EndpointState } from "../src/flow/tcp.js";
import type { FlowFacts } from "../src/flow/view.js";

const T0 = 1_715_677_200_000_000;
const S = 1_000_000;

const ipWord = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0) | 0;

/** A flow's facts: a TCP or UDP flow from 10.1.0.20:50000 to `server`:`port`, overridden per row. */
function facts(
  proto: "tcp" | "udp",
  server: string,
  port: number,
  o: Partial<FlowFacts> & { historyText?: string; state?: string } = {},
): FlowFacts {
  const { historyText = "", state = "OTH", ...rest } = o;
  const base: FlowFacts = {
    id: 0,
    ipProto: proto === "tcp" ? 6 : 17,
    family: 4,
    flipped: false,
    addrWord: (orig: boolean, w: number) => (w < 3 ? 0 : ipWord(orig ? "10.1.0.20" : server)),
    first: T0,
    last: T0 + 3 * S,
    firstFrame: 1,
    origPort: 50000,
    respPort: port,
    origPackets: 1,
    respPackets: 0,
    origBytes: 60,
    respBytes: 0,
    origPayload: 0,
    respPayload: 0,
    origSyns: 0,
    origFlags: 0,
    respFlags: 0,
    origFirstPayload: FirstPayload.None,
    origApp: App.None,
    respApp: App.None,
    appDetail: () => 0,
    sni: null,
    icmp: null,
    icmpQuotesOriginator: true,
    icmpQuote: null,
    mediaFrom: () => false,
    peerSent: () => false,
    toGroupAddress: false,
    tcpStates: [EndpointState.Inactive, EndpointState.Inactive],
    history: () => historyText,
    connState: () => state as ReturnType<FlowFacts["connState"]>,
  } as FlowFacts;
  return Object.assign(base, rest);
}

const ROWS: { name: string; flow: FlowFacts; verdict: string; code: string | null }[] = [
  {
    name: "three SYNs to the Edge's 5062/tcp, never answered",
    flow: facts("tcp", "10.0.0.30", 5062, {
      origPackets: 3,
      origSyns: 3,
      origFlags: 0x02,
      historyText: "S",
      state: "S0",
    }),
    verdict: "blocked",
    code: "syn_no_reply",
  },
  {
    name: "a SYN answered by a reset",
    flow: facts("tcp", "10.0.0.10", 5065, {
      origSyns: 1,
      origFlags: 0x02,
      respPackets: 1,
      respFlags: 0x14,
      historyText: "Sr",
      state: "REJ",
    }),
    verdict: "blocked",
    code: "syn_rejected",
  },
  {
    name: "SSH on 22/tcp: other traffic, whatever the port",
    flow: facts("tcp", "10.0.0.1", 22, {
      origPackets: 2,
      respPackets: 2,
      origPayload: 30,
      respPayload: 30,
      origApp: App.Ssh,
      respApp: App.Ssh,
      historyText: "ShAd",
      state: "S1",
    }),
    verdict: "unknown",
    code: "other_protocol",
  },
  {
    name: "a port no catalog row lists (161/udp, no payload identified)",
    flow: facts("udp", "10.0.0.1", 161, { origPayload: 40, historyText: "D", state: "S0" }),
    verdict: "unknown",
    code: "not_in_catalog",
  },
  {
    name: "SIP over UDP to 5061, catalogued only for TCP",
    flow: facts("udp", "10.0.0.10", 5061, {
      origPayload: 400,
      origApp: App.Sip,
      historyText: "D",
      state: "S0",
    }),
    verdict: "misdirected",
    code: "transport_mismatch",
  },
  {
    name: "two UDP packets over 2 s to the Edge's STUN port, nothing back",
    flow: facts("udp", "10.0.0.30", 3478, {
      origPackets: 2,
      origPayload: 40,
      last: T0 + 2 * S,
      historyText: "D",
      state: "S0",
    }),
    verdict: "blocked",
    code: "udp_no_reply",
  },
  {
    name: "TCP to 3389 on a client: only the clients' media range covers it, no media",
    flow: facts("tcp", "10.1.0.99", 3389, {
      origPackets: 3,
      respPackets: 2,
      origSyns: 1,
      origFlags: 0x12,
      respFlags: 0x12,
      historyText: "ShADd",
      state: "S1",
    }),
    verdict: "unknown",
    code: "client_range_only",
  },
  {
    name: "a SYN in the last 3 s of the capture, not yet answered",
    flow: facts("tcp", "10.0.0.30", 5062, {
      origSyns: 1,
      origFlags: 0x02,
      first: T0 + 59 * S,
      last: T0 + 59 * S,
      historyText: "S",
      state: "S0",
    }),
    verdict: "inconclusive",
    code: "near_capture_end",
  },
];

describe("classification on plain FlowFacts objects", () => {
  const index = new CatalogIndex();
  for (const row of ROWS) {
    it(`${row.name}: ${row.verdict}${row.code ? `, ${row.code}` : ""}`, () => {
      const c = classifyFlow(row.flow, index, { captureEnd: T0 + 60 * S });
      expect([c.verdict, c.reasons[0]?.code ?? null]).toEqual([row.verdict, row.code]);
    });
  }
});
