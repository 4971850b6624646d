/**
 * The one report model every renderer reads (JSON contract ocs-pcap/report@1).
 *
 * `ReportBuilder` is the only place analysis results become presentable values:
 * addresses as canonical text (report/addresses.ts, through src/format.ts),
 * timestamps as ISO 8601 UTC with microseconds, flows in a deterministic order
 * (first packet time, then first-packet order). Renderers never re-analyse.
 */

import type { CatalogMatch } from "../catalog/index.js";
import type { PortRange } from "../catalog/types.js";
import {
  type Application,
  type Classified,
  type Reason,
  transportName,
  type Verdict,
} from "../classify/classify.js";
import { blockingReason } from "../classify/reasons.js";
import { IPPROTO_TCP, IPPROTO_UDP } from "../decode/constants.js";
import { type AddressFormatter, sharedAddressFormatter } from "./addresses.js";
import { BlockedTable } from "./blocked.js";
import { RoleTable } from "./roles.js";

export const REPORT_SCHEMA = "ocs-pcap/report@1";

/** Flows the table and Markdown formats list per verdict or reason by default (`--limit`). */
export const DEFAULT_LIST_LIMIT = 25;

export interface RoleRef {
  role: string;
  ports: PortRange[];
  protocol: string;
  seedRow: number;
}

/**
 * One flow, flat and small (a report can hold 100k of them): the JSON
 * renderer nests it into the contract's shape (`client: {ip, port}`,
 * `packets: {fromClient, fromServer}`, ISO timestamps).
 */
export interface FlowRecord {
  id: number;
  transport: string;
  clientIp: string;
  /** null for transports without ports (ICMP and others). */
  clientPort: number | null;
  serverIp: string;
  serverPort: number | null;
  verdict: Verdict;
  /** What the payload is (from a signature) or should be (from the catalog), and how sure. */
  application: Application;
  /** Shared between flows with the same matches: never mutate. */
  roles: readonly RoleRef[];
  state: string;
  history: string;
  packetsFromClient: number;
  packetsFromServer: number;
  bytesFromClient: number;
  bytesFromServer: number;
  /**
   * Transport payload bytes and IP-level bytes (the IP total length fields)
   * each side sent, for Zeek's orig_bytes and orig_ip_bytes; not in report@1,
   * so -1 in a report read back from JSON.
   */
  payloadFromClient: number;
  payloadFromServer: number;
  ipBytesFromClient: number;
  ipBytesFromServer: number;
  /** Microseconds since the epoch. */
  firstSeen: number;
  lastSeen: number;
  /** Frame number of the flow's first packet (as Wireshark numbers frames). */
  firstFrame: number;
  reasons: readonly Reason[];
}

export interface RoleRow {
  /** Roles tied at the best match for this port (most specific first). */
  roles: string[];
  ports: string;
  transport: string;
  flows: number;
  known: number;
  blocked: number;
  misdirected: number;
  inconclusive: number;
  packets: number;
  bytes: number;
}

/**
 * Flows with blocking evidence to one role and port, for one reason and with
 * one verdict: what a ticket reader looks at first. Most are `blocked`; an
 * unknown or misdirected flow with the same evidence is listed too, its
 * verdict beside it (docs/verdict-rules.md §4).
 */
export interface BlockedGroup {
  roles: string[];
  port: number;
  transport: string;
  reason: string;
  verdict: Verdict;
  /** One line: "Edge Server 5062/tcp: 14 attempts from 9 clients, no reply (firewall drop?)". */
  summary: string;
  attempts: number;
  /** Distinct client addresses: exact when `clientsExact`, else a lower bound (the count stopped at a limit). */
  clients: number;
  clientsExact: boolean;
  firstSeen: number;
  lastSeen: number;
  /** Ids of the group's flows the report lists, in report order (see ReportBuilder's limit). */
  flows: number[];
}

/**
 * Unknown flows by what the payload is and the server port: the first
 * glance at what the other traffic is ("DNS 53/udp: 12 flows").
 */
export interface UnknownGroup {
  /** The identified protocol, or "unidentified". */
  protocol: string;
  port: number | null;
  transport: string;
  /** The first reason's code of the group's flows (other_protocol, not_in_catalog, …). */
  reason: string;
  flows: number;
  packets: number;
  bytes: number;
}

export interface CaptureWarningRecord {
  code: string;
  offset: number;
  message: string;
}

export interface CaptureSummary {
  path: string;
  format: string;
  linkTypes: string[];
  packets: number;
  /** Bytes on the wire, summed over packets (orig_len). */
  bytes: number;
  firstSeen: string | null;
  lastSeen: string | null;
  anomalies: Record<string, number>;
  /** Packets read but not analysed (not IP, unsupported link type, later fragments). */
  skipped: Record<string, number>;
  /** Where every packet went; the four add up to `packets`. */
  accounting: PacketAccounting;
  warnings: CaptureWarningRecord[];
}

/**
 * Every packet read is in exactly one place: a flow, ICMP evidence attached
 * to the flow it quotes, the malformed (decode anomalies), or the skipped.
 */
export interface PacketAccounting {
  inFlows: number;
  icmpEvidence: number;
  malformed: number;
  skipped: number;
}

export interface Summary {
  flows: number;
  known: number;
  unknown: number;
  blocked: number;
  misdirected: number;
  inconclusive: number;
}

/** A summary with every count at zero, keys in contract order. */
export function emptySummary(): Summary {
  return { flows: 0, known: 0, unknown: 0, blocked: 0, misdirected: 0, inconclusive: 0 };
}

/**
 * Known flows per service port and transport, with every role the port
 * matched: counted as flows end, so `--expect` does not depend on which flows
 * the report lists. Not part of the JSON contract (the renderers leave it out).
 */
export interface ServiceCount {
  transport: string;
  port: number;
  roles: string[];
  known: number;
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  tool: { name: string; version: string };
  capture: CaptureSummary;
  summary: Summary;
  roles: RoleRow[];
  blocked: BlockedGroup[];
  /** Unknown flows grouped by protocol, port and reason, most flows first. */
  unknown: UnknownGroup[];
  flows: FlowRecord[];
  /** Absent on reports read back from JSON. */
  services?: ServiceCount[];
}

/** Most flows a report lists by default (`--max-report-flows`): about 0.7 KB each in memory. */
export const DEFAULT_MAX_REPORT_FLOWS = 1_000_000;

/** Flows counted in the report but not listed in it, because of the list's limit. */
export interface UnlistedFlows {
  known: number;
  other: number;
}

/**
 * Builds the report as flows end, one at a time: each flow view is turned
 * into a small flat record at once (the view is only valid during `add`).
 *
 * Memory: every flow is counted (summary, role rows, blocked groups), but at
 * most `maxListed` flows keep a record, so a capture with millions of flows
 * cannot exhaust the heap. Past the limit a flow that is not "known" takes
 * the place of the last known one listed, so findings are listed first; what
 * was left out is counted in `unlisted`.
 */
export class ReportBuilder {
  private readonly addr = sharedAddressFormatter();
  private readonly roleRefCache = new Map<readonly unknown[], RoleRef[]>();
  private readonly roles = new RoleTable();
  private readonly blocked = new BlockedTable();
  private readonly known: FlowRecord[] = [];
  private readonly notable: FlowRecord[] = [];
  private readonly summary: Summary = emptySummary();
  /** Unknown flows by protocol, transport, port and reason. */
  private readonly unknownGroups = new Map<number, UnknownGroup[]>();
  /** Known flows by transport and port (at most 2 × 65,536 keys). */
  private readonly services = new Map<
    number,
    {
      transport: string;
      port: number;
      roles: Set<string>;
      known: number;
      last: readonly CatalogMatch[] | null;
    }
  >();
  readonly unlisted: UnlistedFlows = { known: 0, other: 0 };
  /** Packets of every flow added, and ICMP errors attached to them as evidence. */
  readonly packets = { inFlows: 0, icmpEvidence: 0 };
  private readonly maxListed: number;

  constructor(
    private readonly version: string,
    maxListed: number = DEFAULT_MAX_REPORT_FLOWS,
  ) {
    this.maxListed = Math.max(0, maxListed);
  }

  add(c: Classified): void {
    this.packets.inFlows += c.flow.origPackets + c.flow.respPackets;
    this.packets.icmpEvidence += c.flow.icmp?.count ?? 0;
    this.summary.flows++;
    this.summary[c.verdict]++;
    this.roles.add(c);
    const isKnown = c.verdict === "known";
    if (isKnown) this.countService(c);
    else if (c.verdict === "unknown") this.countUnknown(c);
    if (this.known.length + this.notable.length >= this.maxListed) {
      if (isKnown || this.known.length === 0) {
        if (isKnown) this.unlisted.known++;
        else this.unlisted.other++;
        if (blockingReason(c.reasons))
          this.blocked.count(c, roleRefs(c.matches, this.roleRefCache), this.addr.format(c.flow, true));
        return;
      }
      this.known.pop();
      this.unlisted.known++;
    }
    const record = flowRecord(c, this.addr, this.roleRefCache);
    if (blockingReason(record.reasons)) this.blocked.add(record);
    (isKnown ? this.known : this.notable).push(record);
  }

  private countUnknown(c: Classified): void {
    const f = c.flow;
    const hasPorts = f.ipProto === IPPROTO_TCP || f.ipProto === IPPROTO_UDP;
    const protocol = c.application.confidence === "signature" ? c.application.protocol : "unidentified";
    const reason = c.reasons[0]?.code ?? "not_in_catalog";
    const port = hasPorts ? f.respPort : null;
    const key = f.ipProto * 65536 + (port ?? 0);
    let list = this.unknownGroups.get(key);
    if (list === undefined) {
      list = [];
      this.unknownGroups.set(key, list);
    }
    let g = list.find((x) => x.protocol === protocol && x.reason === reason);
    if (g === undefined) {
      g = { protocol, port, transport: transportName(f.ipProto), reason, flows: 0, packets: 0, bytes: 0 };
      list.push(g);
    }
    g.flows++;
    g.packets += f.origPackets + f.respPackets;
    g.bytes += f.origBytes + f.respBytes;
  }

  private countService(c: Classified): void {
    const f = c.flow;
    if (f.ipProto !== 6 && f.ipProto !== 17) return;
    const key = f.ipProto * 65536 + f.respPort;
    let s = this.services.get(key);
    if (s === undefined) {
      s = { transport: transportName(f.ipProto), port: f.respPort, roles: new Set(), known: 0, last: null };
      this.services.set(key, s);
    }
    s.known++;
    // Flows of one port share one match list (the index's), so its roles are added once.
    if (s.last !== c.matches) {
      for (const m of c.matches) s.roles.add(m.entry.role);
      s.last = c.matches;
    }
  }

  finish(capture: CaptureSummary): Report {
    const flows = [...this.known, ...this.notable].sort((a, b) => a.firstSeen - b.firstSeen || a.id - b.id);
    return {
      schema: REPORT_SCHEMA,
      tool: { name: "ocs-pcap", version: this.version },
      capture,
      summary: { ...this.summary },
      roles: this.roles.rows(),
      blocked: this.blocked.groups(flows),
      unknown: [...this.unknownGroups.values()]
        .flat()
        .sort(
          (a, b) =>
            b.flows - a.flows ||
            (a.port ?? -1) - (b.port ?? -1) ||
            a.transport.localeCompare(b.transport) ||
            a.protocol.localeCompare(b.protocol) ||
            a.reason.localeCompare(b.reason),
        ),
      flows,
      services: [...this.services.values()]
        .sort((a, b) => a.port - b.port || a.transport.localeCompare(b.transport))
        .map((s) => ({ transport: s.transport, port: s.port, roles: [...s.roles], known: s.known })),
    };
  }
}

/** The report's role list for a match list, one shared (frozen by convention) array per list. */
function roleRefs(matches: readonly CatalogMatch[], cache: Map<readonly unknown[], RoleRef[]>): RoleRef[] {
  let roles = cache.get(matches);
  if (roles === undefined) {
    roles = matches.map((m) => ({
      role: m.entry.role,
      ports: m.entry.ports,
      protocol: m.entry.protocol,
      seedRow: m.entry.seedRow,
    }));
    cache.set(matches, roles);
  }
  return roles;
}

function flowRecord(
  c: Classified,
  addr: AddressFormatter,
  cache: Map<readonly unknown[], RoleRef[]>,
): FlowRecord {
  const f = c.flow;
  const roles = roleRefs(c.matches, cache);
  const hasPorts = f.ipProto === IPPROTO_TCP || f.ipProto === IPPROTO_UDP;
  const origIp = addr.format(f, true);
  const respIp = addr.format(f, false);
  return {
    id: f.id + 1,
    transport: transportName(f.ipProto),
    clientIp: origIp,
    clientPort: hasPorts ? f.origPort : null,
    serverIp: respIp,
    serverPort: hasPorts ? f.respPort : null,
    verdict: c.verdict,
    application: c.application,
    roles,
    state: c.state,
    history: c.history,
    packetsFromClient: f.origPackets,
    packetsFromServer: f.respPackets,
    bytesFromClient: f.origBytes,
    bytesFromServer: f.respBytes,
    payloadFromClient: f.origPayload,
    payloadFromServer: f.respPayload,
    ipBytesFromClient: f.origIpBytes,
    ipBytesFromServer: f.respIpBytes,
    firstSeen: f.first,
    lastSeen: f.last,
    firstFrame: f.firstFrame,
    reasons: c.reasons,
  };
}
