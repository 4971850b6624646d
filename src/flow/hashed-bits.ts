/**
 * A fixed-size set of hashed keys, one bit per hash value, whose memory is
 * allocated a page at a time as bits are set: a small capture touches a few
 * pages instead of zeroing the whole table, and a large one can never hold
 * more than the full table. Membership is approximate in one direction only:
 * a hash collision can say "present" for a key never added, never "absent"
 * for one that was.
 */

/** Bits per page (512 bytes). */
const PAGE_BITS_LOG2 = 12;

export class HashedBits {
  private readonly pages: (Uint32Array | undefined)[];

  /** A set of `2 ** bitsLog2` bits; hashes are taken as `bitsLog2`-bit values. */
  constructor(bitsLog2: number) {
    this.pages = new Array<Uint32Array | undefined>(2 ** Math.max(0, bitsLog2 - PAGE_BITS_LOG2));
  }

  add(hash: number): void {
    const p = hash >>> PAGE_BITS_LOG2;
    let page = this.pages[p];
    if (page === undefined) {
      page = new Uint32Array(1 << (PAGE_BITS_LOG2 - 5));
      this.pages[p] = page;
    }
    const bit = hash & ((1 << PAGE_BITS_LOG2) - 1);
    page[bit >>> 5] = page[bit >>> 5]! | (1 << (bit & 31));
  }

  has(hash: number): boolean {
    const page = this.pages[hash >>> PAGE_BITS_LOG2];
    if (page === undefined) return false;
    const bit = hash & ((1 << PAGE_BITS_LOG2) - 1);
    return (page[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }
}
