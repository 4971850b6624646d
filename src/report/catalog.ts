/**
 * Renderers for `ocs-pcap catalog`: the whole catalog, or the entries that
 * cover one port (most specific first), as a table or as JSON.
 */
import Table from "cli-table3";
import { formatPorts } from "../catalog/index.js";
import type { CatalogEntry } from "../catalog/types.js";

export interface CatalogJson {
  entries: {
    role: string;
    roleKind: string;
    ports: { first: number; last: number }[];
    transports: string[];
    protocol: string;
    security: string;
    description: string;
    seedRow: number;
    notes: string[];
    clientRange: boolean;
    portUse: string;
    allows: string[];
  }[];
}

export function catalogJson(entries: readonly CatalogEntry[]): CatalogJson {
  return {
    entries: entries.map((e) => ({
      role: e.role,
      roleKind: e.roleKind,
      ports: e.ports.map((p) => ({ first: p.first, last: p.last })),
      transports: [...e.transports],
      protocol: e.protocol,
      security: e.security,
      description: e.description,
      seedRow: e.seedRow,
      notes: [...e.notes],
      clientRange: e.clientRange,
      portUse: e.portUse,
      allows: [...e.allows],
    })),
  };
}

export function renderCatalogJson(entries: readonly CatalogEntry[]): string {
  return `${JSON.stringify(catalogJson(entries), null, 2)}\n`;
}

export function renderCatalogTable(entries: readonly CatalogEntry[], title: string): string {
  const t = new Table({
    head: ["Row", "Role", "Port(s)", "Transport", "Use", "Protocol", "Security", "Description"],
    style: { head: [], border: [] },
    colWidths: [null, 30, null, null, null, null, null, 56],
    wordWrap: true,
  });
  for (const e of entries) {
    const described =
      e.notes.length > 0 ? `${e.description}\nnote: ${e.notes.join("\nnote: ")}` : e.description;
    t.push([
      e.seedRow,
      e.role,
      formatPorts(e.ports),
      e.transports.join("+"),
      e.portUse,
      e.protocol,
      e.security,
      described,
    ]);
  }
  return `${title}\n${t.toString()}\n`;
}
