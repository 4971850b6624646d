/**
 * Transport decoders: TCP (RFC 9293), UDP (RFC 768), ICMP (RFC 792) and
 * ICMPv6 (RFC 4443). Arguments: the transport header's offset, the end of
 * captured bytes, and the end of the datagram on the wire (which can lie past
 * the capture when the snaplen cut it).
 */
import { Anomaly, type AnomalyCode } from "./anomaly.js";
import { u8, u16, u32 } from "./bytes.js";
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
  return Anomaly.OK;
}
