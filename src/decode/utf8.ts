/**
 * Where to cut UTF-8 text that is kept only in part. SIP header values
 * (RFC 3261 §25.1, TEXT-UTF8) and STUN's REALM (RFC 5389 §15.7) are UTF-8; a
 * report keeps a bounded prefix of them, and a cut inside a multi-byte
 * character would show as U+FFFD where the capture holds a whole character.
 */

/**
 * Where to end a prefix of text that goes on past `end`: before the last lead
 * byte in [start, end) when its sequence would reach past `end`, else `end`
 * (stray continuation bytes, and bytes never UTF-8, stay, shown as U+FFFD).
 * The bytes past `end` are not read, so a lead byte they would not have
 * continued is left out too. Reads at most four bytes; never allocates.
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
