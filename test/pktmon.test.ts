/**
 * Issue 16 item 6: pcapng as Windows Packet Monitor (pktmon) converts it,
 * and the generic packet-block options behind it: epb_flags direction, an
 * eBPF drop verdict, pktmon's comments (a drop is blocking evidence,
 * `host_dropped`; repeated appearances of one packet count once), and
 * `--dropped` for a `pktmon etl2pcap --drop-only` export. tshark reads the
 * same options from the fixture, as the oracle (its answers recorded, see
 * helpers/oracle.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pktmonCapture } from "../fixtures/lib/pktmon.js";
import { analyzeCapture } from "../src/analyze.js";
import { PacketOptions } from "../src/capture/pcapng-packet-options.js";
import { readCapture } from "../src/capture/source.js";
import { reasonText } from "../src/report/reason-text.js";
import { askSync } from "./helpers/oracle.js";
import { runCli } from "./helpers/run.js";

const ROOT = join(import.meta.dirname, "..");
const FIXTURE = join(ROOT, "fixtures/pktmon.pcapng");

interface Seen {
  direction: number;
  drop: string | null;
  repeat: boolean;
}

async function ours(path: string): Promise<Seen[]> {
  const out: Seen[] = [];
  await readCapture(path, (f) => {
    out.push({ direction: f.direction, drop: f.drop, repeat: f.repeat });
  });
  return out;
}

/**
 * What each frame should read as, worked out from tshark's dissection with
 * a reading of pktmon's text of this test's own: direction from epb_flags,
 * else the comment's Direction; a drop from a comment that starts "Drop:"
 * (its DropReason) or an XDP_DROP verdict; a repeat for a (PktGroupId,
 * PktNumber) seen before, or a "Duplicate Drop:".
 */
function fromTshark(path: string): Seen[] {
  const { stdout: out } = askSync("tshark", [
    "-r",
    path,
    "-T",
    "fields",
    "-E",
    "occurrence=a",
    "-E",
    "aggregator=\u0001",
    "-e",
    "frame.packet_flags_direction",
    "-e",
    "frame.verdict.ebpf_xdp",
    "-e",
    "frame.comment",
  ]);
  const seen = new Set<string>();
  return out
    .split("\n")
    .filter((l) => l !== "")
    .map((line) => {
      const [flags = "", xdp = "", comment = ""] = line.split("\t");
      const parts = new Map(
        comment
          .replace(/^[^P]*(?=PktGroupId)/, "")
          .split(", ")
          .map((p) => {
            const [k = "", ...v] = p.trim().split(" ");
            return [k, v.join(" ").trim()] as const;
          }),
      );
      const group = parts.get("PktGroupId");
      const key = `${group}/${parts.get("PktNumber")}`;
      const duplicate = comment.startsWith("Duplicate Drop:");
      const repeat = group !== undefined && (duplicate || seen.has(key));
      if (group !== undefined) seen.add(key);
      const dir = parts.get("Direction");
      const direction = flags !== "" ? Number(flags) & 3 : dir === "Rx" ? 1 : dir === "Tx" ? 2 : 0;
      const drop = comment.startsWith("Drop:")
        ? (parts.get("DropReason") ?? null)
        : xdp === "1"
          ? "eBPF XDP verdict XDP_DROP"
          : null;
      return { direction, drop, repeat };
    });
}

describe("pcapng packet options and pktmon's text", () => {
  it("the fixture is what its builder writes", () => {
    expect(Buffer.compare(readFileSync(FIXTURE), Buffer.from(pktmonCapture()))).toBe(0);
  });

  it("reads each frame's direction, drop and repetition as tshark's dissection says", async () => {
    const mine = await ours(FIXTURE);
    expect(mine).toHaveLength(25);
    expect(mine).toEqual(fromTshark(FIXTURE));
    // The cases the fixture is for are all there.
    expect(mine.filter((f) => f.repeat)).toHaveLength(13);
    expect(new Set(mine.map((f) => f.drop))).toEqual(
      new Set([null, "1207", "INET: transport endpoint was not found", "eBPF XDP verdict XDP_DROP"]),
    );
    expect(new Set(mine.map((f) => f.direction))).toEqual(new Set([1, 2]));
  });

  it("counts a packet once however often pktmon logged it, and makes its drop blocking evidence", async () => {
    const r = await analyzeCapture(FIXTURE, { version: "t" });
    expect(r.capture.packets).toBe(25);
    expect(r.capture.skipped).toEqual({ pktmon_repeat: 13 });
    const a = r.capture.accounting;
    expect(a.inFlows + a.icmpEvidence + a.malformed + a.skipped).toBe(25);
    const byPort = (p: number) => r.flows.find((f) => f.clientPort === p)!;
    // The TLS connection: 8 packets, each logged at the NIC and the vSwitch.
    const tls = byPort(50601);
    // Counted twice, each packet would look retransmitted (Zeek's T/t).
    expect([tls.verdict, tls.packetsFromClient + tls.packetsFromServer, tls.history]).toEqual([
      "known",
      8,
      "ShADdFf",
    ]);
    // Two SYNs, each dropped after the NIC: two packets, not four, both dropped.
    const syn = byPort(50602);
    expect([syn.verdict, syn.packetsFromClient, syn.history]).toEqual(["blocked", 2, "S"]);
    expect(syn.reasons.map((x) => x.code)).toEqual(["host_dropped", "syn_no_reply"]);
    expect(syn.reasons[0]!.details).toEqual({
      packets: 2,
      side: "originator",
      firstFrame: 18,
      reason: "1207",
      direction: "inbound",
      answered: false,
    });
    expect(reasonText(syn.reasons[0]!)).toBe(
      "the capturing host dropped 2 of the client's packets (first: frame 18, inbound): 1207",
    );
    // The STUN request: dropped once (the duplicate report is not a second drop).
    const stun = byPort(50603);
    expect(stun.reasons[0]).toMatchObject({
      code: "host_dropped",
      details: { packets: 1, reason: "INET: transport endpoint was not found", firstFrame: 23 },
    });
    expect(stun.verdict).toBe("blocked");
    // The XDP verdict, with no pktmon text at all.
    expect(byPort(50604).reasons[0]).toMatchObject({
      code: "host_dropped",
      details: { packets: 1, reason: "eBPF XDP verdict XDP_DROP", direction: "inbound" },
    });
    expect(r.blocked.map((g) => [g.port, g.reason]).sort()).toEqual([
      [3478, "host_dropped"],
      [5062, "host_dropped"],
    ]);
  });

  it("--dropped makes every packet of a drop-only export a dropped one", async () => {
    const plain = await runCli("analyze", "fixtures/ocs-sample.pcap", "-f", "json");
    const dropped = await runCli("analyze", "fixtures/ocs-sample.pcap", "-f", "json", "--dropped");
    expect([plain.code, dropped.code]).toEqual([0, 0]);
    const flows = (text: string) =>
      (JSON.parse(text) as { flows: { reasons: { code: string }[]; verdict: string }[] }).flows;
    expect(flows(plain.stdout).some((f) => f.reasons.some((x) => x.code === "host_dropped"))).toBe(false);
    const all = flows(dropped.stdout);
    expect(all.length).toBeGreaterThan(5);
    for (const f of all) expect(f.reasons.map((x) => x.code)).toContain("host_dropped");
    // Redacted, the reason keeps its words and loses nothing it needs.
    const red = await runCli("analyze", "fixtures/pktmon.pcapng", "-f", "markdown", "--redact");
    expect(red.code).toBe(0);
    expect(red.stdout).toContain("INET: transport endpoint was not found");
  });
});

/** An options area: each [code, bytes] padded to 4, then opt_endofopt unless `end` is false. */
function options(list: [number, number[]][], le = true, end = true): Uint8Array {
  const out: number[] = [];
  for (const [code, value] of list) {
    const head = le
      ? [code & 0xff, code >> 8, value.length & 0xff, value.length >> 8]
      : [code >> 8, code & 0xff, value.length >> 8, value.length & 0xff];
    out.push(...head, ...value, ...new Array((4 - (value.length % 4)) % 4).fill(0));
  }
  if (end) out.push(0, 0, 0, 0);
  return Uint8Array.from(out);
}

function readOptions(bytes: Uint8Array, le = true, o = new PacketOptions()) {
  o.read(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes, 0, bytes.length, le);
  return { direction: o.direction, drop: o.drop, repeat: o.repeat, badOption: o.badOption };
}

const text = (s: string) => [...Buffer.from(s, "utf8")];

describe("PacketOptions: one table row per rule", () => {
  const cases: [string, Uint8Array, boolean, ReturnType<typeof readOptions>][] = [
    [
      "epb_flags inbound",
      options([[2, [1, 0, 0, 0]]]),
      true,
      { direction: 1, drop: null, repeat: false, badOption: false },
    ],
    [
      "epb_flags outbound, big-endian",
      options([[2, [0, 0, 0, 2]]], false),
      false,
      { direction: 2, drop: null, repeat: false, badOption: false },
    ],
    [
      "epb_flags 11 (undefined) is not a direction",
      options([[2, [3, 0, 0, 0]]]),
      true,
      { direction: 0, drop: null, repeat: false, badOption: false },
    ],
    [
      "an XDP verdict other than XDP_DROP (XDP_PASS) is no drop",
      options([[7, [2, 2, 0, 0, 0, 0, 0, 0, 0]]]),
      true,
      { direction: 0, drop: null, repeat: false, badOption: false },
    ],
    [
      "a TC verdict TC_ACT_SHOT, big-endian",
      options([[7, [1, 0, 0, 0, 0, 0, 0, 0, 2]]], false),
      false,
      { direction: 0, drop: "eBPF TC verdict TC_ACT_SHOT", repeat: false, badOption: false },
    ],
    [
      "a hardware verdict says nothing we can read",
      options([[7, [0, 1, 2, 3]]]),
      true,
      { direction: 0, drop: null, repeat: false, badOption: false },
    ],
    [
      "a comment that is not pktmon's is only a comment",
      options([[1, text("Drop: everything, said the analyst")]]),
      true,
      { direction: 0, drop: null, repeat: false, badOption: false },
    ],
    [
      "a localised drop event is not recognised as one (only its direction-free keys are English)",
      options([[1, text("丢弃： PktGroupId 7, PktNumber 1, Appearance 1, 方向 Rx , DropReason 1204")]]),
      true,
      { direction: 0, drop: null, repeat: false, badOption: false },
    ],
    [
      "a drop with no DropReason",
      options([[1, text("Drop: PktGroupId 9, PktNumber 1, Appearance 1, Direction Tx , Component 4")]]),
      true,
      { direction: 2, drop: "pktmon drop (no reason given)", repeat: false, badOption: false },
    ],
    [
      "a reason holding ', ' and a colon is kept whole up to the next key",
      options([
        [1, text("Drop: PktGroupId 10, PktNumber 2, DropReason VFP: blocked, by rule X , DropLocation 0x1")],
      ]),
      true,
      { direction: 0, drop: "VFP: blocked, by rule X", repeat: false, badOption: false },
    ],
    [
      "an option running past the block",
      Uint8Array.from([1, 0, 40, 0, 65, 66, 67, 68]),
      true,
      { direction: 0, drop: null, repeat: false, badOption: true },
    ],
    [
      "no end-of-options marker, as a reader must accept",
      options([[2, [2, 0, 0, 0]]], true, false),
      true,
      { direction: 2, drop: null, repeat: false, badOption: false },
    ],
  ];
  for (const [name, bytes, le, want] of cases) {
    it(name, () => expect(readOptions(bytes, le)).toEqual(want));
  }

  it("a group id past 2^53 and its repeat: the second appearance only is a repeat", () => {
    const o = new PacketOptions();
    const frame = (n: number, group = "10696049115005232") =>
      options([
        [1, text(`PktGroupId ${group}, PktNumber 1, Appearance ${n}, Direction Rx , Component ${n}`)],
      ]);
    expect(readOptions(frame(1), true, o).repeat).toBe(false);
    expect(readOptions(frame(2), true, o).repeat).toBe(true);
    // One digit apart: another packet.
    expect(readOptions(frame(1, "10696049115005233"), true, o).repeat).toBe(false);
  });

  it("every prefix of a valid options area reads without throwing, to a bad option or fewer facts", () => {
    const full = options([
      [2, [2, 0, 0, 0]],
      [7, [2, 1, 0, 0, 0, 0, 0, 0, 0]],
      [
        1,
        text("Drop: PktGroupId 5, PktNumber 1, Appearance 1, Direction Tx , DropReason 8 , OriginalSize 1"),
      ],
    ]);
    for (let n = 0; n <= full.length; n++) {
      const r = readOptions(full.subarray(0, n));
      if (r.badOption) continue;
      expect([0, 2]).toContain(r.direction);
      expect([null, "eBPF XDP verdict XDP_DROP"]).toContain(r.drop);
    }
  });

  it("never throws on any bytes in either byte order (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, le) => {
        const r = readOptions(bytes, le);
        expect([0, 1, 2]).toContain(r.direction);
      }),
      { numRuns: 2000 },
    );
  });
});
