/**
 * What a file's first bytes say it is: the one home of the magic numbers
 * (gzip RFC 1952 §2.3.1; pcap-savefile(5) in either byte order and
 * precision; the pcapng Section Header Block type, draft-ietf-opsawg-pcapng
 * §4.1; Microsoft Network Monitor's `GMBU` for 2.x and `RTSS` for 1.x, as
 * Wireshark's wiretap/netmon.c reads them). Readers are chosen, and folders
 * walked, by these, never by names.
 */

export const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
export const PCAP_MAGIC_NANO = 0xa1b23c4d;
export const PCAP_MAGIC_MICRO_SWAPPED = 0xd4c3b2a1;
export const PCAP_MAGIC_NANO_SWAPPED = 0x4d3cb2a1;
/** The Section Header Block type; the same in either byte order. */
export const PCAPNG_SHB = 0x0a0d0d0a;
/** "GMBU" and "RTSS" read as little-endian u32. */
export const NETMON2_MAGIC = 0x55424d47;
export const NETMON1_MAGIC = 0x53535452;

export type Sniffed = "gzip" | "pcap" | "pcapng" | "netmon" | null;

/** The container `head` starts with (2 bytes decide gzip, 4 the others), or null. */
export function sniff(head: Uint8Array): Sniffed {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head.length < 4) return null;
  const le = (head[0]! | (head[1]! << 8) | (head[2]! << 16) | (head[3]! << 24)) >>> 0;
  if (le === PCAPNG_SHB) return "pcapng";
  if (le === NETMON2_MAGIC || le === NETMON1_MAGIC) return "netmon";
  if (
    le === PCAP_MAGIC_MICRO ||
    le === PCAP_MAGIC_NANO ||
    le === PCAP_MAGIC_MICRO_SWAPPED ||
    le === PCAP_MAGIC_NANO_SWAPPED
  )
    return "pcap";
  return null;
}
