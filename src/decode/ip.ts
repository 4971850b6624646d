/**
 * IPv4 (RFC 791) and IPv6 (RFC 8200) decoders. They fill the packet's
 * addresses, transport protocol and `ipLen`, and its `transportOffset`,
 * `transportEnd` and `wireEnd`, where the transport decoders start.
 */
import { Anomaly, type AnomalyCode } from "./anomaly.js";
import { i32, u8, u16 } from "./bytes.js";
import {
  IPV6_EXT_AH,
  IPV6_EXT_DEST_OPTS,
  IPV6_EXT_FRAGMENT,
  IPV6_EXT_HOP_BY_HOP,
  IPV6_EXT_ROUTING,
} from "./constants.js";
import type { Packet } from "./packet.js";

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
  pkt.transportOffset = off + hlen;
  pkt.wireEnd = off + total;
  // Ethernet padding can make the frame longer than the datagram.
  pkt.transportEnd = Math.min(end, off + total);
  return Anomaly.OK;
}

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
      next !== IPV6_EXT_HOP_BY_HOP &&
      next !== IPV6_EXT_ROUTING &&
      next !== IPV6_EXT_FRAGMENT &&
      next !== IPV6_EXT_DEST_OPTS &&
      next !== IPV6_EXT_AH
    ) {
      break;
    }
    if (n >= MAX_IPV6_EXTENSIONS) return Anomaly.IPV6_EXT_TOO_LONG;
    if (capEnd - at < 8) return Anomaly.IPV6_EXT_TRUNCATED;
    const hdrNext = u8(buf, at);
    let len: number;
    if (next === IPV6_EXT_FRAGMENT) {
      // RFC 8200 §4.5: fixed 8 bytes; a non-zero offset means no transport header here.
      const field = u16(buf, at + 2);
      if ((field & 0xfff8) !== 0) pkt.laterFragment = true;
      pkt.moreFragments = (field & 1) !== 0;
      pkt.fragId = i32(buf, at + 4);
      len = 8;
    } else if (next === IPV6_EXT_AH) {
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
  pkt.transportOffset = at;
  pkt.wireEnd = wireEnd;
  pkt.transportEnd = capEnd;
  return Anomaly.OK;
}
