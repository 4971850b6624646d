/**
 * Protocol status codes' reason phrases that reason texts quote: SIP's
 * (RFC 3261 §21 and Microsoft's) and TURN's (RFC 8656 §6.2, RFC 8489 §14.8).
 */

/** TURN's error reason phrases (RFC 8656 §6.2, RFC 8489 §14.8). */
export const TURN_PHRASES: Readonly<Record<number, string>> = {
  401: "Unauthorized",
  403: "Forbidden",
  437: "Allocation Mismatch",
  441: "Wrong Credentials",
  442: "Unsupported Transport Protocol",
  486: "Allocation Quota Reached",
  508: "Insufficient Capacity",
};

/** RFC 3261 §21's reason phrases for the codes a SIP failure names. */
export const SIP_REASON_PHRASES: Readonly<Record<number, string>> = {
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  480: "Temporarily Unavailable",
  488: "Not Acceptable Here",
  500: "Server Internal Error",
  503: "Service Unavailable",
  504: "Server Time-out",
};
