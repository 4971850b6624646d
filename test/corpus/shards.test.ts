/**
 * Fan-out over the corpus (issue 15, item 3): 4 shards of ../shared/corpus
 * summarise to the single run's batch report, byte for byte.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "vitest";
import { fanOut } from "../helpers/fanout.js";

const CORPUS = join(import.meta.dirname, "..", "..", "..", "shared", "corpus");

describe.skipIf(!existsSync(CORPUS))("shards of the corpus", () => {
  it("4 shards summarise to the single run's batch report", async () => {
    await fanOut(CORPUS, 4);
  }, 300_000);
});
