/**
 * The CI policy read back and reported: `summarize` on saved JSON reports
 * reaches the verdict `analyze` reached on the captures (exit code and
 * messages; `--expect` once counted a section the JSON did not carry, so
 * every expectation failed with "saw 0"), and the JUnit report shows each
 * check that decides the exit code as a testcase of its "policy" suite (it
 * once showed none: a red job whose test report said all passed).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliFast, ROOT } from "./helpers/cli.js";
import { hasTool, requireTools } from "./helpers/tools.js";

const TLS = "fixtures/recorded/tls-outcomes-real.pcap";
const SAMPLE = "fixtures/ocs-sample.pcap";
const SIP = "fixtures/sip-outcomes.pcap";
const SIGN_IN = "fixtures/sign-in.pcap";
const tmp = () => mkdtempSync(join(tmpdir(), "ocs-pcap-policy-"));

function file(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Standard error's policy lines: warnings about limits left out, and summarize's `capture: ` prefix. */
function policyLines(stderr: string, capture: string): string[] {
  return stderr
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("ocs-pcap: warning:"))
    .map((l) => l.replace(`ocs-pcap: ${capture}: `, "ocs-pcap: "));
}

/**
 * `analyze CAPTURE ANALYZE... POLICY...` against `analyze CAPTURE ANALYZE... -f json -o saved`
 * then `summarize saved POLICY...`: each one's exit code and policy lines.
 */
async function bothWays(capture: string, analyze: string[], policy: string[]) {
  const saved = join(tmp(), "saved.json");
  const write = await cliFast("analyze", capture, "-q", ...analyze, "-f", "json", "-o", saved);
  expect(write.code).toBe(0);
  const a = await cliFast(
    "analyze",
    capture,
    "-q",
    ...analyze,
    ...policy,
    "-f",
    "json",
    "-o",
    join(tmp(), "a.json"),
  );
  const s = await cliFast("summarize", saved, ...policy, "-o", join(tmp(), "s.txt"));
  return {
    analyze: { code: a.code, lines: policyLines(a.stderr, capture) },
    summarize: { code: s.code, lines: policyLines(s.stderr, capture) },
    saved,
  };
}

describe("summarize gives analyze's policy verdict on saved reports", () => {
  const dir = tmp();
  // tls-outcomes-real: known TLS flows, each completed, to 443, 5061, 5062 and 8057 of 10.0.0.10;
  // a second 5062 flow and one to 444 blocked.
  const passing = file(
    dir,
    "passing.yaml",
    [
      "expect:",
      "  - { role: Front End Servers, port: 5061, transport: tcp, tls: complete }",
      "  - { port: 5062, transport: tcp, tls: complete }",
      "  - { role: Edge Server, port: 443 }",
    ].join("\n"),
  );
  const failing = file(
    dir,
    "failing.yaml",
    [
      "expect:",
      "  - { port: 444, transport: tcp, tls: complete }",
      "  - { role: Edge Server, port: 5062, transport: tcp, min: 2 }",
      "  - { port: 8057, transport: tcp }",
    ].join("\n"),
  );
  const failures = [
    "ocs-pcap: --expect: 444/tcp should have at least 1 known flow with a completed TLS handshake, saw 0",
    "ocs-pcap: --expect: Edge Server 5062/tcp should have at least 2 known flows, saw 1",
  ];

  for (const analyze of [[], ["--max-report-flows", "1"]]) {
    const how = analyze.length === 0 ? "every flow listed" : "--max-report-flows 1 (no known flow listed)";
    it(`--expect, passing: exit 0 both ways (${how})`, async () => {
      const r = await bothWays(TLS, analyze, ["--expect", passing]);
      expect(r.analyze).toEqual({ code: 0, lines: [] });
      expect(r.summarize).toEqual(r.analyze);
      if (analyze.length > 0) {
        // The list holds no known flow: the per-port counts are what the verdict rests on.
        const saved = JSON.parse(readFileSync(r.saved, "utf8"));
        expect(saved.flows.filter((f: { verdict: string }) => f.verdict === "known")).toEqual([]);
        expect(saved.services.map((s: { port: number; known: number }) => [s.port, s.known])).toEqual([
          [443, 1],
          [5061, 1],
          [5062, 1],
          [8057, 1],
        ]);
      }
    });

    it(`--expect, failing: exit 1 and the same messages both ways (${how})`, async () => {
      const r = await bothWays(TLS, analyze, ["--expect", failing]);
      expect(r.analyze).toEqual({ code: 1, lines: failures });
      expect(r.summarize).toEqual(r.analyze);
    });
  }

  it("--fail-on (verdicts, reason codes, warnings), --max-unknown-flows and --max-blocked", async () => {
    const cases: [string, string[], string[]][] = [
      [
        TLS,
        ["--fail-on", "warnings,tls_alert,blocked"],
        ["ocs-pcap: --fail-on: 7 warnings, 1 tls_alert flow, 2 blocked"],
      ],
      [
        TLS,
        ["--fail-on", "unknown,tls_handshake_incomplete", "--max-blocked", "2"],
        ["ocs-pcap: --fail-on: 1 tls_handshake_incomplete flow"],
      ],
      [
        SAMPLE,
        ["--max-unknown-flows", "10%", "--max-blocked", "1"],
        [
          "ocs-pcap: --max-unknown-flows: 33.3% of flows unknown, more than 10%",
          "ocs-pcap: --max-blocked: 2 blocked flows, more than 1",
        ],
      ],
      [SAMPLE, ["--max-unknown-flows", "4", "--fail-on", "inconclusive"], []],
      // Sign-in discovery is judged per SIP domain and client, not per flow: 5 of sign-in.pcap's 8 fail.
      [
        SIGN_IN,
        ["--fail-on", "sign_in"],
        ["ocs-pcap: --fail-on: 5 failed sign-in discoveries (SIP domain and client)"],
      ],
      [SAMPLE, ["--fail-on", "sign_in"], []],
    ];
    for (const [capture, policy, lines] of cases) {
      for (const analyze of [[], ["--max-report-flows", "1"]]) {
        const r = await bothWays(capture, analyze, policy);
        expect(r.analyze, `${capture} ${policy.join(" ")}`).toEqual({
          code: lines.length > 0 ? 1 : 0,
          lines,
        });
        expect(r.summarize, `${capture} ${policy.join(" ")}`).toEqual(r.analyze);
      }
    }
  });

  it("a role counts only the flows its servers had: a topology splits one port's counts by role", async () => {
    // sip-outcomes: known SIP on 5060/tcp, two flows to 10.0.0.10 and two to 10.0.0.50.
    const topology = file(
      dir,
      "sip-topology.yaml",
      "roles:\n  Front End Servers: [10.0.0.10]\n  Mediation Server: [10.0.0.50]\nclients: [10.1.0.0/16]\n",
    );
    const expectations = file(
      dir,
      "sip.yaml",
      [
        "expect:",
        "  - { role: Front End Servers, port: 5060, transport: tcp, min: 2 }",
        "  - { role: Mediation Server, port: 5060, transport: tcp, min: 3 }",
      ].join("\n"),
    );
    const r = await bothWays(SIP, ["--topology", topology], ["--expect", expectations]);
    // Counted over the port's every role, the Mediation Server had the Front End's two flows too (4).
    expect(r.analyze).toEqual({
      code: 1,
      lines: ["ocs-pcap: --expect: Mediation Server 5060/tcp should have at least 3 known flows, saw 2"],
    });
    expect(r.summarize).toEqual(r.analyze);
  });

  it("a report saved before the per-port counts: its listed flows are counted, and a shortfall says the list is short", async () => {
    for (const [analyze, lines] of [
      [[], failures],
      [
        ["--max-report-flows", "1"],
        // No known flow is listed: each expectation sees 0 (8057's flow too), and says why it may.
        [
          "444/tcp should have at least 1 known flow with a completed TLS handshake",
          "Edge Server 5062/tcp should have at least 2 known flows",
          "8057/tcp should have at least 1 known flow",
        ].map(
          (l) =>
            `ocs-pcap: --expect: ${l}, saw 0 among the listed flows (a report from an ocs-pcap without per-port counts, not listing 4 known flows)`,
        ),
      ],
    ] as const) {
      const r = await bothWays(TLS, [...analyze], ["--expect", failing]);
      const old = join(tmp(), "old.json");
      const data = JSON.parse(readFileSync(r.saved, "utf8"));
      delete data.services;
      writeFileSync(old, JSON.stringify(data));
      const bad = await cliFast("summarize", old, "--expect", failing, "-o", join(tmp(), "o.txt"));
      expect({ code: bad.code, lines: policyLines(bad.stderr, TLS) }).toEqual({ code: 1, lines: [...lines] });
      const good = await cliFast("summarize", old, "--expect", passing, "-o", join(tmp(), "o.txt"));
      // Listed or not, the known flows the passing expectations need: 0 when listed, and when not,
      // nothing to count them from (the list kept a blocked flow).
      expect(good.code).toBe(analyze.length === 0 ? 0 : 1);
    }
  });

  it("a sign-in failure count its domains contradict, or a lookup count that is none, is refused (exit 65)", async () => {
    const saved = join(tmp(), "saved.json");
    await cliFast("analyze", SIGN_IN, "-f", "json", "-o", saved);
    const data = JSON.parse(readFileSync(saved, "utf8"));
    for (const [change, message] of [
      [
        (d: { summary: { signInFailures: number } }) => (d.summary.signInFailures = 1),
        "not a usable report: summary.signInFailures (1) is not the 5 failing findings of signIn",
      ],
      [
        // An outcome its own lookups contradict: judged again, as analyze judged it.
        (d: { signIn: { outcome: string; server: string | null }[] }) => {
          d.signIn[1]!.outcome = "srv";
          d.signIn[1]!.server = "pool.fabrikam.test:5061";
        },
        "not a usable report: signIn fabrikam.test (10.1.0.21) says srv pool.fabrikam.test:5061, but its lookups give not_found",
      ],
      [
        (d: { signIn: { lookups: { queries: number }[] }[] }) => (d.signIn[0]!.lookups[0]!.queries = 0.5),
        "not an ocs-pcap/report@1 report: /signIn/0/lookups/0/queries: must be integer",
      ],
    ] as const) {
      const copy = structuredClone(data);
      change(copy);
      const path = join(tmp(), "tampered.json");
      writeFileSync(path, JSON.stringify(copy));
      const r = await cliFast("summarize", path, "--fail-on", "sign_in", "-o", join(tmp(), "o.txt"));
      expect(r.code, message).toBe(65);
      expect(r.stderr).toContain(message);
    }
  });

  it("per-port counts a report's summary contradicts are refused (exit 65), as other impossible counts are", async () => {
    const saved = join(tmp(), "saved.json");
    await cliFast("analyze", TLS, "-f", "json", "-o", saved);
    const data = JSON.parse(readFileSync(saved, "utf8"));
    for (const [change, message] of [
      [
        (d: { services: { known: number }[] }) => (d.services[0]!.known = 5),
        "services count 8 known flows, more than summary.known (4)",
      ],
      [
        (d: { services: { tlsComplete: number }[] }) => (d.services[1]!.tlsComplete = 2),
        "services' 5061/tcp has more completed TLS handshakes than known flows",
      ],
    ] as const) {
      const copy = structuredClone(data);
      change(copy);
      const path = join(tmp(), "tampered.json");
      writeFileSync(path, JSON.stringify(copy));
      const r = await cliFast("summarize", path, "--expect", passing, "-o", join(tmp(), "o.txt"));
      expect(r.code).toBe(65);
      expect(r.stderr).toContain(`not a usable report: ${message}`);
    }
  });

  it("a CI matrix: each capture's --report-dir, then summarize over the folders, as the batch run", async () => {
    const out = tmp();
    for (const [i, capture] of [TLS, SAMPLE].entries())
      expect((await cliFast("analyze", capture, "-q", "--report-dir", join(out, `job-${i}`))).code).toBe(0);
    const policy = ["--expect", failing, "--fail-on", "warnings"];
    // A folder's reports come in their captures' path order, as analyze walks a folder.
    const batch = await cliFast("analyze", SAMPLE, TLS, "-q", ...policy, "-o", join(out, "batch.txt"));
    const merged = await cliFast("summarize", out, ...policy, "-o", join(out, "summary.txt"));
    expect(batch.code).toBe(1);
    expect(batch.stderr).toContain(
      `ocs-pcap: ${SAMPLE}: --expect: 444/tcp should have at least 1 known flow`,
    );
    expect(batch.stderr).toContain(`ocs-pcap: ${TLS}: --fail-on: 7 warnings\n`);
    expect({ code: merged.code, stderr: merged.stderr }).toEqual({ code: batch.code, stderr: batch.stderr });
  });
});

// --- JUnit -------------------------------------------------------------------------

interface PolicyCase {
  name: string;
  classname: string;
  failure: string | null;
  body: string;
}

const fromXml = (s: string) => s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));

/** The testcases of the XML's "policy" suite, and the suite's own counts (null: no such suite). */
function policySuite(xml: string): { tests: number; failures: number; cases: PolicyCase[] } | null {
  const m =
    /<testsuite name="policy" tests="(\d+)" failures="(\d+)"[^>]*>\n([\s\S]*?)\n {2}<\/testsuite>/.exec(xml);
  if (m === null) return null;
  const cases = [
    ...m[3]!.matchAll(
      /<testcase name="([^"]*)" classname="([^"]*)" time="0"(?:\/>|>\n([\s\S]*?)\n {4}<\/testcase>)/g,
    ),
  ].map((c) => ({
    name: fromXml(c[1]!),
    classname: fromXml(c[2]!),
    failure: /<failure message="([^"]*)"/.exec(c[3] ?? "")?.[1] ?? null,
    body: fromXml(c[3] ?? ""),
  }));
  return {
    tests: Number(m[1]),
    failures: Number(m[2]),
    cases: cases.map((c) => ({ ...c, failure: c.failure && fromXml(c.failure) })),
  };
}

const hasXmllint = hasTool("xmllint");

function validJunit(xml: string): void {
  if (!hasXmllint && !requireTools) return;
  const path = join(tmp(), "junit.xml");
  writeFileSync(path, xml);
  execFileSync("xmllint", ["--noout", "--schema", join(ROOT, "test/junit.xsd"), path], { stdio: "pipe" });
}

describe("the JUnit report's policy suite", () => {
  const dir = tmp();
  const expectations = file(
    dir,
    "expect.yaml",
    [
      "# one met, two not",
      "expect:",
      "  - { role: Front End Servers, port: 5061, transport: tcp, tls: complete }",
      "  - { role: Edge Server, port: 5062, transport: tcp, min: 2 }",
      "  - { port: 444, transport: tcp, tls: complete }",
    ].join("\n"),
  );

  it("--expect: one testcase per expectation, the failing ones with what was expected and seen", async () => {
    const r = await cliFast("analyze", TLS, "--expect", expectations, "-f", "junit");
    expect(r.code).toBe(1);
    validJunit(r.stdout);
    const suite = policySuite(r.stdout)!;
    expect(suite).toEqual({
      tests: 3,
      failures: 2,
      cases: [
        {
          name: "--expect Front End Servers 5061/tcp: at least 1 known flow with a completed TLS handshake (line 3)",
          classname: `ocs-pcap.${TLS}`,
          failure: null,
          body: "      <system-out>seen: 1 known flow with a completed TLS handshake</system-out>",
        },
        {
          name: "--expect Edge Server 5062/tcp: at least 2 known flows (line 4)",
          classname: `ocs-pcap.${TLS}`,
          failure: "--expect: Edge Server 5062/tcp should have at least 2 known flows, saw 1",
          body: expect.stringContaining("seen: 1 known flow</failure>"),
        },
        {
          name: "--expect 444/tcp: at least 1 known flow with a completed TLS handshake (line 5)",
          classname: `ocs-pcap.${TLS}`,
          failure:
            "--expect: 444/tcp should have at least 1 known flow with a completed TLS handshake, saw 0",
          body: expect.any(String),
        },
      ],
    });
    // Each failure message is a line the run printed on standard error.
    for (const c of suite.cases)
      if (c.failure !== null) expect(r.stderr).toContain(`ocs-pcap: ${c.failure}\n`);
    // The document's totals count the policy's failures.
    const totals = /<testsuites name="ocs-pcap" tests="(\d+)" failures="(\d+)"/.exec(r.stdout)!;
    const roleFailures = (r.stdout.match(/<failure /g) ?? []).length - 2;
    expect(Number(totals[2])).toBe(roleFailures + 2);
  });

  it("--fail-on warnings: the warnings by code; --fail-on items one testcase each", async () => {
    const r = await cliFast("analyze", TLS, "--fail-on", "warnings,unknown", "-f", "junit");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("ocs-pcap: --fail-on: 7 warnings\n");
    validJunit(r.stdout);
    expect(policySuite(r.stdout)).toEqual({
      tests: 2,
      failures: 1,
      cases: [
        {
          name: "--fail-on warnings",
          classname: `ocs-pcap.${TLS}`,
          failure: "--fail-on: 7 warnings",
          body: expect.stringContaining(
            "seen: 7 warnings (tls_certificate_expired: 1, tls_name_mismatch: 1, tls_self_signed: 5)",
          ),
        },
        {
          name: "--fail-on unknown",
          classname: `ocs-pcap.${TLS}`,
          failure: null,
          body: "      <system-out>seen: 0 unknown of 6 flows</system-out>",
        },
      ],
    });
  });

  it("--max-unknown-flows and --max-blocked: a failure of their own, beside the role rows' blocked flows", async () => {
    const r = await cliFast(
      "analyze",
      SAMPLE,
      "--max-unknown-flows",
      "10%",
      "--max-blocked",
      "2",
      "-f",
      "junit",
    );
    expect(r.code).toBe(1);
    validJunit(r.stdout);
    expect(policySuite(r.stdout)?.cases.map((c) => [c.name, c.failure])).toEqual([
      ["--max-unknown-flows 10%", "--max-unknown-flows: 33.3% of flows unknown, more than 10%"],
      ["--max-blocked 2", null],
    ]);
    expect(r.stdout).toContain("seen: 4 unknown of 12 flows (33.3%)");
  });

  it("without a policy there is no policy suite; with a passing one, every check passes", async () => {
    const none = await cliFast("analyze", SAMPLE, "-f", "junit");
    expect(none.code).toBe(0);
    expect(policySuite(none.stdout)).toBeNull();
    const ok = await cliFast(
      "analyze",
      SAMPLE,
      "--max-blocked",
      "2",
      "--fail-on",
      "inconclusive",
      "-f",
      "junit",
    );
    expect(ok.code).toBe(0);
    expect(policySuite(ok.stdout)).toMatchObject({ tests: 2, failures: 0 });
  });

  it("summarize -f junit writes the same policy suite from saved reports, for one capture or several", async () => {
    const out = tmp();
    await cliFast("analyze", TLS, SAMPLE, "-q", "--report-dir", out);
    const policy = ["--expect", expectations, "--fail-on", "warnings", "--max-unknown-flows", "10%"];
    const one = await cliFast("analyze", TLS, ...policy, "-f", "junit");
    const oneSaved = await cliFast(
      "summarize",
      join(out, "tls-outcomes-real.pcap.json"),
      ...policy,
      "-f",
      "junit",
    );
    expect(oneSaved.code).toBe(1);
    expect(oneSaved.stdout).toBe(one.stdout);
    const both = await cliFast("analyze", TLS, SAMPLE, ...policy, "-f", "junit");
    const bothSaved = await cliFast(
      "summarize",
      join(out, "tls-outcomes-real.pcap.json"),
      join(out, "ocs-sample.pcap.json"),
      ...policy,
      "-f",
      "junit",
    );
    expect(bothSaved.stdout).toBe(both.stdout);
    validJunit(both.stdout);
    const suite = policySuite(both.stdout)!;
    // Five checks per capture, under each capture's classname; the one policy suite comes last.
    expect(suite.cases.map((c) => c.classname)).toEqual([
      ...Array(5).fill(`ocs-pcap.${TLS}`),
      ...Array(5).fill(`ocs-pcap.${SAMPLE}`),
    ]);
    expect(both.stdout.lastIndexOf("<testsuite ")).toBe(both.stdout.indexOf('<testsuite name="policy"'));
    // Both captures miss 444 and the Edge's second 5062; the sample also the Front End's TLS on 5061.
    expect(suite.failures).toBe(7);
  });

  it("escapes what the expectations file says: summarize reads no catalog, so a role name is the file's own text", async () => {
    const saved = join(tmp(), "saved.json");
    await cliFast("analyze", SAMPLE, "-f", "json", "-o", saved);
    const evil = file(
      dir,
      "evil.json",
      JSON.stringify({ expect: [{ role: 'Edge <Server> & "Co"\u0007', port: 3478, transport: "udp" }] }),
    );
    const r = await cliFast("summarize", saved, "--expect", evil, "-f", "junit");
    expect(r.code).toBe(1);
    validJunit(r.stdout);
    expect(r.stdout).not.toContain("<Server>");
    expect(r.stdout).not.toContain("\u0007");
    expect(policySuite(r.stdout)?.cases[0]?.failure).toMatch(
      /^--expect: Edge <Server> & "Co".* 3478\/udp should have at least 1 known flow, saw 0$/,
    );
  });
});
