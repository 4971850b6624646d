/**
 * Network Monitor 2.x on real captures (issue 16, item 5): every capture of
 * the corpus that `editcap -F netmon2` can write (Ethernet only, among what
 * the corpus holds) gives the same report as the original, but for the
 * capture's path and format, the container's own anomalies (a pcap's
 * snaplen) and the sub-second digits of times (editcap rounds nanoseconds
 * to the nearest microsecond; this tool truncates them), and the same
 * frames, to the microsecond, as tshark reads from the converted file.
 * Runs only where ../shared/corpus exists.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeCapture } from "../../src/analyze.js";
import { readCapture } from "../../src/capture/source.js";
import { renderJson } from "../../src/report/json.js";
import { CORPUS, corpusCaptures, HAVE_CORPUS } from "../helpers/corpus.js";

const HAVE = HAVE_CORPUS && spawnSync("editcap", ["-h"]).status === 0;
const SAMPLE = HAVE ? corpusCaptures() : [];
const tmp = mkdtempSync(join(tmpdir(), "ocs-netmon-corpus-"));
const UTC = { ...process.env, TZ: "UTC" };

async function comparable(path: string): Promise<{ text: string; packets: number; cut: boolean }> {
  const r = await analyzeCapture(path, { version: "t" });
  const cut = (r.capture.warnings ?? []).some((w) =>
    /truncated|cut|ends mid|unreadable/.test(w.code + w.message),
  );
  const anomalies = Object.fromEntries(
    Object.entries(r.capture.anomalies).filter(([k]) => !k.startsWith("capture.")),
  );
  const capture = { ...r.capture, path: "-", format: "-", warnings: [], anomalies };
  const text = [...renderJson({ ...r, capture })].join("").replace(/(T\d\d:\d\d:\d\d)\.\d{6}Z/g, "$1Z");
  return { text, packets: r.capture.packets, cut };
}

async function frames(path: string): Promise<string[]> {
  const out: string[] = [];
  await readCapture(path, (f) => {
    out.push(`${f.index} ${(f.tsMicros / 1e6).toFixed(6)} ${f.wireLen}`);
  });
  return out;
}

function tsharkFrames(path: string): string[] {
  const fields = ["-e", "frame.number", "-e", "frame.time_epoch", "-e", "frame.len"];
  const r = spawnSync("tshark", ["-r", path, "-T", "fields", ...fields], { encoding: "utf8", env: UTC });
  return r.stdout
    .trim()
    .split("\n")
    .map((l) => l.split("\t"))
    .map(([n, t, len]) => `${n} ${Number(t).toFixed(6)} ${len}`);
}

describe.skipIf(!HAVE)("Network Monitor 2.x conversions of the corpus", () => {
  let converted = 0;
  it.each(SAMPLE)("%s", async (path) => {
    const to = join(tmp, `${path.replace(/[\\/]/g, "_")}.cap`);
    const r = spawnSync("editcap", ["-F", "netmon2", join(CORPUS, path), to], { encoding: "utf8", env: UTC });
    if (r.status !== 0) return; // not Ethernet, or pcapng blocks netmon cannot hold
    const original = await comparable(join(CORPUS, path));
    // editcap writes only whole records, so a capture cut short compares on its flows' packets alone.
    if (original.cut) return;
    if (original.packets === 0) return; // editcap writes an empty frame table, which Wireshark too refuses
    converted++;
    expect((await comparable(to)).text).toBe(original.text);
    expect(await frames(to)).toEqual(tsharkFrames(to));
  });
  it("converted most of the corpus", () => {
    expect(converted).toBeGreaterThan(SAMPLE.length / 3);
  });
});
