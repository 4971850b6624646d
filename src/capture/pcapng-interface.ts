/**
 * One pcapng interface (draft-ietf-opsawg-pcapng §4.2): what its Interface
 * Description Block says (link type, snaplen, if_tsresol, if_tsoffset), and
 * how its timestamps become microseconds.
 */

const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

export interface Interface {
  linkType: number;
  snapLen: number;
  /** Timestamp units per second. */
  unitsPerSecond: number;
  /** Whole seconds added to every timestamp. */
  offsetSeconds: number;
}

/**
 * The interface an IDB of `len` bytes at `at` describes (its body and
 * options; the caller checked the length); `badOption` when an option ran
 * past the block, where reading its options stopped.
 */
export function readInterface(
  view: DataView,
  at: number,
  len: number,
  le: boolean,
): Interface & { badOption: boolean } {
  const iface = {
    linkType: view.getUint16(at + 8, le),
    snapLen: view.getUint32(at + 12, le),
    unitsPerSecond: 1_000_000,
    offsetSeconds: 0,
    badOption: false,
  };
  let p = at + 16;
  const end = at + len - 4;
  while (p + 4 <= end) {
    const code = view.getUint16(p, le);
    const olen = view.getUint16(p + 2, le);
    if (code === OPT_END) break;
    if (p + 4 + olen > end) {
      iface.badOption = true;
      break;
    }
    if (code === OPT_IF_TSRESOL && olen === 1) {
      const v = view.getUint8(p + 4);
      iface.unitsPerSecond = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
    } else if (code === OPT_IF_TSOFFSET && olen === 8) {
      iface.offsetSeconds = Number(view.getBigInt64(p + 4, le));
    }
    p += 4 + ((olen + 3) & ~3);
  }
  return iface;
}

/**
 * (high·2^32 + low) units of 1/unitsPerSecond, plus the offset, in whole
 * microseconds, exactly: the 64-bit count is divided in 16-bit steps so no
 * intermediate exceeds 2^53 (unitsPerSecond ≤ 2^32). Finer resolutions fall
 * back to BigInt.
 */
export function timestampMicros(
  high: number,
  low: number,
  iface: Pick<Interface, "unitsPerSecond" | "offsetSeconds">,
): number {
  const d = iface.unitsPerSecond;
  if (d === 1_000_000) return high * 4294967296 + low + iface.offsetSeconds * 1_000_000;
  if (d <= 4294967296 && Number.isInteger(d)) {
    const hiQ = Math.floor(high / d);
    const hiR = high - hiQ * d;
    const x = hiR * 65536 + (low >>> 16);
    const q1 = Math.floor(x / d);
    const r1 = x - q1 * d;
    const y = r1 * 65536 + (low & 0xffff);
    const q2 = Math.floor(y / d);
    const r2 = y - q2 * d;
    const seconds = hiQ * 4294967296 + q1 * 65536 + q2 + iface.offsetSeconds;
    return seconds * 1_000_000 + Math.floor((r2 * 1_000_000) / d);
  }
  const units = (BigInt(high) << 32n) | BigInt(low);
  const big = BigInt(Math.round(d));
  const seconds = units / big + BigInt(iface.offsetSeconds);
  const rest = units % big;
  return Number(seconds) * 1_000_000 + Number((rest * 1_000_000n) / big);
}
