/**
 * Issue 7: hostile and huge captures. A fixed-seed sample of the mutation
 * fuzzer (the full run is `npm run fuzz`), every minimised fuzz finding in
 * fixtures/malformed/ as a regression test, --strict, and the limits
 * (--max-flows, --max-fragments, --max-report-flows).
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ethernet, ipv4, TcpConversation, udp, udpDatagram, writePcap } from "../fixtures/lib/packets.js";
import { analyzeCapture } from "../src/analyze.js";
import { Anomaly } from "../src/decode/anomaly.js";
import { decodeFrame } from "../src/decode/frame.js";
import { Packet } from "../src/decode/packet.js";
import { FlowTable } from "../src/flow/table.js";
import { renderJunit } from "../src/report/junit.js";
import {
  collectReportSeeds,
  collectSeeds,
  hostileOutput,
  idbFlood,
  judge,
  lengthFields,
  mutate,
  mutateReport,
  prng,
  runCli,
  variant,
} from "./fuzz/core.js";
import { cliFast, ROOT } from "./helpers/cli.js";
import { canonical, readGolden } from "./helpers/golden.js";

const tmp = () => mkdtempSync(join(tmpdir(), "ocs-pcap-robust-"));

describe("mutation fuzzing (fixed-seed sample of npm run fuzz)", () => {
  // Fixtures only, so the sample is the same on every machine.
  const seeds = collectSeeds(ROOT, [join(ROOT, "fixtures")]);
  const reports = collectReportSeeds(ROOT, [join(ROOT, "fixtures")]);
  const SEED = 7;
  // A quick sample for every `npm test` (about 6 ms a variant); .ci/run runs `npm run fuzz` over
  // 10,000 more, with the corpus. The first 120 of seed 7 reach every lane: an IDB flood, 8
  // hostile and 3 broken reports.
  const VARIANTS = 120;

  it("the mutations do what they say", async () => {
    const base = readFileSync(join(ROOT, "fixtures/ocs-sample.pcap"));
    const fields = lengthFields(base);
    // 44 records × (caplen, wirelen), plus IP/TCP/UDP lengths inside the frames.
    expect(fields.filter((f) => f.size === 4).length).toBe(88);
    expect(fields.length).toBeGreaterThan(88 + 40);
    const rnd = prng(1);
    const kinds = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const m = mutate(base, rnd);
      kinds.add(m.kind);
      expect(Buffer.compare(Buffer.from(m.bytes), base) !== 0 || m.kind === "truncate").toBe(true);
    }
    expect([...kinds].sort()).toEqual(["bitflip", "delete", "insert", "length", "truncate"]);
    // Any input, even empty, mutates without throwing.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer(), (bytes, seed) => {
        const r = prng(seed);
        const once = mutate(bytes, r);
        mutate(once.bytes, r);
      }),
      { numRuns: 3000 },
    );
    // Report mutations put hostile text and numbers where a report's fields are, and still parse.
    const r = prng(3);
    const hostile = Array.from({ length: 40 }, () => mutateReport(reports[0]!.bytes, r));
    expect(reports.length).toBeGreaterThanOrEqual(10);
    expect(new Set(hostile.map((h) => h.kind))).toEqual(new Set(["hostile-report", "broken-report"]));
    for (const h of hostile.filter((x) => x.kind === "hostile-report")) {
      expect(() => JSON.parse(Buffer.from(h.bytes).toString("utf8"))).not.toThrow();
    }
    // The checker sees what it must: a raw escape, a live link, a script tag.
    expect(hostileOutput("table", "a\u001b[31mb")).toMatch(/raw control character U\+001b/);
    expect(hostileOutput("markdown", "[x](javascript:alert(1))")).toMatch(/javascript/);
    expect(hostileOutput("html", "<script>alert(1)</script>")).toMatch(/script/);
    expect(hostileOutput("html", "&lt;script&gt;alert(1)")).toBeNull();
    // An IDB flood is a gzipped pcapng of n interfaces.
    const flood = idbFlood(70_000);
    expect([flood[0], flood[1]]).toEqual([0x1f, 0x8b]);
    expect(flood.length).toBeLessThan(100_000);
    // Deterministic: the same (seed, index) gives the same variant.
    expect(Buffer.from(variant(seeds, SEED, 5).bytes)).toEqual(Buffer.from(variant(seeds, SEED, 5).bytes));
  });

  it(`${VARIANTS} variants of every fixture: no exception, stack trace, stray exit code, hang or heap growth`, async () => {
    const dir = tmp();
    const failures: string[] = [];
    const codes = new Map<number, number>();
    const kinds = new Map<string, number>();
    for (let i = 0; i < VARIANTS; i++) {
      const v = variant(seeds, SEED, i, reports);
      const o = await runCli(v.bytes, join(dir, v.file), v.format, v.command);
      codes.set(o.code, (codes.get(o.code) ?? 0) + 1);
      kinds.set(v.kind, (kinds.get(v.kind) ?? 0) + 1);
      const why = judge(o, v.bytes.length);
      if (why !== null) failures.push(`variant ${i} (${v.seed.name}, ${v.kind}): ${why}`);
    }
    expect(failures).toEqual([]);
    // Both outcomes occur: the sample reaches the readers' error paths and the analysis.
    expect(codes.get(0)).toBeGreaterThan(VARIANTS / 4);
    expect(codes.get(65)).toBeGreaterThan(10);
    expect(kinds.get("idb-flood")).toBeGreaterThan(0);
    expect(kinds.get("hostile-report")).toBeGreaterThan(5);
    expect(kinds.get("broken-report")).toBeGreaterThan(0);
  }, 120_000);

  it("a pcapng timestamp beyond any date is clamped and counted, not a crash (fuzz finding)", async () => {
    const r = await analyzeCapture("fixtures/malformed/fuzz-09a5950b4dab.pcapng", { version: "t" });
    expect(r.capture.anomalies).toEqual({ "capture.timestamp_out_of_range": 1 });
    expect(r.capture.lastSeen).toBe("2255-06-05T23:47:34.740991Z");
  });

  it("every minimised fuzz finding in fixtures/malformed/ stays fixed", async () => {
    const dir = join(ROOT, "fixtures", "malformed");
    const found = readdirSync(dir).filter((n) => n.startsWith("fuzz-"));
    const out = tmp();
    for (const name of found) {
      const bytes = readFileSync(join(dir, name));
      for (const format of ["json", "table", "html", "markdown", "csv", "junit"]) {
        const o = await runCli(bytes, join(out, name), format);
        expect(judge(o, bytes.length), `${name} --format ${format}`).toBeNull();
      }
    }
  });
});

describe("truncated captures and --strict", () => {
  it("a capture cut mid-record gives the full report and exit 0; --strict makes it 65, report still written", async () => {
    const dir = tmp();
    const plain = await cliFast("analyze", "fixtures/truncated.pcap", "-o", join(dir, "a.txt"));
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(/offset 4390: capture ends mid-record/);
    const strict = await cliFast("analyze", "fixtures/truncated.pcap", "--strict", "-o", join(dir, "b.txt"));
    expect(strict.code).toBe(65);
    expect(readFileSync(join(dir, "b.txt"), "utf8")).toBe(readFileSync(join(dir, "a.txt"), "utf8"));
    expect(canonical(readFileSync(join(dir, "b.txt"), "utf8"))).toBe(
      readGolden(join(ROOT, "fixtures/truncated.txt")),
    );
    // An undamaged capture passes --strict; a policy failure still outranks it.
    expect((await cliFast("analyze", "fixtures/ocs-sample.pcap", "--strict")).code).toBe(0);
    expect(
      (await cliFast("analyze", "fixtures/truncated.pcap", "--strict", "--fail-on", "blocked")).code,
    ).toBe(1);
    for (const f of [
      "malformed/pcapng-truncated.pcapng",
      "malformed/gzip-cut.pcap.gz",
      "malformed/huge-record.pcap",
    ]) {
      expect((await cliFast("analyze", `fixtures/${f}`)).code, f).toBe(0);
      expect((await cliFast("analyze", `fixtures/${f}`, "--strict")).code, f).toBe(65);
    }
  });
});

describe("--max-flows", () => {
  /** 300 short UDP conversations, 10 at a time, then one long TCP flow spanning them. */
  function many(dir: string): string {
    const frames = [];
    const t0 = 1_700_000_000_000_000;
    const long = new TcpConversation("10.1.0.20", 40000, "10.0.0.10", 5061, t0).handshake();
    for (let i = 0; i < 300; i++) {
      const t = t0 + 1000 + i * 1000;
      frames.push(udp("10.1.0.20", 50000 + i, "10.0.0.30", 3478, t, "x"));
      frames.push(udp("10.0.0.30", 3478, "10.1.0.20", 50000 + i, t + 10, "y"));
    }
    long
      .at(t0 + 400_000)
      .data(true, "late")
      .close();
    frames.push(...long.frames);
    frames.sort((a, b) => a.tsMicros - b.tsMicros);
    const path = join(dir, "many.pcap");
    writeFileSync(path, writePcap(frames));
    return path;
  }

  it("ends the longest-idle flows early past the limit, and says how many", async () => {
    const path = many(tmp());
    const free = await analyzeCapture(path, { version: "t" });
    expect(free.summary.flows).toBe(301);
    expect(free.capture.warnings).toEqual([]);
    const capped = await analyzeCapture(path, { version: "t", maxFlows: 50 });
    const w = capped.capture.warnings.find((x) => x.code === "max_flows");
    expect(w?.message).toMatch(
      /^more than 50 flows were active at once \(--max-flows\); \d+ of the longest-idle flows were ended early/,
    );
    // The long TCP flow was idle longest, so it was ended early and its tail became a second flow.
    const tcp = capped.flows.filter((f) => f.transport === "tcp");
    expect(tcp.length).toBe(2);
    expect(capped.summary.flows).toBe(302);
    // The UDP conversations were each complete before eviction reached them.
    expect(capped.flows.filter((f) => f.transport === "udp").every((f) => f.packetsFromServer === 1)).toBe(
      true,
    );
  });

  it("never holds more than the limit", async () => {
    const table = new FlowTable({ likelyServerPort: () => false, onFinal: () => undefined, maxFlows: 100 });
    const pkt = new Packet();
    let peak = 0;
    for (let i = 0; i < 1000; i++) {
      const data = udp("10.1.0.20", 1024 + i, "10.0.0.30", 3478, 0, "x").data;
      expect(decodeFrame(1, data, 0, data.length, pkt)).toBe(Anomaly.OK);
      table.add(pkt, {
        buf: data,
        tsMicros: 1_000_000 + i,
        wireLen: data.length,
        index: i + 1,
        fileOffset: 24 + i * 60,
        process: -1,
      });
      peak = Math.max(peak, table.size);
    }
    expect(peak).toBe(100);
    expect(table.evicted.flows).toBe(1000 - table.size);
    expect(table.evicted.firstOffset).toBe(24 + 100 * 60);
  });

  it("is a CLI option, validated and documented in --help", async () => {
    const r = await cliFast("analyze", "fixtures/ocs-sample.pcap", "--max-flows", "5");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--max-flows must be at least 10/);
    expect((await cliFast("analyze", "--help")).stdout).toMatch(
      /--max-flows <n>\s+most flows held in memory/,
    );
  });
});

describe("--max-fragments", () => {
  /** 10 UDP datagrams sent as two fragments each: all first fragments, then all second ones. */
  function fragmented(dir: string): string {
    const t0 = 1_700_000_000_000_000;
    const firsts = [];
    const seconds = [];
    for (let id = 1; id <= 10; id++) {
      const dgram = udpDatagram(40000 + id, 5060, new Uint8Array(2000).fill(0x41));
      const first = Uint8Array.from(ipv4("10.1.0.20", "10.0.0.10", 17, dgram.subarray(0, 1480), id));
      first[6] = 0x20; // more fragments, offset 0
      first[2] = 1500 >> 8;
      first[3] = 1500 & 0xff;
      const rest = dgram.subarray(1480);
      const second = Uint8Array.from(ipv4("10.1.0.20", "10.0.0.10", 17, rest, id));
      second[6] = 0;
      second[7] = 1480 / 8; // offset 185 × 8
      firsts.push({ tsMicros: t0 + id * 10, data: ethernet(first, 0x0800) });
      seconds.push({ tsMicros: t0 + 1000 + id * 10, data: ethernet(second, 0x0800) });
    }
    const path = join(dir, "frag.pcap");
    writeFileSync(path, writePcap([...firsts, ...seconds]));
    return path;
  }

  it("forgets the oldest open datagrams past the limit, and says how many", async () => {
    const path = fragmented(tmp());
    const free = await analyzeCapture(path, { version: "t" });
    expect(free.capture.warnings).toEqual([]);
    expect(free.flows.map((f) => f.packetsFromClient)).toEqual(Array(10).fill(2));
    const capped = await analyzeCapture(path, { version: "t", maxFragments: 4 });
    expect(capped.capture.warnings.map((w) => w.code)).toEqual(["max_fragments"]);
    expect(capped.capture.warnings[0]!.message).toMatch(
      /more than 4 fragmented datagrams .*; 6 were forgotten/,
    );
    expect(capped.capture.skipped).toEqual({ ip_fragment_unmatched: 6 });
    // The warning names where it first happened: the fifth first fragment's record (the first past the limit).
    const bytes = readFileSync(path);
    let at = 24;
    for (let i = 0; i < 4; i++) at += 16 + bytes.readUInt32LE(at + 8);
    expect(capped.capture.warnings[0]!.offset).toBe(at);
    expect(capped.flows.map((f) => f.packetsFromClient)).toEqual([...Array(6).fill(1), ...Array(4).fill(2)]);
    // A limit is not damage: --strict does not fail on it.
    expect((await cliFast("analyze", path, "--max-fragments", "4", "--strict")).code).toBe(0);
  });
});

describe("--max-report-flows", () => {
  const sample = join(ROOT, "fixtures", "ocs-sample.pcap");
  const blockedCases = join(ROOT, "fixtures", "blocked-cases.pcap");

  it("lists at most the limit, findings first, and still counts every flow", async () => {
    const free = await analyzeCapture(sample, { version: "t" });
    expect(free.summary).toMatchObject({ flows: 12, known: 4 });
    for (const [limit, listed] of [
      [3, 3],
      [10, 10],
      [12, 12],
    ] as const) {
      const capped = await analyzeCapture(sample, { version: "t", maxReportFlows: limit });
      expect(capped.flows, `limit ${limit}`).toHaveLength(listed);
      // What is counted does not depend on what is listed.
      expect(capped.summary).toEqual(free.summary);
      expect(capped.roles).toEqual(free.roles);
      expect(capped.blocked.map(({ flows: _, ...g }) => g)).toEqual(
        free.blocked.map(({ flows: _, ...g }) => g),
      );
      // Listed records are the free report's own, in report order.
      for (const f of capped.flows) expect(free.flows).toContainEqual(f);
      expect(capped.flows.map((f) => f.firstSeen)).toEqual(
        [...capped.flows.map((f) => f.firstSeen)].sort((a, b) => a - b),
      );
      // Findings first: every flow that is not known is listed while there is room.
      const notable = free.flows.filter((f) => f.verdict !== "known");
      expect(capped.flows.filter((f) => f.verdict !== "known")).toHaveLength(Math.min(limit, notable.length));
      if (listed < 12) {
        expect(capped.capture.warnings.map((w) => w.code)).toEqual(["max_report_flows"]);
        expect(capped.capture.warnings[0]!.message).toContain(
          `${12 - listed} more (${4 - (listed - Math.min(limit, notable.length))} known, ${notable.length - Math.min(limit, notable.length)} other)`,
        );
      } else {
        expect(capped.capture.warnings).toEqual([]);
      }
    }
  });

  it("counts blocked attempts it does not list in the blocked groups", async () => {
    const free = await analyzeCapture(blockedCases, { version: "t" });
    const none = await analyzeCapture(blockedCases, { version: "t", maxReportFlows: 0 });
    expect(none.flows).toEqual([]);
    expect(free.blocked.length).toBeGreaterThan(1);
    expect(none.blocked).toEqual(free.blocked.map((g) => ({ ...g, flows: [] })));
    expect(none.summary).toEqual(free.summary);
    // JUnit counts come from the counts, not the list: the same testcases fail, with the same totals.
    const options = { failOnUnknown: true, failOnInconclusive: true };
    const firstLines = (xml: string) => [...xml.matchAll(/<failure message="([^"]*)"/g)].map((m) => m[1]);
    const freeLines = firstLines(renderJunit([free], options));
    expect(freeLines.length).toBeGreaterThan(2);
    expect(firstLines(renderJunit([none], options))).toEqual(freeLines);
  });

  it("is a CLI option; the limit is not damage, so --strict does not fail on it", async () => {
    const r = await cliFast(
      "analyze",
      "fixtures/ocs-sample.pcap",
      "--max-report-flows",
      "3",
      "--format",
      "json",
      "--strict",
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).flows).toHaveLength(3);
    expect(r.stderr).toMatch(/warning: .*the report lists at most 3 flows \(--max-report-flows\); 9 more/);
    expect((await cliFast("analyze", "--help")).stdout).toMatch(
      /--max-report-flows <n>\s+most flows a report lists/,
    );
    // Every format counts what it cannot list.
    const table = (await cliFast("analyze", "fixtures/ocs-sample.pcap", "--max-report-flows", "3")).stdout;
    expect(table).toMatch(/^Unknown flows \(4\)\n {2}… and 4 not listed \(--max-report-flows\)$/m);
    const markdown = await cliFast(
      "analyze",
      "fixtures/ocs-sample.pcap",
      "--max-report-flows",
      "3",
      "--format",
      "markdown",
    );
    expect(markdown.stdout).toContain("### Unknown (4)\n\n4 of them not listed (--max-report-flows).");
    const html = await cliFast(
      "analyze",
      "fixtures/ocs-sample.pcap",
      "--max-report-flows",
      "3",
      "--format",
      "html",
    );
    expect(html.stdout).toContain("3 of 3 flows shown; 9 more counted but not listed (--max-report-flows).");
    expect((await cliFast("analyze", "fixtures/ocs-sample.pcap", "--max-report-flows", "x")).code).toBe(2);
  });
});
