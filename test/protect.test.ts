/**
 * The input is never written (issue 12, item 1): -o, --report-dir files and
 * `summarize -o` are checked against every input, after directories are
 * expanded, by device and inode (so links and other spellings are caught).
 * Runs the CLI in-process.
 */

import { once } from "node:events";
import {
  copyFileSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { looksLikeCapture } from "../src/cli/walk.js";
import { ROOT } from "./helpers/cli.js";
import { runCli } from "./helpers/run.js";

const CAPTURE = join(ROOT, "fixtures/blocked-cases.pcap");

const cli = runCli;
const _literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "ocs-pcap-protect-"));
  mkdirSync(join(dir, "caps"));
  copyFileSync(CAPTURE, join(dir, "caps", "x.pcap"));
  return dir;
}

const original = readFileSync(CAPTURE);

describe("the input is never written", () => {
  it("refuses -o naming a capture found by walking a directory", async () => {
    const dir = folder();
    const r = await cli("analyze", join(dir, "caps"), "-f", "json", "-o", join(dir, "caps", "x.pcap"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /--output: .*caps\/x\.pcap is the input .*caps\/x\.pcap; refusing to overwrite it/,
    );
    expect(readFileSync(join(dir, "caps", "x.pcap")).equals(original)).toBe(true);
  });

  it("refuses -o that is a hard link to, or a symbolic link at, an input", async () => {
    const dir = folder();
    linkSync(join(dir, "caps", "x.pcap"), join(dir, "hard.json"));
    symlinkSync(join(dir, "caps", "x.pcap"), join(dir, "soft.json"));
    for (const out of ["hard.json", "soft.json"]) {
      const r = await cli("analyze", join(dir, "caps", "x.pcap"), "-f", "json", "-o", join(dir, out));
      expect(r.code, out).toBe(2);
    }
    expect(readFileSync(join(dir, "caps", "x.pcap")).equals(original)).toBe(true);
  });

  it("refuses a --report-dir whose report for one capture would overwrite another capture", async () => {
    const dir = folder();
    // Capture "a"'s JSON report would be a.json, itself a capture.
    copyFileSync(CAPTURE, join(dir, "caps", "a"));
    copyFileSync(CAPTURE, join(dir, "caps", "a.json"));
    const r = await cli("analyze", join(dir, "caps"), "--report-dir", join(dir, "caps"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--report-dir: .*caps\/a\.json is the input .*caps\/a\.json/);
    expect(readFileSync(join(dir, "caps", "a.json")).equals(original)).toBe(true);
    // Nothing at all was written.
    expect(readdirSync(join(dir, "caps")).sort()).toEqual(["a", "a.json", "x.pcap"]);
  });

  it("refuses summarize -o naming one of its reports", async () => {
    const dir = folder();
    const report = join(dir, "r.json");
    expect((await cli("analyze", CAPTURE, "-f", "json", "-o", report)).code).toBe(0);
    const before = readFileSync(report);
    const r = await cli("summarize", report, "-o", report);
    expect(r.code).toBe(2);
    expect(readFileSync(report).equals(before)).toBe(true);
  });

  it("a capture named summary keeps its name: the batch's own files are in batch/", async () => {
    const dir = folder();
    copyFileSync(CAPTURE, join(dir, "caps", "summary"));
    const out = join(dir, "reports");
    const r = await cli("analyze", join(dir, "caps"), "--report-dir", out, "--jobs", "1");
    expect(r.code).toBe(0);
    const files = readdirSync(out);
    expect(files).toContain("summary.json");
    expect(files).toContain("x.pcap.json");
    const own = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as { schema: string };
    expect(own.schema).toBe("ocs-pcap/report@1");
    const summary = JSON.parse(readFileSync(join(out, "batch", "summary.json"), "utf8")) as {
      schema: string;
    };
    expect(summary.schema).toBe("ocs-pcap/batch@1");
  });

  it("walks a directory with symbolic-link loops once, and a capture with two names once", async () => {
    const dir = folder();
    symlinkSync(".", join(dir, "caps", "self"));
    mkdirSync(join(dir, "caps", "sub"));
    symlinkSync("..", join(dir, "caps", "sub", "up"));
    linkSync(join(dir, "caps", "x.pcap"), join(dir, "caps", "sub", "same.pcap"));
    const r = await cli("analyze", join(dir, "caps"), "-f", "json", "--jobs", "1");
    expect(r.code).toBe(0);
    const paths = (JSON.parse(r.stdout) as { captures: { path: string }[] }).captures.map((c) => c.path);
    // The first name the sorted walk meets ("sub" before "x.pcap").
    expect(paths).toEqual([join(dir, "caps", "sub", "same.pcap")]);
  });
});

describe("bounded memory: distinct clients per blocked group", () => {
  it("counts clients exactly up to 10,000 per group, then says 'at least'", async () => {
    const { TcpConversation, writePcap } = await import("../fixtures/lib/packets.js");
    const { analyzeCapture } = await import("../src/analyze.js");
    const records = [];
    const t0 = Date.UTC(2024, 0, 1) * 1000;
    for (let i = 0; i < 10_050; i++) {
      const client = `10.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
      records.push(...new TcpConversation(client, 40000, "10.0.0.30", 5062, t0 + i * 100).syn().frames);
    }
    // A last packet 10 s later, so no SYN is near the capture's end.
    records.push(...new TcpConversation("10.1.0.1", 40000, "10.0.0.30", 443, t0 + 10_000_000).syn().frames);
    const file = join(mkdtempSync(join(tmpdir(), "ocs-pcap-clients-")), "scan.pcap");
    writeFileSync(file, writePcap(records));
    const report = await analyzeCapture(file, { maxReportFlows: 10 });
    const g = report.blocked.find((x) => x.port === 5062)!;
    expect(g.attempts).toBe(10_050);
    expect([g.clients, g.clientsExact]).toEqual([10_000, false]);
    expect(g.summary).toMatch(/10050 attempts from at least 10000 clients/);
  });
});

describe("redaction in file names", () => {
  it("replaces addresses whatever letters or punctuation stand beside them", async () => {
    const { Redactor } = await import("../src/report/redact.js");
    const r = new Redactor({ key: "test" });
    for (const name of [
      "edge_10.0.0.30_trace.pcap",
      "fe10.0.0.31.pcap",
      "cap_2001:db8::30.pcap",
      "/x/10.1.2.3/y",
    ]) {
      expect(r.text(name), name).not.toMatch(/10\.0\.0\.3[01]|2001:db8::30|10\.1\.2\.3/);
    }
    // Not an address: five dotted numbers, a time of day.
    expect(r.text("v1.2.3.4.5 at 12:30:45")).toBe("v1.2.3.4.5 at 12:30:45");
  });
});

describe("bounded memory: pcapng interfaces", () => {
  it("keeps at most 65,536 interfaces per section, skipping and counting the rest with a warning", async () => {
    const { writePcapng } = await import("../fixtures/lib/pcapng.js");
    const { TcpConversation } = await import("../fixtures/lib/packets.js");
    const { analyzeCapture } = await import("../src/analyze.js");
    const syn = new TcpConversation("10.1.0.20", 40000, "10.0.0.10", 5061, Date.UTC(2024, 0, 1) * 1000).syn()
      .frames[0]!;
    const idbs = Array.from({ length: 70_000 }, (_, i) => ({
      kind: "idb" as const,
      iface: { linkType: i % 2 === 0 ? 1 : 101 },
    }));
    const bytes = writePcapng([
      {
        blocks: [
          ...idbs,
          { kind: "epb", iface: 0, tsMicros: syn.tsMicros, data: syn.data },
          { kind: "epb", iface: 69_999, tsMicros: syn.tsMicros + 1, data: syn.data },
        ],
      },
    ]);
    const file = join(mkdtempSync(join(tmpdir(), "ocs-pcap-idb-")), "idb.pcapng");
    writeFileSync(file, bytes);
    const report = await analyzeCapture(file);
    expect(report.capture.packets).toBe(1);
    const w = report.capture.warnings.find((x) => x.code === "max_interfaces");
    expect(w?.message).toMatch(
      /4464 interface description blocks were ignored and 1 packet on those interfaces was skipped/,
    );
  });
});

describe("file names cannot act on the terminal", () => {
  it("shows control characters in file names as \\xNN, in the batch table and on standard error", async () => {
    const dir = folder();
    const evil = join(dir, "caps", "evil\u001b[31mred\u0007\nline.pcap");
    copyFileSync(join(ROOT, "fixtures/truncated.pcap"), evil);
    const r = await cli("analyze", join(dir, "caps"), "--jobs", "1");
    expect(r.code).toBe(0);
    for (const text of [r.stdout, r.stderr]) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is that none is left.
      expect(text).not.toMatch(/[\u001b\u0007]/);
      expect(text).toContain("evil\\x1b[31mred\\x07\\x0aline.pcap");
    }
  });
});

describe("writing the report", () => {
  it("-o naming a FIFO whose reader goes away is exit 141, as standard output is", async () => {
    const { spawn, execFileSync } = await import("node:child_process");
    const fifo = join(folder(), "fifo");
    execFileSync("mkfifo", [fifo]);
    // The reader takes 10 bytes and leaves; the report (every fixture, over 64 KB) does not fit the pipe.
    const head = spawn("head", ["-c", "10", fifo], { stdio: "ignore" });
    const r = await cli("analyze", "fixtures", "-f", "json", "-o", fifo);
    await once(head, "exit");
    // (The fixtures' own warnings come first.)
    expect([r.code, r.stderr.split("\n").at(-2)]).toEqual([
      141,
      `ocs-pcap: ${fifo}: cannot write the report: EPIPE: broken pipe, write`,
    ]);
  });

  it("writes every byte of text of any size and script (writeAllSync)", async () => {
    const { closeSync, openSync } = await import("node:fs");
    const { writeAllSync } = await import("../src/cli/output.js");
    const file = join(folder(), "out.txt");
    const fd = openSync(file, "w");
    // Pieces through the reused buffer, one larger than it (its own buffer), then the buffer again.
    const pieces = ["flows ", "für €𝄞 ".repeat(50_000), "x".repeat(400_000), "ok\n"];
    for (const p of pieces) writeAllSync(fd, p);
    closeSync(fd);
    expect(readFileSync(file, "utf8")).toBe(pieces.join(""));
  });

  it("a name that fits as the report fits as its temporary file", async () => {
    const dir = folder();
    const out = join(dir, "r".repeat(245));
    const r = await cli("analyze", CAPTURE, "-f", "json", "-o", out);
    expect(r.code).toBe(0);
    expect(readFileSync(out, "utf8")).toMatch(/^\{\n {2}"schema": "ocs-pcap\/report@1"/);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });
});

describe("bounded worker pool", () => {
  it("reduces --jobs past 4 per CPU, with a warning", async () => {
    const { availableParallelism } = await import("node:os");
    const r = await cli(
      "analyze",
      "fixtures/blocked-cases.pcap",
      "fixtures/vlan.pcap",
      "-f",
      "csv",
      "--jobs",
      "1500",
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `ocs-pcap: warning: --jobs 1500 is more than 4 per CPU; using ${availableParallelism() * 4}\n`,
    );
  });
});

describe("topology lookups (issue 12, item 11)", () => {
  it("places addresses by binary search exactly as a scan of every entry would", async () => {
    const { parseTopology } = await import("../src/classify/topology.js");
    const fc = await import("fast-check");
    const roles = ["Front End Servers", "Edge Server", "Mediation Server"];
    // 5,000 single addresses in 10.0.0.0/16, clients in 10.1.0.0/16, external 198.51.100.0/24.
    const lines = roles.map(
      (role, k) =>
        `  ${role}: [${Array.from({ length: 1666 }, (_, i) => `"10.0.${k * 7 + (i >> 8)}.${i & 255}"`).join(", ")}]`,
    );
    const text = `roles:\n${lines.join("\n")}\nclients: [10.1.0.0/16, "2001:db8:1::/48"]\nexternal: [198.51.100.0/24]\n`;
    const topology = parseTopology(text, "t.yaml", roles);
    const scan = (v: number): string | null => {
      const a = (v >>> 16) & 255;
      const b = (v >>> 8) & 255;
      const c = v & 255;
      if (v >>> 24 === 10 && a === 0) {
        const k = Math.floor(b / 7);
        const i = ((b % 7) << 8) | c;
        return k < 3 && i < 1666 ? roles[k]! : null;
      }
      if (v >>> 24 === 10 && a === 1) return "clients";
      if (v >>> 8 === ((198 << 16) | (51 << 8) | 100)) return "external";
      return null;
    };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.boolean(), (v, near) => {
        const addr = near ? ((10 << 24) | (v & 0x1ffff)) >>> 0 : v;
        const p = topology.placeOf(4, [0, 0, 0, addr | 0]);
        expect(p === null ? null : (p.role ?? p.kind)).toBe(scan(addr));
      }),
      { numRuns: 2000 },
    );
    // An IPv4-mapped IPv6 address lives where its IPv4 form does.
    expect(topology.placeOf(6, [0, 0, 0xffff, (10 << 24) | (1 << 16) | 5 | 0])?.kind).toBe("clients");
  });

  it("takes an IPv4-mapped IPv6 entry as its IPv4 form: nested by longest prefix, refused when it is the same place", async () => {
    const { parseTopology } = await import("../src/classify/topology.js");
    const nested = parseTopology(
      'roles:\n  Edge Server: [10.0.0.30]\nclients: ["::ffff:10.0.0.0/120"]\n',
      "t.yaml",
      ["Edge Server"],
    );
    expect(nested.placeOf(4, [0, 0, 0, 0x0a00001e])?.role).toBe("Edge Server");
    expect(nested.placeOf(4, [0, 0, 0, 0x0a00001f])?.kind).toBe("clients");
    expect(() =>
      parseTopology('roles:\n  Edge Server: [10.0.0.30]\nclients: ["::ffff:10.0.0.30"]\n', "t.yaml", [
        "Edge Server",
      ]),
    ).toThrow(
      /::ffff:10\.0\.0\.30 \(clients\) is also 10\.0\.0\.30 \(role 'Edge Server', line 2\): one place, two owners/,
    );
  });
});

describe("redaction keys and paths (issue 12, item 6)", () => {
  it("takes 64 hex digits as a raw Crypto-PAn key: the reference implementation's sample vectors hold", async () => {
    const { Redactor } = await import("../src/report/redact.js");
    // The key and the first lines of the sample trace that ship with Crypto-PAn (Xu, Fan, Ammar, Moon).
    const key = Buffer.from([
      21, 34, 23, 141, 51, 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16, 216, 152, 143, 131, 121, 121, 101,
      39, 98, 87, 76, 45, 42, 132, 34, 2,
    ]).toString("hex");
    const r = new Redactor({ key });
    const vectors: [string, string][] = [
      ["128.11.68.132", "135.242.180.132"],
      ["129.118.74.4", "134.136.186.123"],
      ["130.132.252.244", "133.68.164.234"],
      ["141.223.7.43", "141.167.8.160"],
      ["192.102.249.13", "252.138.62.131"],
    ];
    for (const [original, anonymized] of vectors) expect(r.address(original)).toBe(anonymized);
  });

  it("reads the key from --redact-key-file or OCS_PCAP_REDACT_KEY, giving the same pseudonyms as --redact-key", async () => {
    const dir = folder();
    const keyFile = join(dir, "key.txt");
    writeFileSync(keyFile, "site secret\n");
    const run = async (extra: string[], env?: string) => {
      const before = process.env.OCS_PCAP_REDACT_KEY;
      if (env !== undefined) process.env.OCS_PCAP_REDACT_KEY = env;
      try {
        return (await cli("analyze", CAPTURE, "-f", "json", "--redact", ...extra)).stdout;
      } finally {
        if (before === undefined) delete process.env.OCS_PCAP_REDACT_KEY;
        else process.env.OCS_PCAP_REDACT_KEY = before;
      }
    };
    const byOption = await run(["--redact-key", "site secret"]);
    expect(await run(["--redact-key-file", keyFile])).toBe(byOption);
    expect(await run([], "site secret")).toBe(byOption);
    expect(await run(["--redact-key", "another"])).not.toBe(byOption);
  });

  it("pseudonymizes the directories of a capture's path, in JSON and in the HTML title", async () => {
    const dir = folder();
    const secret = join(dir, "customer-contoso", "edge_10.0.0.30");
    mkdirSync(secret, { recursive: true });
    const capture = join(secret, "trace.pcap");
    copyFileSync(CAPTURE, capture);
    for (const format of ["json", "html"]) {
      const r = await cli("analyze", capture, "-f", format, "--redact");
      expect(r.stdout, format).not.toContain("customer-contoso");
      expect(r.stdout, format).not.toContain("10.0.0.30");
      expect(r.stdout, format).toMatch(/dir-[0-9a-f]{8}\/dir-[0-9a-f]{8}\/trace\.pcap/);
    }
  });
});

describe("simple packet blocks and the record limit", () => {
  it("holds a simple packet block to --max-record-len, as every other packet", async () => {
    const { writePcapng } = await import("../fixtures/lib/pcapng.js");
    const { analyzeCapture } = await import("../src/analyze.js");
    const { CaptureError } = await import("../src/capture/types.js");
    const bytes = writePcapng([
      {
        blocks: [
          { kind: "idb", iface: { linkType: 1 } },
          { kind: "spb", data: new Uint8Array(100).fill(1) },
        ],
      },
    ]);
    const file = join(mkdtempSync(join(tmpdir(), "ocs-pcap-spb-")), "spb.pcapng");
    writeFileSync(file, bytes);
    const err = await analyzeCapture(file, { maxRecordLen: 64 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptureError);
    expect((err as Error).message).toMatch(
      /simple packet block at offset 48 carries 100 bytes, over the 64-byte limit/,
    );
    // Under the limit it is read.
    expect((await analyzeCapture(file)).capture.packets).toBe(1);
  });
});

describe("file names that are not UTF-8", () => {
  it("are reported as unreadable with the reason, never skipped", async () => {
    const dir = folder();
    const bad = Buffer.concat([
      Buffer.from(join(dir, "caps", "bad")),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(".pcap"),
    ]);
    copyFileSync(CAPTURE, bad);
    const r = await cli("analyze", join(dir, "caps"), "--jobs", "1");
    expect(r.code).toBe(65);
    expect(r.stdout).toContain(`${join(dir, "caps", "bad")}\\xff\\xfe.pcap  unreadable`);
    expect(r.stderr).toMatch(/bad\\xff\\xfe\.pcap: the file name is not valid UTF-8/);
    expect(r.stdout).toMatch(/x\.pcap +ok/);
  });
});

describe("folders and files a walk cannot read, and report folders that cannot be made", () => {
  it("a pseudo-file that fails to read (/proc/self/mem) is not a capture, and does not stop the walk", () => {
    expect(looksLikeCapture("/proc/self/mem")).toBe(false);
    expect(looksLikeCapture(CAPTURE)).toBe(true);
  });

  it("--report-dir under /proc is an error (73) naming it, not a hang in Node's recursive mkdir", async () => {
    const r = await cli("analyze", CAPTURE, "--report-dir", "/proc/ocs-pcap-no-such/dir");
    expect(r.code).toBe(73);
    expect(r.stderr).toMatch(
      /^ocs-pcap: \/proc\/ocs-pcap-no-such\/dir: cannot create the report directory: ENOENT/m,
    );
  });

  it("--report-dir below a file is an error (73); one that exists is used as it is", async () => {
    const dir = folder();
    const r = await cli("analyze", CAPTURE, "--report-dir", join(dir, "caps", "x.pcap", "sub"));
    expect(r.code).toBe(73);
    expect(r.stderr).toMatch(/cannot create the report directory: ENOTDIR/);
    const made = join(dir, "new", "deeper");
    expect((await cli("analyze", CAPTURE, "--report-dir", made, "-f", "json")).stderr).toBe("");
    expect(readdirSync(made).length).toBeGreaterThan(0);
  });
});
