#!/usr/bin/env bash
# The install paths a user takes, each from a clean folder, each running the sample:
#   1. a production install of a clone: npm ci --omit=dev (prints its size);
#   2. npm install -g of the packed tarball;
#   3. npx of the tarball.
# (npm install -g git+… does not work with npm 11, whose nested git install runs `prepare`
# without the package's dependencies: see the README's Install section.)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sample="$repo/fixtures/ocs-sample.pcap"
check() { # name, then the command that prints the JSON report of the sample
  local name=$1; shift
  if "$@" | grep -q '"schema": "ocs-pcap/report@1"'; then echo "== install path ok: $name"; else echo "== install path FAILED: $name"; exit 1; fi
}

git clone -q "$repo" "$work/prod"
(cd "$work/prod" && npm ci --omit=dev --no-audit --no-fund >/dev/null 2>&1)
check "npm ci --omit=dev" node "$work/prod/bin/ocs-pcap" analyze "$sample" -f json
echo "== production install size: $(du -sh "$work/prod/node_modules" | cut -f1) ($(ls "$work/prod/node_modules" | wc -l) top-level packages)"

tarball=$(cd "$work/prod" && npm pack --silent --pack-destination "$work" 2>/dev/null | tail -1)
npm install -g --prefix "$work/global" "$work/$tarball" --no-audit --no-fund >/dev/null 2>&1
check "npm install -g ocs-pcap.tgz" "$work/global/bin/ocs-pcap" analyze "$sample" -f json
echo "== global install size: $(du -sh "$work/global/lib/node_modules/ocs-pcap" | cut -f1)"

(cd "$work" && check "npx ocs-pcap.tgz" npm exec --yes --package="$work/$tarball" -- ocs-pcap analyze "$sample" -f json)
