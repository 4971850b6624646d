/**
 * The facts of a certificate a TLS server sent, read with Node's own
 * `crypto.X509Certificate` (OpenSSL's parser; no dependency of ours): the
 * subject and issuer as OpenSSL prints them, the subjectAltName DNS names
 * (RFC 5280 §4.2.1.6), validity (RFC 5280 §4.1.2.5) and the SHA-256
 * fingerprint as tshark and browsers show it. Called once per certificate
 * (a few per TLS flow), never per packet; a certificate OpenSSL cannot
 * parse is returned as null, never thrown.
 */
import { X509Certificate } from "node:crypto";

export interface CertificateFacts {
  /** "CN=fe.contoso.test, O=Contoso" (OpenSSL's lines, joined). */
  subject: string;
  issuer: string;
  /** subjectAltName DNS names, in order. */
  dnsNames: string[];
  /**
   * The subject's common name, read from its own attribute (the last CN, the
   * most specific), never from the joined text, where an O value holding
   * ", CN=…" would pass for one; null without a CN.
   */
  cn: string | null;
  /** Validity, µs since the epoch. */
  notBeforeMicros: number;
  notAfterMicros: number;
  /** "AB:CD:…", upper-case, as `openssl x509 -fingerprint -sha256` prints it. */
  sha256: string;
  /** Issued by itself: its issuer is its subject and its own key verifies its signature. */
  selfSigned: boolean;
}

export function certificateFacts(der: Uint8Array): CertificateFacts | null {
  try {
    const c = new X509Certificate(der);
    const notBefore = Date.parse(c.validFrom);
    const notAfter = Date.parse(c.validTo);
    if (Number.isNaN(notBefore) || Number.isNaN(notAfter)) return null;
    const dnsNames: string[] = [];
    // "DNS:a.example, DNS:b.example, IP Address:10.0.0.1" (a name with ", " inside is quoted by Node).
    for (const part of (c.subjectAltName ?? "").split(", ")) {
      if (part.startsWith("DNS:")) dnsNames.push(part.slice(4));
    }
    let selfSigned = false;
    if (c.issuer === c.subject) {
      try {
        selfSigned = c.verify(c.publicKey);
      } catch {
        selfSigned = false;
      }
    }
    // OpenSSL's multi-line form: one attribute a line ("CN=a.example"); a value cannot hold a newline.
    const cns = c.subject.split("\n").filter((l) => l.startsWith("CN="));
    const last = cns[cns.length - 1];
    return {
      cn: last === undefined ? null : last.slice(3),
      subject: c.subject.split("\n").join(", "),
      issuer: c.issuer.split("\n").join(", "),
      dnsNames,
      notBeforeMicros: notBefore * 1000,
      notAfterMicros: notAfter * 1000,
      sha256: c.fingerprint256,
      selfSigned,
    };
  } catch {
    return null;
  }
}

/**
 * Whether `host` is a name the certificate is for: a subjectAltName DNS name,
 * or the common name when there is none (RFC 6125 §6.4.4), compared without
 * case; a wildcard stands for one whole left-most label (RFC 6125 §6.4.3).
 */
export function certificateCovers(facts: CertificateFacts, host: string): boolean {
  const names = facts.dnsNames.length > 0 ? facts.dnsNames : [facts.cn ?? ""];
  const h = host.toLowerCase().replace(/\.$/, "");
  return names.some((n) => {
    const name = n.toLowerCase().replace(/\.$/, "");
    if (name === h) return true;
    if (!name.startsWith("*.")) return false;
    const dot = h.indexOf(".");
    return dot > 0 && h.slice(dot + 1) === name.slice(2);
  });
}
