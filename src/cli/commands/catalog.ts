/**
 * `ocs-pcap catalog`: prints the port catalog (built in, custom or
 * extended), filtered by port and transport.
 */

import type { Transport } from "../../catalog/types.js";
import { renderCatalogJson, renderCatalogTable } from "../../report/catalog.js";
import { EXIT, UsageError } from "../exit.js";
import type { Io } from "../io.js";
import { type CatalogCliOptions, loadCatalog, parseNonNegativeInt } from "../options.js";
import { writeToStream } from "../output.js";

export async function catalogCommand(opts: CatalogCliOptions, io: Io): Promise<number> {
  const index = loadCatalog(opts.catalog, opts.catalogExtend).index;
  if (opts.transport !== undefined && opts.port === undefined) {
    throw new UsageError("--transport needs --port");
  }
  let entries = index.entries;
  let title = `OCS 2007 R2 port catalog (${entries.length} entries)`;
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
    opts.format === "json" ? renderCatalogJson(entries) : renderCatalogTable(entries, title),
  ]);
  return EXIT.OK;
}
