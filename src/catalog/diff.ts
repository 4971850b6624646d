/**
 * What changes between two catalogs (`ocs-pcap catalog diff A B`): port
 * ranges, by transport and use, that only one of them has, and those both
 * have with different roles or protocols. This is the firewall change list
 * of a migration from A to B.
 */
import { formatPorts } from "./index.js";
import type { CatalogEntry, PortUse, Transport } from "./types.js";

export interface DiffSide {
  roles: string[];
  protocols: string[];
  sources: string[];
}

export interface DiffRow {
  change: "added" | "removed" | "changed";
  transport: Transport;
  ports: string;
  first: number;
  last: number;
  use: PortUse;
  /** Absent for an added row. */
  before?: DiffSide;
  /** Absent for a removed row. */
  after?: DiffSide;
}

export interface CatalogDiff {
  rows: DiffRow[];
  /** Port ranges both catalogs have with the same roles and protocols. */
  unchanged: number;
}

type Keyed = Map<string, { transport: Transport; first: number; last: number; use: PortUse; side: DiffSide }>;

function keyed(entries: readonly CatalogEntry[]): Keyed {
  const out: Keyed = new Map();
  for (const e of entries) {
    for (const transport of e.transports) {
      for (const r of e.ports) {
        const key = `${transport} ${r.first} ${r.last} ${e.portUse}`;
        let v = out.get(key);
        if (v === undefined) {
          v = {
            transport,
            first: r.first,
            last: r.last,
            use: e.portUse,
            side: { roles: [], protocols: [], sources: [] },
          };
          out.set(key, v);
        }
        if (!v.side.roles.includes(e.role)) v.side.roles.push(e.role);
        if (!v.side.protocols.includes(e.protocol)) v.side.protocols.push(e.protocol);
        if (!v.side.sources.includes(e.source)) v.side.sources.push(e.source);
      }
    }
  }
  return out;
}

const same = (a: DiffSide, b: DiffSide) =>
  [...a.roles].sort().join("\n") === [...b.roles].sort().join("\n") &&
  [...a.protocols].sort().join("\n") === [...b.protocols].sort().join("\n");

export function diffCatalogs(a: readonly CatalogEntry[], b: readonly CatalogEntry[]): CatalogDiff {
  const before = keyed(a);
  const after = keyed(b);
  const rows: DiffRow[] = [];
  let unchanged = 0;
  for (const [key, x] of before) {
    const y = after.get(key);
    const base = {
      transport: x.transport,
      ports: formatPorts([x]),
      first: x.first,
      last: x.last,
      use: x.use,
    };
    if (y === undefined) rows.push({ change: "removed", ...base, before: x.side });
    else if (!same(x.side, y.side)) rows.push({ change: "changed", ...base, before: x.side, after: y.side });
    else unchanged++;
  }
  for (const [key, y] of after) {
    if (before.has(key)) continue;
    rows.push({
      change: "added",
      transport: y.transport,
      ports: formatPorts([y]),
      first: y.first,
      last: y.last,
      use: y.use,
      after: y.side,
    });
  }
  rows.sort(
    (p, q) =>
      p.first - q.first ||
      p.last - q.last ||
      p.transport.localeCompare(q.transport) ||
      p.use.localeCompare(q.use),
  );
  return { rows, unchanged };
}
