/**
 * The reviewed truth for real captures (test/corpus/expected.tsv, how it was
 * made: test/corpus/EXPECTED.md): for each flow, the verdict, application,
 * first reason and blocked-section membership a careful engineer expects,
 * written from tshark's dissection and docs/verdict-rules.md, never from this
 * tool's output. Rows marked `gap` are known misses: they run as expected
 * failures, so one that starts passing turns red and must be promoted.
 *
 * Beside the table, whole-corpus invariants (issue 11's "done when"): packet
 * accounting adds up, no port range alone makes a flow known, named other
 * traffic is never OCS traffic, and blocking evidence always reaches the
 * blocked-looking groups.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeCapture } from "../../src/analyze.js";
import type { FlowRecord, Report } from "../../src/report/model.js";

const CORPUS = join(import.meta.dirname, "..", "..", "..", "shared", "corpus");
const TRUTH = join(import.meta.dirname, "expected.tsv");
const HAVE = existsSync(join(CORPUS, "facts.tsv")) && existsSync(TRUTH);

/** Captures whose every flow the table must cover (issue 11). */
const WHOLE = [
  "ntop__nDPI/kerberos.pcap",
  "secdev__scapy/dcerpc_privacy_krb.pcapng.gz",
  "ntop__nDPI/teams.pcap",
  "ntop__nDPI/dcerpc.pcap",
  "zeek__zeek/krb/kinit.pcap",
  "ntop__nDPI/http_ipv6.pcap",
];

interface Row {
  line: number;
  capture: string;
  transport: string;
  a: string;
  b: string;
  verdict: string;
  application: string;
  reason: string;
  blocked: string;
  status: string;
  why: string;
}

function rows(): Row[] {
  const lines = readFileSync(TRUTH, "utf8").split("\n");
  const out: Row[] = [];
  lines.forEach((text, i) => {
    if (i === 0 || text.trim() === "" || text.startsWith("#")) return;
    const [
      capture = "",
      transport = "",
      a = "",
      b = "",
      verdict = "",
      application = "",
      reason = "",
      blocked = "",
      status = "",
      why = "",
    ] = text.split("\t");
    out.push({ line: i + 1, capture, transport, a, b, verdict, application, reason, blocked, status, why });
  });
  return out;
}

function endpoint(ip: string, port: number | null): string {
  if (port === null) return ip;
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function flowsOf(report: Report, row: Row): FlowRecord[] {
  return report.flows.filter((f) => {
    if (f.transport !== row.transport) return false;
    const c = endpoint(f.clientIp, f.clientPort);
    const s = endpoint(f.serverIp, f.serverPort);
    return (c === row.a && s === row.b) || (c === row.b && s === row.a);
  });
}

const reports = new Map<string, Promise<Report>>();
function report(capture: string): Promise<Report> {
  let r = reports.get(capture);
  if (r === undefined) {
    r = analyzeCapture(join(CORPUS, capture));
    reports.set(capture, r);
  }
  return r;
}

function inBlocked(report: Report, f: FlowRecord): boolean {
  return report.blocked.some((g) => g.flows.includes(f.id));
}

/** What the table asserts of one flow, as the table writes it. */
function observed(report: Report, f: FlowRecord): string[] {
  return [
    f.verdict,
    f.application.confidence === "signature" ? f.application.protocol : "-",
    f.reasons[0]?.code ?? "-",
    inBlocked(report, f) ? "yes" : "no",
  ];
}

function check(report: Report, row: Row): void {
  const flows = flowsOf(report, row);
  expect(flows.length, `no flow ${row.transport} ${row.a} ${row.b}`).toBeGreaterThan(0);
  for (const f of flows) {
    const [verdict, app, reason, blocked] = observed(report, f);
    // "by-sip": blocked-looking exactly when the flow's own SIP responses failed (sip_error among its reasons).
    const wantBlocked =
      row.blocked === "by-sip" ? (f.reasons.some((r) => r.code === "sip_error") ? "yes" : "no") : row.blocked;
    const want = [row.verdict, row.application === "*" ? app : row.application, row.reason, wantBlocked];
    expect([verdict, app, reason, blocked], `flow #${f.id}: ${row.why}`).toEqual(want);
  }
}

describe.runIf(HAVE)("corpus truth (test/corpus/expected.tsv)", () => {
  const all = HAVE ? rows() : [];

  it("covers at least 300 flows in at least 20 captures", () => {
    expect(all.length).toBeGreaterThanOrEqual(300);
    expect(new Set(all.map((r) => r.capture)).size).toBeGreaterThanOrEqual(20);
  });

  for (const capture of WHOLE) {
    it(`${capture}: every flow has a row`, async () => {
      const r = await report(capture);
      const mine = all.filter((x) => x.capture === capture);
      const missing = r.flows.filter((f) => !mine.some((x) => flowsOf(r, x).includes(f)));
      expect(
        missing.map(
          (f) => `${f.transport} ${endpoint(f.clientIp, f.clientPort)} ${endpoint(f.serverIp, f.serverPort)}`,
        ),
      ).toEqual([]);
    });
  }

  for (const row of all) {
    const name = `line ${row.line}: ${row.capture} ${row.transport} ${row.a} ${row.b} → ${row.verdict} ${row.reason}`;
    if (row.status === "gap") {
      it.fails(`${name} (known gap: ${row.why})`, async () => check(await report(row.capture), row));
    } else {
      it(name, async () => check(await report(row.capture), row));
    }
  }
});

function captures(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...captures(p));
    else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(name)) out.push(relative(CORPUS, p));
  }
  return out.sort();
}

/** Application protocols that are never OCS traffic (docs/verdict-rules.md §1). */
const NEVER_OCS = new Set(["quic", "dns", "mdns", "rfb", "mysql", "ssh", "rdp", "smb", "ntp", "ssdp", "tds"]);

describe.runIf(existsSync(join(CORPUS, "facts.tsv")))("corpus invariants (issue 11)", () => {
  for (const capture of existsSync(join(CORPUS, "facts.tsv")) ? captures(CORPUS) : []) {
    it(`${capture}: every packet accounted for, no port-range verdicts, blocking evidence listed`, async () => {
      const r = await report(capture);
      const a = r.capture.accounting;
      expect(a.inFlows + a.icmpEvidence + a.malformed + a.skipped, JSON.stringify(a)).toBe(r.capture.packets);
      for (const f of r.flows) {
        const where = `#${f.id} ${f.transport} ${endpoint(f.clientIp, f.clientPort)} -> ${endpoint(f.serverIp, f.serverPort)}`;
        // A port range alone never makes a flow known: a port-only known flow's best row lists
        // its port alone, or is the file-transfer listening range.
        if (f.verdict === "known" && f.application.confidence === "port-only") {
          const best = f.roles[0];
          const single = best?.ports.some((p) => p.first === p.last && p.first === f.serverPort) ?? false;
          expect(single || best?.protocol === "file-transfer", where).toBe(true);
        }
        if (NEVER_OCS.has(f.application.protocol) && f.application.confidence === "signature") {
          expect(["unknown"], `${where} is ${f.application.protocol}`).toContain(f.verdict);
        }
        if (f.application.protocol === "dcerpc" && f.verdict !== "unknown") {
          expect(f.serverPort, `${where}: DCE/RPC as OCS traffic only on 135`).toBe(135);
        }
        const evidence = f.reasons.some((x) =>
          ["icmp_unreachable", "syn_no_reply", "udp_no_reply", "icmp_unmatched"].includes(x.code),
        );
        if (evidence) expect(inBlocked(r, f), `${where} has blocking evidence`).toBe(true);
      }
    });
  }
});
