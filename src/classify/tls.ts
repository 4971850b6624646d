/**
 * TLS's own evidence on a flow (issue 17, item 2), from what the handshake
 * said (flow/tls-outcome.ts):
 * - blocking: `tls_alert` (an alert in the clear: fatal, or any before the
 *   handshake completed; close_notify is not one), `tls_handshake_incomplete`
 *   (a ClientHello, then no ServerHello, or a reset from the server before
 *   the handshake completed, and no alert; inconclusive when the attempt started in the
 *   capture's last 3 s and was still open at its end), `tls_client_certificate_missing` (a CertificateRequest
 *   answered with an empty Certificate or none, and no completed handshake);
 * - information, whatever the verdict: the same missing certificate when
 *   the handshake completed anyway, and the server certificate's warnings
 *   at the flow's own time: `tls_certificate_expired`,
 *   `tls_certificate_not_yet_valid`, `tls_name_mismatch` (the SNI, when a
 *   host name, is not among its names, RFC 6125; else, with a topology that
 *   gives the server's role names, none of those is among them), `tls_self_signed`, and
 *   `tls_deprecated_version` (SSL 3.0, TLS 1.1, and TLS 1.0 unless OCS 2007 R2, whose
 *   default it is, is among the products: RFC 8996).
 */

import { isIP } from "node:net";
import { tlsAlertName, tlsVersionName } from "../decode/tls-handshake.js";
import { certificateCovers } from "../decode/x509.js";
import type { ConnState } from "../flow/tcp.js";
import { type TlsOutcome, tlsComplete } from "../flow/tls-outcome.js";
import { isoMicros } from "../format.js";
import type { ServerNames } from "./evidence.js";
import { type Reason, reason } from "./reasons.js";

/** Certificate names quoted in a finding at most (a certificate may carry hundreds). */
const MAX_NAMES_SHOWN = 10;

export function tlsEvidence(
  o: TlsOutcome,
  flowFirst: number,
  state: ConnState,
  /** The server sent payload bytes (TLS or not). */
  serverPayload: boolean,
  /** The capture holds packets from the server (else TCP's own evidence speaks: one-sided, unanswered). */
  serverSeen: boolean,
  nearEnd: boolean,
  /** With a topology: the names clients use for the server's role. */
  serverNames: ServerNames | null,
  /** TLS 1.0 is the products' default (OCS 2007 R2): not called deprecated. */
  tls10Expected: boolean,
  blocked: Reason[],
  inconclusive: Reason[],
  info: Reason[],
): void {
  const complete = tlsComplete(o);
  const alert = o.alerts.find((a) => a.level === 2 || (a.level === 1 && a.description !== 0 && !complete));
  if (alert !== undefined) {
    blocked.push(
      reason("tls_alert", {
        from: alert.fromClient ? "client" : "server",
        level: alert.level === 2 ? "fatal" : "warning",
        alert: tlsAlertName(alert.description),
        code: alert.description,
      }),
    );
  }
  // A client that itself ended the handshake with a fatal certificate alert about the server's
  // certificate (bad_certificate 42 … unknown_ca 48, RFC 5246 §7.2.2) never reached its
  // Certificate message: that is the alert's story.
  const clientAborted =
    o.clientCertificates === null &&
    o.alerts.some((a) => a.fromClient && a.level === 2 && a.description >= 42 && a.description <= 48);
  const reset = state === "RSTR" || state === "RSTRH";
  // The server reset before the client said anything after its flight (no Certificate, no
  // ChangeCipherSpec): the client never had its turn, so its certificate is not the story.
  const resetBeforeClientTurn =
    reset && o.clientCertificates === null && !o.clientChangeCipherSpec && o.clientAppData === 0;
  if (
    o.certificateRequested &&
    (o.clientCertificates === null || o.clientCertificates === 0) &&
    !clientAborted &&
    !resetBeforeClientTurn
  ) {
    // "nothing": no Certificate message before the client's ChangeCipherSpec or the end.
    const missing = reason("tls_client_certificate_missing", {
      answered: o.clientCertificates === 0 ? "empty" : "nothing",
      completed: complete,
    });
    (complete ? info : blocked).push(missing);
  }
  // The client used keys (its ChangeCipherSpec, encrypted records): a handshake happened that the
  // capture did not see whole (one-sided, or begun before it), which is no failure; unless the
  // capture saw it whole, the server's certificate flight included (a full handshake, TLS 1.2 or
  // older), and the server then reset without its own ChangeCipherSpec: it refused the client's
  // keys or certificate (RFC 5246 §7.3: the handshake ends with the server's Finished).
  const seenWhole =
    o.clientHello && o.serverHello && o.certificates.length > 0 && o.version !== null && o.version < 0x0304;
  const afterClientKeys = seenWhole && reset && o.clientChangeCipherSpec && !o.serverChangeCipherSpec;
  const clientHadKeys = (o.clientAppData > 0 || o.clientChangeCipherSpec) && !afterClientKeys;
  // The server's part: no ServerHello at all, or a reset after it (a client that closes is not the server's failure).
  if (
    !complete &&
    alert === undefined &&
    o.partial === null &&
    serverSeen &&
    !clientHadKeys &&
    o.clientNotTls !== true &&
    (!o.serverHello || reset)
  ) {
    const stage = afterClientKeys
      ? "after_client_keys"
      : o.serverHello
        ? "after_server_hello"
        : "no_server_hello";
    const r = reason("tls_handshake_incomplete", { stage, serverReset: reset, serverPayload });
    // Still open when the capture stopped (no FIN or reset either way): the rest may have come after.
    if (nearEnd && (state === "S0" || state === "S1" || state === "OTH")) inconclusive.push(r);
    else if (!(o.certificateRequested && blocked.some((b) => b.code === "tls_client_certificate_missing")))
      blocked.push(r);
  }
  // The client closed after the server's certificate, before its keys, with no alert: how a client
  // that distrusts the certificate often ends (Windows' SChannel sends no alert), and how a health
  // monitor ends its probe; information, so the report shows it without calling it blocked.
  const clientClosed = state === "RSTO" || state === "S2" || state === "SF";
  if (
    !complete &&
    alert === undefined &&
    o.serverHello &&
    o.certificates.length > 0 &&
    !o.clientChangeCipherSpec &&
    o.clientAppData === 0 &&
    o.clientCertificates === null &&
    clientClosed
  )
    info.push(reason("tls_client_closed", { how: state === "RSTO" ? "reset" : "fin" }));
  const leaf = o.certificates[0];
  if (leaf !== undefined) {
    const subject = leaf.subject;
    if (flowFirst > leaf.notAfterMicros) {
      info.push(
        reason("tls_certificate_expired", {
          subject,
          notAfter: isoMicros(leaf.notAfterMicros),
          at: isoMicros(flowFirst),
        }),
      );
    } else if (flowFirst < leaf.notBeforeMicros) {
      info.push(
        reason("tls_certificate_not_yet_valid", {
          subject,
          notBefore: isoMicros(leaf.notBeforeMicros),
          at: isoMicros(flowFirst),
        }),
      );
    }
    // An address is not a host name (RFC 6066 §3 forbids it in SNI; clients that send one, such as
    // Teams to its media relays, check the certificate against a name of their own).
    const certificateNames = () =>
      leaf.dnsNames.length > 0 ? leaf.dnsNames.slice(0, MAX_NAMES_SHOWN) : [leaf.cn ?? subject];
    const more = Math.max(0, leaf.dnsNames.length - MAX_NAMES_SHOWN);
    const sniMismatch = o.sni !== null && !isIP(o.sni) && !certificateCovers(leaf, o.sni);
    if (sniMismatch && o.sni !== null) {
      info.push(
        reason("tls_name_mismatch", {
          name: o.sni,
          certificateNames: certificateNames(),
          ...(more > 0 ? { moreNames: more } : {}),
        }),
      );
    } else if (serverNames !== null && !serverNames.names.some((n) => certificateCovers(leaf, n))) {
      // The role's names from the topology: the certificate must carry at least one (an Edge
      // answers to several names, each usually on its own certificate).
      info.push(
        reason("tls_name_mismatch", {
          name: serverNames.names.join(" | "),
          certificateNames: certificateNames(),
          ...(more > 0 ? { moreNames: more } : {}),
          role: serverNames.role,
          topologyLine: serverNames.line,
        }),
      );
    }
    if (leaf.selfSigned) info.push(reason("tls_self_signed", { subject }));
  }
  if (o.version !== null && o.version <= 0x0302 && !(o.version === 0x0301 && tls10Expected))
    info.push(reason("tls_deprecated_version", { version: tlsVersionName(o.version) }));
}
