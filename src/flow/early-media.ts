/**
 * Early media (RFC 3960): the media streams SIP's provisional answers (18x
 * with SDP) announced, per IPv4 address and port (and the RTCP port after
 * it, RFC 3264 §5.1), and how the call they belong to ended. Media one way
 * from such a stream is ringback or an announcement, not a blocked path, only
 * on positive evidence: the INVITE (Call-ID and CSeq; each fork by its To tag,
 * RFC 3261 §13.2.2.4) got a final failure, or another fork's 2xx, and the
 * media ran no later than shortly after that. An answer, an SDP announcing
 * the port again, or no final answer at all leaves it one-way media.
 * Bounded: MAX_STREAMS announcements and as many ringing calls (the oldest
 * go first), so what is dropped leaves the media blamed, never excused. A
 * final response looks only at its own call's streams.
 */
import type { SipStart } from "../decode/sip.js";

/** Announced streams kept. */
const MAX_STREAMS = 4096;
/** Media that ran this long after the call's end is not that call's early media. */
const SLACK_MICROS = 2_000_000;

const RINGING = 0;
const ANSWERED = 1;
const ENDED = 2;

interface Stream {
  /** Its address and port, as `streams` keys it. */
  key: number;
  /** The INVITE: Call-ID hash and CSeq number, as one key. */
  call: number;
  /** The answering fork's To tag hash (0: none). */
  tag: number;
  state: number;
  /** When the call ended without this fork's answer. */
  endedAt: number;
}

const streamKey = (v4: number, port: number) => (v4 >>> 0) * 65536 + port;

export class EarlyMedia {
  private readonly streams = new Map<number, Stream>();
  /** The ringing streams of each call not yet finally answered. */
  private readonly ringing = new Map<number, Stream[]>();

  /** A response to an INVITE (`call` its key), read into `s`, at `ts`. */
  note(s: SipStart, call: number, ts: number): void {
    const answer = s.code >= 200 && s.code < 300;
    if (s.sdpPort > 0 && ((s.code >= 180 && s.code < 200) || answer)) {
      // Announced (again): the RTP port and the RTCP port after it.
      for (const port of [s.sdpPort, s.sdpPort + 1]) {
        const key = streamKey(s.sdpAddress, port);
        if (this.streams.size >= MAX_STREAMS && !this.streams.has(key))
          this.streams.delete(this.streams.keys().next().value as number);
        this.streams.delete(key); // re-inserted last: the newest
        const st: Stream = { key, call, tag: s.toTagHash, state: answer ? ANSWERED : RINGING, endedAt: 0 };
        this.streams.set(key, st);
        if (!answer) keep(this.ringing, call).push(st);
      }
    }
    if (s.code < 200) return;
    const list = this.ringing.get(call);
    if (list === undefined) return;
    this.ringing.delete(call);
    for (const st of list) {
      // A stream announced again since (another call on the port) is no longer this one.
      if (this.streams.get(st.key) !== st || st.state !== RINGING) continue;
      const sameFork = st.tag === 0 || s.toTagHash === 0 || st.tag === s.toTagHash;
      if (answer && sameFork) st.state = ANSWERED;
      else {
        // A failure ends every fork; another fork's answer ends this one.
        st.state = ENDED;
        st.endedAt = ts;
      }
    }
  }

  /** Whether media from this IPv4 address and port, between `first` and `last`, was a call's early media. */
  excuses(v4: number, port: number, first: number, last: number): boolean {
    const st = this.streams.get(streamKey(v4, port));
    return (
      st !== undefined &&
      st.state === ENDED &&
      first <= st.endedAt + SLACK_MICROS &&
      last <= st.endedAt + SLACK_MICROS
    );
  }
}

/** The list of `call`, made (and the oldest call dropped past MAX_STREAMS) when new. */
function keep(m: Map<number, Stream[]>, call: number): Stream[] {
  let list = m.get(call);
  if (list === undefined) {
    if (m.size >= MAX_STREAMS) m.delete(m.keys().next().value as number);
    list = [];
    m.set(call, list);
  }
  return list;
}
