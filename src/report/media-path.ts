/**
 * Media path findings across flows (issue 17, item 5), from every flow as it
 * ends, listed in the report or not:
 * - `media_tcp_fallback`: a client whose STUN/TURN requests to a server's
 *   UDP 3478 (with a topology that places an Edge role: to any port of an
 *   Edge role's address, and no other) went
 *   unanswered, and that then reached the same server over TCP 443 within
 *   30 s: the classic "UDP blocked to the A/V Edge" diagnosis, where calls
 *   still work (over TCP) but suffer;
 * - `media_relay_only` (with a topology): a client that relayed media through
 *   TURN to a peer in a client network, and never exchanged media with that
 *   peer directly: the direct path between the two client networks failed
 *   (ICE's connectivity checks), so every call takes the Edge.
 * At most 10,000 candidates of each kind are kept, so memory stays bounded;
 * each finding names its flows.
 */

import type { Topology } from "../classify/topology.js";
import { App } from "../decode/apps.js";
import { IPPROTO_TCP, IPPROTO_UDP } from "../decode/constants.js";
import type { StunPeer } from "../flow/stun-outcome.js";
import type { FlowFacts } from "../flow/view.js";
import { isoMicros, isoToMicros, wordsText } from "../format.js";

/** How long after the last unanswered UDP request a TCP connection still counts as the fallback. */
export const FALLBACK_WINDOW_MICROS = 30_000_000;
const MAX_CANDIDATES = 10_000;

export type MediaFinding =
  | {
      code: "media_tcp_fallback";
      client: string;
      server: string;
      /** The unanswered UDP flow and the TCP 443 flow that followed. */
      udpFlow: number;
      tcpFlow: number;
      udpFirstSeen: string;
      tcpFirstSeen: string;
    }
  | {
      code: "media_relay_only";
      client: string;
      /** The TURN server that relayed, and the peer in a client network. */
      server: string;
      peer: string;
      /** The flow to the TURN server that relayed media to the peer. */
      turnFlow: number;
      firstSeen: string;
    };

interface Candidate {
  key: string;
  id: number;
  first: number;
  last: number;
}

interface Relay {
  client: string;
  server: string;
  id: number;
  first: number;
  peers: readonly StunPeer[];
}

const MEDIA_APPS: ReadonlySet<number> = new Set<number>([
  App.Rtp,
  App.Rtcp,
  App.Stun,
  App.RtpCandidate,
  App.Dtls,
]);

export class MediaPaths {
  private readonly udp: Candidate[] = [];
  private readonly tcp = new Map<string, Candidate[]>();
  private tcpCount = 0;
  private readonly relays: Relay[] = [];
  /** Address pairs, as text ("a b", the lower first), that exchanged media directly. */
  private readonly direct = new Set<string>();

  /** Whether the topology places an Edge role: then only its addresses are the A/V Edge. */
  private readonly edgePlaced: boolean;

  constructor(private readonly topology: Topology | null = null) {
    // The Edge servers themselves: a load balancer placed alone leaves port 3478 the rule.
    this.edgePlaced = topology?.roles().some((r) => /edge/i.test(r) && !/load balancer/i.test(r)) ?? false;
  }

  /** Whether a flow may take part in a finding (checked before its addresses are formatted). */
  wants(f: FlowFacts): boolean {
    if (f.ipProto === IPPROTO_TCP) return f.respPort === 443 && f.respPayload > 0;
    if (f.ipProto !== IPPROTO_UDP) return false;
    const s = f.stun;
    if (s !== null && (s.relayed > 0 || (f.respPackets === 0 && s.bindingRequests + s.allocateRequests > 0)))
      return true;
    // Direct media between two addresses (only needed when a topology can name client networks).
    return this.topology !== null && (MEDIA_APPS.has(f.origApp) || MEDIA_APPS.has(f.respApp));
  }

  /** A flow as it ends, with its endpoints' address text. */
  note(f: FlowFacts, client: string, server: string): void {
    if (f.ipProto === IPPROTO_TCP) {
      if (this.tcpCount >= MAX_CANDIDATES) return;
      const key = `${client} ${server}`;
      // Report ids count from 1 (as the flow records do).
      const c = { key, id: f.id + 1, first: f.first, last: f.last };
      const list = this.tcp.get(key);
      if (list === undefined) this.tcp.set(key, [c]);
      else list.push(c);
      this.tcpCount++;
      return;
    }
    const s = f.stun;
    const asked = s !== null && s.bindingRequests + s.allocateRequests > 0;
    if (asked && f.respPackets === 0 && this.udp.length < MAX_CANDIDATES && this.toEdge(f))
      this.udp.push({ key: `${client} ${server}`, id: f.id + 1, first: f.first, last: f.last });
    if (this.topology === null) return;
    if (s !== null && s.relayed > 0 && s.peers.length > 0 && this.relays.length < MAX_CANDIDATES)
      this.relays.push({ client, server, id: f.id + 1, first: f.first, peers: s.peers });
    else if (this.direct.size < MAX_CANDIDATES * 10) this.direct.add(pairKey(client, server));
  }

  /**
   * Any address an Edge role lives at, when the topology places one (a relay elsewhere on 3478,
   * another product's, is not the A/V Edge: a Teams capture's relays were blamed on it); without
   * one, UDP 3478.
   */
  private toEdge(f: FlowFacts): boolean {
    if (this.topology === null || !this.edgePlaced) return f.respPort === 3478;
    const words = [0, 1, 2, 3].map((w) => f.addrWord(false, w));
    const place = this.topology.placeOf(f.family, words);
    return place?.kind === "role" && /edge/i.test(place.role ?? "");
  }

  findings(): MediaFinding[] {
    const out: MediaFinding[] = [];
    for (const u of [...this.udp].sort((a, b) => a.first - b.first || a.id - b.id)) {
      const then = (this.tcp.get(u.key) ?? [])
        .filter((t) => t.first >= u.first && t.first <= u.last + FALLBACK_WINDOW_MICROS)
        .sort((a, b) => a.first - b.first || a.id - b.id)[0];
      if (then === undefined) continue;
      const [client = "", server = ""] = u.key.split(" ");
      out.push({
        code: "media_tcp_fallback",
        client,
        server,
        udpFlow: u.id,
        tcpFlow: then.id,
        udpFirstSeen: isoMicros(u.first),
        tcpFirstSeen: isoMicros(then.first),
      });
    }
    const topology = this.topology;
    if (topology === null) return out;
    for (const r of [...this.relays].sort((a, b) => a.first - b.first || a.id - b.id)) {
      for (const p of r.peers) {
        const place = topology.placeOf(p.family, p.words);
        if (place?.kind !== "clients") continue;
        const peer = wordsText(p.family, p.words);
        if (this.direct.has(pairKey(r.client, peer))) continue;
        out.push({
          code: "media_relay_only",
          client: r.client,
          server: r.server,
          peer,
          turnFlow: r.id,
          firstSeen: isoMicros(r.first),
        });
      }
    }
    return out;
  }
}

/** Two addresses' text as one key, the lower first (addresses are formatted one way: format.ts). */
function pairKey(a: string, b: string): string {
  return a < b ? `${a} ${b}` : `${b} ${a}`;
}

/** A finding in words, for the human formats. */
export function mediaFindingText(m: MediaFinding): string {
  if (m.code === "media_relay_only")
    return `${m.client} relayed media through ${m.server} (TURN, flow #${m.turnFlow}) to ${m.peer}, in a client network, and never reached ${m.peer} directly: the direct path between the two client networks fails (a firewall between them?), so every call takes the Edge`;
  const after = (isoToMicros(m.tcpFirstSeen) - isoToMicros(m.udpFirstSeen)) / 1e6;
  return `${m.client}'s STUN/TURN requests to ${m.server} over UDP got no answer (flow #${m.udpFlow}); ${after.toFixed(1)} s later it reached ${m.server} over TCP 443 (flow #${m.tcpFlow}): UDP to this STUN/TURN server (in OCS, the A/V Edge) looks blocked, and media falls back to TCP, which hurts call quality`;
}
