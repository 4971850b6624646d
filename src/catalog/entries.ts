/**
 * A catalog file's rows into catalog entries: the defaults a row may leave
 * out, and the checks the schema cannot make. Kept apart from the file
 * parser (load.ts, with YAML and Ajv behind it) so that the built-in
 * products, whose data is checked by the tests, load without them.
 */
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

export interface EntryInput {
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
  product?: string;
  source?: string;
}

/** A catalog file, or a built-in product's (src/catalog/products/NAME.json, which names its product and sources). */
export interface CatalogFileData {
  product?: string;
  title?: string;
  sources?: Record<string, string>;
  entries: EntryInput[];
}

const CLIENT_ROLES = new Set(CATALOG.filter((e) => e.roleKind === "client").map((e) => e.role));

/** A checked catalog file's entries, numbered from 0; the product is the file's own, else "custom". */
export function catalogEntries(data: CatalogFileData, file: string): CatalogEntry[] {
  return data.entries.map((e, i) => {
    e.ports.forEach((r, j) => {
      if (r.first > r.last)
        throw new CatalogFileError(
          `/entries/${i}/ports/${j}: first (${r.first}) is above last (${r.last})`,
          file,
        );
    });
    if (e.clientRange && e.portUse !== undefined && e.portUse !== "media")
      throw new CatalogFileError(
        `/entries/${i}/portUse: a clientRange entry is a client's own media range, so its portUse is media, not ${e.portUse}`,
        file,
      );
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
      product: e.product ?? data.product ?? "custom",
      source: e.source === undefined ? file : withDocument(e.source, data.sources),
    };
  });
}

/** "S1, table X, row 3" with the document source id S1 stands for, so the text stands on its own. */
function withDocument(source: string, sources: Record<string, string> | undefined): string {
  const id = /^(S\d+\w*)\b/.exec(source)?.[1];
  const document = id === undefined ? undefined : sources?.[id];
  return document === undefined ? source : `${source} (${id}: ${document})`;
}
