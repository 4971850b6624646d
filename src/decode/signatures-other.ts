/**
 * The recognizers `identify` (signatures.ts) uses to name protocols that are
 * not part of OCS itself: the DNS family, NTP, SSDP, NetBIOS, DHCP, SNMP,
 * syslog, SMB, RDP, RFB, SSH, MySQL and TDS (QUIC and DTLS are in
 * signatures-quic.ts). Each is a yes/no
 * test of the bytes `[off, end)` written from its specification (the rules
 * and citations are listed at the top of signatures.ts): no allocation, no
 * throwing, no reading outside the range. Port rules are `identify`'s job.
 */
import { u16, u32 } from "./bytes.js";

export {
  isDtlsRecord,
  isGoogleQuicDataHeader,
  isGoogleQuicPublicHeader,
  isQuicLongHeader,
} from "./signatures-quic.js";

const ascii = (s: string): readonly number[] => Array.from(s, (c) => c.charCodeAt(0));

function hasPrefix(buf: Uint8Array, off: number, end: number, word: readonly number[]): boolean {
  if (end - off < word.length) return false;
  for (let i = 0; i < word.length; i++) if (buf[off + i] !== word[i]) return false;
  return true;
}

const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
const u24 = (buf: Uint8Array, at: number) => (buf[at]! << 16) | u16(buf, at + 1);

// --- DNS, mDNS, LLMNR, NetBIOS name service -------------------------------------

export const DNS_UNICAST = 0;
export const DNS_MULTICAST = 1;
export const DNS_LLMNR = 2;

/** The end of a domain name at `p` (RFC 1035 §4.1.4), or -1; a pointer must point back into `[msg + 12, p)`. */
export function nameEnd(buf: Uint8Array, msg: number, p: number, end: number): number {
  let total = 0;
  while (p < end) {
    const l = buf[p]!;
    if (l === 0) return p + 1;
    if (l >= 0xc0) {
      if (p + 2 > end) return -1;
      const target = msg + (((l & 0x3f) << 8) | buf[p + 1]!);
      return target >= msg + 12 && target < p ? p + 2 : -1;
    }
    total += l + 1;
    if (l > 63 || total > 255) return -1;
    p += l + 1;
  }
  return -1;
}

const isQclass = (c: number) => c === 1 || c === 3 || c === 4 || c === 254 || c === 255;

/**
 * A DNS message (RFC 1035 §4.1.1): opcode 0–2 or 4–6 with Z clear (RFC 6762
 * §18 and RFC 4795 §2.1.1: opcode 0 for mDNS and LLMNR, whose Z bits are
 * clear too); at most 256 records; a query asks at least one question
 * (LLMNR: exactly one); the first question, or else the first record, has a
 * name that parses and its fixed fields in the message. Over TCP a 2-byte
 * length comes first (RFC 1035 §4.2.2).
 */
export function isDnsMessage(buf: Uint8Array, off: number, end: number, tcp: boolean, kind: number): boolean {
  let msg = off;
  if (tcp) {
    if (end - off < 2) return false;
    const len = u16(buf, off);
    msg = off + 2;
    if (len < 12) return false;
    end = Math.min(end, msg + len);
  }
  if (end - msg < 12) return false;
  const flags = u16(buf, msg + 2);
  const response = flags >> 15 === 1;
  const opcode = (flags >> 11) & 15;
  const rcode = flags & 15;
  if (kind === DNS_UNICAST) {
    if (opcode > 6 || opcode === 3 || flags & 0x40 || rcode > 11 || (!response && rcode !== 0)) return false;
  } else if (kind === DNS_MULTICAST) {
    if (opcode !== 0 || flags & 0x40 || rcode !== 0) return false;
  } else if (opcode !== 0 || flags & 0xf0 || (!response && rcode !== 0)) {
    return false;
  }
  const qd = u16(buf, msg + 4);
  const rr = u16(buf, msg + 6) + u16(buf, msg + 8) + u16(buf, msg + 10);
  if (qd + rr > 256) return false;
  // DNS Stateful Operations (RFC 8490 §5.4): no records, then a TLV.
  if (opcode === 6) return qd + rr === 0 && end - msg >= 16;
  if (kind === DNS_LLMNR ? qd !== 1 : (!response && qd === 0) || qd + rr === 0) return false;
  const p = nameEnd(buf, msg, msg + 12, end);
  if (p < 0) return false;
  if (qd === 0) return p + 10 <= end && u16(buf, p) !== 0;
  return (
    p + 4 <= end &&
    u16(buf, p) !== 0 &&
    isQclass(u16(buf, p + 2) & (kind === DNS_MULTICAST ? 0x7fff : 0xffff))
  );
}

/** A NetBIOS name (RFC 1002 §4.1): 0x20, 32 letters 'A'–'P', scope labels, 0. Returns its end or -1. */
function netbiosNameEnd(buf: Uint8Array, p: number, end: number): number {
  if (end - p < 34 || buf[p] !== 0x20) return -1;
  for (let i = 1; i <= 32; i++) {
    const c = buf[p + i]!;
    if (c < 0x41 || c > 0x50) return -1;
  }
  let q = p + 33;
  while (q < end) {
    const l = buf[q]!;
    if (l === 0) return q + 1 - p <= 255 ? q + 1 : -1;
    if (l > 63) return -1;
    q += l + 1;
  }
  return -1;
}

/**
 * A NetBIOS name service packet (RFC 1002 §4.2.1): a DNS-like header with
 * opcode query, registration, release, WACK, refresh (8, 9) or multi-homed
 * registration (15), the two zero NM_FLAGS bits clear, each count 0 or 1 (a
 * request asks one question; a response answers); an encoded NetBIOS name;
 * type NB or NBSTAT, class IN.
 */
export function isNetbiosNs(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 12) return false;
  const flags = u16(buf, off + 2);
  const opcode = (flags >> 11) & 15;
  if ((opcode > 0 && opcode < 5) || (opcode > 9 && opcode !== 15) || flags & 0x60) return false;
  const qd = u16(buf, off + 4);
  const an = u16(buf, off + 6);
  const ns = u16(buf, off + 8);
  const ar = u16(buf, off + 10);
  if (qd > 1 || an > 1 || ns > 1 || ar > 1) return false;
  if (flags >> 15 === 0 ? qd !== 1 : qd !== 0 || an + ns === 0) return false;
  const p = netbiosNameEnd(buf, off + 12, end);
  if (p < 0 || p + 4 > end) return false;
  const type = u16(buf, p);
  return (type === 0x20 || type === 0x21) && u16(buf, p + 2) === 1;
}

/**
 * A NetBIOS datagram (RFC 1002 §4.4): type 0x10–0x16, the flags' top four
 * bits clear, a source port; a data datagram (0x10–0x12) has a length that
 * fits and starts with the source name; an error (0x13) has its code; a
 * query (0x14–0x16) a destination name.
 */
export function isNetbiosDgm(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 11) return false;
  const type = buf[off]!;
  if (type < 0x10 || type > 0x16 || buf[off + 1]! & 0xf0 || u16(buf, off + 8) === 0) return false;
  if (type === 0x13) return end - off === 11 && buf[off + 10]! >= 0x82 && buf[off + 10]! <= 0x84;
  if (type > 0x13) return netbiosNameEnd(buf, off + 10, end) > 0;
  if (end - off < 14) return false;
  const len = u16(buf, off + 10);
  return len >= 68 && off + 14 + len <= end && netbiosNameEnd(buf, off + 14, end) > 0;
}

// --- NTP, SSDP, DHCP, SNMP, syslog ----------------------------------------------

/**
 * NTP (RFC 5905 §7.3): version 1–4, mode 1–7. Modes 1–5: 48 bytes or more
 * and a stratum up to 16. Mode 6 (RFC 9327 §2): a 12-byte header, an
 * opcode, a data count that fits. Mode 7 (ntpd's private mode, no RFC): an
 * 8-byte header, implementation 0, 2 or 3, items that fit.
 */
export function isNtp(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 8) return false;
  const b0 = buf[off]!;
  const version = (b0 >> 3) & 7;
  const mode = b0 & 7;
  if (version < 1 || version > 4 || mode === 0) return false;
  if (mode === 6) {
    return end - off >= 12 && (buf[off + 1]! & 0x1f) !== 0 && off + 12 + u16(buf, off + 10) <= end;
  }
  if (mode === 7) {
    const impl = buf[off + 2]!;
    const items = u16(buf, off + 4) & 0xfff;
    const size = u16(buf, off + 6);
    return (impl === 0 || impl === 2 || impl === 3) && size >> 12 === 0 && off + 8 + items * size <= end;
  }
  return end - off >= 48 && buf[off + 1]! <= 16;
}

const SSDP_LINES = ["M-SEARCH * HTTP/1.1", "NOTIFY * HTTP/1.1"].map(ascii);
const SSDP_OK = ascii("HTTP/1.1 200 ");

/** SSDP (UPnP Device Architecture 1.1 §1.1–1.3): an M-SEARCH or NOTIFY request line, or a 200 response. */
export function isSsdp(buf: Uint8Array, off: number, end: number): boolean {
  for (const line of SSDP_LINES) {
    if (hasPrefix(buf, off, end, line) && off + line.length < end) {
      const c = buf[off + line.length];
      return c === 0x0d || c === 0x0a;
    }
  }
  return hasPrefix(buf, off, end, SSDP_OK);
}

/** DHCP/BOOTP (RFC 2131 §2, RFC 951 §3): op 1 or 2, Ethernet (htype 1, hlen 6), the magic cookie at 236. */
export function isDhcp(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 240) return false;
  const op = buf[off]!;
  return (
    (op === 1 || op === 2) && buf[off + 1] === 1 && buf[off + 2] === 6 && u32(buf, off + 236) === 0x63825363
  );
}

/**
 * SNMP (RFC 1157 §4, RFC 3416 §3, RFC 3412 §6): a SEQUENCE filling the
 * datagram, version INTEGER 0, 1 or 3, then a community OCTET STRING (v1,
 * v2c) or the header SEQUENCE (v3).
 */
export function isSnmp(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 7 || buf[off] !== 0x30) return false;
  const l = buf[off + 1]!;
  let len = l;
  let p = off + 2;
  if (l >= 0x80) {
    const n = l & 0x7f;
    if (n < 1 || n > 3 || p + n > end) return false;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len !== end || p + 4 > end || buf[p] !== 2 || buf[p + 1] !== 1) return false;
  const version = buf[p + 2]!;
  if (version === 3) return buf[p + 3] === 0x30;
  return (version === 0 || version === 1) && buf[p + 3] === 0x04;
}

/** Syslog (RFC 5424 §6.2.1, RFC 3164 §4.1.1): "<", a PRI of 1–3 digits up to 191 without a leading zero, ">", more. */
export function isSyslog(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 4 || buf[off] !== 0x3c) return false;
  let p = off + 1;
  let pri = 0;
  while (p < end && p <= off + 3 && isDigit(buf[p])) pri = pri * 10 + buf[p++]! - 0x30;
  const digits = p - off - 1;
  if (digits === 0 || (digits > 1 && buf[off + 1] === 0x30)) return false;
  return pri <= 191 && p + 1 < end && buf[p] === 0x3e;
}

// --- SMB, RDP, RFB, SSH, MySQL, TDS -----------------------------------------------

/**
 * SMB over TCP (MS-SMB2 §2.1, RFC 1002 §4.3.1): a session message (type 0,
 * a 24-bit length; NetBIOS's 17-bit one is its subset) holding SMB1 (0xFF),
 * SMB2 (0xFE), a transform (0xFD) or a compression transform (0xFC) header.
 */
export function isSmbMessage(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 8 || buf[off] !== 0) return false;
  const id = buf[off + 4]!;
  if (id < 0xfc || buf[off + 5] !== 0x53 || buf[off + 6] !== 0x4d || buf[off + 7] !== 0x42) return false;
  const min = id === 0xff ? 32 : id === 0xfe ? 64 : id === 0xfd ? 52 : 16;
  return u24(buf, off + 1) >= min;
}

/**
 * A NetBIOS session request (0x81: called and calling names, RFC 1002
 * §4.3.2) or positive response (0x82, empty, §4.3.3), alone in the segment.
 */
export function isNetbiosSession(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 4 || buf[off + 1] !== 0) return false;
  const type = buf[off]!;
  const len = u16(buf, off + 2);
  if (type === 0x82) return len === 0 && end - off === 4;
  if (type !== 0x81 || off + 4 + len !== end) return false;
  const called = netbiosNameEnd(buf, off + 4, end);
  return called > 0 && netbiosNameEnd(buf, called, end) === end;
}

const RDP_COOKIE = ascii("Cookie: mstshash=");
const COOKIE = ascii("Cookie: ");

/** An RDP_NEG_REQ (type 1) or, with `response`, RDP_NEG_RSP/FAILURE (2, 3): length 8, little-endian. */
function isRdpNeg(buf: Uint8Array, p: number, end: number, response: boolean): boolean {
  if (p + 8 > end || buf[p + 2] !== 8 || buf[p + 3] !== 0) return false;
  const t = buf[p]!;
  return response ? t === 2 || t === 3 : t === 1;
}

/**
 * RDP's first PDUs (MS-RDPBCGR §2.2.1.1, §2.2.1.2): a TPKT (RFC 1006 §6:
 * version 3, reserved 0, the segment's length, at least 11) with an X.224
 * Connection Request (0xE0, DST-REF 0) or Confirm (0xD0), class 0, whose
 * length indicator fits. 0: not; 1: such a TPDU; 2: one that also carries
 * a "Cookie: mstshash=" or an RDP negotiation structure.
 */
export function rdpKind(buf: Uint8Array, off: number, end: number): number {
  if (end - off < 11 || buf[off] !== 3 || buf[off + 1] !== 0 || u16(buf, off + 2) !== end - off) return 0;
  const li = buf[off + 4]!;
  const code = buf[off + 5]!;
  if (li < 6 || off + 5 + li > end || buf[off + 10]! >> 4 !== 0) return 0;
  const p = off + 11;
  if (code === 0xd0) return isRdpNeg(buf, p, end, true) && p + 8 === end ? 2 : 1;
  if (code !== 0xe0 || u16(buf, off + 6) !== 0) return 0;
  if (hasPrefix(buf, p, end, RDP_COOKIE)) return 2;
  let q = p;
  if (hasPrefix(buf, p, end, COOKIE)) {
    // A routing token line: the negotiation request follows its CR LF.
    while (q + 1 < end && !(buf[q] === 0x0d && buf[q + 1] === 0x0a)) q++;
    q += 2;
  }
  return isRdpNeg(buf, q, end, false) ? 2 : 1;
}

const RFB = ascii("RFB ");
const RFB_DIGITS = [4, 5, 6, 8, 9, 10];

/** An RFB ProtocolVersion (RFC 6143 §7.1.1): exactly "RFB xxx.yyy\n", digits. */
export function isRfbVersion(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off !== 12 || !hasPrefix(buf, off, end, RFB) || buf[off + 7] !== 0x2e || buf[off + 11] !== 0x0a) {
    return false;
  }
  for (const i of RFB_DIGITS) if (!isDigit(buf[off + i])) return false;
  return true;
}

const SSH_VERSIONS = ["SSH-2.0-", "SSH-1.99-", "SSH-1.5-"].map(ascii);

/** An SSH identification string (RFC 4253 §4.2; §5.1 for 1.99): "SSH-protoversion-" then a softwareversion character. */
export function isSshBanner(buf: Uint8Array, off: number, end: number): boolean {
  for (const v of SSH_VERSIONS) {
    if (!hasPrefix(buf, off, end, v) || off + v.length >= end) continue;
    const c = buf[off + v.length]!;
    return c > 0x20 && c < 0x7f && c !== 0x2d;
  }
  return false;
}

/**
 * A MySQL server greeting (Protocol::HandshakeV10, and V9): a 3-byte
 * little-endian length covering the segment (or more, if cut), sequence id
 * 0, protocol 10 or 9, a NUL-terminated printable version of 1–64
 * characters, a length (up to 1 KiB) with room for the fields after it,
 * V10's filler 0.
 */
export function isMysqlGreeting(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 7) return false;
  const len = buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16);
  const proto = buf[off + 4]!;
  if (buf[off + 3] !== 0 || len + 4 < end - off || len > 1024 || (proto !== 10 && proto !== 9)) return false;
  let p = off + 5;
  const limit = Math.min(end, off + 5 + 65);
  while (p < limit && buf[p]! >= 0x20 && buf[p]! < 0x7f) p++;
  const versionLen = p - off - 5;
  if (versionLen < 1 || versionLen > 64 || p >= end || buf[p] !== 0) return false;
  // V10: connection id (4), auth data (8), filler (1), capabilities (2). V9: connection id, scramble.
  if (len < 1 + versionLen + 1 + (proto === 10 ? 15 : 5)) return false;
  return proto === 9 || p + 13 >= end || buf[p + 13] === 0;
}

/** A TDS packet header (MS-TDS §2.2.3.1) at `p`; returns its length, or -1. */
function tdsHeader(buf: Uint8Array, p: number, end: number): number {
  if (end - p < 8) return -1;
  const type = buf[p]!;
  const status = buf[p + 1]!;
  if (type !== 0x12 && type !== 0x10 && type !== 0x04 && type !== 0x01) return -1;
  if ((status & 0xf6) !== 0 || buf[p + 7] !== 0) return -1;
  const len = u16(buf, p + 2);
  return len >= 8 && len <= 32768 ? len : -1;
}

/**
 * TDS (MS-TDS §2.2.3.1): a PRELOGIN, LOGIN7, tabular result or SQL batch
 * header, status EOM/RESETCONNECTION bits only, window 0, a length equal
 * to the segment or landing on another header. 0: not; 1: TDS; 2: TDS
 * whose PRELOGIN option table (§2.2.6.5) parses: VERSION first, tokens 0–7,
 * the 0xFF terminator, each option's data inside the packet.
 */
export function tdsKind(buf: Uint8Array, off: number, end: number): number {
  const len = tdsHeader(buf, off, end);
  if (len < 0 || off + len > end || (off + len < end && tdsHeader(buf, off + len, end) < 0)) return 0;
  const type = buf[off]!;
  if (type !== 0x12 && type !== 0x04) return 1;
  const data = off + 8;
  const size = len - 8;
  if (size < 6 || buf[data] !== 0 || u16(buf, data + 3) !== 6) return 1;
  for (let p = data; p < data + size && p < data + 5 * 16; p += 5) {
    const token = buf[p]!;
    if (token === 0xff) {
      const table = p + 1 - data;
      for (let q = data; q < p; q += 5) {
        if (u16(buf, q + 1) < table || u16(buf, q + 1) + u16(buf, q + 3) > size) return 1;
      }
      return 2;
    }
    if (token > 7 || p + 5 > data + size) return 1;
  }
  return 1;
}
