/** The shared corpus (../shared/corpus), when present: where it is, and its captures as facts.tsv lists them. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const CORPUS = join(import.meta.dirname, "..", "..", "..", "shared", "corpus");
export const HAVE_CORPUS = existsSync(join(CORPUS, "facts.tsv"));

/** Every capture of facts.tsv (paths relative to CORPUS), or none without the corpus. */
export function corpusCaptures(): string[] {
  if (!HAVE_CORPUS) return [];
  return readFileSync(join(CORPUS, "facts.tsv"), "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => l.split("\t")[0]!);
}
