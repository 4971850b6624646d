/**
 * One STUN/TURN message's method, class and the attributes a verdict needs
 * (RFC 8489 §5-6 and §14, RFC 8656 for TURN, [MS-TURN] for Microsoft's
 * 2007 R2 form): the header's type (method bits M0-M11 around the class bits
 * C0 at 0x0010 and C1 at 0x0100), its length, then TLV attributes padded to
 * 4 bytes. Read into a caller-owned result; never throws, never allocates
 * but for a REALM's text (kept once per flow by the caller).
 * MS-TURN (no magic cookie: the RFC 3489 header with a 16-byte transaction
 * id) carries the same Allocate and ERROR-CODE; its version is MS-VERSION.
 * Its relay messages are its own ([MS-TURN] §2.2.1): the Send request
 * (0x0004) and Set Active Destination request (0x0006) name the peer in
 * DESTINATION-ADDRESS (0x0011), and the Data Indication (0x0115) brings the
 * peer's data with REMOTE-ADDRESS (0x0012); both addresses are plain, in
 * MAPPED-ADDRESS's form. They are read as TURN's Send and Data indications
 * and CreatePermission, so the outcome counts relaying the same way.
 * A Binding request carrying USERNAME is an ICE connectivity check (RFC 8445
 * §7.2.2; [MS-ICE] checks are Binding requests with USERNAME too), where one
 * sent to a STUN server for a reflexive address carries none.
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

/** USERNAME: 0x0006 in RFC 3489 §11.2.6 and RFC 8489 §14.3 alike. */
const ATTR_USERNAME = 0x0006;
const ATTR_ERROR_CODE = 0x0009;
/** REALM: 0x0014 in RFC 8489 §18.3; MS-TURN numbers it 0x0015 (and NONCE 0x0014), [MS-TURN] §2.2.2. */
const ATTR_REALM = 0x0014;
const ATTR_MS_REALM = 0x0015;
const ATTR_MS_VERSION = 0x8008;
const ATTR_XOR_PEER_ADDRESS = 0x0012;
const ATTR_MS_DESTINATION_ADDRESS = 0x0011;
const MAGIC = 0x2112a442;
/** [MS-TURN] §2.2.1 message types without RFC 8656 counterparts. */
const MS_SEND_REQUEST = 0x0004;
const MS_DATA_INDICATION = 0x0115;
const MS_SET_ACTIVE_DESTINATION = 0x0006;

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
  /** The message carries USERNAME. */
  username = false;
  /** No magic cookie: Microsoft's MS-TURN (or RFC 3489 STUN). */
  msTurn = false;
  /**
   * The peer the message names: XOR-PEER-ADDRESS (RFC 8656 §18.3, IPv4 or
   * IPv6), or MS-TURN's DESTINATION-ADDRESS; its family (4, 6; 0: none) and
   * address as four 32-bit words (IPv4 in the last), as decode/packet.ts keeps
   * addresses. Refilled in place.
   */
  peerFamily = 0;
  readonly peerWords = new Int32Array(4);
}

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const u32 = (b: Uint8Array, at: number) => (b[at]! << 24) | (b[at + 1]! << 16) | u16(b, at + 2) | 0;

/**
 * Reads the STUN message at `b[start, end)` into `out`; false when it is not
 * one (its top two bits must be zero, its length a multiple of 4 that fits).
 */
export function readStun(b: Uint8Array, start: number, end: number, out: StunMessage): boolean {
  if (start + 20 > end) return false;
  const type = u16(b, start);
  const len = u16(b, start + 2);
  if ((type & 0xc000) !== 0 || len % 4 !== 0 || start + 20 + len > end) return false;
  out.msTurn = u32(b, start + 4) !== MAGIC;
  out.method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
  out.cls = ((type & 0x0010) >> 4) | ((type & 0x0100) >> 7);
  if (out.msTurn) {
    if (type === MS_SEND_REQUEST) {
      out.method = STUN_SEND;
      out.cls = STUN_INDICATION;
    } else if (type === MS_DATA_INDICATION) {
      out.method = STUN_DATA;
      out.cls = STUN_INDICATION;
    } else if (type === MS_SET_ACTIVE_DESTINATION) {
      out.method = STUN_CREATE_PERMISSION;
      out.cls = STUN_REQUEST;
    }
  }
  out.errorCode = 0;
  out.realmStart = 0;
  out.realmEnd = 0;
  out.msVersion = -1;
  out.username = false;
  out.peerFamily = 0;
  let at = start + 20;
  const stop = start + 20 + len;
  while (at + 4 <= stop) {
    const attr = u16(b, at);
    const alen = u16(b, at + 2);
    const value = at + 4;
    if (value + alen > stop) break;
    if (attr === ATTR_USERNAME) out.username = true;
    else if (attr === ATTR_ERROR_CODE && alen >= 4)
      out.errorCode = (b[value + 2]! & 0x07) * 100 + b[value + 3]!;
    else if (attr === (out.msTurn ? ATTR_MS_REALM : ATTR_REALM)) {
      out.realmStart = value;
      out.realmEnd = value + alen;
    } else if (attr === ATTR_MS_VERSION && alen >= 4)
      out.msVersion = ((b[value]! << 24) | (b[value + 1]! << 16) | u16(b, value + 2)) >>> 0;
    else if (attr === ATTR_XOR_PEER_ADDRESS && !out.msTurn) readPeer(b, value, alen, start, true, out);
    else if (attr === ATTR_MS_DESTINATION_ADDRESS && out.msTurn) readPeer(b, value, alen, start, false, out);
    at = value + ((alen + 3) & ~3);
  }
  return true;
}

/**
 * An address attribute's value (reserved byte, family 0x01 IPv4 or 0x02 IPv6, port, address) into
 * `out.peer*`; XORed with the magic cookie (and for IPv6 the transaction id, RFC 8489 §14.2) or plain.
 */
function readPeer(
  b: Uint8Array,
  value: number,
  alen: number,
  msg: number,
  xor: boolean,
  out: StunMessage,
): void {
  const family = b[value + 1];
  const w = out.peerWords;
  if (family === 0x01 && alen === 8) {
    w[0] = 0;
    w[1] = 0;
    w[2] = 0;
    w[3] = u32(b, value + 4) ^ (xor ? MAGIC : 0);
    out.peerFamily = 4;
  } else if (family === 0x02 && alen === 20) {
    // The cookie and the 12-byte transaction id are the header's bytes 4-20.
    for (let i = 0; i < 4; i++) w[i] = u32(b, value + 4 + 4 * i) ^ (xor ? u32(b, msg + 4 + 4 * i) : 0);
    out.peerFamily = 6;
  }
}

/** A TURN ChannelData message (RFC 8656 §12.4): channel 0x4000-0x7FFF, then a 16-bit length. */
export function isChannelData(b: Uint8Array, start: number, end: number): boolean {
  return start + 4 <= end && b[start]! >= 0x40 && b[start]! <= 0x7f && start + 4 + u16(b, start + 2) <= end;
}
