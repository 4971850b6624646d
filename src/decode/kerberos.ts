/**
 * A Kerberos KRB-ERROR's error code (RFC 4120 §5.9.1): the DER of
 * [APPLICATION 30] SEQUENCE { pvno [0], msg-type [1], ctime [2] OPTIONAL,
 * cusec [3] OPTIONAL, stime [4], susec [5], error-code [6] Int32, … }, read in
 * place at the start of a UDP payload, or after TCP's 4-byte record length
 * (§7.2.2). Never throws, never allocates.
 */

/** KDC_ERR_PREAUTH_REQUIRED: every first AS-REQ without pre-authentication gets it (RFC 4120 §3.1.1). */
export const KDC_ERR_PREAUTH_REQUIRED = 25;
/** KRB_ERR_RESPONSE_TOO_BIG: the KDC asks the client to retry over TCP (§7.2.1). */
export const KRB_ERR_RESPONSE_TOO_BIG = 52;

/** A DER length at `at` (short form, or long form of 1-3 bytes): [length, where its value starts], or null. */
function derLength(b: Uint8Array, at: number, end: number): [number, number] | null {
  if (at >= end) return null;
  const first = b[at]!;
  if (first < 0x80) return [first, at + 1];
  const n = first & 0x7f;
  if (n === 0 || n > 3 || at + 1 + n > end) return null;
  let len = 0;
  for (let i = 1; i <= n; i++) len = len * 256 + b[at + i]!;
  return [len, at + 1 + n];
}

/** The error code of the KRB-ERROR at `b[start, end)`, or -1 when it is not one (or is cut before its code). */
export function krbErrorCode(b: Uint8Array, start: number, end: number): number {
  if (start + 2 > end || b[start] !== 0x7e) return -1;
  const outer = derLength(b, start + 1, end);
  if (outer === null) return -1;
  let at = outer[1];
  if (at >= end || b[at] !== 0x30) return -1;
  const seq = derLength(b, at + 1, end);
  if (seq === null) return -1;
  at = seq[1];
  const stop = Math.min(end, at + seq[0]);
  // Context-tagged fields in order; error-code is [6] (0xa6), holding an INTEGER.
  while (at + 2 <= stop) {
    const tag = b[at]!;
    const field = derLength(b, at + 1, stop);
    if (field === null || field[1] + field[0] > stop) return -1;
    const [len, value] = field;
    if (tag === 0xa6) {
      if (len < 3 || b[value] !== 0x02) return -1;
      const int = derLength(b, value + 1, value + len);
      if (int === null || int[0] < 1 || int[0] > 4 || int[1] + int[0] > value + len) return -1;
      if (b[int[1]]! & 0x80) return -1; // negative: no error code RFC 4120 §7.5.9 lists
      let code = 0;
      for (let i = 0; i < int[0]; i++) code = code * 256 + b[int[1] + i]!;
      return code;
    }
    if (tag < 0xa0 || tag > 0xa5) return -1;
    at = value + len;
  }
  return -1;
}
