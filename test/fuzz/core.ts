/**
 * The mutation fuzzer's core, shared by `npm run fuzz` (test/fuzz/run.ts)
 * and the fixed-seed sample in `npm test` (test/fuzz.test.ts).
 *
 * Modelled on Wireshark's fuzz testing (tools/fuzz-test.sh runs tshark over
 * captures corrupted by `editcap -E`): each variant is a seed capture with
 * one mutation, run through the real CLI in-process. A variant is wholly
 * determined by (seed, index), so any failure can be regenerated.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { type BlockSpec, writePcapng } from "../../fixtures/lib/pcapng.js";
import { run } from "../../src/cli/main.js";

/** mulberry32: a small, fast, seedable PRNG (deterministic across platforms). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Seed {
  name: string;
  bytes: Uint8Array;
}

// pcap (both orders, µs and ns), pcapng, Network Monitor 2.x ("GMBU") and 1.x ("RTSS").
const MAGICS = [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a, 0x474d4255, 0x52545353];

function isCapture(b: Uint8Array): boolean {
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return true;
  if (b.length < 4) return false;
  const m = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  return MAGICS.includes(m);
}

/** Seeds up to 1 MiB: every capture under the given directories (bigger files are cut to 1 MiB). */
export function collectSeeds(root: string, dirs: readonly string[]): Seed[] {
  const seeds: Seed[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size > 0) {
        const bytes = readFileSync(p);
        if (!isCapture(bytes)) continue;
        seeds.push({ name: relative(root, p), bytes: bytes.subarray(0, 1 << 20) });
      }
    }
  };
  for (const d of dirs) walk(d);
  return seeds;
}

interface Field {
  offset: number;
  size: 1 | 2 | 4;
  littleEndian: boolean;
}

/**
 * Where the length fields are: pcap record lengths (caplen, wirelen), pcapng
 * block lengths (leading and trailing) and EPB captured lengths, and in each
 * Ethernet frame the IPv4 header length and total length, the IPv6 payload
 * length, the TCP data offset and the UDP length. Best effort: stops at the
 * first thing that does not parse.
 */
export function lengthFields(b: Uint8Array): Field[] {
  const fields: Field[] = [];
  if (b.length < 24) return fields;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const magic = dv.getUint32(0, false);
  const frame = (off: number, len: number) => {
    if (len < 34) return;
    const type = dv.getUint16(off + 12, false);
    const ip = off + 14;
    if (type === 0x0800) {
      fields.push({ offset: ip, size: 1, littleEndian: false }); // version + IHL
      fields.push({ offset: ip + 2, size: 2, littleEndian: false });
      const ihl = (b[ip]! & 15) * 4;
      const proto = b[ip + 9];
      const l4 = ip + ihl;
      if (l4 + 14 > off + len) return;
      if (proto === 6) fields.push({ offset: l4 + 12, size: 1, littleEndian: false });
      if (proto === 17) fields.push({ offset: l4 + 4, size: 2, littleEndian: false });
    } else if (type === 0x86dd && len >= 54) {
      fields.push({ offset: ip + 4, size: 2, littleEndian: false });
    }
  };
  if (magic === 0xa1b2c3d4 || magic === 0xd4c3b2a1 || magic === 0xa1b23c4d || magic === 0x4d3cb2a1) {
    const le = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
    const link = dv.getUint32(20, le);
    for (let off = 24; off + 16 <= b.length; ) {
      const incl = dv.getUint32(off + 8, le);
      fields.push(
        { offset: off + 8, size: 4, littleEndian: le },
        { offset: off + 12, size: 4, littleEndian: le },
      );
      if (link === 1 && off + 16 + incl <= b.length) frame(off + 16, incl);
      off += 16 + incl;
    }
  } else if (magic === 0x0a0d0d0a) {
    let le = true;
    for (let off = 0; off + 12 <= b.length; ) {
      const type = dv.getUint32(off, le);
      if (type === 0x0a0d0d0a) le = dv.getUint32(off + 8, true) === 0x1a2b3c4d;
      const total = dv.getUint32(off + 4, le);
      if (total < 12 || off + total > b.length) break;
      fields.push({ offset: off + 4, size: 4, littleEndian: le });
      fields.push({ offset: off + total - 4, size: 4, littleEndian: le });
      if (type === 6 && total >= 32) {
        fields.push(
          { offset: off + 20, size: 4, littleEndian: le },
          { offset: off + 24, size: 4, littleEndian: le },
        );
        frame(off + 28, Math.min(dv.getUint32(off + 20, le), total - 32));
      }
      off += total;
    }
  } else if (magic === 0x474d4255 && b.length >= 64) {
    // Network Monitor 2.x: the frame table's offset and length, each entry, and each record's two lengths.
    fields.push({ offset: 24, size: 4, littleEndian: true }, { offset: 28, size: 4, littleEndian: true });
    const table = dv.getUint32(24, true);
    const n = Math.min(dv.getUint32(28, true) / 4, 100_000);
    for (let i = 0; i < n && table + 4 * i + 4 <= b.length; i++) {
      const at = dv.getUint32(table + 4 * i, true);
      fields.push({ offset: table + 4 * i, size: 4, littleEndian: true });
      if (at + 16 <= b.length) {
        fields.push(
          { offset: at + 8, size: 4, littleEndian: true },
          { offset: at + 12, size: 4, littleEndian: true },
        );
        const incl = dv.getUint32(at + 12, true);
        if (at + 16 + incl <= b.length) frame(at + 16, incl);
      }
    }
  }
  return fields;
}

export type MutationKind =
  | "bitflip"
  | "insert"
  | "delete"
  | "truncate"
  | "length"
  | "idb-flood"
  | "hostile-report"
  | "broken-report";

type ByteMutation = "bitflip" | "insert" | "delete" | "truncate" | "length";

/** One mutation of `base`, chosen by `rnd`. */
export function mutate(base: Uint8Array, rnd: () => number): { kind: ByteMutation; bytes: Uint8Array } {
  const pick = (n: number) => Math.floor(rnd() * n);
  const kinds: ByteMutation[] = ["bitflip", "insert", "delete", "truncate", "length", "length"];
  const kind = kinds[pick(kinds.length)]!;
  const b = Uint8Array.from(base);
  switch (kind) {
    case "bitflip": {
      const flips = 1 + pick(8);
      for (let i = 0; i < flips && b.length > 0; i++) b[pick(b.length)]! ^= 1 << pick(8);
      return { kind, bytes: b };
    }
    case "insert": {
      const at = pick(b.length + 1);
      const extra = Uint8Array.from({ length: 1 + pick(16) }, () => pick(256));
      const out = new Uint8Array(b.length + extra.length);
      out.set(b.subarray(0, at));
      out.set(extra, at);
      out.set(b.subarray(at), at + extra.length);
      return { kind, bytes: out };
    }
    case "delete": {
      if (b.length === 0) return { kind, bytes: b };
      const at = pick(b.length);
      const n = 1 + pick(Math.min(64, Math.max(1, b.length - at)));
      const out = new Uint8Array(b.length - n);
      out.set(b.subarray(0, at));
      out.set(b.subarray(at + n), at);
      return { kind, bytes: out };
    }
    case "truncate":
      return { kind, bytes: b.subarray(0, pick(b.length)) };
    case "length": {
      const fields = lengthFields(b);
      if (fields.length === 0) {
        if (b.length > 0) b[pick(b.length)] = 0xff;
        return { kind, bytes: b };
      }
      const f = fields[pick(fields.length)]!;
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const max = f.size === 1 ? 0xff : f.size === 2 ? 0xffff : 0xffffffff;
      const get = () =>
        f.size === 1
          ? dv.getUint8(f.offset)
          : f.size === 2
            ? dv.getUint16(f.offset, f.littleEndian)
            : dv.getUint32(f.offset, f.littleEndian);
      const choices = [0, max, get() + 1, get() - 1, max >>> 1, get() * 2];
      const v = (choices[pick(choices.length)]! >>> 0) & max;
      if (f.size === 1) dv.setUint8(f.offset, v);
      else if (f.size === 2) dv.setUint16(f.offset, v, f.littleEndian);
      else dv.setUint32(f.offset, v, f.littleEndian);
      return { kind, bytes: b };
    }
  }
}

/** Saved reports (analyze --format json) under `dirs`: the seeds of the report mutations. */
export function collectReportSeeds(root: string, dirs: readonly string[]): Seed[] {
  const seeds: Seed[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.endsWith(".json")) continue;
      const bytes = readFileSync(join(dir, name));
      if (bytes.includes('"schema": "ocs-pcap/report@1"'))
        seeds.push({ name: relative(root, join(dir, name)), bytes });
    }
  }
  return seeds;
}

/**
 * A pcapng (gzipped, as a 7 MB bomb would be) with `n` Interface Description
 * Blocks of varied link types and packets on the first, last and a
 * past-the-limit interface: the flood that once took 3.6 GB or aborted.
 */
export function idbFlood(n: number): Uint8Array {
  // The same n always gives the same bytes: build each size once per process.
  const cached = floods.get(n);
  if (cached !== undefined) return cached;
  const frame = new Uint8Array(60);
  frame[12] = 0x08; // EtherType IPv4
  const blocks: BlockSpec[] = Array.from({ length: n }, (_, i) => ({
    kind: "idb" as const,
    iface: { linkType: i % 7 === 0 ? 1 : (i * 37) % 300, snapLen: 65535 },
  }));
  for (const [k, iface] of [0, n - 1, 70_000, 0xffffffff].entries())
    blocks.push({ kind: "epb", iface, tsMicros: k, data: frame });
  const bytes = gzipSync(writePcapng([{ blocks }]), { level: 1 });
  floods.set(n, bytes);
  return bytes;
}
const floods = new Map<number, Uint8Array>();

/** Strings that must never act where a report's text lands: terminal, Markdown, HTML, XML, CSV. */
export const HOSTILE_STRINGS = [
  "\u001b[2J\u001b[31mEVIL\u0007\b",
  "<script>alert(1)</script>",
  "[click](javascript:alert(1))",
  "line1\nline2 | cell\r\n# heading",
  "=cmd|' /C calc'!A0",
  "\u202eevil\u202c",
  "nul\u0000byte\u009b31m",
  "]]></failure><evil/>",
  "x".repeat(5000),
  "\"quoted\" & 'single' &amp;",
];

const HOSTILE_NUMBERS = [1e308, -1, 2 ** 53 + 2, 0.5, -0, 4294967296, 1e-7];

/** One mutation of a saved report: hostile strings and numbers where its fields are, or broken bytes. */
export function mutateReport(base: Uint8Array, rnd: () => number): { kind: MutationKind; bytes: Uint8Array } {
  const pick = (n: number) => Math.floor(rnd() * n);
  if (rnd() < 0.25) {
    const m = mutate(base, rnd);
    return { kind: "broken-report", bytes: m.bytes };
  }
  const report = JSON.parse(Buffer.from(base).toString("utf8")) as Record<string, unknown>;
  const leaves: { parent: Record<string, unknown> | unknown[]; key: string | number; value: unknown }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        leaves.push({ parent: v, key: i, value: x });
        walk(x);
      });
    } else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        leaves.push({ parent: v as Record<string, unknown>, key: k, value: x });
        walk(x);
      }
    }
  };
  walk(report);
  const strings = leaves.filter((l) => typeof l.value === "string");
  const numbers = leaves.filter((l) => typeof l.value === "number");
  const set = (l: (typeof leaves)[number], v: unknown) => {
    (l.parent as Record<string | number, unknown>)[l.key] = v;
  };
  for (let ops = 1 + pick(4); ops > 0; ops--) {
    const r = rnd();
    if (r < 0.6 && strings.length > 0)
      set(strings[pick(strings.length)]!, HOSTILE_STRINGS[pick(HOSTILE_STRINGS.length)]);
    else if (r < 0.85 && numbers.length > 0)
      set(numbers[pick(numbers.length)]!, HOSTILE_NUMBERS[pick(HOSTILE_NUMBERS.length)]);
    else if (leaves.length > 0) {
      const l = leaves[pick(leaves.length)]!;
      if (Array.isArray(l.parent)) set(l, null);
      else delete l.parent[l.key as string];
    }
  }
  // Half in analyze's own layout (one flow per line, read line by line), half as one pretty document.
  const flows = report.flows;
  let text: string;
  if (Array.isArray(flows) && rnd() < 0.5) {
    const { flows: _f, ...head } = report;
    const headText = JSON.stringify(head, null, 2);
    text = `${headText.slice(0, -2)},\n  "flows": [${flows.map((f, i) => `${i === 0 ? "" : ","}\n    ${JSON.stringify(f)}`).join("")}\n  ]\n}\n`;
  } else {
    text = `${JSON.stringify(report, null, 2)}\n`;
  }
  return { kind: "hostile-report", bytes: Buffer.from(text) };
}

export interface Variant {
  seed: Seed;
  kind: MutationKind;
  bytes: Uint8Array;
  format: string;
  /** "analyze" for capture variants, "summarize" for report variants. */
  command: "analyze" | "summarize";
  /** The file name the variant is written to (the extension matters to no reader; it helps a human). */
  file: string;
}

/** Variant `index` of a run: which seed, which mutation, which output format. */
export function variant(
  seeds: readonly Seed[],
  seed: number,
  index: number,
  reports: readonly Seed[] = [],
): Variant {
  const rnd = prng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const formats = ["json", "table", "html", "markdown", "csv", "junit"];
  const format = formats[index % formats.length]!;
  const lane = rnd();
  if (lane < 0.02) {
    const n = [1000, 65_537, 150_000][Math.floor(rnd() * 3)]!;
    const bytes = idbFlood(n);
    return {
      seed: { name: `idb-flood-${n}`, bytes },
      kind: "idb-flood",
      bytes,
      format,
      command: "analyze",
      file: "v.pcapng.gz",
    };
  }
  if (lane < 0.1 && reports.length > 0) {
    const s = reports[Math.floor(rnd() * reports.length)]!;
    const m = mutateReport(s.bytes, rnd);
    return { seed: s, kind: m.kind, bytes: m.bytes, format, command: "summarize", file: "v.json" };
  }
  const s = seeds[Math.floor(rnd() * seeds.length)]!;
  // Sometimes two mutations on top of each other.
  let m: { kind: MutationKind; bytes: Uint8Array } = mutate(s.bytes, rnd);
  if (rnd() < 0.25) m = { ...mutate(m.bytes, rnd), kind: m.kind };
  return {
    seed: s,
    kind: m.kind,
    bytes: m.bytes,
    format,
    command: "analyze",
    file: s.name.endsWith(".gz") ? "v.gz" : "v",
  };
}

export interface Outcome {
  code: number;
  stderr: string;
  /** Standard output, kept only for `summarize` (whose output is checked for hostile text). */
  stdout: string;
  format: string;
  command: "analyze" | "summarize";
  ms: number;
  heapGrowthMB: number;
  thrown: string | null;
}

/** The real CLI, in this process, on `bytes` written to `file`. */
export async function runCli(
  bytes: Uint8Array,
  file: string,
  format: string,
  command: "analyze" | "summarize" = "analyze",
): Promise<Outcome> {
  writeFileSync(file, bytes);
  let stderr = "";
  let stdout = "";
  const keep = command === "summarize";
  const sink = {
    write: (chunk: string | Uint8Array) => {
      if (keep) stdout += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      return true;
    },
    once: () => undefined,
  };
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  let code = -1;
  let thrown: string | null = null;
  const argv =
    command === "analyze"
      ? ["analyze", file, "--format", format, "-q", "--jobs", "1", "--limit", "0"]
      : ["summarize", file, "--format", format];
  try {
    code = await run(argv, {
      stdout: sink,
      stderr: (s) => {
        stderr += s;
      },
    });
  } catch (err) {
    thrown = err instanceof Error ? (err.stack ?? err.message) : String(err);
  }
  const ms = performance.now() - t0;
  const heapGrowthMB = (process.memoryUsage().heapUsed - heap0) / 1e6;
  return { code, stderr, stdout, format, command, ms, heapGrowthMB, thrown };
}

/** Exit codes a capture may give: analysed, or not a readable capture. */
export const ALLOWED_CODES = [0, 65];
export const TIME_LIMIT_MS = 5000;
export const HEAP_LIMIT_MB = 256;

/** C0 controls other than tab, LF and CR, DEL and C1 controls: never raw in any output. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const RAW_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const RAW_C0 = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

/** Why a hostile report's rendering lets its text act where it lands, or null. */
export function hostileOutput(format: string, out: string): string | null {
  // JSON carries strings exactly (RFC 8259 escapes only C0): DEL and C1 may pass through.
  const raw = format === "json" ? RAW_C0 : RAW_CONTROL;
  if (raw.test(out)) {
    const at = out.search(raw);
    return `raw control character U+${out.charCodeAt(at).toString(16).padStart(4, "0")} in ${format} output`;
  }
  if (format === "table" && /\r/.test(out)) return "raw carriage return in the terminal table";
  // Bidirectional overrides and isolates reorder what follows wherever text is shown ("Trojan Source").
  if (format !== "json" && /[\u202a-\u202e\u2066-\u2069]/.test(out))
    return `raw bidirectional control in ${format} output`;
  if ((format === "html" || format === "markdown" || format === "junit") && out.includes("<script>alert"))
    return `raw <script> in ${format} output`;
  // An escaped bracket (\]) is literal text in CommonMark, not a link.
  if (format === "markdown" && /(?<!\\)\]\(javascript:/i.test(out))
    return "a javascript: link in Markdown output";
  if (format === "junit" && out.includes("<evil/>")) return "injected XML element in JUnit output";
  return null;
}

/** Why an outcome is a failure, or null. */
export function judge(o: Outcome, size: number): string | null {
  if (o.thrown !== null) return `uncaught exception: ${o.thrown.split("\n")[0]}`;
  if (/\n\s+at .+:\d+:\d+/.test(o.stderr)) return "stack trace on stderr";
  if (!ALLOWED_CODES.includes(o.code)) return `exit code ${o.code}: ${o.stderr.split("\n")[0]}`;
  if (size < 1 << 20 && o.ms > TIME_LIMIT_MS) return `took ${o.ms.toFixed(0)} ms`;
  if (o.heapGrowthMB > HEAP_LIMIT_MB) return `heap grew by ${o.heapGrowthMB.toFixed(0)} MB`;
  if (RAW_CONTROL.test(o.stderr)) return "raw control character on stderr";
  if (o.command === "summarize") return hostileOutput(o.format, o.stdout);
  return null;
}

/**
 * Shrinks a failing input (delta debugging on byte ranges): keeps any
 * smaller input for which `fails` still holds, until no chunk can go or the
 * budget runs out.
 */
export async function minimise(
  bytes: Uint8Array,
  fails: (b: Uint8Array) => Promise<boolean>,
  budgetMs = 60_000,
): Promise<Uint8Array> {
  const end = performance.now() + budgetMs;
  let best = bytes;
  for (let chunk = best.length >> 1; chunk >= 1 && performance.now() < end; ) {
    let removed = false;
    for (let at = 0; at < best.length && performance.now() < end; ) {
      const candidate = new Uint8Array(best.length - Math.min(chunk, best.length - at));
      candidate.set(best.subarray(0, at));
      candidate.set(best.subarray(at + chunk), at);
      if (candidate.length < best.length && (await fails(candidate))) {
        best = candidate;
        removed = true;
      } else {
        at += chunk;
      }
    }
    if (!removed) chunk >>= 1;
  }
  return best;
}

export function shortHash(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex").slice(0, 12);
}
