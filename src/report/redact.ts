/**
 * Redaction for reports that leave the building (`--redact`).
 *
 * Addresses are pseudonymized prefix-preservingly, as Crypto-PAn does (Xu,
 * Fan, Ammar, Moon: "Prefix-preserving IP address anonymization", 2002):
 * output bit i is input bit i XOR the top bit of AES_K(the input's first i
 * bits, padded with a secret pad). Two addresses that share a k-bit prefix
 * share exactly a k-bit prefix after, so subnets stay subnets. IPv4 uses the
 * first 32 bits of the 128-bit block, IPv6 all 128. The 32-byte key is a
 * key of 64 hex digits taken as it is (so pseudonyms match other Crypto-PAn
 * tools, and the reference implementation's sample vectors hold), else the
 * SHA-256 of the key text, or random per run; the AES key is its first half
 * and the pad is AES of its second half.
 *
 * Paths: each directory becomes a keyed pseudonym (dir-<8 hex>), and
 * addresses inside the file name are replaced.
 *
 * Hostnames (TLS server names) become host-<8 hex>.redacted, or keep their
 * domain (the last two labels) with --redact-keep-domain. Address literals
 * inside messages are replaced too, so no original address survives.
 */
import { createCipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import { Address4, Address6 } from "ip-address";
import type { Reason } from "../classify/reasons.js";
import { ipv4Text } from "../format.js";
import type { FlowRecord, Report } from "./model.js";
import { redactSignIn } from "./sign-in.js";

export interface RedactOptions {
  /** Any string; the same key gives the same pseudonyms. Random when absent. */
  key?: string;
  keepDomain?: boolean;
}

export class Redactor {
  private readonly aes: (block: Buffer) => Buffer;
  private readonly pad: bigint;
  private readonly hmacKey: Buffer;
  private readonly cache = new Map<string, string>();
  readonly keepDomain: boolean;

  constructor(options: RedactOptions = {}) {
    const key =
      options.key === undefined
        ? randomBytes(32)
        : /^[0-9a-fA-F]{64}$/.test(options.key)
          ? Buffer.from(options.key, "hex")
          : createHash("sha256").update(options.key).digest();
    // ECB encrypts each 16-byte block on its own, so one cipher serves every
    // block (final() is never called).
    const ecb = createCipheriv("aes-128-ecb", key.subarray(0, 16), null);
    ecb.setAutoPadding(false);
    this.aes = (block: Buffer) => ecb.update(block);
    this.pad = toBig(this.aes(key.subarray(16, 32)));
    this.hmacKey = createHash("sha256").update(key).update("hostnames").digest();
    this.keepDomain = options.keepDomain === true;
  }

  /** The pseudonym of an address in canonical text form (IPv6 in RFC 5952 form). */
  address(ip: string): string {
    let out = this.cache.get(ip);
    if (out !== undefined) return out;
    if (Address4.isValid(ip) && !ip.includes("/")) {
      out = bigToV4(this.permute(BigInt(new Address4(ip).bigInt()), 32));
    } else if (Address6.isValid(ip) && !ip.includes("/")) {
      out = Address6.fromBigInt(this.permute(new Address6(ip).bigInt(), 128)).correctForm();
    } else {
      out = ip;
    }
    this.cache.set(ip, out);
    return out;
  }

  /** A stable pseudonym for any other identifying value (an organisation, a user, a single-label host). */
  token(value: string): string {
    return `redacted-${createHmac("sha256", this.hmacKey).update(`token:${value.toLowerCase()}`).digest("hex").slice(0, 8)}`;
  }

  /**
   * A certificate fingerprint replaced by a keyed one of the same form ("AB:CD:…"): equal
   * certificates still match across flows and reports, but it finds nothing on crt.sh.
   */
  fingerprint(sha256: string): string {
    const mac = createHmac("sha256", this.hmacKey)
      .update(`fingerprint:${sha256.toUpperCase()}`)
      .digest("hex");
    return mac.toUpperCase().match(/../g)!.join(":");
  }

  /** A stable pseudonym for a hostname. */
  hostname(name: string): string {
    const tag = createHmac("sha256", this.hmacKey).update(name.toLowerCase()).digest("hex").slice(0, 8);
    if (!this.keepDomain) return `host-${tag}.redacted`;
    const labels = name.split(".").filter((l) => l.length > 0);
    return labels.length >= 2 ? `host-${tag}.${labels.slice(-2).join(".")}` : `host-${tag}`;
  }

  /** A path with each directory pseudonymized (dir-<8 hex>, keyed) and the addresses in its file name replaced. */
  path(p: string): string {
    const parts = p.split(/([/\\])/);
    const last = parts.length - 1;
    return parts
      .map((part, i) => {
        if (i === last) return this.text(part);
        if (part === "/" || part === "\\" || part === "" || part === "." || part === "..") return part;
        return `dir-${createHmac("sha256", this.hmacKey).update(`dir:${part}`).digest("hex").slice(0, 8)}`;
      })
      .join("");
  }

  /**
   * Replaces every IPv4 or IPv6 literal in free text, whatever letters or
   * punctuation stand beside it (file names like edge_10.0.0.30_trace.pcap,
   * fe10.0.0.31.pcap, cap_2001:db8::30.pcap), but not a run of five or more
   * dotted numbers.
   */
  text(s: string): string {
    return (
      s
        // Any neighbours but digits and dotted digits (file names: edge_10.0.0.30_trace.pcap, fe10.0.0.31.pcap).
        .replace(/(?<!\d|\d\.)(?:\d{1,3}\.){3}\d{1,3}(?!\d|\.\d)/g, (m) =>
          Address4.isValid(m) ? this.address(m) : m,
        )
        // Any neighbours but colons (cap_2001:db8::30.pcap); the match must parse as IPv6.
        .replace(/(?<!:)[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?!:)/g, (m) =>
          m.includes(":") && Address6.isValid(m) ? this.address(new Address6(m).correctForm()) : m,
        )
    );
  }

  /** Crypto-PAn over the top `bits` bits of the 128-bit block. */
  private permute(value: bigint, bits: number): bigint {
    const shift = BigInt(128 - bits);
    const original = value << shift;
    let result = 0n;
    for (let i = 0; i < bits; i++) {
      // The first i bits of the original, then the pad's remaining bits.
      const keep = i === 0 ? 0n : ((1n << BigInt(i)) - 1n) << BigInt(128 - i);
      const block = (original & keep) | (this.pad & ~keep & MASK128);
      const prf = toBig(this.aes(fromBig(block))) >> 127n;
      const bit = (original >> BigInt(127 - i)) & 1n;
      result = (result << 1n) | (bit ^ prf);
    }
    return result;
  }
}

const MASK128 = (1n << 128n) - 1n;

function toBig(buf: Buffer): bigint {
  return BigInt(`0x${buf.toString("hex")}`);
}

function fromBig(v: bigint): Buffer {
  return Buffer.from(v.toString(16).padStart(32, "0"), "hex");
}

function bigToV4(v: bigint): string {
  return ipv4Text(Number(v));
}

/** The same report with addresses and hostnames pseudonymized, in flows and in the fields of their reasons. */
export function redactReport(report: Report, r: Redactor): Report {
  const reasonCache = new Map<readonly Reason[], Reason[]>();
  return {
    ...report,
    capture: {
      ...report.capture,
      path: r.path(report.capture.path),
      warnings: report.capture.warnings.map((w) => ({ ...w, message: r.text(w.message) })),
    },
    blocked: report.blocked.map((g) => ({ ...g, summary: r.text(g.summary) })),
    flows: report.flows.map((f) => redactFlow(f, r, reasonCache)),
    ...(report.media === undefined
      ? {}
      : {
          media: report.media.map((m) =>
            m.code === "media_relay_only"
              ? { ...m, client: r.address(m.client), server: r.address(m.server), peer: r.address(m.peer) }
              : { ...m, client: r.address(m.client), server: r.address(m.server) },
          ),
        }),
    ...(report.signIn === undefined ? {} : { signIn: redactSignIn(report.signIn, r) }),
  };
}

/** One flow with its addresses, server name and reasons' addresses pseudonymized (reason lists shared through `cache`). */
export function redactFlow(f: FlowRecord, r: Redactor, cache: Map<readonly Reason[], Reason[]>): FlowRecord {
  let reasons = cache.get(f.reasons);
  if (reasons === undefined) {
    reasons = f.reasons.map((x) => redactReason(x, r));
    cache.set(f.reasons, reasons);
  }
  const application =
    f.application.sni === undefined
      ? f.application
      : { ...f.application, sni: r.hostname(f.application.sni) };
  const out = {
    ...f,
    clientIp: r.address(f.clientIp),
    serverIp: r.address(f.serverIp),
    reasons,
    application,
  };
  // A process path names users and servers (C:\\Users\\alice\\…, \\\\10.0.0.5\\share\\…): its folders
  // become pseudonyms, as a capture's do, and addresses in the file name are replaced.
  if (f.process !== undefined)
    out.process = { name: r.text(f.process.name), path: r.path(f.process.path), pid: f.process.pid };
  if (f.stun !== undefined && f.stun.realm !== null)
    out.stun = { ...f.stun, realm: redactDiagnostics(f.stun.realm, r) };
  if (f.tls !== undefined) {
    const t = f.tls;
    out.tls = { ...t, sni: t.sni === null ? null : r.hostname(t.sni) };
    if (t.certificate !== undefined) {
      const c = t.certificate;
      out.tls.certificate = {
        ...c,
        subject: redactDn(c.subject, r),
        issuer: redactDn(c.issuer, r),
        dnsNames: c.dnsNames.map((n) => redactDiagnostics(n, r)),
        sha256: r.fingerprint(c.sha256),
      };
    }
  }
  return out;
}

/** A reason with every address field pseudonymized (the fields that hold addresses, by code). */
function redactReason(x: Reason, r: Redactor): Reason {
  switch (x.code) {
    case "icmp_unreachable":
      return { code: x.code, details: { ...x.details, sender: r.address(x.details.sender) } };
    case "icmp_unmatched":
      return {
        code: x.code,
        details: {
          ...x.details,
          sender: r.address(x.details.sender),
          quotedSrc: r.address(x.details.quotedSrc),
          quotedDst: r.address(x.details.quotedDst),
        },
      };
    case "role_mismatch":
      return { code: x.code, details: { ...x.details, server: r.address(x.details.server) } };
    case "outside_topology":
      return { code: x.code, details: { ...x.details, server: r.address(x.details.server) } };
    case "sip_error":
      return {
        code: x.code,
        details: {
          ...x.details,
          diagnostics: x.details.diagnostics === null ? null : redactDiagnostics(x.details.diagnostics, r),
        },
      };
    case "tls_certificate_expired":
    case "tls_certificate_not_yet_valid":
    case "tls_self_signed":
      return {
        code: x.code,
        details: { ...x.details, subject: redactDn(x.details.subject, r) },
      } as Reason;
    case "tls_name_mismatch":
      return {
        code: x.code,
        details: {
          ...x.details,
          name: x.details.name
            .split(" | ")
            .map((n) => r.hostname(n))
            .join(" | "),
          certificateNames: x.details.certificateNames.map((n) => redactDiagnostics(n, r)),
        },
      };
    case "turn_allocate_failed":
      return {
        code: x.code,
        details: {
          ...x.details,
          realm: x.details.realm === null ? null : redactDiagnostics(x.details.realm, r),
        },
      };
    case "host_dropped":
      return { code: x.code, details: { ...x.details, reason: redactDiagnostics(x.details.reason, r) } };
    case "range_mismatch":
      return { code: x.code, details: { ...x.details, address: r.address(x.details.address) } };
    case "wrong_direction":
      return {
        code: x.code,
        details: { ...x.details, server: r.address(x.details.server), client: r.address(x.details.client) },
      };
    default:
      return x;
  }
}

/**
 * ms-diagnostics text with its addresses, host names (source="pool.contoso.com"), quoted server
 * names even of one label (source="OCSFE01") and user addresses (bob@ocsfe01) pseudonymized.
 */
function redactDiagnostics(text: string, r: Redactor): string {
  // No name is this long (DNS names stop at 253): such text is one pseudonym, and the patterns
  // below, quadratic at worst, never see more than this.
  if (text.length > SCAN_MAX) return r.token(text);
  return hostNames(
    r.text(text).replace(USER_AT_HOST, (_m, user: string, host: string) => {
      const at = host.startsWith("[") ? host : DOT.test(host) ? r.hostname(host) : r.token(host);
      return `${r.token(user)}@${at}`;
    }),
    r,
  )
    .replace(DOMAIN_USER, (_m, domain: string, user: string) => `${r.token(domain)}\\${r.token(user)}`)
    .replace(
      /\b(source|server|fqdn|target|host)(\s*=\s*)"([^"]*)"/gi,
      (m, key: string, eq: string, value: string) =>
        value.startsWith("host-") || value.startsWith("redacted-") ? m : `${key}${eq}"${r.token(value)}"`,
    );
}

/**
 * Host names (two labels or more, the first with a letter) pseudonymized. A candidate whose first
 * label has none (10.0.0.1, 123.example.com) is kept up to its first dot and the rest searched
 * again, as one pattern with the letter in it would, without its cubic backtracking.
 */
function hostNames(text: string, r: Redactor): string {
  return text.replace(HOST_NAME, (h) => {
    const dot = h.search(DOT);
    if (!LETTER.test(h.slice(0, dot))) return h.slice(0, dot + 1) + hostNames(h.slice(dot + 1), r);
    return h.startsWith("redacted-") || h.startsWith("host-") ? h : r.hostname(h);
  });
}

const SCAN_MAX = 1024;

/*
 * The names in ms-diagnostics and REALM text are UTF-8 (RFC 3261 §25.1, RFC 5389 §15.7), so user
 * and host names may hold any letter (josé@ocsfe01, bücher.de): the patterns take Unicode letters,
 * marks and digits where ASCII ones would leave such a name, or its non-ASCII part, in the clear,
 * and the characters names hold inside them: the joiners IDNA allows in labels (U+200C, U+200D,
 * and U+00B7 in Catalan; RFC 5892 Appendix A), the soft hyphen and the direction marks; the
 * full stops IDNA reads as dots (U+3002, U+FF0E, U+FF61; RFC 3490 §3.1) and the full-width @.
 * `\b` is ASCII-only even with the u flag; WORD_EDGE is the same edge between Unicode word
 * characters and others, so ASCII text is matched as before.
 */
const INNER = "\\u00ad\\u00b7\\u200c-\\u200f";
const WORD = `[\\p{L}\\p{M}\\p{N}_${INNER}]`;
const WORD_EDGE = `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`;
const NAME_CHAR = `[\\p{L}\\p{M}\\p{N}${INNER}-]`;
const DOTS = "[.\\u3002\\uff0e\\uff61]";
const DOT = new RegExp(DOTS, "u");
const LETTER = /\p{L}/u;
/** What a user name holds: a name's characters and the punctuation of mailbox names (o'brien). */
const USER_CHAR = `[\\p{L}\\p{M}\\p{N}${INNER}._%+'\u2019-]`;
const USER_AT_HOST = new RegExp(
  `${WORD_EDGE}(${USER_CHAR}+)[@\\uff20](\\[[^\\]\\s]{1,64}\\]|${NAME_CHAR}+(?:${DOTS}${NAME_CHAR}+)*)`,
  "gu",
);
const HOST_NAME = new RegExp(`${WORD_EDGE}${NAME_CHAR}+(?:${DOTS}${NAME_CHAR}+)+${WORD_EDGE}`, "gu");
/** A down-level logon name, DOMAIN\\user. */
const DOMAIN_USER = new RegExp(`${WORD_EDGE}(${NAME_CHAR}+)\\\\(${USER_CHAR}+)`, "gu");

/**
 * A certificate's subject or issuer ("CN=ocsfe01, O=Contoso Ltd, DC=local") with every value
 * pseudonymized and the attribute names kept: a host name as one, anything else (an organisation,
 * a CA's name, a single-label host, a domain component) as a token. Only the country stays.
 * Separators are ", " not escaped with a backslash (Node prints a comma inside a value as "\,").
 */
function redactDn(dn: string, r: Redactor): string {
  return dn
    .split(/(?<!\\), /)
    .map((part) => {
      const eq = part.indexOf("=");
      if (eq <= 0) return r.token(part);
      const type = part.slice(0, eq);
      const value = part.slice(eq + 1);
      if (type === "C") return part;
      const host = /^[A-Za-z0-9*-]+(\.[A-Za-z0-9-]+)+$/.test(value);
      return `${type}=${host ? r.hostname(value) : r.token(value)}`;
    })
    .join(", ");
}
