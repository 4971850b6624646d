/**
 * Kerberos errors on real captures: for every capture of the corpus, the
 * KRB-ERROR codes each 5-tuple carried (other than pre-authentication
 * required, 25, and "response too big", 52: the protocol at work), first code
 * and count, as this tool reports them in `kerberos_error`, equal what
 * tshark's Kerberos dissector reads. Runs only where ../shared/corpus exists.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeCapture } from "../../src/analyze.js";
import { CORPUS, corpusCaptures, HAVE_CORPUS } from "../helpers/corpus.js";
import { hasTool } from "../helpers/tools.js";
import { flowKey as key, tsharkByFlow } from "../helpers/tshark-flows.js";

const HAVE = HAVE_CORPUS && hasTool("tshark");
const SAMPLE = HAVE ? corpusCaptures() : [];

/** tshark's telling error codes per 5-tuple, in frame order. */
function theirs(path: string): Map<string, number[]> {
  const codes = tsharkByFlow(path, "kerberos.error_code", ["kerberos.error_code"]);
  const out = new Map<string, number[]>();
  for (const [k, values] of codes) {
    const telling = values.map(Number).filter((n) => n !== 25 && n !== 52);
    if (telling.length > 0) out.set(k, telling);
  }
  return out;
}

describe.skipIf(!HAVE)("Kerberos errors per flow against tshark on the corpus", () => {
  it.each(SAMPLE)("%s", async (capture) => {
    const path = join(CORPUS, capture);
    const want = new Map([...theirs(path)].map(([k, codes]) => [k, `${codes[0]} x${codes.length}`]));
    const r = await analyzeCapture(path, { version: "t" });
    const ours = new Map<string, string>();
    for (const f of r.flows) {
      const e = f.reasons.find((x) => x.code === "kerberos_error");
      if (e === undefined || e.code !== "kerberos_error" || f.clientPort === null || f.serverPort === null)
        continue;
      ours.set(
        key(f.transport, f.clientIp, f.clientPort, f.serverIp, f.serverPort),
        `${e.details.code} x${e.details.count}`,
      );
    }
    expect(Object.fromEntries([...ours].sort())).toEqual(Object.fromEntries([...want].sort()));
  });
});
