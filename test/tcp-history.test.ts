/**
 * Zeek conn_state and history, table-driven: each case is a script of
 * packets and the state and history Zeek's rules give for it, with the rule.
 *
 * Script tokens (upper case from the client, lower case from the server):
 *   S syn · H syn+ack (server: h) · A ack · D data · F fin+ack · R rst+ack ·
 *   T the client's last data again (retransmission) · W ack with a zero window ·
 *   G ack beyond the server's data (the capture missed some) · Q syn+fin ·
 *   I fin+rst · X rst without ack · Y the client's SYN again, same sequence number
 */
import { describe, expect, it } from "vitest";
import { TcpConversation } from "../fixtures/lib/packets.js";
import { decodeFrame } from "../src/decode/frame.js";
import { Packet } from "../src/decode/packet.js";
import { FlowTable } from "../src/flow/table.js";

function run(script: string): { state: string; history: string }[] {
  const c = new TcpConversation("10.1.0.20", 40000, "10.0.0.10", 5061, 1_700_000_000_000_000);
  let lastData: { seq: number; payload: string } | null = null;
  let synSeq = 0;
  for (const token of script.split(" ")) {
    const fromClient = token === token.toUpperCase();
    switch (token.toUpperCase()) {
      case "S":
        synSeq = c.nextSeq(fromClient);
        c.segment(fromClient, "S");
        break;
      case "Y":
        c.segment(fromClient, "S", { seq: synSeq });
        break;
      case "H":
        c.segment(fromClient, "SA");
        break;
      case "A":
        c.segment(fromClient, "A");
        break;
      case "D":
        lastData = { seq: c.nextSeq(fromClient), payload: "data" };
        c.segment(fromClient, "PA", { payload: "data" });
        break;
      case "T":
        c.segment(fromClient, "PA", { payload: lastData!.payload, seq: lastData!.seq });
        break;
      case "F":
        c.segment(fromClient, "FA");
        break;
      case "R":
        c.segment(fromClient, "RA");
        break;
      case "X":
        c.segment(fromClient, "R");
        break;
      case "W":
        c.segment(fromClient, "A", { window: 0 });
        break;
      case "G":
        c.segment(fromClient, "A", { ack: c.nextSeq(!fromClient) + 1000 });
        break;
      case "Q":
        c.segment(fromClient, "SF");
        break;
      case "I":
        c.segment(fromClient, "FR");
        break;
      default:
        throw new Error(`unknown token ${token}`);
    }
  }
  const out: { state: string; history: string }[] = [];
  const table = new FlowTable({
    likelyServerPort: (proto, port) => proto === 6 && port === 5061,
    onFinal: (f) => out.push({ state: f.connState(), history: f.history() }),
  });
  const pkt = new Packet();
  c.frames.forEach((r, i) => {
    expect(decodeFrame(1, r.data, 0, r.data.length, pkt)).toBe(0);
    table.add(pkt, {
      buf: r.data,
      tsMicros: r.tsMicros,
      wireLen: r.data.length,
      index: i + 1,
      fileOffset: 0,
      process: -1,
    });
  });
  table.finish();
  return out;
}

// [script, conn_state, history, the rule]
const CASES: [string, string, string, string][] = [
  ["S", "S0", "S", "S0: the originator's SYN, nothing back"],
  ["S Y Y", "S0", "S", "a SYN repeated with the same sequence number is recorded once"],
  ["S S", "S0", "SS", "a second SYN with a new sequence number is recorded again"],
  ["S h A", "S1", "ShA", "S1: both endpoints established, neither closed"],
  [
    "S h A D d F f A",
    "SF",
    "ShADdFf",
    "SF: both closed by FIN; a and d once per side; the last ACK adds nothing",
  ],
  ["S r", "REJ", "Sr", "REJ: the responder resets while the originator is in SYN_SENT"],
  ["S h A F a", "S2", "ShAFa", "S2: the originator closed, the responder did not"],
  ["S h A f A", "S3", "ShAf", "S3: the responder closed, the originator did not"],
  ["S h A D R", "RSTO", "ShADR", "RSTO: the originator aborted an established connection"],
  ["S h A D r", "RSTR", "ShADr", "RSTR: the responder reset an established connection"],
  ["S X", "RSTOS0", "SR", "RSTOS0: SYN then RST from the originator, nothing from the responder"],
  ["h r", "RSTRH", "^hr", "RSTRH: the responder's SYN+ACK then RST, no SYN seen (flipped, ^)"],
  ["S F", "SH", "SF", "SH: SYN then FIN from the originator, no reply"],
  ["h f", "SHR", "^hf", "SHR: the responder's SYN+ACK then FIN, no SYN seen"],
  ["D d", "OTH", "Dd", "OTH: mid-stream, no SYN seen"],
  ["S h A D T", "S1", "ShADT", "t: data ending at or before the highest sequence sent is a retransmission"],
  ["S h A W", "S1", "ShAW", "w: a zero window advertisement (not on a RST)"],
  [
    "S h A d G",
    "S1",
    "ShAdg",
    "g: an ACK beyond the data seen from the peer is a content gap in the peer's stream",
  ],
  ["Q", "SH", "Q", "q: a multi-flag packet (SYN+FIN), once per side"],
  ["S h A I", "RSTO", "ShAI", "i: FIN and RST together, once per side"],
  [
    "S h A D F f A R",
    "SF",
    "ShADFfR",
    "a RST after both FINs adds R but leaves the state SF (both had closed)",
  ],
  [
    "S h A D r D",
    "RSTR",
    "ShADr",
    "nothing after a reset is recorded as new data from the same side once d/D are set",
  ],
];

describe("Zeek conn_state and history, table-driven", () => {
  for (const [script, state, history, rule] of CASES) {
    it(`${script.padEnd(18)} → ${state.padEnd(6)} ${history.padEnd(10)} (${rule})`, () => {
      expect(run(script)).toEqual([{ state, history }]);
    });
  }

  it("covers every conn_state Zeek defines", () => {
    const states = new Set(CASES.map((c) => c[1]));
    for (const s of [
      "S0",
      "S1",
      "SF",
      "REJ",
      "S2",
      "S3",
      "RSTO",
      "RSTR",
      "RSTOS0",
      "RSTRH",
      "SH",
      "SHR",
      "OTH",
    ]) {
      expect(states, s).toContain(s);
    }
  });

  it("records t, w and g logarithmically: at the 1st, 10th and 100th time", () => {
    const retransmits = Array.from({ length: 100 }, () => "T").join(" ");
    const [flow] = run(`S h A D ${retransmits}`);
    expect(flow!.history).toBe("ShADTTT");
    const windows = Array.from({ length: 9 }, () => "W").join(" ");
    expect(run(`S h A ${windows}`)[0]!.history).toBe("ShAW");
    expect(run(`S h A ${windows} W`)[0]!.history).toBe("ShAWW");
  });

  it("starts a new flow when a new SYN reuses the 5-tuple of a closed connection", () => {
    const c = new TcpConversation("10.1.0.20", 40000, "10.0.0.10", 5061, 0).handshake().close();
    const again = new TcpConversation("10.1.0.20", 40000, "10.0.0.10", 5061, 2_000_000, {}, 5000).handshake();
    const out: string[] = [];
    const table = new FlowTable({
      likelyServerPort: () => false,
      onFinal: (f, reason) => out.push(`${f.id}:${f.connState()}:${f.history()}:${reason}`),
    });
    const pkt = new Packet();
    [...c.frames, ...again.frames].forEach((r, i) => {
      decodeFrame(1, r.data, 0, r.data.length, pkt);
      table.add(pkt, {
        buf: r.data,
        tsMicros: r.tsMicros,
        wireLen: r.data.length,
        index: i + 1,
        fileOffset: 0,
        process: -1,
      });
    });
    table.finish();
    expect(out).toEqual(["0:SF:ShAFf:reused", "1:S1:ShA:capture_end"]);
  });
});
