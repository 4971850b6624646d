/**
 * Address text for the report, cached: many flows share a server address,
 * and a report keeps one string per distinct address rather than one per
 * flow.
 */
import { Address6 } from "ip-address";
import type { FlowFacts } from "../flow/view.js";
import { ipv4Text } from "../format.js";

/** Slots of the IPv4 text cache (direct-mapped: a miss replaces the slot). */
const V4_SLOTS = 1 << 14;
/** IPv6 addresses whose text is cached; past it the cache starts again (a scan has millions). */
const ADDRESS_CACHE_MAX = 65_536;

/**
 * Address text, cached: many flows share a server address, and a report
 * keeps one string per distinct address rather than one per flow. IPv4 uses
 * a direct-mapped cache (no Map upkeep on a scan of distinct clients).
 */
export class AddressFormatter {
  private readonly v4Key = new Int32Array(V4_SLOTS);
  private readonly v4Text: string[] = new Array<string>(V4_SLOTS).fill("");
  private readonly v6 = new Map<string, string>();

  format(flow: FlowFacts, orig: boolean): string {
    const w3 = flow.addrWord(orig, 3);
    if (flow.family === 4) {
      const slot = Math.imul(w3, 0x9e3779b1) >>> 18;
      const cached = this.v4Text[slot]!;
      if (cached !== "" && this.v4Key[slot] === w3) return cached;
      const s = ipv4Text(w3 >>> 0);
      this.v4Key[slot] = w3;
      this.v4Text[slot] = s;
      return s;
    }
    const full = [flow.addrWord(orig, 0), flow.addrWord(orig, 1), flow.addrWord(orig, 2), w3]
      .map((w) => `${(w >>> 16).toString(16)}:${(w & 0xffff).toString(16)}`)
      .join(":");
    let s = this.v6.get(full);
    if (s === undefined) {
      s = new Address6(full).correctForm();
      if (this.v6.size >= ADDRESS_CACHE_MAX) this.v6.clear();
      this.v6.set(full, s);
    }
    return s;
  }
}

let shared: AddressFormatter | undefined;

/**
 * The formatter every report in this thread shares: its caches hold only
 * address text, which is the same for every report, and setting up the
 * IPv4 table once rather than per capture matters for a batch of small ones.
 */
export function sharedAddressFormatter(): AddressFormatter {
  shared ??= new AddressFormatter();
  return shared;
}
