/**
 * Golden reports, as Zeek's btest baselines are kept: compared byte for byte
 * (vitest shows a line diff when one changes), rewritten only on request
 * with `UPDATE_GOLDENS=1 npm test`, and reviewed as a diff in the commit.
 *
 * Canonical form: the tool's version is written as GOLDEN_VERSION, so a
 * release does not rewrite every golden; paths are the fixtures' relative
 * ones. Each golden whose format has comments starts with a line saying it
 * is generated and how to update it (JSON has none).
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { expect } from "vitest";
import { toolVersion } from "../../src/cli/main.js";

/** The version every golden is written with, whatever package.json says. */
export const GOLDEN_VERSION = "0.1.0";
export const UPDATE_GOLDENS = process.env.UPDATE_GOLDENS === "1";

const NOTE = "Golden report, generated: do not edit. UPDATE_GOLDENS=1 npm test rewrites it; review the diff.";

/** The output with the tool's version written as GOLDEN_VERSION. */
export function canonical(text: string): string {
  const v = toolVersion();
  if (v === GOLDEN_VERSION) return text;
  return text
    .replaceAll(`ocs-pcap ${v}`, `ocs-pcap ${GOLDEN_VERSION}`)
    .replaceAll(`"version": "${v}"`, `"version": "${GOLDEN_VERSION}"`)
    .replaceAll(`"version":"${v}"`, `"version":"${GOLDEN_VERSION}"`);
}

function withHeader(path: string, text: string): string {
  if (path.endsWith(".txt")) return `# ${NOTE}\n${text}`;
  if (path.endsWith(".md")) return `<!-- ${NOTE} -->\n${text}`;
  if (path.endsWith(".html")) {
    // After the doctype, which must come first.
    const nl = text.indexOf("\n");
    return `${text.slice(0, nl + 1)}<!-- ${NOTE} -->\n${text.slice(nl + 1)}`;
  }
  return text;
}

/** A golden file's report, without its header line. */
export function readGolden(path: string): string {
  const text = readFileSync(path, "utf8");
  if (path.endsWith(".txt") || path.endsWith(".md")) {
    const nl = text.indexOf("\n");
    return text.slice(0, nl + 1).includes(NOTE) ? text.slice(nl + 1) : text;
  }
  if (path.endsWith(".html")) {
    const first = text.indexOf("\n");
    const second = text.indexOf("\n", first + 1);
    return text.slice(first + 1, second + 1).includes(NOTE)
      ? text.slice(0, first + 1) + text.slice(second + 1)
      : text;
  }
  return text;
}

/** Compares `actual` (canonicalised) with the golden at `path`, or rewrites the golden under UPDATE_GOLDENS=1. */
export function expectGolden(path: string, actual: string): void {
  const text = canonical(actual);
  if (UPDATE_GOLDENS) {
    const tmp = join(dirname(path), `.${basename(path)}.tmp`);
    writeFileSync(tmp, withHeader(path, text));
    renameSync(tmp, path);
    return;
  }
  expect(text, `${path} (UPDATE_GOLDENS=1 npm test rewrites it; review the diff)`).toBe(readGolden(path));
}
