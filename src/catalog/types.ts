/**
 * The catalog's types: a port range, a transport, and one catalog entry
 * (role, ports, protocol, how the port is used, what payloads it allows).
 */
export type Transport = "tcp" | "udp";

/** A single port is `{first: p, last: p}`. */
export interface PortRange {
  first: number;
  last: number;
}

/**
 * What the protocol cell demands of the bytes on the wire:
 * - "tls": MTLS, TLS or HTTPS;
 * - "plain": HTTP, or SIP on 5060 where the seed pairs it with MTLS on 5061;
 * - "any": a bare transport ("TCP"), which names no security either way.
 */
export type Security = "tls" | "plain" | "any";

export type RoleKind = "server" | "load-balancer" | "client";

/**
 * How a row's ports are used (docs/verdict-rules.md §2):
 * - "listen": a port the role accepts connections or datagrams on; it matches a responder's port;
 * - "media": a range used both ways for RTP/RTCP/STUN/TURN/DTLS; it claims a flow only with
 *   media in the payload, or when a topology places an endpoint in the row's role;
 * - "connect": a port the role connects *to* on another host (a client's SIP to 5061, the CWA
 *   server's LDAP to a domain controller); it matches a responder's port as "listen" does, but
 *   names the originator's role: with a topology it applies when the originator is in the role;
 * - "source": a range the role sends *from*; it never matches a responder's port.
 */
export type PortUse = "listen" | "connect" | "media" | "source";
export const PORT_USES: readonly PortUse[] = ["listen", "connect", "media", "source"];

/** True for the uses whose port is the responder's own service port ("listen" and "connect"). */
export function servicePortUse(use: PortUse): boolean {
  return use === "listen" || use === "connect";
}

/**
 * Payload families a row can accept on the wire. What a row accepts follows
 * from its protocol and security (`catalog/accepts.ts`); `allows` adds to it.
 */
export type PayloadFamily = "sip" | "tls" | "http" | "stun" | "rtp" | "dtls" | "dcerpc" | "kerberos" | "ldap";
export const PAYLOAD_FAMILIES: readonly PayloadFamily[] = [
  "sip",
  "tls",
  "http",
  "stun",
  "rtp",
  "dtls",
  "dcerpc",
  "kerberos",
  "ldap",
];

export interface CatalogEntry {
  /** Stable position in the catalog (0-based). */
  id: number;
  role: string;
  roleKind: RoleKind;
  ports: PortRange[];
  transports: Transport[];
  /** The application protocol the seed names (sip, sip-tls, https, http, rpc, psom, stun, rtp, …). */
  protocol: string;
  security: Security;
  /** One line, in this project's words. */
  description: string;
  /** 1-based row in the seed table this entry comes from. */
  seedRow: number;
  /** How this entry departs from the seed's text, and why. Empty when it does not. */
  notes: string[];
  /**
   * The client-side media range 1024–65535: it covers ports a client picks for
   * its own media, so matching it alone does not make a flow known.
   */
  clientRange: boolean;
  /** How the row's ports are used; see `PortUse`. */
  portUse: PortUse;
  /** Payload families the row accepts beyond what its protocol and security give (the Edge's 443: STUN over TCP). */
  allows: PayloadFamily[];
  /** The built-in product the row belongs to (`--product`: ocs2007r2, sfb2019, …), or "custom" for a catalog file's. */
  product: string;
  /** Where the row's facts come from: the seed's row, or a published document's table and row. */
  source: string;
}
