/**
 * The one report model every renderer reads (JSON contract ocs-pcap/report@1).
 *
 * `buildReport` is the only place analysis results become presentable values:
 * addresses as canonical text (IPv6 in RFC 5952 form via ip-address),
 * timestamps as ISO 8601 UTC with microseconds, flows in a deterministic order
 * (first packet time, then first-packet order). Renderers never re-analyse.
 */
import { Address6 } from "ip-address";
import { type CatalogMatch, formatRange } from "../catalog/index.js";
import type { PortRange } from "../catalog/types.js";
import { type Classified, type Reason, transportName, type Verdict } from "../classify/classify.js";
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
  warnings: CaptureWarningRecord[];
}

export interface Summary {
  flows: number;
  known: number;
  unknown: number;
  blocked: number;
  misdirected: number;
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  tool: { name: string; version: string };
  capture: CaptureSummary;
  summary: Summary;
  roles: RoleRow[];
  flows: FlowRecord[];
}

/** What the analysis hands to the report stage. */
export interface AnalysisResult {
  path: string;
  format: string;
  linkTypes: string[];
  packets: number;
  bytes: number;
  firstMicros: number | null;
  lastMicros: number | null;
  anomalies: Record<string, number>;
  skipped: Record<string, number>;
  warnings: CaptureWarningRecord[];
  flowCount: number;
  /**
   * Every flow with its verdict, in report order (first packet time, then
   * first-packet order). Single pass: consuming it releases the flows.
   */
  classified: Iterable<Classified>;
}

export function buildReport(result: AnalysisResult, version: string): Report {
  const addr = new AddressFormatter();
  const roleRefCache = new Map<readonly unknown[], RoleRef[]>();
  const roles = new RoleTable();
  const flows: FlowRecord[] = [];
  for (const c of result.classified) {
    flows.push(flowRecord(c, addr, roleRefCache));
    roles.add(c);
  }
  const summary: Summary = { flows: flows.length, known: 0, unknown: 0, blocked: 0, misdirected: 0 };
  for (const f of flows) summary[f.verdict]++;
  return {
    schema: REPORT_SCHEMA,
    tool: { name: "ocs-pcap", version },
    capture: {
      path: result.path,
      format: result.format,
      linkTypes: result.linkTypes,
      packets: result.packets,
      bytes: result.bytes,
      firstSeen: result.firstMicros === null ? null : isoMicros(result.firstMicros),
      lastSeen: result.lastMicros === null ? null : isoMicros(result.lastMicros),
      anomalies: result.anomalies,
      skipped: result.skipped,
      warnings: result.warnings,
    },
    summary,
    roles: roles.rows(),
    flows,
  };
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
        packets: 0,
        bytes: 0,
        sortPort: best.range.first,
      };
      this.byKey.set(key, row);
    }
    row.flows++;
    if (c.verdict === "known" || c.verdict === "blocked" || c.verdict === "misdirected") row[c.verdict]++;
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
