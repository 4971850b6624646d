import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  msTurnAllocate,
  rtcpReceiverReport,
  rtp,
  ssl2ClientHello,
  stunBinding,
  tlsClientHello,
  tlsServerHello,
  turnChannelData,
} from "../fixtures/lib/packets.js";
import { readCapture } from "../src/capture/source.js";
import { APP_NAMES, App } from "../src/decode/apps.js";
import { decodeFrame } from "../src/decode/frame.js";
import { Packet } from "../src/decode/packet.js";
import { identify, isTlsRecord, PayloadId, tlsServerName } from "../src/decode/signatures.js";
import {
  isRtcp,
  isRtpCandidate,
  STUN_BINDING_REQUEST,
  STUN_CHANNEL_DATA,
  STUN_CLASSIC,
  STUN_MS_MULTIPLEX,
  STUN_MS_TURN,
  stunKind,
} from "../src/decode/signatures-media.js";
import {
  isDceRpc,
  isHttpRequest,
  isHttpResponse,
  isKerberosMessage,
  isKerberosTcp,
  isLdap,
  isSipRequest,
  isSipResponse,
} from "../src/decode/signatures-ocs.js";
import {
  DNS_LLMNR,
  DNS_MULTICAST,
  DNS_UNICAST,
  isDhcp,
  isDnsMessage,
  isDtlsRecord,
  isGoogleQuicDataHeader,
  isGoogleQuicPublicHeader,
  isMysqlGreeting,
  isNetbiosDgm,
  isNetbiosNs,
  isNetbiosSession,
  isNtp,
  isQuicLongHeader,
  isRfbVersion,
  isSmbMessage,
  isSnmp,
  isSsdp,
  isSshBanner,
  isSyslog,
  rdpKind,
  tdsKind,
} from "../src/decode/signatures-other.js";
import { serverNameText, ssl2ClientHelloLength } from "../src/decode/tls-handshake.js";

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

/** The caller-owned result object `identify` fills; every test reads it right after its call. */
const found = new PayloadId();
const bytes = (s: string) => new TextEncoder().encode(s);
const id = (b: Uint8Array, tcp = true, srcPort = 0, dstPort = 0) =>
  identify(b, 0, b.length, tcp, srcPort, dstPort, found);

describe("signatures on real traffic (fixtures/recorded, made by openssl, sipp, curl, socat)", () => {
  it("TLS: openssl s_client's ClientHello with its server name, and s_server's reply", async () => {
    const hello = await realPayload("recorded/ocs-real.pcap", 5061);
    expect(id(hello)).toBe(App.Tls);
    expect(found.detail).toBe(1); // ClientHello
    expect(tlsServerName(hello, 0, hello.length)).toBe("fe.contoso.test");
    const reply = await realPayload("recorded/ocs-real.pcap", 5061, true);
    expect(id(reply)).toBe(App.Tls);
    expect(found.detail).toBe(2); // ServerHello
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
      "classic STUN (RFC 3489): a binding request without the cookie or attributes",
      Uint8Array.from([0, 1, 0, 0, ...new Array(16).fill(9)]),
      false,
      App.Stun,
      STUN_BINDING_REQUEST,
    ],
    [
      "STUN without the cookie or MS-TURN attribute, of a type classic STUN lacks (Allocate)",
      Uint8Array.from([0, 3, 0, 0, ...new Array(16).fill(9)]),
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
      if (detail !== null) expect(found.detail).toBe(detail);
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
        const inside = identify(padded, 64, 64 + data.length - off, tcp, 0, 0, found);
        const alone = identify(data.subarray(off), 0, data.length - off, tcp, 0, 0, found);
        expect(inside).toBe(alone);
      }),
      { numRuns: 3000 },
    );
  });
});

// --- The other protocols: examples built from their specifications' header layouts -----------

type Bytes = number | readonly number[] | Uint8Array;
/** Concatenates bytes and byte lists. */
const cat = (...parts: Bytes[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "number" ? [p] : Array.from(p))));
const be16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const be24 = (n: number) => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const be32 = (n: number) => [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const le16 = (n: number) => [n & 0xff, (n >> 8) & 0xff];
/** `n` arbitrary but fixed bytes (a stand-in for ids, keys and ciphertext). */
const junk = (n: number, seed = 1) => Array.from({ length: n }, (_, i) => (i * 151 + seed * 71 + 29) & 0xff);
const text = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
/** A domain name as DNS labels (RFC 1035 §3.1). */
const dnsName = (name: string) => [...name.split(".").flatMap((l) => [l.length, ...text(l)]), 0];
/** A NetBIOS name (RFC 1002 §4.1, first-level encoding of §14.1): 0x20, 32 letters 'A'–'P', no scope. */
const nbName = (name: string, suffix: number, pad = " ") => {
  const raw = [...text(name.padEnd(15, pad).slice(0, 15)), suffix];
  return [0x20, ...raw.flatMap((b) => [0x41 + (b >> 4), 0x41 + (b & 15)]), 0];
};
/** A BER TLV with a definite length (X.690 §8.1.3). */
const tlv = (tag: number, ...content: Bytes[]) => {
  const body = cat(...content);
  const len = body.length < 0x80 ? [body.length] : [0x81, body.length];
  return cat(tag, len, body);
};
const int = (n: number) => tlv(0x02, n < 0x80 ? [n] : be16(n));

const quicV1Initial = cat([0xc3, ...be32(1), 8], junk(8, 1), [8], junk(8, 2), [0, 0x44, 0x96], junk(1174, 3));
const quicV2Initial = cat([0xd3, ...be32(0x6b3343cf), 8], junk(8, 4), [0, 0, 0x44, 0xa0], junk(1184, 5));
const quicVersionNegotiation = cat([0xca, ...be32(0), 8], junk(8, 2), [8], junk(8, 1), [
  ...be32(1),
  ...be32(0x6b3343cf),
  ...be32(0xff00001d),
]);
const quicDraft29 = cat([0xc0, ...be32(0xff00001d), 8], junk(8, 6), [0, 0, 0x44, 0x9e], junk(1238, 7));
// Q046 packs both connection id lengths in one byte: 0x50 is an 8-byte DCID and no SCID.
const googleQuicQ046 = cat([0xc3, ...text("Q046"), 0x50], junk(8, 8), be32(1), junk(1336, 9));
const googleQuicQ043 = cat([0x09], junk(8, 10), text("Q043"), [1], junk(1336, 11));
// After the handshake (as in nDPI's http_ipv6.pcap, frame 32): flags 0x0c (8-byte id, 1-byte packet number), no version.
const googleQuicData = cat([0x0c], junk(8, 12), [0x05], junk(26, 13));
const quicShort = cat([0x57], junk(40, 12));

/** A DTLS record (RFC 6347 §4.1) with one plaintext handshake message (§4.2.2) of `type`. */
const dtlsHandshake = (type: number, minor: number, body: number[]) => {
  const hs = cat([type, ...be24(body.length), 0, 0, 0, 0, 0, ...be24(body.length)], body);
  return cat([22, 0xfe, minor, 0, 0, 0, 0, 0, 0, 0, 0, ...be16(hs.length)], hs);
};
const dtlsClientHello = dtlsHandshake(1, 0xfd, [
  0xfe,
  0xfd,
  ...junk(32, 13),
  0,
  0,
  0,
  2,
  0xc0,
  0x2b,
  1,
  0,
  0,
  0,
]);
const dtlsHelloVerify = dtlsHandshake(3, 0xff, [0xfe, 0xff, 20, ...junk(20, 14)]);
const dtlsAppData = cat([23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 5, ...be16(40)], junk(40, 15));

const txid = junk(16, 16); // not the RFC 5389 cookie
// A Binding Request with CHANGE-REQUEST (RFC 3489 §11.2.4).
const classicRequest = cat([0, 1, 0, 8], txid, [0, 3, 0, 4, 0, 0, 0, 0]);
const address = (type: number, port: number, ip: number[]) => [
  ...be16(type),
  0,
  8,
  0,
  1,
  ...be16(port),
  ...ip,
];
// A Binding Response with MAPPED-, SOURCE- and CHANGED-ADDRESS.
const classicResponse = cat([1, 1, 0, 36], txid, [
  ...address(1, 50000, [192, 0, 2, 1]),
  ...address(4, 3478, [198, 51, 100, 1]),
  ...address(5, 3479, [198, 51, 100, 2]),
]);
const channelFrame = (channel: number, data: number[]) => {
  const padded = [...data, ...new Array((4 - (data.length % 4)) % 4).fill(0)];
  return cat(be16(channel), be16(data.length), padded);
};
const channelDataTcp = cat(channelFrame(0x4001, junk(10, 17)), channelFrame(0x4001, [1, 2, 3, 4]));
const channelDataTcpCut = cat(channelFrame(0x4001, junk(10, 17)), [0x40, 0x01, 0, 200, 1, 2, 3]);
// Regressions: a Kerberos TGS-REQ in one 1,211-byte datagram, which the old ChannelData rule took.
const kerberosUdp = cat([0x6c, 0x82, 0x04, 0xb7, 0x30, 0x82, 0x04, 0xb3], junk(1203, 18));
// A MySQL 5.7 server greeting (HandshakeV10): 4a 00 00 00 0a "5.7.44" 00, connection id, auth data
// part 1, filler, capabilities, character set, status, capabilities, auth data length, reserved,
// auth data part 2, plugin name.
const mysqlGreeting = cat([0x4a, 0, 0, 0, 10], text("5.7.44"), [0, 42, 0, 0, 0], text("abcdefgh"), [
  ...[0, 0xff, 0xf7, 0x21, 2, 0, 0xff, 0x81, 21, ...new Array(10).fill(0)],
  ...text("ijklmnopqrst"),
  0,
  ...text("mysql_native_password"),
  0,
]);

const dnsHeader = (idFlags: number, qd: number, an: number, ar: number) => [
  ...be32(idFlags),
  ...be16(qd),
  ...be16(an),
  0,
  0,
  ...be16(ar),
];
const OPT = [0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]; // EDNS (RFC 6891 §6.1.2)
const dnsQuery = cat(dnsHeader(0x1a2b0100, 1, 0, 1), dnsName("www.example.com"), [0, 1, 0, 1], OPT);
const dnsResponse = cat(
  dnsHeader(0x1a2b8180, 1, 1, 0),
  dnsName("www.example.com"),
  [0, 1, 0, 1],
  [0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34],
);
const dnsQueryTcp = cat(be16(dnsQuery.length), dnsQuery);
const mdnsQuery = cat(dnsHeader(0, 1, 0, 0), dnsName("_services._dns-sd._udp.local"), [0, 12, 0x80, 1]);
const mdnsResponse = cat(
  dnsHeader(0x8400, 0, 1, 0),
  dnsName("host.local"),
  [0, 1, 0x80, 1],
  [0, 0, 0, 120, 0, 4, 192, 168, 1, 20],
);
const llmnrQuery = cat(dnsHeader(0x9f310000, 1, 0, 0), dnsName("wpad"), [0, 1, 0, 1]);

const ntpClient = cat([0x23, 0, 6, 0xe9], new Array(36).fill(0), junk(8, 19));
const ntpServer = cat([0x1c, 2, 6, 0xe9, 0, 0, 0x01, 0x20, 0, 0, 0x02, 0x10, 192, 0, 2, 1], junk(32, 20));
const ntpControl = cat([0x16, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]); // mode 6 READVAR, no data
const ntpPrivate = cat([0x17, 0x00, 0x03, 0x2a, 0, 0, 0, 0], new Array(40).fill(0)); // mode 7 MON_GETLIST_1

const ssdpSearch = bytes(
  'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n',
);
const ssdpNotify = bytes(
  "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=1800\r\n" +
    "LOCATION: http://192.168.1.1:5000/rootDesc.xml\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n\r\n",
);
const ssdpOk = bytes("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nST: upnp:rootdevice\r\n\r\n");

const nbnsQuery = cat(dnsHeader(0x2c5e0110, 1, 0, 0), nbName("WORKGROUP", 0x1d), [0, 0x20, 0, 1]);
const nbnsStatus = cat(dnsHeader(0x2c5f0000, 1, 0, 0), nbName("*", 0, "\0"), [0, 0x21, 0, 1]);
const nbnsAnswer = cat(
  dnsHeader(0x2c5e8500, 0, 1, 0),
  nbName("FILESRV", 0x20),
  [0, 0x20, 0, 1],
  [0, 4, 0x93, 0xe0, 0, 6, 0, 0, 192, 168, 1, 10],
);
const nbDgmData = [
  ...nbName("HOST1", 0),
  ...nbName("WORKGROUP", 0x1d),
  0xff,
  ...text("SMB"),
  0x25,
  ...junk(19, 21),
];
const nbDgm = cat(
  [0x11, 0x02, 0x8f, 0x12, 192, 168, 1, 5, 0, 138, ...be16(nbDgmData.length), 0, 0],
  nbDgmData,
);

/** A BOOTP message (RFC 951 §3) from a client with MAC 00:0b:82:01:fc:42, DHCP options after the cookie. */
const bootp = (op: number, options: number[]) =>
  cat(
    [op, 1, 6, 0, ...be32(0x3903f326), 0, 0, 0x80, 0],
    new Array(16).fill(0),
    [0, 0x0b, 0x82, 1, 0xfc, 0x42],
    [...new Array(10 + 64 + 128).fill(0), ...be32(0x63825363), ...options, 255, ...new Array(49).fill(0)],
  );
const dhcpDiscover = bootp(1, [53, 1, 1, 55, 4, 1, 3, 6, 15]);
const dhcpOffer = bootp(2, [53, 1, 2, 54, 4, 192, 168, 1, 1, 51, 4, 0, 0, 0x0e, 0x10]);

const sysDescr = tlv(0x30, tlv(0x30, tlv(0x06, [0x2b, 6, 1, 2, 1, 1, 1, 0]), tlv(0x05)));
const snmpV2c = tlv(
  0x30,
  int(1),
  tlv(0x04, text("public")),
  tlv(0xa0, int(0x1234), int(0), int(0), sysDescr),
);
const trapPdu = [
  tlv(0x06, [0x2b, 6, 1, 4, 1, 9]),
  tlv(0x40, [192, 0, 2, 7]),
  int(6),
  int(1),
  tlv(0x43, [0x12]),
];
const snmpV1Trap = tlv(0x30, int(0), tlv(0x04, text("public")), tlv(0xa4, ...trapPdu, tlv(0x30)));
const usm = tlv(0x30, tlv(0x04), int(0), int(0), tlv(0x04), tlv(0x04), tlv(0x04));
const snmpV3 = tlv(
  0x30,
  int(3),
  tlv(0x30, int(0x4321), int(0x5000), tlv(0x04, [4]), int(3)),
  tlv(0x04, usm),
  [...tlv(0x30, tlv(0x04), tlv(0x04), tlv(0xa0, int(0x1234), int(0), int(0), tlv(0x30)))],
);

const syslog5424 = bytes(
  "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8",
);
const syslog3164 = bytes("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!");

// SMB2 NEGOTIATE (MS-SMB2 §2.2.3): a 64-byte header, then the request with two dialects.
const smb2Header = [0xfe, ...text("SMB"), 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, ...new Array(48).fill(0)];
const smb2NegotiateBody = [
  36,
  0,
  2,
  0,
  1,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  ...junk(16, 22),
  ...new Array(8).fill(0),
  2,
  2,
  0x10,
  2,
];
const smb2Negotiate = cat(
  [0],
  be24(smb2Header.length + smb2NegotiateBody.length),
  smb2Header,
  smb2NegotiateBody,
);
// SMB1 NEGOTIATE (MS-CIFS §2.2.4.52): a 32-byte header, no words, one dialect.
const smb1Header = [
  0xff,
  ...text("SMB"),
  0x72,
  0,
  0,
  0,
  0,
  0x18,
  0x53,
  0xc8,
  ...new Array(12).fill(0),
  0,
  0,
  0xfe,
  0xff,
];
const smb1Body = [0, 0, 0, 0, 0, ...le16(12), 2, ...text("NT LM 0.12"), 0];
const smb1Negotiate = cat([0], be24(smb1Header.length + smb1Body.length), smb1Header, smb1Body);
const nbSessionRequest = cat([0x81, 0, ...be16(68)], nbName("FILESRV", 0x20), nbName("CLIENT", 0));
const nbSessionOk = cat([0x82, 0, 0, 0]);

/** A TPKT holding an X.224 Connection Request (class 0) with `variable` after its fixed part. */
const x224Request = (...variable: Bytes[]) => {
  const rest = cat(...variable);
  return cat([3, 0, ...be16(11 + rest.length), 6 + rest.length, 0xe0, 0, 0, 0, 0, 0], rest);
};
const rdpCookie = x224Request(text("Cookie: mstshash=eltons\r\n"), [1, 0, 8, 0, 3, 0, 0, 0]);
const rdpNegOnly = x224Request([1, 0, 8, 0, 0x0b, 0, 0, 0]);
const rdpBare = x224Request();
const rdpConfirm = cat([3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x1f, 8, 0, 2, 0, 0, 0]);

const rfb = bytes("RFB 003.008\n");
const ssh2 = bytes("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n");
const ssh199 = bytes("SSH-1.99-Cisco-1.25\r\n");

// PRELOGIN (MS-TDS §2.2.6.5): VERSION, ENCRYPTION, INSTOPT, THREADID, MARS, the terminator, their data.
const preloginData = [
  ...[0, 0, 26, 0, 6, 1, 0, 32, 0, 1, 2, 0, 33, 0, 1, 3, 0, 34, 0, 4, 4, 0, 38, 0, 1, 0xff],
  ...[0x0f, 0, 0x07, 0xd0, 0, 0, 2, 0, 0, 0, 0x12, 0x34, 0],
];
const tdsPrelogin = cat([0x12, 0x01, ...be16(8 + preloginData.length), 0, 0, 1, 0], preloginData);
const batchText = Array.from("select 1", (c) => [c.charCodeAt(0), 0]).flat();
const allHeaders = [22, 0, 0, 0, 18, 0, 0, 0, 2, 0, ...new Array(8).fill(0), 1, 0, 0, 0];
const tdsBatch = cat(
  [0x01, 0x01, ...be16(8 + allHeaders.length + batchText.length), 0, 0x37, 1, 0],
  allHeaders,
  [...batchText],
);
const tdsTwoPackets = cat(
  [0x04, 0x00, 0, 16, 0, 0x37, 1, 0],
  junk(8, 23),
  [4, 1, 0, 12, 0, 0x37, 2, 0, 0xfd, 0, 0, 0],
);

/**
 * A positive example: a name, its bytes, its transport, its ports, its App; then the STUN detail it
 * gives, the length below which no prefix may be it (default: all of it), and what it is at
 * neutral ports (default: its App; a protocol that needs its port gives something else there).
 */
type Example = [
  name: string,
  data: Uint8Array,
  transport: "udp" | "tcp",
  src: number,
  dst: number,
  app: App,
  detail?: number | null,
  minimal?: number | null,
  neutral?: App,
];

const asRequest = cat([0x6a, 0x0a, 0x30, 0x08, 0xa1, 0x03, 0x02, 0x01, 0x05, 0xa2, 0x01, 0x0a]);

// biome-ignore format: one example a line
const EXAMPLES: Example[] = [
  ["QUIC v1 Initial", quicV1Initial, "udp", 50000, 443, App.Quic, null, 24],
  ["QUIC v2 Initial", quicV2Initial, "udp", 50000, 443, App.Quic, null, 16],
  ["QUIC Version Negotiation", quicVersionNegotiation, "udp", 443, 50000, App.Quic, null, 27],
  ["QUIC draft-29 Initial", quicDraft29, "udp", 50000, 443, App.Quic, null, 16],
  ["Google QUIC Q046 (long header)", googleQuicQ046, "udp", 50000, 443, App.Quic, null, 15],
  ["Google QUIC Q043 (public header)", googleQuicQ043, "udp", 50000, 443, App.Quic, null, 14],
  ["QUIC short header at port 443", quicShort, "udp", 443, 50000, App.Quic, null, 21, App.Unidentified],
  ["Google QUIC after its handshake at port 443", googleQuicData, "udp", 50000, 443, App.Quic, null, 18, App.Unidentified],
  ["DTLS 1.2 ClientHello", dtlsClientHello, "udp", 50000, 50001, App.Dtls],
  ["DTLS 1.0 HelloVerifyRequest", dtlsHelloVerify, "udp", 50001, 50000, App.Dtls],
  ["DTLS 1.2 application data", dtlsAppData, "udp", 50001, 50000, App.Dtls],
  ["classic STUN binding request", classicRequest, "udp", 50000, 3478, App.Stun, STUN_BINDING_REQUEST],
  ["classic STUN binding response", classicResponse, "udp", 3478, 50000, App.Stun, STUN_CLASSIC],
  ["TURN ChannelData over TCP, two frames", channelDataTcp, "tcp", 50000, 443, App.Stun, STUN_CHANNEL_DATA, 16],
  ["TURN ChannelData over TCP, the second frame cut", channelDataTcpCut, "tcp", 50000, 443, App.Stun, STUN_CHANNEL_DATA, 16],
  ["Kerberos TGS-REQ in a 1,211-byte datagram", kerberosUdp, "udp", 50000, 88, App.Kerberos],
  ["MySQL server greeting", mysqlGreeting, "tcp", 3306, 50000, App.Mysql, null, 12],
  ["DNS query", dnsQuery, "udp", 50000, 53, App.Dns, null, 33, App.Unidentified],
  ["DNS response", dnsResponse, "udp", 53, 50000, App.Dns, null, 33, App.Unidentified],
  ["DNS query over TCP", dnsQueryTcp, "tcp", 50000, 53, App.Dns, null, 35, App.Unidentified],
  ["mDNS query", mdnsQuery, "udp", 5353, 5353, App.Mdns, null, null, App.Unidentified],
  ["mDNS response", mdnsResponse, "udp", 5353, 5353, App.Mdns, null, 34, App.Unidentified],
  ["LLMNR query", llmnrQuery, "udp", 50000, 5355, App.Llmnr, null, null, App.Unidentified],
  ["NTPv4 client request", ntpClient, "udp", 50000, 123, App.Ntp, null, null, App.Unidentified],
  ["NTPv3 server reply", ntpServer, "udp", 123, 123, App.Ntp, null, null, App.Unidentified],
  ["NTP mode 6 READVAR", ntpControl, "udp", 50000, 123, App.Ntp, null, null, App.Unidentified],
  ["NTP mode 7 MON_GETLIST_1", ntpPrivate, "udp", 50000, 123, App.Ntp, null, 8, App.Unidentified],
  ["SSDP M-SEARCH", ssdpSearch, "udp", 50000, 1900, App.Ssdp, null, 20, App.Unidentified],
  ["SSDP NOTIFY", ssdpNotify, "udp", 1900, 1900, App.Ssdp, null, 18, App.Unidentified],
  ["SSDP search response", ssdpOk, "udp", 1900, 50000, App.Ssdp, null, 13, App.Http],
  ["NetBIOS name query", nbnsQuery, "udp", 137, 137, App.NetbiosNs, null, null, App.Unidentified],
  ["NetBIOS node status query", nbnsStatus, "udp", 50000, 137, App.NetbiosNs, null, null, App.Unidentified],
  ["NetBIOS positive name query response", nbnsAnswer, "udp", 137, 137, App.NetbiosNs, null, 50, App.Unidentified],
  ["NetBIOS direct group datagram", nbDgm, "udp", 138, 138, App.NetbiosDgm, null, null, App.Unidentified],
  ["DHCPDISCOVER", dhcpDiscover, "udp", 68, 67, App.Dhcp, null, 240, App.Unidentified],
  ["DHCPOFFER", dhcpOffer, "udp", 67, 68, App.Dhcp, null, 240, App.Unidentified],
  ["SNMPv2c get-request", snmpV2c, "udp", 50000, 161, App.Snmp, null, null, App.Unidentified],
  ["SNMPv1 trap", snmpV1Trap, "udp", 50000, 162, App.Snmp, null, null, App.Unidentified],
  ["SNMPv3 get-request", snmpV3, "udp", 50000, 161, App.Snmp, null, null, App.Unidentified],
  ["syslog (RFC 5424)", syslog5424, "udp", 50000, 514, App.Syslog, null, 5, App.Unidentified],
  ["syslog (RFC 3164)", syslog3164, "udp", 514, 514, App.Syslog, null, 5, App.Unidentified],
  ["SMB2 NEGOTIATE (direct TCP)", smb2Negotiate, "tcp", 50000, 445, App.Smb, null, 8],
  ["SMB1 NEGOTIATE over NetBIOS", smb1Negotiate, "tcp", 50000, 139, App.Smb, null, 8],
  ["NetBIOS session request", nbSessionRequest, "tcp", 50000, 139, App.Smb, null, null, App.RtpCandidate],
  ["NetBIOS positive session response", nbSessionOk, "tcp", 139, 50000, App.Smb, null, null, App.Unidentified],
  ["RDP Connection Request with a cookie", rdpCookie, "tcp", 50000, 3389, App.Rdp],
  ["RDP Connection Request with RDP_NEG_REQ, port 443", rdpNegOnly, "tcp", 50000, 443, App.Rdp],
  ["X.224 Connection Request at port 3389", rdpBare, "tcp", 50000, 3389, App.Rdp, null, null, App.Unidentified],
  ["RDP Connection Confirm with RDP_NEG_RSP", rdpConfirm, "tcp", 3389, 50000, App.Rdp],
  ["RFB ProtocolVersion", rfb, "tcp", 5900, 50000, App.Rfb],
  ["SSH-2.0 banner", ssh2, "tcp", 50000, 22, App.Ssh, null, 9],
  ["SSH-1.99 banner", ssh199, "tcp", 22, 50000, App.Ssh, null, 10],
  ["TDS PRELOGIN away from port 1433", tdsPrelogin, "tcp", 50000, 50001, App.Tds],
  ["TDS SQL batch", tdsBatch, "tcp", 50000, 1433, App.Tds, null, null, App.Unidentified],
  ["two TDS tabular result packets", tdsTwoPackets, "tcp", 1433, 50000, App.Tds, null, 16, App.Unidentified],
  // The protocols identify knew before, for the confusion matrix.
  ["TLS ClientHello", tlsClientHello("x.test"), "tcp", 50000, 443, App.Tls, null, 5],
  ["ClientHello in SSL 2.0 format (SChannel, Windows XP/2003)", ssl2ClientHello(), "tcp", 50000, 443, App.Tls, null, 48],
  ["SIP REGISTER", bytes("REGISTER sip:contoso.test SIP/2.0\r\n"), "udp", 5060, 5060, App.Sip, null, 13],
  ["HTTP GET", bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "tcp", 50000, 80, App.Http, null, 13],
  ["STUN binding request", stunBinding(false, 1), "udp", 50000, 3478, App.Stun, STUN_BINDING_REQUEST],
  ["MS-TURN allocate", msTurnAllocate(5), "tcp", 50000, 443, App.Stun, STUN_MS_TURN],
  ["TURN ChannelData over UDP", turnChannelData(0x4001, rtp(1, 0, 9)), "udp", 50000, 3478, App.Stun, STUN_CHANNEL_DATA],
  ["RTCP receiver report", rtcpReceiverReport(7), "udp", 50001, 50003, App.Rtcp],
  ["DCE/RPC bind", cat([5, 0, 11, 3, 0x10, 0, 0, 0, 72, 0, 0, 0, 1, 0, 0, 0], new Array(56).fill(0)), "tcp", 50000, 135, App.DceRpc, null, 16],
  ["Kerberos AS-REQ over UDP", asRequest, "udp", 50000, 88, App.Kerberos],
  ["Kerberos AS-REQ over TCP", cat([0, 0, 0, asRequest.length], asRequest), "tcp", 50000, 88, App.Kerberos, null, 8],
  ["LDAP bindRequest", cat([0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00]), "tcp", 50000, 389, App.Ldap, null, 7],
];

const NAME_OF: Record<number, string> = Object.fromEntries(Object.entries(App).map(([k, v]) => [v, k]));

/** `data` with byte `at` set to `value`. */
const poke = (data: Uint8Array, at: number, value: number) => {
  const copy = Uint8Array.from(data);
  copy[at] = value;
  return copy;
};

describe("the other protocols: positives and near misses", () => {
  for (const [name, data, transport, src, dst, app, detail] of EXAMPLES) {
    it(`${name} is ${NAME_OF[app]}`, () => {
      expect(NAME_OF[id(data, transport === "tcp", src, dst)]).toBe(NAME_OF[app]);
      if (detail !== undefined && detail !== null) expect(found.detail).toBe(detail);
    });
  }

  // 0x81, a session request's first byte, starts an RTP header too: only a candidate, which over
  // TCP the caller does not take.
  const misses: [string, Uint8Array, boolean, number, number, App][] = [
    ["QUIC with version 2 (0x00000002)", poke(quicV1Initial, 4, 2), false, 50000, 443, App.Unidentified],
    ["QUIC with a 21-byte DCID", poke(quicV1Initial, 5, 21), false, 50000, 443, App.Unidentified],
    ["QUIC Initial over TCP", quicV1Initial, true, 50000, 443, App.Unidentified],
    [
      "QUIC Version Negotiation with a cut version",
      quicVersionNegotiation.subarray(0, 34),
      false,
      443,
      50000,
      App.Unidentified,
    ],
    ["Google QUIC with version Q1xx", poke(googleQuicQ043, 10, 0x31), false, 50000, 443, App.Unidentified],
    [
      "Google QUIC public header with the reset bit",
      poke(googleQuicQ043, 0, 0x0b),
      false,
      50000,
      443,
      App.Unidentified,
    ],
    ["QUIC short header away from port 443", quicShort, false, 8443, 50000, App.Unidentified],
    // Not TLS: a first byte with the top bits 10 leaves an RTP candidate, which three packets must confirm.
    [
      "SSL 2.0 ClientHello with an 8-byte session id",
      poke(ssl2ClientHello(), 8, 8),
      true,
      50000,
      443,
      App.RtpCandidate,
    ],
    [
      "SSL 2.0 ClientHello with an 8-byte challenge",
      poke(ssl2ClientHello(), 10, 8),
      true,
      50000,
      443,
      App.RtpCandidate,
    ],
    [
      "SSL 2.0 ClientHello offering version 3.4",
      poke(ssl2ClientHello(), 4, 4),
      true,
      50000,
      443,
      App.RtpCandidate,
    ],
    [
      "SSL 2.0 ClientHello with a cipher spec list of 20 bytes",
      poke(ssl2ClientHello(), 6, 20),
      true,
      50000,
      443,
      App.RtpCandidate,
    ],
    ["SSL 2.0 ServerHello (type 4)", poke(ssl2ClientHello(), 2, 4), true, 443, 50000, App.RtpCandidate],
    ["Google QUIC data header away from port 443", googleQuicData, false, 50000, 8443, App.Unidentified],
    // OpenVPN over UDP 443: P_CONTROL_HARD_RESET_CLIENT_V2 (opcode 7 << 3) and P_ACK_V1 (5 << 3).
    [
      "OpenVPN hard reset (0x38) at port 443",
      poke(googleQuicData, 0, 0x38),
      false,
      50000,
      443,
      App.Unidentified,
    ],
    ["OpenVPN ACK (0x28) at port 443", poke(googleQuicData, 0, 0x28), false, 50000, 443, App.Unidentified],
    [
      "Google QUIC data header of 17 bytes",
      googleQuicData.subarray(0, 17),
      false,
      50000,
      443,
      App.Unidentified,
    ],
    [
      "Google QUIC data header without a connection id",
      poke(googleQuicData, 0, 0x04),
      false,
      50000,
      443,
      App.Unidentified,
    ],
    [
      "Google QUIC data header with the reset bit",
      poke(googleQuicData, 0, 0x0e),
      false,
      50000,
      443,
      App.Unidentified,
    ],
    [
      "Google QUIC data header with the unused 0x80 bit",
      poke(googleQuicData, 0, 0x8c),
      false,
      50000,
      443,
      App.Unidentified,
    ],
    ["QUIC short header of 20 bytes", quicShort.subarray(0, 20), false, 443, 50000, App.Unidentified],
    ["DTLS version 0xFEFE", poke(dtlsClientHello, 2, 0xfe), false, 50000, 50001, App.Unidentified],
    ["DTLS length one past the datagram", poke(dtlsAppData, 12, 41), false, 50001, 50000, App.Unidentified],
    ["DTLS handshake type 30", poke(dtlsClientHello, 13, 30), false, 50000, 50001, App.Unidentified],
    ["DTLS content type 25 (tls12_cid)", poke(dtlsAppData, 0, 25), false, 50001, 50000, App.Unidentified],
    ["DTLS over TCP", dtlsClientHello, true, 50000, 50001, App.Unidentified],
    ["classic STUN with one more byte", cat(classicRequest, 0), false, 50000, 3478, App.Unidentified],
    [
      "classic STUN whose attribute overruns",
      poke(classicRequest, 23, 8),
      false,
      50000,
      3478,
      App.Unidentified,
    ],
    ["classic STUN response without attributes", cat(1, 1, 0, 0, txid), false, 3478, 50000, App.Unidentified],
    ["classic STUN over TCP", classicRequest, true, 50000, 3478, App.Unidentified],
    [
      "ChannelData on channel 0x5001",
      turnChannelData(0x5001, rtp(1, 0, 9)),
      false,
      50000,
      3478,
      App.Unidentified,
    ],
    [
      "ChannelData with 4 bytes to spare",
      cat(turnChannelData(0x4001, rtp(1, 0, 9)), 0, 0, 0, 0),
      false,
      50000,
      3478,
      App.Unidentified,
    ],
    [
      "ChannelData over TCP then a non-channel header",
      cat(channelFrame(0x4001, junk(10)), 0x0a, 0x35, 0, 0),
      true,
      50000,
      443,
      App.Unidentified,
    ],
    ["DNS query away from port 53", dnsQuery, false, 50000, 54, App.Unidentified],
    ["DNS with opcode 3", poke(dnsQuery, 2, 0x19), false, 50000, 53, App.Unidentified],
    ["DNS with the Z bit", poke(dnsQuery, 3, 0x40), false, 50000, 53, App.Unidentified],
    ["DNS with a 64-byte label", poke(dnsQuery, 12, 64), false, 50000, 53, App.Unidentified],
    ["DNS query without a question", poke(dnsQuery, 5, 0), false, 50000, 53, App.Unidentified],
    ["DNS query with QTYPE 0", poke(poke(dnsQuery, 29, 0), 30, 0), false, 50000, 53, App.Unidentified],
    ["DNS over TCP whose length is 11", cat(0, 11, dnsQuery), true, 50000, 53, App.Unidentified],
    ["mDNS with opcode 1", poke(mdnsQuery, 2, 0x08), false, 5353, 5353, App.Unidentified],
    ["mDNS response with RCODE 3", poke(mdnsResponse, 3, 3), false, 5353, 5353, App.Unidentified],
    ["LLMNR with two questions", poke(llmnrQuery, 5, 2), false, 50000, 5355, App.Unidentified],
    ["NTP version 5", poke(ntpClient, 0, 0x2b), false, 50000, 123, App.Unidentified],
    ["NTP mode 3 of 47 bytes", ntpClient.subarray(0, 47), false, 50000, 123, App.Unidentified],
    ["NTP mode 0", poke(ntpClient, 0, 0x20), false, 50000, 123, App.Unidentified],
    ["NTP away from port 123", ntpClient, false, 50000, 124, App.Unidentified],
    ["NTP mode 6 whose count overruns", poke(ntpControl, 11, 1), false, 50000, 123, App.Unidentified],
    ["M-SEARCH away from port 1900", ssdpSearch, false, 50000, 1901, App.Unidentified],
    ["M-SEARCH with HTTP/1.0", bytes("M-SEARCH * HTTP/1.0\r\n\r\n"), false, 50000, 1900, App.Unidentified],
    ["an SSDP-like 200 away from 1900 is HTTP", ssdpOk, false, 8080, 50000, App.Http],
    ["NetBIOS name with a 'Q'", poke(nbnsQuery, 13, 0x51), false, 137, 137, App.Unidentified],
    ["NetBIOS query with two questions", poke(nbnsQuery, 5, 2), false, 137, 137, App.Unidentified],
    ["NetBIOS query of type A", poke(nbnsQuery, 47, 1), false, 137, 137, App.Unidentified],
    ["NetBIOS name query at port 138", nbnsQuery, false, 138, 138, App.Unidentified],
    ["NetBIOS datagram of type 0x17", poke(nbDgm, 0, 0x17), false, 138, 138, App.Unidentified],
    [
      "NetBIOS datagram one byte longer than sent",
      poke(nbDgm, 11, nbDgmData.length + 1),
      false,
      138,
      138,
      App.Unidentified,
    ],
    ["NetBIOS datagram at port 137", nbDgm, false, 137, 137, App.Unidentified],
    ["DHCP with hlen 7", poke(dhcpDiscover, 2, 7), false, 68, 67, App.Unidentified],
    ["DHCP without the magic cookie", poke(dhcpDiscover, 236, 0x64), false, 68, 67, App.Unidentified],
    ["DHCP away from 67/68", dhcpDiscover, false, 50000, 69, App.Unidentified],
    ["SNMP version 2", poke(snmpV2c, 4, 2), false, 50000, 161, App.Unidentified],
    ["SNMP with one byte after the SEQUENCE", cat(snmpV2c, 0), false, 50000, 161, App.Unidentified],
    ["SNMP away from 161/162", snmpV2c, false, 50000, 163, App.Unidentified],
    ["syslog PRI 192", bytes("<192>Feb  5 17:32:18 host x"), false, 50000, 514, App.Unidentified],
    ["syslog PRI with a leading zero", bytes("<034>1 - - - - - -"), false, 50000, 514, App.Unidentified],
    ["syslog PRI of four digits", bytes("<1234>x"), false, 50000, 514, App.Unidentified],
    ["syslog away from 514", syslog5424, false, 50000, 515, App.Unidentified],
    ["SMB2 with 'SMC'", poke(smb2Negotiate, 7, 0x43), true, 50000, 445, App.Unidentified],
    [
      "SMB2 header that cannot fit the length",
      cat(0, 0, 0, 16, smb2Header.slice(0, 16)),
      true,
      50000,
      445,
      App.Unidentified,
    ],
    ["NetBIOS session request at port 140", nbSessionRequest, true, 50000, 140, App.RtpCandidate],
    [
      "NetBIOS session request one byte short",
      nbSessionRequest.subarray(0, 71),
      true,
      50000,
      139,
      App.RtpCandidate,
    ],
    ["TPKT version 2", poke(rdpCookie, 0, 2), true, 50000, 3389, App.Unidentified],
    ["TPKT length off by one", poke(rdpCookie, 3, rdpCookie.length + 1), true, 50000, 3389, App.Unidentified],
    ["bare X.224 Connection Request at port 3390", rdpBare, true, 50000, 3390, App.Unidentified],
    ["RDP_NEG_REQ of length 9 at port 443", poke(rdpNegOnly, 13, 9), true, 50000, 443, App.Unidentified],
    ["RFB with a letter", bytes("RFB 003.0a8\n"), true, 5900, 50000, App.Unidentified],
    ["RFB of 13 bytes", bytes("RFB 003.008\n\n"), true, 5900, 50000, App.Unidentified],
    ["SSH-2.1", bytes("SSH-2.1-x\r\n"), true, 50000, 22, App.Unidentified],
    ["SSH with an empty softwareversion", bytes("SSH-2.0--x\r\n"), true, 50000, 22, App.Unidentified],
    ["MySQL greeting with sequence id 1", poke(mysqlGreeting, 3, 1), true, 3306, 50000, App.Unidentified],
    ["MySQL greeting of protocol 11", poke(mysqlGreeting, 4, 11), true, 3306, 50000, App.Unidentified],
    [
      "MySQL greeting one byte longer than its length",
      cat(mysqlGreeting, 0),
      true,
      3306,
      50000,
      App.Unidentified,
    ],
    ["MySQL version without its NUL", poke(mysqlGreeting, 11, 0x41), true, 3306, 50000, App.Unidentified],
    ["TDS with window 1", poke(tdsBatch, 7, 1), true, 50000, 1433, App.Unidentified],
    ["TDS with status 0x02", poke(tdsBatch, 1, 2), true, 50000, 1433, App.Unidentified],
    ["TDS length off by one", poke(tdsBatch, 3, tdsBatch.length - 1), true, 50000, 1433, App.Unidentified],
    ["TDS SQL batch away from port 1433", tdsBatch, true, 50000, 1434, App.Unidentified],
    [
      "TDS PRELOGIN whose option overruns, away from 1433",
      poke(tdsPrelogin, 8 + 23, 200),
      true,
      50000,
      50001,
      App.Unidentified,
    ],
    [
      "TDS packets where the second header is bad",
      poke(tdsTwoPackets, 23, 1),
      true,
      1433,
      50000,
      App.Unidentified,
    ],
  ];
  for (const [name, data, tcp, src, dst, app] of misses) {
    it(`near miss: ${name}`, () => {
      expect(NAME_OF[id(data, tcp, src, dst)]).toBe(NAME_OF[app]);
    });
  }

  it("ChannelData no longer takes Kerberos over UDP or a MySQL greeting (regressions)", () => {
    expect(stunKind(kerberosUdp, 0, kerberosUdp.length, false)).toBe(0);
    expect(stunKind(mysqlGreeting, 0, mysqlGreeting.length, true)).toBe(0);
  });

  it("a MySQL greeting cut by the capture is still one", () => {
    expect(id(mysqlGreeting.subarray(0, 40), true, 3306, 50000)).toBe(App.Mysql);
  });

  it("APP_NAMES names every App by its value", () => {
    for (const [key, value] of Object.entries(App)) expect(APP_NAMES[value], key).toBeDefined();
    expect(APP_NAMES.slice(12)).toEqual([
      "quic",
      "dtls",
      "dns",
      "mdns",
      "llmnr",
      "ntp",
      "ssdp",
      "netbios-ns",
      "netbios-dgm",
      "dhcp",
      "snmp",
      "syslog",
      "smb",
      "rdp",
      "rfb",
      "ssh",
      "mysql",
      "tds",
    ]);
    expect(App.Tds).toBe(29);
  });

  it("no short prefix of a positive is that protocol, and every prefix stays inside its range", () => {
    // Every check is made; what fails is collected and compared once at the end
    // (an expect per prefix cost more than the identification it checks).
    const wrong: string[] = [];
    for (const [name, data, transport, src, dst, app, , minimal] of EXAMPLES) {
      const tcp = transport === "tcp";
      // The prefix between 16 fill bytes on each side: one buffer per fill, the
      // prefix grown by a byte each step, viewed as [16 fill, prefix, 16 fill].
      const padded = [0x00, 0xff].map((fill) => new Uint8Array(data.length + 32).fill(fill));
      for (let n = 0; n < data.length; n++) {
        const alone = identify(data.subarray(0, n), 0, n, tcp, src, dst, found);
        if (n < (minimal ?? data.length) && alone === app)
          wrong.push(`${name} cut at ${n} is ${APP_NAMES[app]}`);
        for (const buf of padded) {
          if (n > 0) buf[16 + n - 1] = data[n - 1]!;
          const inside = identify(buf.subarray(0, n + 32), 16, 16 + n, tcp, src, dst, found);
          if (inside !== alone)
            wrong.push(`${name} cut at ${n} between ${buf[0]} bytes: ${inside}, alone ${alone}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  /** Each recognizer with its transport and port rule, as `identify` applies it. */
  const at = (src: number, dst: number, ...ports: number[]) => ports.includes(src) || ports.includes(dst);
  const RECOGNIZERS: [App, (b: Uint8Array, tcp: boolean, src: number, dst: number) => boolean][] = [
    [App.Tls, (b, tcp) => isTlsRecord(b, 0, b.length) || (tcp && ssl2ClientHelloLength(b, 0, b.length) > 0)],
    [App.Sip, (b) => isSipRequest(b, 0, b.length) || isSipResponse(b, 0, b.length)],
    [App.Http, (b) => isHttpRequest(b, 0, b.length) || isHttpResponse(b, 0, b.length)],
    [App.Stun, (b, tcp) => stunKind(b, 0, b.length, tcp) !== 0],
    [App.Rtcp, (b) => isRtcp(b, 0, b.length)],
    [App.DceRpc, (b) => isDceRpc(b, 0, b.length)],
    [App.Kerberos, (b, tcp) => (tcp ? isKerberosTcp(b, 0, b.length) : isKerberosMessage(b, 0, b.length))],
    [App.Ldap, (b) => isLdap(b, 0, b.length)],
    [
      App.Quic,
      (b, tcp, src, dst) =>
        !tcp &&
        (isQuicLongHeader(b, 0, b.length) ||
          isGoogleQuicPublicHeader(b, 0, b.length) ||
          ((b[0] ?? 0) >> 6 === 1 && b.length >= 21 && at(src, dst, 443)) ||
          (isGoogleQuicDataHeader(b, 0, b.length) && at(src, dst, 443))),
    ],
    [App.Dtls, (b, tcp) => !tcp && isDtlsRecord(b, 0, b.length)],
    [App.Dns, (b, tcp, src, dst) => at(src, dst, 53) && isDnsMessage(b, 0, b.length, tcp, DNS_UNICAST)],
    [
      App.Mdns,
      (b, tcp, src, dst) => !tcp && at(src, dst, 5353) && isDnsMessage(b, 0, b.length, tcp, DNS_MULTICAST),
    ],
    [App.Llmnr, (b, tcp, src, dst) => at(src, dst, 5355) && isDnsMessage(b, 0, b.length, tcp, DNS_LLMNR)],
    [App.Ntp, (b, tcp, src, dst) => !tcp && at(src, dst, 123) && isNtp(b, 0, b.length)],
    [App.Ssdp, (b, tcp, src, dst) => !tcp && at(src, dst, 1900) && isSsdp(b, 0, b.length)],
    [App.NetbiosNs, (b, tcp, src, dst) => !tcp && at(src, dst, 137) && isNetbiosNs(b, 0, b.length)],
    [App.NetbiosDgm, (b, tcp, src, dst) => !tcp && at(src, dst, 138) && isNetbiosDgm(b, 0, b.length)],
    [App.Dhcp, (b, tcp, src, dst) => !tcp && at(src, dst, 67, 68) && isDhcp(b, 0, b.length)],
    [App.Snmp, (b, tcp, src, dst) => !tcp && at(src, dst, 161, 162) && isSnmp(b, 0, b.length)],
    [App.Syslog, (b, tcp, src, dst) => !tcp && at(src, dst, 514) && isSyslog(b, 0, b.length)],
    [
      App.Smb,
      (b, tcp, src, dst) =>
        tcp && (isSmbMessage(b, 0, b.length) || (at(src, dst, 139) && isNetbiosSession(b, 0, b.length))),
    ],
    [App.Rdp, (b, tcp, src, dst) => tcp && rdpKind(b, 0, b.length) >= (at(src, dst, 3389) ? 1 : 2)],
    [App.Rfb, (b, tcp) => tcp && isRfbVersion(b, 0, b.length)],
    [App.Ssh, (b, tcp) => tcp && isSshBanner(b, 0, b.length)],
    [App.Mysql, (b, tcp) => tcp && isMysqlGreeting(b, 0, b.length)],
    [App.Tds, (b, tcp, src, dst) => tcp && tdsKind(b, 0, b.length) >= (at(src, dst, 1433) ? 1 : 2)],
  ];

  it("confusion matrix: every recognizer fires on its own protocol's positives only, whatever the order", () => {
    // One overlap by design: SSDP's response is an HTTP response, which identify checks at port 1900 first.
    const overlaps = new Map<Uint8Array, App[]>([[ssdpOk, [App.Http, App.Ssdp]]]);
    expect(RECOGNIZERS.map(([app]) => app).sort((a, b) => a - b)).toEqual(
      Object.values(App).filter((a) => a > App.Unidentified && a !== App.RtpCandidate && a !== App.Rtp),
    );
    for (const [name, data, transport, src, dst, app] of EXAMPLES) {
      const fired = RECOGNIZERS.filter(([, check]) => check(data, transport === "tcp", src, dst)).map(
        ([a]) => a,
      );
      const expected = overlaps.get(data) ?? [app];
      expect(
        fired.map((a) => NAME_OF[a]),
        name,
      ).toEqual(expected.map((a) => NAME_OF[a]));
      expect(NAME_OF[id(data, transport === "tcp", src, dst)], name).toBe(NAME_OF[app]);
    }
  });

  it("at neutral ports, a signature that needs no port still names its protocol, and one that does names nothing", () => {
    for (const [name, data, transport, , , app, , , neutral] of EXAMPLES) {
      expect(NAME_OF[id(data, transport === "tcp", 40000, 40001)], name).toBe(NAME_OF[neutral ?? app]);
    }
  });
});

describe("identify on arbitrary input (properties)", () => {
  const PORTS = [
    22, 53, 67, 68, 88, 123, 137, 138, 139, 161, 162, 443, 445, 514, 1433, 1900, 3306, 3389, 5353, 5355,
  ];
  const port = fc.oneof(fc.constantFrom(...PORTS), fc.integer({ min: 0, max: 65535 }));
  /** Arbitrary bytes, or a positive example with a few bytes changed and maybe cut. */
  const payload = fc.oneof(
    fc.uint8Array({ maxLength: 400 }),
    fc
      .tuple(
        fc.constantFrom(...EXAMPLES.map(([, data]) => data)),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
      )
      .map(([example, edits, cut]) => {
        const data = Uint8Array.from(example);
        for (const [at, value] of edits) data[at % data.length] = value;
        return cut === undefined ? data : data.subarray(0, cut % (data.length + 1));
      }),
  );
  const snapshot = (off: number) => ({
    detail: found.detail,
    sni: found.sniOffset < 0 ? -1 : found.sniOffset - off,
    sniLength: found.sniLength,
    ssrc: found.rtpSsrc,
    seq: found.rtpSeq,
  });

  it("never throws, on any bytes, offsets and ports", () => {
    fc.assert(
      fc.property(
        payload,
        fc.nat(400),
        fc.nat(400),
        fc.boolean(),
        port,
        port,
        (data, a, b, tcp, src, dst) => {
          const off = Math.min(a, data.length);
          const end = Math.min(data.length, off + b);
          expect(() => identify(data, off, end, tcp, src, dst, found)).not.toThrow();
          expect(() => identify(data, end, off, tcp, src, dst, found)).not.toThrow();
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("depends only on the bytes in [off, end): other bytes around them change nothing", () => {
    fc.assert(
      fc.property(
        payload,
        fc.uint8Array({ minLength: 1, maxLength: 24 }),
        fc.uint8Array({ minLength: 1, maxLength: 24 }),
        fc.uint8Array({ minLength: 1, maxLength: 24 }),
        fc.uint8Array({ minLength: 1, maxLength: 24 }),
        fc.boolean(),
        port,
        port,
        (data, before1, after1, before2, after2, tcp, src, dst) => {
          const alone = identify(data, 0, data.length, tcp, src, dst, found);
          const ref = snapshot(0);
          for (const [before, after] of [
            [before1, after1],
            [before2, after2],
          ] as const) {
            const padded = cat(before, data, after);
            expect(identify(padded, before.length, before.length + data.length, tcp, src, dst, found)).toBe(
              alone,
            );
            expect(snapshot(before.length)).toEqual(ref);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe("server name text (serverNameText)", () => {
  // The definition the decoders had before the text was built in one piece: a character a byte,
  // or with every byte outside a host name's alphabet (RFC 6066 §3) escaped as \xNN.
  const reference = (b: Uint8Array, escaped: boolean): string =>
    [...b]
      .map((c) =>
        !escaped || /[0-9A-Za-z._-]/.test(String.fromCharCode(c))
          ? String.fromCharCode(c)
          : `\\x${c.toString(16).padStart(2, "0")}`,
      )
      .join("");

  it("equals the byte-by-byte text, raw and escaped, for any bytes and lengths past one chunk", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 8190, maxLength: 17000 })),
        fc.nat(8),
        (bytes, pad) => {
          const b = new Uint8Array(pad + bytes.length + 3);
          b.set(bytes, pad);
          expect(serverNameText(b, pad, bytes.length, false)).toBe(reference(bytes, false));
          expect(serverNameText(b, pad, bytes.length, true)).toBe(reference(bytes, true));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reads the name a real ClientHello carries, with or without escaping", async () => {
    const hello = await realPayload("recorded/ocs-real.pcap", 5061);
    expect(tlsServerName(hello, 0, hello.length)).toBe("fe.contoso.test");
    const escaped = new TextEncoder().encode("a\u0001é.b");
    expect(serverNameText(escaped, 0, escaped.length, true)).toBe("a\\x01\\xc3\\xa9.b");
    expect(serverNameText(escaped, 0, escaped.length, false)).toBe("a\u0001\u00c3\u00a9.b");
    // The name just made is given again, and a name of the same length that differs is not.
    const enc = new TextEncoder();
    for (const n of [
      "pool.contoso.test",
      "pool.contoso.test",
      "pool.contoso.tesu",
      "Pool.contoso.test",
      "pool.contoso.test",
    ]) {
      const b = enc.encode(`..${n}`);
      expect(serverNameText(b, 2, n.length, false)).toBe(n);
      expect(serverNameText(b, 2, n.length, true)).toBe(n);
    }
  });
});
