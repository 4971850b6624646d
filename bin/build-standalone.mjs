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
import { join } from "node:path";
import { build } from "esbuild";
import { inject } from "postject";
import { bundleOptions, ROOT as root } from "./esbuild-options.mjs";

const out = join(root, "dist/standalone");
const name = `ocs-pcap-${process.platform}-${process.arch}`;
// Node's documented sentinel for the fuse that enables the injected blob.
const FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// Everything in the executable, npm packages included: no node_modules beside it.
const common = bundleOptions();
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
