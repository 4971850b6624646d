#!/usr/bin/env node
/**
 * npm's `prepare` step: builds dist/ with the TypeScript compiler, which is a
 * runtime dependency so that every install path that builds (a clone with
 * `npm ci`, `npm install git+URL`, `npm ci --omit=dev`) has it. Type-checking
 * is CI's job (`npm run typecheck`); here the sources are only transpiled.
 *
 * npm/cli#8440 (open): `npm install -g git+URL` prepares the clone with a
 * child npm that inherits `npm_config_global=true`, so it installs nothing
 * into the clone and `tsc` is missing. Then the compiler alone, at the
 * version package.json pins, is installed with Node's types into a temporary
 * folder and run from there. Then bin/bundle.mjs writes the fast-start
 * bundle when esbuild (a development dependency) is installed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const LOCAL_TSC = "node_modules/typescript/bin/tsc";

function run(command, args, env = process.env) {
  const r = spawnSync(command, args, { stdio: "inherit", env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

let tsc = LOCAL_TSC;
const extra = [];
if (!existsSync(tsc)) {
  const pkg = JSON.parse(readFileSync("package.json", "utf8"));
  const version = pkg.dependencies?.typescript;
  const types = pkg.dependencies?.["@types/node"];
  const npm = process.env.npm_execpath;
  if (!version || !types || !npm) {
    process.stderr.write("ocs-pcap prepare: the TypeScript compiler is not installed; run npm ci\n");
    process.exit(1);
  }
  const env = { ...process.env };
  for (const key of Object.keys(env))
    if (/^npm_config_(global|prefix|global_prefix)$/i.test(key)) delete env[key];
  const scratch = mkdtempSync(join(tmpdir(), "ocs-pcap-tsc-"));
  process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));
  run(
    process.execPath,
    [
      npm,
      "install",
      "--prefix",
      scratch,
      "--no-save",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      `typescript@${version}`,
      `@types/node@${types}`,
    ],
    env,
  );
  tsc = join(scratch, LOCAL_TSC);
  extra.push("--typeRoots", join(scratch, "node_modules/@types"));
}
run(process.execPath, [tsc, "-p", "tsconfig.json", "--noCheck", ...extra]);
// The fast-start bundle, where esbuild is installed (bin/bundle.mjs; it does nothing otherwise).
run(process.execPath, ["bin/bundle.mjs"]);
