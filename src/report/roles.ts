/**
 * The role table: flows grouped by their best catalog match, one row per
 * port (or range), transport and tied roles, counted as flows end.
 */
import { type CatalogMatch, formatRange } from "../catalog/index.js";
import { type Classified, transportName } from "../classify/classify.js";
import type { RoleRow } from "./model.js";

/**
 * Groups flows by their best catalog match: one row per port (or range), transport and roles
 * tied at the best rank (with a topology, flows on one port can have different roles).
 */
export class RoleTable {
  /** Keyed by the best match's range and the flow's transport, then by the tied roles' key. */
  private readonly byKey = new Map<number, Map<string, RoleRow & { sortPort: number }>>();
  /** Roles tied at the best rank, and their key, per distinct match list (lists are shared). */
  private readonly tiedRoles = new WeakMap<readonly CatalogMatch[], { roles: string[]; key: string }>();

  add(c: Classified): void {
    const best = c.matches[0];
    if (!best) return;
    const tied = this.tied(c.matches);
    const key = c.flow.ipProto * 2 ** 32 + best.range.first * 65536 + best.range.last;
    let rows = this.byKey.get(key);
    if (!rows) {
      rows = new Map();
      this.byKey.set(key, rows);
    }
    let row = rows.get(tied.key);
    if (!row) {
      row = {
        roles: tied.roles,
        ports: formatRange(best.range),
        transport: transportName(c.flow.ipProto),
        flows: 0,
        known: 0,
        blocked: 0,
        misdirected: 0,
        inconclusive: 0,
        packets: 0,
        bytes: 0,
        sortPort: best.range.first,
      };
      rows.set(tied.key, row);
    }
    row.flows++;
    if (c.verdict !== "unknown") row[c.verdict]++;
    row.packets += c.flow.origPackets + c.flow.respPackets;
    row.bytes += c.flow.origBytes + c.flow.respBytes;
  }

  private tied(matches: readonly CatalogMatch[]): { roles: string[]; key: string } {
    let tied = this.tiedRoles.get(matches);
    if (tied === undefined) {
      const best = matches[0]!;
      const width = best.range.last - best.range.first;
      const roles = [
        ...new Set(matches.filter((m) => m.range.last - m.range.first === width).map((m) => m.entry.role)),
      ];
      tied = { roles, key: roles.join("\n") };
      this.tiedRoles.set(matches, tied);
    }
    return tied;
  }

  rows(): RoleRow[] {
    return [...this.byKey.values()]
      .flatMap((rows) => [...rows.values()])
      .sort(
        (a, b) =>
          a.sortPort - b.sortPort ||
          a.ports.localeCompare(b.ports) ||
          a.transport.localeCompare(b.transport) ||
          b.flows - a.flows ||
          a.roles.join().localeCompare(b.roles.join()),
      )
      .map(({ sortPort: _sortPort, ...row }) => ({ ...row, roles: [...row.roles] }));
  }
}
