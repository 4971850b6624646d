/**
 * Kerberos errors on real captures: for every capture of the corpus, the
 * KRB-ERROR codes each 5-tuple carried (other than pre-authentication
 * required, 25, and "response too big", 52: the protocol at work), first code
 * and count, as this tool reports them in `kerberos_error`, equal what
 * tshark's Kerberos dissector reads. Runs only where ../shared/corpus exists.
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

/** tshark's telling error codes per 5-tuple, in frame order. */
function theirs(path: string): Map<string, number[]> {
  const fields = [
    "ip.src",
    "ipv6.src",
    "ip.dst",
    "ipv6.dst",
    "udp.srcport",
    "udp.dstport",
    "tcp.srcport",
    "tcp.dstport",
    "kerberos.error_code",
  ];
  const r = spawnSync(
    "tshark",
    [
      "-r",
      path,
      "-Y",
      "kerberos.error_code",
      "-T",
      "fields",
      "-E",
      "occurrence=f",
      ...fields.flatMap((f) => ["-e", f]),
    ],
    { encoding: "utf8", maxBuffer: 1 << 26 },
  );
  const out = new Map<string, number[]>();
  for (const line of r.stdout.split("\n")) {
    if (line === "") continue;
    const [s4, s6, d4, d6, us, ud, ts, td, code] = line.split("\t");
    const n = Number(code);
    if (n === 25 || n === 52) continue;
    const udp = us !== "";
    const k = key(udp ? "udp" : "tcp", s4 || s6!, udp ? us! : ts!, d4 || d6!, udp ? ud! : td!);
    out.set(k, [...(out.get(k) ?? []), n]);
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
