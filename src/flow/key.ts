/**
 * The flow key: the canonical order of a flow's two endpoints (so both
 * directions sort the same way) and its hash (a multiply-rotate fold of the
 * address words and ports, then MurmurHash3's fmix32).
 */

/** True when (s, sp) sorts before (d, dp): the sender is the "lo" endpoint. Equal endpoints count as lo. */
export function isLo(
  s0: number,
  s1: number,
  s2: number,
  s3: number,
  sp: number,
  d0: number,
  d1: number,
  d2: number,
  d3: number,
  dp: number,
): boolean {
  const cmp = s0 - d0 || s1 - d1 || s2 - d2 || s3 - d3 || sp - dp;
  return cmp <= 0;
}

/**
 * The bucket hash of a flow key. Each word is folded in with a multiply and a
 * rotation, and MurmurHash3's fmix32 finalizer (Appleby, public domain) then
 * spreads every bit into the low bits the bucket mask keeps. (Multiplying
 * alone does not: the low bits of a product depend only on the low bits of
 * its operands, which made chains 7–27 rows long on the benchmark captures.)
 * IPv4 keys have zero in words 0–2, which are folded in only when not.
 */
export function flowHash(
  proto: number,
  l0: number,
  l1: number,
  l2: number,
  l3: number,
  lp: number,
  h0: number,
  h1: number,
  h2: number,
  h3: number,
  hp: number,
): number {
  let h = fold(0x9e3779b9, proto);
  h = fold(h, l3);
  h = fold(h, h3);
  h = fold(h, (lp << 16) | hp);
  if ((l0 | l1 | l2 | h0 | h1 | h2) !== 0) {
    h = fold(h, l0);
    h = fold(h, l1);
    h = fold(h, l2);
    h = fold(h, h0);
    h = fold(h, h1);
    h = fold(h, h2);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export function fold(h: number, word: number): number {
  const x = Math.imul(h ^ word, 0xcc9e2d51);
  return (x << 15) | (x >>> 17);
}
