/**
 * Transport decoders: TCP (RFC 9293), UDP (RFC 768), ICMP (RFC 792) and
 * ICMPv6 (RFC 4443). Arguments: the transport header's offset, the end of
 * captured bytes, and the end of the datagram on the wire (which can lie past
 * the capture when the snaplen cut it).
 */
import { Anomaly, type AnomalyCode } from "./anomaly.js";
import { i32, u8, u16, u32 } from "./bytes.js";
import {
  ICMP_UNREACHABLE,
  ICMPV6_UNREACHABLE,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
} from "./constants.js";
import type { Packet } from "./packet.js";

export function decodeTcp(
  buf: Uint8Array,
  off: number,
  capEnd: number,
  wireEnd: number,
  pkt: Packet,
): AnomalyCode {
  if (capEnd - off < 20) return Anomaly.TCP_TRUNCATED;
  const hlen = (u8(buf, off + 12) >> 4) * 4;
  if (hlen < 20 || off + hlen > wireEnd) return Anomaly.TCP_BAD_HEADER_LENGTH;
  pkt.srcPort = u16(buf, off);
  pkt.dstPort = u16(buf, off + 2);
  pkt.seq = u32(buf, off + 4);
  pkt.ack = u32(buf, off + 8);
  pkt.tcpFlags = u8(buf, off + 13);
  pkt.window = u16(buf, off + 14);
  const payload = off + hlen;
  pkt.payloadOffset = payload;
  pkt.payloadLen = wireEnd - payload;
  pkt.payloadCaptured = capEnd > payload ? capEnd - payload : 0;
  return Anomaly.OK;
}

export function decodeUdp(
  buf: Uint8Array,
  off: number,
  capEnd: number,
  wireEnd: number,
  pkt: Packet,
): AnomalyCode {
  if (capEnd - off < 8) return Anomaly.UDP_TRUNCATED;
  const len = u16(buf, off + 4);
  pkt.srcPort = u16(buf, off);
  pkt.dstPort = u16(buf, off + 2);
  // In a first fragment the length covers the whole datagram, not this fragment.
  if (len < 8 || (off + len > wireEnd && !pkt.moreFragments)) return Anomaly.UDP_BAD_LENGTH;
  const payload = off + 8;
  pkt.payloadOffset = payload;
  const dgramEnd = pkt.moreFragments ? wireEnd : off + len;
  pkt.payloadLen = dgramEnd - payload;
  const end = Math.min(capEnd, dgramEnd);
  pkt.payloadCaptured = end > payload ? end - payload : 0;
  return Anomaly.OK;
}

/** ICMP and ICMPv6 share the type/code/checksum layout; the body starts 8 bytes in. */
export function decodeIcmp(
  buf: Uint8Array,
  off: number,
  capEnd: number,
  wireEnd: number,
  pkt: Packet,
  v6: boolean,
): AnomalyCode {
  if (capEnd - off < 8) return v6 ? Anomaly.ICMPV6_TRUNCATED : Anomaly.ICMP_TRUNCATED;
  pkt.icmpType = u8(buf, off);
  pkt.icmpCode = u8(buf, off + 1);
  const body = off + 8;
  pkt.payloadOffset = body;
  pkt.payloadLen = wireEnd - body;
  pkt.payloadCaptured = capEnd > body ? capEnd - body : 0;
  if (pkt.icmpType === (v6 ? ICMPV6_UNREACHABLE : ICMP_UNREACHABLE)) decodeQuote(buf, body, capEnd, pkt);
  return Anomaly.OK;
}

/**
 * Reads the offending packet an unreachable message quotes: its IP header
 * and at least the first 8 bytes of its transport header (RFC 792; RFC 4443
 * §3.1 quotes as much as fits). Leaves `quoted` false when the quote is cut
 * or is not IPv4/IPv6 carrying TCP, UDP, ICMP or ICMPv6 (ICMP quotes carry no ports).
 */
function decodeQuote(buf: Uint8Array, at: number, end: number, pkt: Packet): void {
  if (end - at < 1) return;
  const version = u8(buf, at) >> 4;
  let t: number;
  if (version === 4) {
    if (end - at < 20) return;
    const hlen = (u8(buf, at) & 0x0f) * 4;
    if (hlen < 20) return;
    pkt.qFamily = 4;
    pkt.qProto = u8(buf, at + 9);
    pkt.qs0 = pkt.qs1 = pkt.qs2 = 0;
    pkt.qd0 = pkt.qd1 = pkt.qd2 = 0;
    pkt.qs3 = i32(buf, at + 12);
    pkt.qd3 = i32(buf, at + 16);
    t = at + hlen;
  } else if (version === 6) {
    if (end - at < 40) return;
    pkt.qFamily = 6;
    pkt.qProto = u8(buf, at + 6);
    pkt.qs0 = i32(buf, at + 8);
    pkt.qs1 = i32(buf, at + 12);
    pkt.qs2 = i32(buf, at + 16);
    pkt.qs3 = i32(buf, at + 20);
    pkt.qd0 = i32(buf, at + 24);
    pkt.qd1 = i32(buf, at + 28);
    pkt.qd2 = i32(buf, at + 32);
    pkt.qd3 = i32(buf, at + 36);
    t = at + 40;
    // Extension headers in the quoted packet (RFC 8200 §4): hop-by-hop,
    // routing and destination options (length in 8-byte units after the
    // first 8), fragment (8 bytes). At most 8, within the quote.
    for (let i = 0; i < 8; i++) {
      const nh = pkt.qProto;
      if (nh !== 0 && nh !== 43 && nh !== 60 && nh !== 44) break;
      if (end - t < 8) return;
      pkt.qProto = u8(buf, t);
      t += nh === 44 ? 8 : (u8(buf, t + 1) + 1) * 8;
    }
  } else {
    return;
  }
  if (pkt.qProto === IPPROTO_ICMP || pkt.qProto === IPPROTO_ICMPV6) {
    // An unreachable about an ICMP message (an echo request): its flow is keyed without ports.
    pkt.qSrcPort = 0;
    pkt.qDstPort = 0;
    pkt.quoted = true;
    return;
  }
  if (pkt.qProto !== IPPROTO_TCP && pkt.qProto !== IPPROTO_UDP) return;
  if (end - t < 4) return;
  pkt.qSrcPort = u16(buf, t);
  pkt.qDstPort = u16(buf, t + 2);
  pkt.quoted = true;
}
