/**
 * The hashed keys of the flow table's address and media-pair bitmaps (payload-hooks.ts `senders`
 * and `mediaPairs`): an address; media from one address to another, from or to a port, or
 * between the two at all; RTCP's report blocks on a stream by SSRC. A bitmap of 2^24 bits holds
 * them, so a collision can only make a one-way flow look answered or blocked, never grow memory.
 */
import { SENDER_BITS_LOG2 } from "./types.js";

/** A 24-bit hash of an address's four words (MurmurHash3's fmix32 over their fold). */
export function senderHash(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ w3, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> (32 - SENDER_BITS_LOG2);
}

export const FROM_PORT = 0x10000;
export const TO_PORT = 0x20000;
/** Keys of `mediaPairs` without a port: the address pair sent media; the address pair had a flow with media both ways. */
export const ANY_PORT = 0x40000;
export const BOTH_WAYS = 0x80000;
/** A `reportKey`'s tag, so its words differ from every `mediaKey`'s. */
const REPORT_TAG = 0x5bd1e995;

/**
 * The hashed key of "`from`'s RTCP to `to`'s port `port` held a report block on the stream with
 * `ssrc`". With the port: an SSRC is unique within one RTP session only (RFC 3550 §3), and a party
 * may use one for its audio and its video.
 */
export function reportKey(
  from: readonly number[],
  to: readonly number[],
  port: number,
  ssrc: number,
): number {
  return senderHash(
    from[0]! ^ Math.imul(to[3]!, 0x27d4eb2d) ^ REPORT_TAG,
    from[1]! ^ to[2]! ^ Math.imul(port + 1, 0x9e3779b1),
    from[2]! ^ to[1]! ^ Math.imul(ssrc, 0xcc9e2d51),
    from[3]! ^ Math.imul(to[0]!, 0x165667b1),
  );
}

/** The hashed (source, destination, port, which port) key of `mediaPairs`. */
export function mediaKey(
  from: readonly number[],
  to: readonly number[],
  port: number,
  which: number,
): number {
  return senderHash(
    from[0]! ^ Math.imul(to[3]!, 0x27d4eb2d),
    from[1]! ^ to[2]! ^ Math.imul(port | which, 0x9e3779b1),
    from[2]! ^ to[1]!,
    from[3]! ^ Math.imul(to[0]!, 0x165667b1),
  );
}
