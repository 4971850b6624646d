/**
 * The built-in product catalogs (`--product`): OCS 2007 R2 from the seed
 * (data.ts), and the later products from Microsoft's published port tables
 * (products/NAME.json, each row with its source document, table and row).
 * Lync Server 2010 is not among them: its tables are in no public
 * documentation repository (only Lync Server 2013's and later are).
 * Several products at once merge into one catalog whose role names carry
 * their product, for a site in the middle of a migration.
 */
import { createRequire } from "node:module";
import { CATALOG } from "./data.js";
import { type CatalogFileData, catalogEntries } from "./entries.js";
import type { CatalogEntry } from "./types.js";

/**
 * The data files are read on first use, not at start-up: several hundred
 * kilobytes that every batch worker would otherwise parse whether or not
 * `--product` names them.
 */
const requireCjs = createRequire(import.meta.url);

export const DEFAULT_PRODUCT = "ocs2007r2";

export interface Product {
  name: string;
  title: string;
  /** How a merged catalog qualifies the product's role names: "Front End Server (SfB 2019)". */
  short: string;
  /** The product's published address sets, as topology roles (Teams' media relays). */
  addresses(): Address[];
  entries(): readonly CatalogEntry[];
}

/** A product whose rows (and address sets) are read from its data file on first use. */
function fromFile(
  name: string,
  title: string,
  short: string,
  load: () => CatalogFileData,
  addresses?: () => Address,
): Product {
  let entries: readonly CatalogEntry[] | null = null;
  return {
    name,
    title,
    short,
    addresses: () => (addresses === undefined ? [] : [addresses()]),
    entries: () => {
      entries ??= catalogEntries(load(), `built-in catalog ${name}`);
      return entries;
    },
  };
}

type Address = { role: string; source: string; retrieved: string; networks: string[] };

// Literal require calls, one per file, so the standalone executable's bundler finds and embeds each.
const FILES: Product[] = [
  fromFile("lync2013", "Lync Server 2013", "Lync 2013", () => requireCjs("./products/lync2013.json")),
  fromFile("sfb2015", "Skype for Business Server 2015", "SfB 2015", () =>
    requireCjs("./products/sfb2015.json"),
  ),
  fromFile("sfb2019", "Skype for Business Server 2019", "SfB 2019", () =>
    requireCjs("./products/sfb2019.json"),
  ),
  fromFile(
    "teams",
    "Microsoft Teams (clients to Microsoft 365)",
    "Teams",
    () => requireCjs("./products/teams.json"),
    () => requireCjs("./products/teams.addresses.json"),
  ),
  fromFile("teams-direct-routing", "Microsoft Teams Direct Routing", "Teams DR", () =>
    requireCjs("./products/teams-direct-routing.json"),
  ),
];

export const PRODUCTS: ReadonlyMap<string, Product> = new Map<string, Product>([
  [
    DEFAULT_PRODUCT,
    {
      name: DEFAULT_PRODUCT,
      title: "Office Communications Server 2007 R2",
      short: "OCS 2007 R2",
      addresses: () => [],
      entries: () => CATALOG,
    },
  ],
  ...FILES.map((p): [string, Product] => [p.name, p]),
]);

export class UnknownProductError extends Error {
  constructor(readonly product: string) {
    super(`unknown product '${product}'; built in: ${[...PRODUCTS.keys()].join(", ")}`);
    this.name = "UnknownProductError";
  }
}

/** `--product`'s comma-separated list, each name checked, duplicates dropped, order kept. */
export function parseProducts(text: string): string[] {
  const names = [
    ...new Set(
      text
        .split(",")
        .map((s) => s.trim().toLowerCase())
        .filter((s) => s !== ""),
    ),
  ];
  if (names.length === 0) throw new UnknownProductError(text);
  for (const n of names) if (!PRODUCTS.has(n)) throw new UnknownProductError(n);
  return names;
}

/**
 * The catalog of one product, or of several merged: then each role name is
 * qualified by its product ("Front End Servers (OCS 2007 R2)"), so every
 * match, role table and topology names it. Entries are renumbered.
 */
export function productCatalog(names: readonly string[]): CatalogEntry[] {
  const products = names.map((n) => {
    const p = PRODUCTS.get(n);
    if (p === undefined) throw new UnknownProductError(n);
    return p;
  });
  if (products.length === 1) return [...products[0]!.entries()];
  return products
    .flatMap((p) => p.entries().map((e) => ({ ...e, role: `${e.role} (${p.short})` })))
    .map((e, id) => ({ ...e, id }));
}

/** Whether a run with these products is the default one (reports then look as they always have). */
export function isDefaultProducts(names: readonly string[]): boolean {
  return names.length === 1 && names[0] === DEFAULT_PRODUCT;
}

/**
 * The published address sets of these products as a topology file's text
 * (roles only), or null when they have none: `--product teams` then knows
 * which side is Microsoft's media relay without a topology file.
 */
export function productTopologyText(names: readonly string[]): string | null {
  const lines: string[] = [];
  for (const n of names) {
    const p = PRODUCTS.get(n);
    for (const a of p?.addresses() ?? []) {
      const role = names.length > 1 ? `${a.role} (${p!.short})` : a.role;
      lines.push(
        `  # ${a.source}, retrieved ${a.retrieved}`,
        `  ${JSON.stringify(role)}: [${a.networks.join(", ")}]`,
      );
    }
  }
  return lines.length === 0 ? null : `roles:\n${lines.join("\n")}\n`;
}
