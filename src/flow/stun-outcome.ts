/**
 * What STUN and TURN said on a flow (issue 17, item 4): Binding requests and
 * their answers, Allocate requests with their successes and error codes,
 * Microsoft's MS-VERSION and the server's REALM, and whether media went
 * through the relay (TURN ChannelData, or Send/Data indications, after a
 * successful Allocate). Each message that starts a UDP datagram or a TCP
 * segment is read. Numbers and one short string per flow, kept only for
 * STUN flows and dropped when the flow ends.
 */
import {
  isChannelData,
  readStun,
  STUN_ALLOCATE,
  STUN_BINDING,
  STUN_CHANNEL_BIND,
  STUN_CREATE_PERMISSION,
  STUN_DATA,
  STUN_ERROR,
  STUN_INDICATION,
  STUN_REQUEST,
  STUN_SEND,
  STUN_SUCCESS,
  StunMessage,
} from "../decode/stun-message.js";
import { utf8Cut } from "../decode/utf8.js";

/** Distinct Allocate error codes kept per flow, and peers. */
const MAX_CODES = 8;
const MAX_PEERS = 8;
/** REALM is UTF-8 (RFC 5389 §15.7); the first REALM_MAX bytes of it are kept. */
const UTF8 = new TextDecoder("utf-8");
const REALM_MAX = 128;

export interface StunOutcome {
  bindingRequests: number;
  /** Binding requests carrying USERNAME: ICE connectivity checks (decode/stun-message.ts). */
  checks: number;
  bindingSuccesses: number;
  bindingErrors: number;
  allocateRequests: number;
  allocateSuccesses: number;
  /** Allocate error responses by code, in the order first seen. */
  allocateErrors: { code: number; count: number }[];
  /** MS-TURN's MS-VERSION, or null. */
  msVersion: number | null;
  realm: string | null;
  /** Relayed messages (ChannelData, Send and Data indications) after a successful Allocate. */
  relayed: number;
  /**
   * The peers the client asked the relay to reach (CreatePermission, ChannelBind, Send; MS-TURN's
   * Set Active Destination and Send), IPv4 or IPv6, as address words (IPv4 in the last).
   */
  peers: StunPeer[];
}

export interface StunPeer {
  family: 4 | 6;
  words: readonly [number, number, number, number];
}

/**
 * A message behind RFC 4571's 2-byte frame length, as STUN over TCP may be framed
 * (decode/signatures-media.ts identifies it the same way): read from after the length.
 * MS-TURN's own 4-byte frame headers are walked in `note`.
 */
function framed(buf: Uint8Array, start: number, end: number, m: StunMessage): boolean {
  if (end - start < 22) return false;
  const len = (buf[start]! << 8) | buf[start + 1]!;
  return len >= 20 && start + 2 + len <= end && readStun(buf, start + 2, start + 2 + len, m);
}

/**
 * What `note` read, as bits: a Binding success answering an ICE check (the flow carried one); a
 * relayed message (after a successful Allocate): each side's first and every RELAY_TELL-th after,
 * not each of a call's 50 packets a second.
 */
export const READ_BINDING_SUCCESS = 1;
export const READ_RELAYED = 2;
/** 1,000 relayed messages take 20 s at 50 a second: a relayed call is told at least once a 30-second slot. */
const RELAY_TELL = 1000;

/** A flow's outcome as kept: with the relayed messages each side sent (lo, hi), for `relay`'s telling. */
interface StunState extends StunOutcome {
  relayedBy: [number, number];
}

export class StunOutcomes {
  private readonly byRow = new Map<number, StunState>();
  private readonly msg = new StunMessage();

  /** READ_* bits of the messages counted since `note` began. */
  private read = 0;
  /** The side the message came from: 0 lo, 1 hi. */
  private side = 0;

  /** A relayed message from `side`. */
  private relay(o: StunState): void {
    o.relayed++;
    const by = o.relayedBy;
    const n = by[this.side]! + 1;
    by[this.side] = n;
    if (n % RELAY_TELL === 1) this.read |= READ_RELAYED;
  }

  /**
   * The message at the start of a payload `buf[start, end)`; behind MS-TURN's frame headers, every
   * whole framed message of it ([MS-TURN] §2.1.4: one TCP segment may carry several). Returns
   * READ_* bits saying what it read.
   */
  note(row: number, buf: Uint8Array, start: number, end: number, fromLo = true): number {
    const m = this.msg;
    this.read = 0;
    this.side = fromLo ? 0 : 1;
    if (isChannelData(buf, start, end)) {
      const o = this.byRow.get(row);
      if (o === undefined || o.allocateSuccesses === 0) return 0;
      this.relay(o);
      return this.read;
    }
    // Frame headers first: a bare reading of "02 00 LL LL" would take it for a message of type 0x0200.
    if (buf[start] === 0x02 && buf[start + 1] === 0x00) {
      let p = start;
      for (let frames = 0; frames < 64 && end - p >= 24 && buf[p] === 0x02 && buf[p + 1] === 0x00; frames++) {
        const len = (buf[p + 2]! << 8) | buf[p + 3]!;
        if (len < 20 || p + 4 + len > end) break;
        if (readStun(buf, p + 4, p + 4 + len, m)) this.count(row, buf, m);
        p += 4 + len;
      }
      if (p > start) return this.read;
    }
    if (readStun(buf, start, end, m) || framed(buf, start, end, m)) this.count(row, buf, m);
    return this.read;
  }

  /** Counts one message read into `m` (its REALM's bytes still in `buf`). */
  private count(row: number, buf: Uint8Array, m: StunMessage): void {
    let o = this.byRow.get(row);
    if (o === undefined) {
      o = {
        bindingRequests: 0,
        checks: 0,
        bindingSuccesses: 0,
        bindingErrors: 0,
        allocateRequests: 0,
        allocateSuccesses: 0,
        allocateErrors: [],
        msVersion: null,
        realm: null,
        relayed: 0,
        peers: [],
        relayedBy: [0, 0],
      };
      this.byRow.set(row, o);
    }
    if (m.msVersion >= 0 && o.msVersion === null) o.msVersion = m.msVersion;
    const asksPeer =
      (m.cls === STUN_REQUEST && (m.method === STUN_CREATE_PERMISSION || m.method === STUN_CHANNEL_BIND)) ||
      (m.cls === STUN_INDICATION && m.method === STUN_SEND);
    if (asksPeer && m.peerFamily !== 0 && o.peers.length < MAX_PEERS) {
      const w = m.peerWords;
      const family = m.peerFamily === 4 ? 4 : 6;
      if (!o.peers.some((p) => p.family === family && p.words.every((x, i) => x === w[i])))
        o.peers.push({ family, words: [w[0]!, w[1]!, w[2]!, w[3]!] });
    }
    if (m.realmEnd > m.realmStart && o.realm === null)
      o.realm = UTF8.decode(
        buf.subarray(
          m.realmStart,
          m.realmEnd - m.realmStart <= REALM_MAX
            ? m.realmEnd
            : utf8Cut(buf, m.realmStart, m.realmStart + REALM_MAX),
        ),
      );
    if (m.method === STUN_BINDING) {
      if (m.cls === STUN_REQUEST) {
        o.bindingRequests++;
        if (m.username) o.checks++;
      } else if (m.cls === STUN_SUCCESS) {
        o.bindingSuccesses++;
        // An answered ICE check: the flow carried one (a STUN server's answer to a plain Binding
        // says only that the server is reachable, RFC 8489 §3).
        if (o.checks > 0) this.read |= READ_BINDING_SUCCESS;
      } else if (m.cls === STUN_ERROR) o.bindingErrors++;
    } else if (m.method === STUN_ALLOCATE) {
      if (m.cls === STUN_REQUEST) o.allocateRequests++;
      else if (m.cls === STUN_SUCCESS) o.allocateSuccesses++;
      else if (m.cls === STUN_ERROR) {
        const e = o.allocateErrors.find((x) => x.code === m.errorCode);
        if (e !== undefined) e.count++;
        else if (o.allocateErrors.length < MAX_CODES) o.allocateErrors.push({ code: m.errorCode, count: 1 });
      }
    } else if ((m.method === STUN_SEND || m.method === STUN_DATA) && m.cls === STUN_INDICATION) {
      if (o.allocateSuccesses > 0) this.relay(o);
    }
  }

  of(row: number): StunOutcome | null {
    return this.byRow.get(row) ?? null;
  }

  delete(row: number): void {
    this.byRow.delete(row);
  }
}
