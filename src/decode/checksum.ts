/**
 * TCP and UDP checksum verification (RFC 9293 §3.1, RFC 768, RFC 8200 §8.1):
 * the one's-complement sum over a pseudo-header and the whole segment must
 * be 0xffff. Only possible when the segment was captured whole; a UDP
 * checksum of 0 over IPv4 means "not computed" and passes.
 *
 * Hosts that offload checksums to the NIC write wrong ones in captures taken
 * on themselves, so the caller decides whether to look at all.
 */
import { u16 } from "./bytes.js";
import { IPPROTO_TCP, IPPROTO_UDP } from "./constants.js";
import type { Packet } from "./packet.js";

/** The two 16-bit halves of an address word (held as int32), summed. */
function words(w: number): number {
  return (w >>> 16) + (w & 0xffff);
}

/** True when the checksum is wrong; false when it is right or cannot be checked. */
export function badTransportChecksum(buf: Uint8Array, pkt: Packet, transportOffset: number): boolean {
  const proto = pkt.ipProto;
  if ((proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) || pkt.laterFragment || pkt.moreFragments)
    return false;
  const segEnd = pkt.payloadOffset + pkt.payloadLen;
  const segLen = segEnd - transportOffset;
  if (segLen <= 0 || pkt.payloadCaptured < pkt.payloadLen) return false;
  if (proto === IPPROTO_UDP && pkt.family === 4 && u16(buf, transportOffset + 6) === 0) return false;
  // The pseudo-header's addresses (IPv4's are the last words; the others are 0), no array made.
  let sum = words(pkt.s3) + words(pkt.d3);
  if (pkt.family !== 4)
    sum += words(pkt.s0) + words(pkt.s1) + words(pkt.s2) + words(pkt.d0) + words(pkt.d1) + words(pkt.d2);
  sum += proto + segLen;
  let i = transportOffset;
  for (; i + 1 < segEnd; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < segEnd) sum += buf[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return sum !== 0xffff;
}
