/**
 * Renderers for `ocs-pcap catalog`: the whole catalog, or the entries that
 * cover one port (most specific first), as a table, JSON or firewall-rule
 * CSV; and `catalog diff` as a table or JSON.
 */
import type { CatalogDiff, DiffSide } from "../catalog/diff.js";
import { formatPorts } from "../catalog/index.js";
import type { CatalogEntry } from "../catalog/types.js";
import { boxTable } from "./box.js";
import { escapeCsv, escapeTerminal, escapeTerminalLine as term } from "./escape.js";

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
    product?: string;
    source?: string;
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
      // The seed's rows say where they come from in seedRow; other products' rows name their document.
      ...(e.product === "ocs2007r2" ? {} : { product: e.product, source: e.source }),
    })),
  };
}

export function renderCatalogJson(entries: readonly CatalogEntry[]): string {
  return `${JSON.stringify(catalogJson(entries), null, 2)}\n`;
}

/** Text columns of the catalog tables that wrap (the others are as wide as their widest cell). */
const ROLE_WIDTH = 28;
const DESCRIPTION_WIDTH = 54;
const DIFF_ROLES_WIDTH = 38;

export function renderCatalogTable(entries: readonly CatalogEntry[], title: string): string {
  const rows = entries.map((e) => {
    const described =
      e.notes.length > 0
        ? `${term(e.description)}\nnote: ${e.notes.map(term).join("\nnote: ")}`
        : term(e.description);
    return [
      String(e.seedRow),
      term(e.role),
      formatPorts(e.ports),
      e.transports.join("+"),
      e.portUse,
      term(e.protocol),
      e.security,
      described,
    ];
  });
  const head = ["Row", "Role", "Port(s)", "Transport", "Use", "Protocol", "Security", "Description"];
  const table = boxTable(head, rows, [null, ROLE_WIDTH, null, null, null, null, null, DESCRIPTION_WIDTH]);
  return `${escapeTerminal(title)}\n${table}\n`;
}

/** A CSV cell as the report's CSV writes it: quoted where needed, formulas defused, controls escaped. */
const csvCell = (s: string | number) => (typeof s === "number" ? String(s) : escapeCsv(s));

/** Which way a row opens a firewall: to the role's port, from the role (to the port, or from its ports), or both (media). */
const DIRECTION: Record<CatalogEntry["portUse"], string> = {
  listen: "inbound to role",
  connect: "outbound from role to port",
  source: "outbound from role's ports",
  media: "both ways",
};

/**
 * One firewall rule per entry, port range and transport: role, direction,
 * ports, transport, protocol, product and source (RFC 4180, CRLF lines).
 */
export function renderCatalogCsv(entries: readonly CatalogEntry[]): string {
  const lines = ["role,direction,first_port,last_port,transport,protocol,security,product,source"];
  for (const e of entries)
    for (const r of e.ports)
      for (const t of e.transports)
        lines.push(
          [e.role, DIRECTION[e.portUse], r.first, r.last, t, e.protocol, e.security, e.product, e.source]
            .map(csvCell)
            .join(","),
        );
  return `${lines.join("\r\n")}\r\n`;
}

export function renderCatalogDiffJson(diff: CatalogDiff, a: string, b: string): string {
  return `${JSON.stringify({ before: a, after: b, unchanged: diff.unchanged, changes: diff.rows }, null, 2)}\n`;
}

export function renderCatalogDiffTable(diff: CatalogDiff, a: string, b: string): string {
  const counts = { added: 0, removed: 0, changed: 0 };
  for (const r of diff.rows) counts[r.change]++;
  const head = ["Change", "Port(s)", "Transport", "Use", `Roles in ${term(a)}`, `Roles in ${term(b)}`];
  const side = (s: DiffSide | undefined) =>
    s === undefined ? "-" : `${s.roles.map(term).join("\n")}\n(${s.protocols.map(term).join(", ")})`;
  const rows = diff.rows.map((r) => [r.change, r.ports, r.transport, r.use, side(r.before), side(r.after)]);
  const table = boxTable(head, rows, [null, null, null, null, DIFF_ROLES_WIDTH, DIFF_ROLES_WIDTH]);
  const title = `Catalog ${term(a)} → ${term(b)}: ${counts.added} added, ${counts.removed} removed, ${counts.changed} changed, ${diff.unchanged} unchanged (port ranges by transport and use)`;
  return `${title}\n${table}\n`;
}
