#!/usr/bin/env node
/**
 * Builds the standalone executable `dist/standalone/ocs-pcap-<os>-<arch>`: one
 * file that runs where Node is not installed (`npm run standalone`).
 *
 * Node 20's single-executable applications (https://nodejs.org/api/single-executable-applications.html):
 * 1. esbuild bundles the CLI (src/cli/standalone.ts) and the batch worker
 *    (src/cli/worker.ts) into two CommonJS scripts, since an executable's
 *    main script is one CommonJS file whose `require` reaches only Node's
 *    built-in modules;
 * 2. `node --experimental-sea-config` turns the CLI script into a blob, with
 *    the worker's script as an asset and V8's code cache;
 * 3. postject injects the blob into a copy of this Node binary.
 * Prints the executable's path and size.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { inject } from "postject";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist/standalone");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const name = `ocs-pcap-${process.platform}-${process.arch}`;
// Node's documented sentinel for the fuse that enables the injected blob.
const FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/**
 * Modules that load something on first use through `createRequire(import.meta.url)`
 * (Ajv and yaml in src/schema.ts, the product catalogs' data in src/catalog/products.ts,
 * cli-progress in src/cli/progress.ts, cli-table3 in src/report/catalog.ts),
 * which a CommonJS bundle has no URL for: there it becomes a plain `require`,
 * which esbuild bundles and still evaluates on first use.
 */
const LAZY = /src[\\/](schema|catalog[\\/]products|cli[\\/]progress|report[\\/]catalog)\.ts$/;
const lazyRequire = {
  name: "lazy-require",
  setup(b) {
    b.onLoad({ filter: LAZY }, (args) => {
      const text = readFileSync(args.path, "utf8");
      const made = "const requireCjs = createRequire(import.meta.url);";
      if (!text.includes(made) || !text.includes("requireCjs("))
        throw new Error(`${args.path} no longer loads lazily as bin/build-standalone.mjs expects`);
      return { contents: text.replace(made, "").replaceAll("requireCjs(", "require("), loader: "ts" };
    });
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  define: { OCS_PCAP_VERSION: JSON.stringify(pkg.version) },
  plugins: [lazyRequire],
  logLevel: "warning",
  // import.meta.url is used only where the standalone entry supplies the value
  // (the worker's file, package.json's version).
  logOverride: { "empty-import-meta": "silent" },
};
await build({
  ...common,
  entryPoints: [join(root, "src/cli/standalone.ts")],
  outfile: join(out, "ocs-pcap.cjs"),
});
await build({ ...common, entryPoints: [join(root, "src/cli/worker.ts")], outfile: join(out, "worker.cjs") });

const config = {
  main: join(out, "ocs-pcap.cjs"),
  output: join(out, "sea.blob"),
  disableExperimentalSEAWarning: true,
  useCodeCache: true,
  assets: { "worker.cjs": join(out, "worker.cjs") },
};
writeFileSync(join(out, "sea-config.json"), `${JSON.stringify(config, null, 2)}\n`);
execFileSync(process.execPath, ["--experimental-sea-config", join(out, "sea-config.json")], {
  stdio: "inherit",
});

const exe = join(out, name);
copyFileSync(process.execPath, exe);
await inject(exe, "NODE_SEA_BLOB", readFileSync(config.output), { sentinelFuse: FUSE });
const mb = (statSync(exe).size / 1e6).toFixed(1);
process.stdout.write(`${exe} (${mb} MB, Node ${process.version})\n`);
