/**
 * Media path findings across flows (issue 17, item 5): `media_tcp_fallback`,
 * a client whose STUN/TURN requests to a server's UDP 3478 went unanswered
 * and that then reached the same server over TCP 443 within 30 s: the
 * classic "UDP blocked to the A/V Edge" diagnosis, where calls still work
 * (over TCP) but suffer. Every flow is offered as it ends, listed in the
 * report or not; at most 10,000 candidates of each kind are kept, so memory
 * stays bounded, and the finding names both flows.
 */
import { IPPROTO_TCP, IPPROTO_UDP } from "../decode/constants.js";
import type { FlowFacts } from "../flow/view.js";
import { isoMicros, isoToMicros } from "../format.js";

/** How long after the last unanswered UDP request a TCP connection still counts as the fallback. */
export const FALLBACK_WINDOW_MICROS = 30_000_000;
const MAX_CANDIDATES = 10_000;

export interface MediaFinding {
  code: "media_tcp_fallback";
  client: string;
  server: string;
  /** The unanswered UDP flow (to 3478) and the TCP flow (to 443) that followed. */
  udpFlow: number;
  tcpFlow: number;
  udpFirstSeen: string;
  tcpFirstSeen: string;
}

interface Candidate {
  key: string;
  id: number;
  first: number;
  last: number;
}

export class MediaPaths {
  private readonly udp: Candidate[] = [];
  private readonly tcp = new Map<string, Candidate[]>();
  private tcpCount = 0;

  /** Whether a flow may take part in a finding (checked before its addresses are formatted). */
  static wants(f: FlowFacts): boolean {
    return (
      (f.ipProto === IPPROTO_UDP && f.respPort === 3478 && f.respPackets === 0 && f.stun !== null) ||
      (f.ipProto === IPPROTO_TCP && f.respPort === 443 && f.respPayload > 0)
    );
  }

  /** A flow as it ends, with its endpoints' address text. */
  note(f: FlowFacts, client: string, server: string): void {
    if (f.ipProto === IPPROTO_UDP && f.respPort === 3478) {
      const s = f.stun;
      const asked = s !== null && s.bindingRequests + s.allocateRequests > 0;
      if (asked && f.respPackets === 0 && this.udp.length < MAX_CANDIDATES)
        this.udp.push({ key: `${client} ${server}`, id: f.id + 1, first: f.first, last: f.last });
    } else if (f.ipProto === IPPROTO_TCP && f.respPort === 443 && f.respPayload > 0) {
      if (this.tcpCount >= MAX_CANDIDATES) return;
      const key = `${client} ${server}`;
      const list = this.tcp.get(key);
      // Report ids count from 1 (as the flow records do).
      const c = { key, id: f.id + 1, first: f.first, last: f.last };
      if (list === undefined) this.tcp.set(key, [c]);
      else list.push(c);
      this.tcpCount++;
    }
  }

  /** Each unanswered UDP flow paired with the first TCP 443 connection that followed it in the window. */
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
    return out;
  }
}

/** "10.1.0.20's STUN/TURN to 10.0.0.30:3478/udp got no answer (flow #4); 0.2 s later it reached …". */
export function mediaFindingText(m: MediaFinding): string {
  const after = (isoToMicros(m.tcpFirstSeen) - isoToMicros(m.udpFirstSeen)) / 1e6;
  return `${m.client}'s STUN/TURN requests to ${m.server}:3478/udp got no answer (flow #${m.udpFlow}); ${after.toFixed(1)} s later it reached ${m.server} over TCP 443 (flow #${m.tcpFlow}): UDP to the A/V Edge looks blocked, and media falls back to TCP, which hurts call quality`;
}
