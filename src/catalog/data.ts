/**
 * The OCS 2007 R2 ports-and-protocols catalog, as data.
 *
 * Derived from the seed table (shared/seed/000_f739fc99b338a2c0.txt, 73 data
 * rows; `seedRow` is the 1-based row number). Ports, transports and roles are
 * the seed's facts; descriptions are this project's words. Wherever an entry
 * departs from the seed's text (a typo, a missing cell, a pair split by
 * security) the entry says so in `notes`; test/catalog.test.ts checks every
 * row's ports against the seed file when it is present.
 */
import type {
  CatalogEntry,
  PayloadFamily,
  PortRange,
  PortUse,
  RoleKind,
  Security,
  Transport,
} from "./types.js";

const FE = "Front End Servers";
const LB_FE = "Load balancer for Front End Servers";
const CWA = "Communicator Web Access server";
const GC = "Group Chat Server";
const MON = "Monitoring Server";
const ARC = "Archiving Server";
const DIR = "Director";
const LB_DIR = "Load balancer for Director";
const MED = "Mediation Server";
const RP = "Reverse Proxy";
const EDGE = "Edge Server";
const LB_EDGE = "Load balancer for Edge Servers";
const OC = "Office Communicator";
const LM = "Live Meeting 2007 client";
const MOB = "2007 R2 version of Communicator Mobile";

const KIND: Record<string, RoleKind> = {
  [LB_FE]: "load-balancer",
  [LB_DIR]: "load-balancer",
  [LB_EDGE]: "load-balancer",
  [OC]: "client",
  [LM]: "client",
  [MOB]: "client",
};

const TCP: Transport[] = ["tcp"];
const UDP: Transport[] = ["udp"];
const BOTH: Transport[] = ["tcp", "udp"];

function p(port: number): PortRange {
  return { first: port, last: port };
}
function r(first: number, last: number): PortRange {
  return { first, last };
}

const NOTE_MEDIA_TYPO =
  "seed writes 49152-65335; normalized to 49152-65535, the media range used elsewhere in the seed";
const NOTE_PAIR_5060 =
  "seed lists 5060/5061 as TCP and MTLS together; split by port: 5060 is SIP over plain TCP";
const NOTE_PAIR_5061 = "seed lists 5060/5061 as TCP and MTLS together; split by port: 5061 is SIP over MTLS";
const NOTE_HTTP_443 =
  "protocol cell says TCP (HTTP) but the row describes SIP from outside the intranet on 443, which is SIP over TLS; recorded as sip-tls, security any";

type Row = [
  seedRow: number,
  role: string,
  ports: PortRange[],
  transports: Transport[],
  protocol: string,
  security: Security,
  description: string,
  notes?: string[],
];

const ROWS: Row[] = [
  [
    1,
    FE,
    [p(5060)],
    TCP,
    "sip",
    "plain",
    "SIP between servers and with Communicator, unencrypted",
    [NOTE_PAIR_5060],
  ],
  [
    1,
    FE,
    [p(5061)],
    TCP,
    "sip-tls",
    "tls",
    "SIP between servers and with Communicator over mutual TLS",
    [NOTE_PAIR_5061],
  ],
  [2, FE, [p(443)], TCP, "https", "tls", "Front End to the Web Components farm over HTTPS"],
  [3, FE, [p(444)], TCP, "https", "tls", "Conference Focus to the conferencing servers over HTTPS"],
  [4, FE, [p(80)], TCP, "http", "any", "Front End to the Web Components farm when HTTPS is off"],
  [5, FE, [p(135)], TCP, "rpc", "any", "DCOM/RPC for WMI and user moves when a load balancer is deployed"],
  [6, FE, [p(5062)], TCP, "sip", "any", "SIP listener of the IM conferencing server"],
  [7, FE, [p(5063)], TCP, "sip", "any", "SIP listener of the A/V conferencing server"],
  [8, FE, [p(5064)], TCP, "sip", "any", "SIP listener of the telephony conferencing server"],
  [9, FE, [p(5065)], TCP, "sip", "any", "SIP listener for application sharing"],
  [
    10,
    FE,
    [p(5069)],
    TCP,
    "sip-tls",
    "tls",
    "QoE agent on the Front End",
    ["seed's protocol cell says 'TCP and MTLS': TCP is the transport, MTLS the security"],
  ],
  [11, FE, [p(5071)], TCP, "sip", "any", "SIP listener of the Response Group Service"],
  [12, FE, [p(5072)], TCP, "sip", "any", "SIP listener of Conferencing Attendant"],
  [13, FE, [p(5073)], TCP, "sip", "any", "SIP listener of the Conferencing Announcement Service"],
  [14, FE, [p(5074)], TCP, "sip-tls", "tls", "SIP listener of Outside Voice Control, over TLS"],
  [15, FE, [p(8057)], TCP, "psom", "tls", "PSOM from Live Meeting clients to the Web Conferencing Server"],
  [16, FE, [p(8404)], TCP, "remoting", "tls", "Response Group Service remoting between servers over MTLS"],
  [
    17,
    FE,
    [r(49152, 65535)],
    UDP,
    "rtp",
    "any",
    "Front End media (A/V conferencing) port range",
    [NOTE_MEDIA_TYPO],
  ],
  [18, LB_FE, [p(5060)], TCP, "sip", "plain", "pool virtual IP: unencrypted SIP", [NOTE_PAIR_5060]],
  [18, LB_FE, [p(5061)], TCP, "sip-tls", "tls", "pool virtual IP: SIP over mutual TLS", [NOTE_PAIR_5061]],
  [19, LB_FE, [p(443)], TCP, "https", "tls", "pool virtual IP: Web Components over HTTPS"],
  [20, LB_FE, [p(444)], TCP, "https", "tls", "pool virtual IP: Focus to conferencing servers over HTTPS"],
  [21, LB_FE, [p(135)], TCP, "rpc", "any", "pool virtual IP: DCOM/RPC for WMI and user moves"],
  [22, LB_FE, [p(5065)], TCP, "sip", "any", "pool virtual IP: application sharing SIP listener"],
  [23, LB_FE, [p(5069)], TCP, "sip", "any", "pool virtual IP: QoE agent"],
  [24, LB_FE, [p(5071)], TCP, "sip", "any", "pool virtual IP: Response Group Service SIP listener"],
  [25, LB_FE, [p(5072)], TCP, "sip", "any", "pool virtual IP: Conferencing Attendant SIP listener"],
  [26, LB_FE, [p(5073)], TCP, "sip", "any", "pool virtual IP: Conferencing Announcement SIP listener"],
  [27, LB_FE, [p(5074)], TCP, "sip-tls", "tls", "pool virtual IP: Outside Voice Control over TLS"],
  [
    28,
    CWA,
    [p(80)],
    TCP,
    "http",
    "plain",
    "Communicator Web Access over plain HTTP, when HTTPS is not set up",
  ],
  [
    29,
    CWA,
    [p(88)],
    BOTH,
    "kerberos",
    "any",
    "Kerberos authentication against a domain controller",
    ["protocol cell names only Kerberos; Kerberos runs over both TCP and UDP (RFC 4120 §7.2)"],
  ],
  [
    30,
    CWA,
    [p(389)],
    BOTH,
    "ldap",
    "any",
    "LDAP to a domain controller",
    ["protocol cell names only LDAP; LDAP runs over TCP, and over UDP for DC locator pings (CLDAP)"],
  ],
  [31, CWA, [p(443)], TCP, "https", "tls", "Communicator Web Access over HTTPS"],
  [32, CWA, [p(3268)], TCP, "gc", "any", "LDAP queries to the Active Directory global catalog"],
  [33, CWA, [p(5061)], TCP, "sip", "any", "SIP from Communicator Web Access to the pool"],
  [
    34,
    CWA,
    [r(49152, 65535)],
    BOTH,
    "desktop-sharing",
    "any",
    "desktop sharing sessions of Communicator Web Access",
    [
      "seed's protocol cell is empty; both transports recorded",
      "seed names the role 'Communicator Web Access'; normalized to 'Communicator Web Access server'",
      "seed writes the range as '49152 to 65535'",
    ],
  ],
  [
    35,
    GC,
    [r(49152, 65535)],
    TCP,
    "sip-tls",
    "tls",
    "Group Chat SIP over TLS to the OCS servers",
    [
      NOTE_MEDIA_TYPO,
      "seed names the role 'Microsoft Office Communications Server 2007 R2 Group Chat Server'; normalized to 'Group Chat Server'",
    ],
  ],
  [36, GC, [p(443)], TCP, "https", "tls", "file transfer through the Group Chat Web service"],
  [37, GC, [p(8010)], TCP, "wcf", "tls", "peer synchronization (WCF) of the Lookup Server"],
  [38, GC, [p(8011)], TCP, "wcf", "tls", "peer synchronization (WCF) of the Channel Server"],
  [39, GC, [p(5041)], TCP, "sip-tls", "tls", "listening port of the Channel service, mutual TLS"],
  [40, MON, [p(135)], TCP, "rpc", "any", "Message Queuing RPC to the Monitoring Server"],
  [41, ARC, [p(135)], TCP, "rpc", "any", "Message Queuing RPC to the Archiving Server"],
  [42, DIR, [p(5060), p(5061)], TCP, "sip", "any", "SIP between servers through the Director"],
  [43, LB_DIR, [p(5060), p(5061)], TCP, "sip", "any", "Director pool virtual IP: SIP between servers"],
  [44, MED, [r(60000, 64000)], UDP, "rtp", "any", "Mediation Server media port range"],
  [45, MED, [p(5061)], TCP, "sip", "any", "Mediation Server SIP listener"],
  [46, MED, [p(5060)], TCP, "sip", "any", "Mediation Server gateway listener and next hop"],
  [47, RP, [p(443)], TCP, "sip-tls", "any", "external users' traffic through the reverse proxy"],
  [48, EDGE, [p(5061)], TCP, "sip-tls", "any", "remote access and federation SIP (MTLS) on the Access Edge"],
  [49, EDGE, [p(5062)], TCP, "sip-tls", "any", "A/V Edge authentication of A/V users (SIP/MTLS)"],
  [
    50,
    EDGE,
    [p(443)],
    TCP,
    "sip-tls",
    "any",
    "remote-user SIP/TLS, Web conferences and STUN/TCP media relay",
  ],
  [51, EDGE, [p(8057)], TCP, "psom", "any", "PSOM (MTLS) from the Web Conferencing Server, internal side"],
  [52, EDGE, [p(3478)], UDP, "stun", "any", "STUN/UDP media relay, inbound and outbound"],
  [
    53,
    EDGE,
    [r(50000, 59999)],
    TCP,
    "rtp",
    "any",
    "A/V Edge media relay range through the external firewall",
    ["seed writes the range as '50,000-59,999'; normalized to 50000-59999", "protocol cell says RTP/TCP"],
  ],
  [
    54,
    LB_EDGE,
    [p(443)],
    TCP,
    "sip-tls",
    "any",
    "Edge internal virtual IP: SIP/TLS, Web conferences, STUN/TCP",
  ],
  [55, LB_EDGE, [p(5061)], TCP, "sip-tls", "any", "Edge internal virtual IP: SIP/MTLS"],
  [56, LB_EDGE, [p(5062)], TCP, "sip-tls", "any", "Edge internal virtual IP: A/V authentication (SIP/MTLS)"],
  [57, LB_EDGE, [p(3478)], UDP, "stun", "any", "Edge internal virtual IP: STUN/UDP"],
  [
    58,
    LB_EDGE,
    [p(443)],
    TCP,
    "sip-tls",
    "any",
    "Edge external virtual IP: SIP/TLS, Web conferences, STUN/TCP",
  ],
  [
    59,
    LB_EDGE,
    [p(5061)],
    TCP,
    "sip-tls",
    "any",
    "Edge external virtual IP: SIP/MTLS for remote users and federation",
  ],
  [
    60,
    LB_EDGE,
    [p(3478)],
    UDP,
    "stun",
    "any",
    "Edge external virtual IP: STUN/UDP",
    ["protocol cell says TCP but the row describes STUN/UDP; recorded as UDP"],
  ],
  [61, OC, [p(5060)], TCP, "sip", "plain", "Communicator's SIP inside the intranet, unencrypted"],
  [62, OC, [p(5061)], TCP, "sip-tls", "any", "Communicator's SIP inside the intranet and A/V authentication"],
  [63, OC, [p(443)], TCP, "sip-tls", "any", "Communicator's SIP from outside the intranet", [NOTE_HTTP_443]],
  [
    64,
    OC,
    [r(1024, 65535)],
    BOTH,
    "rtp",
    "any",
    "Communicator's own media ports, any unprivileged port",
    ["client media range: on its own it does not make a flow known"],
  ],
  [65, OC, [r(6891, 6901)], TCP, "file-transfer", "any", "Communicator file transfer"],
  [
    66,
    LM,
    [p(443)],
    TCP,
    "sip-tls",
    "any",
    "Live Meeting from outside: SIP to the Access Edge, PSOM to Web Conferencing Edge",
  ],
  [67, LM, [p(8057)], TCP, "psom", "any", "Live Meeting PSOM to the Web Conferencing Server"],
  [
    68,
    LM,
    [p(5061)],
    TCP,
    "sip-tls",
    "any",
    "Live Meeting SIP/TLS to the pool or Access Edge, A/V authentication",
  ],
  [
    69,
    LM,
    [r(1024, 65535)],
    BOTH,
    "rtp",
    "any",
    "Live Meeting's own media ports, any unprivileged port",
    ["client media range: on its own it does not make a flow known"],
  ],
  [70, LM, [r(6891, 6901)], TCP, "file-transfer", "any", "Live Meeting file transfer"],
  [71, MOB, [p(5060)], TCP, "sip", "plain", "Communicator Mobile SIP inside the intranet, unencrypted"],
  [72, MOB, [p(5061)], TCP, "sip-tls", "any", "Communicator Mobile SIP over TLS inside the intranet"],
  [
    73,
    MOB,
    [p(443)],
    TCP,
    "sip-tls",
    "any",
    "Communicator Mobile SIP from outside the intranet",
    [NOTE_HTTP_443],
  ],
];

const CONNECT_CLIENT =
  "portUse connect: the client opens this connection to a server's port; it is not a port the client listens on";
const CONNECT_DC =
  "portUse connect: the CWA server connects to this port on a domain controller, which is not an OCS role";
/**
 * Rows whose ports are not the role's own listening port (docs/verdict-rules.md §2),
 * with the reason for each choice; every other row is "listen".
 */
const PORT_USE: Record<number, [PortUse, string]> = {
  29: ["connect", CONNECT_DC],
  30: ["connect", CONNECT_DC],
  32: ["connect", CONNECT_DC],
  61: ["connect", CONNECT_CLIENT],
  62: ["connect", CONNECT_CLIENT],
  63: ["connect", CONNECT_CLIENT],
  66: ["connect", CONNECT_CLIENT],
  67: ["connect", CONNECT_CLIENT],
  68: ["connect", CONNECT_CLIENT],
  71: ["connect", CONNECT_CLIENT],
  72: ["connect", CONNECT_CLIENT],
  73: ["connect", CONNECT_CLIENT],
  17: ["media", "portUse media: the seed's media range for A/V conferencing, used in both directions"],
  34: ["media", "portUse media: desktop-sharing sessions on a dynamic range, not a listening port"],
  35: [
    "source",
    "portUse source: the range Group Chat sends its SIP/TLS connections from, not a port anything listens on (Windows' dynamic port range)",
  ],
  44: ["media", "portUse media: the Mediation Server's media range, used in both directions"],
  53: ["media", "portUse media: the A/V Edge relay range, used in both directions"],
  64: [
    "media",
    "portUse media: the seed says inbound and outbound media on any unprivileged port; media in the payload (or a topology) is what makes it peer-to-peer client media",
  ],
  69: [
    "media",
    "portUse media: the seed says inbound and outbound media on any unprivileged port; media in the payload (or a topology) is what makes it peer-to-peer client media",
  ],
};

/** Rows that accept more than their protocol cell names. */
const ALLOWS: Record<number, [PayloadFamily[], string]> = {
  50: [["stun"], "allows stun: the row describes STUN/TCP media relay on 443"],
  54: [["stun"], "allows stun: the row describes STUN/TCP media relay on 443"],
  58: [["stun"], "allows stun: the row describes STUN/TCP media relay on 443"],
};

/** Number of data rows in the seed table. */
export const SEED_ROWS = 73;

export const CATALOG: readonly CatalogEntry[] = ROWS.map(
  ([seedRow, role, ports, transports, protocol, security, description, notes], id) => ({
    id,
    role,
    roleKind: KIND[role] ?? "server",
    ports,
    transports,
    protocol,
    security,
    description,
    seedRow,
    notes: [
      ...(notes ?? []),
      ...(PORT_USE[seedRow] ? [PORT_USE[seedRow][1]] : []),
      ...(ALLOWS[seedRow] ? [ALLOWS[seedRow][1]] : []),
    ],
    clientRange: seedRow === 64 || seedRow === 69,
    portUse: PORT_USE[seedRow]?.[0] ?? "listen",
    allows: ALLOWS[seedRow]?.[0] ?? [],
    product: "ocs2007r2",
    source: `OCS 2007 R2 ports and protocols table (the seed), row ${seedRow}`,
  }),
);
