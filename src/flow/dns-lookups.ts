/**
 * The capture's sign-in discovery lookups: DNS questions for the names an
 * OCS 2007 R2 client asks to find its server (decode/dns.ts `SignIn`), and
 * A/AAAA questions for the hosts SRV answers named, each per client with
 * what the DNS servers answered. Capture-wide, since every lookup is a flow
 * of its own; bounded: at most MAX_LOOKUPS lookups (the messages of others
 * are counted in `untracked`) and MAX_TARGETS SRV targets. Facts only:
 * classify/sign-in.ts decides what they mean.
 */
import {
  answerFits,
  DNS_TYPE_A,
  DNS_TYPE_AAAA,
  DNS_TYPE_SRV,
  type DnsMessage,
  dnsNameHash,
  dnsNameText,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  RCODE_REFUSED,
  RCODE_SERVFAIL,
  SignIn,
} from "../decode/dns.js";
import type { Packet } from "../decode/packet.js";
import type { FrameStamp } from "./types.js";

/** What a lookup keeps of the frame that carried a message. */
type FrameRef = Pick<FrameStamp, "index" | "tsMicros">;

import { ipv4Text, wordsText } from "../format.js";

/** Lookups kept (a name and type asked by one client): a few names, asked by each client signing in. */
export const MAX_LOOKUPS = 4096;
/** SRV targets whose address lookups are kept. */
export const MAX_TARGETS = 256;
/** Answers kept per lookup: every SRV target a client would try, in practice (RFC 2782 orders them all). */
export const MAX_ANSWERS = 16;

export interface DnsLookup {
  /** The question's name, lowercase, and its type. */
  name: string;
  type: "SRV" | "A" | "AAAA";
  /** Which sign-in name it is (`SignIn`); `SignIn.None` for another name (an SRV target's address). */
  kind: SignIn;
  /** The SIP domain a sign-in name is about (after its fixed labels); "" for another name. */
  domain: string;
  queries: number;
  responses: number;
  /** Responses with an answer of the asked type. */
  answered: number;
  /** NOERROR without an answer of the type (RFC 2308 "NODATA"). */
  noData: number;
  nxdomain: number;
  servfail: number;
  refused: number;
  /** Other response codes (FORMERR, NOTIMP, …). */
  otherError: number;
  /** Responses that answer nothing yet, counted under no code: cut to fit a UDP datagram (TC, RFC 2181 §9) or by the capture's snapshot length before their answers, or a referral to other servers. */
  truncated: number;
  /** Frame numbers (1-based) of the first query, the first response and the first answer; 0: none. */
  queryFrame: number;
  responseFrame: number;
  answerFrame: number;
  /** When the first query (or, without one, the first response) was seen, µs since the epoch. */
  firstSeen: number;
  /** The client that asked (or was answered), and the server that answered first (null: no response). */
  client: string;
  server: string | null;
  /** The first answers, zone-file style: SRV "priority weight port target", A and AAAA the address. */
  answers: string[];
}

const TYPE_NAMES: Readonly<Record<number, DnsLookup["type"]>> = {
  [DNS_TYPE_SRV]: "SRV",
  [DNS_TYPE_A]: "A",
  [DNS_TYPE_AAAA]: "AAAA",
};

function addressOf(pkt: Packet, source: boolean): string {
  if (pkt.family === 4) return ipv4Text((source ? pkt.s3 : pkt.d3) >>> 0);
  return source
    ? wordsText(6, [pkt.s0, pkt.s1, pkt.s2, pkt.s3])
    : wordsText(6, [pkt.d0, pkt.d1, pkt.d2, pkt.d3]);
}

/** An answer's text: SRV as a zone file writes it (RFC 2782), an address as text. */
function answerText(m: DnsMessage, buf: Uint8Array, at: number): string | null {
  if (!answerFits(m, buf, at)) return null;
  if (m.qtype === DNS_TYPE_A)
    return ipv4Text(((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0);
  if (m.qtype === DNS_TYPE_AAAA) {
    const w: number[] = [];
    for (let i = 0; i < 16; i += 4)
      w.push((buf[at + i]! << 24) | (buf[at + i + 1]! << 16) | (buf[at + i + 2]! << 8) | buf[at + i + 3]!);
    return wordsText(6, w);
  }
  const target = dnsNameText(buf, m.msg, at + 6, m.end);
  if (target === null) return null;
  const u16 = (p: number) => (buf[p]! << 8) | buf[p + 1]!;
  return `${u16(at)} ${u16(at + 2)} ${u16(at + 4)} ${target === "" ? "." : target}`;
}

export class DnsLookups {
  private readonly byKey = new Map<string, DnsLookup>();
  /** SRV targets seen in answers, by name hash, with their names: their address lookups are kept too. */
  private readonly targets = new Map<number, string>();
  /** Messages of names worth keeping that found no room (`MAX_LOOKUPS`). */
  untracked = 0;

  /**
   * A DNS message of a flow (`readDns` has filled `m` from `buf`), sent in the
   * frame numbered `frame`. A lookup is one name and type asked by one client
   * (the query's sender, the response's receiver).
   */
  note(m: DnsMessage, buf: Uint8Array, pkt: Packet, frame: FrameRef, cut = false): void {
    const type = TYPE_NAMES[m.qtype];
    // A recursive resolver's own questions (RD clear) and their referrals are not a client's lookups.
    if (type === undefined || !m.recursionDesired) return;
    const kind: SignIn = m.signIn;
    // An address lookup of a host an SRV answer named (whatever its name: sip.<domain> often is one).
    const target = type !== "SRV" && this.targets.get(m.nameHash) !== undefined;
    if (kind === SignIn.None && !target) return;
    const name = dnsNameText(buf, m.msg, m.qname, m.end);
    if (name === null || (target && kind === SignIn.None && this.targets.get(m.nameHash) !== name)) return;
    const domain = kind === SignIn.None ? "" : dnsNameText(buf, m.msg, m.domainAt, m.end);
    if (domain === null) return;
    const client = addressOf(pkt, !m.response);
    const key = `${type} ${name} ${client}`;
    let l = this.byKey.get(key);
    if (l === undefined) {
      if (this.byKey.size >= MAX_LOOKUPS) {
        this.untracked++;
        return;
      }
      l = {
        name,
        type,
        kind,
        domain,
        queries: 0,
        responses: 0,
        answered: 0,
        noData: 0,
        nxdomain: 0,
        servfail: 0,
        refused: 0,
        otherError: 0,
        truncated: 0,
        queryFrame: 0,
        responseFrame: 0,
        answerFrame: 0,
        firstSeen: frame.tsMicros,
        client,
        server: null,
        answers: [],
      };
      this.byKey.set(key, l);
    }
    if (!m.response) {
      l.queries++;
      if (l.queryFrame === 0) {
        l.queryFrame = frame.index;
        l.firstSeen = Math.min(l.firstSeen, frame.tsMicros);
      }
      return;
    }
    l.responses++;
    if (l.responseFrame === 0) {
      l.responseFrame = frame.index;
      l.server = addressOf(pkt, true);
    }
    const rcode = m.rcode;
    // A truncated answer is incomplete (RFC 2181 §9): the client asks again over TCP; it says
    // nothing. So is one the capture cut, unless its header's code already says (NXDOMAIN, …).
    const incomplete = cut && rcode === RCODE_NOERROR && m.answers === 0;
    if (m.truncated || incomplete || m.referral) l.truncated++;
    else if (rcode === RCODE_NOERROR && m.answers > 0) {
      l.answered++;
      if (l.answerFrame === 0) l.answerFrame = frame.index;
      this.keepAnswers(l, m, buf);
    } else if (rcode === RCODE_NOERROR) l.noData++;
    else if (rcode === RCODE_NXDOMAIN) l.nxdomain++;
    else if (rcode === RCODE_SERVFAIL) l.servfail++;
    else if (rcode === RCODE_REFUSED) l.refused++;
    else l.otherError++;
  }

  private keepAnswers(l: DnsLookup, m: DnsMessage, buf: Uint8Array): void {
    const n = Math.min(m.answers, m.answerAt.length);
    for (let i = 0; i < n; i++) {
      const at = m.answerAt[i]!;
      const text = answerText(m, buf, at);
      if (text === null) continue;
      if (!l.answers.includes(text) && l.answers.length < MAX_ANSWERS) l.answers.push(text);
      // An SRV record's target: the client looks its address up next.
      if (m.qtype === DNS_TYPE_SRV && this.targets.size < MAX_TARGETS) {
        const hash = dnsNameHash(buf, m.msg, at + 6, m.end);
        const target = text.slice(text.lastIndexOf(" ") + 1);
        if (hash >= 0 && target !== "." && !this.targets.has(hash)) this.targets.set(hash, target);
      }
    }
  }

  /** Every lookup kept, in the order first seen. */
  list(): DnsLookup[] {
    return [...this.byKey.values()];
  }
}
