/**
 * Link-layer decoders. Each takes the frame's bytes `[off, end)`, fills the
 * packet, and returns an anomaly code; IP decoding continues from
 * `pkt.ipOffset` with the EtherType the decoder left in `pkt.etherType`.
 *
 * Link-type numbers: tcpdump.org "LINK-LAYER HEADER TYPES" registry.
 */
import { Anomaly, type AnomalyCode } from "./anomaly.js";
import { u16, u32, u32le } from "./bytes.js";
import {
  ETHERTYPE_8021AD,
  ETHERTYPE_8021Q,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ_OLD,
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
import type { Packet } from "./packet.js";

/** More tags than this is not a real network; stop before it becomes a loop. */
export const MAX_VLAN_TAGS = 4;

export const LINK_TYPE_NAMES: Readonly<Record<number, string>> = {
  [LINKTYPE_NULL]: "null",
  [LINKTYPE_ETHERNET]: "ethernet",
  [LINKTYPE_RAW_12]: "raw",
  [LINKTYPE_RAW_14]: "raw",
  [LINKTYPE_RAW]: "raw",
  [LINKTYPE_LOOP]: "loop",
  [LINKTYPE_LINUX_SLL]: "linux-sll",
  [LINKTYPE_IPV4]: "ipv4",
  [LINKTYPE_IPV6]: "ipv6",
  [LINKTYPE_LINUX_SLL2]: "linux-sll2",
};

export function linkTypeName(linkType: number): string {
  return LINK_TYPE_NAMES[linkType] ?? `linktype-${linkType}`;
}

/** Ethernet II (IEEE 802.3) with 802.1Q, 802.1ad and pre-standard 0x9100 tags. */
export function decodeEthernet(buf: Uint8Array, off: number, end: number, pkt: Packet): AnomalyCode {
  if (end - off < 14) return Anomaly.ETHERNET_TRUNCATED;
  return afterTags(buf, off + 14, end, u16(buf, off + 12), pkt);
}

/**
 * VLAN tags (4 bytes each: TCI, then the next EtherType) from `at`, where `type` is the EtherType
 * that came before them; the first tag's VLAN id is kept. Leaves the payload's offset and type.
 */
function afterTags(buf: Uint8Array, at: number, end: number, type: number, pkt: Packet): AnomalyCode {
  let tags = 0;
  while (type === ETHERTYPE_8021Q || type === ETHERTYPE_8021AD || type === ETHERTYPE_QINQ_OLD) {
    if (++tags > MAX_VLAN_TAGS) return Anomaly.VLAN_TOO_DEEP;
    if (end - at < 4) return Anomaly.VLAN_TRUNCATED;
    if (pkt.vlan < 0) pkt.vlan = u16(buf, at) & 0x0fff;
    type = u16(buf, at + 2);
    at += 4;
  }
  pkt.ipOffset = at;
  pkt.etherType = type;
  return Anomaly.OK;
}

/**
 * Linux cooked capture v1: 16-byte header, protocol type at offset 14. When the NIC took the
 * VLAN tag off (offload), libpcap puts it back in cooked captures ("any"): protocol 0x8100, then
 * the tag, as on Ethernet (libpcap pcap-linux.c; tshark decodes it so).
 */
export function decodeSll(buf: Uint8Array, off: number, end: number, pkt: Packet): AnomalyCode {
  if (end - off < 16) return Anomaly.LINK_TRUNCATED;
  return afterTags(buf, off + 16, end, u16(buf, off + 14), pkt);
}

/** Linux cooked capture v2: 20-byte header, protocol type at offset 0; VLAN tags as in v1. */
export function decodeSll2(buf: Uint8Array, off: number, end: number, pkt: Packet): AnomalyCode {
  if (end - off < 20) return Anomaly.LINK_TRUNCATED;
  return afterTags(buf, off + 20, end, u16(buf, off), pkt);
}

/**
 * BSD null (0): a 4-byte address family in the writer's byte order; OpenBSD
 * loop (108): the same in network order. AF_INET is 2 everywhere; AF_INET6 is
 * 24 (NetBSD/OpenBSD), 28 (FreeBSD) or 30 (macOS).
 */
export function decodeNull(
  buf: Uint8Array,
  off: number,
  end: number,
  pkt: Packet,
  networkOrder: boolean,
): AnomalyCode {
  if (end - off < 4) return Anomaly.LINK_TRUNCATED;
  let family = networkOrder ? u32(buf, off) : u32le(buf, off);
  if (!networkOrder && family > 0xffff) family = u32(buf, off);
  pkt.ipOffset = off + 4;
  if (family === 2) pkt.etherType = ETHERTYPE_IPV4;
  else if (family === 24 || family === 28 || family === 30) pkt.etherType = ETHERTYPE_IPV6;
  else return Anomaly.LINK_BAD_FAMILY;
  return Anomaly.OK;
}

/** Raw IP: no link header; the version nibble decides. */
export function decodeRaw(_buf: Uint8Array, off: number, _end: number, pkt: Packet): AnomalyCode {
  pkt.ipOffset = off;
  pkt.etherType = 0;
  return Anomaly.OK;
}
