/**
 * The fast start: bin/ocs-pcap runs dist/bundle/ (one CommonJS file each for
 * the CLI and the batch worker, bin/bundle.mjs) when it is current, and
 * dist/'s ES modules otherwise. Both are the same source, so every command
 * that touches a lazily loaded part (Ajv, yaml, a product catalog's data,
 * string-width, the worker) must answer byte for byte the same from both.
 * Spawned, so it runs in the system suite.
 */

import { execFileSync, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BATCH } from "../helpers/batch.js";
import { cliAsync, ROOT } from "../helpers/cli.js";

const BUNDLE = join(ROOT, "dist/bundle/ocs-pcap.cjs");
/** What `--version` prints: package.json's version. */
const want = () =>
  `${(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version}\n`;
const MODULES = { OCS_PCAP_BUNDLE: "0" };

/** Commands that load, between them, every part the bundle rewrites or leaves to Node's require. */
const COMMANDS: string[][] = [
  ["--version"],
  ["analyze", "fixtures/ocs-sample.pcap", "--format", "json"],
  ["analyze", ...BATCH, "--format", "table", "--jobs", "2", "--limit", "0"],
  ["analyze", ...BATCH, "--format", "junit", "--jobs", "2"],
  ["analyze", "fixtures/topology-cases.pcap", "--topology", "fixtures/topology-cases.yaml", "-f", "markdown"],
  ["analyze", "fixtures/ocs-sample.pcap", "--product", "teams", "--product", "sfb2019", "-f", "csv"],
  ["summarize", "fixtures/ocs-sample.json", "--format", "markdown"],
  ["catalog", "--product", "lync2013"],
  ["analyze", "fixtures/malformed/short-header.pcap"],
];

describe("bin/ocs-pcap's bundle", () => {
  it("exists after the build (esbuild is a development dependency, installed in CI)", () => {
    expect(existsSync(BUNDLE)).toBe(true);
    // The version compiled in is package.json's.
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(readFileSync(BUNDLE, "utf8")).toContain(JSON.stringify(pkg.version));
  });

  it.each(COMMANDS.map((c) => [c.join(" "), c]))(
    "%s: the bundle answers as the ES modules do",
    async (_name, args) => {
      const [bundled, modules] = await Promise.all([
        cliAsync({}, ...args),
        cliAsync({ env: MODULES }, ...args),
      ]);
      expect(bundled.code).toBe(modules.code);
      expect(bundled.stderr).toBe(modules.stderr);
      expect(bundled.stdout).toBe(modules.stdout);
      expect(bundled.stdout.length + bundled.stderr.length).toBeGreaterThan(0);
    },
  );

  it("starts from a folder whose path has a space and a percent sign in it (a file path, not a URL's)", () => {
    const root = installedCopy("ocs-pcap-bundle-", "my tools 100%");
    const r = spawnSync(
      process.execPath,
      [join(root, "bin/ocs-pcap"), "analyze", join(ROOT, "fixtures/ocs-sample.pcap"), "-f", "csv"],
      {
        encoding: "utf8",
      },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n").length).toBeGreaterThan(5);
  });

  it("runs an installed package's bundle whatever the file times, and a checkout's only when not older than the modules", () => {
    // A stand-in bundle that says it ran: which code starts is then visible.
    const root = installedCopy("ocs-pcap-bundle-rule-");
    writeFileSync(
      join(root, "dist/bundle/ocs-pcap.cjs"),
      'exports.main = () => process.stdout.write("the bundle\\n");\n',
    );
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(join(root, "dist/bundle/ocs-pcap.cjs"), old, old);
    utimesSync(join(root, "dist/bundle/worker.cjs"), old, old);
    const start = () =>
      spawnSync(process.execPath, [join(root, "bin/ocs-pcap"), "--version"], { encoding: "utf8" }).stdout;
    // Installed (no src/ beside dist/): npm's extraction scrambles the times, so they do not count.
    expect(start()).toBe("the bundle\n");
    // A checkout whose modules were rebuilt (tsc alone) after the bundle: the modules run.
    mkdirSync(join(root, "src"));
    expect(start()).toMatch(/^\d+\.\d+\.\d+\n$/);
    // The bundle rebuilt after them: it runs again.
    const fresh = (file: string) => {
      const t = new Date(Date.now() + 1000 * ++step);
      utimesSync(join(root, file), t, t);
    };
    let step = 0;
    fresh("dist/bundle/ocs-pcap.cjs");
    fresh("dist/bundle/worker.cjs");
    expect(start()).toBe("the bundle\n");
    // `tsc --watch` re-emits one module, not dist/cli/main.js: still newer than the bundle.
    fresh("dist/classify/topology.js");
    expect(start()).toMatch(/^\d+\.\d+\.\d+\n$/);
    fresh("dist/bundle/ocs-pcap.cjs");
    fresh("dist/bundle/worker.cjs");
    expect(start()).toBe("the bundle\n");
    // A new version in package.json (npm version runs no build): the bundle has the old one compiled in.
    fresh("package.json");
    expect(start()).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it("falls back to the ES modules, with one warning naming the file, when the bundle does not load", () => {
    const root = installedCopy("ocs-pcap-bundle-broken-");
    const run = () =>
      spawnSync(process.execPath, [join(root, "bin/ocs-pcap"), "--version"], { encoding: "utf8" });
    for (const broken of ["this is {{ not js", "", "module.exports = { main: 42 };"]) {
      writeFileSync(join(root, "dist/bundle/ocs-pcap.cjs"), broken);
      const r = run();
      expect(r.status, broken).toBe(0);
      expect(r.stdout, broken).toMatch(/^\d+\.\d+\.\d+\n$/);
      expect(r.stderr, broken).toMatch(
        /^ocs-pcap: warning: \S+ocs-pcap\.cjs did not load \([^\n]+\); running dist\/'s ES modules instead [^\n]+\n$/,
      );
    }
  });

  it("the build's code cache is accepted by this Node; a damaged, foreign or missing one is only slower", () => {
    const loads = (root: string, flags: string[] = []) =>
      spawnSync(
        process.execPath,
        [
          ...flags,
          "--input-type=module",
          "-e",
          `import { loadBundle } from ${JSON.stringify(join(root, "bin/load-bundle.mjs"))};
           const b = loadBundle(${JSON.stringify(join(root, "dist/bundle/ocs-pcap.cjs"))});
           process.stdout.write(b.cache + " " + typeof b.exports.run);`,
        ],
        { encoding: "utf8" },
      ).stdout;
    expect(existsSync(`${BUNDLE}.cache`)).toBe(true);
    expect(loads(ROOT)).toBe("accepted function");
    const root = installedCopy("ocs-pcap-code-cache-");
    const cache = join(root, "dist/bundle/ocs-pcap.cjs.cache");
    const analyze = () =>
      spawnSync(
        process.execPath,
        [join(root, "bin/ocs-pcap"), "analyze", join(ROOT, "fixtures/ocs-sample.pcap")],
        {
          encoding: "utf8",
        },
      );
    const want = analyze();
    expect(want.status).toBe(0);
    const good = readFileSync(cache);
    // V8 would run a damaged cache (a release build does not checksum it) and crash: the file's
    // own CRC-32 keeps it away. Damaged inside, cut short, one bit flipped, or not a cache at all.
    const flipped = Buffer.from(good);
    flipped[flipped.length >> 1] = flipped[flipped.length >> 1]! ^ 4;
    const damaged = Buffer.from(good).fill(0x5a, 64, 4096);
    const cut = good.subarray(0, good.length - 1);
    for (const bytes of [damaged, cut, flipped, Buffer.from("x"), readFileSync(BUNDLE)]) {
      writeFileSync(cache, bytes);
      expect(loads(root)).toBe("damaged function");
      const r = analyze();
      expect([r.status, r.stderr, r.stdout]).toEqual([0, "", want.stdout]);
    }
    // Intact, but made from another bundle: one of the same length (V8 would take it, knowing a
    // source only by its length, and run the old code), or another length.
    writeFileSync(cache, good);
    const source = readFileSync(BUNDLE, "utf8");
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const version = JSON.stringify(pkg.version);
    const sameLength = source.replace(version, `"${"9".repeat(version.length - 6)}.9.9"`);
    expect(sameLength.length).toBe(source.length);
    writeFileSync(join(root, "dist/bundle/ocs-pcap.cjs"), sameLength);
    expect(loads(root)).toBe("stale function");
    const r = analyze();
    expect([r.status, r.stderr, r.stdout]).toEqual([
      0,
      "",
      want.stdout.replace(/ocs-pcap \S+ report/, "ocs-pcap 9.9.9 report"),
    ]);
    const exe = spawnSync(process.execPath, [join(root, "bin/ocs-pcap"), "--version"], { encoding: "utf8" });
    expect(exe.stdout).toBe(`${"9".repeat(version.length - 6)}.9.9\n`);
    writeFileSync(join(root, "dist/bundle/ocs-pcap.cjs"), `${source}\n// changed\n`);
    expect(loads(root)).toBe("stale function");
    expect(analyze().stdout).toBe(want.stdout);
    // Intact and of this bundle, but V8 flags change what V8 compiles (a NODE_OPTIONS heap size
    // does): V8 itself rejects it.
    writeFileSync(join(root, "dist/bundle/ocs-pcap.cjs"), source);
    expect(loads(root)).toBe("accepted function");
    expect(loads(root, ["--max-old-space-size=3000"])).toBe("rejected function");
    rmSync(cache);
    expect(loads(root)).toBe("none function");
    expect(analyze().stdout).toBe(want.stdout);
  });

  it("a cache path that is a FIFO, /dev/zero or a huge file is skipped unread; a symlinked bin runs with --preserve-symlinks-main", () => {
    const root = installedCopy("ocs-pcap-code-cache-odd-");
    const cache = join(root, "dist/bundle/ocs-pcap.cjs.cache");
    const version = (args: string[] = [join(root, "bin/ocs-pcap")]) =>
      spawnSync(process.execPath, [...args, "--version"], { encoding: "utf8", timeout: 20_000 });
    rmSync(cache);
    for (const make of [
      () => execFileSync("mkfifo", [cache]),
      () => symlinkSync("/dev/zero", cache),
      () => writeFileSync(cache, Buffer.alloc(65 << 20)),
    ]) {
      make();
      const r = version();
      expect([r.status, r.signal, r.stderr, r.stdout]).toEqual([0, null, "", want()]);
      rmSync(cache);
    }
    const link = join(mkdtempSync(join(tmpdir(), "ocs-pcap-link-")), "ocs-pcap");
    symlinkSync(join(root, "bin/ocs-pcap"), link);
    const r = version(["--preserve-symlinks-main", link]);
    expect([r.status, r.stderr, r.stdout]).toEqual([0, "", want()]);
  });

  it("a build with V8 flags in NODE_OPTIONS still makes a cache that a plain node takes", () => {
    const root = mkdtempSync(join(tmpdir(), "ocs-pcap-build-flags-"));
    for (const f of ["bin", "src", "package.json", "fixtures/ocs-sample.pcap"])
      cpSync(join(ROOT, f), join(root, f), { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"));
    const build = spawnSync(process.execPath, [join(root, "bin/bundle.mjs")], {
      encoding: "utf8",
      env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=3000" },
    });
    expect([build.status, build.stderr]).toEqual([0, ""]);
    const { NODE_OPTIONS: _, ...plain } = process.env;
    const taken = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { loadBundle } from ${JSON.stringify(join(root, "bin/load-bundle.mjs"))};
         process.stdout.write(loadBundle(${JSON.stringify(join(root, "dist/bundle/ocs-pcap.cjs"))}).cache);`,
      ],
      { encoding: "utf8", env: plain },
    );
    expect(taken.stdout).toBe("accepted");
  });

  it("a package missing from the installation is named in one line, exit 70, from the bundle and the modules", () => {
    // string-width: loaded on first use by the catalog tables; pako: by the gzip reader, inside a
    // read (once reported as "read failed", exit 66, with the require stack); commander: at start.
    const GZ_PAIR = [join(ROOT, "fixtures/ocs-sample.pcap.gz"), join(ROOT, "fixtures/ocs-sample.pcapng.gz")];
    const cases = [
      ["string-width", ["catalog"]],
      ["pako", ["analyze", join(ROOT, "fixtures/ocs-sample.pcap.gz")]],
      // In a batch's workers too: the batch ends on it, every capture would fail alike.
      ["pako", ["analyze", ...GZ_PAIR, "--jobs", "2", "-q"]],
      ["commander", ["--version"]],
    ] as const;
    for (const [missing, args] of cases) {
      const root = mkdtempSync(join(tmpdir(), "ocs-pcap-missing-package-"));
      mkdirSync(join(root, "bin"));
      for (const f of ["bin/ocs-pcap", "bin/load-bundle.mjs"]) cpSync(join(ROOT, f), join(root, f));
      cpSync(join(ROOT, "dist"), join(root, "dist"), { recursive: true });
      cpSync(join(ROOT, "package.json"), join(root, "package.json"));
      mkdirSync(join(root, "node_modules"));
      for (const name of readdirSync(join(ROOT, "node_modules")))
        if (name !== missing) symlinkSync(join(ROOT, "node_modules", name), join(root, "node_modules", name));
      for (const env of [{}, MODULES]) {
        const r = spawnSync(process.execPath, [join(root, "bin/ocs-pcap"), ...args], {
          encoding: "utf8",
          env: { ...process.env, ...env },
        });
        expect([missing, env, r.status, r.stdout, r.stderr]).toEqual([
          missing,
          env,
          70,
          "",
          `ocs-pcap: the installation is incomplete: the package ${missing} is missing (reinstall ocs-pcap; in a checkout, run npm ci)\n`,
        ]);
      }
    }
  });

  it("bin/bundle.mjs without esbuild removes an old bundle (so none of older sources is packed or installed)", () => {
    const root = mkdtempSync(join(tmpdir(), "ocs-pcap-bundle-noesbuild-"));
    mkdirSync(join(root, "bin"));
    for (const f of ["bin/bundle.mjs", "bin/esbuild-options.mjs", "package.json"])
      cpSync(join(ROOT, f), join(root, f));
    mkdirSync(join(root, "dist/bundle"), { recursive: true });
    writeFileSync(join(root, "dist/bundle/ocs-pcap.cjs"), "// an old bundle\n");
    const r = spawnSync(process.execPath, [join(root, "bin/bundle.mjs")], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(existsSync(join(root, "dist/bundle"))).toBe(false);
  });
});

/** bin/, dist/ and package.json as an installed package has them (no src/), node_modules linked; in `folder` when given. */
function installedCopy(prefix: string, folder = ""): string {
  const root = join(mkdtempSync(join(tmpdir(), prefix)), folder);
  mkdirSync(join(root, "bin"), { recursive: true });
  for (const f of ["bin/ocs-pcap", "bin/load-bundle.mjs"]) cpSync(join(ROOT, f), join(root, f));
  cpSync(join(ROOT, "dist"), join(root, "dist"), { recursive: true });
  cpSync(join(ROOT, "package.json"), join(root, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"));
  return root;
}
