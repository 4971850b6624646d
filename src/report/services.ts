/**
 * Known flows per service port: for each transport and responder port, one
 * row per list of roles the flows' catalog matches name, with how many
 * completed a TLS handshake, counted as flows end (what `--expect` reads).
 */
import type { CatalogMatch } from "../catalog/index.js";
import { type Classified, transportName } from "../classify/classify.js";
import { tlsComplete } from "../flow/tls-outcome.js";
import type { ServiceCount } from "./model.js";

interface Row extends ServiceCount {
  /** The match lists counted here: classify shares them, so a flow's row is found by its list. */
  lists: (readonly CatalogMatch[])[];
}

export class ServiceTable {
  /** Keyed by transport and port (at most 2 × 65,536 keys); a topology gives one port several role lists, so few rows each. */
  private readonly byPort = new Map<number, Row[]>();

  /** Counts a known flow (TCP and UDP only: other transports have no port). */
  add(c: Classified): void {
    const f = c.flow;
    if (f.ipProto !== 6 && f.ipProto !== 17) return;
    const key = f.ipProto * 65536 + f.respPort;
    let rows = this.byPort.get(key);
    if (rows === undefined) {
      rows = [];
      this.byPort.set(key, rows);
    }
    let row = rows.find((r) => r.lists.includes(c.matches));
    if (row === undefined) {
      // A new list: the row of the same roles, or a new one.
      const roles = [...new Set(c.matches.map((m) => m.entry.role))];
      const text = roles.join("\n");
      row = rows.find((r) => r.roles.join("\n") === text);
      if (row === undefined) {
        row = {
          transport: transportName(f.ipProto),
          port: f.respPort,
          roles,
          known: 0,
          tlsComplete: 0,
          lists: [],
        };
        rows.push(row);
      }
      row.lists.push(c.matches);
    }
    row.known++;
    if (f.tls !== null && tlsComplete(f.tls)) row.tlsComplete++;
  }

  /** The rows by port, transport and roles. */
  rows(): ServiceCount[] {
    return [...this.byPort.values()]
      .flat()
      .sort(
        (a, b) =>
          a.port - b.port ||
          a.transport.localeCompare(b.transport) ||
          a.roles.join().localeCompare(b.roles.join()),
      )
      .map((r) => ({
        transport: r.transport,
        port: r.port,
        roles: [...r.roles],
        known: r.known,
        tlsComplete: r.tlsComplete,
      }));
  }
}
