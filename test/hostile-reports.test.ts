/**
 * Saved reports are input too (issue 12, items 5 and 8): a schema-valid
 * report with hostile strings is escaped in every format, and one that is
 * impossible (a date no calendar holds, counts past 2^53, a summary its own
 * flows contradict, reason details that do not fit their code) is refused
 * with exit 65, never an internal error.
 */

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/cli.js";
import { runCli } from "./helpers/run.js";

const cli = runCli;

const dir = mkdtempSync(join(tmpdir(), "ocs-pcap-hostile-"));
const saved = join(dir, "r.json");
await cli("analyze", join(ROOT, "fixtures/blocked-cases.pcap"), "-f", "json", "-o", saved);
const base = JSON.parse(readFileSync(saved, "utf8")) as Record<string, unknown> & {
  capture: Record<string, unknown>;
  summary: Record<string, number>;
  roles: Record<string, unknown>[];
  flows: { firstSeen: string; reasons: unknown[] }[];
};

function variant(name: string, change: (r: typeof base) => void): string {
  const r = structuredClone(base);
  change(r);
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(r));
  return path;
}

describe("hostile strings in a saved report", () => {
  const evil = variant("evil.json", (r) => {
    r.capture.format = "\n# owned [x](javascript:alert(1))\u001b[31m";
    r.capture.anomalies = { "\n## evil\u001b[2J": 1 };
    r.capture.path = "x\u001b]0;title\u0007.pcap";
    r.roles[0]!.ports = "\u001b[31m5061\n# x";
    r.roles[0]!.transport = "tcp\u0007";
    // Fuzz findings (seed 20261201): a NUL in a flow's server address reached the table raw, and a
    // C1 CSI (U+009B) in a role name reached JUnit.
    (r.flows[0] as unknown as Record<string, unknown>).serverIp = "nul\u0000byte\u009b31m";
    // A right-to-left override would show the rest of a cell reversed (CVE-2021-42574).
    (r.roles[0] as { roles: string[] }).roles = ["Edge\u009b31mServer\u202e\u2066revres"];
    // Seed 20261203: the tool version went raw into the table's title line.
    (r.tool as Record<string, unknown>).version = "nul\u0000byte\u001b[31m";
    // Sign-in discovery: every string of a domain and its lookups is the capture's (or the file's).
    r.summary.signInFailures = 1;
    r.signIn = [
      {
        domain: "\n# evil\u001b[2J",
        purpose: "sign-in",
        client: "\u202e10.0.0.1",
        outcome: "not_found",
        server: null,
        lookups: [
          {
            // The name of the domain's own, as analyze would have read it (a saved outcome is judged again).
            name: "_sip._tls.\n# evil\u001b[2J",
            type: "SRV",
            ...{ queries: 1, responses: 1, answered: 0, noData: 0, nxdomain: 1, servfail: 0, refused: 0 },
            ...{ otherError: 0, truncated: 0 },
            firstSeen: "2024-05-14T09:00:00.000000Z",
            ...{ queryFrame: 1, responseFrame: 2, answerFrame: null },
            client: "<script>x</script>\u001b[2J",
            server: "[x](javascript:alert(1))",
            answers: ["\u202e1 2 3 evil\u009b31m"],
          },
        ],
      },
    ];
  });
  for (const format of ["table", "markdown", "html", "junit", "csv", "json"]) {
    it(`${format}: no control character acts, no Markdown heading or link is made`, async () => {
      const r = await cli("summarize", evil, "-f", format);
      expect(r.code).toBe(0);
      if (format !== "json") {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: none may be left.
        expect(r.stdout).not.toMatch(/[\u0000\u0007\u001b\u009b\u202e\u2066]/);
        // Shown, not dropped, where the role names are (HTML and CSV batch summaries have none).
        if (format !== "html" && format !== "csv") expect(r.stdout).toMatch(/\\{1,2}u\{202e\}/);
      }
      if (format === "csv") expect(r.stdout).toContain("x\\x1b]0;title\\x07.pcap");
      if (format === "markdown" || format === "html") expect(r.stdout).not.toContain("<script>x");
      if (format === "markdown") {
        expect(r.stdout).not.toMatch(/^#+ (owned|evil|x)/m);
        // Brackets arrive escaped, so no link is made.
        expect(r.stdout).not.toMatch(/(?<!\\)\]\(javascript:/);
      }
    });
  }
});

describe("fields JSON writes as they are", () => {
  // A flow's addresses and transport are quoted without escaping (they are address text and a
  // fixed vocabulary): the schema refuses anything else, so a crafted report cannot inject fields.
  it.each([
    [
      "client ip",
      (f: Record<string, Record<string, unknown>>) => (f.client!.ip = '10.1.0.20","port":45001,"spoof":"yes'),
    ],
    ["server ip", (f: Record<string, Record<string, unknown>>) => (f.server!.ip = "10.0.0.1\n#")],
    ["transport", (f: Record<string, unknown>) => (f.transport = 'udp","injected":"t')],
    ["transport with markup", (f: Record<string, unknown>) => (f.transport = "<script>x</script>\u001b[2J")],
  ])("a hostile %s is refused, never written", async (name, change) => {
    const path = variant(`inject-${name.replace(/\W/g, "-")}.json`, (r) => {
      change(r.flows[0] as never);
    });
    for (const format of ["json", "ndjson"]) {
      const out = await cli("summarize", path, "-f", format);
      expect(out.code).toBe(65);
      expect(out.stderr).toMatch(/not an ocs-pcap\/report@1 report: .*must match pattern/);
      expect(out.stdout).not.toMatch(/spoof|injected|<script>/);
    }
  });
});

describe("a report in another layout", () => {
  it("reformatted with its flows over many lines (jq ., JSON.stringify(r, null, 2)) summarizes as the original", async () => {
    const pretty = join(dir, "pretty.json");
    writeFileSync(pretty, JSON.stringify(base, null, 2));
    for (const format of ["json", "table", "csv"]) {
      const a = await cli("summarize", saved, "-f", format);
      const b = await cli("summarize", pretty, "-f", format);
      expect([b.code, b.stderr]).toEqual([0, ""]);
      expect(b.stdout.replaceAll(pretty, saved)).toBe(a.stdout);
    }
  });

  it("a broken report in any layout names the line", async () => {
    const broken = join(dir, "broken.json");
    writeFileSync(broken, JSON.stringify(base, null, 2).replace('"verdict"', '"verdict" "'));
    const r = await cli("summarize", broken);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/broken\.json: not JSON: line \d+: /);
  });
});

describe("a saved report without the capture's optional fields", () => {
  it("summarizes in every format (fuzz findings, seed 20261202: exit 70 without skipped or warnings)", async () => {
    const path = variant("optional.json", (r) => {
      delete r.capture.skipped;
      delete r.capture.warnings;
      delete r.capture.accounting;
    });
    for (const format of ["table", "markdown", "html", "junit", "csv", "json"]) {
      const r = await cli("summarize", path, "-f", format);
      expect([format, r.code, r.stderr]).toEqual([format, 0, ""]);
    }
  });

  it("summarizes a role row without its verdict counts (fuzz finding, seed 20261201: exit 70 on a mangled key)", async () => {
    const path = variant("role-counts.json", (r) => {
      const row = r.roles[0] as unknown as Record<string, unknown>;
      row["bloc\ufffded"] = row.blocked;
      delete row.blocked;
      delete row.known;
    });
    for (const format of ["table", "markdown", "html", "junit", "csv", "json"]) {
      const r = await cli("summarize", path, "-f", format);
      expect([format, r.code, r.stderr]).toEqual([format, 0, ""]);
    }
  });
});

describe("impossible saved reports are refused with 65", () => {
  const cases: [string, (r: typeof base) => void, RegExp][] = [
    [
      "a date no calendar holds",
      (r) => (r.flows[0]!.firstSeen = "2024-13-45T99:99:99.000000Z"),
      /firstSeen is not a real date/,
    ],
    ["counts past 2^53", (r) => (r.summary.flows = 1e308), /summary\.flows is not a count/],
    [
      "a summary its flows contradict",
      (r) => (r.summary.blocked = 0),
      /summary\.blocked \(0\) is below the 6 blocked flows listed/,
    ],
    [
      "reason details that do not fit their code",
      (r) => {
        const f = r.flows.find((x) => x.reasons.length > 0)!;
        f.reasons[0] = { code: "protocol_mismatch", message: "x", details: {} };
      },
      /protocol_mismatch reason has details that do not fit its code/,
    ],
    [
      "a reason missing one detail its code needs (fuzz finding, seed 20261203: exit 70 in the table's listing)",
      (r) => {
        const f = r.flows.find((x) => x.reasons.length > 0)!;
        f.reasons[0] = { code: "client_range_only", message: "x", details: { transport: "udp", port: 1024 } };
      },
      /client_range_only reason has details that do not fit its code/,
    ],
  ];
  for (const [what, change, message] of cases) {
    it(what, async () => {
      const path = variant(`${what.replace(/\W+/g, "-")}.json`, change);
      const r = await cli("summarize", path, "-f", "json");
      expect(r.code).toBe(65);
      expect(r.stderr).toMatch(message);
    });
  }
});

describe("summarize reads reports line by line", () => {
  it("reads the renderer's layout, a reformatted report, and names the line of a broken flow", async () => {
    const one = await cli("summarize", saved, "-f", "json");
    expect(one.code).toBe(0);
    // The same report minified by another tool: read whole.
    const minified = join(dir, "min.json");
    writeFileSync(minified, JSON.stringify(base));
    const two = await cli("summarize", minified, "-f", "json");
    expect(two.code).toBe(0);
    expect(two.stdout).toBe(one.stdout.replace(saved, minified));
    // A flow line cut in the middle: exit 65, naming the line.
    const lines = readFileSync(saved, "utf8").split("\n");
    const at = lines.findIndex((l) => l.startsWith(`    {"id":`)) + 2;
    lines[at - 1] = lines[at - 1]!.slice(0, 40);
    const broken = join(dir, "broken.json");
    writeFileSync(broken, lines.join("\n"));
    const three = await cli("summarize", broken, "-f", "json");
    expect(three.code).toBe(65);
    expect(three.stderr).toMatch(new RegExp(`broken\\.json: not JSON: line ${at}: `));
  });
});
