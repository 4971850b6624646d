/**
 * The role table: flows grouped by their best catalog match, one row per
 * port (or range) and transport, counted as flows end.
 */
import { type CatalogMatch, formatRange } from "../catalog/index.js";
import { type Classified, transportName } from "../classify/classify.js";
import type { RoleRow } from "./model.js";

/** Groups flows by their best catalog match: one row per port (or range) and transport. */
export class RoleTable {
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
