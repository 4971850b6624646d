/**
 * A fixed-size set of hashed keys, one bit per hash value. Membership is
 * approximate in one direction only: a hash collision can say "present" for
 * a key never added, never "absent" for one that was.
 *
 * Memory: one flat array of words, taken at the first `add` (a set never
 * added to costs nothing) and handed back by `release`, cleared, for the next
 * set of its size in this thread: a batch of small captures then neither
 * allocates nor zeroes megabytes per capture. Clearing zeroes only the words
 * that were set while there were few of them, the whole array otherwise. Its
 * size is fixed, so it cannot grow with the input. (Pages of 512 bytes made on
 * demand, as before, were thousands of ArrayBuffers for the collector to track
 * on a large capture, and a lookup went through two arrays: several times the
 * time per lookup on the race file.)
 */

/** Words whose index is kept for a cheap clear; past this many, the whole array is zeroed. */
const TRACKED = 4096;
/** Cleared arrays kept per size for reuse (the flow table holds three sets). */
const SPARE = 4;
const spares = new Map<number, Int32Array[]>();

export class HashedBits {
  private words: Int32Array | null = null;
  private readonly size: number;
  /** Indexes of the first TRACKED words that became non-zero, and how many words did. */
  private readonly touched = new Int32Array(TRACKED);
  private set = 0;

  /** A set of `2 ** bitsLog2` bits (at least 32); hashes are taken as `bitsLog2`-bit values. */
  constructor(bitsLog2: number) {
    this.size = 2 ** Math.max(0, bitsLog2 - 5);
  }

  add(hash: number): void {
    const words = this.words ?? this.take();
    const w = hash >>> 5;
    const old = words[w]!;
    if (old === 0) {
      if (this.set < TRACKED) this.touched[this.set] = w;
      this.set++;
    }
    words[w] = old | (1 << (hash & 31));
  }

  has(hash: number): boolean {
    return this.words !== null && (this.words[hash >>> 5]! & (1 << (hash & 31))) !== 0;
  }

  /** Empties the set and gives its memory back for reuse; it may be added to again. */
  release(): void {
    const words = this.words;
    if (words === null) return;
    if (this.set <= TRACKED) for (let i = 0; i < this.set; i++) words[this.touched[i]!] = 0;
    else words.fill(0);
    this.words = null;
    this.set = 0;
    const list = spares.get(this.size) ?? [];
    if (list.length < SPARE) list.push(words);
    spares.set(this.size, list);
  }

  private take(): Int32Array {
    const words = spares.get(this.size)?.pop() ?? new Int32Array(this.size);
    this.words = words;
    return words;
  }
}
