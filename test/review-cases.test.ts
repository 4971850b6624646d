/**
 * Regression tests for what an independent hostile review of issue 11's
 * rules found wrong (fixtures/review-cases.pcap, built by fixtures/build.ts):
 * each row's verdict was wrong before its fix.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeCapture } from "../src/analyze.js";
import type { FlowRecord, Report } from "../src/report/model.js";
import { reasonText } from "../src/report/reason-text.js";
import { ROOT } from "./helpers/cli.js";

const report = await analyzeCapture(join(ROOT, "fixtures/review-cases.pcap"));

function flow(port: number): FlowRecord {
  const f = report.flows.find((x) => x.clientPort === port);
  if (!f) throw new Error(`no flow from port ${port}`);
  return f;
}

function inBlocked(r: Report, f: FlowRecord): boolean {
  return r.blocked.some((g) => g.flows.includes(f.id));
}

describe("hostile review cases (fixtures/review-cases.pcap)", () => {
  // [client port, verdict, first reason or "-", in the blocked-looking groups, why]
  const cases: [number, string, string, boolean, string][] = [
    [52001, "blocked", "handshake_incomplete", true, "SYN+ACKs never acknowledged, SYNs retransmitted"],
    [52002, "known", "-", false, "asymmetric RTP ports: media comes back on another 5-tuple"],
    [52104, "known", "-", false, "the other half of the asymmetric call"],
    [52006, "known", "-", false, "receive-only party answering with RTCP on the next port pair"],
    [52008, "blocked", "one_way_media", true, "the Edge's 3478 sending one way to a client seen elsewhere"],
    [52010, "known", "icmp_unreachable", false, "fragmentation needed on a working flow is information"],
    [52013, "unknown", "other_protocol", false, "SNMP traps are never answered: no udp_no_reply"],
    [52014, "unknown", "other_protocol", false, "DTLS on 443/udp is other traffic, not a transport mismatch"],
    [52015, "inconclusive", "midstream", false, "mid-stream data answered only by a reset"],
    [52016, "blocked", "icmp_unreachable", true, "ICMPv6 quoting a SYN behind a hop-by-hop header"],
    [52020, "known", "-", false, "a gateway's call with the Mediation Server, both ways"],
    [52022, "blocked", "one_way_media", true, "its other call one way: the working call does not hide it"],
    [
      52030,
      "known",
      "peer_receive_only",
      false,
      "a held call: RTP one way, RTCP both ways on ports not next to it (the held end's receiver reports: information)",
    ],
    [
      52040,
      "known",
      "ice_check_unanswered",
      false,
      "ICE checks to a peer's private address while the port's reflexive pair worked",
    ],
    [
      52045,
      "blocked",
      "udp_no_reply",
      true,
      "ICE checks from a port no pair of which worked (its host's other call does not count)",
    ],
    [52046, "known", "-", false, "that other call, RTP both ways"],
  ];
  for (const [port, verdict, reason, blocked, why] of cases) {
    it(`${port}: ${verdict} ${reason} (${why})`, () => {
      const f = flow(port);
      expect([f.verdict, f.reasons[0]?.code ?? "-", inBlocked(report, f)]).toEqual([
        verdict,
        reason,
        blocked,
      ]);
    });
  }

  it("names path MTU discovery for what it is", () => {
    expect(reasonText(flow(52010).reasons[0]!)).toMatch(
      /fragmentation needed, code 4\) from 10\.0\.0\.1 although the server answered: the packet was too big/,
    );
  });

  it("keeps ICMP errors quoting different uncaptured attempts apart, each grouped under its port and roles", () => {
    const icmp = report.flows.filter((f) => f.reasons[0]?.code === "icmp_unmatched");
    expect(icmp).toHaveLength(2);
    const groups = report.blocked
      .filter((g) => g.reason === "icmp_unmatched")
      .map((g) => `${g.port}/${g.transport}`);
    expect(groups.sort()).toEqual(["3478/udp", "5061/tcp"]);
    const edge = report.blocked.find((g) => g.reason === "icmp_unmatched" && g.port === 3478)!;
    expect(edge.roles).toContain("Edge Server");
    // The client the router refused, not the router.
    expect(edge.clients).toBe(1);
  });

  it("lists known flows the blocked-looking groups point at, in table and Markdown too", async () => {
    const { renderTable } = await import("../src/report/table.js");
    const { renderMarkdown } = await import("../src/report/markdown.js");
    const f = flow(52017);
    expect([f.verdict, f.reasons[0]?.code, inBlocked(report, f)]).toEqual([
      "known",
      "icmp_unreachable",
      true,
    ]);
    const g = report.blocked.find((x) => x.flows.includes(f.id))!;
    expect(g.summary).toMatch(/closed port \(quoting the server's packets\) \(verdict: known\)$/);
    expect(renderTable(report, { limit: 25 })).toMatch(
      /Known flows with blocking-looking evidence \(1\)\n.*\n +#15 10\.1\.0\.20:52017 /,
    );
    expect(renderMarkdown(report, { limit: 25 })).toMatch(
      /### Known, with blocking-looking evidence \(1\)\n\n[\s\S]*\| 15 \| 10\.1\.0\.20:52017 \|/,
    );
  });
});
