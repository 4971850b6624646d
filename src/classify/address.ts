/**
 * Address text for evidence (an ICMP sender, a topology placement) from the
 * flow table's address words, through the one formatter (src/format.ts).
 * Called once per reason, never per packet.
 */
import type { Flow } from "../flow/table.js";
import { wordsText } from "../format.js";

export const formatWords = wordsText;

/** The four address words of one end of a flow. */
export function words(flow: Flow, orig: boolean): number[] {
  return [flow.addrWord(orig, 0), flow.addrWord(orig, 1), flow.addrWord(orig, 2), flow.addrWord(orig, 3)];
}

export function endpointText(flow: Flow, orig: boolean): string {
  return formatWords(flow.family, words(flow, orig));
}
