/**
 * Issue 11 on real bytes (fixtures/payload-first.pcap, built by
 * fixtures/build.ts): the payload decides before the port, media ranges need
 * media, blocking evidence reaches the blocked-looking groups whatever the
 * verdict, mid-stream flows follow the README's table, every packet is
 * accounted for, and policy reads counts, not the listed flows.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeCapture } from "../src/analyze.js";
import { CaptureError } from "../src/capture/types.js";
import { REASON_CODES } from "../src/classify/reasons.js";
import { evaluatePolicy } from "../src/cli/policy.js";
import type { FlowRecord, Report } from "../src/report/model.js";
import { reasonText } from "../src/report/reason-text.js";
import { ROOT } from "./helpers/cli.js";

const FIXTURE = join(ROOT, "fixtures/payload-first.pcap");

function byClientPort(report: Report, port: number): FlowRecord {
  const f = report.flows.find((x) => x.clientPort === port || x.serverPort === port);
  if (!f) throw new Error(`no flow with port ${port}`);
  return f;
}

function inBlocked(report: Report, f: FlowRecord): boolean {
  return report.blocked.some((g) => g.flows.includes(f.id));
}

describe("payload before port (fixtures/payload-first.pcap)", async () => {
  const report = await analyzeCapture(FIXTURE);

  // [client port, verdict, application (signature or "-"), first reason or "-", in the blocked groups]
  const cases: [number, string, string, string, boolean, string][] = [
    [
      51001,
      "unknown",
      "quic",
      "other_protocol",
      false,
      "QUIC on 443/udp is a browser, not a transport mismatch",
    ],
    [51002, "unknown", "dns", "other_protocol", false, "DNS is named"],
    [
      51003,
      "unknown",
      "dcerpc",
      "other_protocol",
      false,
      "DCE/RPC on a dynamic port: Group Chat's range is a source range",
    ],
    [
      57621,
      "unknown",
      "-",
      "media_range_only",
      false,
      "a broadcast in the media range: no media, nobody answers a broadcast",
    ],
    [51005, "unknown", "-", "media_range_only", false, "one stray datagram is no media"],
    [
      51006,
      "blocked",
      "stun",
      "icmp_unreachable",
      true,
      "failed ICE checks: blocked, not known client media",
    ],
    [
      51007,
      "misdirected",
      "stun",
      "transport_mismatch",
      true,
      "STUN to 443/udp refused by ICMP shows in the blocked groups",
    ],
    [51008, "known", "tls", "midstream", false, "mid-stream with data both ways: the port works"],
    [51009, "inconclusive", "-", "midstream", false, "a lone RST: one side only"],
    [51010, "blocked", "rtp", "one_way_media", true, "RTP one way while the Front End is seen elsewhere"],
    [51011, "known", "tls", "-", false, "SIP/TLS inside MPLS"],
    [51013, "unknown", "rfb", "other_protocol", false, "VNC on 6900 is not file transfer"],
    [51014, "unknown", "mysql", "other_protocol", false, "a MySQL greeting is not TURN ChannelData"],
    [51015, "known", "kerberos", "-", false, "Kerberos over UDP 88 is not TURN ChannelData"],
    [51016, "misdirected", "http", "protocol_mismatch", false, "plain HTTP on 443"],
    [51017, "known", "tls", "-", false, "SIP/TLS on 5061"],
  ];
  for (const [port, verdict, app, reason, blocked, why] of cases) {
    it(`${port}: ${verdict} ${reason} (${why})`, () => {
      const f = byClientPort(report, port);
      expect([
        f.verdict,
        f.application.confidence === "signature" ? f.application.protocol : "-",
        f.reasons[0]?.code ?? "-",
        inBlocked(report, f),
      ]).toEqual([verdict, app, reason, blocked]);
    });
  }

  it("an ICMP error quoting a flow the capture never saw is its own unknown flow naming the 5-tuple", () => {
    const f = report.flows.find((x) => x.reasons[0]?.code === "icmp_unmatched");
    expect(f?.transport).toBe("icmp");
    expect(reasonText(f!.reasons[0]!)).toBe(
      "1 ICMP destination unreachable (port unreachable, code 3) from 10.0.0.99 quoting UDP 10.1.0.20:51012 -> 10.0.0.99:5060, which matches no flow active in the capture: closed port (nothing listens there)",
    );
    expect(inBlocked(report, f!)).toBe(true);
  });

  it("the blocked groups carry each group's verdict", () => {
    const verdicts = report.blocked.map((g) => `${g.reason}/${g.verdict}`).sort();
    expect(verdicts).toEqual(
      [
        "icmp_unmatched/unknown",
        "icmp_unreachable/blocked",
        "icmp_unreachable/misdirected",
        "one_way_media/blocked",
      ].sort(),
    );
    expect(report.blocked.find((g) => g.verdict === "misdirected")?.summary).toMatch(
      /\(verdict: misdirected\)$/,
    );
  });

  it("groups unknown traffic by protocol and port", () => {
    expect(report.unknown.map((g) => `${g.protocol} ${g.port}/${g.transport} ${g.flows}`)).toContain(
      "quic 443/udp 1",
    );
    expect(report.unknown.map((g) => `${g.protocol} ${g.port}/${g.transport} ${g.flows}`)).toContain(
      "dns 53/udp 1",
    );
  });

  it("accounts for every packet: flows, ICMP evidence, malformed, skipped", () => {
    const a = report.capture.accounting;
    expect(a.inFlows + a.icmpEvidence + a.malformed + a.skipped).toBe(report.capture.packets);
    expect(a.icmpEvidence).toBe(2);
  });

  it("keeps reasons as data: the details hold the facts the text shows", () => {
    const f = byClientPort(report, 51010);
    expect(f.reasons[0]).toEqual({
      code: "one_way_media",
      details: { protocol: "rtp", packets: 100, spanMicros: 1_980_000 },
    });
  });
});

describe("packet accounting on every fixture", () => {
  const captures = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? captures(join(dir, e.name))
        : /\.(pcap|pcapng|cap)(\.gz)?$/.test(e.name)
          ? [join(dir, e.name)]
          : [],
    );
  for (const path of captures("fixtures")) {
    it(`${path}: flows + ICMP evidence + malformed + skipped = packets`, async () => {
      let report: Report;
      try {
        report = await analyzeCapture(join(ROOT, path));
      } catch (err) {
        // Captures that cannot be read at all (exit 65) have no packets to account for.
        expect(err).toBeInstanceOf(CaptureError);
        return;
      }
      const a = report.capture.accounting;
      expect(a.inFlows + a.icmpEvidence + a.malformed + a.skipped).toBe(report.capture.packets);
    });
  }
});

describe("policy from counts", () => {
  it("--expect counts known flows as they end, whatever --max-report-flows keeps", async () => {
    const full = await analyzeCapture(join(ROOT, "fixtures/ocs-sample.pcap"));
    const capped = await analyzeCapture(join(ROOT, "fixtures/ocs-sample.pcap"), { maxReportFlows: 1 });
    expect(capped.flows.length).toBe(1);
    expect(capped.flows[0]!.verdict).not.toBe("known");
    const policy = {
      failOn: [],
      maxUnknown: null,
      maxBlocked: null,
      expect: [
        { port: 5061, transport: "tcp" as const },
        { role: "Edge Server", port: 3478, transport: "udp" as const },
      ],
    };
    expect(evaluatePolicy(full, policy)).toEqual([]);
    expect(evaluatePolicy(capped, policy)).toEqual([]);
    const wrongRole = { ...policy, expect: [{ role: "Mediation Server", port: 3478 }] };
    expect(evaluatePolicy(capped, wrongRole)).toEqual([
      "--expect: Mediation Server 3478/tcp or udp should have at least 1 known flow, saw 0",
    ]);
  });
});

describe("the README's reason table", () => {
  it("lists exactly the reason codes the classifier can give", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const start = readme.indexOf("| reason code | verdict |");
    const table = readme.slice(start, readme.indexOf("\n\n", start));
    const codes = [...table.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    expect(codes.sort()).toEqual([...REASON_CODES].sort());
  });

  it("and the JSON Schema's reason enum agrees", () => {
    const schema = JSON.parse(readFileSync(join(ROOT, "src/report/report.schema.json"), "utf8")) as {
      definitions: {
        flow: { properties: { reasons: { items: { properties: { code: { enum: string[] } } } } } };
      };
    };
    expect([...schema.definitions.flow.properties.reasons.items.properties.code.enum].sort()).toEqual(
      [...REASON_CODES].sort(),
    );
  });
});
