/**
 * SIP's own outcome (issue 17, item 3): the start-line and header reader
 * table-driven, every short prefix and random bytes without a throw; and
 * fixtures/sip-outcomes.pcap and the recorded sipp-against-sipp
 * recorded/sip-failures-real.pcap, whose final responses per flow equal what
 * tshark's SIP dissector reads (sip.Status-Code, sip.CSeq.method), with
 * the verdicts the README's reason table gives.
 */
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyzeCapture } from "../src/analyze.js";
import { parseSipStart, SIP_METHODS, SipKind, SipStart } from "../src/decode/sip.js";
import { SipOutcomes } from "../src/flow/sip-outcome.js";
import { reasonBrief } from "../src/report/reason-text.js";
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
    expect(sdp(body.replace("c=IN IP4 10.0.0.50", "c=IN IP6 2001:db8::50"))).toEqual([0, 30000]);
    expect(sdp(body.replace("30000 RTP", "30000/2 RTP"))).toEqual([gw, 30000]);
    expect(sdp(body.replace("30000", "70000"))).toEqual([gw, 0]);
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
