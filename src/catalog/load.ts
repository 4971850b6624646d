/**
 * Catalog files of your own (`--catalog`, `--catalog-extend`): JSON or YAML
 * in the format `ocs-pcap catalog --format json` prints, validated against
 * catalog.schema.json with Ajv. Errors give the file, line, column and JSON path.
 */
import { LazySchema, SettingsDocument, SettingsSyntaxError } from "../schema.js";
import schema from "./catalog.schema.json" with { type: "json" };
import { CATALOG } from "./data.js";
import { type CatalogFileData, CatalogFileError, catalogEntries } from "./entries.js";
import type { CatalogEntry } from "./types.js";

export { type CatalogFileData, CatalogFileError, catalogEntries };

const CATALOG_FILE = new LazySchema<CatalogFileData>(schema, { strict: true });

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
  return catalogEntries(data, file);
}

/** `base` (by default the built-in OCS 2007 R2 catalog) followed by `extra`, renumbered. */
export function extendCatalog(
  extra: readonly CatalogEntry[],
  base: readonly CatalogEntry[] = CATALOG,
): CatalogEntry[] {
  return [...base, ...extra].map((e, id) => ({ ...e, id }));
}

export { schema as CATALOG_SCHEMA };
