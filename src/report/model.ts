/**
 * The one report model every renderer reads (JSON contract ocs-pcap/report@1).
 *
 * `ReportBuilder` is the only place analysis results become presentable values:
 * addresses as canonical text (IPv6 in RFC 5952 form via ip-address),
 * timestamps as ISO 8601 UTC with microseconds, flows in a deterministic order
 * (first packet time, then first-packet order). Renderers never re-analyse.
 */
import { Address6 } from "ip-address";
import { type CatalogMatch, formatRange } from "../catalog/index.js";
import type { PortRange } from "../catalog/types.js";
import {
  type Application,
  type Classified,
  type Reason,
  transportName,
  type Verdict,
} from "../classify/classify.js";
import type { Flow } from "../flow/table.js";

export const REPORT_SCHEMA = "ocs-pcap/report@1";

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

/** Blocked flows to one role and port, for one reason: what a ticket reader looks at first. */
export interface BlockedGroup {
  roles: string[];
  port: number;
  transport: string;
  reason: string;
  /** One line: "Edge Server 5062/tcp: 14 attempts from 9 clients, no reply (firewall drop?)". */
  summary: string;
  attempts: number;
  clients: number;
  firstSeen: number;
  lastSeen: number;
  /** Flow ids, in report order. */
  flows: number[];
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
  warnings: CaptureWarningRecord[];
}

export interface Summary {
  flows: number;
  known: number;
  unknown: number;
  blocked: number;
  misdirected: number;
  inconclusive: number;
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  tool: { name: string; version: string };
  capture: CaptureSummary;
  summary: Summary;
  roles: RoleRow[];
  blocked: BlockedGroup[];
  flows: FlowRecord[];
}

/**
 * Builds the report as flows end, one at a time: each flow view is turned
 * into a small flat record at once (the view is only valid during `add`).
 */
export class ReportBuilder {
  private readonly addr = new AddressFormatter();
  private readonly roleRefCache = new Map<readonly unknown[], RoleRef[]>();
  private readonly roles = new RoleTable();
  private readonly flows: FlowRecord[] = [];

  constructor(private readonly version: string) {}

  add(c: Classified): void {
    this.flows.push(flowRecord(c, this.addr, this.roleRefCache));
    this.roles.add(c);
  }

  finish(capture: CaptureSummary): Report {
    const flows = this.flows.sort((a, b) => a.firstSeen - b.firstSeen || a.id - b.id);
    const summary: Summary = {
      flows: flows.length,
      known: 0,
      unknown: 0,
      blocked: 0,
      misdirected: 0,
      inconclusive: 0,
    };
    for (const f of flows) summary[f.verdict]++;
    return {
      schema: REPORT_SCHEMA,
      tool: { name: "ocs-pcap", version: this.version },
      capture,
      summary,
      roles: this.roles.rows(),
      blocked: blockedGroups(flows),
      flows,
    };
  }
}

const HINTS: Record<string, string> = {
  syn_no_reply: "no reply (firewall drop?)",
  syn_rejected: "answered by TCP reset (port closed, or a firewall rejecting)",
  icmp_unreachable: "ICMP destination unreachable",
  udp_no_reply: "no reply (firewall drop?)",
  reset_after_handshake: "reset after the first data (a middlebox rejecting TLS or SIP?)",
};

function blockedGroups(flows: readonly FlowRecord[]): BlockedGroup[] {
  const groups = new Map<string, BlockedGroup & { clientSet: Set<string> }>();
  for (const f of flows) {
    if (f.verdict !== "blocked") continue;
    const first = f.reasons[0];
    // ICMP evidence groups by its category too: a policy reject and a closed port are different findings.
    const reason =
      first?.code === "icmp_unreachable"
        ? `icmp_unreachable:${icmpCategory(first.message)}`
        : (first?.code ?? "blocked");
    const best = f.roles[0];
    const width = best ? rangeWidth(best.ports, f.serverPort ?? 0) : 0;
    const roles = [
      ...new Set(f.roles.filter((r) => rangeWidth(r.ports, f.serverPort ?? 0) === width).map((r) => r.role)),
    ];
    const key = `${f.transport}/${f.serverPort}/${reason}/${roles.join("|")}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        roles,
        port: f.serverPort ?? 0,
        transport: f.transport,
        reason,
        summary: "",
        attempts: 0,
        clients: 0,
        firstSeen: f.firstSeen,
        lastSeen: f.lastSeen,
        flows: [],
        clientSet: new Set(),
      };
      groups.set(key, g);
    }
    g.attempts++;
    g.clientSet.add(f.clientIp);
    g.firstSeen = Math.min(g.firstSeen, f.firstSeen);
    g.lastSeen = Math.max(g.lastSeen, f.lastSeen);
    g.flows.push(f.id);
  }
  return [...groups.values()]
    .sort((a, b) => b.attempts - a.attempts || a.port - b.port || a.reason.localeCompare(b.reason))
    .map(({ clientSet, ...g }) => {
      const clients = clientSet.size;
      const [code = g.reason, category] = g.reason.split(":");
      const hint = category ? `ICMP destination unreachable: ${category}` : (HINTS[code] ?? code);
      return {
        ...g,
        reason: code,
        clients,
        summary: `${g.roles.join(" / ")} ${g.port}/${g.transport}: ${g.attempts} attempt${g.attempts === 1 ? "" : "s"} from ${clients} client${clients === 1 ? "" : "s"}, ${hint}`,
      };
    });
}

function icmpCategory(message: string): string {
  if (message.includes("filtered by policy")) return "filtered by policy";
  if (message.includes("closed port")) return "closed port";
  return "no route";
}

/** Width of the range in `ports` that covers `port` (0 for an exact port). */
function rangeWidth(ports: readonly PortRange[], port: number): number {
  const r = ports.find((p) => p.first <= port && port <= p.last) ?? ports[0];
  return r ? r.last - r.first : 0;
}

function flowRecord(
  c: Classified,
  addr: AddressFormatter,
  cache: Map<readonly unknown[], RoleRef[]>,
): FlowRecord {
  const f = c.flow;
  let roles = cache.get(c.matches);
  if (roles === undefined) {
    roles = c.matches.map((m) => ({
      role: m.entry.role,
      ports: m.entry.ports,
      protocol: m.entry.protocol,
      seedRow: m.entry.seedRow,
    }));
    cache.set(c.matches, roles);
  }
  const hasPorts = f.ipProto === 6 || f.ipProto === 17;
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
    firstSeen: f.first,
    lastSeen: f.last,
    firstFrame: f.firstFrame,
    reasons: c.reasons,
  };
}

/** Groups flows by their best catalog match: one row per port (or range) and transport. */
class RoleTable {
  /** Keyed by the best match's range and the flow's transport. */
  private readonly byKey = new Map<number, RoleRow & { sortPort: number }>();
  /** Roles tied at the best rank, per distinct match list. */
  private readonly tiedRoles = new Map<readonly CatalogMatch[], string[]>();

  add(c: Classified): void {
    const best = c.matches[0];
    if (!best) return;
    const transport = transportName(c.flow.ipProto);
    const key = c.flow.ipProto * 2 ** 32 + best.range.first * 65536 + best.range.last;
    let row = this.byKey.get(key);
    if (!row) {
      row = {
        roles: this.tied(c.matches),
        ports: formatRange(best.range),
        transport,
        flows: 0,
        known: 0,
        blocked: 0,
        misdirected: 0,
        inconclusive: 0,
        packets: 0,
        bytes: 0,
        sortPort: best.range.first,
      };
      this.byKey.set(key, row);
    }
    row.flows++;
    if (c.verdict !== "unknown") row[c.verdict]++;
    row.packets += c.flow.origPackets + c.flow.respPackets;
    row.bytes += c.flow.origBytes + c.flow.respBytes;
  }

  private tied(matches: readonly CatalogMatch[]): string[] {
    let roles = this.tiedRoles.get(matches);
    if (roles === undefined) {
      const best = matches[0]!;
      const width = best.range.last - best.range.first;
      roles = [
        ...new Set(matches.filter((m) => m.range.last - m.range.first === width).map((m) => m.entry.role)),
      ];
      this.tiedRoles.set(matches, roles);
    }
    return roles;
  }

  rows(): RoleRow[] {
    return [...this.byKey.values()]
      .sort(
        (a, b) =>
          a.sortPort - b.sortPort || a.ports.localeCompare(b.ports) || a.transport.localeCompare(b.transport),
      )
      .map(({ sortPort: _sortPort, ...row }) => ({ ...row, roles: [...row.roles] }));
  }
}

/** Caches address text: many flows share a server address. */
class AddressFormatter {
  private readonly v4 = new Map<number, string>();
  private readonly v6 = new Map<string, string>();

  format(flow: Flow, orig: boolean): string {
    const w3 = flow.addrWord(orig, 3);
    if (flow.family === 4) {
      let s = this.v4.get(w3);
      if (s === undefined) {
        s = `${w3 >>> 24}.${(w3 >>> 16) & 255}.${(w3 >>> 8) & 255}.${w3 & 255}`;
        this.v4.set(w3, s);
      }
      return s;
    }
    const full = [flow.addrWord(orig, 0), flow.addrWord(orig, 1), flow.addrWord(orig, 2), w3]
      .map((w) => `${(w >>> 16).toString(16)}:${(w & 0xffff).toString(16)}`)
      .join(":");
    let s = this.v6.get(full);
    if (s === undefined) {
      s = new Address6(full).correctForm();
      this.v6.set(full, s);
    }
    return s;
  }
}

let isoSecond = Number.NaN;
let isoPrefix = "";

/** The inverse of isoMicros: ISO 8601 UTC (any fraction up to microseconds) to microseconds since the epoch. */
export function isoToMicros(iso: string): number {
  const ms = Date.parse(`${iso.slice(0, 19)}Z`);
  const frac = /\.(\d{1,6})/.exec(iso)?.[1] ?? "0";
  return ms * 1000 + Number(frac.padEnd(6, "0"));
}

/** ISO 8601 UTC with microseconds: 2024-05-01T12:00:00.123456Z. */
export function isoMicros(micros: number): string {
  const second = Math.floor(micros / 1_000_000);
  if (second !== isoSecond) {
    // Flows arrive in time order, so consecutive calls mostly share the second.
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 19);
  }
  const us = Math.floor(micros) - second * 1_000_000;
  return `${isoPrefix}.${String(us).padStart(6, "0")}Z`;
}
