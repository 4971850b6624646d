/**
 * The DNS reader on real captures: for every UDP datagram to or from port 53
 * in the corpus, what decode/dns.ts reads (response or query, response code,
 * question type and name, answers of the asked type) equals what tshark's DNS
 * dissector reads of the same frame, and it reads every such frame tshark
 * reads as DNS with a question. Runs only where ../shared/corpus exists.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dnsMessage } from "../../fixtures/lib/packets.js";
import { analyzeCapture } from "../../src/analyze.js";
import { readCapture } from "../../src/capture/source.js";
import { Anomaly } from "../../src/decode/anomaly.js";
import { DnsMessage, readDns } from "../../src/decode/dns.js";
import { decodeFrame } from "../../src/decode/frame.js";
import { Packet } from "../../src/decode/packet.js";
import { CORPUS, corpusCaptures, HAVE_CORPUS } from "../helpers/corpus.js";
import { hasTool } from "../helpers/tools.js";

const HAVE = HAVE_CORPUS && hasTool("tshark");
const SAMPLE = HAVE ? corpusCaptures() : [];

interface Read {
  response: boolean;
  rcode: number;
  qtype: number;
  nameHash: number;
  answers: number;
}

/** Our reading of each UDP port-53 frame, by frame number (null: not read as DNS). */
async function ours(path: string): Promise<Map<number, Read | null>> {
  const out = new Map<number, Read | null>();
  const pkt = new Packet();
  const m = new DnsMessage();
  await readCapture(path, (frame) => {
    if (decodeFrame(frame.linkType, frame.buf, frame.offset, frame.capLen, pkt) !== Anomaly.OK) return;
    if (pkt.ipProto !== 17 || pkt.laterFragment || (pkt.srcPort !== 53 && pkt.dstPort !== 53)) return;
    const end = pkt.payloadOffset + pkt.payloadCaptured;
    out.set(
      frame.index,
      readDns(frame.buf, pkt.payloadOffset, end, false, m)
        ? { response: m.response, rcode: m.rcode, qtype: m.qtype, nameHash: m.nameHash, answers: m.answers }
        : null,
    );
  });
  return out;
}

/** The hash our reader gives a name, from the name's text (a query for it, built as bytes). */
function hashOf(name: string): number {
  const m = new DnsMessage();
  const bytes = dnsMessage(1, name, 1);
  return readDns(bytes, 0, bytes.length, false, m) ? m.nameHash : -2;
}

const FIELDS = [
  "frame.number",
  "dns.flags.response",
  "dns.flags.rcode",
  "dns.qry.type",
  "dns.qry.name",
  "dns.count.queries",
  "dns.count.answers",
  "dns.count.auth_rr",
  "dns.count.add_rr",
  "dns.resp.type",
];

describe.skipIf(!HAVE)("the DNS reader against tshark on the corpus", () => {
  let total = 0;
  it.each(SAMPLE)("%s", async (capture) => {
    const path = join(CORPUS, capture);
    const read = await ours(path);
    if (read.size === 0) return;
    const r = spawnSync(
      "tshark",
      [
        "-n",
        "-r",
        path,
        "-Y",
        "udp.port == 53 && dns",
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=;",
        ...FIELDS.flatMap((f) => ["-e", f]),
      ],
      { encoding: "utf8", maxBuffer: 1 << 28 },
    );
    let compared = 0;
    for (const line of r.stdout.split("\n").filter((l) => l !== "")) {
      const [frame, response, rcode, qtype, name, queries, answers, auth, add, respTypes] = line.split("\t");
      // One DNS message with one question (tshark joins a frame's several with ';').
      if (queries !== "1" || frame === undefined || response?.includes(";")) continue;
      const ourRead = read.get(Number(frame));
      expect(ourRead, `frame ${frame}: tshark reads DNS, we read none`).toBeTruthy();
      const o = ourRead!;
      expect(o.response, `frame ${frame} response`).toBe(response === "1" || response === "True");
      if (o.response) expect(o.rcode, `frame ${frame} rcode`).toBe(Number(rcode));
      expect(o.qtype, `frame ${frame} type`).toBe(Number(qtype));
      // Names tshark writes plainly (not <Root>, not with escapes).
      if (name !== undefined && /^[A-Za-z0-9._-]+$/.test(name))
        expect(o.nameHash, `frame ${frame} name ${name}`).toBe(hashOf(name));
      // Answers of the asked type: tshark's resp.type lists the records of every section, so they
      // are the answers' own only when the authority and additional sections are empty.
      const ofType = (respTypes ?? "").split(";").filter((t) => t === qtype).length;
      expect(o.answers, `frame ${frame} answers`).toBeLessThanOrEqual(Math.min(Number(answers), ofType));
      if (auth === "0" && add === "0") expect(o.answers, `frame ${frame} answers`).toBe(ofType);
      compared++;
    }
    total += compared;
  });

  it("a SIP phone's lookups of its proxy sip.<domain> are no OCS sign-in (irontec__sngrep/aaa.pcap)", async () => {
    const r = await analyzeCapture(join(CORPUS, "irontec__sngrep/aaa.pcap"), { version: "t" });
    expect(r.signIn).toBeUndefined();
    expect(r.summary.signInFailures).toBeUndefined();
  });

  // Runs after the captures (a file's tests run in order): the corpus holds DNS, so the reader was compared.
  it("compared hundreds of DNS messages in all", () => {
    expect(total).toBeGreaterThan(200);
  });
});
