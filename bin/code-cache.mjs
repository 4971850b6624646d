#!/usr/bin/env node
/**
 * Makes dist/bundle/ocs-pcap.cjs.cache, V8's code cache for the CLI bundle
 * (run by bin/bundle.mjs after bundling; bin/load-bundle.mjs reads it).
 *
 * The cache is made after the bundle has run what a user's runs do (V8 caches
 * the functions compiled so far, not only the top level): `catalog`, and
 * `analyze` of the sample capture in the formats most used, in this process,
 * with the output discarded. Written beside the bundle through a temporary
 * file, so a reader never sees half of one. V8 keys a cache to its flags:
 * bin/bundle.mjs runs this without NODE_OPTIONS, so the cache matches a plain
 * `node`, and checks that a fresh process takes it. Exits 0 without writing when the
 * sample is missing (a package installed without fixtures/ keeps the cache it
 * shipped with, or runs without one).
 */
import { existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { frame, loadBundle } from "./load-bundle.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const bundle = join(root, "dist/bundle/ocs-pcap.cjs");
const sample = join(root, "fixtures/ocs-sample.pcap");
if (!existsSync(bundle) || !existsSync(sample)) process.exit(0);

const { exports: cli, script, source } = loadBundle(bundle, { useCache: false });
const discard = () => new Writable({ write: (_chunk, _encoding, done) => done() });
for (const args of [
  ["analyze", sample],
  ["analyze", sample, "-f", "json"],
  ["analyze", sample, "-f", "markdown"],
  ["catalog"],
]) {
  const code = await cli.run(args, { stdout: discard(), stderr: () => {} });
  if (code !== 0 && code !== 1) throw new Error(`ocs-pcap ${args.join(" ")} exited ${code}`);
}
const out = `${bundle}.cache`;
const tmp = `${out}.${process.pid}.tmp`;
try {
  writeFileSync(tmp, frame(script.createCachedData(), source));
  renameSync(tmp, out);
} catch (err) {
  // Another build removed dist/bundle/ meanwhile (two builds at once): that build makes its own.
  rmSync(tmp, { force: true });
  process.stderr.write(`code-cache: ${out} not written: ${err.message.split("\n")[0]}\n`);
  process.exit(1);
}
