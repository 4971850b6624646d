/**
 * What the two esbuild bundles share (bin/bundle.mjs, the fast start of
 * bin/ocs-pcap; bin/build-standalone.mjs, the single executable): CommonJS
 * for Node 20, the tool's version compiled in, and the lazy loads rewritten.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Modules that load something on first use through `createRequire(import.meta.url)`
 * (Ajv and yaml in src/schema.ts, the product catalogs' data in src/catalog/products.ts,
 * cli-progress in src/cli/progress.ts, string-width in src/report/box.ts),
 * which a CommonJS bundle has no URL for: there it becomes a plain `require`,
 * which esbuild bundles (or leaves to Node, for an external package) and
 * still evaluates on first use.
 */
const LAZY = /src[\\/](schema|catalog[\\/]products|cli[\\/]progress|report[\\/]box)\.ts$/;
const lazyRequire = {
  name: "lazy-require",
  setup(b) {
    b.onLoad({ filter: LAZY }, (args) => {
      const text = readFileSync(args.path, "utf8");
      const made = "const requireCjs = createRequire(import.meta.url);";
      if (!text.includes(made) || !text.includes("requireCjs("))
        throw new Error(`${args.path} no longer loads lazily as bin/esbuild-options.mjs expects`);
      return { contents: text.replace(made, "").replaceAll("requireCjs(", "require("), loader: "ts" };
    });
  },
};

/** esbuild's options for a CommonJS bundle of one of the CLI's entry points. */
export function bundleOptions() {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  return {
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    define: { OCS_PCAP_VERSION: JSON.stringify(pkg.version) },
    plugins: [lazyRequire],
    logLevel: "warning",
    // import.meta.url is used only where the entry supplies the value instead
    // (the worker's file, package.json's version).
    logOverride: { "empty-import-meta": "silent" },
  };
}
