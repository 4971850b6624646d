/**
 * `ocs-pcap catalog`: prints the port catalog (built in, custom or
 * extended), filtered by port and transport.
 */

import { existsSync } from "node:fs";
import { diffCatalogs } from "../../catalog/diff.js";
import { PRODUCTS, productCatalog } from "../../catalog/products.js";
import type { CatalogEntry, Transport } from "../../catalog/types.js";
import {
  renderCatalogCsv,
  renderCatalogDiffJson,
  renderCatalogDiffTable,
  renderCatalogJson,
  renderCatalogTable,
} from "../../report/catalog.js";
import { EXIT, UsageError } from "../exit.js";
import type { Io } from "../io.js";
import { type CatalogCliOptions, loadCatalog, parseNonNegativeInt } from "../options.js";
import { writeToStream } from "../output.js";

export async function catalogCommand(opts: CatalogCliOptions, io: Io): Promise<number> {
  const loaded = loadCatalog(opts.catalog, opts.catalogExtend, opts.product);
  const index = loaded.index;
  if (opts.transport !== undefined && opts.port === undefined) {
    throw new UsageError("--transport needs --port");
  }
  let entries = index.entries;
  const titles = loaded.products.map((p) => PRODUCTS.get(p)?.short ?? p).join(" + ");
  let title = `${opts.catalog === undefined ? titles : opts.catalog} port catalog (${entries.length} entries)`;
  if (opts.port !== undefined) {
    const port = parseNonNegativeInt(opts.port, "--port");
    if (port > 65535) throw new UsageError("--port must be between 0 and 65535");
    const transports: Transport[] = opts.transport ? [opts.transport] : ["tcp", "udp"];
    // Most specific first across transports: merge the ranked lists by range width.
    const matches = transports
      .flatMap((t) => index.lookup(t, port).map((m, rank) => ({ m, rank, t })))
      .sort(
        (a, b) =>
          a.m.range.last - a.m.range.first - (b.m.range.last - b.m.range.first) ||
          a.rank - b.rank ||
          a.t.localeCompare(b.t),
      );
    entries = [...new Set(matches.map((x) => x.m.entry))];
    title = `Catalog entries for port ${port}${opts.transport ? `/${opts.transport}` : ""}, most specific first (${entries.length})`;
  }
  await writeToStream(io.stdout, [
    opts.format === "json"
      ? renderCatalogJson(entries)
      : opts.format === "csv"
        ? renderCatalogCsv(entries)
        : renderCatalogTable(entries, title),
  ]);
  return EXIT.OK;
}

/** A side of `catalog diff`: a built-in product's name, or a catalog file. */
function diffSide(name: string): readonly CatalogEntry[] {
  if (PRODUCTS.has(name.toLowerCase())) return productCatalog([name.toLowerCase()]);
  if (!existsSync(name)) {
    throw new UsageError(
      `catalog diff: '${name}' is neither a built-in product (${[...PRODUCTS.keys()].join(", ")}) nor a file`,
    );
  }
  return loadCatalog(name, undefined).index.entries;
}

/** `catalog diff A B`; `parent` holds the options given to `catalog` itself, of which only -f applies. */
export async function catalogDiffCommand(
  a: string,
  b: string,
  opts: { format?: "table" | "json" },
  parent: CatalogCliOptions,
  io: Io,
): Promise<number> {
  // `catalog -f json diff A B` and `catalog diff A B -f json` alike: commander gives -f to whichever comes first.
  const format = opts.format ?? parent.format;
  const stray = (["port", "transport", "catalog", "catalogExtend", "product"] as const).find(
    (k) => parent[k] !== undefined,
  );
  if (stray !== undefined)
    throw new UsageError(
      `catalog diff compares its two arguments (products or catalog files); --${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} does not apply to it`,
    );
  if (format === "csv") throw new UsageError("catalog diff writes a table or JSON, not CSV");
  const diff = diffCatalogs(diffSide(a), diffSide(b));
  await writeToStream(io.stdout, [
    format === "json" ? renderCatalogDiffJson(diff, a, b) : renderCatalogDiffTable(diff, a, b),
  ]);
  return EXIT.OK;
}
