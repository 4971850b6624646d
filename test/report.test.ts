import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { DOCUMENT_GOLDENS, GOLDEN_FIXTURES, goldenName } from "../fixtures/build.js";
import { analyzeCapture } from "../src/analyze.js";
import { toolVersion } from "../src/cli/main.js";
import { isoMicros } from "../src/format.js";
import { flowFilter, flowsById, groupFilter } from "../src/report/filter.js";
import { renderHtml } from "../src/report/html.js";
import { flowJson, renderJson } from "../src/report/json.js";
import { renderMarkdown } from "../src/report/markdown.js";
import type { FlowRecord, Report } from "../src/report/model.js";
import { reasonText } from "../src/report/reason-text.js";
import reportSchema from "../src/report/report.schema.json" with { type: "json" };
import { renderTable } from "../src/report/table.js";
import { expectGolden, UPDATE_GOLDENS } from "./helpers/golden.js";

const ROOT = join(import.meta.dirname, "..");
const FIXTURES = join(ROOT, "fixtures");

const reports = new Map<string, Report>();

/** Reports of every fixture, analysed once before the tests (analysis is async, tests read them). */
for (const name of [
  ...GOLDEN_FIXTURES,
  "ocs-sample-be.pcap",
  "ocs-sample-ns.pcap",
  "ocs-sample-be-ns.pcap",
]) {
  reports.set(name, await analyzeCapture(relative(ROOT, join(FIXTURES, name)), { version: toolVersion() }));
}

function report(name: string): Report {
  const r = reports.get(name);
  if (!r) throw new Error(`no report for ${name}`);
  return r;
}

interface JsonFlow {
  client: { ip: string; port: number | null };
  server: { ip: string; port: number | null };
  packets: { fromClient: number; fromServer: number };
  firstSeen: string;
  roles: { role: string }[];
  [key: string]: unknown;
}

/** The report as a consumer of `--format json` sees it. */
function json(name: string): { flows: JsonFlow[]; [key: string]: unknown } {
  return JSON.parse([...renderJson(report(name))].join(""));
}

describe("golden reports", () => {
  for (const name of GOLDEN_FIXTURES) {
    it(`${name}: JSON and table output match the committed goldens`, () => {
      const r = report(name);
      expectGolden(join(FIXTURES, goldenName(name, "json")), [...renderJson(r)].join(""));
      expectGolden(join(FIXTURES, goldenName(name, "txt")), renderTable(r, { limit: 25 }));
    });
  }
  for (const name of DOCUMENT_GOLDENS) {
    it(`${name}: Markdown and HTML output match the committed goldens`, () => {
      const r = report(name);
      expectGolden(join(FIXTURES, goldenName(name, "md")), renderMarkdown(r, { limit: 25 }));
      expectGolden(join(FIXTURES, goldenName(name, "html")), renderHtml(r));
    });
  }

  it.skipIf(UPDATE_GOLDENS)(
    "a golden that no longer matches fails with a diff that says how to update it",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "ocs-pcap-golden-"));
      const path = join(dir, "x.txt");
      writeFileSync(
        path,
        "# Golden report, generated: do not edit. UPDATE_GOLDENS=1 npm test rewrites it; review the diff.\nold\n",
      );
      expect(() => expectGolden(path, "new\n")).toThrow(/x\.txt \(UPDATE_GOLDENS=1 npm test rewrites it/);
      // The header line is not part of the comparison.
      expect(() => expectGolden(path, "old\n")).not.toThrow();
    },
  );

  it("covers every verdict with a Markdown and HTML golden", () => {
    const seen = new Set(DOCUMENT_GOLDENS.flatMap((n) => report(n).flows.map((f) => f.verdict)));
    expect([...seen].sort()).toEqual(["blocked", "inconclusive", "known", "misdirected", "unknown"]);
  });

  it("every golden JSON report validates against the shipped ocs-pcap/report@1 schema", () => {
    const validate = new Ajv({ allErrors: true }).compile(reportSchema);
    for (const name of GOLDEN_FIXTURES) {
      const data: unknown = JSON.parse(readFileSync(join(FIXTURES, goldenName(name, "json")), "utf8"));
      expect(validate(data) ? [] : validate.errors, name).toEqual([]);
    }
    // The schema is not vacuous: a report missing a flow's verdict fails it.
    const broken = JSON.parse(readFileSync(join(FIXTURES, "ocs-sample.json"), "utf8"));
    delete broken.flows[0].verdict;
    expect(validate(broken)).toBe(false);
  });
});

describe("JSON renderer", () => {
  it("writes JSON whose head is the model's and whose flows nest the model's fields, one flow per line", () => {
    for (const name of ["ocs-sample.pcap", "ipv6.pcap", "tcp-states.pcap"]) {
      const r = report(name);
      const text = [...renderJson(r)].join("");
      const parsed = JSON.parse(text);
      // `services` (known flows per port, every flow counted: what --expect reads) is in the contract,
      // so summarize --expect counts what analyze --expect counted.
      const { flows, blocked, ...head } = r;
      expect(parsed.services).toEqual(r.services);
      expect(parsed.services.length).toBeGreaterThan(0);
      expect({ ...parsed, flows: undefined, blocked: undefined }).toEqual({
        ...JSON.parse(JSON.stringify(head)),
        flows: undefined,
        blocked: undefined,
      });
      const byId = flowsById(flows, blocked);
      expect(parsed.blocked).toEqual(
        blocked.map((g) => ({
          ...g,
          firstSeen: isoMicros(g.firstSeen),
          lastSeen: isoMicros(g.lastSeen),
          filter: groupFilter(g, byId),
        })),
      );
      expect(parsed.flows).toHaveLength(flows.length);
      flows.forEach((f, i) => {
        const p = parsed.flows[i];
        expect(p.client).toEqual({ ip: f.clientIp, port: f.clientPort });
        expect(p.server).toEqual({ ip: f.serverIp, port: f.serverPort });
        expect(p.packets).toEqual({ fromClient: f.packetsFromClient, fromServer: f.packetsFromServer });
        expect(p.bytes).toEqual({ fromClient: f.bytesFromClient, fromServer: f.bytesFromServer });
        expect(p.roles).toEqual(f.roles);
        expect(p.filter).toBe(flowFilter(f));
        expect(p.reasons).toEqual(
          f.reasons.map((x) => ({ code: x.code, message: reasonText(x), details: x.details })),
        );
        expect([p.id, p.verdict, p.state, p.history, p.transport]).toEqual([
          f.id,
          f.verdict,
          f.state,
          f.history,
          f.transport,
        ]);
      });
      const flowLines = text.split("\n").filter((l) => l.startsWith('    {"id":'));
      expect(flowLines).toHaveLength(r.flows.length);
    }
    const empty = { ...report("vlan.pcap"), flows: [] };
    expect(JSON.parse([...renderJson(empty)].join("")).flows).toEqual([]);
  });

  it("follows the contract's names", () => {
    const r = json("ocs-sample.pcap");
    expect(r.schema).toBe("ocs-pcap/report@1");
    expect(Object.keys(r.capture as object)).toEqual(
      expect.arrayContaining([
        "path",
        "format",
        "linkTypes",
        "packets",
        "bytes",
        "firstSeen",
        "lastSeen",
        "anomalies",
      ]),
    );
    expect(Object.keys(r.summary as object)).toEqual([
      "flows",
      "known",
      "unknown",
      "blocked",
      "misdirected",
      "inconclusive",
      "mediaFindings",
    ]);
    const f = r.flows[0]!;
    for (const key of [
      "transport",
      "client",
      "server",
      "verdict",
      "roles",
      "state",
      "history",
      "packets",
      "bytes",
      "firstSeen",
      "lastSeen",
      "reasons",
    ]) {
      expect(f).toHaveProperty(key);
    }
    expect(f.roles[0]).toEqual(
      expect.objectContaining({
        role: expect.any(String),
        ports: expect.any(Array),
        seedRow: expect.any(Number),
      }),
    );
    expect(f.packets).toEqual({ fromClient: expect.any(Number), fromServer: expect.any(Number) });
    expect(f.client).toEqual({ ip: expect.any(String), port: expect.any(Number) });
  });

  it("sums the summary to the flow count and counts the capture's packets and bytes", () => {
    const r = report("ocs-sample.pcap");
    const s = r.summary;
    expect(s.known + s.unknown + s.blocked + s.misdirected).toBe(s.flows);
    expect(r.capture.packets).toBe(44);
    const bytes = readFileSync(join(FIXTURES, "ocs-sample.pcap")).length - 24 - 44 * 16;
    expect(r.capture.bytes).toBe(bytes);
    expect(r.capture.skipped).toEqual({ non_ip: 1 });
  });

  it("writes timestamps as ISO 8601 UTC with microseconds", () => {
    expect(isoMicros(1_715_677_200_000_001)).toBe("2024-05-14T09:00:00.000001Z");
    expect(isoMicros(0)).toBe("1970-01-01T00:00:00.000000Z");
    const r = report("ocs-sample.pcap");
    expect(r.capture.firstSeen).toBe("2024-05-14T09:00:00.000000Z");
    expect(json("ocs-sample.pcap").flows[1]!.firstSeen).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it("writes IPv6 addresses in RFC 5952 form", () => {
    const r = json("ipv6.pcap");
    expect(r.flows[0]!.client.ip).toBe("2001:db8:1::20");
    expect(r.flows[0]!.server.ip).toBe("2001:db8::10");
  });

  it("gives byte-identical reports for every container variant but the path and format", () => {
    const normalize = (r: Report) =>
      JSON.stringify({ ...r, capture: { ...r.capture, path: "", format: "" } });
    const base = normalize(report("ocs-sample.pcap"));
    for (const name of ["ocs-sample-be.pcap", "ocs-sample-ns.pcap", "ocs-sample-be-ns.pcap"]) {
      expect(normalize(report(name)), name).toBe(base);
    }
    expect(report("ocs-sample-ns.pcap").capture.format).toBe("pcap-ns");
  });

  it("orders flows by first packet, deterministically", async () => {
    const again = await analyzeCapture(relative(ROOT, join(FIXTURES, "tcp-states.pcap")), {
      version: toolVersion(),
    });
    const a = [...renderJson(report("tcp-states.pcap"))].join("");
    const b = [...renderJson(again)].join("");
    expect(a).toBe(b);
    const times = report("tcp-states.pcap").flows.map((f) => f.firstSeen);
    expect(times).toEqual([...times].sort());
  });

  it("reports a cut capture's packets plus a warning", () => {
    const r = report("truncated.pcap");
    expect(r.capture.packets).toBe(43);
    expect(r.capture.warnings.map((w) => [w.code, w.offset])).toEqual([["truncated_record", 4390]]);
  });
});

describe("table renderer", () => {
  it("shows the summary, the role table and each verdict's flows with reasons", () => {
    const text = renderTable(report("ocs-sample.pcap"), { limit: 25 });
    expect(text).toMatch(/^ {2}Flows {9}12: 4 known, 4 unknown, 2 blocked, 2 misdirected/m);
    expect(text).toMatch(/^ {2}Med +60000-64000 +udp +1 +1 +0 +0 +0 +8 +1\.7 kB$/m);
    expect(text).toMatch(/^ {2}Med +Mediation Server$/m);
    expect(text).toMatch(/Blocked-looking flows \(2\)/);
    expect(text).toMatch(
      /^ {2}#3 10\.1\.0\.20:50323 10\.0\.0\.30:5062\/tcp .* syn_no_reply: 3 SYNs over 3\.0 s, no reply$/m,
    );
    expect(text).toMatch(/^ {2}#7 .* transport_mismatch: a TCP-only port; udp_n…$/m);
    const wide = renderTable(report("ocs-sample.pcap"), { limit: 25, width: 0 });
    expect(wide).toMatch(
      /^ {2}#7 .* transport_mismatch: a TCP-only port; udp_no_reply: SIP request, no reply$/m,
    );
    expect(text).toMatch(/^ {3}#9 .*\/tcp .* client_range_only: 1024-65535$/m);
    expect(text).toMatch(
      /^ {2}#3 {3}frame 14 {2}ip\.addr==10\.1\.0\.20 && ip\.addr==10\.0\.0\.30 && tcp\.port==50323 && tcp\.port==5062$/m,
    );
    expect(text).toMatch(/^ {2}syn_no_reply {8}a firewall silently dropping the port/m);
  });

  it("fits every line but the display filters into the width, on every fixture", () => {
    for (const name of GOLDEN_FIXTURES) {
      for (const width of [80, 100, 200]) {
        const text = renderTable(report(name), { limit: 0, width });
        const long = text
          .split("\n")
          .filter((l) => l.length > width && !/^ +(#\d+ +frame +\d+ +|filter: )\S+==/.test(l));
        expect(long, `${name} at ${width}`).toEqual([]);
      }
    }
  });

  it("limits long lists and says how many were left out", () => {
    const text = renderTable(report("ocs-sample.pcap"), { limit: 1 });
    expect(text).toMatch(/… and 3 more \(--limit 0 shows all/);
  });
});

describe("flowJson's hand-written tls and stun objects", () => {
  it("write what JSON.stringify writes, for recorded flows and for every optional part and escape", async () => {
    const flows: FlowRecord[] = [];
    for (const name of ["recorded/tls-outcomes-real.pcap", "recorded/turn-real.pcap"]) {
      const report = await analyzeCapture(join(ROOT, "fixtures", name), { version: "test" });
      for (const f of report.flows) {
        if (f.tls !== undefined) {
          flows.push(f);
          const certificate = {
            subject: 'CN=a "b"\\c',
            issuer: "O=\u00e9\u0001",
            dnsNames: ["x.test", "y\n"],
            notBefore: "2024-01-01T00:00:00.000000Z",
            notAfter: "2025-01-01T00:00:00.000000Z",
            sha256: "ab".repeat(32),
            selfSigned: true,
            chainLength: 2,
          };
          // In the builder's order: the optional keys after the alerts, partial first.
          const { partial: _p, certificate: _c, ...rest } = f.tls;
          flows.push({ ...f, tls: { ...rest, partial: "snaplen", certificate } });
          flows.push({
            ...f,
            tls: { ...f.tls, sni: null, version: null, cipher: null, alerts: [], clientCertificates: 3 },
          });
        }
        if (f.stun !== undefined) {
          flows.push(f);
          flows.push({
            ...f,
            stun: {
              ...f.stun,
              msVersion: 3,
              realm: 'r"e\\alm\u2028',
              relayed: true,
              allocate: {
                ...f.stun.allocate,
                errors: [
                  { code: 401, count: 2 },
                  { code: 438, count: 1 },
                ],
              },
            },
          });
        }
      }
    }
    expect(flows.filter((f) => f.tls !== undefined).length).toBeGreaterThan(3);
    expect(flows.filter((f) => f.stun !== undefined).length).toBeGreaterThan(3);
    for (const f of flows) {
      const text = flowJson(f, new Map(), new Map());
      if (f.tls !== undefined) expect(text).toContain(`"tls":${JSON.stringify(f.tls)},`);
      if (f.stun !== undefined) expect(text).toContain(`"stun":${JSON.stringify(f.stun)},`);
      expect(JSON.parse(text).tls).toEqual(f.tls);
    }
  });
});
