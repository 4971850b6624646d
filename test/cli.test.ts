import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { cliFast, cliWith, ROOT } from "./helpers/cli.js";
import { canonical, readGolden } from "./helpers/golden.js";
import { runCliWith } from "./helpers/run.js";

function cliWithInput(input: Buffer | undefined, ...args: string[]) {
  return cliWith(input === undefined ? {} : { input }, ...args);
}

const sha = (path: string) =>
  createHash("sha256")
    .update(readFileSync(join(ROOT, path)))
    .digest("hex");

describe("ocs-pcap analyze", () => {
  it("prints the table report and exits 0", async () => {
    const r = await cliFast("analyze", "fixtures/ocs-sample.pcap");
    expect(r.code).toBe(0);
    expect(canonical(r.stdout)).toBe(readGolden(join(ROOT, "fixtures/ocs-sample.txt")));
    expect(r.stderr).toBe("");
  });

  it("prints the JSON report with --format json", async () => {
    const r = await cliFast("analyze", "fixtures/ocs-sample.pcap", "--format", "json");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(ROOT, "fixtures/ocs-sample.json"), "utf8"));
  });

  it("exits 1 when a --fail-on verdict is present, and 0 when none is", async () => {
    const failed = await cliFast(
      "analyze",
      "fixtures/ocs-sample.pcap",
      "--format",
      "json",
      "--fail-on",
      "blocked,misdirected",
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe("ocs-pcap: --fail-on: 2 blocked, 2 misdirected\n");
    expect(JSON.parse(failed.stdout).summary.blocked).toBe(2);
    expect(
      (await cliFast("analyze", "fixtures/vlan.pcap", "--fail-on", "blocked,misdirected,unknown")).code,
    ).toBe(0);
  });

  it("--fail-on takes information reasons too: a known flow's peer_receive_only fails CI when asked", async () => {
    // fixtures/review-cases.pcap holds one held call (RTP one way, the peer's RTCP reporting on it).
    const held = await cliFast(
      "analyze",
      "fixtures/review-cases.pcap",
      "-q",
      "--fail-on",
      "peer_receive_only",
    );
    expect([held.code, held.stderr]).toEqual([1, "ocs-pcap: --fail-on: 1 peer_receive_only flow\n"]);
    const none = await cliFast("analyze", "fixtures/ocs-sample.pcap", "-q", "--fail-on", "peer_receive_only");
    expect(none.code).toBe(0);
  });

  it("exits 2 on usage errors, with a message and no stack trace", async () => {
    const bad = await cliFast("analyze", "fixtures/ocs-sample.pcap", "--fail-on", "everything");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--fail-on: unknown verdict or reason 'everything'/);
    expect((await cliFast("analyze", "fixtures/ocs-sample.pcap", "--format", "xml")).code).toBe(2);
    expect((await cliFast("analyze")).code).toBe(2);
    expect((await cliFast("analyze", "fixtures/ocs-sample.pcap", "--no-such-option")).code).toBe(2);
    expect((await cliFast("frobnicate")).code).toBe(2);
    expect((await cliFast("analyze", "fixtures/ocs-sample.pcap", "--limit", "-3")).code).toBe(2);
  });

  it("exits 66 when the file cannot be opened", async () => {
    const missing = await cliFast("analyze", "fixtures/no-such-file.pcap");
    expect(missing.code).toBe(66);
    expect(missing.stderr).toBe("ocs-pcap: fixtures/no-such-file.pcap: cannot open: no such file\n");
    expect((await cliFast("analyze", "fixtures/recorded/no-such-dir/")).code).toBe(66);
  });

  it("exits 65 for input that is not a readable capture, naming file and offset", async () => {
    const cases: [string, RegExp][] = [
      [
        "fixtures/malformed/not-a-capture.txt",
        /not-a-capture\.txt: offset 0: not a capture file: unknown magic number 54 68 69 73/,
      ],
      ["fixtures/malformed/empty.pcap", /empty\.pcap: offset 0: empty file/],
      ["fixtures/malformed/short-header.pcap", /short-header\.pcap: offset 0: file ends after 20 bytes/],
      ["fixtures/malformed/bad-version.pcap", /bad-version\.pcap: offset 4: unsupported pcap version 3\.4/],
    ];
    for (const [path, message] of cases) {
      const r = await cliFast("analyze", path);
      expect(r.code, path).toBe(65);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe("");
    }
  });

  it("reports the good packets of a damaged or cut file, with a warning naming the offset", async () => {
    const huge = await cliFast("analyze", "fixtures/malformed/huge-record.pcap", "--format", "json");
    expect(huge.code).toBe(0);
    expect(huge.stderr).toMatch(
      /warning: fixtures\/malformed\/huge-record\.pcap: offset \d+: record at offset \d+ claims 2147483647 captured bytes/,
    );
    expect(JSON.parse(huge.stdout).capture.packets).toBe(2);
    const cut = await cliFast("analyze", "fixtures/truncated.pcap", "--format", "json");
    expect(cut.code).toBe(0);
    expect(cut.stderr).toMatch(/offset 4390: capture ends mid-record/);
    expect(JSON.parse(cut.stdout).capture.packets).toBe(43);
  });

  it("reads a capture piped to standard input with '-', compressed or not", async () => {
    // Through a real pipe into the bin once (the smoke test), in-process for the rest.
    const piped = cliWithInput(
      readFileSync(join(ROOT, "fixtures/ocs-sample.pcapng.gz")),
      "analyze",
      "-",
      "-f",
      "json",
    );
    const stdin = (bytes: Buffer) => ({ stdin: Readable.from([bytes]) });
    const plain = await runCliWith(
      stdin(readFileSync(join(ROOT, "fixtures/ocs-sample.pcap"))),
      "analyze",
      "-",
      "-f",
      "json",
    );
    for (const [name, r] of [
      ["gzip, piped", piped],
      ["plain", plain],
    ] as const) {
      expect(r.code, name).toBe(0);
      const json = JSON.parse(r.stdout);
      expect([json.capture.path, json.summary.flows], name).toEqual(["(standard input)", 12]);
    }
    const empty = await runCliWith(stdin(Buffer.alloc(0)), "analyze", "-");
    expect(empty.code).toBe(65);
    expect(empty.stderr).toBe("ocs-pcap: -: offset 0: empty file: no capture header\n");
  });

  it("reads a pipe named as a file (a FIFO, /dev/stdin, <(zcat …)) as a stream: same report as the file", async () => {
    // A pipe cannot be read at an offset (ESPIPE); it used to exit 66.
    const golden = JSON.parse(readFileSync(join(ROOT, "fixtures", "ocs-sample.json"), "utf8"));
    const dir = mkdtempSync(join(tmpdir(), "ocs-pcap-fifo-"));
    const fifo = join(dir, "capture.fifo");
    execFileSync("mkfifo", [fifo]);
    const through = async (source: string, ...args: string[]) => {
      // The writer is its own process: opening a FIFO blocks until both ends are open.
      const writer = spawn("sh", ["-c", 'cat "$1" > "$2"', "sh", source, fifo], { stdio: "ignore" });
      const r = await cliFast("analyze", fifo, ...args);
      writer.kill();
      return r;
    };
    for (const name of ["ocs-sample.pcap", "ocs-sample.pcap.gz"]) {
      const r = await through(join(ROOT, "fixtures", name), "--format", "json");
      expect(r.stderr, name).toBe("");
      expect(r.code, name).toBe(0);
      const json = JSON.parse(r.stdout);
      expect(json.capture.path).toBe(fifo);
      expect(json.capture.format).toBe(name.endsWith(".gz") ? "pcap.gz" : "pcap");
      expect(json.flows).toEqual(golden.flows);
    }
    const cut = await through(join(ROOT, "fixtures", "truncated.pcap"));
    expect(cut.code).toBe(0);
    expect(cut.stderr).toContain(`warning: ${fifo}: offset 4390: capture ends mid-record`);
  });

  it("exits 65 or reports with a warning for each kind of broken pcapng and gzip input", async () => {
    const stops: [string, RegExp][] = [
      [
        "fixtures/malformed/pcapng-epb-before-idb.pcapng",
        /offset 36: packet block at offset 28 refers to interface 0/,
      ],
      ["fixtures/malformed/pcapng-version.pcapng", /offset 12: unsupported pcapng version 2\.0/],
      [
        "fixtures/malformed/gzip-cut-early.pcap.gz",
        /offset 16: gzip stream cut short at compressed byte 16, .*after 0 decompressed bytes, before any packet/,
      ],
    ];
    for (const [path, message] of stops) {
      const r = await cliFast("analyze", path);
      expect(r.code, path).toBe(65);
      expect(r.stderr).toMatch(message);
    }
    const continues: [string, number, RegExp][] = [
      ["fixtures/malformed/pcapng-truncated.pcapng", 4, /offset 408: capture ends mid-block/],
      [
        "fixtures/malformed/pcapng-length-mismatch.pcapng",
        2,
        /trailing length 92 differs from leading length 88/,
      ],
      ["fixtures/malformed/pcapng-no-interface.pcapng", 2, /refers to interface 1, but only 1 interface/],
      [
        "fixtures/malformed/gzip-cut.pcap.gz",
        19,
        /gzip stream cut short at compressed byte \d+, .*after \d+ decompressed bytes/,
      ],
    ];
    for (const [path, packets, message] of continues) {
      const r = await cliFast("analyze", path, "--format", "json");
      expect(r.code, path).toBe(0);
      expect(r.stderr).toMatch(message);
      expect(JSON.parse(r.stdout).capture.packets).toBe(packets);
    }
  });

  it("writes -o atomically, leaving no temporary file, and never touches the input", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ocs-pcap-"));
    const before = sha("fixtures/ocs-sample.pcap");
    const out = join(dir, "report.json");
    const r = await cliFast("analyze", "fixtures/ocs-sample.pcap", "--format", "json", "-o", out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(readFileSync(out, "utf8")).toBe(readFileSync(join(ROOT, "fixtures/ocs-sample.json"), "utf8"));
    expect(readdirSync(dir)).toEqual(["report.json"]);
    expect(sha("fixtures/ocs-sample.pcap")).toBe(before);
    const self = await cliFast("analyze", "fixtures/ocs-sample.pcap", "-o", "fixtures/ocs-sample.pcap");
    expect(self.code).toBe(2);
    expect(self.stderr).toMatch(/refusing to overwrite/);
    expect(sha("fixtures/ocs-sample.pcap")).toBe(before);
    const nowhere = await cliFast("analyze", "fixtures/ocs-sample.pcap", "-o", join(dir, "missing", "r.txt"));
    expect(nowhere.code).toBe(73);
    expect(nowhere.stderr).toMatch(/r\.txt: cannot be written: there is no folder .*missing\n$/);
  });

  it("has --help with examples on every command, and --version", async () => {
    for (const args of [["--help"], ["analyze", "--help"], ["catalog", "--help"]]) {
      const r = await cliFast(...args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Examples:\n\s+\$ ocs-pcap/);
    }
    expect((await cliFast("analyze", "--help")).stdout).toMatch(/65 not a readable capture/);
    expect((await cliFast("--version")).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe("ocs-pcap catalog", () => {
  it("prints every entry as JSON, following the contract", async () => {
    const r = await cliFast("catalog", "--format", "json");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { entries: Record<string, unknown>[] };
    expect(json.entries).toHaveLength(75);
    expect(Object.keys(json.entries[0]!)).toEqual(
      expect.arrayContaining(["role", "ports", "transports", "protocol", "seedRow", "notes"]),
    );
  });

  it("lists the roles that use a port, most specific first", async () => {
    const r = await cliFast("catalog", "--port", "60010", "--format", "json");
    const roles = (JSON.parse(r.stdout) as { entries: { role: string }[] }).entries.map((e) => e.role);
    expect(roles[0]).toBe("Mediation Server");
    expect(roles.slice(-2)).toEqual(["Office Communicator", "Live Meeting 2007 client"]);
    const tcp = await cliFast("catalog", "--port", "3478", "--transport", "tcp", "--format", "json");
    expect((JSON.parse(tcp.stdout) as { entries: unknown[] }).entries).toHaveLength(2); // client ranges only
    const table = await cliFast("catalog", "--port", "5061", "--transport", "tcp");
    expect(table.stdout).toMatch(/Catalog entries for port 5061\/tcp, most specific first \(14\)/);
  });

  it("rejects a bad port or a transport without a port", async () => {
    expect((await cliFast("catalog", "--port", "70000")).code).toBe(2);
    expect((await cliFast("catalog", "--port", "abc")).code).toBe(2);
    expect((await cliFast("catalog", "--transport", "udp")).code).toBe(2);
  });
});
