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
}
