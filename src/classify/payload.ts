/**
 * What a flow's payload is, in the catalog's terms: the payload family a
 * signature found (docs/verdict-rules.md §1), whether it is OCS-family,
 * other traffic or media, and what the matching catalog rows accept and
 * demand of it (§2, §3 step 3).
 */

import type { CatalogMatch } from "../catalog/index.js";
import { type CatalogEntry, type PayloadFamily, servicePortUse, type Transport } from "../catalog/types.js";
import { APP_NAMES, App } from "../decode/apps.js";
import { STUN_CHANNEL_DATA, STUN_MS_MULTIPLEX, STUN_MS_TURN } from "../decode/signatures-media.js";
import type { FlowFacts } from "../flow/view.js";

/**
 * What the flow's payload is, and how sure that is. Frozen and shared between
 * flows: one per protocol and confidence, or per protocol and server name.
 */
export interface Application {
  readonly protocol: string;
  /** "signature": identified from the bytes; "port-only": from the catalog; "unidentified": neither. */
  readonly confidence: "signature" | "port-only" | "unidentified";
  /** A TLS ClientHello's server name, when present. */
  readonly sni?: string;
}

/** The OCS-family payload an identified App belongs to; null for other traffic or nothing identified. */
export function payloadFamily(app: App): PayloadFamily | null {
  switch (app) {
    case App.Tls:
      return "tls";
    case App.Sip:
      return "sip";
    case App.Http:
      return "http";
    case App.Stun:
      return "stun";
    case App.Rtp:
    case App.Rtcp:
      return "rtp";
    case App.Dtls:
      return "dtls";
    case App.DceRpc:
      return "dcerpc";
    case App.Kerberos:
      return "kerberos";
    case App.Ldap:
      return "ldap";
    default:
      return null;
  }
}

/** A protocol no OCS 2007 R2 row names (QUIC, DNS, RDP, …): other traffic wherever it is seen. */
export function isOtherTraffic(app: App): boolean {
  return app >= App.Quic && app !== App.Dtls;
}

/** RTP, RTCP, STUN/TURN (all forms) or DTLS. */
export function isMedia(app: App): boolean {
  return app === App.Rtp || app === App.Rtcp || app === App.Stun || app === App.Dtls;
}

/** Identified as something (a family or other traffic); RTP candidates are not yet RTP. */
function identified(app: App): boolean {
  return payloadFamily(app) !== null || isOtherTraffic(app);
}

/** Whether the originator's payload names the flow (identified); else the responder's does. */
export function flowAppIsOrig(flow: FlowFacts): boolean {
  return identified(flow.origApp);
}

/** Shared Application objects, so flows without a server name share one (and its JSON). */
const applications = new Map<string, Application>();

export function sharedApplication(protocol: string, confidence: Application["confidence"]): Application {
  const key = `${protocol}/${confidence}`;
  let a = applications.get(key);
  if (a === undefined) {
    a = Object.freeze({ protocol, confidence });
    applications.set(key, a);
  }
  return a;
}

/** Distinct (protocol, server name) pairs kept as one object each; past it the cache starts again. */
const NAMED_MAX = 4096;
/** By protocol and server name (a protocol name holds no newline: it is a catalog or App name). */
const named = new Map<string, Application>();

/** The frozen Application of a payload that names its server (TLS SNI), shared by every flow with the same pair. */
function namedApplication(protocol: string, sni: string): Application {
  const key = `${protocol}\n${sni}`;
  let a = named.get(key);
  if (a === undefined) {
    if (named.size >= NAMED_MAX) named.clear();
    a = Object.freeze({ protocol, confidence: "signature", sni });
    named.set(key, a);
  }
  return a;
}

/** The protocol name the report gives an identified App. */
export function protocolOf(flow: FlowFacts, app: App, orig: boolean): string {
  if (app === App.Stun) {
    const detail = flow.appDetail(orig);
    return detail === STUN_MS_TURN
      ? "ms-turn"
      : detail === STUN_CHANNEL_DATA
        ? "turn-channel"
        : detail === STUN_MS_MULTIPLEX
          ? "ms-turn-multiplex"
          : "stun";
  }
  return APP_NAMES[app] ?? "unknown";
}

/** Without a server name, one shared Application per protocol name. */
const signatureApps = new Map<string, Application>();
const UNIDENTIFIED: Application = Object.freeze({ protocol: "unknown", confidence: "unidentified" });

export function observedApplication(flow: FlowFacts): Application {
  const orig = flowAppIsOrig(flow);
  const app = orig ? flow.origApp : flow.respApp;
  if (!identified(app)) return UNIDENTIFIED;
  const protocol = protocolOf(flow, app, orig);
  const sni = flow.sni;
  if (sni !== null) return namedApplication(protocol, sni);
  let a = signatureApps.get(protocol);
  if (a === undefined) {
    a = sharedApplication(protocol, "signature");
    signatureApps.set(protocol, a);
  }
  return a;
}

export function portOnly(matches: readonly CatalogMatch[]): Application {
  const best = matches.find((m) => !m.entry.clientRange) ?? matches[0];
  return best
    ? sharedApplication(best.entry.protocol, "port-only")
    : sharedApplication("unknown", "unidentified");
}

// --- What rows accept and demand --------------------------------------------------

const MEDIA: readonly PayloadFamily[] = ["stun", "rtp", "dtls"];

/** Payload families a row accepts on the wire, from its protocol, security and `allows` (§2). */
export function accepts(entry: CatalogEntry): ReadonlySet<PayloadFamily> {
  const out = new Set<PayloadFamily>(entry.allows);
  const plain = entry.security === "plain";
  const any = entry.security === "any";
  // A row that demands TLS accepts TLS, whatever protocol it names (a custom catalog's "xmpp").
  if (entry.security === "tls") out.add("tls");
  switch (entry.protocol) {
    case "sip":
      out.add("sip");
      if (!plain) out.add("tls");
      break;
    case "sip-tls":
      out.add("tls");
      if (any) out.add("sip");
      break;
    case "https":
      out.add("tls");
      if (any) out.add("http");
      break;
    case "psom":
    case "wcf":
    case "remoting":
      out.add("tls");
      break;
    case "http":
      out.add("http");
      if (!plain) out.add("tls");
      break;
    case "rpc":
      out.add("dcerpc");
      break;
    case "kerberos":
      out.add("kerberos");
      break;
    case "ldap":
    case "gc":
      out.add("ldap");
      break;
    case "stun":
    case "rtp":
    case "desktop-sharing":
      for (const f of MEDIA) out.add(f);
      break;
    default:
      break;
  }
  return out;
}

export const FAMILY_TEXT: Record<PayloadFamily, string> = {
  tls: "TLS",
  sip: "plaintext SIP",
  http: "plain HTTP",
  stun: "STUN/TURN",
  rtp: "RTP",
  dtls: "DTLS",
  dcerpc: "DCE/RPC",
  kerberos: "Kerberos",
  ldap: "LDAP",
};

export interface Demands {
  /** What the demanding rows allow between them; empty when no row demands anything. */
  expected: ReadonlySet<PayloadFamily>;
  /** "Role: protocol" for each demanding row, for the evidence text. */
  rows: readonly string[];
  /** Union of what every listen row accepts. */
  accepted: ReadonlySet<PayloadFamily>;
}

/** Per transport and match list (the index shares one list among all ports with the same rows). */
const demandCache: Record<Transport, WeakMap<readonly CatalogMatch[], Demands>> = {
  tcp: new WeakMap(),
  udp: new WeakMap(),
};

/**
 * What the listen rows demand (§3 step 3): TLS for MTLS/TLS/HTTPS rows, SIP in
 * the clear for plain SIP rows, plain HTTP for plain HTTP rows, STUN for a
 * STUN row over UDP; a row's `allows` widens what a demanding port takes.
 */
export function demands(matches: readonly CatalogMatch[], transport: Transport): Demands {
  let d = demandCache[transport].get(matches);
  if (d === undefined) {
    const expected = new Set<PayloadFamily>();
    const allowed = new Set<PayloadFamily>();
    const accepted = new Set<PayloadFamily>();
    const rows: string[] = [];
    for (const { entry } of matches) {
      if (!servicePortUse(entry.portUse)) continue;
      for (const f of accepts(entry)) accepted.add(f);
      if (entry.security === "tls") {
        expected.add("tls");
        rows.push(`${entry.role}: ${entry.protocol}`);
      } else if (entry.security === "plain" && (entry.protocol === "http" || entry.protocol === "sip")) {
        expected.add(entry.protocol);
        rows.push(`${entry.role}: ${entry.protocol} in the clear`);
      } else if (entry.protocol === "stun" && transport === "udp") {
        expected.add("stun");
        rows.push(`${entry.role}: STUN`);
      }
      for (const f of entry.allows) allowed.add(f);
    }
    if (expected.size > 0) for (const f of allowed) expected.add(f);
    d = { expected, rows: [...new Set(rows)].slice(0, 3), accepted };
    demandCache[transport].set(matches, d);
  }
  return d;
}
