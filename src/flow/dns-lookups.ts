/**
 * The capture's sign-in discovery lookups: DNS questions for the names an
 * OCS 2007 R2 client asks to find its server (decode/dns.ts `SignIn`), and
 * A/AAAA questions for the hosts those SRV answers named, each with what the
 * DNS servers answered. Capture-wide, since every lookup is a flow of its
 * own; bounded: at most MAX_LOOKUPS names (the rest are counted in
 * `untracked`) and MAX_TARGETS SRV targets. Facts only: classify/sign-in.ts
 * decides what they mean.
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
import { ipv4Text, wordsText } from "../format.js";

/** Names (with their types) kept; a capture of many clients asks a few names many times. */
export const MAX_LOOKUPS = 256;
/** SRV targets whose address lookups are kept. */
export const MAX_TARGETS = 64;
/** Answers kept per lookup. */
export const MAX_ANSWERS = 4;

export interface DnsLookup {
  /** The question's name, lowercase, and its type. */
  name: string;
  type: "SRV" | "A" | "AAAA";
  /** Which sign-in name it is (`SignIn`); `SignIn.None` for an SRV target's address. */
  kind: SignIn;
  /** The SIP domain the name is about; for an SRV target, the domain whose SRV record named it. */
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
  /** Frame numbers (1-based) of the first query, the first response and the first answer; 0: none. */
  queryFrame: number;
  responseFrame: number;
  answerFrame: number;
  /** When the first query (or, without one, the first response) was seen, µs since the epoch. */
  firstSeen: number;
  /** Who asked first, and which server answered first (null: no response). */
  client: string | null;
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
  /** SRV targets (by name hash) with their name and the domain whose SRV named them. */
  private readonly targets = new Map<number, { name: string; domain: string }>();
  /** Questions for a name worth keeping that found no room (`MAX_LOOKUPS`). */
  untracked = 0;

  /** A DNS message of a flow (`readDns` has filled `m` from `buf`), sent in the frame numbered `frame`. */
  note(m: DnsMessage, buf: Uint8Array, pkt: Packet, frame: number, ts: number): void {
    const type = TYPE_NAMES[m.qtype];
    if (type === undefined) return;
    let kind: SignIn = m.signIn;
    let domain: string;
    let name: string;
    if (kind !== SignIn.None) {
      const d = dnsNameText(buf, m.msg, m.domainAt, m.end);
      const n = dnsNameText(buf, m.msg, m.qname, m.end);
      if (d === null || n === null) return;
      domain = d;
      name = n;
    } else {
      if (type === "SRV") return;
      const target = this.targets.get(m.nameHash);
      if (target === undefined) return;
      const n = dnsNameText(buf, m.msg, m.qname, m.end);
      if (n !== target.name) return;
      name = n;
      domain = target.domain;
      kind = SignIn.None;
    }
    const key = `${type} ${name}`;
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
        queryFrame: 0,
        responseFrame: 0,
        answerFrame: 0,
        firstSeen: ts,
        client: null,
        server: null,
        answers: [],
      };
      this.byKey.set(key, l);
    }
    if (!m.response) {
      l.queries++;
      if (l.queryFrame === 0) {
        l.queryFrame = frame;
        l.firstSeen = Math.min(l.firstSeen, ts);
        l.client = addressOf(pkt, true);
      }
      return;
    }
    l.responses++;
    if (l.responseFrame === 0) {
      l.responseFrame = frame;
      l.server = addressOf(pkt, true);
      if (l.client === null) l.client = addressOf(pkt, false);
    }
    const rcode = m.rcode;
    if (rcode === RCODE_NOERROR && m.answers > 0) {
      l.answered++;
      if (l.answerFrame === 0) l.answerFrame = frame;
      this.keepAnswers(l, m, buf);
    } else if (rcode === RCODE_NOERROR) l.noData++;
    else if (rcode === RCODE_NXDOMAIN) l.nxdomain++;
    else if (rcode === RCODE_SERVFAIL) l.servfail++;
    else if (rcode === RCODE_REFUSED) l.refused++;
    else l.otherError++;
  }

  private keepAnswers(l: DnsLookup, m: DnsMessage, buf: Uint8Array): void {
    const n = Math.min(m.answers, m.answerAt.length);
    for (let i = 0; i < n && l.answers.length < MAX_ANSWERS; i++) {
      const at = m.answerAt[i]!;
      const text = answerText(m, buf, at);
      if (text === null || l.answers.includes(text)) continue;
      l.answers.push(text);
      // An SRV record's target: the client looks its address up next.
      if (m.qtype === DNS_TYPE_SRV && this.targets.size < MAX_TARGETS) {
        const hash = dnsNameHash(buf, m.msg, at + 6, m.end);
        const target = text.slice(text.lastIndexOf(" ") + 1);
        if (hash >= 0 && target !== "." && !this.targets.has(hash))
          this.targets.set(hash, { name: target, domain: l.domain });
      }
    }
  }

  /** Every lookup kept, in the order first seen. */
  list(): DnsLookup[] {
    return [...this.byKey.values()];
  }
}
