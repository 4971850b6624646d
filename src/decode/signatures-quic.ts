/**
 * Recognizers for the encrypted UDP transports a customer's capture is full
 * of: QUIC (RFC 9000 §17.2, RFC 9369 long headers) and Google QUIC public
 * headers, and DTLS records (RFC 6347 §4.1, RFC 9147 §4). Yes/no tests of the bytes
 * `[off, end)`: no allocation, no throwing, no reading outside the range.
 */
import { u16, u32 } from "./bytes.js";

const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
const u24 = (buf: Uint8Array, at: number) => (buf[at]! << 16) | u16(buf, at + 1);

// --- QUIC -----------------------------------------------------------------------

/** Google QUIC's version tags "Q0dd" and "T0dd" (ASCII), at `at`; the caller checks 4 bytes are there. */
function isGoogleQuicVersion(buf: Uint8Array, at: number): boolean {
  const c = buf[at]!;
  return (c === 0x51 || c === 0x54) && buf[at + 1] === 0x30 && isDigit(buf[at + 2]) && isDigit(buf[at + 3]);
}

/**
 * Connection ids in one byte, 4 bits each, a length of n + 3 (0: none), as
 * drafts up to 21 and Google QUIC up to Q048/T048 have it; later ones give
 * each its own length byte (RFC 8999 §5.1).
 */
function hasPackedCidLengths(buf: Uint8Array, at: number, version: number): boolean {
  if (version >>> 8 === 0xff0000) return (version & 0xff) <= 21;
  return isGoogleQuicVersion(buf, at) && (buf[at + 2]! - 0x30) * 10 + buf[at + 3]! - 0x30 <= 48;
}

/** A QUIC long header (RFC 9000 §17.2, RFC 9369 §3.1, RFC 8999 §5.1), UDP. */
export function isQuicLongHeader(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 7 || buf[off]! < 0xc0) return false;
  const version = u32(buf, off + 1);
  const negotiation = version === 0;
  const known =
    version === 1 ||
    version === 0x6b3343cf ||
    (version >>> 8 === 0xff0000 && (version & 0xff) !== 0) ||
    isGoogleQuicVersion(buf, off + 1);
  if (!negotiation && !known) return false;
  let p: number;
  if (!negotiation && hasPackedCidLengths(buf, off + 1, version)) {
    const cil = buf[off + 5]!;
    const d = cil >> 4 === 0 ? 0 : (cil >> 4) + 3;
    const s = (cil & 15) === 0 ? 0 : (cil & 15) + 3;
    p = off + 6 + d + s;
  } else {
    const dcid = buf[off + 5]!;
    if (dcid > 20 || off + 6 + dcid >= end) return false;
    const scid = buf[off + 6 + dcid]!;
    if (scid > 20) return false;
    p = off + 7 + dcid + scid;
  }
  // Version Negotiation lists 4-byte versions; any other packet has a packet number and more.
  if (negotiation) return end - p >= 4 && (end - p) % 4 === 0;
  return p < end;
}

const PACKET_NUMBER_LENGTHS = [1, 2, 4, 6];

/**
 * Google QUIC's public header (Q043 and before): flags with the version bit
 * (0x01), an 8-byte connection id (0x08), no reset bit (0x02) nor the unused
 * 0x80; the version tag; then a packet number of 1, 2, 4 or 6 bytes.
 */
export function isGoogleQuicPublicHeader(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 14) return false;
  const flags = buf[off]!;
  if ((flags & 0x8b) !== 0x09 || !isGoogleQuicVersion(buf, off + 9)) return false;
  const pn = PACKET_NUMBER_LENGTHS[(flags >> 4) & 3]!;
  return off + 13 + pn <= end;
}

/**
 * Google QUIC's public header once the version is agreed (Q043 and before,
 * the Chromium "QUIC wire layout" document): no version (0x01) nor reset
 * (0x02) bit, neither of the top bits (0x40 multipath, 0x80 unused), and a
 * connection id: the 0x0c bits 0x0c or 0x08 (8 bytes in Q034 and later; 8 or
 * 4 before), and a packet number of 1 or 2 bytes (the 0x30 bits 0x00 or 0x10,
 * which is what Chrome sends; 4 and 6 bytes were allowed but would let
 * OpenVPN's opcodes 0x28 and 0x38 through). Then the 12-byte message hash or
 * a tag, so at least 18 bytes. A server's packets may leave the id out; those
 * stay unidentified (a lone 0x00 byte says too little). Only port 443 makes it one.
 */
export function isGoogleQuicDataHeader(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 18) return false;
  const flags = buf[off]!;
  return (flags & 0xe3) === 0 && (flags & 0x08) !== 0;
}

// --- DTLS -----------------------------------------------------------------------

/**
 * A DTLS record (RFC 6347 §4.1, RFC 9147 §4): type 20–24 or 26 (ACK), version
 * 1.0, 1.2 or 1.3, epoch, sequence number, a length that fits; a plaintext
 * (epoch 0) handshake's header (RFC 6347 §4.2.2) must hold its fragment.
 */
export function isDtlsRecord(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 14) return false;
  const type = buf[off]!;
  if (type < 20 || type > 26 || type === 25 || buf[off + 1] !== 0xfe) return false;
  const minor = buf[off + 2]!;
  if (minor !== 0xff && minor !== 0xfd && minor !== 0xfc) return false;
  const len = u16(buf, off + 11);
  if (len === 0 || len > 16384 + 2048 || off + 13 + len > end) return false;
  if (type === 22 && u16(buf, off + 3) === 0) {
    const h = off + 13;
    if (len < 12 || buf[h]! > 24) return false;
    const fragLen = u24(buf, h + 9);
    return u24(buf, h + 6) + fragLen <= u24(buf, h + 1) && 12 + fragLen <= len;
  }
  return true;
}
