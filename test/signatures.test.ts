import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  msTurnAllocate,
  rtcpReceiverReport,
  rtp,
  stunBinding,
  tlsClientHello,
  tlsServerHello,
  turnChannelData,
} from "../fixtures/lib/packets.js";
import { readCapture } from "../src/capture/source.js";
import { decodeFrame } from "../src/decode/frame.js";
import { Packet } from "../src/decode/packet.js";
import {
  App,
  identify,
  idResult,
  isDceRpc,
  isHttpRequest,
  isHttpResponse,
  isKerberosMessage,
  isKerberosTcp,
  isLdap,
  isRtcp,
  isRtpCandidate,
  isSipRequest,
  isSipResponse,
  isTlsRecord,
  STUN_BINDING_REQUEST,
  STUN_CHANNEL_DATA,
  STUN_MS_MULTIPLEX,
  STUN_MS_TURN,
  stunKind,
  tlsServerName,
} from "../src/decode/signatures.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures");

/** The first payload sent to `port` (or from it, with `fromServer`) in a recorded capture. */
async function realPayload(file: string, port: number, fromServer = false): Promise<Uint8Array> {
  const pkt = new Packet();
  let found: Uint8Array | null = null;
  await readCapture(join(FIXTURES, file), (f) => {
    if (found !== null) return;
    if (decodeFrame(f.linkType, f.buf, f.offset, f.capLen, pkt) !== 0 || pkt.payloadCaptured === 0) return;
    if ((fromServer ? pkt.srcPort : pkt.dstPort) !== port) return;
    found = Uint8Array.from(f.buf.subarray(pkt.payloadOffset, pkt.payloadOffset + pkt.payloadCaptured));
  });
  if (found === null) throw new Error(`no payload for port ${port} in ${file}`);
  return found;
}

const bytes = (s: string) => new TextEncoder().encode(s);
const id = (b: Uint8Array, tcp = true) => identify(b, 0, b.length, tcp);

describe("signatures on real traffic (fixtures/recorded, made by openssl, sipp, curl, socat)", () => {
  it("TLS: openssl s_client's ClientHello with its server name, and s_server's reply", async () => {
    const hello = await realPayload("recorded/ocs-real.pcap", 5061);
    expect(id(hello)).toBe(App.Tls);
    expect(idResult.detail).toBe(1); // ClientHello
    expect(tlsServerName(hello, 0, hello.length)).toBe("fe.contoso.test");
    const reply = await realPayload("recorded/ocs-real.pcap", 5061, true);
    expect(id(reply)).toBe(App.Tls);
    expect(idResult.detail).toBe(2); // ServerHello
  });

  it("SIP: sipp's INVITE over TCP and the UAS's response", async () => {
    const invite = await realPayload("recorded/ocs-real.pcap", 5060);
    expect(isSipRequest(invite, 0, invite.length)).toBe(true);
    expect(id(invite)).toBe(App.Sip);
    const response = await realPayload("recorded/ocs-real.pcap", 5060, true);
    expect(isSipResponse(response, 0, response.length)).toBe(true);
  });

  it("HTTP: curl's GET and openssl's STUN-free 443", async () => {
    const get = await realPayload("recorded/misdirected-real.pcap", 443);
    expect(isHttpRequest(get, 0, get.length)).toBe(true);
    expect(id(get)).toBe(App.Http);
  });

  it("STUN: the recorded binding request", async () => {
    const stun = await realPayload("recorded/ocs-real.pcap", 3478);
    expect(stunKind(stun, 0, stun.length, false)).toBe(STUN_BINDING_REQUEST);
  });
});

describe("signatures, table-driven, with near misses", () => {
  const dcerpcBind = Uint8Array.from([
    5,
    0,
    11,
    3,
    0x10,
    0,
    0,
    0,
    72,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    ...new Array(56).fill(0),
  ]);
  // AS-REQ: [APPLICATION 10] { SEQUENCE { … } }
  const asReq = Uint8Array.from([0x6a, 0x0a, 0x30, 0x08, 0xa1, 0x03, 0x02, 0x01, 0x05, 0xa2, 0x01, 0x0a]);
  const asReqTcp = Uint8Array.from([0, 0, 0, asReq.length, ...asReq]);
  // LDAP bindRequest: SEQUENCE { messageID 1, [APPLICATION 0] { version 3, name "", simple "" } }
  const ldapBind = Uint8Array.from([
    0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00,
  ]);
  const cases: [string, Uint8Array, boolean, App, number | null][] = [
    ["TLS ClientHello (built)", tlsClientHello("x.test"), true, App.Tls, 1],
    ["TLS ServerHello (built)", tlsServerHello(), true, App.Tls, 2],
    ["SIP request", bytes("REGISTER sip:contoso.test SIP/2.0\r\n"), false, App.Sip, 1],
    ["SIP SERVICE (OCS)", bytes("SERVICE sips:pool.contoso.test SIP/2.0\r\n"), true, App.Sip, 1],
    ["SIP response", bytes("SIP/2.0 401 Unauthorized\r\n"), false, App.Sip, 2],
    ["HTTP request", bytes("GET /abs/ HTTP/1.1\r\nHost: x\r\n\r\n"), true, App.Http, 1],
    ["HTTP response", bytes("HTTP/1.1 200 OK\r\n"), true, App.Http, 2],
    ["STUN binding request", stunBinding(false, 1), false, App.Stun, STUN_BINDING_REQUEST],
    ["STUN binding response", stunBinding(true, 1), false, App.Stun, 2],
    ["MS-TURN allocate (classic header, MAGIC-COOKIE)", msTurnAllocate(5), true, App.Stun, STUN_MS_TURN],
    [
      "MS-TURN with a 2-byte TCP frame length",
      Uint8Array.from([0, msTurnAllocate(5).length, ...msTurnAllocate(5)]),
      true,
      App.Stun,
      STUN_MS_TURN,
    ],
    ["TURN ChannelData", turnChannelData(0x4001, rtp(1, 0, 9)), false, App.Stun, STUN_CHANNEL_DATA],
    [
      "Microsoft 0xFF10 multiplex",
      Uint8Array.from([0xff, 0x10, 0, 4, 1, 2, 3, 4]),
      true,
      App.Stun,
      STUN_MS_MULTIPLEX,
    ],
    ["RTCP receiver report", rtcpReceiverReport(7), false, App.Rtcp, null],
    ["one RTP packet: a candidate only", rtp(1, 0, 7), false, App.RtpCandidate, null],
    ["DCE/RPC bind", dcerpcBind, true, App.DceRpc, null],
    ["Kerberos AS-REQ over UDP", asReq, false, App.Kerberos, null],
    ["Kerberos AS-REQ over TCP", asReqTcp, true, App.Kerberos, null],
    ["LDAP bindRequest", ldapBind, true, App.Ldap, null],
    // Near misses.
    ["text that starts like a Kerberos tag", bytes("opaque"), false, App.Unidentified, null],
    ["SIP-like text without a URI", bytes("OPTIONS * HTTP/1.1\r\n"), true, App.Http, 1],
    ["a SIP method without sip:", bytes("INVITE someone please"), true, App.Unidentified, null],
    [
      "a TLS record with version 2.0",
      Uint8Array.from([22, 2, 0, 0, 5, 1, 0, 0, 1, 0]),
      true,
      App.Unidentified,
      null,
    ],
    [
      "STUN without the cookie or MS-TURN attribute",
      Uint8Array.from([0, 1, 0, 0, ...new Array(16).fill(9)]),
      false,
      App.Unidentified,
      null,
    ],
    [
      "RTCP whose length overruns",
      Uint8Array.from([0x80, 201, 0, 5, 0, 0, 0, 7]),
      false,
      App.Unidentified,
      null,
    ],
    [
      "an RTP-looking packet with an RTCP payload type",
      Uint8Array.from([0x80, 0xc9, 0, 1, ...new Array(12).fill(0)]),
      false,
      App.Unidentified,
      null,
    ],
    [
      "LDAP with a universal-class operation",
      Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0x00]),
      true,
      App.Unidentified,
      null,
    ],
  ];
  for (const [name, data, tcp, app, detail] of cases) {
    it(name, () => {
      expect(id(data, tcp)).toBe(app);
      if (detail !== null) expect(idResult.detail).toBe(detail);
    });
  }

  it("each checker rejects every short prefix of a valid message it needs whole", () => {
    const needWhole: [string, (b: Uint8Array, o: number, e: number) => boolean, Uint8Array][] = [
      ["tls", isTlsRecord, tlsClientHello("a.test").subarray(0, 5)],
      ["rtcp", isRtcp, rtcpReceiverReport(1)],
      ["rtp", isRtpCandidate, rtp(1, 0, 1, 0)],
      ["dcerpc", isDceRpc, dcerpcBind.subarray(0, 16)],
      ["kerberos", (b, o, e) => isKerberosMessage(b, o, e), asReq],
      ["sip response", isSipResponse, bytes("SIP/2.0 200 ")],
      ["http response", isHttpResponse, bytes("HTTP/1.1 200")],
    ];
    for (const [name, check, whole] of needWhole) {
      expect(check(whole, 0, whole.length), `${name} whole`).toBe(true);
      for (let n = 0; n < whole.length; n++) {
        if (name === "tls" && n >= 5) continue;
        expect(check(whole, 0, n), `${name} cut at ${n}`).toBe(false);
      }
    }
  });

  it("Kerberos over TCP needs the length prefix and the message's first bytes, not the whole message (it may span segments)", () => {
    for (let n = 0; n < 8; n++) expect(isKerberosTcp(asReqTcp, 0, n)).toBe(false);
    for (let n = 8; n <= asReqTcp.length; n++) expect(isKerberosTcp(asReqTcp, 0, n)).toBe(true);
    const tooShort = Uint8Array.from(asReqTcp);
    tooShort[3] = 2; // the prefix claims less than what follows
    expect(isKerberosTcp(tooShort, 0, tooShort.length)).toBe(false);
  });

  it("LDAP is known from its first seven bytes: SEQUENCE, messageID, protocolOp (a message may span segments)", () => {
    for (let n = 0; n < 7; n++) expect(isLdap(ldapBind, 0, n)).toBe(false);
    for (let n = 7; n <= ldapBind.length; n++) expect(isLdap(ldapBind, 0, n)).toBe(true);
  });

  it("never throws and never reads outside its range, on any bytes (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(40), fc.boolean(), (data, shift, tcp) => {
        const off = Math.min(shift, data.length);
        // Poison the bytes around the range: a checker that reads them would see 0xEE.
        const padded = Uint8Array.from([
          ...new Array(64).fill(0xee),
          ...data.subarray(off),
          ...new Array(64).fill(0xee),
        ]);
        const inside = identify(padded, 64, 64 + data.length - off, tcp);
        const alone = identify(data.subarray(off), 0, data.length - off, tcp);
        expect(inside).toBe(alone);
      }),
      { numRuns: 3000 },
    );
  });
});
