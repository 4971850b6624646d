/**
 * A DNS message's header, first question and answers, read in place for
 * sign-in discovery (RFC 1035 §4.1; SRV records RFC 2782): which of the
 * names OCS 2007 R2 clients look up the question asks, the response code,
 * and where the answers of the asked type start. Over TCP a 2-byte length
 * comes first (RFC 1035 §4.2.2), and the message must be whole in the bytes
 * given (flow/dns-tcp.ts reassembles the stream). Fills a reused `DnsMessage`; never throws, never allocates, except
 * `dnsNameText`, which makes the text of a name and is called for the few
 * names sign-in discovery keeps.
 */
import { u16 } from "./bytes.js";
import { nameEnd } from "./signatures-other.js";

export const DNS_TYPE_A = 1;
export const DNS_TYPE_AAAA = 28;
export const DNS_TYPE_SRV = 33;
const DNS_TYPE_NS = 2;
const DNS_TYPE_SOA = 6;

/** RFC 1035 §4.1.1 RCODE values sign-in discovery names. */
export const RCODE_NOERROR = 0;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_REFUSED = 5;

/**
 * The names an OCS 2007 R2 client (Communicator, Communicator Phone Edition)
 * asks to find its server, and the Edge's federation SRV ("How Client DNS
 * Queries Work", OCS 2007 R2 documentation): SRV records first, then A
 * records of fixed host names in the SIP domain.
 */
export const SignIn = {
  None: 0,
  /** `_sipinternaltls._tcp.<domain>` SRV: internal TLS. */
  InternalTls: 1,
  /** `_sipinternal._tcp.<domain>` SRV: internal TCP (when TCP is allowed). */
  InternalTcp: 2,
  /** `_sip._tls.<domain>` SRV: external TLS (through the Access Edge). */
  ExternalTls: 3,
  /** `_sip._tcp.<domain>` SRV: external TCP. */
  ExternalTcp: 4,
  /** `_sipfederationtls._tcp.<domain>` SRV: a federated partner's Access Edge. */
  Federation: 5,
  /** `sipinternal.<domain>` A or AAAA: the fall-back when no SRV record answers. */
  HostInternal: 6,
  /** `sip.<domain>` A or AAAA. */
  HostSip: 7,
  /** `sipexternal.<domain>` A or AAAA. */
  HostExternal: 8,
} as const;
export type SignIn = (typeof SignIn)[keyof typeof SignIn];

/** Answers of the asked type whose place the reader keeps. */
export const MAX_DNS_ANSWERS = 16;
/** Pointers followed in one name: a loop of pointers ends here (RFC 1035 §4.1.4 lets them point only back). */
const MAX_POINTERS = 16;

const ascii = (s: string): readonly number[] => Array.from(s, (c) => c.charCodeAt(0));
const L_SIPINTERNALTLS = ascii("_sipinternaltls");
const L_SIPINTERNAL = ascii("_sipinternal");
const L_SIP_ = ascii("_sip");
const L_SIPFEDERATIONTLS = ascii("_sipfederationtls");
const L_TCP = ascii("_tcp");
const L_TLS = ascii("_tls");
const L_HOST_INTERNAL = ascii("sipinternal");
const L_HOST_SIP = ascii("sip");
const L_HOST_EXTERNAL = ascii("sipexternal");

export class DnsMessage {
  /** The header's offset (after TCP's length) and the message's end in the buffer. */
  msg = 0;
  end = 0;
  id = 0;
  response = false;
  /** TC: the server cut the answer to fit a UDP datagram; the client asks again over TCP (RFC 1035 §4.1.1, RFC 2181 §9). */
  truncated = false;
  /** A response that refers the asker to other servers instead of answering (a recursive resolver's, not a client's). */
  referral = false;
  /** RD: a stub resolver's question (a client's); a recursive resolver asks other servers without it (RFC 1035 §4.1.1). */
  recursionDesired = false;
  rcode = 0;
  /** The first question's type and the offset of its name. */
  qtype = 0;
  qname = 0;
  /** Which sign-in name the question asks (`SignIn`), and where the domain after its fixed labels starts. */
  signIn: SignIn = SignIn.None;
  domainAt = 0;
  /** FNV-1a of the question's name, lowercased, labels joined by dots (`dnsNameHash`). */
  nameHash = 0;
  /** Answers of the question's type and class IN (a CNAME on the way is not one). */
  answers = 0;
  /** Where the RDATA of the first `MAX_DNS_ANSWERS` of them starts. */
  readonly answerAt = new Int32Array(MAX_DNS_ANSWERS);
}

/** Whether the label at `p` (its length byte) is `word`, ASCII case-insensitively. */
function labelIs(buf: Uint8Array, p: number, end: number, word: readonly number[]): boolean {
  if (buf[p] !== word.length || p + 1 + word.length > end) return false;
  for (let i = 0; i < word.length; i++) {
    const c = buf[p + 1 + i]!;
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== word[i]) return false;
  }
  return true;
}

/**
 * FNV-1a (32-bit) of the name at `p`, pointers followed, ASCII lowercased,
 * labels joined by "." (the root alone hashes as ""); -1 when it does not
 * parse. Two names with the same text have the same hash.
 */
export function dnsNameHash(buf: Uint8Array, msg: number, p: number, end: number): number {
  let h = 0x811c9dc5;
  let total = 0;
  let hops = 0;
  let first = true;
  while (p >= msg && p < end) {
    const l = buf[p]!;
    if (l === 0) return h >>> 0;
    if (l >= 0xc0) {
      if (p + 2 > end || ++hops > MAX_POINTERS) return -1;
      const target = msg + (((l & 0x3f) << 8) | buf[p + 1]!);
      if (target < msg + 12 || target >= p) return -1;
      p = target;
      continue;
    }
    total += l + 1;
    if (l > 63 || total > 255 || p + 1 + l > end) return -1;
    if (!first) h = Math.imul(h ^ 0x2e, 0x01000193);
    first = false;
    for (let i = 1; i <= l; i++) {
      let c = buf[p + i]!;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      h = Math.imul(h ^ c, 0x01000193);
    }
    p += l + 1;
  }
  return -1;
}

/**
 * The text of the name at `p`, pointers followed, lowercased, labels joined
 * by "."; a byte other than a letter, digit, '-' or '_' is written as
 * `\DDD` (decimal, as dig writes it), so the text is plain ASCII. Null when
 * the name does not parse. Allocates: for the names sign-in discovery keeps.
 */
export function dnsNameText(buf: Uint8Array, msg: number, p: number, end: number): string | null {
  let out = "";
  let total = 0;
  let hops = 0;
  while (p >= msg && p < end) {
    const l = buf[p]!;
    if (l === 0) return out;
    if (l >= 0xc0) {
      if (p + 2 > end || ++hops > MAX_POINTERS) return null;
      const target = msg + (((l & 0x3f) << 8) | buf[p + 1]!);
      if (target < msg + 12 || target >= p) return null;
      p = target;
      continue;
    }
    total += l + 1;
    if (l > 63 || total > 255 || p + 1 + l > end) return null;
    if (out.length > 0) out += ".";
    for (let i = 1; i <= l; i++) {
      let c = buf[p + i]!;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      const plain = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f;
      out += plain ? String.fromCharCode(c) : `\\${String(c).padStart(3, "0")}`;
    }
    p += l + 1;
  }
  return null;
}

/** Which sign-in name the question at `q` asks, setting `out.domainAt`; the domain must have a label. */
function signInName(buf: Uint8Array, q: number, end: number, qtype: number, out: DnsMessage): SignIn {
  const srv = qtype === DNS_TYPE_SRV;
  const host = qtype === DNS_TYPE_A || qtype === DNS_TYPE_AAAA;
  let kind: SignIn = SignIn.None;
  let at = q;
  if (srv) {
    const second = q + 1 + buf[q]!;
    if (labelIs(buf, q, end, L_SIPINTERNALTLS) && labelIs(buf, second, end, L_TCP)) kind = SignIn.InternalTls;
    else if (labelIs(buf, q, end, L_SIPINTERNAL) && labelIs(buf, second, end, L_TCP))
      kind = SignIn.InternalTcp;
    else if (labelIs(buf, q, end, L_SIP_) && labelIs(buf, second, end, L_TLS)) kind = SignIn.ExternalTls;
    else if (labelIs(buf, q, end, L_SIP_) && labelIs(buf, second, end, L_TCP)) kind = SignIn.ExternalTcp;
    else if (labelIs(buf, q, end, L_SIPFEDERATIONTLS) && labelIs(buf, second, end, L_TCP))
      kind = SignIn.Federation;
    at = second + 5; // "_tcp" and "_tls" are 4 letters and their length byte
  } else if (host) {
    if (labelIs(buf, q, end, L_HOST_INTERNAL)) kind = SignIn.HostInternal;
    else if (labelIs(buf, q, end, L_HOST_SIP)) kind = SignIn.HostSip;
    else if (labelIs(buf, q, end, L_HOST_EXTERNAL)) kind = SignIn.HostExternal;
    at = q + 1 + buf[q]!;
  }
  // The domain: at least one label of its own (not the root, not a pointer into nothing).
  if (kind === SignIn.None || at >= end || buf[at] === 0) return SignIn.None;
  out.domainAt = at;
  return kind;
}

/**
 * Reads the DNS message at `[off, end)` into `out`. False when it is not one
 * this reader takes: shorter than its header, no question, a question or
 * answer that does not parse (the answers read until then are kept).
 */
export function readDns(buf: Uint8Array, off: number, end: number, tcp: boolean, out: DnsMessage): boolean {
  out.answers = 0;
  out.referral = false;
  out.signIn = SignIn.None;
  let msg = off;
  if (tcp) {
    // A message the segment does not hold whole is not read (its answers would look absent).
    if (end - off < 2 || msg + 2 + u16(buf, off) > end) return false;
    msg = off + 2;
    end = msg + u16(buf, off);
  }
  if (end - msg < 12) return false;
  const flags = u16(buf, msg + 2);
  const qd = u16(buf, msg + 4);
  const an = u16(buf, msg + 6);
  if (qd === 0) return false;
  out.msg = msg;
  out.end = end;
  out.id = u16(buf, msg);
  out.response = flags >> 15 === 1;
  out.truncated = (flags & 0x0200) !== 0;
  out.recursionDesired = (flags & 0x0100) !== 0;
  out.rcode = flags & 15;
  const q = msg + 12;
  const qEnd = nameEnd(buf, msg, q, end);
  if (qEnd < 0 || qEnd + 4 > end) return false;
  out.qname = q;
  out.qtype = u16(buf, qEnd);
  out.nameHash = dnsNameHash(buf, msg, q, end);
  out.signIn = signInName(buf, q, end, out.qtype, out);
  let p = qEnd + 4;
  // Further questions (RFC 1035 allows them; no server sends them) are skipped.
  for (let i = 1; i < qd; i++) {
    const e = nameEnd(buf, msg, p, end);
    if (e < 0 || e + 4 > end) return true;
    p = e + 4;
  }
  // The answer section, then the authority section's record types (a referral's NS, NODATA's SOA).
  const ns = u16(buf, msg + 8);
  let sawNs = false;
  let sawSoa = false;
  for (let i = 0; i < an + ns; i++) {
    const e = nameEnd(buf, msg, p, end);
    if (e < 0 || e + 10 > end) break;
    const type = u16(buf, e);
    const klass = u16(buf, e + 2);
    const rdlen = u16(buf, e + 8);
    const rdata = e + 10;
    if (rdata + rdlen > end) break;
    if (i >= an) {
      if (type === DNS_TYPE_NS) sawNs = true;
      else if (type === DNS_TYPE_SOA) sawSoa = true;
    } else if (type === out.qtype && klass === 1) {
      if (out.answers < MAX_DNS_ANSWERS) out.answerAt[out.answers] = rdata;
      out.answers++;
    }
    p = rdata + rdlen;
  }
  // A referral (RFC 1034 §4.3.1): no answer, the next servers in the authority section, no SOA
  // (which NODATA carries, RFC 2308 §2.2): it says nothing of the name.
  out.referral = out.response && out.rcode === RCODE_NOERROR && out.answers === 0 && sawNs && !sawSoa;
  return true;
}

/** Whether the answer at `rdata` is a whole record of the asked type: an SRV's 6 bytes and a target, A's 4, AAAA's 16. */
export function answerFits(m: DnsMessage, buf: Uint8Array, rdata: number): boolean {
  if (m.qtype === DNS_TYPE_A) return rdata + 4 <= m.end;
  if (m.qtype === DNS_TYPE_AAAA) return rdata + 16 <= m.end;
  return m.qtype === DNS_TYPE_SRV && rdata + 7 <= m.end && dnsNameHash(buf, m.msg, rdata + 6, m.end) >= 0;
}
