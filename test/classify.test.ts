import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeCapture } from "../src/analyze.js";
import type { FlowRecord } from "../src/report/model.js";
import { reasonText } from "../src/report/reason-text.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures");

async function byServer(path: string): Promise<Map<string, FlowRecord>> {
  const out = new Map<string, FlowRecord>();
  for (const f of (await analyzeCapture(join(FIXTURES, path))).flows) {
    out.set(`${f.serverPort ?? 0}/${f.transport === "icmp" ? 1 : f.transport}`, f);
  }
  return out;
}

const sample = await byServer("ocs-sample.pcap");
const ranges = await byServer("media-ranges.pcap");

describe("verdicts on the mixed sample", () => {
  const flows = sample;
  const verdict = (key: string) => flows.get(key)?.verdict;
  const codes = (key: string) => flows.get(key)?.reasons.map((r) => r.code);

  it("finds twelve flows", () => {
    expect(flows.size).toBe(12);
  });

  it("known: answered SIP/TLS, HTTPS, STUN and Mediation media", () => {
    for (const key of ["5061/tcp", "443/tcp", "3478/udp", "60010/udp"])
      expect(verdict(key), key).toBe("known");
    expect(flows.get("60010/udp")!.roles[0]!.role).toBe("Mediation Server");
    expect(flows.get("3478/udp")!.roles.map((r) => r.seedRow)).toEqual([52, 57, 60, 64, 69]);
  });

  it("blocked: unanswered SYNs (S0) and a SYN answered by RST (REJ), with the evidence", () => {
    expect(verdict("5062/tcp")).toBe("blocked");
    expect(flows.get("5062/tcp")!.reasons).toEqual([
      { code: "syn_no_reply", details: { syns: 3, spanMicros: 3_000_400, after: "nothing", icmp: false } },
    ]);
    expect(reasonText(flows.get("5062/tcp")!.reasons[0]!)).toBe("3 SYNs over 3.0 s, no reply");
    expect(verdict("5065/tcp")).toBe("blocked");
    expect(codes("5065/tcp")).toEqual(["syn_rejected"]);
  });

  it("misdirected: a port catalogued only for the other transport", () => {
    expect(verdict("5061/udp")).toBe("misdirected");
    expect(reasonText(flows.get("5061/udp")!.reasons[0]!)).toMatch(
      /^5061\/udp is catalogued only for TCP \(Front End Servers/,
    );
    expect(verdict("3478/tcp")).toBe("misdirected");
    expect(codes("3478/tcp")).toEqual(["transport_mismatch", "syn_rejected"]);
  });

  it("unknown: ports not in the catalog, the client media range alone, and ICMP", () => {
    expect(verdict("22/tcp")).toBe("unknown");
    // The server's banner names SSH: other traffic (issue 11), not merely an uncatalogued port.
    expect(codes("22/tcp")).toEqual(["other_protocol"]);
    expect(reasonText(flows.get("22/tcp")!.reasons[0]!)).toMatch(/^SSH on 22\/tcp: other traffic/);
    expect(codes("161/udp")).toEqual(["not_in_catalog"]);
    expect(verdict("161/udp")).toBe("unknown");
    expect(verdict("3389/tcp")).toBe("unknown");
    expect(codes("3389/tcp")).toEqual(["client_range_only"]);
    expect(flows.get("3389/tcp")!.roles).toHaveLength(0);
    expect(verdict("0/1")).toBe("unknown");
    expect(reasonText(flows.get("0/1")!.reasons[0]!)).toBe("ICMP is not in the OCS port catalog");
  });
});

describe("verdicts at the edges of the port ranges", () => {
  const flows = ranges;
  const cases: [string, string, string | null][] = [
    ["49152/udp", "known", "Front End Servers"],
    ["65535/udp", "known", "Front End Servers"],
    ["50000/tcp", "known", "Edge Server"],
    ["59999/tcp", "known", "Edge Server"],
    ["60000/udp", "known", "Mediation Server"],
    ["64000/udp", "known", "Mediation Server"],
    ["64001/udp", "known", "Front End Servers"],
    ["6891/tcp", "known", "Office Communicator"],
    ["6901/tcp", "known", "Office Communicator"],
    ["6902/tcp", "unknown", null],
    ["1024/udp", "unknown", null],
    ["1023/udp", "unknown", null],
  ];
  for (const [key, verdict, role] of cases) {
    it(`${key} is ${verdict}${role ? ` (${role} first)` : ""}`, () => {
      const c = flows.get(key)!;
      expect(c.verdict).toBe(verdict);
      if (role) expect(c.roles[0]!.role).toBe(role);
    });
  }
});

describe("the same analysis through VLAN tags and IPv6", () => {
  it("VLAN-tagged and QinQ frames give known 5061 flows", async () => {
    const result = await analyzeCapture(join(FIXTURES, "vlan.pcap"));
    expect(result.flows.map((c) => [c.verdict, c.state])).toEqual([
      ["known", "SF"],
      ["known", "S1"],
    ]);
    expect(result.capture.anomalies).toEqual({});
  });

  it("IPv6 flows classify like IPv4 ones", async () => {
    const result = await analyzeCapture(join(FIXTURES, "ipv6.pcap"));
    expect(result.flows.map((c) => `${c.serverPort}:${c.verdict}:${c.state}`)).toEqual([
      "5061:known:SF",
      "5061:known:S1",
      "3478:known:SF",
      "5062:blocked:S0",
      "3478:known:SF",
    ]);
  });
});

describe("real traffic recorded by fixtures/record.sh", () => {
  const summary = async (path: string) =>
    (await analyzeCapture(join(FIXTURES, path))).flows.map(
      (c) => `${c.transport}/${c.serverPort ?? 0} ${c.verdict} ${c.state} ${c.history}`,
    );

  it("classifies the kernel's own TCP and UDP, on Ethernet and on Linux cooked v2 (-i any)", async () => {
    const want = [
      "tcp/5061 known SF ShADadfF", // openssl s_client to s_server: TLS, then the server closes first
      "tcp/443 known SF ShADadFf",
      "tcp/5060 known SF ShADadFf", // sipp UAC to UAS over TCP
      "udp/3478 known SF Dd", // a STUN binding request, echoed
      "tcp/5062 blocked REJ Sr", // nothing listening: the kernel resets the SYN
    ];
    expect(await summary("recorded/ocs-real.pcap")).toEqual(want);
    expect(await summary("recorded/ocs-real-any.pcap")).toEqual(want);
  });
});
