/**
 * The options of a pcapng Enhanced Packet Block that bear on a verdict:
 * direction, drops, and Windows Packet Monitor's (pktmon) comment text.
 * Read in place from the reader's window, without a string per packet.
 *
 * draft-ietf-opsawg-pcapng §3.5 (options: code u16, length u16, value,
 * padding to 4 bytes; opt_endofopt ends the list, but a reader must not
 * need it) and §4.3.1 (EPB options):
 * - epb_flags (2, u32): bits 0-1 the direction, 01 inbound, 10 outbound
 *   (00 not given, 11 undefined: read as not given).
 * - epb_verdict (7, repeatable): type octet then data; type 1 is a Linux
 *   eBPF TC verdict (u64 TC_ACT_*), type 2 an eBPF XDP verdict (u64
 *   xdp_action). TC_ACT_SHOT (2) and XDP_DROP (1) say the packet was
 *   dropped; nothing else in the format does (epb_dropcount counts packets
 *   the capture lost, not packets the host dropped).
 * - opt_comment (1, repeatable, UTF-8 that need not be valid).
 *
 * pktmon's text (Microsoft's "Packet Monitor" docs and the
 * Microsoft-Windows-PktMon event templates): ", "-separated "Key value"
 * parts, `PktGroupId N, PktNumber N, Appearance N, Direction Rx, Type
 * Ethernet, Component N, ...`; a drop event starts "Drop:" and carries
 * `DropReason <text>, DropLocation 0x...`; "Duplicate Drop:" repeats an
 * earlier drop report. pktmon logs one packet once per component it passes,
 * each a frame of its own sharing (PktGroupId, PktNumber): a frame whose pair
 * was seen among the recent ones is a repeat. Microsoft documents that
 * `pktmon etl2pcap` leaves drops out unless converted with `--drop-only`, and
 * the labels may be localised: a comment this does not recognise is only a
 * comment, never evidence.
 */

/** Distinct drop reasons kept as text; further ones share one label. */
const MAX_REASONS = 256;
/** (PktGroupId, PktNumber) pairs remembered for spotting repeats: appearances of one packet are microseconds apart. */
const RECENT = 64;

const TC_ACT_SHOT = 2;
const XDP_DROP = 1;

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const GROUP = ascii("PktGroupId ");
const NUMBER = ascii("PktNumber ");
const DIRECTION = ascii("Direction ");
const DROP_REASON = ascii("DropReason ");
const DROP = ascii("Drop");
const DUPLICATE = ascii("Duplicate");
const UTF8 = new TextDecoder("utf-8");

/** What one packet block's options said; the reader's one instance is refilled for every block. */
export class PacketOptions {
  /** 0 not given, 1 inbound, 2 outbound. */
  direction = 0;
  /** Why the host dropped the packet (interned text), or null. */
  drop: string | null = null;
  /** Another appearance of a packet already delivered. */
  repeat = false;
  /** An option whose length runs past the block (the rest of the options are ignored). */
  badOption = false;
  /** Frames that carried pktmon's comment text. */
  pktmonFrames = 0;
  private readonly reasons = new Map<string, string>();
  private readonly recent = new Float64Array(RECENT * 3);
  private recentNext = 0;

  /** Reads the options in `buf[at, end)`; `le` is the section's byte order. */
  read(view: DataView, buf: Uint8Array, at: number, end: number, le: boolean): void {
    this.direction = 0;
    this.drop = null;
    this.repeat = false;
    this.badOption = false;
    let commentDirection = 0;
    while (at + 4 <= end) {
      const code = view.getUint16(at, le);
      const len = view.getUint16(at + 2, le);
      if (code === 0) break;
      const value = at + 4;
      if (value + len > end) {
        this.badOption = true;
        break;
      }
      if (code === 2 && len >= 4) {
        const dir = view.getUint32(value, le) & 3;
        this.direction = dir === 3 ? 0 : dir;
      } else if (code === 7 && len >= 9) {
        const type = buf[value]!;
        // The u64 in the section's byte order: its low word decides.
        const low = view.getUint32(le ? value + 1 : value + 5, le);
        const high = view.getUint32(le ? value + 5 : value + 1, le);
        if (high === 0 && type === 1 && low === TC_ACT_SHOT) this.drop ??= "eBPF TC verdict TC_ACT_SHOT";
        else if (high === 0 && type === 2 && low === XDP_DROP) this.drop ??= "eBPF XDP verdict XDP_DROP";
      } else if (code === 1 && len > 0) {
        commentDirection = this.pktmonComment(buf, value, value + len) || commentDirection;
      }
      at = value + ((len + 3) & ~3);
    }
    if (this.direction === 0) this.direction = commentDirection;
  }

  /**
   * Reads a pktmon comment in `buf[start, end)`, if it is one: marks a drop
   * or a repeat, and returns the direction it names (0 if none).
   */
  private pktmonComment(buf: Uint8Array, start: number, end: number): number {
    const group = find(buf, start, end, GROUP);
    if (group < 0) return 0;
    this.pktmonFrames++;
    const duplicate = find(buf, start, group, DUPLICATE) >= 0;
    const drop = !duplicate && find(buf, start, group, DROP) >= 0;
    // The group id can pass 2^53: two hashes of its digits stand for it.
    let h1 = 0;
    let h2 = 0;
    let i = group + GROUP.length;
    for (; i < end && buf[i]! >= 0x30 && buf[i]! <= 0x39; i++) {
      h1 = (Math.imul(h1, 31) + buf[i]!) | 0;
      h2 = (Math.imul(h2, 0x01000193) ^ buf[i]!) | 0;
    }
    const number = digitsAfter(buf, find(buf, i, end, NUMBER), NUMBER.length, end);
    let repeat = duplicate;
    if (!repeat) {
      const r = this.recent;
      for (let k = 0; k < RECENT * 3; k += 3) {
        if (r[k] === h1 && r[k + 1] === h2 && r[k + 2] === number) {
          repeat = true;
          break;
        }
      }
      if (!repeat) {
        const k = this.recentNext * 3;
        r[k] = h1;
        r[k + 1] = h2;
        r[k + 2] = number;
        this.recentNext = (this.recentNext + 1) % RECENT;
      }
    }
    this.repeat ||= repeat;
    if (drop) this.drop ??= this.reasonAt(buf, i, end);
    return directionAt(buf, find(buf, i, end, DIRECTION), end);
  }

  /** The DropReason text (up to the next ", " that starts a key, or the end), interned. */
  private reasonAt(buf: Uint8Array, from: number, end: number): string {
    const at = find(buf, from, end, DROP_REASON);
    if (at < 0) return "pktmon drop (no reason given)";
    const start = at + DROP_REASON.length;
    let stop = end;
    // Stop at ", Key " where Key is a capitalised word: the next part (the reason may hold ", ").
    for (let j = start; j + 2 < end; j++) {
      if (buf[j] === 0x2c && buf[j + 1] === 0x20 && buf[j + 2]! >= 0x41 && buf[j + 2]! <= 0x5a) {
        let k = j + 2;
        while (k < end && ((buf[k]! >= 0x41 && buf[k]! <= 0x5a) || (buf[k]! >= 0x61 && buf[k]! <= 0x7a))) k++;
        if (k < end && buf[k] === 0x20 && k > j + 3 && isKey(buf, j + 2, k)) {
          stop = j;
          break;
        }
      }
    }
    while (stop > start && (buf[stop - 1] === 0x20 || buf[stop - 1] === 0x0d || buf[stop - 1] === 0x0a))
      stop--;
    const text = stop > start ? UTF8.decode(buf.subarray(start, stop)) : "unspecified";
    const known = this.reasons.get(text);
    if (known !== undefined) return known;
    if (this.reasons.size >= MAX_REASONS) return "pktmon drop (one of many reasons)";
    this.reasons.set(text, text);
    return text;
  }
}

/** pktmon's keys that can follow DropReason. */
const KEYS = ["DropLocation", "OriginalSize", "LoggedSize", "Component", "Filter", "Edge"].map(ascii);

function isKey(buf: Uint8Array, start: number, end: number): boolean {
  return KEYS.some((k) => k.length === end - start && k.every((c, n) => buf[start + n] === c));
}

/** The first index of `needle` in `buf[start, end)`, or -1. */
function find(buf: Uint8Array, start: number, end: number, needle: Uint8Array): number {
  const first = needle[0]!;
  const last = end - needle.length;
  outer: for (let i = start; i <= last; i++) {
    if (buf[i] !== first) continue;
    for (let j = 1; j < needle.length; j++) if (buf[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The decimal number after a key found at `at` (-1 when the key is missing or has no digits). */
function digitsAfter(buf: Uint8Array, at: number, keyLen: number, end: number): number {
  if (at < 0) return -1;
  let n = 0;
  let i = at + keyLen;
  const from = i;
  for (; i < end && buf[i]! >= 0x30 && buf[i]! <= 0x39 && i - from < 15; i++) n = n * 10 + buf[i]! - 0x30;
  return i === from ? -1 : n;
}

/** pktmon's direction tags: Rx, In and Ingress inbound; Tx, Out and Egress outbound (PKTMON_DIRECTION_TAG). */
function directionAt(buf: Uint8Array, at: number, end: number): number {
  if (at < 0) return 0;
  const i = at + DIRECTION.length;
  if (i + 1 >= end) return 0;
  const a = buf[i]!;
  const b = buf[i + 1]!;
  if ((a === 0x52 && b === 0x78) || (a === 0x49 && b === 0x6e)) return 1; // Rx, In, Ingress
  if ((a === 0x54 && b === 0x78) || (a === 0x4f && b === 0x75) || (a === 0x45 && b === 0x67)) return 2; // Tx, Out, Egress
  return 0;
}
