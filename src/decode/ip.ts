/**
 * IPv4 (RFC 791) and IPv6 (RFC 8200) decoders. They fill addresses, the
 * transport protocol and `ipLen`, and leave `transportOffset` /
 * `transportEnd` in `ipResult` for the transport decoders.
 */
import { Anomaly, type AnomalyCode } from "./anomaly.js";
import { i32, u8, u16 } from "./bytes.js";
import type { Packet } from "./packet.js";

/** Out-parameters of the last IP decode (module state: no allocation). */
export const ipResult = { transportOffset: 0, transportEnd: 0, wireEnd: 0 };

/** IPv6 extension headers walked before giving up (RFC 8200 §4.1 order has at most ~8). */
export const MAX_IPV6_EXTENSIONS = 8;

export function decodeIpv4(buf: Uint8Array, off: number, end: number, pkt: Packet): AnomalyCode {
  if (end - off < 20) return Anomaly.IPV4_TRUNCATED;
  const vihl = u8(buf, off);
  if (vihl >> 4 !== 4) return Anomaly.IPV4_BAD_VERSION;
  const hlen = (vihl & 0x0f) * 4;
  if (hlen < 20) return Anomaly.IPV4_BAD_HEADER_LENGTH;
  if (end - off < hlen) return Anomaly.IPV4_TRUNCATED;
  let total = u16(buf, off + 2);
  // A total length of 0 is written by hosts capturing before TCP segmentation
  // offload fills it in; fall back to what was captured.
  if (total === 0) total = end - off;
  if (total < hlen) return Anomaly.IPV4_BAD_TOTAL_LENGTH;
  const frag = u16(buf, off + 6);
  pkt.family = 4;
  pkt.ipLen = total;
  pkt.ipProto = u8(buf, off + 9);
  pkt.s3 = i32(buf, off + 12);
  pkt.d3 = i32(buf, off + 16);
  pkt.laterFragment = (frag & 0x1fff) !== 0;
  pkt.moreFragments = (frag & 0x2000) !== 0;
  pkt.fragId = u16(buf, off + 4);
  ipResult.transportOffset = off + hlen;
  ipResult.wireEnd = off + total;
  // Ethernet padding can make the frame longer than the datagram.
  ipResult.transportEnd = Math.min(end, off + total);
  return Anomaly.OK;
}

const EXT_HOP_BY_HOP = 0;
const EXT_ROUTING = 43;
const EXT_FRAGMENT = 44;
const EXT_AH = 51;
const EXT_DEST_OPTS = 60;

export function decodeIpv6(buf: Uint8Array, off: number, end: number, pkt: Packet): AnomalyCode {
  if (end - off < 40) return Anomaly.IPV6_TRUNCATED;
  if (u8(buf, off) >> 4 !== 6) return Anomaly.IPV6_BAD_VERSION;
  const payloadLen = u16(buf, off + 4);
  pkt.family = 6;
  // A payload length of 0 means a jumbogram (RFC 2675) or a TSO capture; use what was captured.
  pkt.ipLen = payloadLen === 0 ? end - off : 40 + payloadLen;
  pkt.s0 = i32(buf, off + 8);
  pkt.s1 = i32(buf, off + 12);
  pkt.s2 = i32(buf, off + 16);
  pkt.s3 = i32(buf, off + 20);
  pkt.d0 = i32(buf, off + 24);
  pkt.d1 = i32(buf, off + 28);
  pkt.d2 = i32(buf, off + 32);
  pkt.d3 = i32(buf, off + 36);
  const wireEnd = off + pkt.ipLen;
  const capEnd = Math.min(end, wireEnd);
  let next = u8(buf, off + 6);
  let at = off + 40;
  for (let n = 0; ; n++) {
    if (
      next !== EXT_HOP_BY_HOP &&
      next !== EXT_ROUTING &&
      next !== EXT_FRAGMENT &&
      next !== EXT_DEST_OPTS &&
      next !== EXT_AH
    ) {
      break;
    }
    if (n >= MAX_IPV6_EXTENSIONS) return Anomaly.IPV6_EXT_TOO_LONG;
    if (capEnd - at < 8) return Anomaly.IPV6_EXT_TRUNCATED;
    const hdrNext = u8(buf, at);
    let len: number;
    if (next === EXT_FRAGMENT) {
      // RFC 8200 §4.5: fixed 8 bytes; a non-zero offset means no transport header here.
      const field = u16(buf, at + 2);
      if ((field & 0xfff8) !== 0) pkt.laterFragment = true;
      pkt.moreFragments = (field & 1) !== 0;
      pkt.fragId = i32(buf, at + 4);
      len = 8;
    } else if (next === EXT_AH) {
      // RFC 4302 §2.2: length in 4-byte units, minus 2.
      len = (u8(buf, at + 1) + 2) * 4;
    } else {
      // RFC 8200 §4.3: length in 8-byte units, not counting the first 8.
      len = (u8(buf, at + 1) + 1) * 8;
    }
    next = hdrNext;
    at += len;
    if (at > capEnd) return Anomaly.IPV6_EXT_TRUNCATED;
  }
  pkt.ipProto = next;
  ipResult.transportOffset = at;
  ipResult.wireEnd = wireEnd;
  ipResult.transportEnd = capEnd;
  return Anomaly.OK;
}
