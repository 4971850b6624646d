/**
 * What a batch worker needs to analyse a capture: plain data only (it
 * crosses a thread boundary), from which each thread rebuilds the catalog
 * index and topology.
 */
import type { AnalyzeOptions } from "../analyze.js";
import { builtInIndex, CatalogIndex } from "../catalog/index.js";
import { isDefaultProducts, productCatalog } from "../catalog/products.js";
import type { InputFilterSpec } from "../flow/input-filter.js";

export interface JobSettings {
  version: string;
  maxRecordLen: number;
  maxFlows: number;
  maxFragments: number;
  maxReassembly: number;
  maxReportFlows: number;
  tcpTimeoutMicros: number;
  udpTimeoutMicros: number;
  checksums: boolean;
  /** Every packet was dropped by the capturing host (`--dropped`: a pktmon `etl2pcap --drop-only` export). */
  dropped: boolean;
  catalog: { mode: "replace" | "extend"; file: string; text: string } | null;
  /** The built-in product catalogs (`--product`); the catalog file, if any, extends or replaces them. */
  products: string[];
  topology: { file: string; text: string } | null;
  /** Input filters (plain data). */
  filter: InputFilterSpec | null;
}

let cached: { key: string; options: AnalyzeOptions } | null = null;

/**
 * Analysis options for these settings (the catalog and topology are parsed
 * once per thread). Their parsers, with YAML and Ajv behind them, are loaded
 * only when the settings name such files, so a worker starts lighter.
 */
export async function settingsToOptions(settings: JobSettings): Promise<AnalyzeOptions> {
  const key = JSON.stringify(settings);
  if (cached !== null && cached.key === key) return cached.options;
  let index: CatalogIndex;
  const base = isDefaultProducts(settings.products) ? null : productCatalog(settings.products);
  if (settings.catalog === null) {
    if (base === null) {
      index = builtInIndex();
    } else index = new CatalogIndex(base);
  } else {
    const { extendCatalog, parseCatalogFile } = await import("../catalog/load.js");
    const entries = parseCatalogFile(settings.catalog.text, settings.catalog.file);
    index = new CatalogIndex(
      settings.catalog.mode === "replace" ? entries : extendCatalog(entries, base ?? undefined),
    );
  }
  const topology =
    settings.topology === null
      ? null
      : (await import("../classify/topology.js")).parseTopology(
          settings.topology.text,
          settings.topology.file,
          index.roles(),
        );
  const options: AnalyzeOptions = {
    index,
    products: settings.products,
    topology,
    version: settings.version,
    maxRecordLen: settings.maxRecordLen,
    maxFlows: settings.maxFlows,
    maxFragments: settings.maxFragments,
    maxReassembly: settings.maxReassembly,
    maxReportFlows: settings.maxReportFlows,
    tcpTimeoutMicros: settings.tcpTimeoutMicros,
    udpTimeoutMicros: settings.udpTimeoutMicros,
    checksums: settings.checksums,
    dropped: settings.dropped,
    filter: settings.filter,
  };
  cached = { key, options };
  return options;
}
