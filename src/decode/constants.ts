/**
 * Protocol numbers and well-known values the decoders and the flow table
 * share: one home for each.
 */

/** Link-layer header types: tcpdump.org "LINK-LAYER HEADER TYPES" (also pcapng's LinkType). */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW_12 = 12;
export const LINKTYPE_RAW_14 = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/** EtherTypes (IEEE 802 numbers registry). */
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_8021Q = 0x8100;
export const ETHERTYPE_8021AD = 0x88a8;
/** Pre-standard QinQ outer tag, still sent by some switches. */
export const ETHERTYPE_QINQ_OLD = 0x9100;
/** RFC 5332: 0x8847 carries MPLS unicast, 0x8848 multicast (upstream-assigned labels). */
export const ETHERTYPE_MPLS = 0x8847;
export const ETHERTYPE_MPLS_MULTICAST = 0x8848;

/** IP protocol numbers (IANA "Assigned Internet Protocol Numbers"). */
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

/** IPv6 extension headers walked to the transport header (RFC 8200 §4). */
export const IPV6_EXT_HOP_BY_HOP = 0;
export const IPV6_EXT_ROUTING = 43;
export const IPV6_EXT_FRAGMENT = 44;
export const IPV6_EXT_AH = 51;
export const IPV6_EXT_DEST_OPTS = 60;

/** TCP flag bits (RFC 9293 §3.1). */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** ICMP (RFC 792) and ICMPv6 (RFC 4443) destination-unreachable types. */
export const ICMP_UNREACHABLE = 3;
export const ICMPV6_UNREACHABLE = 1;
