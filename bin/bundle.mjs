#!/usr/bin/env node
/**
 * The fast start (part of `npm run build` and of npm's `prepare`): esbuild
 * bundles the CLI and the batch worker from src/ into dist/bundle/ocs-pcap.cjs
 * and dist/bundle/worker.cjs, npm packages left to Node's `require`.
 *
 * Why: Node 20 loads the ~120 ES modules of dist/ one by one (resolve, read,
 * compile, link), about 0.07 s of every run and every batch worker's start;
 * one CommonJS file loads in a fraction of that (README.md, "Start-up").
 * bin/ocs-pcap runs the bundle when an installed package has one, or, in a
 * checkout, when it is at least as new as every dist/ module and package.json; dist/'s modules
 * otherwise (a tsc-only rebuild, or no esbuild: an `npm ci --omit=dev` install
 * builds without it, as esbuild is a development dependency). The bundle is
 * the same code as dist/: one source, two loaders. Then bin/code-cache.mjs
 * adds V8's code cache for the CLI bundle (dist/bundle/ocs-pcap.cjs.cache).
 *
 * Without esbuild it removes dist/bundle/ and exits 0.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { bundleOptions, ROOT } from "./esbuild-options.mjs";

// An old bundle goes first, whether or not a new one can be made: a build without esbuild must
// not leave (or pack, or install) a bundle of older sources beside the new modules.
const out = join(ROOT, "dist/bundle");
rmSync(out, { recursive: true, force: true });
let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  process.exit(0);
}
mkdirSync(out, { recursive: true });
const options = { ...bundleOptions(), packages: "external" };
await esbuild.build({
  ...options,
  entryPoints: [join(ROOT, "src/cli/main.ts")],
  outfile: join(out, "ocs-pcap.cjs"),
});
await esbuild.build({
  ...options,
  entryPoints: [join(ROOT, "src/cli/worker.ts")],
  outfile: join(out, "worker.cjs"),
});

// V8's code cache for the CLI bundle (bin/code-cache.mjs), in a process of its own: it runs the
// CLI. Without one the bundle still runs, compiled as usual, so a failure here is a warning.
// V8 rejects a cache made under other V8 flags, so it is made, and then checked, without
// NODE_OPTIONS (a heap size set there for the build would make every plain run reject it).
const { NODE_OPTIONS: _flags, ...env } = process.env;
const cache = spawnSync(process.execPath, [join(ROOT, "bin/code-cache.mjs")], { stdio: "inherit", env });
if (cache.status !== 0) {
  process.stderr.write("bundle: warning: no code cache was made; the bundle starts without one\n");
} else {
  const check = `import { loadBundle } from ${JSON.stringify(pathToFileURL(join(ROOT, "bin/load-bundle.mjs")).href)};
process.stdout.write(loadBundle(${JSON.stringify(join(out, "ocs-pcap.cjs"))}).cache);`;
  const taken = spawnSync(process.execPath, ["--input-type=module", "-e", check], {
    encoding: "utf8",
    env,
  }).stdout;
  // (Empty: the check could not load the bundle, which a second build at the same time had removed.)
  if (taken === "rejected" || taken === "damaged" || taken === "stale")
    process.stderr.write(
      `bundle: warning: node does not take the code cache just made (${taken}); the bundle starts without it\n`,
    );
}
