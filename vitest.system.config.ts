import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig } from "vitest/config";
import unit from "./vitest.config.js";

/**
 * The system suite (`npm run test:system`, run by CI): what `npm test` leaves
 * out because it starts other programs at length. test/system/ (chromium,
 * the README's CI job, bin/ocs-pcap under signals, full disks and closed
 * pipes), and every test file that compares with tshark, run again with
 * OCS_PCAP_ORACLES=check: tshark is asked live, and its answers must be the
 * ones recorded in test/oracles/ that `npm test` replays.
 */
const withOracles = readdirSync("test")
  .filter((name) => name.endsWith(".test.ts"))
  .filter((name) => /helpers\/(oracle|tshark)\.js"/.test(readFileSync(join("test", name), "utf8")))
  .map((name) => `test/${name}`);

export default defineConfig({
  test: {
    ...unit.test,
    include: ["test/system/**/*.test.ts", ...withOracles],
    exclude: [],
    env: { OCS_PCAP_ORACLES: "check" },
  },
});
