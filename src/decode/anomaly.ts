/**
 * What a decoder returns instead of throwing, in the spirit of Zeek's "weirds".
 *
 * Codes below FIRST_SKIP are anomalies: malformed input, counted under
 * `capture.anomalies`. Codes from FIRST_SKIP on are normal traffic this tool
 * does not analyse (ARP, unsupported link types, later IP fragments whose
 * first fragment was not seen, pktmon's repeated appearances of a packet),
 * counted under `capture.skipped`.
 */
export const Anomaly = {
  OK: 0,
  ETHERNET_TRUNCATED: 1,
  VLAN_TRUNCATED: 2,
  VLAN_TOO_DEEP: 3,
  IPV4_TRUNCATED: 4,
  IPV4_BAD_VERSION: 5,
  IPV4_BAD_HEADER_LENGTH: 6,
  IPV4_BAD_TOTAL_LENGTH: 7,
  IPV6_TRUNCATED: 8,
  IPV6_BAD_VERSION: 9,
  IPV6_EXT_TRUNCATED: 10,
  IPV6_EXT_TOO_LONG: 11,
  TCP_TRUNCATED: 12,
  TCP_BAD_HEADER_LENGTH: 13,
  UDP_TRUNCATED: 14,
  UDP_BAD_LENGTH: 15,
  ICMP_TRUNCATED: 16,
  ICMPV6_TRUNCATED: 17,
  LINK_TRUNCATED: 18,
  LINK_BAD_FAMILY: 19,
  MPLS_TRUNCATED: 20,
  MPLS_TOO_DEEP: 21,
  // Skips: not malformed, just not analysed.
  NON_IP: 22,
  UNSUPPORTED_LINK_TYPE: 23,
  IP_FRAGMENT_UNMATCHED: 24,
  /** Another appearance of a packet already counted (Windows pktmon logs one per component it passes). */
  PKTMON_REPEAT: 25,
} as const;

export type AnomalyCode = (typeof Anomaly)[keyof typeof Anomaly];

export const FIRST_SKIP: number = Anomaly.NON_IP;

/** Report names, indexed by code. Stable: they appear in JSON reports. */
export const ANOMALY_NAMES: readonly string[] = [
  "ok",
  "ethernet.truncated_header",
  "vlan.truncated_header",
  "vlan.too_many_tags",
  "ipv4.truncated_header",
  "ipv4.bad_version",
  "ipv4.bad_header_length",
  "ipv4.bad_total_length",
  "ipv6.truncated_header",
  "ipv6.bad_version",
  "ipv6.truncated_extension_header",
  "ipv6.extension_chain_too_long",
  "tcp.truncated_header",
  "tcp.bad_header_length",
  "udp.truncated_header",
  "udp.bad_length",
  "icmp.truncated_header",
  "icmpv6.truncated_header",
  "link.truncated_header",
  "link.bad_address_family",
  "mpls.truncated_header",
  "mpls.too_many_labels",
  "non_ip",
  "unsupported_link_type",
  "ip_fragment_unmatched",
  "pktmon_repeat",
];

export const ANOMALY_COUNT = ANOMALY_NAMES.length;
