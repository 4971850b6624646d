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
 * and bytes were seen among the recent ones is a repeat. Microsoft documents that
 * `pktmon etl2pcap` leaves drops out unless converted with `--drop-only`, and
 * the labels may be localised: a comment this does not recognise is only a
 * comment, never evidence.
 */

/** Distinct drop reasons kept as text; further ones share one label. */
const MAX_REASONS = 256;
/**
 * Packets remembered for spotting repeats: appearances of one packet are
 * microseconds apart, but Windows passes packets through its stack in
 * chains, so a few hundred may come between them.
 */
const RECENT = 256;
/** Slots per remembered packet: two hashes of PktGroupId, PktNumber, a hash of its bytes, dropped (0/1). */
const SLOT = 5;
/** Bytes of a packet hashed to tell its repeats from another packet under the same ids (before and after NAT). */
const HASHED_BYTES = 96;

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
  /** Reasons by a hash of their bytes, each decoded once. */
  private readonly reasons = new Map<number, { bytes: Uint8Array; text: string }[]>();
  private reasonCount = 0;
  private readonly recent = new Float64Array(RECENT * SLOT).fill(Number.NaN);
  private recentNext = 0;
  /** The packet's own bytes: [packetStart, packetEnd) of the buffer `read` was given. */
  private packetStart = 0;
  private packetEnd = 0;

  /**
   * Reads the options in `buf[at, end)` of the packet whose bytes are
   * `buf[packetStart, packetEnd)`; `le` is the section's byte order.
   */
  read(
    view: DataView,
    buf: Uint8Array,
    at: number,
    end: number,
    le: boolean,
    packetStart = 0,
    packetEnd = 0,
  ): void {
    this.direction = 0;
    this.drop = null;
    this.repeat = false;
    this.badOption = false;
    this.packetStart = packetStart;
    this.packetEnd = packetEnd;
    let commentDirection = 0;
    let pktmon = false;
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
      } else if (code === 1 && len > 0 && !pktmon) {
        // One pktmon comment per packet is read: a second copy would look like a repeat of it.
        const dir = this.pktmonComment(buf, value, value + len);
        if (dir >= 0) {
          pktmon = true;
          commentDirection = dir;
        }
      }
      at = value + ((len + 3) & ~3);
    }
    if (this.direction === 0) this.direction = commentDirection;
  }

  /**
   * Reads a pktmon comment in `buf[start, end)`, if it is one (-1 if not):
   * marks a drop or a repeat, and returns the direction it names (0 if none).
   * A repeat is the same (PktGroupId, PktNumber) and the same bytes as a
   * recent packet: pktmon can log a packet before and after NAT under one
   * id, and those are two packets on two flows.
   */
  private pktmonComment(buf: Uint8Array, start: number, end: number): number {
    const group = find(buf, start, end, GROUP);
    if (group < 0) return -1;
    // The group id can pass 2^53: two hashes of its digits stand for it.
    let h1 = 0;
    let h2 = 0;
    let i = group + GROUP.length;
    const digits = i;
    for (; i < end && buf[i]! >= 0x30 && buf[i]! <= 0x39; i++) {
      h1 = (Math.imul(h1, 31) + buf[i]!) | 0;
      h2 = (Math.imul(h2, 0x01000193) ^ buf[i]!) | 0;
    }
    const number = digitsAfter(buf, find(buf, i, end, NUMBER), NUMBER.length, end);
    // Ids without digits identify nothing: not pktmon's text as documented.
    if (i === digits || number < 0) return -1;
    const duplicate = find(buf, start, group, DUPLICATE) >= 0;
    const drop = !duplicate && find(buf, start, group, DROP) >= 0;
    const bytes = this.packetHash(buf);
    const r = this.recent;
    let seen = -1;
    for (let k = 0; k < RECENT * SLOT; k += SLOT) {
      if (r[k] === h1 && r[k + 1] === h2 && r[k + 2] === number && r[k + 3] === bytes) {
        seen = k;
        break;
      }
    }
    if (seen < 0) {
      seen = this.recentNext * SLOT;
      r[seen] = h1;
      r[seen + 1] = h2;
      r[seen + 2] = number;
      r[seen + 3] = bytes;
      r[seen + 4] = 0;
      this.recentNext = (this.recentNext + 1) % RECENT;
      this.repeat ||= duplicate;
    } else this.repeat = true;
    // A packet is dropped once: a second Drop: event for it (or a Duplicate Drop:) adds none.
    if (drop && r[seen + 4] === 0) {
      r[seen + 4] = 1;
      this.drop ??= this.reasonAt(buf, i, end);
    }
    return directionAt(buf, find(buf, i, end, DIRECTION), end);
  }

  /** FNV-1a over the packet's first bytes, seeded with its length. */
  private packetHash(buf: Uint8Array): number {
    let h = 0x811c9dc5 ^ (this.packetEnd - this.packetStart);
    const stop = Math.min(this.packetEnd, this.packetStart + HASHED_BYTES);
    for (let i = this.packetStart; i < stop; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    return h | 0;
  }

  /** The DropReason text (up to the next ", " that starts a key, or the end), interned. */
  private reasonAt(buf: Uint8Array, from: number, end: number): string {
    const at = find(buf, from, end, DROP_REASON);
    if (at < 0) return "pktmon drop (no reason given)";
    const start = at + DROP_REASON.length;
    let stop = end;
    // Stop at ", Key " where Key is one of pktmon's (the reason itself may hold ", ").
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
    if (stop <= start) return "unspecified";
    // Interned by its bytes: a reason seen before is found without decoding it again.
    let h = 0x811c9dc5;
    for (let j = start; j < stop; j++) h = Math.imul(h ^ buf[j]!, 0x01000193);
    const same = this.reasons.get(h);
    if (same !== undefined) {
      for (const e of same) {
        if (e.bytes.length === stop - start && e.bytes.every((c, n) => buf[start + n] === c)) return e.text;
      }
    }
    if (this.reasonCount >= MAX_REASONS) return "pktmon drop (one of many reasons)";
    const entry = { bytes: buf.slice(start, stop), text: UTF8.decode(buf.subarray(start, stop)) };
    this.reasonCount++;
    if (same === undefined) this.reasons.set(h, [entry]);
    else same.push(entry);
    return entry.text;
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
