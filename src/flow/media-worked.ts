/**
 * Sockets (address, port, transport) whose media worked, and when: the
 * evidence that excuses an unanswered ICE connectivity check. ICE checks every
 * candidate pair and keeps one that answers (RFC 8445 §2.2, §7.2.5), and it
 * gathers reflexive and relayed candidates from the host candidate's socket
 * (§5.1.1.2), so a pair it did not keep shares its socket with one that
 * worked; another call of the same host, on other ports, says nothing.
 *
 * Exact keys, not hashes: a collision would excuse a blocked check. Times are
 * kept as a run of 30-second slots per socket (a new run further than a slot
 * from the old one replaces it). IPv4 sockets (every media flow of the race
 * file marks two) live in an open-addressing table of typed arrays, with no
 * allocation per mark; IPv6 ones in a Map. Bounded: MAX_SOCKETS of each, later
 * sockets are not kept, which can only leave a check blamed, never excuse one.
 */

/** The length of a slot. */
export const SLOT_MICROS = 30_000_000;
/** Sockets kept, of each family. */
export const MAX_SOCKETS = 65_536;
/** Table slots: twice the sockets, so probes stay short. */
const TABLE = MAX_SOCKETS * 2;

export class MediaWorked {
  /** IPv4 socket keys ((address × 65,536 + port) × 2 + TCP, below 2^49; 0: empty) and their runs. */
  private keys: Float64Array | null = null;
  private firsts: Float64Array | null = null;
  private lasts: Float64Array | null = null;
  private count = 0;
  /** IPv6 sockets: key text → [first slot, last slot]. */
  private readonly v6 = new Map<string, [number, number]>();

  /**
   * Media through the socket worked at `ts` (microseconds); its address is `w[at, at + 4)` (IPv4 in
   * the last word).
   */
  mark(family: number, w: ArrayLike<number>, at: number, port: number, tcp: boolean, ts: number): void {
    const slot = Math.floor(ts / SLOT_MICROS);
    if (family !== 4) {
      const key = v6Key(w, at, port, tcp);
      const run = this.v6.get(key);
      if (run !== undefined) extend(run, slot);
      else if (this.v6.size < MAX_SOCKETS) this.v6.set(key, [slot, slot]);
      return;
    }
    const key = v4Key(w[at + 3]!, port, tcp);
    const i = key === 0 ? -1 : this.find(key, true);
    if (i < 0) return;
    const firsts = this.firsts!;
    const lasts = this.lasts!;
    if (this.keys![i] === 0) {
      this.keys![i] = key;
      this.count++;
      firsts[i] = slot;
      lasts[i] = slot;
    } else if (slot >= firsts[i]! - 1 && slot <= lasts[i]! + 1) {
      if (slot < firsts[i]!) firsts[i] = slot;
      if (slot > lasts[i]!) lasts[i] = slot;
    } else {
      firsts[i] = slot;
      lasts[i] = slot;
    }
  }

  /** Whether media through the socket worked in the slot of `ts` or the one before or after (30–60 s either side). */
  near(family: number, w: ArrayLike<number>, port: number, tcp: boolean, ts: number): boolean {
    const slot = Math.floor(ts / SLOT_MICROS);
    let first: number;
    let last: number;
    if (family !== 4) {
      const run = this.v6.get(v6Key(w, 0, port, tcp));
      if (run === undefined) return false;
      [first, last] = run;
    } else {
      const i = this.find(v4Key(w[3]!, port, tcp), false);
      if (i < 0) return false;
      first = this.firsts![i]!;
      last = this.lasts![i]!;
    }
    return slot >= first - 1 && slot <= last + 1;
  }

  /** The table index holding `key`, or (with `add`) the empty one it would take; -1 when absent or full. */
  private find(key: number, add: boolean): number {
    if (this.keys === null) {
      if (!add) return -1;
      this.keys = new Float64Array(TABLE);
      this.firsts = new Float64Array(TABLE);
      this.lasts = new Float64Array(TABLE);
    }
    const keys = this.keys;
    // The key's two halves mixed (MurmurHash3's fmix32 constants); linear probing.
    let h = Math.imul((key / 4294967296) ^ Math.imul(key | 0, 0x85ebca6b), 0xc2b2ae35);
    h ^= h >>> 15;
    for (let n = 0, i = h & (TABLE - 1); n < TABLE; n++, i = (i + 1) & (TABLE - 1)) {
      const k = keys[i]!;
      if (k === key) return i;
      if (k === 0) return add && this.count < MAX_SOCKETS ? i : -1;
    }
    return -1;
  }

  clear(): void {
    this.keys = null;
    this.firsts = null;
    this.lasts = null;
    this.count = 0;
    this.v6.clear();
  }
}

/** An IPv4 socket's key: 0 only for 0.0.0.0 port 0 over UDP, which is never kept. */
function v4Key(address: number, port: number, tcp: boolean): number {
  return ((address >>> 0) * 65536 + port) * 2 + (tcp ? 1 : 0);
}

function v6Key(w: ArrayLike<number>, at: number, port: number, tcp: boolean): string {
  return `${w[at]! >>> 0}:${w[at + 1]! >>> 0}:${w[at + 2]! >>> 0}:${w[at + 3]! >>> 0}/${port}/${tcp ? "t" : "u"}`;
}

/** A run grown to `slot` when within a slot of it, else replaced by it. */
function extend(run: [number, number], slot: number): void {
  if (slot >= run[0] - 1 && slot <= run[1] + 1) {
    run[0] = Math.min(run[0], slot);
    run[1] = Math.max(run[1], slot);
  } else {
    run[0] = slot;
    run[1] = slot;
  }
}
