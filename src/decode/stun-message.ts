/**
 * One STUN/TURN message's method, class and the attributes a verdict needs
 * (RFC 8489 §5-6 and §14, RFC 8656 for TURN, [MS-TURN] for Microsoft's
 * 2007 R2 form): the header's type (method bits M0-M11 around the class bits
 * C0 at 0x0010 and C1 at 0x0100), its length, then TLV attributes padded to
 * 4 bytes. Read into a caller-owned result; never throws, never allocates
 * but for a REALM's text (kept once per flow by the caller).
 * MS-TURN (no magic cookie: the RFC 3489 header with a 16-byte transaction
 * id) carries the same methods and ERROR-CODE; its version is MS-VERSION.
 */

export const STUN_BINDING = 0x001;
export const STUN_ALLOCATE = 0x003;
export const STUN_SEND = 0x006;
export const STUN_DATA = 0x007;
export const STUN_CREATE_PERMISSION = 0x008;
export const STUN_CHANNEL_BIND = 0x009;

export const STUN_REQUEST = 0;
export const STUN_INDICATION = 1;
export const STUN_SUCCESS = 2;
export const STUN_ERROR = 3;

const ATTR_ERROR_CODE = 0x0009;
const ATTR_REALM = 0x0014;
const ATTR_MS_VERSION = 0x8008;
const ATTR_XOR_PEER_ADDRESS = 0x0012;
const MAGIC = 0x2112a442;

/** What `readStun` found; the caller's one instance is refilled for every message. */
export class StunMessage {
  method = 0;
  cls = 0;
  /** ERROR-CODE as class × 100 + number (RFC 8489 §14.8), or 0. */
  errorCode = 0;
  /** REALM value's bytes: [realmStart, realmEnd) of the buffer, or an empty range. */
  realmStart = 0;
  realmEnd = 0;
  /** MS-VERSION (MS-TURN), or -1. */
  msVersion = -1;
  /** XOR-PEER-ADDRESS (RFC 8656 §18.3) when IPv4, as an unsigned 32-bit number, or -1. */
  peerV4 = -1;
}

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;

/**
 * Reads the STUN message at `b[start, end)` into `out`; false when it is not
 * one (its top two bits must be zero, its length a multiple of 4 that fits).
 */
export function readStun(b: Uint8Array, start: number, end: number, out: StunMessage): boolean {
  if (start + 20 > end) return false;
  const type = u16(b, start);
  const len = u16(b, start + 2);
  if ((type & 0xc000) !== 0 || len % 4 !== 0 || start + 20 + len > end) return false;
  out.method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
  out.cls = ((type & 0x0010) >> 4) | ((type & 0x0100) >> 7);
  out.errorCode = 0;
  out.realmStart = 0;
  out.realmEnd = 0;
  out.msVersion = -1;
  out.peerV4 = -1;
  let at = start + 20;
  const stop = start + 20 + len;
  while (at + 4 <= stop) {
    const attr = u16(b, at);
    const alen = u16(b, at + 2);
    const value = at + 4;
    if (value + alen > stop) break;
    if (attr === ATTR_ERROR_CODE && alen >= 4) out.errorCode = (b[value + 2]! & 0x07) * 100 + b[value + 3]!;
    else if (attr === ATTR_REALM) {
      out.realmStart = value;
      out.realmEnd = value + alen;
    } else if (attr === ATTR_MS_VERSION && alen >= 4)
      out.msVersion = ((b[value]! << 24) | (b[value + 1]! << 16) | u16(b, value + 2)) >>> 0;
    else if (attr === ATTR_XOR_PEER_ADDRESS && alen === 8 && b[value + 1] === 0x01)
      // Family 0x01 (IPv4): the address XORed with the magic cookie.
      out.peerV4 = (((b[value + 4]! << 24) | (b[value + 5]! << 16) | u16(b, value + 6)) ^ MAGIC) >>> 0;
    at = value + ((alen + 3) & ~3);
  }
  return true;
}

/** A TURN ChannelData message (RFC 8656 §12.4): channel 0x4000-0x7FFF, then a 16-bit length. */
export function isChannelData(b: Uint8Array, start: number, end: number): boolean {
  return start + 4 <= end && b[start]! >= 0x40 && b[start]! <= 0x7f && start + 4 + u16(b, start + 2) <= end;
}
