/**
 * Fan-out (issue 15, item 3): `--shard I/N` splits a batch by a stable hash
 * of each capture's name, every capture in exactly one shard, and the shards'
 * report folders summarised together give the single run's batch report byte
 * for byte (table and JSON), unreadable captures included. In-process.
 */
import { describe, expect, it } from "vitest";
import { inShard } from "../src/cli/batch.js";
import { parseShard } from "../src/cli/options.js";
import { fanOut } from "./helpers/fanout.js";
import { runCli } from "./helpers/run.js";

describe("shards", () => {
  it("4 shards of fixtures/ summarise to the single run's batch report, byte for byte", async () => {
    // In this thread: the shards are the point here, not workers (fixtures/ counts as large).
    await fanOut("fixtures/", 4, ["--jobs", "1"]);
  });

  it("put each name in exactly one shard, the same one whatever else is listed", () => {
    const names = Array.from({ length: 500 }, (_, i) => `site-${i % 7}/capture-${i}.pcapng`);
    for (const n of [1, 2, 3, 8, 256]) {
      for (const name of names) {
        const homes = Array.from({ length: n }, (_, i) => i).filter((i) => inShard(name, i, n));
        expect(homes).toHaveLength(1);
      }
    }
    // Spread: no shard of 4 gets fewer than a sixth of 500 names.
    for (let i = 0; i < 4; i++) expect(names.filter((x) => inShard(x, i, 4)).length).toBeGreaterThan(500 / 6);
  });

  it("take the index from JOB_COMPLETION_INDEX with --shard-count, and refuse what does not fit", () => {
    expect(parseShard({ shard: "2/4" }, {})).toEqual({ index: 1, count: 4 });
    expect(parseShard({ shardCount: "4" }, { JOB_COMPLETION_INDEX: "3" })).toEqual({ index: 3, count: 4 });
    expect(parseShard({}, { JOB_COMPLETION_INDEX: "3" })).toBeNull();
    expect(() => parseShard({ shard: "1/99999999999999999999" }, {})).toThrow(
      /not '1\/99999999999999999999'/,
    );
    expect(() => parseShard({ shard: "5/4" }, {})).toThrow(
      "--shard takes I/N with 1 <= I <= N <= 1000000 (say 2/4), not '5/4'",
    );
    expect(() => parseShard({ shardCount: "4" }, {})).toThrow(
      "--shard-count 4 takes this shard's index from JOB_COMPLETION_INDEX (0 to 3); it is not set",
    );
    expect(() => parseShard({ shardCount: "4" }, { JOB_COMPLETION_INDEX: "4" })).toThrow(/it is '4'/);
    expect(() => parseShard({ shard: "1/2", shardCount: "2" }, {})).toThrow(/not both/);
  });

  it("an empty shard is an empty batch, not an error", async () => {
    // fixtures/recorded/ holds 10 captures: with 64 shards most are empty.
    const empty = Array.from({ length: 64 }, (_, i) => i + 1).find(
      (i) =>
        ![
          "ocs-real.pcap",
          "misdirected-real.pcap",
          "ocs-real-any.pcap",
          "blocked-real.pcap",
          "ocs-real-ns.pcap",
          "ocs-real.pcapng",
          "sip-failures-real.pcap",
          "tls-outcomes-real.pcap",
          "turn-real.pcap",
          "sign-in-real.pcap",
        ].some((n) => inShard(n, i - 1, 64)),
    )!;
    const r = await runCli("analyze", "fixtures/recorded", "--shard", `${empty}/64`, "-f", "json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).captures).toEqual([]);
  });
});
