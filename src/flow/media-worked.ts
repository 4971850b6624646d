/**
 * Sockets (address, port, transport) whose media worked, and when: the
 * evidence that excuses an unanswered ICE connectivity check. ICE checks every
 * candidate pair and keeps one that answers (RFC 8445 §2.2, §7.2.5), and it
 * gathers reflexive and relayed candidates from the host candidate's socket
 * (§5.1.1.2), so a pair it did not keep shares its socket with one that
 * worked; another call of the same host, on other ports, says nothing.
 *
 * Exact keys, not hashes: a collision would excuse a blocked check. Times are
 * kept as runs of 30-second slots per socket. Bounded: at most MAX_SOCKETS
 * sockets (the oldest goes first) and MAX_RUNS runs each (the oldest goes
 * first); what is dropped can only leave a check blamed, never excuse one.
 */

/** The length of a slot. */
export const SLOT_MICROS = 30_000_000;
/** Sockets kept. */
export const MAX_SOCKETS = 65_536;
/** Runs of slots kept per socket. */
const MAX_RUNS = 8;

export class MediaWorked {
  /** Socket key → runs of slots, flattened: [first, last, first, last, …]. */
  private readonly runs = new Map<number | string, number[]>();

  /**
   * The key of a socket: an IPv4 one exactly as a number (address, port and transport fit in
   * 49 bits), an IPv6 one as text (rare: only marks and ICE check flows ask).
   */
  private static key(
    family: number,
    w: ArrayLike<number>,
    at: number,
    port: number,
    tcp: boolean,
  ): number | string {
    return family === 4
      ? ((w[at + 3]! >>> 0) * 65536 + port) * 2 + (tcp ? 1 : 0)
      : `${w[at]! >>> 0}:${w[at + 1]! >>> 0}:${w[at + 2]! >>> 0}:${w[at + 3]! >>> 0}/${port}/${tcp ? "t" : "u"}`;
  }

  /**
   * Media through the socket worked at `ts` (microseconds); its address is `w[at, at + 4)` (IPv4 in
   * the last word). Called for each relayed message: an IPv4 socket costs no allocation.
   */
  mark(family: number, w: ArrayLike<number>, at: number, port: number, tcp: boolean, ts: number): void {
    const key = MediaWorked.key(family, w, at, port, tcp);
    const slot = Math.floor(ts / SLOT_MICROS);
    const list = this.runs.get(key);
    if (list === undefined) {
      if (this.runs.size >= MAX_SOCKETS) this.runs.delete(this.runs.keys().next().value as number | string);
      this.runs.set(key, [slot, slot]);
      return;
    }
    // Within a slot of a run (marks come nearly in time order): the run grows to it.
    for (let i = list.length - 2; i >= 0; i -= 2) {
      if (slot >= list[i]! - 1 && slot <= list[i + 1]! + 1) {
        list[i] = Math.min(list[i]!, slot);
        list[i + 1] = Math.max(list[i + 1]!, slot);
        return;
      }
    }
    if (list.length >= 2 * MAX_RUNS) list.splice(0, 2);
    list.push(slot, slot);
  }

  /** Whether media through the socket worked in the slot of `ts` or the one before or after (30–60 s either side). */
  near(family: number, w: ArrayLike<number>, port: number, tcp: boolean, ts: number): boolean {
    const list = this.runs.get(MediaWorked.key(family, w, 0, port, tcp));
    if (list === undefined) return false;
    const slot = Math.floor(ts / SLOT_MICROS);
    for (let i = 0; i < list.length; i += 2)
      if (slot >= list[i]! - 1 && slot <= list[i + 1]! + 1) return true;
    return false;
  }

  clear(): void {
    this.runs.clear();
  }
}
