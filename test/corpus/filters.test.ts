/**
 * Input filters on real captures (issue 15, item 6): for every capture of
 * the corpus, `--host` (the first flow's client) and `--port` (its server
 * port) keep the IP packets tshark's display filter for the same host and
 * port keeps. Where they differ on purpose, FILTER_EXPLAINED says why.
 * Runs only where ../shared/corpus exists (`npm run test:corpus`).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS, corpusCaptures, HAVE_CORPUS } from "../helpers/corpus.js";
import { runCli } from "../helpers/run.js";
import { tsharkCount } from "../helpers/tshark.js";

const HAVE = HAVE_CORPUS;
/** Every capture of facts.tsv. */
const SAMPLE = corpusCaptures();

/** Differences from tshark, on purpose (docs/corpus-differences.md). */
const FILTER_EXPLAINED: Record<string, string> = {
  "irontec__sngrep/ipv6frag.pcap":
    "IPv6 fragments: a port filter keeps every fragment of a kept datagram (its flow's packets); tshark's udp.port matches only the frame where it reassembles the datagram (34 against 32)",
  "zeek__zeek/ipv4/fragmented-1.pcap":
    "IPv4 fragments, as above: the datagram's 3 fragments against tshark's 1 reassembled frame",
};

async function report(...args: string[]) {
  const r = await runCli("analyze", ...args, "-f", "json", "-q");
  return r.stdout === "" ? null : JSON.parse(r.stdout);
}

describe.skipIf(!HAVE)("input filters against tshark on the corpus", () => {
  it.each(SAMPLE)("%s", async (path) => {
    const file = join(CORPUS, path);
    const base = await report(file);
    if (base === null || base.flows.length === 0) return;
    const f =
      base.flows.find((x: { server: { port: number | null } }) => x.server.port !== null) ?? base.flows[0];
    const host: string = f.client.ip;
    const checks: [string[], string][] = [
      [["--host", host], `${host.includes(":") ? "ipv6" : "ip"}.addr==${host}`],
    ];
    if (f.server.port !== null)
      checks.push([
        ["--port", String(f.server.port)],
        `tcp.port==${f.server.port} || udp.port==${f.server.port}`,
      ]);
    const differ: string[] = [];
    for (const [args, display] of checks) {
      const [r, theirs] = await Promise.all([
        report(file, ...args),
        tsharkCount(file, `(${display}) && (ip || ipv6)`),
      ]);
      const ours = r.capture.accounting.inFlows + r.capture.accounting.icmpEvidence;
      if (ours !== theirs) differ.push(`${args.join(" ")}: ours ${ours}, tshark ${theirs}`);
    }
    if (FILTER_EXPLAINED[path] === undefined) expect(differ).toEqual([]);
    else expect(differ.length).toBeGreaterThan(0);
  });
});

describe.skipIf(!HAVE)("display filters of fragmented flows on the corpus", () => {
  it.each(["irontec__sngrep/ipv6frag.pcap", "zeek__zeek/ipv4/fragmented-1.pcap"])(
    "%s: each flow's filter matches at least its packets, fragments included",
    async (path) => {
      const r = await report(join(CORPUS, path));
      const flows = r.flows as { filter: string; packets: { fromClient: number; fromServer: number } }[];
      expect(flows.some((f) => / \|\| (ip\.flags\.mf==1|ipv6\.fraghdr)/.test(f.filter))).toBe(true);
      for (const f of flows) {
        const count = await tsharkCount(join(CORPUS, path), f.filter);
        expect(count, f.filter).toBeGreaterThanOrEqual(f.packets.fromClient + f.packets.fromServer);
      }
    },
  );
});
