/**
 * HashedBits (src/flow/hashed-bits.ts), the flow table's "has this address
 * sent anything" and media-pair sets: over hash values it is an exact set
 * (the approximation is only in hashing keys to values), and an empty one
 * holds nothing; `release` empties it, and the memory it hands back is clean
 * for the next set.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HashedBits } from "../src/flow/hashed-bits.js";

describe("HashedBits", () => {
  it("holds exactly the hash values added, at the edges of words and of the table", () => {
    const bits = new HashedBits(24);
    const added = [0, 1, 31, 32, 33, 63, 64, 2 ** 24 - 1, 2 ** 23, 0x5a5a5a];
    for (const h of [0, 31, 32, 2 ** 24 - 1]) expect(bits.has(h)).toBe(false);
    for (const h of added) bits.add(h);
    for (const h of added) expect(bits.has(h), String(h)).toBe(true);
    for (const h of [2, 30, 34, 62, 65, 2 ** 24 - 2, 2 ** 23 + 1, 0x5a5a5b])
      expect(bits.has(h), String(h)).toBe(false);
  });

  it("is empty after release, and so is the next set that reuses its memory (few words set, or many)", () => {
    for (const count of [3, 5000, 40000]) {
      const a = new HashedBits(20);
      const added: number[] = [];
      for (let i = 0; i < count; i++) added.push((i * 2654435761) >>> 12);
      for (const h of added) a.add(h);
      a.release();
      for (const h of added.slice(0, 50)) expect(a.has(h)).toBe(false);
      const b = new HashedBits(20);
      b.add(7);
      for (const h of added) expect(b.has(h), `${count}: ${h}`).toBe(h === 7);
      // The released set can be used again.
      a.add(9);
      expect(a.has(9)).toBe(true);
      a.release();
      b.release();
    }
  });

  it("agrees with a Set over random hash values", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: 24 }),
        fc.array(fc.nat(), { maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 200 }),
        (log2, adds, probes) => {
          const mask = 2 ** log2 - 1;
          const bits = new HashedBits(log2);
          const set = new Set<number>();
          for (const a of adds) {
            bits.add(a & mask);
            set.add(a & mask);
          }
          for (const p of [...adds, ...probes]) expect(bits.has(p & mask)).toBe(set.has(p & mask));
          bits.release();
        },
      ),
      { numRuns: 300 },
    );
  });
});
