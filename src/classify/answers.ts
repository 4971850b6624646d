/**
 * What servers answered, as evidence on a flow: plain SIP's final responses
 * (flow/sip-outcome.ts) give `sip_error` and the information `sip_auth`; a
 * KDC's KRB-ERROR (decode/kerberos.ts) gives the information `kerberos_error`.
 */
import type { SipOutcome, SipResponseCount } from "../flow/sip-outcome.js";
import { type Reason, reason } from "./reasons.js";

/** Final responses that fail a request outright (issue 17): refused, not found, timed out, unavailable, not acceptable, server errors. */
const SIP_FAILURES: ReadonlySet<number> = new Set([403, 404, 408, 480, 488, 500, 503, 504]);
/** The requests whose failure blocks a user: sign-in, calls, presence and OCS's SERVICE. */
const SIP_WATCHED = ["REGISTER", "INVITE", "SUBSCRIBE", "SERVICE"] as const;

/**
 * An INVITE's final answers after it rang (180 in the same call: Call-ID and CSeq, counted by
 * flow/sip-outcome.ts): nobody answered (408, 480), the callee's choice or absence, not the
 * network's (RFC 3261 §21.4.9, §21.4.18).
 */
const SIP_NO_ANSWER: ReadonlySet<number> = new Set([408, 480]);

/** Challenges without a success that mean the credentials failed: OCS's NTLM and Kerberos take at most two. */
const SIP_CHALLENGES_FAILED = 3;

/**
 * SIP's own evidence on a flow, from the server's answers to the client's
 * requests (a client declining the server's INVITE, 480 or 486, is a user's
 * choice, not the network's; so is an INVITE that rang, then got 408 or 480):
 * `sip_error` when a watched request got a failing final response in a call (Call-ID) that no
 * success answered, or 3 or more challenges (401/407) and never a success; `sip_auth` (information) when it was challenged and then
 * succeeded. Null when neither.
 */
export function sipEvidence(o: SipOutcome): { error: Reason | null; info: Reason[] } | null {
  let error: Reason | null = null;
  const info: Reason[] = [];
  for (const method of SIP_WATCHED) {
    // Saved reports before `by` hold only the server's answers in their verdicts' terms.
    const mine = o.responses.filter((r) => r.method === method && r.by !== "client");
    if (mine.length === 0) continue;
    const success = mine.some((r) => r.code >= 200 && r.code < 300);
    // A failure counts when its own call got no 2xx for the method (another call's success on the
    // same connection does not undo it); with no per-call count, when the flow got none.
    const unanswered = (r: SipResponseCount) => {
      const n = o.unrecovered?.[o.responses.indexOf(r)];
      return n === undefined ? !success : n > 0;
    };
    // 408 and 480 answers to INVITEs are nobody answering when every one of them followed a 180
    // in its own call; else they are failures.
    const noAnswer =
      method === "INVITE" &&
      mine.reduce((n, r) => n + (SIP_NO_ANSWER.has(r.code) ? r.count : 0), 0) <= o.noAnswer;
    const failure = mine
      .filter(
        (r) =>
          (SIP_FAILURES.has(r.code) && !(noAnswer && SIP_NO_ANSWER.has(r.code)) && unanswered(r)) ||
          ((r.code === 401 || r.code === 407) && r.count >= SIP_CHALLENGES_FAILED && !success),
      )
      .sort((a, b) => b.count - a.count)[0];
    if (failure !== undefined && error === null) {
      const successes = mine.reduce((n, r) => n + (r.code >= 200 && r.code < 300 ? r.count : 0), 0);
      error = reason("sip_error", {
        method,
        code: failure.code,
        responses: failure.count,
        diagnostics: o.diagnostics[o.responses.indexOf(failure)] ?? null,
        ...(successes > 0 ? { successes } : {}),
      });
    }
    const challenge = mine.find((r) => r.code === 401 || r.code === 407);
    if (challenge !== undefined && success) info.push(reason("sip_auth", { method, code: challenge.code }));
  }
  return error === null && info.length === 0 ? null : { error, info };
}

/** KRB-ERROR codes' names (RFC 4120 §7.5.9; 6 to 41 are the ones a sign-in meets). */
const KRB_ERROR_NAMES: Readonly<Record<number, string>> = {
  6: "KDC_ERR_C_PRINCIPAL_UNKNOWN",
  7: "KDC_ERR_S_PRINCIPAL_UNKNOWN",
  12: "KDC_ERR_POLICY",
  13: "KDC_ERR_BADOPTION",
  14: "KDC_ERR_ETYPE_NOSUPP",
  18: "KDC_ERR_CLIENT_REVOKED",
  23: "KDC_ERR_KEY_EXPIRED",
  24: "KDC_ERR_PREAUTH_FAILED",
  31: "KRB_AP_ERR_BAD_INTEGRITY",
  32: "KRB_AP_ERR_TKT_EXPIRED",
  37: "KRB_AP_ERR_SKEW",
  41: "KRB_AP_ERR_MODIFIED",
  68: "KDC_ERR_WRONG_REALM",
};

/**
 * A KDC's error on a Kerberos flow, other than pre-authentication required and "response too big"
 * (the protocol at work, not kept by the flow table): information, whatever the verdict. OCS signs
 * users in with Kerberos where it can and falls back to NTLM, so the error says why it could not.
 */
export function kerberosEvidence(error: { code: number; count: number } | null): Reason | null {
  if (error === null) return null;
  return reason("kerberos_error", {
    code: error.code,
    name: KRB_ERROR_NAMES[error.code] ?? `error ${error.code}`,
    count: error.count,
  });
}
