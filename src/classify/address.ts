/**
 * Address text for evidence (an ICMP sender, a topology placement): the flow
 * table's address words, IPv4 dotted, IPv6 in RFC 5952 form via ip-address.
 * Called once per reason, never per packet.
 */
import { Address6 } from "ip-address";
import type { Flow } from "../flow/table.js";

export function formatWords(family: number, w: readonly number[]): string {
  if (family === 4) {
    const v = w[3]! >>> 0;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  return new Address6(
    w.map((x) => `${((x >>> 16) & 0xffff).toString(16)}:${(x & 0xffff).toString(16)}`).join(":"),
  ).correctForm();
}

/** The four address words of one end of a flow. */
export function words(flow: Flow, orig: boolean): number[] {
  return [flow.addrWord(orig, 0), flow.addrWord(orig, 1), flow.addrWord(orig, 2), flow.addrWord(orig, 3)];
}

export function endpointText(flow: Flow, orig: boolean): string {
  return formatWords(flow.family, words(flow, orig));
}
