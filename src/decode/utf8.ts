/**
 * Where to cut UTF-8 text that is kept only in part. SIP header values
 * (RFC 3261 §25.1, TEXT-UTF8) and STUN's REALM (RFC 5389 §15.7) are UTF-8; a
 * report keeps a bounded prefix of them, and a cut inside a multi-byte
 * character would show as U+FFFD where the capture holds a whole character.
 */

/**
 * The largest end not past `end` that does not split a character whose first
 * byte is in [start, end): `end` itself when the range ends on a character
 * boundary or in bytes that are not UTF-8 (those are shown as U+FFFD, as they
 * are in the capture). Reads at most four bytes; never allocates.
 */
export function utf8Cut(buf: Uint8Array, start: number, end: number): number {
  // The last byte that is not a continuation byte (10xxxxxx), among the last four.
  let lead = end - 1;
  while (lead >= start && lead > end - 4 && (buf[lead]! & 0xc0) === 0x80) lead--;
  if (lead < start) return end;
  const b = buf[lead]!;
  const size = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xc2 && b <= 0xdf ? 2 : 1;
  return lead + size > end ? lead : end;
}
