/**
 * Recognizers for the plain-text and Windows protocols the OCS catalog
 * names: SIP and HTTP request and status lines, DCE/RPC, Kerberos and LDAP.
 * Pure functions of the bytes `[off, end)` (see signatures.ts for the rules).
 */
import { u16, u32 } from "./bytes.js";

// --- SIP and HTTP ---------------------------------------------------------------

const SIP_METHODS = [
  "INVITE",
  "REGISTER",
  "OPTIONS",
  "SUBSCRIBE",
  "NOTIFY",
  "MESSAGE",
  "SERVICE",
  "BYE",
  "CANCEL",
  "ACK",
  "INFO",
  "PRACK",
  "UPDATE",
  "REFER",
  "PUBLISH",
  "BENOTIFY",
  "NEGOTIATE",
].map((m) => Array.from(m, (c) => c.charCodeAt(0)));

const HTTP_METHODS = [
  "GET",
  "POST",
  "HEAD",
  "PUT",
  "DELETE",
  "OPTIONS",
  "CONNECT",
  "PATCH",
  "TRACE",
  "RPC_IN_DATA",
  "RPC_OUT_DATA",
].map((m) => Array.from(m, (c) => c.charCodeAt(0)));

function startsWith(buf: Uint8Array, off: number, end: number, word: readonly number[]): boolean {
  if (end - off < word.length) return false;
  for (let i = 0; i < word.length; i++) if (buf[off + i] !== word[i]) return false;
  return true;
}

const lower = (c: number | undefined) => (c ?? 0) | 0x20;

/**
 * A SIP request line (RFC 3261 §7.1): a known method, a space, and "sip:" or
 * "sips:" starting the Request-URI. OCS's SERVICE, BENOTIFY and NEGOTIATE count.
 */
export function isSipRequest(buf: Uint8Array, off: number, end: number): boolean {
  for (const method of SIP_METHODS) {
    if (!startsWith(buf, off, end, method) || end - off < method.length + 5) continue;
    if (buf[off + method.length] !== 0x20) continue;
    const u = off + method.length + 1;
    if (lower(buf[u]) === 0x73 && lower(buf[u + 1]) === 0x69 && lower(buf[u + 2]) === 0x70) {
      if (buf[u + 3] === 0x3a || (lower(buf[u + 3]) === 0x73 && buf[u + 4] === 0x3a)) return true;
    }
  }
  return false;
}

const SIP_VERSION = Array.from("SIP/2.0 ", (c) => c.charCodeAt(0));
const HTTP_VERSION = Array.from("HTTP/1.", (c) => c.charCodeAt(0));

const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;

/** A SIP status line: "SIP/2.0 " and a 3-digit code. */
export function isSipResponse(buf: Uint8Array, off: number, end: number): boolean {
  return (
    end - off >= 12 &&
    startsWith(buf, off, end, SIP_VERSION) &&
    isDigit(buf[off + 8]) &&
    isDigit(buf[off + 9]) &&
    isDigit(buf[off + 10])
  );
}

/** An HTTP/1.x request line: a method, a space, then a request target and " HTTP/1." within the first line. */
export function isHttpRequest(buf: Uint8Array, off: number, end: number): boolean {
  for (const method of HTTP_METHODS) {
    if (!startsWith(buf, off, end, method) || buf[off + method.length] !== 0x20) continue;
    const limit = Math.min(end, off + 4096);
    for (let p = off + method.length + 1; p + 8 <= limit; p++) {
      const c = buf[p]!;
      if (c === 0x0d || c === 0x0a) return false;
      if (c === 0x20 && startsWith(buf, p + 1, limit, HTTP_VERSION)) return true;
    }
    return false;
  }
  return false;
}

/** An HTTP/1.x status line: "HTTP/1.x " and a 3-digit code. */
export function isHttpResponse(buf: Uint8Array, off: number, end: number): boolean {
  return (
    end - off >= 12 &&
    startsWith(buf, off, end, HTTP_VERSION) &&
    isDigit(buf[off + 7]) &&
    buf[off + 8] === 0x20 &&
    isDigit(buf[off + 9]) &&
    isDigit(buf[off + 10]) &&
    isDigit(buf[off + 11])
  );
}

// --- Windows services -----------------------------------------------------------

/** A connection-oriented DCE/RPC PDU header (C706 §12.6.3.1). */
export function isDceRpc(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 16) return false;
  if (buf[off] !== 5 || buf[off + 1]! > 1 || buf[off + 2]! > 20) return false;
  const drep = buf[off + 4]!;
  if ((drep & 0xe0) !== 0 || buf[off + 6] !== 0 || buf[off + 7] !== 0) return false;
  const le = (drep & 0x10) !== 0;
  const fragLen = le ? buf[off + 8]! | (buf[off + 9]! << 8) : u16(buf, off + 8);
  return fragLen >= 16 && fragLen <= 65535;
}

const KERBEROS_TAGS = new Set([0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x74, 0x75, 0x76, 0x7e]);

/**
 * A Kerberos message: an ASN.1 application tag of AS/TGS/AP/KRB-SAFE/PRIV/
 * CRED/ERROR, a BER length, and a SEQUENCE inside. With `exact`, the length
 * must cover the payload exactly (a UDP datagram carries one message).
 */
export function isKerberosMessage(buf: Uint8Array, off: number, end: number, exact = true): boolean {
  if (end - off < 4 || !KERBEROS_TAGS.has(buf[off]!)) return false;
  const l = buf[off + 1]!;
  let len: number;
  let content: number;
  if (l < 0x80) {
    len = l;
    content = off + 2;
  } else {
    const n = l & 0x7f;
    if (n < 1 || n > 3 || off + 2 + n > end) return false;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[off + 2 + i]!;
    content = off + 2 + n;
  }
  if (content >= end || buf[content] !== 0x30) return false;
  return exact ? content + len === end : len >= 2;
}

/** Kerberos over TCP: a 4-byte length (top bit clear) no shorter than what follows, then a Kerberos message. */
export function isKerberosTcp(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 8) return false;
  const len = u32(buf, off);
  if (len & 0x80000000 || len < 4 || len > 65535 || len < end - off - 4) return false;
  return isKerberosMessage(buf, off + 4, end, len === end - off - 4);
}

/** An LDAP message (RFC 4511 §4.1.1): SEQUENCE, messageID INTEGER, application-class protocolOp. */
export function isLdap(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 7 || buf[off] !== 0x30) return false;
  let p = off + 1;
  const l = buf[p]!;
  let len: number;
  if (l < 0x80) {
    len = l;
    p += 1;
  } else {
    const n = l & 0x7f;
    if (n < 1 || n > 4 || p + 1 + n > end) return false;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + 1 + i]!;
    p += 1 + n;
  }
  if (len < 5) return false;
  if (buf[p] !== 0x02) return false;
  const idLen = buf[p + 1]!;
  if (idLen < 1 || idLen > 4 || p + 2 + idLen >= end) return false;
  const op = buf[p + 2 + idLen]!;
  // Application class (bits 7–6 = 01), tags 0–25.
  return op >> 6 === 1 && (op & 0x1f) <= 25;
}
