/**
 * SIP's own outcome (issue 17, item 3): the start-line and header reader
 * table-driven, every short prefix and random bytes without a throw; and
 * fixtures/sip-outcomes.pcap and the recorded sipp-against-sipp
 * recorded/sip-failures-real.pcap, whose final responses per flow equal what
 * tshark's SIP dissector reads (sip.Status-Code, sip.CSeq.method), with
 * the verdicts the README's reason table gives.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type PcapRecord,
  rtcpReceiverReport,
  rtp,
  TcpConversation,
  udp,
  writePcap,
} from "../fixtures/lib/packets.js";
import { analyzeCapture } from "../src/analyze.js";
import { sipEvidence } from "../src/classify/answers.js";
import { parseSipStart, SIP_METHODS, SipKind, SipStart } from "../src/decode/sip.js";
import { SipOutcomes } from "../src/flow/sip-outcome.js";
import { reasonBrief, reasonText } from "../src/report/reason-text.js";
import { askSync } from "./helpers/oracle.js";

const ROOT = join(import.meta.dirname, "..");
const FIXTURE = join(ROOT, "fixtures/sip-outcomes.pcap");
const RECORDED = join(ROOT, "fixtures/recorded/sip-failures-real.pcap");
const enc = (s: string) => new TextEncoder().encode(s);

function parse(text: string) {
  const out = new SipStart();
  const b = enc(text);
  const ok = parseSipStart(b, 0, b.length, out);
  const diag =
    out.diagLength > 0
      ? new TextDecoder().decode(b.subarray(out.diagOffset, out.diagOffset + out.diagLength))
      : null;
  return {
    ok,
    kind: out.kind,
    method: SIP_METHODS[out.method],
    code: out.code,
    cseq: SIP_METHODS[out.cseqMethod],
    diag,
  };
}

describe("parseSipStart", () => {
  const cases: [string, string, ReturnType<typeof parse>][] = [
    [
      "a request with its CSeq",
      "REGISTER sip:contoso.test SIP/2.0\r\nCSeq: 1 REGISTER\r\n\r\n",
      { ok: true, kind: SipKind.Request, method: "REGISTER", code: 0, cseq: "REGISTER", diag: null },
    ],
    [
      "a response naming its request's method, and ms-diagnostics",
      'SIP/2.0 403 Forbidden\r\nCSeq: 7 INVITE\r\nms-diagnostics: 4005;reason="x"\r\n\r\n',
      { ok: true, kind: SipKind.Response, method: "", code: 403, cseq: "INVITE", diag: '4005;reason="x"' },
    ],
    [
      "header names in any case, lines ended by LF alone",
      "SIP/2.0 200 OK\ncseq: 2 SERVICE\nMS-Diagnostics: 1\n\n",
      { ok: true, kind: SipKind.Response, method: "", code: 200, cseq: "SERVICE", diag: "1" },
    ],
    [
      "a method not listed",
      "FROBNICATE sip:x SIP/2.0\r\n\r\n",
      { ok: true, kind: SipKind.Request, method: "", code: 0, cseq: "", diag: null },
    ],
    [
      "a status code out of range",
      "SIP/2.0 999 Nope\r\n\r\n",
      { ok: false, kind: SipKind.None, method: "", code: 0, cseq: "", diag: null },
    ],
    [
      "HTTP, not SIP",
      "HTTP/1.1 200 OK\r\n\r\n",
      { ok: false, kind: SipKind.None, method: "", code: 0, cseq: "", diag: null },
    ],
    [
      "headers after the blank line (the body) are not read",
      "SIP/2.0 488 Not Acceptable Here\r\n\r\nCSeq: 1 INVITE\r\n",
      { ok: true, kind: SipKind.Response, method: "", code: 488, cseq: "", diag: null },
    ],
  ];
  it.each(cases)("%s", (_name, text, want) => {
    expect(parse(text)).toEqual(want);
  });

  it("never throws on a prefix of a valid message, and reads no start line from fewer than 12 bytes", () => {
    const full = 'SIP/2.0 403 Forbidden\r\nCSeq: 7 INVITE\r\nms-diagnostics: 4005;reason="x"\r\n\r\n';
    for (let n = 0; n <= full.length; n++) {
      const r = parse(full.slice(0, n));
      if (n < 12) expect(r.ok).toBe(false);
      else expect(r.code).toBe(403);
    }
  });

  it("reads an SDP body's session-level IPv4 address and first media port, from whole lines only", () => {
    const sdp = (body: string) => {
      const out = new SipStart();
      const b = enc(`SIP/2.0 183 Session Progress\r\nCSeq: 1 INVITE\r\n\r\n${body}`);
      parseSipStart(b, 0, b.length, out);
      return [out.sdpAddress >>> 0, out.sdpPort];
    };
    const gw = (10 << 24) | 50;
    const body =
      "v=0\r\no=gw 1 1 IN IP4 10.0.0.50\r\ns=-\r\nc=IN IP4 10.0.0.50\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\n";
    expect(sdp(body)).toEqual([gw, 30000]);
    // Not IPv4 (or 0.0.0.0, a held stream): no stream to key, rather than a guess.
    expect(sdp(body.replace("c=IN IP4 10.0.0.50", "c=IN IP6 2001:db8::50"))).toEqual([0, 0]);
    expect(sdp(body.replace("c=IN IP4 10.0.0.50", "c=IN IP4 0.0.0.0"))).toEqual([0, 0]);
    // A stream's own c= overrides the session's, and stands alone without one (RFC 4566 §5.7).
    const other = (10 << 24) | 60;
    expect(sdp(`${body}c=IN IP4 10.0.0.60\r\n`)).toEqual([other, 30000]);
    expect(sdp(`${body.replace("c=IN IP4 10.0.0.50\r\n", "")}c=IN IP4 10.0.0.60\r\n`)).toEqual([
      other,
      30000,
    ]);
    // A disabled stream (port 0, RFC 3264 §6) first: the next stream is the one.
    const video0 = body.replace(
      "m=audio 30000",
      "m=video 0 RTP/AVP 31\r\nc=IN IP4 10.0.0.99\r\nm=audio 30000",
    );
    expect(sdp(video0)).toEqual([gw, 30000]);
    // Addresses above 127.255.255.255 (negative as 32-bit integers) are addresses too.
    expect(sdp(body.replaceAll("10.0.0.50", "203.0.113.9"))).toEqual([
      ((203 << 24) | (113 << 8) | 9) >>> 0,
      30000,
    ]);
    expect(sdp(body.replace("30000 RTP", "30000/2 RTP"))).toEqual([gw, 30000]);
    expect(sdp(body.replace("30000", "70000"))).toEqual([0, 0]);
    expect(sdp(`x${body}`)).toEqual([0, 0]); // not SDP: no "v=" first
    // A cut body never yields a shorter address or port than the one written: whole lines only.
    for (let n = 0; n < body.length; n++) {
      const [address, port] = sdp(body.slice(0, n));
      expect(address === 0 || address === gw).toBe(true);
      expect(port === 0 || port === 30000).toBe(true);
    }
  });

  it("never throws on random bytes (property)", () => {
    const out = new SipStart();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cut) => {
        parseSipStart(bytes, Math.min(cut, bytes.length), bytes.length, out);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("fixtures/sip-outcomes.pcap", async () => {
  const r = await analyzeCapture(FIXTURE, { version: "t" });
  const byPort = (port: number) => r.flows.find((f) => f.clientPort === port)!;

  it("gives each flow the README's verdict and reason", () => {
    expect([byPort(46201).verdict, byPort(46201).reasons.map((x) => x.code)]).toEqual([
      "known",
      ["sip_auth"],
    ]);
    expect([byPort(46202).verdict, byPort(46202).reasons[0]]).toEqual([
      "blocked",
      {
        code: "sip_error",
        details: {
          method: "REGISTER",
          code: 403,
          responses: 1,
          diagnostics:
            '4005;reason="Destination URI either not enabled for SIP or does not exist";source="pool.contoso.test"',
        },
      },
    ]);
    expect([byPort(46203).verdict, byPort(46203).reasons[0]?.code]).toEqual(["blocked", "sip_error"]);
    // The terminal's one-line form keeps the ms-diagnostics code support looks up.
    expect(reasonBrief(byPort(46202).reasons[0]!)).toBe("REGISTER → 403, diag 4005");
    expect(r.blocked.map((g) => [g.port, g.reason, g.flows.length])).toEqual([
      [5060, "sip_error", 5],
      [60012, "one_way_media", 1],
    ]);
    // Ringback after a 183 with SDP, the call then cancelled (487): early media, one way by design
    // (RFC 3960); the same after a 200 OK answered the call is media that did not get through.
    expect([byPort(30000).verdict, byPort(30000).reasons.map((x) => x.code)]).toEqual([
      "known",
      ["early_media"],
    ]);
    expect([byPort(30002).verdict, byPort(30002).reasons.map((x) => x.code)]).toEqual([
      "blocked",
      ["one_way_media"],
    ]);
    // An INVITE that rang (180) and then got 480 is nobody answering; one that never rang and got 408 fails.
    expect([byPort(46205).verdict, byPort(46205).reasons, byPort(46205).sip?.noAnswer]).toEqual([
      "known",
      [],
      1,
    ]);
    expect([byPort(46206).verdict, byPort(46206).reasons[0]?.code, byPort(46206).sip?.noAnswer]).toEqual([
      "blocked",
      "sip_error",
      undefined,
    ]);
    // Two 480s on one connection, one after 180 and one after 183: one is still a failure.
    expect([byPort(46207).verdict, byPort(46207).reasons[0]?.details, byPort(46207).sip?.noAnswer]).toEqual([
      "blocked",
      { method: "INVITE", code: 480, responses: 2, diagnostics: null },
      1,
    ]);
    // The INVITE's 404 does not borrow the BYE's ms-diagnostics.
    expect([byPort(46208).reasons[0]?.details, reasonBrief(byPort(46208).reasons[0]!)]).toEqual([
      { method: "INVITE", code: 404, responses: 1, diagnostics: null },
      "INVITE → 404",
    ]);
    // The client's 480 to the server's INVITE is the user's answer to an incoming call.
    expect([byPort(46204).verdict, byPort(46204).reasons, byPort(46204).sip?.responses]).toEqual([
      "known",
      [],
      [
        { method: "REGISTER", code: 200, count: 1, by: "server" },
        { method: "INVITE", code: 480, count: 1, by: "client" },
      ],
    ]);
  });

  it("recorded: sipp's REGISTER refused with 403 (and ms-diagnostics) and INVITE answered 488 are sip_error", async () => {
    const rec = await analyzeCapture(RECORDED, { version: "t" });
    expect(rec.flows.map((f) => [f.verdict, f.reasons[0]?.code, f.sip?.responses])).toEqual([
      ["blocked", "sip_error", [{ method: "REGISTER", code: 403, count: 1, by: "server" }]],
      ["blocked", "sip_error", [{ method: "INVITE", code: 488, count: 1, by: "server" }]],
    ]);
    expect(rec.flows[0]!.reasons[0]).toMatchObject({
      details: { diagnostics: expect.stringMatching(/^4005;reason=/) },
    });
  });

  it("counts the final responses tshark's SIP dissector reads, per flow, synthetic and recorded", async () => {
    for (const path of [FIXTURE, RECORDED]) {
      const r = await analyzeCapture(path, { version: "t" });
      const fields = ["tcp.srcport", "tcp.dstport", "sip.CSeq.method", "sip.Status-Code"].flatMap((f) => [
        "-e",
        f,
      ]);
      const t = askSync("tshark", ["-r", path, "-Y", "sip.Status-Code >= 200", "-T", "fields", ...fields]);
      expect(t.status).toBe(0);
      const theirs = new Map<number, string[]>();
      const clients = new Set(r.flows.map((f) => f.clientPort));
      for (const line of t.stdout.trim().split("\n")) {
        const [src, dst, method, code] = line.split("\t");
        // To the client's port: the server answered; from it: the client answered the server.
        const by = clients.has(Number(dst)) ? "server" : "client";
        const client = by === "server" ? Number(dst) : Number(src);
        const list = theirs.get(client) ?? [];
        list.push(`${method} ${code} ${by}`);
        theirs.set(client, list);
      }
      for (const f of r.flows) {
        const ours = (f.sip?.responses ?? []).flatMap((x) =>
          Array.from({ length: x.count }, () => `${x.method} ${x.code} ${x.by}`),
        );
        expect(ours.sort(), `${path}: flow from ${f.clientPort}`).toEqual(
          (theirs.get(f.clientPort!) ?? []).sort(),
        );
      }
    }
  });
});

describe("INVITEs that rang, told apart by dialog", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const answer = (code: string, callId: string, cseq: number) =>
    enc(`SIP/2.0 ${code}\r\nCall-ID: ${callId}\r\nCSeq: ${cseq} INVITE\r\nContent-Length: 0\r\n\r\n`);
  it("reads Call-ID, and its compact form i", () => {
    const s = new SipStart();
    const a = enc("SIP/2.0 180 Ringing\r\nCall-ID: abc@host\r\nCSeq: 1 INVITE\r\n\r\n");
    const b = enc("SIP/2.0 180 Ringing\r\ni: abc@host\r\nCSeq: 1 INVITE\r\n\r\n");
    expect(parseSipStart(a, 0, a.length, s)).toBe(true);
    const hash = s.callIdHash;
    expect(parseSipStart(b, 0, b.length, s)).toBe(true);
    expect([hash !== 0, s.callIdHash]).toEqual([true, hash]);
  });
  it("a 408 in a dialog that never rang is not excused by another dialog's 180 under the same CSeq", () => {
    const sip = new SipOutcomes();
    for (const m of [
      answer("180 Ringing", "a@gw", 1),
      answer("486 Busy Here", "a@gw", 1),
      answer("408 Request Timeout", "b@gw", 1),
    ])
      sip.note(1, m, 0, m.length, false);
    expect(sip.of(1, true)?.noAnswer).toBe(0);
    const rang = new SipOutcomes();
    for (const m of [answer("180 Ringing", "c@gw", 2), answer("480 Temporarily Unavailable", "c@gw", 2)])
      rang.note(2, m, 0, m.length, false);
    expect(rang.of(2, true)?.noAnswer).toBe(1);
  });
});

describe("a failure is judged in its own call: a trunk's other calls do not undo it (UC scenario tester)", () => {
  const answer = (code: string, callId: string, cseq: number) =>
    enc(`SIP/2.0 ${code}\r\nCall-ID: ${callId}\r\nCSeq: ${cseq} INVITE\r\nContent-Length: 0\r\n\r\n`);
  const judge = (messages: Uint8Array[]) => {
    const sip = new SipOutcomes();
    for (const m of messages) sip.note(1, m, 0, m.length, false);
    return sipEvidence(sip.of(1, true)!)?.error ?? null;
  };
  it("a 488 in one call, a 200 in another, either order: sip_error, naming the other call's success", () => {
    for (const calls of [
      [answer("200 OK", "a@med", 1), answer("488 Not Acceptable Here", "b@med", 1)],
      [answer("488 Not Acceptable Here", "b@med", 1), answer("200 OK", "a@med", 1)],
    ]) {
      const e = judge(calls);
      expect([e?.code, e?.details]).toEqual([
        "sip_error",
        { method: "INVITE", code: 488, responses: 1, diagnostics: null, successes: 1 },
      ]);
      expect(reasonText(e!)).toContain("in a call no success answered; 1 other INVITE succeeded");
    }
  });
  it("a 488, then a 200 in the same call (a re-offer that worked): no finding", () => {
    expect(judge([answer("488 Not Acceptable Here", "a@med", 1), answer("200 OK", "a@med", 2)])).toBeNull();
  });
});

describe("early media: only a call that ended unanswered excuses its ringback (hostile review)", () => {
  const MED = "10.0.0.20";
  const GW = "10.0.0.50";
  const T = 1_700_000_000_000_000;
  const S = 1_000_000;
  const dir = mkdtempSync(join(tmpdir(), "ocs-early-"));
  /** A response to INVITE `cseq` of `callId`, with the To tag `tag` and an SDP announcing `port` when given. */
  const answer = (code: string, cseq: number, callId: string, port?: number, tag = "", c = GW) => {
    const sdp =
      port === undefined
        ? ""
        : `v=0\r\no=gw 1 1 IN IP4 ${GW}\r\ns=-\r\nc=IN IP4 ${c}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\n`;
    const type = sdp === "" ? "" : "Content-Type: application/sdp\r\n";
    return `SIP/2.0 ${code}\r\nCall-ID: ${callId}\r\nTo: <sip:+1555@gw>${tag === "" ? "" : `;tag=${tag}`}\r\nCSeq: ${cseq} INVITE\r\n${type}Content-Length: ${sdp.length}\r\n\r\n${sdp}`;
  };
  const invite = (cseq: number, callId: string) =>
    `INVITE sip:+1555@gw SIP/2.0\r\nCall-ID: ${callId}\r\nCSeq: ${cseq} INVITE\r\nContent-Length: 0\r\n\r\n`;
  /** `n` RTP packets, 20 ms apart, one way from the gateway's `port` from `at` (and RTCP from port+1 with `rtcp`). */
  const ringback = (port: number, at: number, n = 100, rtcp = false, from = GW) => [
    ...Array.from({ length: n }, (_, i) =>
      udp(from, port, MED, 60000 + (port % 1000), at + i * 20_000, rtp(i, i * 160, port)),
    ),
    ...(rtcp
      ? [0, 1, 2].map((i) =>
          udp(from, port + 1, MED, 60001 + (port % 1000), at + i * 600_000, rtcpReceiverReport(port)),
        )
      : []),
  ];
  const verdicts = async (name: string, records: PcapRecord[]) => {
    const file = join(dir, name);
    writeFileSync(file, writePcap(records.sort((a, b) => a.tsMicros - b.tsMicros)));
    const r = await analyzeCapture(file, { version: "t" });
    return Object.fromEntries(
      r.flows
        .filter((f) => f.transport === "udp")
        .map((f) => [`${f.clientIp}:${f.clientPort}`, f.reasons.map((x) => x.code).join(",") || "-"]),
    );
  };

  it("cancelled after ringback: the RTP and its RTCP are early media", async () => {
    const sip = new TcpConversation(MED, 46300, GW, 5060, T)
      .handshake()
      .data(true, invite(1, "c1"))
      .data(false, answer("183 Session Progress", 1, "c1", 30000))
      .wait(3 * S)
      .data(false, answer("487 Request Terminated", 1, "c1")).frames;
    expect(await verdicts("cancelled.pcap", [...sip, ...ringback(30000, T + S / 5, 100, true)])).toEqual({
      "10.0.0.50:30000": "early_media",
      "10.0.0.50:30001": "early_media",
    });
  });

  it("answered, or never finally answered, or an answer the reader missed: one-way media stays blocked", async () => {
    const answered = new TcpConversation(MED, 46301, GW, 5060, T)
      .handshake()
      .data(true, invite(1, "a1"))
      .data(false, answer("183 Session Progress", 1, "a1", 30010))
      .data(false, answer("200 OK", 1, "a1", 30010)).frames;
    const ringing = new TcpConversation(MED, 46302, GW, 5060, T)
      .handshake()
      .data(true, invite(1, "r1"))
      .data(false, answer("183 Session Progress", 1, "r1", 30020)).frames;
    // The 200 OK behind another message in one segment: not read (a message must start a segment).
    const hidden = new TcpConversation(MED, 46303, GW, 5060, T)
      .handshake()
      .data(true, invite(1, "h1"))
      .data(false, answer("183 Session Progress", 1, "h1", 30030))
      .data(
        false,
        `SIP/2.0 200 OK\r\nCSeq: 9 OPTIONS\r\nContent-Length: 0\r\n\r\n${answer("200 OK", 1, "h1")}`,
      ).frames;
    expect(
      await verdicts("answered.pcap", [
        ...answered,
        ...ringing,
        ...hidden,
        ...ringback(30010, T + S, 300),
        ...ringback(30020, T + S, 300),
        ...ringback(30030, T + S, 300),
      ]),
    ).toEqual({
      "10.0.0.50:30010": "one_way_media",
      "10.0.0.50:30020": "one_way_media",
      "10.0.0.50:30030": "one_way_media",
    });
  });

  it("a port announced by a cancelled call, then answered in another: the second call's one-way media is blocked", async () => {
    const sip = new TcpConversation(MED, 46304, GW, 5060, T)
      .handshake()
      .data(true, invite(1, "x1"))
      .data(false, answer("183 Session Progress", 1, "x1", 30040))
      .data(false, answer("487 Request Terminated", 1, "x1"))
      .wait(5 * S)
      .data(true, invite(1, "x2"))
      .data(false, answer("180 Ringing", 1, "x2"))
      .data(false, answer("200 OK", 1, "x2")).frames;
    // The second call's 200 carries no SDP to re-announce the port; its media runs long after the
    // first call ended, so it is not that call's early media.
    expect(await verdicts("reuse.pcap", [...sip, ...ringback(30040, T + 6 * S, 1500)])).toEqual({
      "10.0.0.50:30040": "one_way_media",
    });
  });

  it("forked: one fork's ringback ended by another fork's answer is early media; the answering fork's one-way media is not", async () => {
    const GW2 = "10.0.0.51";
    const sip = new TcpConversation(MED, 46305, GW, 5060, T)
      .handshake()
      .data(true, invite(1, "f1"))
      .data(false, answer("183 Session Progress", 1, "f1", 30050, "a"))
      .data(false, answer("183 Session Progress", 1, "f1", 30060, "b", GW2))
      .wait(3 * S)
      .data(false, answer("200 OK", 1, "f1", 30060, "b", GW2)).frames;
    expect(
      await verdicts("fork.pcap", [
        ...sip,
        ...ringback(30050, T + S / 5, 100),
        ...ringback(30060, T + 4 * S, 300, false, GW2),
      ]),
    ).toEqual({ "10.0.0.50:30050": "early_media", "10.0.0.51:30060": "one_way_media" });
  });
});
