/**
 * Protocol status codes' reason phrases that reason texts quote: SIP's
 * (RFC 3261 §21 and Microsoft's), TURN's (RFC 8656 §6.2, RFC 8489 §14.8) and
 * ICMP's destination-unreachable codes (RFC 792, RFC 1812 §5.2.7.1, RFC 4443 §3.1),
 * protocols' names as people write them, and counts and durations in words.
 */

/** TURN's error reason phrases (RFC 8656 §6.2, RFC 8489 §14.8). */
export const TURN_PHRASES: Readonly<Record<number, string>> = {
  401: "Unauthorized",
  403: "Forbidden",
  437: "Allocation Mismatch",
  441: "Wrong Credentials",
  442: "Unsupported Transport Protocol",
  486: "Allocation Quota Reached",
  508: "Insufficient Capacity",
};

/** RFC 3261 §21's reason phrases for the codes a SIP failure names. */
export const SIP_REASON_PHRASES: Readonly<Record<number, string>> = {
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  480: "Temporarily Unavailable",
  488: "Not Acceptable Here",
  500: "Server Internal Error",
  503: "Service Unavailable",
  504: "Server Time-out",
};

/** ICMPv4 destination-unreachable codes (RFC 792, RFC 1812 §5.2.7.1). */
export const ICMP_V4_CODES: Record<number, string> = {
  0: "net unreachable",
  1: "host unreachable",
  2: "protocol unreachable",
  3: "port unreachable",
  4: "fragmentation needed",
  5: "source route failed",
  6: "destination network unknown",
  7: "destination host unknown",
  9: "network administratively prohibited",
  10: "host administratively prohibited",
  11: "network unreachable for type of service",
  12: "host unreachable for type of service",
  13: "communication administratively prohibited",
};
/** ICMPv6 destination-unreachable codes (RFC 4443 §3.1). */
export const ICMP_V6_CODES: Record<number, string> = {
  0: "no route to destination",
  1: "communication administratively prohibited",
  2: "beyond scope of source address",
  3: "address unreachable",
  4: "port unreachable",
  5: "source address failed ingress/egress policy",
  6: "reject route to destination",
};

const PROTOCOL_NAMES: Record<string, string> = {
  quic: "QUIC",
  dtls: "DTLS",
  dns: "DNS",
  mdns: "mDNS",
  llmnr: "LLMNR",
  ntp: "NTP",
  ssdp: "SSDP",
  "netbios-ns": "NetBIOS name service",
  "netbios-dgm": "NetBIOS datagram",
  dhcp: "DHCP",
  snmp: "SNMP",
  syslog: "syslog",
  smb: "SMB",
  rdp: "RDP",
  rfb: "RFB (VNC)",
  ssh: "SSH",
  mysql: "MySQL",
  tds: "TDS (SQL Server)",
  tls: "TLS",
  sip: "SIP",
  http: "HTTP",
  stun: "STUN",
  rtp: "RTP",
  rtcp: "RTCP",
  dcerpc: "DCE/RPC",
  kerberos: "Kerberos",
  ldap: "LDAP",
};

/** A protocol's name as people write it ("QUIC", "DCE/RPC"). */
export function protocolName(protocol: string): string {
  return PROTOCOL_NAMES[protocol] ?? protocol.toUpperCase();
}

/** "1 SYN", "3 SYNs". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** "3.1 s", "250 ms", "0 s". */
export function seconds(micros: number): string {
  if (micros <= 0) return "0 s";
  if (micros < 1_000_000) return `${Math.round(micros / 1000)} ms`;
  return `${(micros / 1_000_000).toFixed(1)} s`;
}

/** A transport as people write it: "UDP", "ICMP", "ICMPv6". */
export function transportText(transport: string): string {
  return transport === "icmpv6" ? "ICMPv6" : transport.toUpperCase();
}
