#!/usr/bin/env bash
# The install paths a user takes, each from a clean folder, each running the sample:
#   1. a production install of a clone: npm ci --omit=dev (prints its size);
#   2. npm install -g of the tarball packed from this checkout, as npm publish packs it (it must run
#      its esbuild bundle, see bin/bundle.mjs, with its V8 code cache, see bin/load-bundle.mjs);
#   3. npx of the tarball;
#   4. npm install -g --install-links of a git+file:// URL (npm 11 needs --install-links there:
#      see the README's Install section and bin/prepare.mjs);
#   5. the standalone executable (npm run standalone), on a PATH without Node.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sample="$repo/fixtures/ocs-sample.pcap"
# Which code an installed bin/ocs-pcap runs (its esbuild bundle, dist/bundle/, or dist/'s ES
# modules: bin/ocs-pcap decides), as Node reports what it loads (NODE_DEBUG=module).
loads() {
  local n
  n=$(NODE_DEBUG=module "$@" --version 2>&1 | grep -c "dist/bundle/ocs-pcap.cjs" || true)
  if [ "$n" -gt 0 ]; then echo "the bundle"; else echo "ES modules"; fi
}
check() { # name, then the command that prints the JSON report of the sample
  local name=$1; shift
  if "$@" | grep -q '"schema": "ocs-pcap/report@1"'; then echo "== install path ok: $name"; else echo "== install path FAILED: $name"; exit 1; fi
}

git clone -q "$repo" "$work/prod"
(cd "$work/prod" && npm ci --omit=dev --no-audit --no-fund >/dev/null 2>&1)
check "npm ci --omit=dev" node "$work/prod/bin/ocs-pcap" analyze "$sample" -f json
echo "== production install size: $(du -sh "$work/prod/node_modules" | cut -f1) ($(ls "$work/prod/node_modules" | wc -l) top-level packages); runs $(loads node "$work/prod/bin/ocs-pcap") (no esbuild without dev dependencies)"

# Packed as `npm publish` packs: from a development checkout (this one), so with the bundle.
tarball=$(npm pack --silent --pack-destination "$work" 2>/dev/null | tail -1)
npm install -g --prefix "$work/global" "$work/$tarball" --no-audit --no-fund >/dev/null 2>&1
check "npm install -g ocs-pcap.tgz" "$work/global/bin/ocs-pcap" analyze "$sample" -f json
global_loads=$(loads "$work/global/bin/ocs-pcap")
echo "== global install size: $(du -sh "$work/global/lib/node_modules/ocs-pcap" | cut -f1); runs $global_loads"
if [ "$global_loads" != "the bundle" ]; then echo "== install path FAILED: the packed tarball does not run its bundle"; exit 1; fi
# Its V8 code cache (bin/load-bundle.mjs), made by this Node at build time, must be taken as it is.
installed="$work/global/lib/node_modules/ocs-pcap"
cache=$(node --input-type=module -e "import { loadBundle } from '$installed/bin/load-bundle.mjs'; process.stdout.write(loadBundle('$installed/dist/bundle/ocs-pcap.cjs').cache)")
echo "== global install's code cache: $cache"
if [ "$cache" != "accepted" ]; then echo "== install path FAILED: the packed tarball's code cache is not used"; exit 1; fi
# npm links a global package's man pages only when package.json's "man" is a list.
if [ ! -e "$work/global/share/man/man1/ocs-pcap.1" ]; then echo "== install path FAILED: no man page in the global prefix's share/man"; exit 1; fi
echo "== global install's man page: $(MANPATH="$work/global/share/man" man -w ocs-pcap 2>/dev/null || echo "$work/global/share/man/man1/ocs-pcap.1")"

(cd "$work" && check "npx ocs-pcap.tgz" npm exec --yes --package="$work/$tarball" -- ocs-pcap analyze "$sample" -f json)

git_url="git+file://$repo"
if ! npm install -g --install-links --prefix "$work/git" "$git_url" --no-audit --no-fund >"$work/git.log" 2>&1; then
  tail -20 "$work/git.log"; echo "== install path FAILED: npm install -g git+file://"; exit 1
fi
check "npm install -g --install-links git+file://" "$work/git/bin/ocs-pcap" analyze "$sample" -f json
echo "== git install runs $(loads "$work/git/bin/ocs-pcap")"

npm run --silent standalone 2>/dev/null | tail -1
exe="ocs-pcap-$(node -p 'process.platform + "-" + process.arch')"
mkdir "$work/no-node"
cp "dist/standalone/$exe" "$work/no-node/"
if env -i PATH="$work/no-node" /bin/bash -c 'command -v node' >/dev/null; then echo "== node is on the test PATH"; exit 1; fi
check "standalone executable, no Node on PATH" env -i PATH="$work/no-node" "$exe" analyze "$sample" -f json
# The same bytes as the npm build: the sample's text report, and a batch through worker threads.
diff <(grep -v '^# Golden' fixtures/ocs-sample.txt) <(cd "$repo" && env -i PATH="$work/no-node" "$exe" analyze fixtures/ocs-sample.pcap --width 100)
diff <(node bin/ocs-pcap analyze fixtures --jobs 2 -f csv 2>/dev/null) <(env -i PATH="$work/no-node" "$exe" analyze fixtures --jobs 2 -f csv 2>/dev/null)
echo "== standalone executable: same report as the golden and the same batch as node bin/ocs-pcap ($(du -h "$work/no-node/$exe" | cut -f1))"
