/**
 * Input filters (issue 15, item 6): --host, --net, --port, --transport,
 * --since and --until keep the IP packets that tshark's display filter for
 * the same host, port, transport and time window keeps; the report says what
 * was filtered and counts what was left out, and packet accounting still adds
 * up. tshark's answers are recorded (helpers/oracle.ts).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/run.js";
import { frameCounts } from "./helpers/tshark.js";

interface Capture {
  packets: number;
  accounting: {
    inFlows: number;
    icmpEvidence: number;
    malformed: number;
    skipped: number;
    filteredOut?: number;
  };
  filter?: { description: string; packets: number; bytes: number };
}

async function analyze(...args: string[]): Promise<{ capture: Capture; summary: { flows: number } }> {
  const r = await runCli("analyze", ...args, "-f", "json");
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout);
}

/** IP packets in the flows kept: in flows, and ICMP errors attached to them as evidence. */
const kept = (c: Capture) => c.accounting.inFlows + c.accounting.icmpEvidence;

const CASES: [string, string[], string][] = [
  ["fixtures/ocs-sample.pcap", ["--host", "10.0.0.30"], "ip.addr==10.0.0.30"],
  ["fixtures/ocs-sample.pcap", ["--net", "10.0.0.0/24"], "ip.addr==10.0.0.0/24"],
  [
    "fixtures/ocs-sample.pcap",
    ["--host", "10.0.0.30", "--host", "10.0.0.1"],
    "ip.addr==10.0.0.30 || ip.addr==10.0.0.1",
  ],
  ["fixtures/ocs-sample.pcap", ["--port", "5061"], "tcp.port==5061 || udp.port==5061"],
  ["fixtures/ocs-sample.pcap", ["--transport", "udp"], "udp && !icmp"],
  [
    "fixtures/ocs-sample.pcap",
    ["--since", "2", "--until", "6.5"],
    "(ip || ipv6) && frame.time_relative >= 2 && frame.time_relative <= 6.5",
  ],
  [
    "fixtures/ocs-sample.pcap",
    ["--since", "2024-05-14T09:00:03Z", "--port", "5061"],
    '(tcp.port==5061 || udp.port==5061) && frame.time >= "2024-05-14 09:00:03Z"',
  ],
  ["fixtures/ipv6.pcap", ["--host", "2001:db8::30"], "ipv6.addr==2001:db8::30"],
  ["fixtures/ipv6.pcap", ["--net", "2001:db8:1::/48"], "ipv6.addr==2001:db8:1::/48"],
  // ICMP errors quoting a kept flow are kept with it (tshark's udp.port matches the quoted header too).
  ["fixtures/blocked-cases.pcap", ["--port", "3478"], "tcp.port==3478 || udp.port==3478"],
  ["fixtures/vlan.pcap", ["--host", "10.0.0.10"], "ip.addr==10.0.0.10"],
  // An IPv4-mapped address is its IPv4 form, as in topologies.
  ["fixtures/ocs-sample.pcap", ["--host", "::ffff:10.0.0.30"], "ip.addr==10.0.0.30"],
  ["fixtures/ocs-sample.pcap", ["--net", "::ffff:10.0.0.0/120"], "ip.addr==10.0.0.0/24"],
];

describe("input filters keep what tshark's display filter keeps", () => {
  // One tshark pass per capture counts every case's display filter (-z io,stat); the passes run side by side.
  const counts = new Map<string, Promise<number[]>>();
  beforeAll(() => {
    for (const file of new Set(CASES.map(([f]) => f))) {
      const filters = CASES.filter(([f]) => f === file).map(
        ([, , display]) => `(${display}) && (ip || ipv6)`,
      );
      const p = frameCounts(file, filters);
      p.catch(() => undefined); // awaited by the tests
      counts.set(file, p);
    }
  });

  it.each(CASES)("%s %j", async (file, args, display) => {
    const r = await analyze(file, ...args);
    const index = CASES.filter(([f]) => f === file).findIndex(([, , d]) => d === display);
    const theirs = (await counts.get(file)!)[index];
    expect(kept(r.capture)).toBe(theirs);
    // Every packet is still somewhere: the filtered-out ones in their own bucket.
    const a = r.capture.accounting;
    expect(a.inFlows + a.icmpEvidence + a.malformed + a.skipped + (a.filteredOut ?? 0)).toBe(
      r.capture.packets,
    );
    expect(r.capture.filter?.packets).toBe(a.filteredOut);
  });
});

describe("input filters", () => {
  it("say so in every human format, and count what they left out", async () => {
    const table = await runCli(
      "analyze",
      "fixtures/ocs-sample.pcap",
      "--host",
      "10.0.0.30",
      "--port",
      "5062",
    );
    expect(table.stdout).toMatch(
      /^ {2}Filtered {6}host 10\.0\.0\.30, port 5062: 40 IP packets \(3\.5 kB\) left out$/m,
    );
    const md = await runCli("analyze", "fixtures/ocs-sample.pcap", "--host", "10.0.0.30", "-f", "markdown");
    expect(md.stdout).toContain("| Filtered | host 10.0.0.30: 36 IP packets (3.3 kB) left out |");
    const html = await runCli("analyze", "fixtures/ocs-sample.pcap", "--transport", "tcp", "-f", "html");
    expect(html.stdout).toMatch(
      /<dt>Filtered<\/dt><dd>transport tcp: \d+ IP packets \([\d.]+ [kM]?B\) left out<\/dd>/,
    );
    // Without filters, nothing is said.
    expect((await analyze("fixtures/ocs-sample.pcap")).capture.filter).toBeUndefined();
  });

  it("end the capture at --until for the verdicts: an attempt just before it is inconclusive, not blocked", async () => {
    // The sample's SYN to 5062 at 2 s is retried until 5 s; a window ending at 3.5 s cannot tell.
    const r = JSON.parse(
      (await runCli("analyze", "fixtures/ocs-sample.pcap", "--until", "3.5", "-f", "json")).stdout,
    );
    const f = r.flows.find((x: { server: { port: number } }) => x.server.port === 5062);
    expect([f.verdict, f.reasons[0].code]).toEqual(["inconclusive", "near_capture_end"]);
  });

  it.each([
    [["--host", "10.0.0.0/8"], "--host takes an address, not a network ('10.0.0.0/8'): use --net"],
    [["--net", "10.0.0.300/8"], "--net takes an IPv4 or IPv6 address or CIDR, not '10.0.0.300/8'"],
    [["--port", "70000"], "--port takes a port number 0-65535, not '70000'"],
    [
      ["--since", "yesterday"],
      "--since takes an ISO 8601 time with its zone (2024-05-14T09:00:00Z) or seconds from the first packet (90), not 'yesterday'",
    ],
    [["--since", "5", "--until", "2"], "--since 5 is after --until 2"],
    [
      ["--since", "2023-02-29T00:00:00Z"],
      "--since takes an ISO 8601 time with its zone (2024-05-14T09:00:00Z) or seconds from the first packet (90), not '2023-02-29T00:00:00Z'",
    ],
  ])("refuses %j with a clear message", async (args, message) => {
    const r = await runCli("analyze", "fixtures/ocs-sample.pcap", ...args);
    expect([r.code, r.stderr]).toEqual([2, `ocs-pcap: ${message}\n(run with --help for usage)\n`]);
  });
});
