/**
 * Issue 17, items 4 and 5: STUN and TURN's own outcome per flow (Binding
 * and Allocate answers, error codes, REALM, relay use), `turn_allocate_failed`,
 * and the capture-level `media_tcp_fallback`. The recorded fixture
 * (turnutils_uclient against coturn, fixtures/record.sh turn) is checked
 * against tshark's STUN dissection (recorded, see helpers/oracle.ts).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  iceCheck,
  msTurnAllocate,
  msTurnMessage,
  type PcapRecord,
  rtp,
  stunBinding,
  TcpConversation,
  tlsClientHello,
  tlsServerHello,
  turnChannelData,
  turnMessage,
  udp,
  writePcap,
} from "../fixtures/lib/packets.js";
import { analyzeCapture } from "../src/analyze.js";
import { CatalogIndex } from "../src/catalog/index.js";
import { parseTopology } from "../src/classify/topology.js";
import {
  readStun,
  STUN_ALLOCATE,
  STUN_BINDING,
  STUN_CREATE_PERMISSION,
  STUN_DATA,
  STUN_INDICATION,
  STUN_REQUEST,
  STUN_SEND,
  StunMessage,
} from "../src/decode/stun-message.js";
import { renderMarkdown } from "../src/report/markdown.js";
import { Redactor, redactReport } from "../src/report/redact.js";
import { renderTable } from "../src/report/table.js";
import { askSync } from "./helpers/oracle.js";
import { runCli } from "./helpers/run.js";

const ROOT = join(import.meta.dirname, "..");
const RECORDED = join(ROOT, "fixtures/recorded/turn-real.pcap");

/** Per client port: STUN message types and error codes as tshark dissects them. */
function tsharkStun(path: string) {
  const { stdout: out } = askSync("tshark", [
    "-r",
    path,
    // TURN over TCP 443 is STUN framing, not TLS: tell the dissector.
    "-d",
    "tcp.port==443,stun",
    "-Y",
    "stun",
    "-T",
    "fields",
    "-E",
    "occurrence=f",
    "-e",
    "udp.srcport",
    "-e",
    "udp.dstport",
    "-e",
    "tcp.srcport",
    "-e",
    "tcp.dstport",
    "-e",
    "stun.type",
    "-e",
    "stun.att.error",
  ]);
  const flows = new Map<number, { binding: number[]; allocate: number[]; errors: Map<number, number> }>();
  for (const line of out.split("\n").filter((l) => l !== "")) {
    const [us = "", ud = "", ts = "", td = "", type = "", error = ""] = line.split("\t");
    const src = Number(us || ts);
    const dst = Number(ud || td);
    const client = src === 3478 || src === 443 ? dst : src;
    const f = flows.get(client) ?? { binding: [0, 0, 0], allocate: [0, 0, 0], errors: new Map() };
    flows.set(client, f);
    const t = Number(type);
    const slot = {
      1: ["binding", 0],
      257: ["binding", 1],
      273: ["binding", 2],
      3: ["allocate", 0],
      259: ["allocate", 1],
      275: ["allocate", 2],
    }[t] as ["binding" | "allocate", number] | undefined;
    if (slot === undefined) continue;
    f[slot[0]][slot[1]]!++;
    // stun.att.error is the code's number within its class (401 → 1 with class 4): rebuild it from the class.
    if (t === 0x0113 && error !== "")
      f.errors.set(400 + Number(error), (f.errors.get(400 + Number(error)) ?? 0) + 1);
  }
  return flows;
}

describe("STUN and TURN outcomes on recorded coturn traffic", () => {
  it("counts each flow's Binding and Allocate requests, answers and error codes as tshark does", async () => {
    const r = await analyzeCapture(RECORDED, { version: "t" });
    const oracle = tsharkStun(RECORDED);
    const stunFlows = r.flows.filter((f) => f.stun !== undefined);
    expect(stunFlows).toHaveLength(6);
    for (const f of stunFlows) {
      const t = oracle.get(f.clientPort ?? -1)!;
      const s = f.stun!;
      expect([s.binding.requests, s.binding.successes, s.binding.errors], `flow #${f.id}`).toEqual(t.binding);
      expect([
        s.allocate.requests,
        s.allocate.successes,
        s.allocate.errors.reduce((n, e) => n + e.count, 0),
      ]).toEqual(t.allocate);
      expect(s.allocate.errors.map((e) => [e.code, e.count])).toEqual([...t.errors.entries()]);
    }
  });

  it("names the refused allocation, the relay in use, and the fallback from UDP 3478 to TCP 443", async () => {
    const r = await analyzeCapture(RECORDED, { version: "t" });
    const row = (f: (typeof r.flows)[number]) => [
      f.transport,
      f.serverPort,
      f.verdict,
      f.reasons[0]?.code ?? "-",
      f.stun?.relayed ?? null,
      f.stun?.realm ?? null,
    ];
    expect(r.flows.map(row)).toEqual([
      ["udp", 3478, "known", "-", false, "contoso.test"],
      ["udp", 3478, "known", "icmp_unreachable", true, "contoso.test"],
      ["udp", 3478, "blocked", "turn_allocate_failed", false, "contoso.test"],
      ["udp", 3478, "blocked", "udp_no_reply", false, null],
      ["tcp", 443, "known", "-", false, "contoso.test"],
      ["tcp", 443, "known", "-", true, "contoso.test"],
    ]);
    expect(r.flows[2]!.reasons[0]!.details).toMatchObject({ code: 401, requests: 32, responses: 32 });
    expect(r.flows[3]!.reasons[0]!.details).toMatchObject({ request: "stun", packets: 4 });
    expect(r.media).toEqual([
      {
        code: "media_tcp_fallback",
        client: "10.1.0.20",
        server: "10.0.0.30",
        udpFlow: r.flows[3]!.id,
        tcpFlow: r.flows[4]!.id,
        udpFirstSeen: expect.any(String),
        tcpFirstSeen: expect.any(String),
      },
    ]);
    expect(r.summary.mediaFindings).toBe(1);
    expect(renderTable(r, { limit: 25, width: 0 })).toMatch(
      /Media path \(1\)\n {2}media_tcp_fallback: 10\.1\.0\.20's STUN/,
    );
    // Redacted, the finding keeps its shape and loses its addresses, in every place it shows.
    const red = redactReport(r, new Redactor({ key: "media-test" }));
    expect(JSON.stringify(red.media)).not.toMatch(/10\.1\.0\.20|10\.0\.0\.30/);
    expect(renderMarkdown(red, { limit: 25 })).toMatch(/\*\*media_tcp_fallback\*\*/);
    expect(renderMarkdown(red, { limit: 25 })).not.toMatch(/10\.0\.0\.30/);
  });
});

describe("media path findings with a topology", () => {
  const topology = (clients: string, edge = "10.0.0.30") => {
    const dir = mkdtempSync(join(tmpdir(), "ocs-media-"));
    const file = join(dir, "topology.yaml");
    writeFileSync(file, `roles:\n  Edge Server: [${edge}]\nclients: [${clients}]\n`);
    return file;
  };
  const media = async (...args: string[]) => {
    const o = await runCli("analyze", "fixtures/recorded/turn-real.pcap", "-f", "json", ...args);
    expect(o.code).toBe(0);
    const r = JSON.parse(o.stdout) as {
      media: { code: string; [k: string]: unknown }[];
      flows: { id: number; stun?: { relayed: boolean } }[];
    };
    return r;
  };

  it("names the relay-only media of a client whose peer is in a client network, and not when the peer is not", async () => {
    const r = await media("--topology", topology("10.1.0.0/16, 10.0.0.10/32"));
    const relayed = r.flows.find((f) => f.stun?.relayed === true)!;
    expect(r.media.map((m) => m.code)).toEqual(["media_tcp_fallback", "media_relay_only"]);
    expect(r.media[1]).toMatchObject({
      client: "10.1.0.20",
      server: "10.0.0.30",
      peer: "10.0.0.10",
      turnFlow: relayed.id,
    });
    // The peer outside the client networks: relaying to it is what TURN is for.
    const outside = await media("--topology", topology("10.1.0.0/16"));
    expect(outside.media.map((m) => m.code)).toEqual(["media_tcp_fallback"]);
    // A topology that places the Edge elsewhere: the server on 3478 is another relay, no A/V Edge
    // (a Teams capture's Microsoft 365 relays were blamed on it; UC scenario tester).
    const elsewhere = await media("--topology", topology("10.1.0.0/16", "10.0.0.99"));
    expect(elsewhere.media.map((m) => m.code)).toEqual([]);
    // Only the Edge's load balancer placed: the Edge servers' own addresses are unknown, so 3478 stays the rule.
    const dir = mkdtempSync(join(tmpdir(), "ocs-media-"));
    const lbOnly = join(dir, "topology.yaml");
    writeFileSync(lbOnly, "roles:\n  Load balancer for Edge Servers: [10.0.0.99]\nclients: [10.1.0.0/16]\n");
    expect((await media("--topology", lbOnly)).media.map((m) => m.code)).toEqual(["media_tcp_fallback"]);
    // Redacted, the peer is a pseudonym like the rest.
    const red = await media("--topology", topology("10.1.0.0/16, 10.0.0.10/32"), "--redact");
    expect(JSON.stringify(red.media)).not.toMatch(/10\.0\.0\.(10|30)|10\.1\.0\.20/);
  });
});

describe("the relay in Microsoft's MS-TURN and over IPv6 (hostile review of issue 17)", () => {
  const CLIENT = "10.1.0.20";
  const EDGE = "10.0.0.30";
  const PEER = "10.2.0.40";
  const C6 = "2001:db8:1::20";
  const E6 = "2001:db8::30";
  const P6 = "2001:db8:2::40";
  const T = 1_750_000_000_000_000;
  const media = new Uint8Array(160).fill(0xd5);
  const dir = mkdtempSync(join(tmpdir(), "ocs-relay-"));
  const topologyFile = join(dir, "topology.yaml");
  writeFileSync(
    topologyFile,
    `roles:\n  Edge Server: [${EDGE}, "${E6}"]\nclients: [10.1.0.0/16, 10.2.0.0/16, "2001:db8:1::/48", "2001:db8:2::/48"]\n`,
  );
  const topology = parseTopology(
    readFileSync(topologyFile, "utf8"),
    topologyFile,
    new CatalogIndex().roles(),
  );

  /** OCS 2007 R2's dialect: Allocate, then Send requests to the peer and Data Indications from it. */
  const msTurn = (): PcapRecord[] => [
    udp(CLIENT, 50030, EDGE, 3478, T, msTurnMessage(0x0003, 1)),
    udp(EDGE, 3478, CLIENT, 50030, T + 1000, msTurnMessage(0x0103, 1)),
    ...[0, 1, 2].flatMap((i) => [
      udp(CLIENT, 50030, EDGE, 3478, T + 20_000 * (i + 1), msTurnMessage(0x0004, 10 + i, PEER, media)),
      udp(EDGE, 3478, CLIENT, 50030, T + 20_000 * (i + 1) + 500, msTurnMessage(0x0115, 20 + i, PEER, media)),
    ]),
  ];
  /** RFC 8656 over IPv6: Allocate, CreatePermission for an IPv6 peer, Send indications. */
  const turn6 = (direct: boolean): PcapRecord[] => [
    udp(C6, 50040, E6, 3478, T, turnMessage(0x0003, 1)),
    udp(E6, 3478, C6, 50040, T + 1000, turnMessage(0x0103, 1)),
    udp(C6, 50040, E6, 3478, T + 2000, turnMessage(0x0008, 2, P6)),
    udp(E6, 3478, C6, 50040, T + 3000, turnMessage(0x0108, 2)),
    ...[0, 1, 2].map((i) =>
      udp(C6, 50040, E6, 3478, T + 20_000 * (i + 1), turnMessage(0x0016, 3 + i, P6, media)),
    ),
    // RTP straight between the two clients: the direct path works.
    ...(direct
      ? [0, 1].flatMap((i) => [
          udp(C6, 50042, P6, 50044, T + 100_000 + i * 20_000, rtp(i, i * 160, 7)),
          udp(P6, 50044, C6, 50042, T + 100_010 + i * 20_000, rtp(i, i * 160, 8)),
        ])
      : []),
  ];
  const run = async (name: string, records: PcapRecord[]) => {
    const file = join(dir, name);
    writeFileSync(file, writePcap(records));
    return { file, report: await analyzeCapture(file, { version: "t", topology }) };
  };

  it("reads MS-TURN over TCP 443 in its own framing, after its pseudo-TLS opening, and in RFC 4571's: two 401s are turn_allocate_failed", async () => {
    // MS-TURN's Allocate error (0x0113): MAGIC-COOKIE, then ERROR-CODE 401.
    const refused = (txid: number) => {
      const ok = msTurnMessage(0x0113, txid);
      const err = Uint8Array.from([...ok, 0, 0x09, 0, 4, 0, 0, 4, 1]);
      err[3] = err.length - 20;
      return err;
    };
    // [MS-TURN] §2.1.4: type 0x02 (TURN control message), a zero byte, the length; RFC 4571: the length.
    const ms = (m: Uint8Array) => Uint8Array.from([0x02, 0, m.length >> 8, m.length & 0xff, ...m]);
    const rfc4571 = (m: Uint8Array) => Uint8Array.from([m.length >> 8, m.length & 0xff, ...m]);
    const cases: [string, (m: Uint8Array) => Uint8Array, boolean][] = [
      ["ms-turn-framed.pcap", ms, false],
      ["ms-turn-pseudo-tls.pcap", ms, true],
      ["rfc4571-framed.pcap", rfc4571, false],
    ];
    for (const [name, frame, pseudoTls] of cases) {
      const c = new TcpConversation(CLIENT, 50050, EDGE, 443, T).handshake();
      // The pseudo-TLS opening is sent without the framing header ([MS-TURN] §2.1.4).
      if (pseudoTls) c.data(true, tlsClientHello("edge.contoso.test")).data(false, tlsServerHello());
      c.data(true, frame(msTurnMessage(0x0003, 1))).data(false, frame(refused(1)));
      c.data(true, frame(msTurnMessage(0x0003, 2))).data(false, frame(refused(2)));
      const { report } = await run(name, c.close().frames);
      const f = report.flows[0]!;
      expect(f.stun?.allocate, name).toEqual({
        requests: 2,
        successes: 0,
        errors: [{ code: 401, count: 2 }],
      });
      expect(
        f.reasons.map((r) => r.code),
        name,
      ).toContain("turn_allocate_failed");
    }
    // Two framed messages in one segment: both are read.
    const both = new TcpConversation(CLIENT, 50051, EDGE, 443, T)
      .handshake()
      .data(true, Uint8Array.from([...ms(msTurnMessage(0x0003, 1)), ...ms(msTurnMessage(0x0003, 2))]))
      .data(false, Uint8Array.from([...ms(refused(1)), ...ms(refused(2))]));
    const { report } = await run("ms-turn-two-per-segment.pcap", both.close().frames);
    expect(report.flows[0]!.stun?.allocate).toEqual({
      requests: 2,
      successes: 0,
      errors: [{ code: 401, count: 2 }],
    });
  });

  it("reads MS-TURN's Send requests and Data Indications as relaying, its DESTINATION-ADDRESS as the peer", async () => {
    const { file, report } = await run("msturn.pcap", msTurn());
    expect(report.flows[0]!.stun).toMatchObject({ relayed: true });
    expect(report.media).toEqual([
      expect.objectContaining({ code: "media_relay_only", client: CLIENT, server: EDGE, peer: PEER }),
    ]);
    // tshark's classic STUN dissector reads the same peer from the Send requests.
    const t = askSync("tshark", [
      "-r",
      file,
      "-Y",
      "classicstun.type == 0x0004",
      "-T",
      "fields",
      "-e",
      "classicstun.att.ipv4",
    ]).stdout;
    expect(new Set(t.trim().split("\n"))).toEqual(new Set([PEER]));
  });

  it("takes unanswered ICE checks from the socket whose relay worked for a pair ICE did not keep, not from another port, not an hour later", async () => {
    // Three checks to the peer's private address, unanswered; msTurn()'s allocation is made from 50030.
    const checks = (at: number, port: number): PcapRecord[] =>
      [0, 1, 2].map((i) =>
        udp(CLIENT, port, "192.168.1.20", 50050, at + i * 500_000, iceCheck(false, port + i)),
      );
    const hour = 3_600_000_000;
    const records = [
      ...msTurn(),
      ...checks(T + 5000, 50030),
      ...checks(T + 5000, 50032),
      ...checks(T + hour, 50030),
    ];
    const { report } = await run("ice-relay.pcap", records);
    const codes = (port: number, later: boolean) => {
      const f = report.flows.find(
        (x) => x.clientPort === port && x.serverPort === 50050 && x.firstSeen >= T + (later ? hour : 0),
      )!;
      return [f.verdict, f.reasons.map((r) => r.code)];
    };
    expect(codes(50030, false)).toEqual(["known", ["ice_check_unanswered"]]);
    expect(codes(50032, false)).toEqual(["blocked", ["udp_no_reply"]]);
    expect(codes(50030, true)).toEqual(["blocked", ["udp_no_reply"]]);
    const alone = await run("ice-alone.pcap", checks(T, 50030));
    expect(alone.report.flows[0]!.reasons.map((r) => r.code)).toEqual(["udp_no_reply"]);
  });

  it("excuses unanswered ICE checks only by media through the same socket: what counts, and what does not", async () => {
    const SOCKET = 50060;
    const STUN_SERVER = "10.0.0.99";
    const PRIVATE = "192.168.1.20";
    const ms = (m: Uint8Array) => Uint8Array.from([0x02, 0x00, m.length >> 8, m.length & 255, ...m]);
    const rtpBothWays = (at: number) =>
      [0, 1, 2, 3, 4, 5].flatMap((i) => [
        udp(CLIENT, SOCKET, PEER, 50070, at + i * 20_000, rtp(i, i * 160, 0x51)),
        udp(PEER, 50070, CLIENT, SOCKET, at + i * 20_000 + 5000, rtp(i, i * 160, 0x52)),
      ]);
    const answered = (at: number, to = PEER, port = 50070) => [
      udp(CLIENT, SOCKET, to, port, at, iceCheck(false, 90)),
      udp(to, port, CLIENT, SOCKET, at + 30_000, iceCheck(true, 90)),
    ];
    // [what happened on the socket, its packets, where the checks go, extra payload on the check flow, excused]
    const cases: [string, PcapRecord[], [string, number], Uint8Array | null, boolean][] = [
      ["a Binding success answering a check from it", answered(T), [PRIVATE, 50050], null, true],
      ["RTP both ways with a peer", rtpBothWays(T), [PRIVATE, 50050], null, true],
      [
        "TURN ChannelData relayed after an Allocate made from it",
        [
          udp(CLIENT, SOCKET, EDGE, 3478, T, turnMessage(0x0003, 1)),
          udp(EDGE, 3478, CLIENT, SOCKET, T + 1000, turnMessage(0x0103, 1)),
          ...[0, 1, 2, 3].map((i) =>
            udp(
              EDGE,
              3478,
              CLIENT,
              SOCKET,
              T + 20_000 * (i + 1),
              turnChannelData(0x4001, rtp(i, i * 160, 9)),
            ),
          ),
        ],
        [PRIVATE, 50050],
        null,
        true,
      ],
      [
        "a Binding success 35 s after the checks (the next slot)",
        answered(T + 35_000_000),
        [PRIVATE, 50050],
        null,
        true,
      ],
      ["a Binding success 95 s after the checks", answered(T + 95_000_000), [PRIVATE, 50050], null, false],
      [
        "a public STUN server's answer (port 19302) to a plain Binding (gathering, RFC 8489 §3)",
        [
          udp(CLIENT, SOCKET, STUN_SERVER, 19302, T, stunBinding(false, 5)),
          udp(STUN_SERVER, 19302, CLIENT, SOCKET, T + 20_000, stunBinding(true, 5)),
        ],
        [PRIVATE, 50050],
        null,
        false,
      ],
      [
        "a STUN server on 3478 answering a Binding with USERNAME (RFC 3489 credentials)",
        answered(T, STUN_SERVER, 3478),
        [PRIVATE, 50050],
        null,
        false,
      ],
      [
        "a check answered, but the unanswered ones go to a STUN/TURN port",
        answered(T),
        [EDGE, 3478],
        null,
        false,
      ],
      [
        "a check answered, but the unanswered flow also asks an Allocate",
        answered(T),
        [PRIVATE, 50050],
        msTurnAllocate(77),
        false,
      ],
      [
        "MS-TURN over TCP relaying for the same port number, over TCP",
        new TcpConversation(CLIENT, SOCKET, EDGE, 443, T)
          .handshake()
          .data(true, ms(msTurnMessage(0x0003, 1)))
          .data(false, ms(msTurnMessage(0x0103, 1)))
          .data(false, ms(msTurnMessage(0x0115, 7, PEER, media))).frames,
        [PRIVATE, 50050],
        null,
        false,
      ],
    ];
    for (const [what, working, [to, port], extra, excused] of cases) {
      const checks = [0, 1, 2].map((i) =>
        udp(CLIENT, SOCKET, to, port, T + 1_000_000 + i * 500_000, iceCheck(false, 60 + i)),
      );
      if (extra !== null) checks.push(udp(CLIENT, SOCKET, to, port, T + 2_500_000, extra));
      const records = [...working, ...checks].sort((a, b) => a.tsMicros - b.tsMicros);
      const { report } = await run("ice-cases.pcap", records);
      const f = report.flows.find(
        (x) => x.serverIp === to && x.serverPort === port && x.firstSeen >= T + 1_000_000,
      )!;
      expect([what, f.reasons.map((r) => r.code)]).toEqual([
        what,
        [excused ? "ice_check_unanswered" : "udp_no_reply"],
      ]);
    }
  });

  it("reads an IPv6 XOR-PEER-ADDRESS, and finds relay-only media over IPv6 unless the direct path worked", async () => {
    const { file, report } = await run("turn6.pcap", turn6(false));
    expect(report.media).toEqual([
      expect.objectContaining({ code: "media_relay_only", client: C6, server: E6, peer: P6 }),
    ]);
    const t = askSync("tshark", [
      "-r",
      file,
      "-Y",
      "stun.type == 0x0008",
      "-T",
      "fields",
      "-e",
      "stun.att.ipv6",
    ]);
    expect(t.stdout.trim()).toBe(P6);
    expect((await run("turn6-direct.pcap", turn6(true))).report.media).toEqual([]);
  });

  it("decodes each relay message's peer exactly, and refuses every prefix", () => {
    const out = new StunMessage();
    const cases: [Uint8Array, number, number, number, number[]][] = [
      [msTurnMessage(0x0004, 1, PEER, media), STUN_SEND, STUN_INDICATION, 4, [0, 0, 0, 0x0a020028]],
      [msTurnMessage(0x0115, 1, PEER, media), STUN_DATA, STUN_INDICATION, 0, [0, 0, 0, 0]],
      [msTurnMessage(0x0006, 1, PEER), STUN_CREATE_PERMISSION, STUN_REQUEST, 4, [0, 0, 0, 0x0a020028]],
      [
        turnMessage(0x0008, 9, P6),
        STUN_CREATE_PERMISSION,
        STUN_REQUEST,
        6,
        [0x20010db8, 0x00020000, 0, 0x40],
      ],
      [turnMessage(0x0008, 9, PEER), STUN_CREATE_PERMISSION, STUN_REQUEST, 4, [0, 0, 0, 0x0a020028]],
    ];
    for (const [bytes, method, cls, family, words] of cases) {
      expect(readStun(bytes, 0, bytes.length, out)).toBe(true);
      expect([out.method, out.cls, out.peerFamily]).toEqual([method, cls, family]);
      if (family !== 0) expect([...out.peerWords]).toEqual(words.map((w) => w | 0));
      for (let n = 0; n < bytes.length; n++) expect(readStun(bytes, 0, n, out)).toBe(false);
    }
  });
});

describe("readStun", () => {
  const out = new StunMessage();

  it("reads a Binding request, an MS-TURN Allocate and an Allocate error with its code and realm", () => {
    expect(readStun(stunBinding(false, 7), 0, 20, out)).toBe(true);
    expect([out.method, out.cls]).toEqual([STUN_BINDING, 0]);
    const ms = msTurnAllocate(9);
    expect(readStun(ms, 0, ms.length, out)).toBe(true);
    expect([out.method, out.cls, out.msVersion]).toEqual([STUN_ALLOCATE, 0, 6]);
    // Allocate error 0x0113: ERROR-CODE 441 (class 4, number 41), REALM "ab".
    const err = Uint8Array.from([
      0x01,
      0x13,
      0,
      16,
      0x21,
      0x12,
      0xa4,
      0x42,
      ...new Array(12).fill(1),
      0,
      9,
      0,
      4,
      0,
      0,
      4,
      41,
      0,
      0x14,
      0,
      2,
      0x61,
      0x62,
      0,
      0,
    ]);
    expect(readStun(err, 0, err.length, out)).toBe(true);
    expect([out.method, out.cls, out.errorCode]).toEqual([STUN_ALLOCATE, 3, 441]);
    expect(Buffer.from(err.subarray(out.realmStart, out.realmEnd)).toString()).toBe("ab");
    // Every prefix of it is refused (the length no longer fits), never misread.
    for (let n = 0; n < err.length; n++) expect(readStun(err, 0, n, out)).toBe(false);
  });

  it("tells an ICE connectivity check (USERNAME) from a Binding request to a STUN server", () => {
    const check = iceCheck(false, 3);
    expect(readStun(check, 0, check.length, out)).toBe(true);
    expect([out.method, out.cls, out.username]).toEqual([STUN_BINDING, STUN_REQUEST, true]);
    expect(readStun(stunBinding(false, 7), 0, 20, out)).toBe(true);
    expect(out.username).toBe(false);
    const answer = iceCheck(true, 3);
    expect(readStun(answer, 0, answer.length, out)).toBe(true);
    expect([out.cls, out.username]).toEqual([2, false]);
    // Every prefix is refused (the length no longer fits), never misread.
    for (let n = 0; n < check.length; n++) expect(readStun(check, 0, n, out)).toBe(false);
  });

  it("reads MS-TURN's REALM as 0x0015, where RFC 8489 has NONCE ([MS-TURN] §2.2.2)", () => {
    // Allocate error 401 without the magic cookie: ERROR-CODE, NONCE (0x0014) "nn", REALM (0x0015) "ab".
    const head = [0x01, 0x13, 0, 24, ...new Array(16).fill(7)];
    const attrs = [0, 9, 0, 4, 0, 0, 4, 1, 0, 0x14, 0, 2, 0x6e, 0x6e, 0, 0, 0, 0x15, 0, 2, 0x61, 0x62, 0, 0];
    const ms = Uint8Array.from([...head, ...attrs]);
    expect(readStun(ms, 0, ms.length, out)).toBe(true);
    expect([out.msTurn, out.errorCode]).toEqual([true, 401]);
    expect(Buffer.from(ms.subarray(out.realmStart, out.realmEnd)).toString()).toBe("ab");
  });

  it("never throws on any bytes (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
        const ok = readStun(b, 0, b.length, out);
        if (ok) expect(out.errorCode).toBeLessThan(800);
      }),
      { numRuns: 2000 },
    );
  });
});
