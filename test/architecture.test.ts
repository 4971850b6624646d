/**
 * docs/architecture.md stays true to the tree: every src/ file it names
 * exists, and every src/ file is named in it (issue 13, item 7); the stages
 * import only from the stages before them; every source file opens with a
 * comment saying its job and stays under 400 lines (issue 13, done-when).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const SRC = join(ROOT, "src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [relative(SRC, p)];
  });
}

describe("docs/architecture.md", () => {
  const doc = readFileSync(join(ROOT, "docs/architecture.md"), "utf8");
  const all = files(SRC).filter((f) => f.endsWith(".ts") || f.endsWith(".json"));
  /** A file is named by its path under src/ (`flow/store.ts`) or, inside its folder's row, by its name. */
  const rows = new Map<string, string>();
  for (const line of doc.split("\n")) {
    const m = /^\| `([a-z]+)\/` \|/.exec(line);
    if (m) rows.set(m[1]!, line);
  }

  it("names every src/ file", () => {
    const missing = all.filter((f) => {
      if (doc.includes(`\`${f}\``) || doc.includes(`src/${f}`)) return false;
      const [folder, ...rest] = f.split("/");
      const row = rest.length > 0 ? rows.get(folder!) : undefined;
      return !(row?.includes(`\`${rest.join("/")}\``) ?? false);
    });
    expect(missing).toEqual([]);
  });

  it("names no src/ file that does not exist", () => {
    const named = new Set<string>();
    for (const m of doc.matchAll(/`((?:[a-z-]+\/)*[a-z0-9.-]+\.(?:ts|json))`/g))
      named.add(m[1]!.replace(/^src\//, ""));
    for (const m of doc.matchAll(/src\/((?:[a-z-]+\/)*[a-z0-9.-]+\.(?:ts|json))/g)) named.add(m[1]!);
    const existing = new Set(all);
    const byName = new Set(all.map((f) => f.split("/").pop()!));
    const ghosts = [...named].filter(
      (n) =>
        !existing.has(n) &&
        !byName.has(n) &&
        !n.startsWith("test/") &&
        !n.startsWith("bench/") &&
        !n.startsWith("fixtures/"),
    );
    expect(ghosts).toEqual([]);
  });
});

/**
 * The pipeline's order: a stage may import from itself and the stages before
 * it, never after. The two shared helpers come first; the composition root,
 * analyze.ts, comes just before the CLI, the only code that runs it.
 */
const STAGES = [
  "format.ts",
  "schema.ts",
  "capture",
  "decode",
  "flow",
  "catalog",
  "classify",
  "report",
  "analyze.ts",
  "cli",
];

function stageOf(file: string): number {
  const top = file.split("/")[0]!;
  return STAGES.indexOf(top);
}

describe("the pipeline's folders", () => {
  const sources = files(SRC).filter((f) => f.endsWith(".ts"));

  it("import only from their own stage and the stages before it", () => {
    const backwards: string[] = [];
    for (const f of sources) {
      const from = stageOf(f);
      expect(from, f).toBeGreaterThanOrEqual(0);
      const text = readFileSync(join(SRC, f), "utf8");
      for (const m of text.matchAll(/^(?:import|export)[^;]*? from "(\.[^"]+)";/gms)) {
        const target = relative(SRC, join(SRC, f, "..", m[1]!)).replace(/\.js$/, ".ts");
        const to = stageOf(target);
        if (to > from) backwards.push(`${f} → ${target}`);
      }
    }
    expect(backwards).toEqual([]);
  });

  it("each file opens with a comment saying its job, and stays under 400 lines (data excepted)", () => {
    const problems: string[] = [];
    for (const f of sources) {
      const text = readFileSync(join(SRC, f), "utf8");
      if (!/^\/\*\*(\n \*)? \S/.test(text)) problems.push(`${f}: no opening comment`);
      const lines = text.split("\n").length;
      if (lines > 400 && f !== "catalog/data.ts") problems.push(`${f}: ${lines} lines`);
    }
    expect(problems).toEqual([]);
  });
});
