/**
 * Application-protocol signatures over the first bytes of a payload. Each is
 * a pure function of the bytes `[off, end)`: no allocation, no throwing.
 */
import { u16, u32 } from "./bytes.js";

/** RFC 5389 §6: the magic cookie every STUN message carries at offset 4. */
const STUN_MAGIC = 0x2112a442;

/**
 * A STUN Binding Request (RFC 5389 §6): message type 0x0001 (method Binding,
 * class request, the first two bits zero), a length that is a multiple of 4
 * and fits the captured payload, and the magic cookie.
 */
export function isStunBindingRequest(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 20) return false;
  if (u16(buf, off) !== 0x0001) return false;
  const len = u16(buf, off + 2);
  if (len % 4 !== 0 || 20 + len > end - off) return false;
  return u32(buf, off + 4) === STUN_MAGIC;
}

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
];
const SIP_METHOD_CODES = SIP_METHODS.map((m) => Array.from(m, (c) => c.charCodeAt(0)));

/**
 * A SIP request line (RFC 3261 §7.1): a known method, a space, and "sip:" or
 * "sips:" starting the Request-URI. Lync/OCS's SERVICE and BENOTIFY count.
 */
export function isSipRequest(buf: Uint8Array, off: number, end: number): boolean {
  for (const method of SIP_METHOD_CODES) {
    const n = method.length;
    if (end - off < n + 5) continue;
    let match = true;
    for (let i = 0; i < n; i++) {
      if (buf[off + i] !== method[i]) {
        match = false;
        break;
      }
    }
    if (!match || buf[off + n] !== 0x20) continue;
    const u = off + n + 1;
    // "sip:" or "sips:", case-insensitive
    const lower = (i: number) => (buf[u + i] ?? 0) | 0x20;
    if (
      lower(0) === 0x73 &&
      lower(1) === 0x69 &&
      lower(2) === 0x70 &&
      (buf[u + 3] === 0x3a || (lower(3) === 0x73 && buf[u + 4] === 0x3a))
    ) {
      return true;
    }
  }
  return false;
}
