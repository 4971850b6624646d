/**
 * Application-protocol signatures over the first bytes of a payload. Each is
 * a pure function of the bytes `[off, end)`: no allocation, no throwing, no
 * reading outside the range. `identify` tries the strong signatures (which
 * name their protocol at any port) first, then those that also need a
 * well-known port (either side's), then the weak ones. The rules, in this
 * project's words; those marked * live in signatures-other.ts or signatures-quic.ts, SIP, HTTP and the Windows services in signatures-ocs.ts:
 *
 * - SIP (RFC 3261 §7): a request line "METHOD sip:…" / "METHOD sips:…", or a
 *   status line "SIP/2.0 NNN ".
 * - TLS (RFC 8446 §5.1): a record of type 20–23, legacy version 3.x, and a
 *   length up to 2^14 + 2048; for a handshake record, the handshake type,
 *   and in a ClientHello the server_name extension (RFC 6066 §3). Over TCP,
 *   also a whole ClientHello in SSL 2.0's record format (RFC 5246 App. E.2).
 * - STUN (RFC 5389 §6): the first two bits zero, a length that is a multiple
 *   of 4 and fits, and the magic cookie 0x2112A442. MS-TURN (classic, RFC
 *   3489-style header): no cookie, the first attribute MAGIC-COOKIE (0x000F,
 *   length 4, value 0x72C64BC6). Over TCP either may follow a 2-byte length.
 * - Classic STUN (RFC 3489 §11.1), UDP, after MS-TURN: no cookie, a Binding
 *   or Shared Secret request, response or error response, a length that is
 *   a multiple of 4 and fills the datagram exactly, and a first attribute
 *   (RFC 3489 §11.2: 0x0001–0x000B, or an optional one above 0x7FFF) that
 *   fits; only requests may have no attribute.
 * - TURN ChannelData (RFC 8656 §12.4): a channel number 0x4000–0x4FFF; over
 *   UDP a length filling the datagram but for up to 3 bytes of padding; over
 *   TCP, frames padded to 4 bytes (§12.5): the first one whole, and the rest
 *   of the segment whole frames too, but for a last one cut short whose
 *   header, as far as it goes, still names a channel. Microsoft's
 *   multiplexed framing: 0xFF10 and a length.
 * - RTP (RFC 3550 §5.1): version 2, a payload type outside the RTCP range,
 *   a header that fits its CSRC count. One packet is only a candidate: the
 *   caller confirms RTP over several packets of one SSRC.
 * - RTCP (RFC 3550 §6.4): version 2, packet type 200–207, and the length
 *   fields of the compound packet adding up to the payload exactly.
 * - HTTP (RFC 9112 §3, §4): a request line "METHOD /… HTTP/1.x" or a status
 *   line "HTTP/1.x NNN".
 * - DCE/RPC connection-oriented PDU (C706 §12.6): version 5, minor 0 or 1, a
 *   PDU type 0–20, a data representation of ASCII, and a fragment length
 *   that fits.
 * - Kerberos over TCP (RFC 4120 §7.2.2): a 4-byte length with the top bit
 *   clear, then an ASN.1 application tag of a Kerberos message (10–15, 20–22,
 *   30); over UDP the tag comes first.
 * - LDAP (RFC 4511 §4.1.1): a BER SEQUENCE whose length fits, a messageID
 *   INTEGER of 1–4 bytes, then an application-class protocolOp tag.
 * - QUIC* (RFC 9000 §17.2, RFC 9369 §3.1 for v2, RFC 8999 §5.1), UDP: a long
 *   header (first bits 11) of version 1, 2 (0x6B3343CF), a draft
 *   (0xFF0000xx) or Google's "Q0dd"/"T0dd", connection ids of at most 20
 *   bytes that fit and something after them; or version 0, Version
 *   Negotiation, whose remainder is a list of 4-byte versions. Drafts up to
 *   21 and Google's up to 48 pack both id lengths into one byte. Google
 *   QUIC's public header: flags with the version and 8-byte connection id
 *   bits, without reset or the unused 0x80, the id, "Q0dd", a packet number.
 *   A short header (first bits 01) only at port 443 and from 21 bytes on;
 *   likewise Google QUIC's header after the handshake (no version bit, a
 *   connection id, the top bits 00), from 18 bytes on.
 * - DTLS* (RFC 6347 §4.1, RFC 9147 §4), UDP: content type 20–24 or 26 (the
 *   1.3 ACK), version 0xFEFF, 0xFEFD or 0xFEFC, epoch, 6-byte sequence number,
 *   a length that fits; a plaintext (epoch 0) handshake record has a
 *   handshake type up to 24 and a fragment header (RFC 6347 §4.2.2) that
 *   fits both the message and the record.
 * - DNS* (RFC 1035 §4.1.1) at port 53, mDNS (RFC 6762 §18) at 5353 (UDP),
 *   LLMNR (RFC 4795 §2.1.1) at 5355: a 12-byte header with opcode 0–2 or
 *   4–6 (mDNS and LLMNR: 0), Z clear, a query's RCODE 0 (mDNS: any
 *   message's), at most 256 records, a query with a question (LLMNR: any
 *   message with exactly one); the first question's name (labels up to 63
 *   bytes or a pointer back, at most 255 bytes, §4.1.4) then a QTYPE and a
 *   known QCLASS, or with no question the first record's name and fixed
 *   fields, inside the message. DSO (opcode 6, RFC 8490 §5.4): no records.
 *   Over TCP a 2-byte length comes first (RFC 1035 §4.2.2).
 * - NTP* (RFC 5905 §7.3) at UDP port 123: version 1–4, mode 1–7; modes 1–5
 *   at least 48 bytes with a stratum up to 16; mode 6 control messages (RFC
 *   9327 §2) a 12-byte header, an opcode and a data count that fits; mode 7
 *   (ntpd's private mode) an 8-byte header with a known implementation and
 *   items that fit.
 * - SSDP* (UPnP Device Architecture 1.1 §1) at UDP port 1900, before HTTP:
 *   "M-SEARCH * HTTP/1.1" or "NOTIFY * HTTP/1.1" ending its line, or a
 *   "HTTP/1.1 200 " response.
 * - NetBIOS name service* (RFC 1002 §4.2) at UDP port 137: a DNS-like header
 *   with a NetBIOS opcode, each count 0 or 1, then a name whose first label
 *   is 32 letters 'A'–'P' (§4.1), type NB or NBSTAT, class IN. Datagram
 *   service (§4.4) at UDP port 138: type 0x10–0x16, a source port, and for
 *   data a length that fits and an encoded source name.
 * - DHCP/BOOTP* (RFC 2131 §2, RFC 951 §3) at UDP port 67 or 68: op 1 or 2,
 *   htype 1, hlen 6, 240 bytes or more, the magic cookie 0x63825363 at 236.
 * - SNMP* (RFC 1157 §4, RFC 3416 §3, RFC 3412 §6) at UDP port 161 or 162: a
 *   SEQUENCE filling the datagram, version INTEGER 0, 1 or 3, then the
 *   community OCTET STRING or the v3 header SEQUENCE.
 * - Syslog* (RFC 5424 §6.2.1, RFC 3164 §4.1.1) at UDP port 514: "<", a PRI
 *   of 1–3 digits up to 191 with no leading zero, ">", something after.
 * - SMB* over TCP (MS-SMB2 §2.1, RFC 1002 §4.3.1), any port: a session
 *   message (type 0, a 24-bit length) holding 0xFF/0xFE/0xFD/0xFC "SMB". At
 *   TCP port 139, also a NetBIOS session request (0x81, two encoded names)
 *   or positive response (0x82, empty), exactly (RFC 1002 §4.3.2–4.3.3).
 * - RDP* (MS-RDPBCGR §2.2.1.1–2.2.1.2) over TCP: a TPKT (RFC 1006 §6:
 *   version 3, reserved 0, the segment's length, at least 11) with an X.224
 *   Connection Request (0xE0, DST-REF 0) or Confirm (0xD0), class 0, and a
 *   length indicator that fits; at any port when a request carries "Cookie:
 *   mstshash=" or RDP_NEG_REQ, or a confirm ends with RDP_NEG_RSP or
 *   RDP_NEG_FAILURE (type 1, 2 or 3, length 8), otherwise at port 3389.
 * - RFB* (RFC 6143 §7.1.1) over TCP: exactly the 12 bytes "RFB xxx.yyy\n".
 * - SSH* (RFC 4253 §4.2, §5.1) over TCP: "SSH-2.0-", "SSH-1.99-" or
 *   "SSH-1.5-" and a softwareversion character.
 * - MySQL* server greeting (Protocol::HandshakeV10, and V9) over TCP: a
 *   3-byte little-endian length equal to the rest of the segment (or more,
 *   when cut) and at most 1 KiB, sequence id 0, protocol 10 or 9, a
 *   NUL-terminated printable version of 1–64 characters.
 * - TDS* (MS-TDS §2.2.3.1) over TCP: packet type PRELOGIN, LOGIN7, tabular
 *   result or SQL batch, status bits EOM and RESETCONNECTION only, window 0,
 *   a length of 8–32768 equal to the segment or landing on another header;
 *   at port 1433, or anywhere when a PRELOGIN option table (§2.2.6.5)
 *   parses.
 */

import { App } from "./apps.js";
import { u16, u32 } from "./bytes.js";
import { isRtcp, isRtpCandidate, stunKind } from "./signatures-media.js";
import {
  isDceRpc,
  isHttpRequest,
  isHttpResponse,
  isKerberosMessage,
  isKerberosTcp,
  isLdap,
  isSipRequest,
  isSipResponse,
} from "./signatures-ocs.js";
import {
  DNS_LLMNR,
  DNS_MULTICAST,
  DNS_UNICAST,
  isDhcp,
  isDnsMessage,
  isDtlsRecord,
  isGoogleQuicDataHeader,
  isGoogleQuicPublicHeader,
  isMysqlGreeting,
  isNetbiosDgm,
  isNetbiosNs,
  isNetbiosSession,
  isNtp,
  isQuicLongHeader,
  isRfbVersion,
  isSmbMessage,
  isSnmp,
  isSsdp,
  isSshBanner,
  isSyslog,
  rdpKind,
  tdsKind,
} from "./signatures-other.js";
import { findServerName, serverNameText, ssl2ClientHelloLength } from "./tls-handshake.js";

/**
 * What `identify` found besides the protocol, written into an object the
 * caller owns and reuses (the flow table keeps one), so identifying
 * allocates nothing.
 */
export class PayloadId {
  /** STUN: 1 binding request (also classic), 2 other STUN, 3 MS-TURN, 4 ChannelData, 5 MS multiplex, 6 other classic STUN. SIP/HTTP: 1 request, 2 response. TLS: handshake type or -1. */
  detail = 0;
  /** Where a TLS ClientHello's server name starts in the buffer, or -1. */
  sniOffset = -1;
  sniLength = 0;
  rtpSsrc = 0;
  rtpSeq = 0;
}

const onPort = (srcPort: number, dstPort: number, port: number) => srcPort === port || dstPort === port;

/**
 * Identifies the payload `[off, end)` of a TCP or UDP packet sent from
 * `srcPort` to `dstPort`: strong signatures first, then those that need a
 * well-known port, then STUN's family, then the weak ones.
 */
export function identify(
  buf: Uint8Array,
  off: number,
  end: number,
  tcp: boolean,
  srcPort: number,
  dstPort: number,
  out: PayloadId,
): App {
  out.detail = 0;
  out.sniOffset = -1;
  out.sniLength = 0;
  out.rtpSsrc = 0;
  out.rtpSeq = 0;
  if (end - off < 1) return App.None;
  const b0 = buf[off]!;
  if (b0 >= 20 && b0 <= 23) {
    if (isTlsRecord(buf, off, end, out)) return App.Tls;
    out.detail = 0;
  }
  if (!tcp) {
    if (b0 >= 20 && b0 <= 26 && isDtlsRecord(buf, off, end)) return App.Dtls;
    if (isQuicLongHeader(buf, off, end) || isGoogleQuicPublicHeader(buf, off, end)) return App.Quic;
  }
  if (b0 >= 0x41 && b0 <= 0x5a) {
    if (!tcp && onPort(srcPort, dstPort, 1900) && isSsdp(buf, off, end)) return App.Ssdp;
    if (tcp && isSshBanner(buf, off, end)) return App.Ssh;
    if (tcp && isRfbVersion(buf, off, end)) return App.Rfb;
    if (isSipRequest(buf, off, end)) {
      out.detail = 1;
      return App.Sip;
    }
    if (isSipResponse(buf, off, end)) {
      out.detail = 2;
      return App.Sip;
    }
    if (isHttpRequest(buf, off, end)) {
      out.detail = 1;
      return App.Http;
    }
    if (isHttpResponse(buf, off, end)) {
      out.detail = 2;
      return App.Http;
    }
  }
  if (tcp) {
    if (isSmbMessage(buf, off, end)) return App.Smb;
    if (onPort(srcPort, dstPort, 139) && isNetbiosSession(buf, off, end)) return App.Smb;
    const rdp = rdpKind(buf, off, end);
    if (rdp === 2 || (rdp === 1 && onPort(srcPort, dstPort, 3389))) return App.Rdp;
    if (isMysqlGreeting(buf, off, end)) return App.Mysql;
    const tds = tdsKind(buf, off, end);
    if (tds === 2 || (tds === 1 && onPort(srcPort, dstPort, 1433))) return App.Tds;
  }
  const byPort = identifyByPort(buf, off, end, tcp, srcPort, dstPort);
  if (byPort !== App.Unidentified) return byPort;
  const stun = stunKind(buf, off, end, tcp);
  if (stun !== 0) {
    out.detail = stun;
    return App.Stun;
  }
  if (tcp && isKerberosTcp(buf, off, end)) return App.Kerberos;
  if (!tcp && isKerberosMessage(buf, off, end)) return App.Kerberos;
  if (b0 === 0x30 && isLdap(buf, off, end)) return App.Ldap;
  if (b0 === 5 && isDceRpc(buf, off, end)) return App.DceRpc;
  if (tcp && b0 >= 0x80 && ssl2ClientHelloLength(buf, off, end) > 0) {
    out.detail = 1; // a ClientHello
    return App.Tls;
  }
  if (b0 >> 6 === 2) {
    if (isRtcp(buf, off, end)) return App.Rtcp;
    if (isRtpCandidate(buf, off, end)) {
      out.rtpSsrc = u32(buf, off + 8);
      out.rtpSeq = u16(buf, off + 2);
      return App.RtpCandidate;
    }
  }
  // A QUIC short header (RFC 9000 §17.3): first bits 01 and a connection id; only port 443 makes it one.
  if (!tcp && b0 >> 6 === 1 && end - off >= 21 && onPort(srcPort, dstPort, 443)) return App.Quic;
  if (!tcp && isGoogleQuicDataHeader(buf, off, end) && onPort(srcPort, dstPort, 443)) return App.Quic;
  return App.Unidentified;
}

/** The protocols that a well-known port (either side's) and their header name together. */
function identifyByPort(
  buf: Uint8Array,
  off: number,
  end: number,
  tcp: boolean,
  srcPort: number,
  dstPort: number,
): App {
  if (onPort(srcPort, dstPort, 53) && isDnsMessage(buf, off, end, tcp, DNS_UNICAST)) return App.Dns;
  if (onPort(srcPort, dstPort, 5355) && isDnsMessage(buf, off, end, tcp, DNS_LLMNR)) return App.Llmnr;
  if (tcp) return App.Unidentified;
  if (onPort(srcPort, dstPort, 5353) && isDnsMessage(buf, off, end, false, DNS_MULTICAST)) return App.Mdns;
  if (onPort(srcPort, dstPort, 123) && isNtp(buf, off, end)) return App.Ntp;
  if (onPort(srcPort, dstPort, 137) && isNetbiosNs(buf, off, end)) return App.NetbiosNs;
  if (onPort(srcPort, dstPort, 138) && isNetbiosDgm(buf, off, end)) return App.NetbiosDgm;
  if ((onPort(srcPort, dstPort, 67) || onPort(srcPort, dstPort, 68)) && isDhcp(buf, off, end))
    return App.Dhcp;
  if ((onPort(srcPort, dstPort, 161) || onPort(srcPort, dstPort, 162)) && isSnmp(buf, off, end))
    return App.Snmp;
  if (onPort(srcPort, dstPort, 514) && isSyslog(buf, off, end)) return App.Syslog;
  return App.Unidentified;
}

// --- TLS ------------------------------------------------------------------------

/** A TLS record header (RFC 8446 §5.1); with `out`, also the handshake type and where a ClientHello's server name is. */
export function isTlsRecord(buf: Uint8Array, off: number, end: number, out?: PayloadId): boolean {
  if (end - off < 5) return false;
  const type = buf[off]!;
  if (type < 20 || type > 23 || buf[off + 1] !== 3 || buf[off + 2]! > 4) return false;
  const len = u16(buf, off + 3);
  if (len === 0 || len > 16384 + 2048) return false;
  if (type === 22 && end - off >= 6) {
    const hs = buf[off + 5]!;
    if (hs > 24) return false;
    if (out === undefined) return true;
    out.detail = hs;
    if (hs === 1) findSni(buf, off + 5, Math.min(end, off + 5 + len), out);
  } else if (out !== undefined) {
    out.detail = -1;
  }
  return true;
}

/** Finds server_name in a ClientHello starting at `at` (the handshake header); records where the name is. */
function findSni(buf: Uint8Array, at: number, end: number, out: PayloadId): void {
  findServerName(buf, at + 4, end, out);
}

/** The server name a ClientHello asks for, or null. Allocates: call once per flow. */
export function tlsServerName(buf: Uint8Array, off: number, end: number): string | null {
  const id = new PayloadId();
  if (!isTlsRecord(buf, off, end, id) || id.sniOffset < 0) return null;
  return serverNameText(buf, id.sniOffset, id.sniLength, false);
}
