/**
 * Wireshark display filters (report/filter.ts): the filters written for
 * hand-made flows, and, on every fixture, tshark accepting every filter the
 * report gives and matching at least the flow's packets (a group's filter, at
 * least its flows' packets). One tshark pass counts the frames of many
 * filters at once (`-z io,stat,0,F1,F2,…`), one for each fixture; its
 * answers are recorded (helpers/oracle.ts).
 */

import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { GOLDEN_FIXTURES } from "../fixtures/build.js";
import { analyzeCapture } from "../src/analyze.js";
import { flowFilter, flowsById, groupFilter } from "../src/report/filter.js";
import type { BlockedGroup, FlowRecord } from "../src/report/model.js";
import { frameCounts } from "./helpers/tshark.js";

const ROOT = join(import.meta.dirname, "..");

type Ends = Pick<FlowRecord, "transport" | "clientIp" | "clientPort" | "serverIp" | "serverPort">;
const ends = (
  transport: string,
  clientIp: string,
  clientPort: number | null,
  serverIp: string,
  serverPort: number | null,
): Ends => ({
  transport,
  clientIp,
  clientPort,
  serverIp,
  serverPort,
});

describe("flowFilter", () => {
  const cases: [string, Ends & Pick<FlowRecord, "frames"> & { fragmented?: boolean }, string][] = [
    [
      "TCP over IPv4",
      ends("tcp", "10.1.0.20", 50323, "10.0.0.30", 5062),
      "ip.addr==10.1.0.20 && ip.addr==10.0.0.30 && tcp.port==50323 && tcp.port==5062",
    ],
    [
      "UDP over IPv6",
      ends("udp", "2001:db8:1::20", 45004, "2001:db8::30", 3478),
      "ipv6.addr==2001:db8:1::20 && ipv6.addr==2001:db8::30 && udp.port==45004 && udp.port==3478",
    ],
    [
      "the same port both sides: as source and as destination (port==P once matched the hosts' flows with P at one end)",
      ends("udp", "10.0.0.1", 5060, "10.0.0.2", 5060),
      "ip.addr==10.0.0.1 && ip.addr==10.0.0.2 && udp.srcport==5060 && udp.dstport==5060",
    ],
    [
      "the same address both sides, once",
      ends("tcp", "127.0.0.1", 40000, "127.0.0.1", 5061),
      "ip.addr==127.0.0.1 && tcp.port==40000 && tcp.port==5061",
    ],
    [
      "ICMP (no ports)",
      ends("icmp", "10.1.0.20", null, "10.0.0.10", null),
      "ip.addr==10.1.0.20 && ip.addr==10.0.0.10 && icmp",
    ],
    [
      "ICMPv6",
      ends("icmpv6", "fe80::1", null, "ff02::1", null),
      "ipv6.addr==fe80::1 && ipv6.addr==ff02::1 && icmpv6",
    ],
    [
      "another IP protocol (GRE)",
      ends("ip-proto-47", "10.0.0.1", null, "10.0.0.2", null),
      "ip.addr==10.0.0.1 && ip.addr==10.0.0.2 && ip.proto==47",
    ],
    [
      "another IPv6 next header",
      ends("ip-proto-50", "2001:db8::1", null, "2001:db8::2", null),
      "ipv6.addr==2001:db8::1 && ipv6.addr==2001:db8::2 && ipv6.nxt==50",
    ],
    // A saved report is outside input: terms that are not address text or our vocabulary are left out.
    [
      "a hostile address",
      ends("tcp", "x\u001b[2J", 1, "10.0.0.2", 2),
      "ip.addr==10.0.0.2 && tcp.port==1 && tcp.port==2",
    ],
    [
      "a hostile transport",
      ends("<script>", "10.0.0.1", null, "10.0.0.2", null),
      "ip.addr==10.0.0.1 && ip.addr==10.0.0.2",
    ],
    ["nothing usable", ends("\n#", "a b", null, "c d", null), "frame"],
    [
      "a fragmented UDP flow: its fragments too (tshark has its ports only where it reassembles)",
      { ...ends("udp", "10.0.0.1", 5060, "10.0.0.2", 5061), fragmented: true },
      "ip.addr==10.0.0.1 && ip.addr==10.0.0.2 && ((udp.port==5060 && udp.port==5061) || ip.flags.mf==1 || ip.frag_offset>0)",
    ],
    [
      "a fragmented IPv6 flow",
      { ...ends("udp", "2001:db8::1", 5062, "2001:db8::2", 5062), fragmented: true },
      "ipv6.addr==2001:db8::1 && ipv6.addr==2001:db8::2 && ((udp.srcport==5062 && udp.dstport==5062) || ipv6.fraghdr)",
    ],
    [
      "one part of a 5-tuple several flows had in turn: its frames",
      { ...ends("tcp", "10.1.0.20", 45009, "10.0.0.10", 5061), frames: [19, 25] },
      "ip.addr==10.1.0.20 && ip.addr==10.0.0.10 && tcp.port==45009 && tcp.port==5061 && frame.number>=19 && frame.number<=25",
    ],
    [
      "the last part: from its first frame on",
      { ...ends("tcp", "10.1.0.20", 45009, "10.0.0.10", 5061), frames: [26, null] },
      "ip.addr==10.1.0.20 && ip.addr==10.0.0.10 && tcp.port==45009 && tcp.port==5061 && frame.number>=26",
    ],
    [
      "a fragmented ICMPv6 flow: its fragments too",
      { ...ends("icmpv6", "2001:db8::1", null, "2001:db8::2", null), fragmented: true },
      "ipv6.addr==2001:db8::1 && ipv6.addr==2001:db8::2 && (icmpv6 || ipv6.fraghdr)",
    ],
  ];
  it.each(cases)("%s", (_name, flow, expected) => {
    expect(flowFilter(flow)).toBe(expected);
  });
});

describe("groupFilter", () => {
  const flow = (id: number, serverIp: string): FlowRecord =>
    ({ id, ...ends("tcp", "10.1.0.20", 50000 + id, serverIp, 5062) }) as FlowRecord;
  const group = (flows: number[], attempts: number, transport = "tcp"): BlockedGroup =>
    ({ port: 5062, transport, flows, attempts }) as BlockedGroup;
  const servers = (n: number) => Array.from({ length: n }, (_, i) => flow(i + 1, `10.0.0.${i + 1}`));
  it.each<[string, FlowRecord[], BlockedGroup, string]>([
    [
      "one server",
      [flow(1, "10.0.0.30"), flow(2, "10.0.0.30")],
      group([1, 2], 2),
      "ip.addr==10.0.0.30 && tcp.port==5062 && ((ip.addr==10.1.0.20 && tcp.port==50001) || (ip.addr==10.1.0.20 && tcp.port==50002))",
    ],
    [
      "two servers, IPv4 and IPv6",
      [flow(1, "10.0.0.30"), flow(2, "2001:db8::30")],
      group([1, 2], 2),
      "(ip.addr==10.0.0.30 || ipv6.addr==2001:db8::30) && tcp.port==5062 && ((ip.addr==10.1.0.20 && tcp.port==50001) || (ip.addr==10.1.0.20 && tcp.port==50002))",
    ],
    [
      "eight servers, eight clients' ends",
      servers(8),
      group([1, 2, 3, 4, 5, 6, 7, 8], 8),
      `(${servers(8)
        .map((f) => `ip.addr==${f.serverIp}`)
        .join(" || ")}) && tcp.port==5062 && (${servers(8)
        .map((f) => `(ip.addr==10.1.0.20 && tcp.port==${f.clientPort})`)
        .join(" || ")})`,
    ],
    [
      "one client's end: its address and port",
      [flow(1, "10.0.0.30")],
      group([1], 1),
      "ip.addr==10.0.0.30 && tcp.port==5062 && ip.addr==10.1.0.20 && tcp.port==50001",
    ],
    [
      "a client's port that is the service port: servers and port only",
      [{ ...flow(1, "10.0.0.30"), clientPort: 5062 }],
      group([1], 1),
      "ip.addr==10.0.0.30 && tcp.port==5062",
    ],
    ["nine servers: the port alone", servers(9), group([1, 2, 3, 4, 5, 6, 7, 8, 9], 9), "tcp.port==5062"],
    [
      "attempts the report does not list: the port alone",
      [flow(1, "10.0.0.30")],
      group([1], 3),
      "tcp.port==5062",
    ],
    [
      "a flow id the report lacks: the port alone",
      [flow(1, "10.0.0.30")],
      group([1, 2], 2),
      "tcp.port==5062",
    ],
    [
      "ICMP",
      [{ ...flow(1, "10.0.0.30"), transport: "icmp" }],
      group([1], 1, "icmp"),
      "ip.addr==10.0.0.30 && icmp",
    ],
  ])("%s", (_name, flows, g, expected) => {
    expect(groupFilter(g, flowsById(flows, [g]))).toBe(expected);
  });
});

/** Every fixture whose flows differ (the sample's other containers hold the same flows). */
const CAPTURES = [...GOLDEN_FIXTURES, "zeek-conn.pcap"];

interface Wanted {
  filter: string;
  packets: number;
  what: string;
  /** A part of a 5-tuple several flows had in turn: its filter must match its packets exactly (no other part's). */
  exact?: boolean;
}

/** Each capture's filters and the packets each must match at least. */
async function wantedOf(name: string): Promise<Wanted[]> {
  const report = await analyzeCapture(relative(ROOT, join(ROOT, "fixtures", name)), { version: "test" });
  const byId = flowsById(report.flows, report.blocked);
  const packets = (id: number) => byId.get(id)!.packetsFromClient + byId.get(id)!.packetsFromServer;
  const wanted: Wanted[] = report.flows.map((f) => ({
    filter: flowFilter(f),
    packets: f.packetsFromClient + f.packetsFromServer,
    what: `#${f.id}`,
    ...(f.frames === undefined ? {} : { exact: true }),
  }));
  for (const g of report.blocked)
    wanted.push({
      filter: groupFilter(g, byId),
      packets: g.flows.reduce((a, id) => a + packets(id), 0),
      what: g.summary,
    });
  return wanted;
}

/** tshark's frame counts for many filters: one pass per chunk of about 64 KB of filters (the argument limit is 128 KB). */
async function countsFor(capture: string, filters: readonly string[]): Promise<number[]> {
  const chunks: string[][] = [[]];
  let size = 0;
  for (const f of filters) {
    if (size + f.length > 64_000 && chunks.at(-1)!.length > 0) {
      chunks.push([]);
      size = 0;
    }
    chunks.at(-1)!.push(f);
    size += f.length + 1;
  }
  return (await Promise.all(chunks.map((c) => frameCounts(capture, c)))).flat();
}

/** A fixture's filters and tshark's frame counts for them (answers recorded, see helpers/oracle.ts). */
async function check(name: string): Promise<{ wanted: Wanted[]; counts: number[] }> {
  const wanted = await wantedOf(name);
  return {
    wanted,
    counts: await countsFor(
      join(ROOT, "fixtures", name),
      wanted.map((w) => w.filter),
    ),
  };
}

describe("tshark accepts every display filter the fixtures give", () => {
  const results = new Map<string, Promise<{ wanted: Wanted[]; counts: number[] }>>();
  beforeAll(() => {
    // Run live, each tshark takes half a second to start: all of them at once, side by side.
    for (const name of CAPTURES) {
      const p = check(name);
      p.catch(() => undefined); // awaited by its test
      results.set(name, p);
    }
  });

  it.each(CAPTURES)(
    "%s: each flow's filter matches at least its packets, each group's its flows'",
    async (name) => {
      const { wanted, counts } = await results.get(name)!;
      expect(wanted.length).toBeGreaterThan(0);
      expect(counts).toHaveLength(wanted.length);
      const short = wanted.flatMap((w, i) =>
        counts[i]! >= w.packets && (w.exact !== true || counts[i] === w.packets)
          ? []
          : [`${w.what}: ${w.filter} matched ${counts[i]} frames, the flow has ${w.packets} packets`],
      );
      expect(short).toEqual([]);
    },
  );
});

describe("a saved report's fragmented flows", () => {
  it("keep their fragment clause when read back (summarize renders the same filter)", async () => {
    const { reportFromJson } = await import("../src/report/batch.js");
    const { renderJson } = await import("../src/report/json.js");
    const report = await analyzeCapture("fixtures/ocs-sample.pcap", { version: "test" });
    const json = JSON.parse([...renderJson(report)].join(""));
    const f = json.flows.find((x: { transport: string }) => x.transport === "udp");
    const stem = f.filter.replace(/ && udp\.port==.*$/, "");
    f.filter = `${stem} && ((udp.port==${f.client.port} && udp.port==${f.server.port}) || ip.flags.mf==1 || ip.frag_offset>0)`;
    const back = reportFromJson(json);
    const flow = back.flows.find((x) => x.id === f.id)!;
    expect(flow.fragmented).toBe(true);
    expect(flowFilter(flow)).toBe(f.filter);
    expect(back.flows.filter((x) => x.fragmented)).toHaveLength(1);
    // A report saved before the inner parentheses reads the same.
    f.filter = `${stem} && (udp.port==${f.client.port} && udp.port==${f.server.port} || ip.flags.mf==1 || ip.frag_offset>0)`;
    expect(reportFromJson(json).flows.find((x) => x.id === f.id)!.fragmented).toBe(true);
  });
});

describe("a saved report's flows that shared a 5-tuple in turn", () => {
  it("keep their frame bounds when read back (summarize renders the same filter)", async () => {
    const { reportFromJson } = await import("../src/report/batch.js");
    const { renderJson } = await import("../src/report/json.js");
    const report = await analyzeCapture("fixtures/blocked-cases.pcap", { version: "test" });
    const json = JSON.parse([...renderJson(report)].join(""));
    const bounded = json.flows.filter((f: { filter: string }) => f.filter.includes("frame.number>="));
    // blocked-cases holds three 5-tuples used twice: a reused TCP port, UDP and TCP idle past their timeouts.
    expect(bounded).toHaveLength(6);
    const back = reportFromJson(json);
    for (const f of bounded) {
      const flow = back.flows.find((x) => x.id === f.id)!;
      expect(flow.frames).toBeDefined();
      expect(flowFilter(flow)).toBe(f.filter);
    }
  });
});
