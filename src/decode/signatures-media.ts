/**
 * Media signatures, over the first bytes of a payload, on the same terms as
 * signatures.ts (pure functions of `buf[off, end)`, no allocation, never
 * throwing): the STUN family (RFC 5389, classic RFC 3489, MS-TURN, TURN
 * ChannelData per RFC 8656 §12.4, Microsoft's 0xFF10 multiplex) and RTP and
 * RTCP (RFC 3550). The rules are listed in signatures.ts's opening comment.
 */
import { u16, u32 } from "./bytes.js";

export const STUN_BINDING_REQUEST = 1;
export const STUN_OTHER = 2;
export const STUN_MS_TURN = 3;
export const STUN_CHANNEL_DATA = 4;
export const STUN_MS_MULTIPLEX = 5;
export const STUN_CLASSIC = 6;

// --- STUN and TURN --------------------------------------------------------------

const STUN_MAGIC = 0x2112a442;
const MS_TURN_MAGIC = 0x72c64bc6;

/** 0 when not STUN-family, else one of the STUN_* kinds. */
export function stunKind(buf: Uint8Array, off: number, end: number, tcp: boolean): number {
  const kind = stunMessage(buf, off, end);
  if (kind !== 0) return kind;
  if (!tcp) {
    const classic = classicStun(buf, off, end);
    if (classic !== 0) return classic;
  }
  if (end - off >= 4) {
    const first = u16(buf, off);
    const len = u16(buf, off + 2);
    if (isChannelData(buf, off, end, tcp)) return STUN_CHANNEL_DATA;
    if (first === 0xff10 && 4 + len <= end - off) return STUN_MS_MULTIPLEX;
    // STUN over TCP behind a 2-byte frame length (RFC 4571 framing).
    if (tcp && len >= 0 && first + 2 <= end - off && first >= 20) {
      const inner = stunMessage(buf, off + 2, off + 2 + first);
      if (inner !== 0) return inner;
    }
    // MS-TURN over TCP ([MS-TURN] §2.1.4): type 0x02 (a TURN control message), a zero byte, the length.
    if (tcp && first === 0x0200 && len >= 20 && 4 + len <= end - off) {
      const inner = stunMessage(buf, off + 4, off + 4 + len);
      if (inner !== 0) return inner;
    }
  }
  return 0;
}

const isChannel = (c: number) => c >= 0x4000 && c <= 0x4fff;

/** TURN ChannelData (RFC 8656 §12.4, §12.5): see the rule at the top of this file. */
function isChannelData(buf: Uint8Array, off: number, end: number, tcp: boolean): boolean {
  const n = end - off;
  if (n < 4 || !isChannel(u16(buf, off))) return false;
  const frame = 4 + u16(buf, off + 2);
  if (!tcp) return frame <= n && n - frame <= 3;
  let p = off + ((frame + 3) & ~3);
  if (p > end) return false;
  for (let frames = 1; p < end && frames < 64; frames++) {
    if (end - p < 2) return buf[p]! >> 4 === 4;
    if (!isChannel(u16(buf, p))) return false;
    if (end - p < 4) return true;
    p += (4 + u16(buf, p + 2) + 3) & ~3;
  }
  return true;
}

const CLASSIC_STUN_TYPES = [0x0001, 0x0101, 0x0111, 0x0002, 0x0102, 0x0112];

/** Classic STUN (RFC 3489 §11.1, §11.2) in a whole datagram: see the rule at the top of this file. */
function classicStun(buf: Uint8Array, off: number, end: number): number {
  if (end - off < 20) return 0;
  const type = u16(buf, off);
  const len = u16(buf, off + 2);
  if (!CLASSIC_STUN_TYPES.includes(type) || len % 4 !== 0 || 20 + len !== end - off) return 0;
  if (len === 0) {
    if (type !== 0x0001 && type !== 0x0002) return 0;
  } else {
    const attr = u16(buf, off + 20);
    if (attr === 0 || (attr > 0x000b && attr < 0x8000) || 4 + u16(buf, off + 22) > len) return 0;
  }
  return type === 0x0001 ? STUN_BINDING_REQUEST : STUN_CLASSIC;
}

function stunMessage(buf: Uint8Array, off: number, end: number): number {
  if (end - off < 20) return 0;
  const type = u16(buf, off);
  if (type & 0xc000) return 0;
  const len = u16(buf, off + 2);
  if (len % 4 !== 0 || 20 + len > end - off) return 0;
  if (u32(buf, off + 4) === STUN_MAGIC) return type === 0x0001 ? STUN_BINDING_REQUEST : STUN_OTHER;
  // MS-TURN: the RFC 3489 header (a 16-byte transaction id, no cookie), then MAGIC-COOKIE first.
  if (
    len >= 8 &&
    u16(buf, off + 20) === 0x000f &&
    u16(buf, off + 22) === 4 &&
    u32(buf, off + 24) === MS_TURN_MAGIC
  ) {
    return STUN_MS_TURN;
  }
  return 0;
}

/** A STUN Binding Request (RFC 5389 §6): type 0x0001 with the magic cookie. */
export function isStunBindingRequest(buf: Uint8Array, off: number, end: number): boolean {
  return stunMessage(buf, off, end) === STUN_BINDING_REQUEST;
}

// --- RTP and RTCP ---------------------------------------------------------------

/** One RTP-looking packet: version 2, payload type not 72–76, header fits. */
export function isRtpCandidate(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 12) return false;
  const b0 = buf[off]!;
  if (b0 >> 6 !== 2) return false;
  const pt = buf[off + 1]! & 0x7f;
  if (pt >= 72 && pt <= 76) return false;
  const header = 12 + (b0 & 0x0f) * 4;
  return header <= end - off;
}

/** A compound RTCP packet: version 2 and type 200–207 in every part, lengths adding up exactly. */
export function isRtcp(buf: Uint8Array, off: number, end: number): boolean {
  let p = off;
  let parts = 0;
  while (p < end) {
    if (end - p < 4) return false;
    if (buf[p]! >> 6 !== 2) return false;
    const pt = buf[p + 1]!;
    if (pt < 200 || pt > 207) return false;
    p += (u16(buf, p + 2) + 1) * 4;
    parts++;
    if (parts > 32) return false;
  }
  return p === end && parts > 0;
}
