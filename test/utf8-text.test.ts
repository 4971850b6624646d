/**
 * Text the capture carries as UTF-8 (SIP's ms-diagnostics, RFC 3261 §25.1;
 * STUN's REALM, RFC 5389 §15.7) reaches the report as the characters sent:
 * `utf8Cut` table-driven and as a property, and the outcome readers on
 * messages whose text is not ASCII and longer than what a report keeps.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyzeCapture } from "../src/analyze.js";
import { SIP_DIAGNOSTICS_MAX } from "../src/decode/sip.js";
import { utf8Cut } from "../src/decode/utf8.js";
import { SipOutcomes } from "../src/flow/sip-outcome.js";
import { StunOutcomes } from "../src/flow/stun-outcome.js";
import { renderJson } from "../src/report/json.js";
import { Redactor, redactReport } from "../src/report/redact.js";

const enc = (s: string) => new TextEncoder().encode(s);

describe("utf8Cut", () => {
  // [name, bytes, start, end, want]
  const cases: [string, number[], number, number, number][] = [
    ["ASCII ends anywhere", [0x61, 0x62, 0x63], 0, 2, 2],
    ["an empty range", [0xc3, 0xa9], 1, 1, 1],
    ["after a whole 2-byte character (é)", [0x61, 0xc3, 0xa9], 0, 3, 3],
    ["inside a 2-byte character", [0x61, 0xc3, 0xa9], 0, 2, 1],
    ["after the first byte of a 3-byte character (€)", [0x61, 0xe2, 0x82, 0xac], 0, 2, 1],
    ["after the second byte of a 3-byte character", [0x61, 0xe2, 0x82, 0xac], 0, 3, 1],
    ["after a whole 3-byte character", [0x61, 0xe2, 0x82, 0xac], 0, 4, 4],
    ["inside a 4-byte character (𝄞), at each byte", [0xf0, 0x9d, 0x84, 0x9e], 0, 3, 0],
    ["after a whole 4-byte character", [0xf0, 0x9d, 0x84, 0x9e], 0, 4, 4],
    ["a lead byte before start is not looked at", [0xe2, 0x82, 0xac], 1, 3, 3],
    ["stray continuation bytes are left to show as U+FFFD", [0x61, 0x80, 0x80, 0x80, 0x80], 0, 5, 5],
    ["a byte that is never UTF-8 (0xFF) is left", [0x61, 0xff], 0, 2, 2],
    ["an overlong lead (0xC0) is left", [0x61, 0xc0], 0, 2, 2],
    ["a lead past U+10FFFF (0xF5) is left", [0x61, 0xf5, 0x80], 0, 3, 3],
  ];
  it.each(cases)("%s", (_name, bytes, start, end, want) => {
    expect(utf8Cut(Uint8Array.from(bytes), start, end)).toBe(want);
  });

  it("cuts any text at the last whole character: a prefix of it, without U+FFFD, at most 3 bytes short (property)", () => {
    const dec = new TextDecoder("utf-8");
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), fc.nat(), (text, n) => {
        const b = enc(text);
        const end = Math.min(n, b.length);
        const cut = utf8Cut(b, 0, end);
        const kept = dec.decode(b.subarray(0, cut));
        expect(cut).toBeLessThanOrEqual(end);
        expect(cut).toBeGreaterThanOrEqual(end - 3);
        expect(text.startsWith(kept)).toBe(true);
        // A cut never makes a U+FFFD the text lacks (the text's own may be cut off: "\ufffd" at 0).
        if (kept.includes("\ufffd")) expect(text.includes("\ufffd")).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it("never throws or reads outside [start, end) on any bytes (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 16 }), fc.nat(), fc.nat(), (b, x, y) => {
        const start = Math.min(x, b.length);
        const end = Math.min(start + y, b.length);
        // The same bytes around the range, changed, give the same cut.
        const around = Uint8Array.from(b, (v, i) => (i < start || i >= end ? v ^ 0xff : v));
        const cut = utf8Cut(b, start, end);
        expect(cut).toBe(utf8Cut(around, start, end));
        expect(cut >= start && cut <= end).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("outcome text in UTF-8", () => {
  it("keeps an ms-diagnostics reason's characters, cut only between characters", () => {
    const sip = new SipOutcomes();
    const reason = 'reason="Zugriff für Benutzer verweigert"';
    sip.note(
      1,
      enc(`SIP/2.0 403 Forbidden\r\nCSeq: 1 REGISTER\r\nms-diagnostics: 4005;${reason}\r\n\r\n`),
      0,
      200,
      false,
    );
    expect(sip.of(1, true)?.diagnostics).toEqual([`4005;${reason}`]);
    // A reason longer than the report keeps, with a 3-byte character (€) across the limit.
    const head = `1;${"x".repeat(SIP_DIAGNOSTICS_MAX - 3)}`;
    const long = enc(`SIP/2.0 488 Not Acceptable\r\nCSeq: 2 INVITE\r\nms-diagnostics: ${head}€€€\r\n\r\n`);
    sip.note(2, long, 0, long.length, false);
    expect(sip.of(2, true)?.diagnostics).toEqual([head]);
    // A segment that ends inside a character of the header (the rest comes in the next one).
    const split = enc('SIP/2.0 403 Forbidden\r\nCSeq: 3 REGISTER\r\nms-diagnostics: 1;reason="Jü');
    sip.note(3, split, 0, split.length - 1, false);
    expect(sip.of(3, true)?.diagnostics).toEqual(['1;reason="J']);
    // A whole line keeps what it holds, bytes that are not UTF-8 shown as U+FFFD.
    const bad = Uint8Array.from([
      ...enc("SIP/2.0 403 Forbidden\r\nms-diagnostics: 1;x"),
      0xc3,
      ...enc("\r\n\r\n"),
    ]);
    sip.note(4, bad, 0, bad.length, false);
    expect(sip.of(4, true)?.diagnostics).toEqual(["1;x\ufffd"]);
  });

  it("keeps a STUN REALM's characters, cut only between characters", () => {
    const stun = new StunOutcomes();
    const allocateError = (realm: string): Uint8Array => {
      const r = enc(realm);
      const padded = (r.length + 3) & ~3;
      // Allocate error response (0x0113), ERROR-CODE 401, then REALM (0x0014).
      const b = new Uint8Array(20 + 12 + 4 + padded);
      const v = new DataView(b.buffer);
      v.setUint16(0, 0x0113);
      v.setUint16(2, b.length - 20);
      v.setUint32(4, 0x2112a442);
      v.setUint16(20, 0x0009);
      v.setUint16(22, 8);
      b[26] = 4;
      b[27] = 1;
      v.setUint16(32, 0x0014);
      v.setUint16(34, r.length);
      b.set(r, 36);
      return b;
    };
    const m = allocateError("bürö.contoso.test");
    stun.note(1, m, 0, m.length);
    expect(stun.of(1)?.realm).toBe("bürö.contoso.test");
    // 127 ASCII bytes, then a 2-byte character across the 128-byte limit.
    const long = allocateError(`${"r".repeat(127)}éé`);
    stun.note(2, long, 0, long.length);
    expect(stun.of(2)?.realm).toBe("r".repeat(127));
  });
});

describe("--redact and names that are not ASCII", () => {
  /** A sip_error flow of a real capture given `diagnostics`, redacted: the report and that flow's text. */
  async function redacted(diagnostics: string) {
    const r = await analyzeCapture("fixtures/sip-outcomes.pcap", { version: "t" });
    const flow = r.flows.find((f) => f.reasons.some((x) => x.code === "sip_error"))!;
    flow.reasons = [
      { code: "sip_error", details: { method: "REGISTER", code: 403, responses: 1, diagnostics } },
    ];
    const report = redactReport(r, new Redactor({ key: "utf8-test" }));
    const kept = report.flows.find((f) => f.id === flow.id)!.reasons[0]!;
    return { report, text: kept.code === "sip_error" ? (kept.details.diagnostics ?? "") : "" };
  }

  // Names with what IDNA allows inside labels, its other full stops, a full-width @, a
  // down-level logon name and an address literal (second hostile review): none may stay.
  const cases: [string, string[]][] = [
    ["User علی\u200cرضا@contoso.com denied", ["علی", "رضا", "contoso"]],
    ["Next hop می\u200cخواهم.ir unreachable", ["می", "خواهم"]],
    ["User col·legi@contoso.com denied", ["col", "legi"]],
    ["User ann\u00adkathrin@contoso.com denied", ["ann", "kathrin"]],
    ["User דוד\u200fכהן@contoso.com denied", ["דוד", "כהן"]],
    ["User ｊｏｓｅ＠ｃｏｎｔｏｓｏ．ｃｏｍ denied", ["ｊｏｓｅ", "ｃｏｎｔｏｓｏ"]],
    ["Next hop 例子。中国 unreachable", ["例子", "中国"]],
    ["User o'brien@contoso.com denied", ["brien", "o'"]],
    ["Benutzer CONTOSO\\jürgen abgelehnt", ["CONTOSO", "jürgen"]],
    ["user é@[2001:db8::1]", ["é@", "2001:db8::1"]],
  ];
  it.each(cases)("%s", async (diagnostics, secrets) => {
    const { text } = await redacted(diagnostics);
    expect(text).toMatch(/(redacted-|host-)[0-9a-f]{8}/);
    for (const secret of secrets) expect(text, secret).not.toContain(secret);
  });

  it("makes text longer than any name one pseudonym, at once (the patterns are quadratic at worst)", async () => {
    expect((await redacted("é-".repeat(3000))).text).toMatch(/^redacted-[0-9a-f]{8}$/);
  });

  it("pseudonymizes whole user and host names of any script in ms-diagnostics and REALM, and ASCII ones as before", async () => {
    const diagnostics =
      '1000;reason="Benutzer josé@ocsfe01 abgelehnt, jose@ocsfe01 ok, jürgen.müller@contoso.com";' +
      'source="fe01.contoso.com";hop="fé-pool01.bücher.de";server ÖCSFE02.contoso.local, 服务器.例子.cn';
    const { report, text: kept } = await redacted(diagnostics);
    const text = [...renderJson(report)].join("");
    for (const secret of [
      "josé",
      "jose",
      "ocsfe01",
      "jürgen",
      "müller",
      "contoso",
      "fé-pool01",
      "bücher",
      "ÖCSFE02",
      "服务器",
      "例子",
    ])
      expect(text.toLowerCase(), secret).not.toContain(secret.toLowerCase());
    // A user of any script is one token, at the same host's token: the same names stay comparable.
    expect(kept).toMatch(
      /^1000;reason="Benutzer (redacted-[0-9a-f]{8})@(redacted-[0-9a-f]{8}) abgelehnt, (redacted-[0-9a-f]{8})@\2 ok, redacted-[0-9a-f]{8}@host-[0-9a-f]{8}\.redacted";source="host-[0-9a-f]{8}\.redacted";hop="host-[0-9a-f]{8}\.redacted";server host-[0-9a-f]{8}\.redacted, host-[0-9a-f]{8}\.redacted$/u,
    );
  });
});
