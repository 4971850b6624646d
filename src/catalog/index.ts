/**
 * Constant-time port lookup: "which entries cover port P on transport T".
 *
 * For each transport a dense 65,536-slot table maps a port to the id of a
 * precomputed, ranked match list (the approach gopacket takes for its
 * port-to-layer tables): no scan per packet or per flow. Ports that share the
 * same set of entries share one list.
 *
 * Ranking: an exact port beats a range, a narrower range beats a wider one,
 * and ties keep catalog order. Rows whose `portUse` is "source" (ports a role
 * sends from) never match a responder's port, so they are left out.
 */
import { CATALOG } from "./data.js";
import { type CatalogEntry, type PortRange, servicePortUse, type Transport } from "./types.js";

export interface CatalogMatch {
  entry: CatalogEntry;
  /** The entry's port range that covers the port. */
  range: PortRange;
}

const EMPTY: readonly CatalogMatch[] = Object.freeze([]);

export class CatalogIndex {
  private readonly slots: Record<Transport, Uint16Array>;
  private readonly lists: (readonly CatalogMatch[])[] = [EMPTY];
  /** The same lists, only the rows for the responder's own port ("listen" and "connect"), by list id. */
  private readonly listenLists: (readonly CatalogMatch[])[] = [EMPTY];
  /** The same lists, only the "media" rows (the clients' own range included), by list id. */
  private readonly mediaLists: (readonly CatalogMatch[])[] = [EMPTY];
  /** The same lists, only the servers' media ranges (the clients' own left out), by list id. */
  private readonly serverMediaLists: (readonly CatalogMatch[])[] = [EMPTY];
  /** Ports with a single-port (not range) entry per transport: Zeek's likely server ports. */
  private readonly servicePorts: Record<Transport, Uint8Array>;

  constructor(readonly entries: readonly CatalogEntry[] = CATALOG) {
    this.slots = { tcp: new Uint16Array(65536), udp: new Uint16Array(65536) };
    this.servicePorts = { tcp: new Uint8Array(65536), udp: new Uint8Array(65536) };
    const listIds = new Map<string, number>();
    for (const transport of ["tcp", "udp"] as const) {
      // Sweep the port space from one range boundary to the next, so building
      // costs O(ports + boundaries × entries) rather than O(ports × entries).
      const starts = new Map<number, CatalogMatch[]>();
      for (const entry of entries) {
        if (!entry.transports.includes(transport) || entry.portUse === "source") continue;
        for (const range of entry.ports) {
          const list = starts.get(range.first) ?? [];
          list.push({ entry, range });
          starts.set(range.first, list);
          if (range.first === range.last && servicePortUse(entry.portUse)) {
            this.servicePorts[transport][range.first] = 1;
          }
        }
      }
      // The set of covering entries changes only where a range starts or ends,
      // so the list is recomputed at those boundaries and filled in between.
      const boundaries = new Set<number>([0]);
      for (const [first, matches] of starts) {
        boundaries.add(first);
        for (const m of matches) if (m.range.last < 65535) boundaries.add(m.range.last + 1);
      }
      const cuts = [...boundaries].sort((a, b) => a - b);
      let active: CatalogMatch[] = [];
      const slot = this.slots[transport];
      for (const [i, port] of cuts.entries()) {
        active = active.filter((m) => m.range.last >= port);
        active.push(...(starts.get(port) ?? []));
        const ranked = [...active].sort(compareMatches);
        const key = ranked.map((m) => `${m.entry.id}:${m.range.first}`).join(",");
        let id = listIds.get(key);
        if (id === undefined) {
          id = ranked.length === 0 ? 0 : this.lists.length;
          if (id !== 0) {
            this.lists.push(Object.freeze(ranked));
            this.listenLists.push(Object.freeze(ranked.filter((m) => servicePortUse(m.entry.portUse))));
            this.mediaLists.push(Object.freeze(ranked.filter((m) => m.entry.portUse === "media")));
            this.serverMediaLists.push(
              Object.freeze(ranked.filter((m) => m.entry.portUse === "media" && !m.entry.clientRange)),
            );
          }
          listIds.set(key, id);
        }
        slot.fill(id, port, cuts[i + 1] ?? 65536);
      }
    }
  }

  /** Ranked entries covering `port` on `transport`; an empty list when none does. */
  lookup(transport: Transport, port: number): readonly CatalogMatch[] {
    return this.lists[this.slots[transport][port] ?? 0] ?? EMPTY;
  }

  /** Like `lookup`, only the rows whose port is a service port: one a role listens on or connects to. */
  listen(transport: Transport, port: number): readonly CatalogMatch[] {
    return this.listenLists[this.slots[transport][port] ?? 0] ?? EMPTY;
  }

  /** Like `lookup`, only the media ranges (the clients' own 1024–65535 included). */
  media(transport: Transport, port: number): readonly CatalogMatch[] {
    return this.mediaLists[this.slots[transport][port] ?? 0] ?? EMPTY;
  }

  /** Like `media`, without the clients' own range: the servers' media ranges (Front End, Mediation, Edge, CWA). */
  serverMedia(transport: Transport, port: number): readonly CatalogMatch[] {
    return this.serverMediaLists[this.slots[transport][port] ?? 0] ?? EMPTY;
  }

  /** True when a single-port "listen" or "connect" entry (not a range) lists this port on this transport. */
  isServicePort(transport: Transport, port: number): boolean {
    return this.servicePorts[transport][port] === 1;
  }

  /** Distinct role names, in catalog order. */
  roles(): string[] {
    return [...new Set(this.entries.map((e) => e.role))];
  }
}

function width(range: PortRange): number {
  return range.last - range.first;
}

function compareMatches(a: CatalogMatch, b: CatalogMatch): number {
  return width(a.range) - width(b.range) || a.entry.id - b.entry.id;
}

/** "5061", "5060/5061", "49152-65535". */
export function formatPorts(ports: readonly PortRange[]): string {
  return ports.map(formatRange).join("/");
}

export function formatRange(range: PortRange): string {
  return range.first === range.last ? String(range.first) : `${range.first}-${range.last}`;
}

let builtIn: CatalogIndex | null = null;

/** The index of the built-in catalog, built once per thread: it is never changed after building. */
export function builtInIndex(): CatalogIndex {
  builtIn ??= new CatalogIndex();
  return builtIn;
}
