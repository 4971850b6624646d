/**
 * What plain SIP said on a flow (issue 17, item 3): each request method with
 * the final responses it got, counted, and the first ms-diagnostics header of
 * an error response. Numbers and one short copied string per flow, kept only
 * for flows whose payload is SIP, and dropped when the flow ends.
 */
import { parseSipStart, SIP_METHODS, SipKind, SipStart } from "../decode/sip.js";

/** One (method, final status code, answering side) triple and how many such responses the flow carried. */
export interface SipResponseCount {
  method: string;
  code: number;
  count: number;
  /**
   * The side that sent the responses: "server" (the responder) answering the
   * client's requests, or "client" answering requests the server sent over
   * the same connection (an incoming call's INVITE, a BENOTIFY).
   */
  by: "server" | "client";
}

export interface SipOutcome {
  /** Requests seen (both directions). */
  requests: number;
  /** Final responses (200–699) by the method their CSeq names; provisional ones (1xx) are left out. */
  responses: SipResponseCount[];
  /** The first ms-diagnostics value of an error response (Microsoft's code and reason), or null. */
  diagnostics: string | null;
  /** 180 Ringing and 183 Session Progress answers to INVITEs from the server's side (RFC 3261 §21.1): the call reached the callee. */
  ringing: number;
}

/** Distinct (method, code, side) triples kept per flow; responses of further ones are not counted. */
const MAX_PAIRS = 16;
/** SIP header values are UTF-8 (RFC 3261 §25.1, TEXT-UTF8). */
const UTF8 = new TextDecoder("utf-8");

export class SipOutcomes {
  private readonly byRow = new Map<
    number,
    {
      requests: number;
      pairs: number[];
      counts: number[];
      diagnostics: string | null;
      ringingLo: number;
      ringingHi: number;
    }
  >();
  private readonly start = new SipStart();

  /** Notes the SIP message at the payload's start (a message that begins inside a TCP segment is not seen). */
  note(row: number, buf: Uint8Array, start: number, end: number, fromLo: boolean): void {
    const s = this.start;
    if (!parseSipStart(buf, start, end, s)) return;
    let o = this.byRow.get(row);
    if (o === undefined) {
      o = { requests: 0, pairs: [], counts: [], diagnostics: null, ringingLo: 0, ringingHi: 0 };
      this.byRow.set(row, o);
    }
    if (s.kind === SipKind.Request) {
      o.requests++;
      return;
    }
    if (s.code < 200) {
      if ((s.code === 180 || s.code === 183) && SIP_METHODS[s.cseqMethod] === "INVITE") {
        if (fromLo) o.ringingLo++;
        else o.ringingHi++;
      }
      return;
    }
    // The side that sent the response, lo or hi: which is the originator is settled when the flow is read.
    const key = (fromLo ? 1_000_000 : 0) + s.cseqMethod * 1000 + s.code;
    const i = o.pairs.indexOf(key);
    if (i >= 0) o.counts[i]!++;
    else if (o.pairs.length < MAX_PAIRS) {
      o.pairs.push(key);
      o.counts.push(1);
    }
    if (s.code >= 300 && s.diagLength > 0 && o.diagnostics === null) {
      o.diagnostics = UTF8.decode(buf.subarray(s.diagOffset, s.diagOffset + s.diagLength));
    }
  }

  /** The flow's outcome, or null when it carried no SIP message start. */
  of(row: number, origIsLo: boolean): SipOutcome | null {
    const o = this.byRow.get(row);
    if (o === undefined) return null;
    return {
      requests: o.requests,
      responses: o.pairs.map((k, i) => ({
        method: SIP_METHODS[Math.floor((k % 1_000_000) / 1000)] || "other",
        code: k % 1000,
        count: o.counts[i]!,
        by: k >= 1_000_000 === origIsLo ? "client" : "server",
      })),
      diagnostics: o.diagnostics,
      // The server's side is the responder: hi when the originator is lo.
      ringing: origIsLo ? o.ringingHi : o.ringingLo,
    };
  }

  delete(row: number): void {
    this.byRow.delete(row);
  }
}
