#!/usr/bin/env node
/**
 * Makes dist/bundle/ocs-pcap.cjs.cache, V8's code cache for the CLI bundle
 * (run by bin/bundle.mjs after bundling; bin/load-bundle.mjs reads it).
 *
 * The cache is made after the bundle has run what a user's runs do (V8 caches
 * the functions compiled so far, not only the top level): `catalog`, and
 * `analyze` of the sample capture in the formats most used, in this process,
 * with the output discarded. Written beside the bundle through a temporary
 * file, so a reader never sees half of one. Exits 0 without writing when the
 * sample is missing (a package installed without fixtures/ keeps the cache it
 * shipped with, or runs without one).
 */
import { existsSync, renameSync, writeFileSync } from "node:fs";
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
writeFileSync(tmp, frame(script.createCachedData(), source));
renameSync(tmp, out);
