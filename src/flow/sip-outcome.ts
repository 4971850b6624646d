/**
 * What plain SIP said on a flow (issue 17, item 3): each request method with
 * the final responses it got, counted, the first ms-diagnostics header of
 * each kind of error response, and the INVITEs that rang and then went
 * unanswered. Numbers and a few short copied strings per flow, kept only for
 * flows whose payload is SIP, and dropped when the flow ends. Across flows, the
 * responses to INVITEs go to early-media.ts.
 */
import { parseSipStart, SIP_METHODS, SipKind, SipStart } from "../decode/sip.js";
import { EarlyMedia } from "./early-media.js";

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
  /** Per response kind, in `responses`' order: the first ms-diagnostics value of those responses (Microsoft's code and reason), or null. */
  diagnostics: (string | null)[];
  /**
   * The server side's 408 and 480 answers to INVITEs it had answered 180 Ringing in the same call
   * (Call-ID and CSeq, RFC 3261 §21.1.2, §21.4.9, §21.4.18): the call rang and nobody answered.
   */
  noAnswer: number;
  /**
   * Per response kind, in `responses`' order: how many of those responses (failures, 300 and up)
   * came in a call (Call-ID) that no 2xx to the same method answered on the flow, in either order.
   * One connection carries many calls (a Mediation Server's trunk to its gateway, a server's to
   * another): another call's success does not undo this one's failure (RFC 3261 §17).
   */
  unrecovered?: number[];
}

/** Distinct (method, code, side) triples kept per flow; responses of further ones are not counted. */
const MAX_PAIRS = 16;
/** INVITEs kept per side that rang (180), by Call-ID and CSeq number; the oldest goes first. */
const MAX_RANG = 16;
/** Calls per side kept with their 2xx and their failures; a failure past them is not judged per call. */
const MAX_CALLS = 64;
const INVITE = SIP_METHODS.indexOf("INVITE");
/** SIP header values are UTF-8 (RFC 3261 §25.1, TEXT-UTF8). */
const UTF8 = new TextDecoder("utf-8");

interface SipState {
  requests: number;
  pairs: number[];
  counts: number[];
  diagnostics: (string | null)[];
  /** INVITEs each side answered with 180 Ringing: their Call-ID hash and CSeq number, as one key. */
  rangLo: number[];
  rangHi: number[];
  noAnswerLo: number;
  noAnswerHi: number;
  /** (Call-ID, method) keys a 2xx answered, by the side that sent it. */
  okLo: number[];
  okHi: number[];
  /** Failures (300 and up): their (Call-ID, method) key, and the response kind's index in `pairs`. */
  failLo: number[];
  failHi: number[];
  failKindLo: number[];
  failKindHi: number[];
}

export class SipOutcomes {
  private readonly byRow = new Map<number, SipState>();
  private readonly start = new SipStart();
  /** The media streams provisional answers announced, across flows, and how their calls ended. */
  readonly earlyMedia = new EarlyMedia();

  /**
   * Notes the SIP message at the payload's start (a message that begins inside a TCP segment is not
   * seen), at `ts`.
   */
  note(row: number, buf: Uint8Array, start: number, end: number, fromLo: boolean, ts = 0): void {
    const s = this.start;
    if (!parseSipStart(buf, start, end, s)) return;
    let o = this.byRow.get(row);
    if (o === undefined) {
      o = {
        requests: 0,
        pairs: [],
        counts: [],
        diagnostics: [],
        rangLo: [],
        rangHi: [],
        noAnswerLo: 0,
        noAnswerHi: 0,
        okLo: [],
        okHi: [],
        failLo: [],
        failHi: [],
        failKindLo: [],
        failKindHi: [],
      };
      this.byRow.set(row, o);
    }
    if (s.kind === SipKind.Request) {
      o.requests++;
      return;
    }
    const rang = fromLo ? o.rangLo : o.rangHi;
    // One call's INVITE: its dialog (Call-ID) and its CSeq number (new dialogs often start at 1).
    const call = (Math.imul(s.callIdHash, 0x9e3779b1) ^ s.cseqNumber) >>> 0;
    if (s.cseqMethod === INVITE && s.cseqNumber >= 0) this.earlyMedia.note(s, call, ts);
    if (s.code < 200) {
      // 180 only: a gateway's 183 also carries early media announcing a failure.
      if (s.code === 180 && s.cseqMethod === INVITE && s.cseqNumber >= 0 && !rang.includes(call)) {
        if (rang.length >= MAX_RANG) rang.shift();
        rang.push(call);
      }
      return;
    }
    if (
      (s.code === 408 || s.code === 480) &&
      s.cseqMethod === INVITE &&
      s.cseqNumber >= 0 &&
      rang.includes(call)
    ) {
      if (fromLo) o.noAnswerLo++;
      else o.noAnswerHi++;
    }
    // The side that sent the response, lo or hi: which is the originator is settled when the flow is read.
    const key = (fromLo ? 1_000_000 : 0) + s.cseqMethod * 1000 + s.code;
    let i = o.pairs.indexOf(key);
    if (i >= 0) o.counts[i]!++;
    else if (o.pairs.length < MAX_PAIRS) {
      i = o.pairs.push(key) - 1;
      o.counts.push(1);
      o.diagnostics.push(null);
    }
    if (i >= 0 && s.code >= 300 && s.diagLength > 0 && o.diagnostics[i] === null) {
      o.diagnostics[i] = UTF8.decode(buf.subarray(s.diagOffset, s.diagOffset + s.diagLength));
    }
    const dialog = (Math.imul(s.callIdHash, 0x85ebca6b) ^ s.cseqMethod) >>> 0;
    if (s.code < 300) {
      const ok = fromLo ? o.okLo : o.okHi;
      if (!ok.includes(dialog) && ok.length < MAX_CALLS) ok.push(dialog);
    } else if (i >= 0) {
      const fail = fromLo ? o.failLo : o.failHi;
      if (fail.length < MAX_CALLS) {
        fail.push(dialog);
        (fromLo ? o.failKindLo : o.failKindHi).push(i);
      }
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
      noAnswer: origIsLo ? o.noAnswerHi : o.noAnswerLo,
      unrecovered: o.pairs.map((key, i) => {
        const lo = key >= 1_000_000;
        const [ok, fail, kinds] = lo ? [o.okLo, o.failLo, o.failKindLo] : [o.okHi, o.failHi, o.failKindHi];
        let n = 0;
        for (let f = 0; f < fail.length; f++) if (kinds[f] === i && !ok.includes(fail[f]!)) n++;
        return n;
      }),
    };
  }

  delete(row: number): void {
    this.byRow.delete(row);
  }
}
