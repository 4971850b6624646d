/**
 * Catalog files of your own (`--catalog`, `--catalog-extend`): JSON or YAML
 * in the format `ocs-pcap catalog --format json` prints, validated against
 * catalog.schema.json with Ajv. Errors give the file, line, column and JSON path.
 */
import { LazySchema, SettingsDocument, SettingsSyntaxError } from "../schema.js";
import schema from "./catalog.schema.json" with { type: "json" };
import { CATALOG } from "./data.js";
import type { CatalogEntry, PayloadFamily, PortUse, RoleKind, Security, Transport } from "./types.js";

export class CatalogFileError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = "CatalogFileError";
  }
}

interface EntryInput {
  role: string;
  roleKind?: RoleKind;
  ports: { first: number; last: number }[];
  transports: Transport[];
  protocol: string;
  security?: Security;
  description?: string;
  seedRow?: number;
  notes?: string[];
  clientRange?: boolean;
  portUse?: PortUse;
  allows?: PayloadFamily[];
}

const CATALOG_FILE = new LazySchema<{ entries: EntryInput[] }>(schema, { strict: true });

const CLIENT_ROLES = new Set(CATALOG.filter((e) => e.roleKind === "client").map((e) => e.role));

/** Parses and validates a catalog file's text. */
export function parseCatalogFile(text: string, file: string): CatalogEntry[] {
  let doc: SettingsDocument;
  try {
    doc = SettingsDocument.parse(text);
  } catch (err) {
    if (!(err instanceof SettingsSyntaxError)) throw err;
    throw new CatalogFileError(
      `line ${err.line}, column ${err.column}: not valid JSON or YAML: ${err.message}`,
      file,
    );
  }
  const data = doc.data;
  if (!CATALOG_FILE.check(data)) {
    throw new CatalogFileError(
      `does not match the catalog schema: ${CATALOG_FILE.problems(5, doc).join("; ")}`,
      file,
    );
  }
  return data.entries.map((e, i) => {
    e.ports.forEach((r, j) => {
      if (r.first > r.last)
        throw new CatalogFileError(
          `/entries/${i}/ports/${j}: first (${r.first}) is above last (${r.last})`,
          file,
        );
    });
    const roleKind: RoleKind =
      e.roleKind ??
      (/^load balancer/i.test(e.role) ? "load-balancer" : CLIENT_ROLES.has(e.role) ? "client" : "server");
    return {
      id: i,
      role: e.role,
      roleKind,
      ports: e.ports.map((r) => ({ first: r.first, last: r.last })),
      transports: [...e.transports],
      protocol: e.protocol,
      security: e.security ?? "any",
      description: e.description ?? "",
      seedRow: e.seedRow ?? 0,
      notes: e.notes ?? [],
      clientRange: e.clientRange ?? false,
      portUse: e.portUse ?? (e.clientRange ? "media" : "listen"),
      allows: [...(e.allows ?? [])],
    };
  });
}

/** The built-in catalog followed by `extra`, renumbered. */
export function extendCatalog(extra: readonly CatalogEntry[]): CatalogEntry[] {
  return [...CATALOG, ...extra].map((e, id) => ({ ...e, id }));
}

export { schema as CATALOG_SCHEMA };
