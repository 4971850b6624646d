/**
 * The TLS facts a human format shows for a flow whose handshake failed or
 * warns (any `tls_*` reason): the findings by code, what the client asked
 * for and what the server answered with, its certificate's names, issuer,
 * validity and SHA-256 fingerprint. Plain text lines; each renderer escapes them for its format.
 */
import type { FlowRecord, Report } from "./model.js";
import { reasonBrief } from "./reason-text.js";

/**
 * Whether a flow has a TLS handshake with a finding: the "failed or warn" sections list it, known or
 * not. TLS 1.0 alone is not one there: it is OCS 2007 R2's default, so every healthy handshake of
 * the deployment would be listed (unless the handshake was read only in part); the flow's reasons
 * and the report's reason counts still say it.
 */
export function hasTlsFinding(f: FlowRecord): boolean {
  if (f.tls === undefined) return false;
  // A handshake read only in part may hide findings: say so wherever it is listed.
  if (f.tls.partial !== undefined && f.reasons.some((r) => r.code.startsWith("tls_"))) return true;
  return f.reasons.some(
    (r) =>
      r.code.startsWith("tls_") && !(r.code === "tls_deprecated_version" && r.details.version === "TLS 1.0"),
  );
}

/** Flows with a TLS finding, in report order, with the lines describing each. */
export function tlsFindings(
  report: Report,
  limit = Number.POSITIVE_INFINITY,
): { flow: FlowRecord; lines: string[] }[] {
  const out: { flow: FlowRecord; lines: string[] }[] = [];
  for (const f of report.flows) {
    if (out.length >= limit) break;
    if (!hasTlsFinding(f)) continue;
    out.push({ flow: f, lines: tlsLines(f) });
  }
  return out;
}

const PARTIAL: Record<"budget" | "cap" | "snaplen", string> = {
  budget: "the reassembly budget ran out",
  cap: "past the first bytes read, --max-reassembly",
  snaplen: "the capture's snapshot length cut a packet",
};

function tlsLines(f: FlowRecord): string[] {
  const t = f.tls!;
  const lines: string[] = [];
  // The findings first, so a flow listed nowhere else (a known flow that only warns) shows them.
  for (const r of f.reasons) if (r.code.startsWith("tls_")) lines.push(`${r.code}: ${reasonBrief(r)}`);
  const asked = t.sni === null ? "no SNI" : `SNI ${t.sni}`;
  const chose = t.version === null ? "no ServerHello" : `${t.version}, cipher suite ${t.cipher ?? "-"}`;
  const how = t.complete
    ? "handshake completed"
    : t.partial === undefined
      ? "handshake not completed"
      : `handshake not read to its end (${PARTIAL[t.partial]})`;
  lines.push(`${asked}; ${chose}; ${how}`);
  if (t.certificateRequested)
    lines.push(
      `client certificate asked for; the client sent ${t.clientCertificates === null ? "none" : `${t.clientCertificates}`}`,
    );
  for (const a of t.alerts)
    lines.push(`alert from the ${a.from}: ${a.level}${a.alert === null ? "" : ` ${a.alert}`}`);
  const c = t.certificate;
  if (c !== undefined) {
    lines.push(`certificate ${c.subject}${c.dnsNames.length > 0 ? `, names ${c.dnsNames.join(", ")}` : ""}`);
    lines.push(
      `issued by ${c.issuer}${c.selfSigned ? " (self-signed)" : ""}; valid ${c.notBefore} to ${c.notAfter}; chain of ${c.chainLength}`,
    );
    // Without colons, as Windows' certificate tools show a thumbprint: one word that fits a line.
    lines.push(`SHA-256 ${c.sha256.replaceAll(":", "")}`);
  } else if (t.version === "TLS 1.3") {
    lines.push("certificate not visible: TLS 1.3 encrypts it");
  }
  return lines;
}
