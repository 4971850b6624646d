/**
 * Address text for evidence (an ICMP sender, a topology placement) from the
 * flow table's address words, through the one formatter (src/format.ts).
 * Called once per reason, never per packet.
 */
import type { FlowFacts } from "../flow/view.js";
import { wordsText } from "../format.js";

/** The four address words of one end of a flow. */
export function words(flow: FlowFacts, orig: boolean): number[] {
  return [flow.addrWord(orig, 0), flow.addrWord(orig, 1), flow.addrWord(orig, 2), flow.addrWord(orig, 3)];
}

export function endpointText(flow: FlowFacts, orig: boolean): string {
  return wordsText(flow.family, words(flow, orig));
}
