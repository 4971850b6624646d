/**
 * SIP's own outcome on real captures (issue 17, item 3): for every capture of
 * the corpus, the final responses each 5-tuple carried, by CSeq method and
 * status code, as this tool counts them equal what tshark's SIP dissector
 * reads (TCP reassembly off: each segment judged alone, as the tool does).
 * Runs only where ../shared/corpus exists.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeCapture } from "../../src/analyze.js";
import { CORPUS, corpusCaptures, HAVE_CORPUS } from "../helpers/corpus.js";
import { hasTool } from "../helpers/tools.js";

const HAVE = HAVE_CORPUS && hasTool("tshark");
const SAMPLE = HAVE ? corpusCaptures() : [];

const key = (t: string, a: string, ap: string | number, b: string, bp: string | number) =>
  [t, ...[`${a} ${ap}`, `${b} ${bp}`].sort()].join(" ");

/** tshark's final responses per 5-tuple: "METHOD CODE" strings. */
function theirs(path: string): Map<string, string[]> {
  const fields = [
    "ip.src",
    "ipv6.src",
    "ip.dst",
    "ipv6.dst",
    "udp.srcport",
    "udp.dstport",
    "tcp.srcport",
    "tcp.dstport",
    "sip.CSeq.method",
    "sip.Status-Code",
  ];
  const r = spawnSync(
    "tshark",
    [
      "-r",
      path,
      "-o",
      "tcp.desegment_tcp_streams:FALSE",
      "-Y",
      "sip.Status-Code >= 200",
      "-T",
      "fields",
      "-E",
      "occurrence=f",
      ...fields.flatMap((f) => ["-e", f]),
    ],
    { encoding: "utf8", maxBuffer: 1 << 26 },
  );
  const out = new Map<string, string[]>();
  for (const line of r.stdout.split("\n")) {
    if (line === "") continue;
    const [s4, s6, d4, d6, us, ud, ts, td, method, code] = line.split("\t");
    const udp = us !== "";
    const k = key(udp ? "udp" : "tcp", s4 || s6!, udp ? us! : ts!, d4 || d6!, udp ? ud! : td!);
    const list = out.get(k) ?? [];
    list.push(`${method} ${code}`);
    out.set(k, list);
  }
  return out;
}

describe.skipIf(!HAVE)("SIP final responses per flow against tshark on the corpus", () => {
  it.each(SAMPLE)("%s", async (capture) => {
    const path = join(CORPUS, capture);
    const want = theirs(path);
    const r = await analyzeCapture(path, { version: "t" });
    const ours = new Map<string, string[]>();
    for (const f of r.flows) {
      if (f.sip === undefined || f.clientPort === null || f.serverPort === null) continue;
      const k = key(f.transport, f.clientIp, f.clientPort, f.serverIp, f.serverPort);
      const list = ours.get(k) ?? [];
      for (const x of f.sip.responses) for (let i = 0; i < x.count; i++) list.push(`${x.method} ${x.code}`);
      if (list.length > 0) ours.set(k, list);
    }
    const norm = (m: Map<string, string[]>) =>
      Object.fromEntries([...m].map(([k, v]) => [k, [...v].sort()]).sort());
    expect(norm(ours)).toEqual(norm(want));
  });
});
