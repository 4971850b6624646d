/**
 * Decodes one frame, link layer to transport, into a reused Packet.
 * Never throws, never allocates: every problem is an anomaly code.
 */
import { Anomaly, type AnomalyCode } from "./anomaly.js";
import { u8 } from "./bytes.js";
import {
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_MPLS,
  ETHERTYPE_MPLS_MULTICAST,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  LINKTYPE_RAW_12,
  LINKTYPE_RAW_14,
} from "./constants.js";
import { decodeIpv4, decodeIpv6 } from "./ip.js";
import { decodeEthernet, decodeNull, decodeRaw, decodeSll, decodeSll2 } from "./link.js";
import type { Packet } from "./packet.js";
import { decodeIcmp, decodeTcp, decodeUdp } from "./transport.js";

export function decodeFrame(
  linkType: number,
  buf: Uint8Array,
  off: number,
  capLen: number,
  pkt: Packet,
): AnomalyCode {
  pkt.reset();
  const end = off + capLen;
  let code: AnomalyCode;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      code = decodeEthernet(buf, off, end, pkt);
      break;
    case LINKTYPE_LINUX_SLL:
      code = decodeSll(buf, off, end, pkt);
      break;
    case LINKTYPE_LINUX_SLL2:
      code = decodeSll2(buf, off, end, pkt);
      break;
    case LINKTYPE_NULL:
      code = decodeNull(buf, off, end, pkt, false);
      break;
    case LINKTYPE_LOOP:
      code = decodeNull(buf, off, end, pkt, true);
      break;
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_12:
    case LINKTYPE_RAW_14:
      code = decodeRaw(buf, off, end, pkt);
      break;
    case LINKTYPE_IPV4:
      code = decodeRaw(buf, off, end, pkt);
      pkt.etherType = ETHERTYPE_IPV4;
      break;
    case LINKTYPE_IPV6:
      code = decodeRaw(buf, off, end, pkt);
      pkt.etherType = ETHERTYPE_IPV6;
      break;
    default:
      return Anomaly.UNSUPPORTED_LINK_TYPE;
  }
  if (code !== Anomaly.OK) return code;
  return decodeNetwork(buf, pkt.ipOffset, end, pkt.etherType, pkt);
}

/** Label stacks deeper than this are not a real network; stop before the loop runs long. */
export const MAX_MPLS_LABELS = 8;

/** From the network header on; `etherType` 0 means "read the IP version nibble"; MPLS label stacks are walked. */
export function decodeNetwork(
  buf: Uint8Array,
  off: number,
  end: number,
  etherType: number,
  pkt: Packet,
): AnomalyCode {
  if (etherType === ETHERTYPE_MPLS || etherType === ETHERTYPE_MPLS_MULTICAST) {
    // RFC 3032 §2.1: 4-byte label stack entries, bottom of stack (S) in bit 8
    // of the third byte; what follows has no type field (RFC 3032 §2.2), so
    // the IP version nibble decides, as it does for raw IP.
    let labels = 0;
    for (;;) {
      if (end - off < 4) return Anomaly.MPLS_TRUNCATED;
      if (++labels > MAX_MPLS_LABELS) return Anomaly.MPLS_TOO_DEEP;
      const bottom = (u8(buf, off + 2) & 1) === 1;
      off += 4;
      if (bottom) break;
    }
    pkt.ipOffset = off;
    etherType = 0;
  }
  if (etherType === 0) {
    if (end - off < 1) return Anomaly.LINK_TRUNCATED;
    const version = u8(buf, off) >> 4;
    etherType = version === 4 ? ETHERTYPE_IPV4 : version === 6 ? ETHERTYPE_IPV6 : -1;
  }
  let code: AnomalyCode;
  if (etherType === ETHERTYPE_IPV4) code = decodeIpv4(buf, off, end, pkt);
  else if (etherType === ETHERTYPE_IPV6) code = decodeIpv6(buf, off, end, pkt);
  else return Anomaly.NON_IP;
  if (code !== Anomaly.OK) return code;
  // A later fragment has no transport header: addresses, protocol and
  // fragment id are filled, ports stay 0. The caller decides what it counts toward.
  if (pkt.laterFragment) return Anomaly.OK;
  const t = pkt.transportOffset;
  const capEnd = pkt.transportEnd;
  const wireEnd = pkt.wireEnd;
  switch (pkt.ipProto) {
    case IPPROTO_TCP:
      return decodeTcp(buf, t, capEnd, wireEnd, pkt);
    case IPPROTO_UDP:
      return decodeUdp(buf, t, capEnd, wireEnd, pkt);
    case IPPROTO_ICMP:
      return decodeIcmp(buf, t, capEnd, wireEnd, pkt, false);
    case IPPROTO_ICMPV6:
      return decodeIcmp(buf, t, capEnd, wireEnd, pkt, true);
    default:
      return Anomaly.OK;
  }
}
