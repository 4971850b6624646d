/**
 * SIP's own outcome on real captures (issue 17, item 3): for every capture of
 * the corpus, the final responses each 5-tuple carried, by CSeq method and
 * status code, as this tool counts them equal what tshark's SIP dissector
 * reads (TCP reassembly off: each segment judged alone, as the tool does).
 * Runs only where ../shared/corpus exists.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeCapture } from "../../src/analyze.js";
import { CORPUS, corpusCaptures, HAVE_CORPUS } from "../helpers/corpus.js";
import { hasTool } from "../helpers/tools.js";
import { flowKey as key, tsharkByFlow } from "../helpers/tshark-flows.js";

const HAVE = HAVE_CORPUS && hasTool("tshark");
const SAMPLE = HAVE ? corpusCaptures() : [];

/** tshark's final responses per 5-tuple: "METHOD CODE" strings (TCP reassembly off: each segment judged alone). */
function theirs(path: string): Map<string, string[]> {
  const filter = "sip.Status-Code >= 200";
  return tsharkByFlow(
    path,
    filter,
    ["sip.CSeq.method", "sip.Status-Code"],
    ["-o", "tcp.desegment_tcp_streams:FALSE"],
  );
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
