/**
 * TURN's own evidence on a flow (issue 17, item 4), from the Allocate
 * answers the flow carried (flow/stun-outcome.ts): `turn_allocate_failed`
 * when no Allocate succeeded and the server refused with 403 Forbidden,
 * 437 Allocation Mismatch, 441 Wrong Credentials, 442 Unsupported Transport
 * Protocol, 486 Allocation Quota Reached or 508 Insufficient Capacity
 * (RFC 8656 §6.2, RFC 8489 §14.8), or challenged with 401 more than once
 * (the credentials offered after the first challenge were refused too), or
 * challenged with 401 and then refused with another 4xx-6xx error (438 Stale
 * Nonce and no retry that succeeded; 300 Try Alternate is a redirection, not a
 * refusal). A single 401 followed by a success is how every allocation starts.
 */
import type { StunOutcome } from "../flow/stun-outcome.js";
import { type Reason, reason } from "./reasons.js";

const FAILURES = [403, 437, 441, 442, 486, 508];

export function turnEvidence(o: StunOutcome): Reason | null {
  if (o.allocateRequests === 0 || o.allocateSuccesses > 0) return null;
  const refused = o.allocateErrors.find((e) => FAILURES.includes(e.code));
  const challenged = o.allocateErrors.find((e) => e.code === 401 && e.count >= 2);
  const afterChallenge = o.allocateErrors.some((e) => e.code === 401)
    ? o.allocateErrors.find((e) => e.code >= 400 && e.code !== 401)
    : undefined;
  const failure = refused ?? challenged ?? afterChallenge;
  if (failure === undefined) return null;
  return reason("turn_allocate_failed", {
    code: failure.code,
    responses: failure.count,
    requests: o.allocateRequests,
    realm: o.realm,
    msVersion: o.msVersion,
  });
}
