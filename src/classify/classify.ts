/**
 * Decides each flow's verdict: the payload first, then the catalog rows for
 * the responder's port, then the flow's own evidence (docs/verdict-rules.md §3):
 *
 * 1. not TCP or UDP: `unknown` (`not_in_catalog`, or `icmp_unmatched` for an
 *    ICMP error quoting no flow of the capture);
 * 2. other traffic (QUIC, DNS, RDP, …): `unknown` `other_protocol`;
 * 3. an OCS-family payload that contradicts what the "listen" rows demand
 *    ("listen" and "connect" rows: both name the responder's port):
 *    `misdirected` `protocol_mismatch`;
 * 4. a listen row that accepts the payload (or an unidentified payload):
 *    matched; an identified payload no listen row accepts: `other_protocol`;
 * 5. rows only for the other transport: `misdirected` `transport_mismatch`
 *    (unless media in a media range claims the flow);
 * 6. only "media" rows: matched with media in the payload or a topology
 *    placing an endpoint in the row's role (`client_media` for the clients'
 *    own range); else `unknown` (`other_protocol`, `media_range_only`,
 *    `client_range_only`); no row at all: `not_in_catalog` or `other_protocol`;
 * 7. a matched flow: `misdirected` with a topology misdirection, else
 *    `blocked` with blocking evidence, `inconclusive` with inconclusive
 *    evidence, else `known`.
 * Evidence (src/classify/evidence.ts) is kept on every verdict, after the
 * reason the verdict rests on.
 */
import type { CatalogIndex, CatalogMatch } from "../catalog/index.js";
import { formatPorts } from "../catalog/index.js";
import type { Transport } from "../catalog/types.js";
import { App } from "../decode/apps.js";
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from "../decode/constants.js";
import type { ConnState } from "../flow/tcp.js";
import type { FlowFacts } from "../flow/view.js";
import { wordsText } from "../format.js";
import { words } from "./address.js";
import { type Evidence, flowEvidence, icmpDetails, NO_EVIDENCE, type ServerNames } from "./evidence.js";
import {
  type Application,
  demands,
  flowAppIsOrig,
  isMedia,
  isOtherTraffic,
  observedApplication,
  payloadFamily,
  portOnly,
  protocolOf,
} from "./payload.js";
import {
  outsideTopology,
  rangeMismatch,
  roleMismatch,
  roleNames,
  rowsAtResponder,
  rowsHere,
  subset,
  windowsManagement,
  wrongDirection,
} from "./placement.js";
import { portReasons, type Reason, reason } from "./reasons.js";
import type { Topology } from "./topology.js";

export { NEAR_END_MICROS } from "./evidence.js";
export type { Application } from "./payload.js";
export type { Reason } from "./reasons.js";

export type Verdict = "known" | "unknown" | "blocked" | "misdirected" | "inconclusive";
export const VERDICTS: readonly Verdict[] = ["known", "unknown", "blocked", "misdirected", "inconclusive"];

export interface Classified {
  /** Valid only while the flow table's `onFinal` callback runs. */
  flow: FlowFacts;
  application: Application;
  verdict: Verdict;
  /** Catalog entries for the service port, most specific first (for transport_mismatch: the other transport's). */
  matches: readonly CatalogMatch[];
  state: ConnState;
  history: string;
  /** The reason the verdict rests on first, then evidence; a shared empty list when there is none. */
  reasons: readonly Reason[];
}

export interface ClassifyContext {
  /** Time of the capture's last packet, when the capture has ended; null while it is still being read. */
  captureEnd: number | null;
  /** Where roles and clients live, when the user gave a topology file. */
  topology?: Topology | null;
  /**
   * TLS 1.0 is what the products expect (OCS 2007 R2's default, among the products or by default):
   * then only SSL 3.0 and TLS 1.1 are `tls_deprecated_version`. False: TLS 1.0 too.
   */
  tls10Expected?: boolean;
}

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

export function classifyFlow(flow: FlowFacts, index: CatalogIndex, context: ClassifyContext): Classified {
  const history = flow.history();
  const state = flow.connState(history);
  const c: Classified = {
    flow,
    application: observedApplication(flow),
    verdict: "unknown",
    matches: NO_MATCHES,
    state,
    history,
    reasons: NO_REASONS,
  };
  const ev = flowEvidence(
    flow,
    state,
    history,
    context.captureEnd,
    serverNames(flow, context.topology),
    toGroup(flow, context.topology),
    context.tls10Expected ?? true,
  );
  return decide(
    c,
    index,
    context,
    ev,
    ev === NO_EVIDENCE ? NO_REASONS : [...ev.blocked, ...ev.inconclusive, ...ev.info],
  );
}

/**
 * Whether the responder is a group address: multicast, or an x.x.x.255 that no network of the
 * topology holds as a host (without a topology every x.x.x.255 is taken for a /24's broadcast).
 */
function toGroup(flow: FlowFacts, topology: Topology | null | undefined): boolean {
  if (!flow.toGroupAddress || !topology || flow.family !== 4) return flow.toGroupAddress;
  const w = flow.addrWord(false, 3) >>> 0;
  return w >>> 28 === 0xe || w === 0xffffffff || !topology.hostInside(4, words(flow, false));
}

/**
 * The FQDNs a topology gives the responder's role, for a TLS flow whose server sent a certificate;
 * else null (the common case: no lookup).
 */
function serverNames(flow: FlowFacts, topology: Topology | null | undefined): ServerNames | null {
  if (!topology || flow.tls === null || flow.tls.certificates.length === 0) return null;
  const place = topology.placeOf(flow.family, words(flow, false));
  if (place?.kind !== "role" || place.role === null) return null;
  const names = topology.namesOf(place.role);
  return names === null ? null : { role: place.role, names: names.names, line: names.line };
}

/** Sets the verdict, its matches and reasons (the reason it rests on first, then `extra`). */
function set(
  c: Classified,
  verdict: Verdict,
  matches: readonly CatalogMatch[],
  first: readonly Reason[],
  extra: readonly Reason[] = NO_REASONS,
): Classified {
  c.verdict = verdict;
  c.matches = matches;
  c.reasons =
    first.length + extra.length === 0 ? NO_REASONS : extra.length === 0 ? first : [...first, ...extra];
  return c;
}

/** Step 7: a matched flow's verdict from its evidence; `own` is the match's own reason (client_media). */
function matched(
  c: Classified,
  ev: Evidence,
  extra: readonly Reason[],
  matches: readonly CatalogMatch[],
  misdirected: readonly Reason[],
  own: readonly Reason[] = NO_REASONS,
): Classified {
  if (c.application.confidence === "unidentified") c.application = portOnly(matches);
  if (misdirected.length > 0) return set(c, "misdirected", matches, misdirected, extra);
  if (ev.blocked.length > 0) return set(c, "blocked", matches, extra, own);
  if (ev.inconclusive.length > 0)
    return set(c, "inconclusive", matches, [...ev.inconclusive, ...own], ev.info);
  return set(c, "known", matches, own, ev.info);
}

function decide(
  c: Classified,
  index: CatalogIndex,
  context: ClassifyContext,
  ev: Evidence,
  extra: readonly Reason[],
): Classified {
  const flow = c.flow;
  if (flow.ipProto !== IPPROTO_TCP && flow.ipProto !== IPPROTO_UDP) {
    const quote = flow.icmpQuote;
    if (quote !== null) {
      const unmatched = reason("icmp_unmatched", {
        ...icmpDetails(quote),
        quotedTransport: transportName(quote.proto),
        quotedSrc: wordsText(quote.family, quote.src),
        quotedSrcPort: quote.srcPort,
        quotedDst: wordsText(quote.family, quote.dst),
        quotedDstPort: quote.dstPort,
      });
      // The catalog rows of the quoted port show whose service the error is about.
      const quoted =
        quote.proto === IPPROTO_TCP || quote.proto === IPPROTO_UDP
          ? index.listen(quote.proto === IPPROTO_TCP ? "tcp" : "udp", quote.dstPort)
          : NO_MATCHES;
      return set(c, "unknown", quoted, [unmatched]);
    }
    return set(
      c,
      "unknown",
      NO_MATCHES,
      portReasons("not_in_catalog", "", transportName(flow.ipProto), null),
      extra,
    );
  }

  const transport: Transport = flow.ipProto === IPPROTO_TCP ? "tcp" : "udp";
  const other: Transport = transport === "tcp" ? "udp" : "tcp";
  const port = flow.respPort;
  const orig = flowAppIsOrig(flow);
  const app = orig ? flow.origApp : flow.respApp;
  const family = payloadFamily(app);
  const listen = index.listen(transport, port);
  const media = index.media(transport, port);
  if (isOtherTraffic(app)) {
    // Other traffic, unless a listen row names that very protocol (a custom catalog's "ssh" row).
    const name = protocolOf(flow, app, orig);
    if (!listen.some((m) => m.entry.protocol === name))
      return otherProtocol(c, app, orig, transport, port, extra);
  }

  const topology = context.topology ?? null;
  const origPlace = topology ? topology.placeOf(flow.family, words(flow, true)) : null;
  const respPlace = topology ? topology.placeOf(flow.family, words(flow, false)) : null;
  // Where the endpoints live can show a misdirection whatever the port's rows say. Without a
  // topology nothing can, and no list is made (this runs for every flow).
  let placed: readonly Reason[] = NO_REASONS;
  if (topology) {
    const range = rangeMismatch(flow, index, transport, origPlace, respPlace);
    const direction = wrongDirection(flow, index, transport, port, origPlace, respPlace);
    placed = [range, direction].filter((r) => r !== null);
  }

  if (listen.length > 0) {
    let matches = index.lookup(transport, port);
    let misdirected = placed;
    if (topology) {
      // With a topology, the rows of the roles where the endpoints live (placement.ts: rowsHere).
      const here = rowsHere(matches, origPlace, respPlace);
      const betweenClients = origPlace?.kind === "clients" && respPlace?.kind === "clients";
      if (here.some((m) => !m.entry.clientRange && m.entry.roleKind !== "client")) {
        matches = here;
      } else if (
        betweenClients &&
        placed.length === 0 &&
        (isMedia(app) || (transport === "udp" && family === null && !isOtherTraffic(app)))
      ) {
        // Both ends are clients: the server rows for this port are not theirs.
        const own = clientMedia(null, isMedia(app) ? c.application.protocol : null);
        return matched(
          c,
          ev,
          extra,
          subset(here, "client-range", (m) => m.entry.clientRange),
          NO_REASONS,
          [own],
        );
      } else if (
        respPlace?.kind === "role" &&
        respPlace.role !== null &&
        placed.length === 0 &&
        !windowsManagement(port, origPlace, listen)
      ) {
        misdirected = [...placed, roleMismatch(flow, port, transport, respPlace, listen)];
      } else if (
        placed.length === 0 &&
        // A client, or another role's server on a port only a role connects to (a Front End's
        // Kerberos to a domain controller is not the CWA server's, UC scenario tester).
        (origPlace?.kind === "clients" ||
          (origPlace?.kind === "role" && listen.every((m) => m.entry.portUse === "connect"))) &&
        (respPlace === null || respPlace.kind === "external")
      ) {
        const outside = outsideTopology(flow, topology, listen, family, transport, port);
        if (outside !== null) return set(c, "unknown", NO_MATCHES, [outside], extra);
      }
    }
    if (family !== null) {
      const d = demands(listen, transport);
      if (d.expected.size > 0 && !d.expected.has(family)) {
        const mismatch = reason("protocol_mismatch", {
          seen: family,
          transport,
          port,
          expected: [...d.expected],
          rows: [...d.rows],
        });
        return set(c, "misdirected", matches, [mismatch, ...misdirected], extra);
      }
      if (!d.accepted.has(family) && !(isMedia(app) && media.length > 0))
        return otherProtocol(c, app, orig, transport, port, extra);
    }
    return matched(c, ev, extra, matches, misdirected);
  }

  // Catalogued only for the other transport: misdirected, unless RTP, RTCP or DTLS in a media range
  // claims it (peer-to-peer media on a client port); STUN (TCP to 3478) stays. A payload counts only
  // when the other transport's rows take it (SIP over UDP to 5060); DTLS on 443/udp is other
  // traffic. The responder's placed role names it, else every role with the port (placement.ts).
  const allOther = index.listen(other, port);
  const otherListen = rowsAtResponder(allOther, respPlace);
  const streamMedia = isMedia(app) && app !== App.Stun;
  const fits = family === null || demands(allOther, other).accepted.has(family);
  if (otherListen.length > 0 && placed.length === 0 && fits && !(streamMedia && media.length > 0)) {
    const mismatch = reason("transport_mismatch", { transport, port, other, roles: roleNames(otherListen) });
    return set(c, "misdirected", otherListen, [mismatch], extra);
  }

  if (media.length > 0) {
    if (placed.length > 0) return set(c, "misdirected", media, placed, extra);
    const betweenClients =
      transport === "udp" && origPlace?.kind === "clients" && respPlace?.kind === "clients";
    // With a topology, a server media row applies only to the role an endpoint lives in.
    const origRole = origPlace?.role ?? null;
    const respRole = respPlace?.role ?? null;
    const placedRows = topology
      ? subset(
          media,
          `media\n${origRole}\n${respRole}`,
          (m) => !m.entry.clientRange && (m.entry.role === origRole || m.entry.role === respRole),
        )
      : NO_MATCHES;
    // A placed server's media from its own range to a port only the clients' range covers (the
    // Mediation Server's 60010 to a gateway's 30000): the server's row, not peer-to-peer media.
    const originRows =
      topology && origRole !== null && placedRows.length === 0 && isMedia(app)
        ? subset(
            index.serverMedia(transport, flow.origPort),
            `media\n${origRole}`,
            (m) => m.entry.role === origRole,
          )
        : NO_MATCHES;
    if (originRows.length > 0 && !betweenClients) return matched(c, ev, extra, originRows, NO_REASONS);
    if (isMedia(app) || betweenClients) {
      if (betweenClients || media.every((m) => m.entry.clientRange)) {
        const clientRows = subset(media, "client-range", (m) => m.entry.clientRange);
        const own = clientMedia(
          formatPorts(clientRows[0]!.entry.ports),
          isMedia(app) ? c.application.protocol : null,
        );
        return matched(c, ev, extra, clientRows, NO_REASONS, [own]);
      }
      return matched(c, ev, extra, placedRows.length > 0 ? placedRows : media, NO_REASONS);
    }
    if (placedRows.length > 0 && family === null) return matched(c, ev, extra, placedRows, NO_REASONS);
    if (family !== null) return otherProtocol(c, app, orig, transport, port, extra);
    if (!media.every((m) => m.entry.clientRange)) {
      // The media rows stay as the flow's roles: where it would belong, had it carried media.
      const server = index.serverMedia(transport, port);
      const ranges = [...new Set(server.map((m) => formatPorts([m.range])))].join(", ");
      const only = reason("media_range_only", { transport, port, roles: roleNames(server), ranges });
      return set(c, "unknown", server, [only], extra);
    }
    const range = formatPorts(media[0]!.entry.ports);
    return set(c, "unknown", NO_MATCHES, portReasons("client_range_only", range, transport, port), extra);
  }

  if (placed.length > 0) return set(c, "misdirected", index.lookup(transport, port), placed, extra);
  if (family !== null) return otherProtocol(c, app, orig, transport, port, extra);
  return set(c, "unknown", NO_MATCHES, portReasons("not_in_catalog", "", transport, port), extra);
}

/** `unknown` with `other_protocol`: an identified payload that no row of the port takes. */
function otherProtocol(
  c: Classified,
  app: App,
  orig: boolean,
  transport: Transport,
  port: number,
  extra: readonly Reason[],
): Classified {
  const protocol = protocolOf(c.flow, app, orig);
  return set(c, "unknown", NO_MATCHES, portReasons("other_protocol", protocol, transport, port), extra);
}

function clientMedia(range: string | null, protocol: string | null): Reason {
  return reason("client_media", { range, protocol });
}
