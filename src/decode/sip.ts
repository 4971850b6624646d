/**
 * The start of a plain SIP message (RFC 3261 §7): whether it is a request
 * (and its method) or a response (and its status code), the method its CSeq
 * header names (§20.16: what a response answers), and where Microsoft's
 * ms-diagnostics header ([MS-SIPRE] §2.2.2.2, OCS's own error code and
 * reason) is, and, from an SDP body (RFC 4566), the first media stream's
 * IPv4 address and port. Reads the bytes in place and fills a caller-owned
 * result: no allocation, never throws. Headers are scanned up to the blank
 * line, and a body after it, at most SIP_SCAN_BYTES in (only on flows already
 * identified as SIP).
 */
import { utf8Cut } from "./utf8.js";

/** Methods by id; 0 is one not listed. NEGOTIATE, SERVICE and BENOTIFY are Microsoft's ([MS-SIPRE]). */
export const SIP_METHODS = [
  "",
  "REGISTER",
  "INVITE",
  "SUBSCRIBE",
  "SERVICE",
  "OPTIONS",
  "ACK",
  "BYE",
  "CANCEL",
  "NOTIFY",
  "MESSAGE",
  "INFO",
  "PRACK",
  "UPDATE",
  "REFER",
  "PUBLISH",
  "NEGOTIATE",
  "BENOTIFY",
] as const;

/** A message's headers are read this far at most (a long Via/Record-Route chain runs past 4 KB). */
export const SIP_SCAN_BYTES = 65_536;
/** The longest ms-diagnostics value kept (it names a code and a reason; longer text is cut). */
export const SIP_DIAGNOSTICS_MAX = 240;

export const SipKind = { None: 0, Request: 1, Response: 2 } as const;

/** What `parseSipStart` found; reused for every message. */
export class SipStart {
  kind: number = SipKind.None;
  /** A request's method id (SIP_METHODS), 0 when not listed. */
  method = 0;
  /** A response's status code. */
  code = 0;
  /** The method id the CSeq header names, 0 when absent or not listed. */
  cseqMethod = 0;
  /** The CSeq header's sequence number (RFC 3261 §20.16), -1 when absent. */
  cseqNumber = -1;
  /** A 32-bit hash of the Call-ID header's value (RFC 3261 §20.8, compact form "i"), 0 when absent. */
  callIdHash = 0;
  /** Where ms-diagnostics's value is in the buffer (length 0: absent). */
  diagOffset = 0;
  diagLength = 0;
  /** A 32-bit hash of the To header's tag parameter (RFC 3261 §19.3: an early dialog's, per fork), 0 when absent. */
  toTagHash = 0;
  /**
   * The SDP body's first enabled media stream (RFC 4566 §5.14; port 0 disables one, RFC 3264 §6):
   * its port and IPv4 connection address (its own c= line, else the session's, §5.7). Both 0
   * when there is none, or its address is not an IPv4 unicast one (IPv6, a name, 0.0.0.0).
   */
  sdpPort = 0;
  sdpAddress = 0;
}

const SIP20 = [0x53, 0x49, 0x50, 0x2f, 0x32, 0x2e, 0x30, 0x20]; // "SIP/2.0 "
const CSEQ = "cseq:";
const DIAG = "ms-diagnostics:";
const CALL_ID = "call-id:";
const CALL_ID_COMPACT = "i:";
const TO = "to:";
const TO_COMPACT = "t:";
const TAG = ";tag=";

/** The method id of the token at [at, end), or 0. */
function methodId(buf: Uint8Array, at: number, end: number): number {
  const len = end - at;
  for (let m = 1; m < SIP_METHODS.length; m++) {
    const name = SIP_METHODS[m]!;
    if (name.length !== len) continue;
    let i = 0;
    while (i < len && buf[at + i] === name.charCodeAt(i)) i++;
    if (i === len) return m;
  }
  return 0;
}

/** Whether the header line at `at` starts with `name` (lower case, with its colon), case-insensitively. */
function startsWith(buf: Uint8Array, at: number, end: number, name: string): boolean {
  if (end - at < name.length) return false;
  for (let i = 0; i < name.length; i++) {
    const c = buf[at + i]!;
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== name.charCodeAt(i)) return false;
  }
  return true;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09;

/** Parses the message starting at `start`; false (out.kind None) when it is not SIP's start line. */
export function parseSipStart(buf: Uint8Array, start: number, end: number, out: SipStart): boolean {
  out.kind = SipKind.None;
  out.method = 0;
  out.code = 0;
  out.cseqMethod = 0;
  out.cseqNumber = -1;
  out.callIdHash = 0;
  out.diagOffset = 0;
  out.diagLength = 0;
  out.toTagHash = 0;
  out.sdpPort = 0;
  out.sdpAddress = 0;
  const limit = Math.min(end, start + SIP_SCAN_BYTES);
  if (limit - start < 12) return false;
  let i = 0;
  while (i < 8 && buf[start + i] === SIP20[i]) i++;
  let at: number;
  if (i === 8) {
    const d0 = buf[start + 8]! - 0x30;
    const d1 = buf[start + 9]! - 0x30;
    const d2 = buf[start + 10]! - 0x30;
    if (d0 < 1 || d0 > 6 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9 || !isSpace(buf[start + 11]!)) return false;
    out.kind = SipKind.Response;
    out.code = d0 * 100 + d1 * 10 + d2;
    at = start + 12;
  } else {
    // A request line: METHOD SP Request-URI SP SIP/2.0 (the method in capitals).
    let e = start;
    while (e < limit && buf[e]! >= 0x41 && buf[e]! <= 0x5a && e - start < 16) e++;
    if (e === start || e >= limit || buf[e] !== 0x20) return false;
    out.kind = SipKind.Request;
    out.method = methodId(buf, start, e);
    at = e;
  }
  // To the end of the start line, then header by header until the blank line.
  while (at < limit && buf[at] !== 0x0a) at++;
  at++;
  while (at < limit) {
    let eol = at;
    while (eol < limit && buf[eol] !== 0x0a) eol++;
    const lineEnd = eol > at && buf[eol - 1] === 0x0d ? eol - 1 : eol;
    if (lineEnd === at) {
      readSdp(buf, eol + 1, limit, out); // the blank line before the body
      break;
    }
    if (startsWith(buf, at, lineEnd, CSEQ)) {
      let p = at + CSEQ.length;
      while (p < lineEnd && isSpace(buf[p]!)) p++;
      // At most 10 digits: RFC 3261 §8.1.1.5 keeps it below 2**31.
      let n = 0;
      let digits = 0;
      for (; digits < 10 && p + digits < lineEnd; digits++) {
        const c = buf[p + digits]!;
        if (c < 0x30 || c > 0x39) break;
        n = n * 10 + (c - 0x30);
      }
      if (digits > 0) out.cseqNumber = n;
      while (p < lineEnd && (isSpace(buf[p]!) || (buf[p]! >= 0x30 && buf[p]! <= 0x39))) p++;
      let q = p;
      while (q < lineEnd && !isSpace(buf[q]!)) q++;
      out.cseqMethod = methodId(buf, p, q);
    } else if (startsWith(buf, at, lineEnd, CALL_ID) || startsWith(buf, at, lineEnd, CALL_ID_COMPACT)) {
      let p = at + (startsWith(buf, at, lineEnd, CALL_ID) ? CALL_ID.length : CALL_ID_COMPACT.length);
      while (p < lineEnd && isSpace(buf[p]!)) p++;
      out.callIdHash = fnv1a(buf, p, lineEnd);
    } else if (startsWith(buf, at, lineEnd, TO) || startsWith(buf, at, lineEnd, TO_COMPACT)) {
      out.toTagHash = tagHash(buf, at, lineEnd);
    } else if (startsWith(buf, at, lineEnd, DIAG)) {
      let p = at + DIAG.length;
      while (p < lineEnd && isSpace(buf[p]!)) p++;
      out.diagOffset = p;
      // Kept whole when it fits and its line ends here; else cut between characters (the
      // segment or the scan may end inside one).
      const end = Math.min(lineEnd, p + SIP_DIAGNOSTICS_MAX);
      out.diagLength = (end === lineEnd && eol < limit ? end : utf8Cut(buf, p, end)) - p;
    }
    at = eol + 1;
  }
  return true;
}

/** FNV-1a over `buf[from, to)`, never 0: values told apart (calls, forks), nothing copied. */
function fnv1a(buf: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let p = from; p < to; p++) h = Math.imul(h ^ buf[p]!, 0x01000193);
  return h | 1;
}

/** The hash of the header line's ";tag=" value (case-insensitive name), or 0. */
function tagHash(buf: Uint8Array, at: number, end: number): number {
  for (let p = at; p + TAG.length <= end; p++) {
    if (!startsWith(buf, p, end, TAG)) continue;
    let q = p + TAG.length;
    while (q < end && buf[q] !== 0x3b && !isSpace(buf[q]!)) q++;
    return fnv1a(buf, p + TAG.length, q);
  }
  return 0;
}

/**
 * An SDP body's first enabled media stream and its IPv4 connection address, from whole lines only
 * (RFC 4566 §5.7, §5.14): the session's c= (before any m=), then the first m= whose port is not 0,
 * whose own c= overrides the session's. Any other body reads as none.
 */
function readSdp(buf: Uint8Array, at: number, limit: number, out: SipStart): void {
  if (limit - at < 4 || buf[at] !== 0x76 || buf[at + 1] !== 0x3d) return; // "v=" starts every SDP
  // null: no c= line; 0: one that is not IPv4 unicast (IPv6, a name, 0.0.0.0)
  let session: number | null = null;
  let media: number | null = null;
  let port = 0;
  let section = 0; // 0: session; 1: a disabled stream's; 2: the stream's
  while (at < limit) {
    let eol = at;
    while (eol < limit && buf[eol] !== 0x0a) eol++;
    if (eol >= limit) break; // a line the segment or the scan cut: its number may be cut too
    if (buf[at] === 0x6d && buf[at + 1] === 0x3d) {
      if (section === 2) break; // the next stream's: ours is complete
      let p = at + 2;
      while (p < eol && buf[p] !== 0x20) p++;
      let n = 0;
      for (p++; p < eol && buf[p]! >= 0x30 && buf[p]! <= 0x39 && n < 65536; p++) n = n * 10 + buf[p]! - 0x30;
      // <port>[/<number of ports>] <proto> (§5.14)
      if (n >= 65536 || (buf[p] !== 0x20 && buf[p] !== 0x2f)) return;
      section = n === 0 ? 1 : 2;
      port = n;
    } else if (buf[at] === 0x63 && buf[at + 1] === 0x3d) {
      const address = startsWith(buf, at, eol, "c=in ip4 ") ? ipv4At(buf, at + 9, eol) : 0;
      if (section === 0) session = address;
      else if (section === 2) media = address;
    }
    at = eol + 1;
  }
  const address = media ?? session ?? 0;
  if (section === 2 && address !== 0) {
    out.sdpPort = port;
    out.sdpAddress = address;
  }
}

/** A dotted IPv4 address at `at` as a 32-bit value, or 0. */
function ipv4At(buf: Uint8Array, at: number, end: number): number {
  let value = 0;
  for (let part = 0; part < 4; part++) {
    let n = 0;
    let digits = 0;
    for (; at < end && digits < 3 && buf[at]! >= 0x30 && buf[at]! <= 0x39; at++, digits++)
      n = n * 10 + buf[at]! - 0x30;
    if (digits === 0 || n > 255 || (part < 3 && buf[at++] !== 0x2e)) return 0;
    value = (value << 8) | n;
  }
  // Then the line's end, or "/ttl" (multicast, §5.7).
  return at === end || buf[at] === 0x0d || buf[at] === 0x2f ? value | 0 : 0;
}
