/**
 * The blocked-looking groups: every flow with blocking evidence, whatever its
 * verdict, grouped by role, port, transport, reason and verdict as flows end
 * (listed or not), with attempts, distinct clients (bounded) and first and
 * last time; each group's flow ids come from the listed flows.
 */

import type { PortRange } from "../catalog/types.js";
import { type Classified, transportName, VERDICTS, type Verdict } from "../classify/classify.js";
import { blockingReason, type Reason } from "../classify/reasons.js";
import { IPPROTO_TCP, IPPROTO_UDP } from "../decode/constants.js";
import { ICMP_CATEGORY_TEXT, icmpCategoryText } from "./icmp-text.js";
import type { BlockedGroup, FlowRecord, RoleRef } from "./model.js";

const HINTS: Record<string, string> = {
  syn_no_reply: "no reply (firewall drop?)",
  syn_rejected: "answered by TCP reset (port closed, or a firewall rejecting)",
  handshake_incomplete: "SYN+ACK never acknowledged (return path blocked?)",
  icmp_unreachable: "ICMP destination unreachable",
  one_way_media: "media one way only, no media back (firewall drop?)",
  udp_no_reply: "no reply (firewall drop?)",
  reset_after_handshake: "reset after the first data (a middlebox rejecting TLS or SIP?)",
  sip_error: "SIP request refused or failed (see each flow's response and ms-diagnostics)",
  host_dropped: "dropped by the capturing host (see each flow's drop reason)",
  tls_alert: "TLS handshake ended by an alert (see each flow's alert)",
  turn_allocate_failed: "TURN allocation refused (see each flow's error code)",
  tls_handshake_incomplete: "TLS handshake never completed (server silent or reset)",
  tls_client_certificate_missing: "client certificate asked for (MTLS), none sent",
};

interface GroupState {
  roles: string[];
  port: number;
  transport: string;
  reason: string;
  verdict: Verdict;
  attempts: number;
  firstSeen: number;
  lastSeen: number;
  /** Id of the group's first flow in report order (earliest first packet, then id): the tie-break. */
  firstId: number;
  clientSet: Set<string>;
  /** Some clients were not counted: `clientSet` or the table's budget was full. */
  capped: boolean;
}

/** Distinct clients counted exactly per blocked group, and in all groups together (memory: ~100 bytes each). */
export const CLIENTS_PER_GROUP = 10_000;
export const CLIENTS_TOTAL = 250_000;

/**
 * Blocked flows grouped by role, port, transport and reason, counted as they
 * end (listed or not); each group's flow ids come from the listed flows.
 */
export class BlockedTable {
  /** Distinct client addresses kept across all groups; past it, groups count "at least". */
  private clientBudget = CLIENTS_TOTAL;
  private readonly byKey = new Map<string, GroupState>();
  /** The group of each listed blocked flow, by flow id. */
  private readonly keyOf = new Map<number, string>();
  /** Roles tied at the best match, and their key text, per role list and server port (lists are shared). */
  private readonly tiedRoles = new Map<readonly RoleRef[], Map<number, { roles: string[]; key: string }>>();

  /** A listed blocked flow. */
  add(f: FlowRecord): void {
    const reason = groupReason(f.reasons);
    const [port, transport, client] = groupTarget(f.reasons, f.serverPort, f.transport, f.clientIp);
    this.keyOf.set(
      f.id,
      this.note(f.roles, port, transport, reason, f.verdict, client, f.firstSeen, f.lastSeen, f.id),
    );
  }

  /** A blocked flow the report does not list: counted all the same. */
  count(c: Classified, roles: readonly RoleRef[], clientIp: string): void {
    const f = c.flow;
    const hasPorts = f.ipProto === IPPROTO_TCP || f.ipProto === IPPROTO_UDP;
    const [port, transport, client] = groupTarget(
      c.reasons,
      hasPorts ? f.respPort : null,
      transportName(f.ipProto),
      clientIp,
    );
    this.note(roles, port, transport, groupReason(c.reasons), c.verdict, client, f.first, f.last, f.id + 1);
  }

  private note(
    refs: readonly RoleRef[],
    serverPort: number | null,
    transport: string,
    reason: string,
    verdict: Verdict,
    clientIp: string,
    firstSeen: number,
    lastSeen: number,
    id: number,
  ): string {
    const tied = this.tied(refs, serverPort ?? 0);
    const roles = tied.roles;
    const key = `${transport}/${serverPort}/${reason}/${verdict}/${tied.key}`;
    let g = this.byKey.get(key);
    if (!g) {
      g = {
        roles,
        port: serverPort ?? 0,
        transport,
        reason,
        verdict,
        attempts: 0,
        firstSeen,
        lastSeen,
        firstId: id,
        clientSet: new Set(),
        capped: false,
      };
      this.byKey.set(key, g);
    }
    g.attempts++;
    if (!g.clientSet.has(clientIp)) {
      if (g.clientSet.size < CLIENTS_PER_GROUP && this.clientBudget > 0) {
        g.clientSet.add(clientIp);
        this.clientBudget--;
      } else {
        g.capped = true;
      }
    }
    if (firstSeen < g.firstSeen || (firstSeen === g.firstSeen && id < g.firstId)) {
      g.firstSeen = firstSeen;
      g.firstId = id;
    }
    g.lastSeen = Math.max(g.lastSeen, lastSeen);
    return key;
  }

  private tied(refs: readonly RoleRef[], port: number): { roles: string[]; key: string } {
    let byPort = this.tiedRoles.get(refs);
    if (byPort === undefined) {
      byPort = new Map();
      this.tiedRoles.set(refs, byPort);
    }
    let t = byPort.get(port);
    if (t === undefined) {
      const best = refs[0];
      const width = best ? rangeWidth(best.ports, port) : 0;
      const roles = [...new Set(refs.filter((r) => rangeWidth(r.ports, port) === width).map((r) => r.role))];
      t = { roles, key: roles.join("|") };
      // Group states share the array; nothing mutates it.
      byPort.set(port, t);
    }
    return t;
  }

  /** The groups, largest first, with the ids of their listed flows in report order. */
  groups(flows: readonly FlowRecord[]): BlockedGroup[] {
    const ids = new Map<string, number[]>();
    for (const f of flows) {
      const key = this.keyOf.get(f.id);
      if (key === undefined) continue;
      const list = ids.get(key);
      if (list) list.push(f.id);
      else ids.set(key, [f.id]);
    }
    return [...this.byKey.entries()]
      .sort(
        ([, a], [, b]) =>
          b.attempts - a.attempts ||
          a.port - b.port ||
          a.reason.localeCompare(b.reason) ||
          VERDICTS.indexOf(a.verdict) - VERDICTS.indexOf(b.verdict) ||
          a.firstSeen - b.firstSeen ||
          a.firstId - b.firstId,
      )
      .map(([key, g]) => {
        const clients = g.clientSet.size;
        const many = g.capped ? "at least " : "";
        const [code = g.reason, category] = g.reason.split(":");
        const hint = category ? `ICMP destination unreachable: ${category}` : (HINTS[code] ?? code);
        const where = g.roles.length > 0 ? g.roles.join(" / ") : "(no catalog role)";
        const verdict = g.verdict === "blocked" ? "" : ` (verdict: ${g.verdict})`;
        return {
          roles: g.roles,
          port: g.port,
          transport: g.transport,
          reason: code,
          verdict: g.verdict,
          summary: `${where} ${g.port}/${g.transport}: ${g.attempts} attempt${g.attempts === 1 ? "" : "s"} from ${many}${clients} client${clients === 1 ? "" : "s"}, ${hint}${verdict}`,
          attempts: g.attempts,
          clients,
          clientsExact: !g.capped,
          firstSeen: g.firstSeen,
          lastSeen: g.lastSeen,
          flows: ids.get(key) ?? [],
        };
      });
  }
}

/** The first blocking reason's code; ICMP evidence groups by its category too: a policy reject and a closed port are different findings. */
function groupReason(reasons: readonly Reason[]): string {
  const first = blockingReason(reasons);
  if (first === undefined) return "blocked";
  if (first.code === "icmp_unmatched") return `${first.code}:${ICMP_CATEGORY_TEXT[first.details.category]}`;
  if (first.code === "icmp_unreachable") {
    const about = first.details.quotes === "responder" ? " (quoting the server's packets)" : "";
    return `${first.code}:${icmpCategoryText(first.details)}${about}`;
  }
  return first.code;
}

/** The port and transport a group is about: an ICMP error quoting no flow is about what it quotes. */
function groupTarget(
  reasons: readonly Reason[],
  port: number | null,
  transport: string,
  client: string,
): [number | null, string, string] {
  const first = blockingReason(reasons);
  // An ICMP error quoting no flow is about the packet it quotes: its port, transport and sender.
  return first?.code === "icmp_unmatched"
    ? [first.details.quotedDstPort, first.details.quotedTransport, first.details.quotedSrc]
    : [port, transport, client];
}

/** Width of the range in `ports` that covers `port` (0 for an exact port). */
function rangeWidth(ports: readonly PortRange[], port: number): number {
  const r = ports.find((p) => p.first <= port && port <= p.last) ?? ports[0];
  return r ? r.last - r.first : 0;
}
