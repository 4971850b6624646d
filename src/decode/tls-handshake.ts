/**
 * TLS handshake messages in the clear (RFC 5246 §7.4 for TLS 1.0-1.2,
 * RFC 8446 §4 for 1.3's ClientHello and ServerHello): the fields a support
 * engineer needs from ClientHello (SNI, RFC 6066 §3), ServerHello (version,
 * with 1.3's supported_versions extension, RFC 8446 §4.2.1; cipher suite),
 * Certificate (the DER list) and CertificateRequest. Each reader takes one
 * whole message body and never throws: a field that runs past the body
 * reads as absent. Alert and version names are from the IANA TLS registry.
 */

export const TLS_CLIENT_HELLO = 1;
export const TLS_SERVER_HELLO = 2;

/**
 * The length of an SSL 2.0-format ClientHello record at `off` (its 2-byte header included), or 0
 * for anything else. Clients that still spoke SSL 2.0 (Windows XP and Server 2003's SChannel, by
 * default) opened TLS 1.0 and SSL 3.0 with this record (RFC 5246 Appendix E.2, RFC 6101 Appendix
 * E): a header with the high bit set and a 15-bit length, message type 1, the highest version
 * (SSL 2.0, 3.0, TLS 1.0-1.2), cipher specs of 3 bytes each, a session id of 0 or 16 bytes and a
 * challenge of 16-32, which fill the record exactly. Only whole records count; no SNI (no extensions).
 */
export function ssl2ClientHelloLength(buf: Uint8Array, off: number, end: number): number {
  if (end - off < 11 || (buf[off]! & 0x80) === 0 || buf[off + 2] !== 1) return 0;
  const len = ((buf[off]! & 0x7f) << 8) | buf[off + 1]!;
  const major = buf[off + 3]!;
  const minor = buf[off + 4]!;
  if (!((major === 0 && minor === 2) || (major === 3 && minor <= 3))) return 0;
  const specs = (buf[off + 5]! << 8) | buf[off + 6]!;
  const session = (buf[off + 7]! << 8) | buf[off + 8]!;
  const challenge = (buf[off + 9]! << 8) | buf[off + 10]!;
  if (specs === 0 || specs % 3 !== 0 || (session !== 0 && session !== 16) || challenge < 16 || challenge > 32)
    return 0;
  if (9 + specs + session + challenge !== len || off + 2 + len > end) return 0;
  return 2 + len;
}
export const TLS_CERTIFICATE = 11;
export const TLS_CERTIFICATE_REQUEST = 13;
export const TLS_CLIENT_KEY_EXCHANGE = 16;

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const u24 = (b: Uint8Array, at: number) => (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;

/**
 * Where the SNI host name of a ClientHello body `b[start, end)` lies
 * (RFC 6066 §3: server_name_list, entries of name_type 0 = host_name):
 * sets `out.sniOffset` and `out.sniLength`, or leaves them when there is none.
 */
export function findServerName(
  b: Uint8Array,
  start: number,
  end: number,
  out: { sniOffset: number; sniLength: number },
): void {
  let at = start + 2 + 32; // legacy_version, random
  if (at + 1 > end) return;
  at += 1 + b[at]!; // session_id
  if (at + 2 > end) return;
  at += 2 + u16(b, at); // cipher_suites
  if (at + 1 > end) return;
  at += 1 + b[at]!; // compression_methods
  if (at + 2 > end) return;
  const extEnd = Math.min(end, at + 2 + u16(b, at));
  at += 2;
  while (at + 4 <= extEnd) {
    const type = u16(b, at);
    const len = u16(b, at + 2);
    const body = at + 4;
    if (body + len > extEnd) return;
    if (type === 0 && len >= 5) {
      const nameType = b[body + 2]!;
      const nameLen = u16(b, body + 3);
      if (nameType === 0 && body + 5 + nameLen <= body + len) {
        out.sniOffset = body + 5;
        out.sniLength = nameLen;
      }
      return;
    }
    at = body + len;
  }
}

const sni = { sniOffset: -1, sniLength: 0 };

/** Distinct server names kept as one string each; past this many the cache starts again (a scan of names). */
const NAME_CACHE_MAX = 4096;
const names = new Map<string, string>();
/** The last name made without escapes. */
let lastPlain = "";

/**
 * `b[at, at + len)` as text, one byte a character (the raw form), or with
 * bytes outside a host name's alphabet escaped as `\xNN` (`escaped`). The
 * string is flat and shared with every earlier flow that asked the same
 * name: a report keeps one per distinct name, where building it a character
 * at a time left each flow a chain of concatenations (eight string objects a
 * TLS flow).
 */
export function serverNameText(b: Uint8Array, at: number, len: number, escaped: boolean): string {
  let plain = true;
  if (escaped) for (let i = at; i < at + len && plain; i++) plain = hostNameByte(b[i]!);
  let name: string;
  if (plain) {
    // Most flows of a capture name one of a few servers: the name just made is asked again.
    if (lastPlain.length === len && sameText(lastPlain, b, at)) return lastPlain;
    name = latin1(b, at, len);
  } else {
    const parts: string[] = [];
    for (let i = at; i < at + len; i++) {
      const c = b[i]!;
      parts.push(hostNameByte(c) ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, "0")}`);
    }
    name = parts.join("");
  }
  let shared = names.get(name);
  if (shared === undefined) {
    if (names.size >= NAME_CACHE_MAX) names.clear();
    names.set(name, name);
    shared = name;
  }
  if (plain) lastPlain = shared;
  return shared;
}

/** Whether `s` is the bytes at `b[at, at + s.length)`, one character a byte. */
function sameText(s: string, b: Uint8Array, at: number): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== b[at + i]) return false;
  return true;
}

/** Bytes as characters U+0000–U+00FF, in one flat string (apply takes the typed array as its argument list; spreading it costs 4× as much). */
function latin1(b: Uint8Array, at: number, len: number): string {
  const chunk = 8192; // well under any engine's argument limit
  let out = "";
  for (let i = at; i < at + len; i += chunk)
    out += String.fromCharCode.apply(
      null,
      b.subarray(i, Math.min(i + chunk, at + len)) as unknown as number[],
    );
  return out;
}

/** A host name is ASCII letters, digits, '-', '.', '_' (RFC 6066 §3). */
function hostNameByte(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5f
  );
}

/** The SNI host name of a ClientHello body `b[start, end)`, or null; bytes outside a host name's alphabet are escaped. */
export function clientHelloServerName(b: Uint8Array, start: number, end: number): string | null {
  sni.sniOffset = -1;
  findServerName(b, start, end, sni);
  if (sni.sniOffset < 0) return null;
  return serverNameText(b, sni.sniOffset, sni.sniLength, true);
}

/** What a ServerHello body says: the version chosen (1.3's supported_versions wins) and the cipher suite. */
export function serverHelloChoice(
  b: Uint8Array,
  start: number,
  end: number,
): { version: number; cipher: number } | null {
  if (start + 2 + 32 + 1 > end) return null;
  let version = u16(b, start);
  let at = start + 2 + 32;
  at += 1 + b[at]!; // session_id
  if (at + 3 > end) return null;
  const cipher = u16(b, at);
  at += 3; // cipher_suite, compression_method
  if (at + 2 <= end) {
    const extEnd = Math.min(end, at + 2 + u16(b, at));
    at += 2;
    while (at + 4 <= extEnd) {
      const type = u16(b, at);
      const len = u16(b, at + 2);
      if (at + 4 + len > extEnd) break;
      if (type === 43 && len === 2) version = u16(b, at + 4);
      at += 4 + len;
    }
  }
  return { version, cipher };
}

/**
 * Calls `each(start, end)` for every certificate of a TLS 1.0-1.2
 * Certificate body (a 24-bit list length, then 24-bit length + DER each), in
 * order: the sender's own first. Returns how many the list holds (0: empty,
 * as a client without a certificate answers), or -1 when it is malformed.
 */
export function certificateList(
  b: Uint8Array,
  start: number,
  end: number,
  each: (start: number, end: number) => void,
): number {
  if (start + 3 > end) return -1;
  const listEnd = start + 3 + u24(b, start);
  if (listEnd > end) return -1;
  let n = 0;
  for (let at = start + 3; at < listEnd; ) {
    if (at + 3 > listEnd) return -1;
    const len = u24(b, at);
    if (at + 3 + len > listEnd) return -1;
    each(at + 3, at + 3 + len);
    n++;
    at += 3 + len;
  }
  return n;
}

/** "TLS 1.2", "SSL 3.0", or the number in hex. */
export function tlsVersionName(v: number): string {
  switch (v) {
    case 0x0300:
      return "SSL 3.0";
    case 0x0301:
      return "TLS 1.0";
    case 0x0302:
      return "TLS 1.1";
    case 0x0303:
      return "TLS 1.2";
    case 0x0304:
      return "TLS 1.3";
    default:
      return `0x${v.toString(16).padStart(4, "0")}`;
  }
}

/** Alert descriptions (RFC 8446 §6, RFC 5246 §7.2, the IANA TLS Alerts registry). */
const ALERTS: Readonly<Record<number, string>> = {
  0: "close_notify",
  10: "unexpected_message",
  20: "bad_record_mac",
  21: "decryption_failed",
  22: "record_overflow",
  30: "decompression_failure",
  40: "handshake_failure",
  41: "no_certificate",
  42: "bad_certificate",
  43: "unsupported_certificate",
  44: "certificate_revoked",
  45: "certificate_expired",
  46: "certificate_unknown",
  47: "illegal_parameter",
  48: "unknown_ca",
  49: "access_denied",
  50: "decode_error",
  51: "decrypt_error",
  70: "protocol_version",
  71: "insufficient_security",
  80: "internal_error",
  86: "inappropriate_fallback",
  90: "user_canceled",
  100: "no_renegotiation",
  109: "missing_extension",
  110: "unsupported_extension",
  112: "unrecognized_name",
  113: "bad_certificate_status_response",
  115: "unknown_psk_identity",
  116: "certificate_required",
  120: "no_application_protocol",
};

export function tlsAlertName(description: number): string {
  return ALERTS[description] ?? `alert ${description}`;
}
