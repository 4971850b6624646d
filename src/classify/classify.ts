/**
 * Decides each flow's verdict against the catalog, with the evidence for it.
 *
 * Port: the service port is the responder's port; matches come ranked from
 * the catalog index (exact port first, then narrower ranges).
 *
 * Evidence from the flow itself (TCP and UDP):
 * - `icmp_unreachable`: an ICMP/ICMPv6 destination unreachable quoting the
 *   flow's packets, and no reply. Filtered by policy: ICMP codes 9, 10, 13,
 *   ICMPv6 code 1; closed port: ICMP code 3, ICMPv6 code 4; no route: the rest
 *   (RFC 792, RFC 1812 §5.2.7.1, RFC 4443 §3.1).
 * - `syn_no_reply`: Zeek conn_state S0, SH or RSTOS0: SYNs never answered.
 * - `syn_rejected`: REJ, a SYN answered by RST.
 * - `reset_after_handshake`: RSTR after the client's first data, the
 *   responder having sent none (a middlebox rejecting TLS or SIP).
 * - `udp_no_reply`: only the originator sent, either at least 2 packets over
 *   at least 1 s, or a request (STUN binding, SIP) that got no answer.
 * Inconclusive instead, when the capture cannot tell:
 * - `one_sided_capture`: the client acknowledged or sent data after its SYN,
 *   so it got a reply the capture does not hold (asymmetric path);
 * - `near_capture_end`: the attempt started in the last 3 s of the capture;
 * - `midstream`: TCP without a SYN (conn_state OTH): the capture began
 *   after the connection opened.
 *
 * Misdirected, from the payload and (with a topology) from where endpoints live:
 * - `transport_mismatch`: the port is catalogued only for the other transport;
 * - `protocol_mismatch`: the identified payload contradicts what the matching
 *   rows' protocol cells name (MTLS, TLS, HTTPS → TLS; HTTP → plain HTTP;
 *   SIP on 5060 → SIP in the clear; STUN/UDP → STUN). A bare "TCP" names no
 *   expectation; STUN over TCP is allowed where a row describes STUN/TCP
 *   (Edge 443); TLS carrying SIP and TLS carrying HTTP are not told apart;
 * - `role_mismatch`: the server's address belongs to a role whose rows do not
 *   list the port and transport, while another role's rows do;
 * - `range_mismatch`: a role's endpoint uses a media port outside that role's
 *   media range (Mediation 60000–64000, Edge 50000–59999, …);
 * - `wrong_direction`: a server role opened a connection to a client network
 *   on a port clients connect to (the catalog's client rows).
 *
 * Verdict: `unknown` when no catalog entry covers the port (not_in_catalog)
 * or only the client media range 1024–65535 does (client_range_only), unless
 * the payload is media (RTP, RTCP, STUN) or, for UDP, a topology puts both
 * endpoints in client networks (client_media: peer-to-peer media, known); `misdirected`
 * with any misdirection; then `blocked` with blocking evidence,
 * `inconclusive` with inconclusive evidence, else `known`. Evidence is kept
 * as extra reasons on unknown and misdirected flows too.
 */
import { Address6 } from "ip-address";
import type { CatalogIndex, CatalogMatch } from "../catalog/index.js";
import { formatPorts } from "../catalog/index.js";
import type { Transport } from "../catalog/types.js";
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from "../decode/packet.js";
import { App, STUN_CHANNEL_DATA, STUN_MS_MULTIPLEX, STUN_MS_TURN } from "../decode/signatures.js";
import { FirstPayload, type Flow, type IcmpEvidence } from "../flow/table.js";
import type { ConnState } from "../flow/tcp.js";
import type { Place, Topology } from "./topology.js";

export type Verdict = "known" | "unknown" | "blocked" | "misdirected" | "inconclusive";
export const VERDICTS: readonly Verdict[] = ["known", "unknown", "blocked", "misdirected", "inconclusive"];

export interface Reason {
  /** Stable code; see the README's reason table. */
  code: string;
  message: string;
}

/** What the flow's payload is, and how sure that is. */
export interface Application {
  protocol: string;
  /** "signature": identified from the bytes; "port-only": from the catalog; "unidentified": neither. */
  confidence: "signature" | "port-only" | "unidentified";
  /** A TLS ClientHello's server name, when present. */
  sni?: string;
}

export interface Classified {
  /** Valid only while the flow table's `onFinal` callback runs. */
  flow: Flow;
  application: Application;
  verdict: Verdict;
  /** Catalog entries for the service port, most specific first (for transport_mismatch: the other transport's). */
  matches: readonly CatalogMatch[];
  state: ConnState;
  history: string;
  /** Evidence, strongest first; a shared empty list when there is none. */
  reasons: readonly Reason[];
}

export interface ClassifyContext {
  /** Time of the capture's last packet, when the capture has ended; null while it is still being read. */
  captureEnd: number | null;
  /** Where roles and clients live, when the user gave a topology file. */
  topology?: Topology | null;
}

/** Attempts that started this close to the end of the capture may have been answered after it. */
export const NEAR_END_MICROS = 3_000_000;

const NO_MATCHES: readonly CatalogMatch[] = Object.freeze([]);
const NO_REASONS: readonly Reason[] = Object.freeze([]);

export function transportName(ipProto: number): string {
  switch (ipProto) {
    case IPPROTO_TCP:
      return "tcp";
    case IPPROTO_UDP:
      return "udp";
    case IPPROTO_ICMP:
      return "icmp";
    case IPPROTO_ICMPV6:
      return "icmpv6";
    default:
      return `ip-proto-${ipProto}`;
  }
}

interface Evidence {
  blocked: Reason[];
  inconclusive: Reason[];
}

export function classifyFlow(flow: Flow, index: CatalogIndex, context: ClassifyContext): Classified {
  const history = flow.history();
  const state = flow.connState(history);
  const evidence = flowEvidence(flow, state, history, context);
  const extra: readonly Reason[] =
    evidence === NO_EVIDENCE ? NO_REASONS : [...evidence.blocked, ...evidence.inconclusive];
  let application = observedApplication(flow);
  const verdict = (v: Verdict, matches: readonly CatalogMatch[], ...reasons: Reason[]): Classified => ({
    flow,
    application,
    verdict: v,
    matches,
    state,
    history,
    reasons: reasons.length > 0 ? reasons : NO_REASONS,
  });

  if (flow.ipProto !== IPPROTO_TCP && flow.ipProto !== IPPROTO_UDP) {
    return verdict("unknown", NO_MATCHES, {
      code: "not_in_catalog",
      message: `${transportName(flow.ipProto).toUpperCase()} is not in the OCS port catalog`,
    });
  }

  const transport: Transport = flow.ipProto === IPPROTO_TCP ? "tcp" : "udp";
  const other: Transport = transport === "tcp" ? "udp" : "tcp";
  const port = flow.respPort;
  const topology = context.topology ?? null;
  const origPlace = topology ? topology.placeOf(flow.family, words(flow, true)) : null;
  const respPlace = topology ? topology.placeOf(flow.family, words(flow, false)) : null;

  // Where the endpoints live can show a misdirection whatever the port's rows say.
  const placed: Reason[] = [];
  if (topology) {
    const range = rangeMismatch(flow, index, transport, origPlace, respPlace);
    if (range) placed.push(range);
    const direction = wrongDirection(flow, index, transport, port, origPlace, respPlace);
    if (direction) placed.push(direction);
  }

  const service = index.lookupService(transport, port);
  if (service.length > 0) {
    let matches = index.lookup(transport, port);
    const misdirected: Reason[] = [...placed];
    if (topology) {
      // With a topology, a row applies when either endpoint lives in its role.
      // Client rows (Office Communicator, Live Meeting, Mobile) apply where an endpoint is in a client network.
      const clientSide = origPlace?.kind === "clients" || respPlace?.kind === "clients";
      const here = matches.filter(
        (m) =>
          (m.entry.roleKind === "client" && clientSide) ||
          m.entry.role === origPlace?.role ||
          m.entry.role === respPlace?.role,
      );
      const betweenClients = origPlace?.kind === "clients" && respPlace?.kind === "clients";
      if (here.some((m) => !m.entry.clientRange && m.entry.roleKind !== "client")) {
        matches = here;
      } else if (
        betweenClients &&
        placed.length === 0 &&
        (transport === "udp" || isMedia(flow.origApp) || isMedia(flow.respApp))
      ) {
        // Both ends are clients: the server rows for this port are not theirs.
        const clientRows = here.filter((m) => m.entry.clientRange);
        return verdict("known", clientRows, {
          code: "client_media",
          message: `peer-to-peer client media on the clients' own ports: ${isMedia(flow.origApp) || isMedia(flow.respApp) ? `${application.protocol.toUpperCase()} identified in the payload` : "the topology puts both endpoints in client networks"}`,
        });
      } else if (respPlace?.kind === "role" && respPlace.role !== null && placed.length === 0) {
        misdirected.push(roleMismatch(flow, port, transport, respPlace, service));
      }
    }
    const mismatch = protocolMismatch(flow, matches, port, transport);
    if (mismatch) misdirected.unshift(mismatch);
    if (application.confidence === "unidentified") application = portOnly(matches);
    if (misdirected.length > 0) return verdict("misdirected", matches, ...misdirected, ...extra);
    if (evidence.blocked.length > 0) return verdict("blocked", matches, ...extra);
    if (evidence.inconclusive.length > 0) return verdict("inconclusive", matches, ...evidence.inconclusive);
    return verdict("known", matches);
  }
  if (placed.length > 0) return verdict("misdirected", index.lookup(transport, port), ...placed, ...extra);
  const otherMatches = index.lookupService(other, port);
  if (otherMatches.length > 0) {
    return verdict(
      "misdirected",
      otherMatches,
      {
        code: "transport_mismatch",
        message: `${port}/${transport} is catalogued only for ${other.toUpperCase()} (${roleList(otherMatches)})`,
      },
      ...extra,
    );
  }
  const clientRange = index.lookup(transport, port);
  if (clientRange.length > 0) {
    const media = isMedia(flow.origApp) || isMedia(flow.respApp);
    // Topology alone vouches only for UDP: client-to-client TCP on high ports is RDP, SMB, … more often than media.
    const betweenClients =
      transport === "udp" && origPlace?.kind === "clients" && respPlace?.kind === "clients";
    if (media || betweenClients) {
      const why = media
        ? `${application.protocol.toUpperCase()} identified in the payload`
        : "the topology puts both endpoints in client networks";
      return verdict("known", clientRange, {
        code: "client_media",
        message: `peer-to-peer client media on the clients' own ports (${formatPorts(clientRange[0]!.entry.ports)}): ${why}`,
      });
    }
    return verdict(
      "unknown",
      NO_MATCHES,
      {
        code: "client_range_only",
        message: `${port}/${transport} falls only in the client media range ${formatPorts(clientRange[0]!.entry.ports)}, which alone does not identify OCS traffic`,
      },
      ...extra,
    );
  }
  return verdict(
    "unknown",
    NO_MATCHES,
    { code: "not_in_catalog", message: `no catalog entry for ${port}/${transport}` },
    ...extra,
  );
}

// --- Payload ----------------------------------------------------------------------

/** A category of payload, to compare with what the catalog expects. */
type Category = "tls" | "sip" | "http" | "stun" | "rtp" | "dcerpc" | "kerberos" | "ldap";

const CATEGORY_NAMES: Record<Category, string> = {
  tls: "TLS",
  sip: "plaintext SIP",
  http: "plain HTTP",
  stun: "STUN/TURN",
  rtp: "RTP",
  dcerpc: "DCE/RPC",
  kerberos: "Kerberos",
  ldap: "LDAP",
};

function category(app: App): Category | null {
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

function isMedia(app: App): boolean {
  return app === App.Rtp || app === App.Rtcp || app === App.Stun;
}

/** Shared Application objects, so flows without a server name share one (and its JSON). */
const applications = new Map<string, Application>();

function sharedApplication(protocol: string, confidence: Application["confidence"]): Application {
  const key = `${protocol}/${confidence}`;
  let a = applications.get(key);
  if (a === undefined) {
    a = Object.freeze({ protocol, confidence });
    applications.set(key, a);
  }
  return a;
}

function observedApplication(flow: Flow): Application {
  const orig = flow.origApp;
  const resp = flow.respApp;
  const app = category(orig) !== null ? orig : resp;
  const sni = flow.sni;
  if (category(app) === null) return sharedApplication("unknown", "unidentified");
  let protocol: string = category(app)!;
  if (app === App.Rtcp) protocol = "rtcp";
  if (app === App.Stun) {
    const detail = flow.appDetail(app === orig);
    protocol =
      detail === STUN_MS_TURN
        ? "ms-turn"
        : detail === STUN_CHANNEL_DATA
          ? "turn-channel"
          : detail === STUN_MS_MULTIPLEX
            ? "ms-turn-multiplex"
            : "stun";
  }
  return sni !== null ? { protocol, confidence: "signature", sni } : sharedApplication(protocol, "signature");
}

function portOnly(matches: readonly CatalogMatch[]): Application {
  const best = matches.find((m) => !m.entry.clientRange) ?? matches[0];
  return best
    ? sharedApplication(best.entry.protocol, "port-only")
    : sharedApplication("unknown", "unidentified");
}

interface Expectation {
  expected: Set<Category>;
  why: string[];
}

/** Expectations per match list (the index shares one list among all ports with the same rows). */
const expectationCache = new WeakMap<readonly CatalogMatch[], Expectation>();

function expectations(matches: readonly CatalogMatch[], transport: Transport): Expectation {
  let e = expectationCache.get(matches);
  if (e === undefined) {
    e = computeExpectations(matches, transport);
    expectationCache.set(matches, e);
  }
  return e;
}

/** What the matching rows' protocol cells expect on the wire; empty when none names a protocol. */
function computeExpectations(matches: readonly CatalogMatch[], transport: Transport): Expectation {
  const expected = new Set<Category>();
  const allowed = new Set<Category>();
  const why: string[] = [];
  for (const { entry } of matches) {
    if (entry.clientRange) continue;
    if (entry.security === "tls") {
      expected.add("tls");
      why.push(`${entry.role}: ${entry.protocol}`);
    } else if (entry.security === "plain" && (entry.protocol === "http" || entry.protocol === "sip")) {
      expected.add(entry.protocol);
      why.push(`${entry.role}: ${entry.protocol} in the clear`);
    } else if (entry.protocol === "stun" && transport === "udp") {
      expected.add("stun");
      why.push(`${entry.role}: STUN`);
    }
    // Rows describing STUN over TCP (the Edge's 443) let MS-TURN through.
    if (/STUN\/TCP/i.test(entry.description)) allowed.add("stun");
  }
  for (const a of allowed) if (expected.size > 0) expected.add(a);
  return { expected, why };
}

function protocolMismatch(
  flow: Flow,
  matches: readonly CatalogMatch[],
  port: number,
  transport: Transport,
): Reason | null {
  const seen = category(flow.origApp) ?? category(flow.respApp);
  if (seen === null) return null;
  const { expected, why } = expectations(matches, transport);
  if (expected.size === 0 || expected.has(seen)) return null;
  const want = [...expected].map((c) => CATEGORY_NAMES[c]).join(" or ");
  const roles = [...new Set(why)].slice(0, 3).join("; ");
  return {
    code: "protocol_mismatch",
    message: `${CATEGORY_NAMES[seen]} on ${port}/${transport}, where the catalog expects ${want} (${roles})`,
  };
}

// --- Topology ---------------------------------------------------------------------

function words(flow: Flow, orig: boolean): number[] {
  return [flow.addrWord(orig, 0), flow.addrWord(orig, 1), flow.addrWord(orig, 2), flow.addrWord(orig, 3)];
}

function roleMismatch(
  flow: Flow,
  port: number,
  transport: Transport,
  resp: Place,
  service: readonly CatalogMatch[],
): Reason {
  const serving = roleList(service);
  return {
    code: "role_mismatch",
    message: `${port}/${transport} was sent to ${placeText(flow, false, resp)}, whose catalog rows do not list ${port}/${transport}; ${serving} ${service.length === 1 ? "does" : "do"}`,
  };
}

/** A server role opening a connection to a client network, on a port clients connect to. */
function wrongDirection(
  flow: Flow,
  index: CatalogIndex,
  transport: Transport,
  port: number,
  orig: Place | null,
  resp: Place | null,
): Reason | null {
  if (orig?.kind !== "role" || resp?.kind !== "clients") return null;
  const clientRows = index
    .lookupService(transport, port)
    .filter((m) => m.entry.roleKind === "client" && m.range.first === m.range.last);
  if (clientRows.length === 0) return null;
  return {
    code: "wrong_direction",
    message: `${placeText(flow, true, orig)} opened ${port}/${transport} to client ${placeText(flow, false, resp)}; the catalog has clients connect to ${port}/${transport} (${roleList(clientRows)}), not accept it`,
  };
}

/** A role's endpoint using a media port outside the role's media range. */
function rangeMismatch(
  flow: Flow,
  index: CatalogIndex,
  transport: Transport,
  orig: Place | null,
  resp: Place | null,
): Reason | null {
  const media =
    isMedia(flow.origApp) ||
    isMedia(flow.respApp) ||
    (transport === "udp" &&
      index.lookupService(transport, flow.respPort).every((m) => m.range.first !== m.range.last));
  if (!media) return null;
  for (const [isOrig, place] of [
    [true, orig],
    [false, resp],
  ] as const) {
    if (place?.kind !== "role" || place.role === null) continue;
    const rows = index.entries.filter((e) => e.role === place.role && e.transports.includes(transport));
    const ranges = rows
      .filter((e) => e.protocol === "rtp" && !e.clientRange)
      .flatMap((e) => e.ports.filter((p) => p.first !== p.last));
    if (ranges.length === 0) continue;
    const p = isOrig ? flow.origPort : flow.respPort;
    const inRange = ranges.some((r) => r.first <= p && p <= r.last);
    const servicePort = rows.some((e) => e.ports.some((r) => r.first === r.last && r.first === p));
    if (inRange || servicePort) continue;
    return {
      code: "range_mismatch",
      message: `${place.role} ${placeText(flow, isOrig, place, false)} uses media port ${p}/${transport}, outside its range ${formatPorts(ranges)}`,
    };
  }
  return null;
}

function placeText(flow: Flow, orig: boolean, place: Place, withRole = true): string {
  const addr = formatWords(flow.family, words(flow, orig));
  if (!withRole) return addr;
  return place.kind === "role" ? `${addr} (${place.role})` : addr;
}

/** Shared "nothing found", so the common case allocates nothing. */
const NO_EVIDENCE: Evidence = Object.freeze({ blocked: [], inconclusive: [] }) as Evidence;

function flowEvidence(flow: Flow, state: ConnState, history: string, context: ClassifyContext): Evidence {
  // The cheap common case first: a flow that got answers and is neither
  // mid-stream nor reset cannot carry evidence.
  if (
    flow.respPackets > 0 &&
    flow.icmp === null &&
    state !== "REJ" &&
    state !== "RSTR" &&
    state !== "OTH" &&
    state !== "S0" &&
    state !== "SH" &&
    state !== "RSTOS0"
  ) {
    return NO_EVIDENCE;
  }
  const blocked: Reason[] = [];
  const inconclusive: Reason[] = [];
  const nearEnd =
    context.captureEnd !== null && context.captureEnd - flow.first < NEAR_END_MICROS
      ? seconds(context.captureEnd - flow.first)
      : null;
  const noReply = flow.respPackets === 0;
  const icmp = flow.icmp;
  if (icmp !== null && noReply) blocked.push(icmpReason(icmp));

  if (flow.ipProto === IPPROTO_TCP) {
    const span = seconds(flow.last - flow.first);
    if (state === "S0" || state === "SH" || state === "RSTOS0") {
      // The client acknowledging or sending data means a reply reached it.
      const acked = (flow.origFlags & 0x10) !== 0 || flow.origPayload > 0;
      if (acked && noReply && icmp === null) {
        inconclusive.push({
          code: "one_sided_capture",
          message:
            "the client sent ACKs or data after its SYN, so it received a reply this capture does not contain (capture taken on one side of an asymmetric path?)",
        });
      } else if (nearEnd !== null && icmp === null) {
        inconclusive.push({
          code: "near_capture_end",
          message: `the SYN was sent ${nearEnd} before the capture ended; a reply may have come after it`,
        });
      } else if (icmp === null || blocked.length === 0) {
        const gaveUp =
          state === "S0" ? "" : state === "SH" ? ", client then sent FIN" : ", client then sent RST";
        blocked.push({
          code: "syn_no_reply",
          message: `${plural(flow.origSyns, "SYN")} over ${span}, no reply${gaveUp}`,
        });
      } else {
        blocked.push({
          code: "syn_no_reply",
          message: `${plural(flow.origSyns, "SYN")} over ${span}, no TCP reply`,
        });
      }
    } else if (state === "REJ") {
      blocked.push({
        code: "syn_rejected",
        message: `SYN answered by RST (${plural(flow.origSyns, "SYN")}, ${plural(flow.respPackets, "packet")} back, over ${span})`,
      });
    } else if (state === "RSTR" && flow.origPayload > 0 && flow.respPayload === 0 && history.includes("h")) {
      blocked.push({
        code: "reset_after_handshake",
        message: `the server reset the connection after the client's first data (${plural(flow.origPayload, "byte")}), having sent none: a middlebox rejecting TLS or SIP?`,
      });
    } else if (
      state === "OTH" &&
      !history.includes("S") &&
      !history.includes("s") &&
      !history.includes("H") &&
      !history.includes("h")
    ) {
      const sides =
        flow.origPackets > 0 && flow.respPackets > 0
          ? "both sides sent packets"
          : "only one side sent packets";
      inconclusive.push({
        code: "midstream",
        message: `no SYN seen: the capture began after the connection opened (${sides})`,
      });
    }
  } else if (flow.ipProto === IPPROTO_UDP && noReply && icmp === null) {
    const request = flow.origFirstPayload;
    const isRequest = request === FirstPayload.StunBindingRequest || request === FirstPayload.SipRequest;
    const spanMicros = flow.last - flow.first;
    const repeated = flow.origPackets >= 2 && spanMicros >= 1_000_000;
    if (repeated || isRequest) {
      if (nearEnd !== null && !repeated) {
        inconclusive.push({
          code: "near_capture_end",
          message: `the request was sent ${nearEnd} before the capture ended; an answer may have come after it`,
        });
      } else {
        const what = isRequest
          ? `${request === FirstPayload.StunBindingRequest ? "STUN binding request" : "SIP request"}${flow.origPackets > 1 ? ` (${plural(flow.origPackets, "packet")} over ${seconds(spanMicros)})` : ""}`
          : `${plural(flow.origPackets, "packet")} over ${seconds(spanMicros)}`;
        blocked.push({ code: "udp_no_reply", message: `${what}, no reply` });
      }
    }
  }
  return blocked.length === 0 && inconclusive.length === 0 ? NO_EVIDENCE : { blocked, inconclusive };
}

const ICMP_V4_CODES: Record<number, string> = {
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
const ICMP_V6_CODES: Record<number, string> = {
  0: "no route to destination",
  1: "communication administratively prohibited",
  2: "beyond scope of source address",
  3: "address unreachable",
  4: "port unreachable",
  5: "source address failed ingress/egress policy",
  6: "reject route to destination",
};

function icmpReason(icmp: IcmpEvidence): Reason {
  const name = (icmp.v6 ? ICMP_V6_CODES : ICMP_V4_CODES)[icmp.code] ?? `code ${icmp.code}`;
  const filtered = icmp.v6 ? icmp.code === 1 : icmp.code === 9 || icmp.code === 10 || icmp.code === 13;
  const closed = icmp.v6 ? icmp.code === 4 : icmp.code === 3;
  const meaning = filtered
    ? "filtered by policy (a firewall rejects it)"
    : closed
      ? "closed port (nothing listens there)"
      : "no route (the destination cannot be reached)";
  const from = formatWords(icmp.family, icmp.words);
  return {
    code: "icmp_unreachable",
    message: `${plural(icmp.count, `${icmp.v6 ? "ICMPv6" : "ICMP"} destination unreachable`)} (${name}, code ${icmp.code}) from ${from}: ${meaning}`,
  };
}

function formatWords(family: number, w: readonly number[]): string {
  if (family === 4) {
    const v = w[3]! >>> 0;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  return new Address6(
    w.map((x) => `${((x >>> 16) & 0xffff).toString(16)}:${(x & 0xffff).toString(16)}`).join(":"),
  ).correctForm();
}

function roleList(matches: readonly CatalogMatch[]): string {
  const roles = [...new Set(matches.map((m) => m.entry.role))];
  return roles.length <= 3
    ? roles.join(", ")
    : `${roles.slice(0, 3).join(", ")} and ${roles.length - 3} more`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** "3.1 s", "250 ms", "0 s". */
export function seconds(micros: number): string {
  if (micros <= 0) return "0 s";
  if (micros < 1_000_000) return `${Math.round(micros / 1000)} ms`;
  return `${(micros / 1_000_000).toFixed(1)} s`;
}
