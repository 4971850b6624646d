/**
 * What a flow's own application messages and the capture's metadata say,
 * beside its packets: plain SIP's requests and final responses
 * (sip-outcome.ts), the TLS handshake (tls-outcome.ts, over bounded
 * reassembly), STUN and TURN's answers (stun-outcome.ts), Kerberos's KRB-ERROR codes
 * (decode/kerberos.ts), and packets the capturing host reported dropping (drops.ts).
 * Each is kept only for flows that have one, and forgotten when the flow ends.
 * DNS lookups of sign-in names are kept capture-wide instead (dns-lookups.ts;
 * over TCP from the reassembled stream, dns-tcp.ts).
 */
import { App } from "../decode/apps.js";
import { IPPROTO_TCP, IPPROTO_UDP } from "../decode/constants.js";
import { DnsMessage, readDns } from "../decode/dns.js";
import { KDC_ERR_PREAUTH_REQUIRED, KRB_ERR_RESPONSE_TOO_BIG, krbErrorCode } from "../decode/kerberos.js";
import type { Packet } from "../decode/packet.js";
import { DnsLookups } from "./dns-lookups.js";
import { DnsTcpStreams } from "./dns-tcp.js";
import { Drops, type RowDrops } from "./drops.js";
import { IcmpAttachment } from "./icmp-attach.js";
import { isTurnPort } from "./payload-hooks.js";
import type { Reassembler } from "./reassembly.js";
import { type SipOutcome, SipOutcomes } from "./sip-outcome.js";
import { READ_RELAYED, type StunOutcome, StunOutcomes } from "./stun-outcome.js";
import { type TlsOutcome, TlsOutcomes } from "./tls-outcome.js";
import type { FrameStamp } from "./types.js";

/** What reads a TCP direction's reassembled start (tls-outcome.ts, dns-tcp.ts). */
interface StreamReader {
  note(
    row: number,
    side: 0 | 1,
    base: number,
    seq: number,
    buf: Uint8Array,
    off: number,
    len: number,
    fileOffset: number,
    missing: number,
  ): void;
}

export abstract class AppOutcomes extends IcmpAttachment {
  /** What plain SIP said on SIP flows (issue 17): their requests and final responses. */
  protected readonly sip = new SipOutcomes();

  /** Packets the capturing host reported dropping, per flow (pktmon, eBPF verdicts). */
  protected readonly drops = new Drops();

  /** What STUN and TURN said: Binding and Allocate answers, relay use. */
  protected readonly stun = new StunOutcomes();

  /** Each Kerberos flow's first telling KRB-ERROR code and how many such errors it carried (RFC 4120 §5.9.1). */
  protected readonly krbErrors = new Map<number, { code: number; count: number }>();

  /** TLS handshakes, read from the reassembled start of each direction. */
  protected readonly tls: TlsOutcomes;

  /** The capture's DNS lookups of sign-in names and of the servers their SRV records named. */
  readonly dnsLookups = new DnsLookups();

  /** The DNS message being read (one, reused). */
  private readonly dnsMessage = new DnsMessage();

  /** DNS over TCP, reassembled: its messages go to `dnsLookups` as the packet that completes each arrives. */
  private readonly dnsTcp: DnsTcpStreams;

  /** The packet and frame whose bytes complete the TCP messages being read (set around `dnsTcp.note`). */
  private dnsPacket: Packet | null = null;
  private dnsFrame: FrameStamp | null = null;

  constructor(readonly reassembler: Reassembler) {
    super();
    this.tls = new TlsOutcomes(reassembler);
    this.dnsTcp = new DnsTcpStreams(reassembler, (buf, start, end) => {
      const m = this.dnsMessage;
      const pkt = this.dnsPacket;
      const frame = this.dnsFrame;
      if (pkt !== null && frame !== null && readDns(buf, start, end, true, m))
        this.dnsLookups.note(m, buf, pkt, frame);
    });
  }

  /** TCP and UDP payloads to or from port 53 the capture's snapshot length cut, and the first one's frame offset. */
  readonly dnsCut = { frames: 0, firstOffset: -1 };

  /** @internal */ rowSip(row: number): SipOutcome | null {
    return this.sip.of(row, this.rowOrigIsLo(row));
  }

  /** Whether media from this IPv4 address and port, between `first` and `last`, was a call's early media (early-media.ts). */
  sipEarlyMedia(v4: number, port: number, first: number, last: number): boolean {
    return this.sip.earlyMedia.excuses(v4, port, first, last);
  }

  /** @internal */ rowDrops(row: number): RowDrops | null {
    return this.drops.of(row);
  }

  /** @internal */ rowTls(row: number): TlsOutcome | null {
    return this.tls.of(row);
  }

  /** @internal */ rowKrbError(row: number): { code: number; count: number } | null {
    return this.krbErrors.get(row) ?? null;
  }

  /** @internal */ rowStun(row: number): StunOutcome | null {
    return this.stun.of(row);
  }

  /**
   * Another appearance of a packet already counted (pktmon logs one packet
   * per component it passes): only its drop, if it reports one, is noted on
   * the packet's flow. False when no flow has the packet's ports: the caller
   * then adds it as a packet of its own. A repeated ICMP message or later IP
   * fragment is only skipped (its drop, if any, is not attributed).
   */
  addRepeat(pkt: Packet, frame: FrameStamp): boolean {
    const proto = pkt.ipProto;
    if (pkt.laterFragment || (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP)) return true;
    const key = this.key.ofPacket(pkt, pkt.srcPort, pkt.dstPort);
    const row = this.find(key);
    if (row < 0) return false;
    const drop = frame.drop;
    if (drop !== undefined && drop !== null)
      this.drops.note(row, key.fromLo, frame.index, drop, frame.direction ?? 0);
    return true;
  }

  /** A packet's drop, if the capture reported one. */
  protected noteDrop(row: number, frame: FrameStamp, fromLo: boolean): void {
    const drop = frame.drop;
    if (drop !== undefined && drop !== null)
      this.drops.note(row, fromLo, frame.index, drop, frame.direction ?? 0);
  }

  /**
   * A payload-carrying packet of a SIP or TLS flow, after the TCP rules ran
   * (`retransmitted` says whether this TCP segment repeats sent data).
   */
  protected noteApplication(
    row: number,
    pkt: Packet,
    frame: FrameStamp,
    fromLo: boolean,
    retransmitted: boolean,
  ): void {
    const lo = this.appLo[row];
    const hi = this.appHi[row];
    const app =
      lo === App.Tls || hi === App.Tls
        ? App.Tls
        : lo === App.Sip || hi === App.Sip
          ? App.Sip
          : lo === App.Stun || hi === App.Stun
            ? App.Stun
            : lo === App.Kerberos || hi === App.Kerberos
              ? App.Kerberos
              : lo === App.Dns || hi === App.Dns
                ? App.Dns
                : App.None;
    const at = pkt.payloadOffset;
    if (
      app === App.Tls &&
      pkt.ipProto === IPPROTO_TCP &&
      !retransmitted &&
      pkt.payloadCaptured >= 24 &&
      frame.buf[at] === 0x02 &&
      frame.buf[at + 1] === 0x00
    ) {
      // MS-TURN over TCP 443 opens with a pseudo-TLS handshake, then frames its TURN messages
      // ([MS-TURN] §2.1.4: type 0x02, a zero byte, the length; a TLS record starts 0x14-0x17).
      // The segment still goes to the TLS reader below: a real TLS stream's segment may start so too.
      this.noteStun(row, frame, at, at + pkt.payloadCaptured, fromLo);
    }
    if (app === App.Dns && pkt.ipProto === IPPROTO_TCP) {
      // Reassembly places each segment by its sequence number: a retransmission adds nothing new.
      this.dnsPacket = pkt;
      this.dnsFrame = frame;
      this.toStream(this.dnsTcp, row, pkt, frame, fromLo);
      this.dnsPacket = null;
      this.dnsFrame = null;
    } else if (app === App.Dns) {
      const m = this.dnsMessage;
      if (readDns(frame.buf, at, at + pkt.payloadCaptured, false, m))
        this.dnsLookups.note(m, frame.buf, pkt, frame, pkt.payloadCaptured < pkt.payloadLen);
    } else if (app === App.Kerberos) {
      if (!retransmitted)
        this.noteKerberos(row, frame.buf, at, at + pkt.payloadCaptured, pkt.ipProto === IPPROTO_TCP);
    } else if (app === App.Stun) {
      if (!retransmitted) this.noteStun(row, frame, at, at + pkt.payloadCaptured, fromLo);
    } else if (app === App.Sip) {
      // A SIP message is counted once: not again in a retransmitted TCP segment.
      if (!retransmitted) this.sip.note(row, frame.buf, at, at + pkt.payloadCaptured, fromLo, frame.tsMicros);
    } else if (app === App.Tls && pkt.ipProto === IPPROTO_TCP && this.tls.wants(row)) {
      this.toStream(this.tls, row, pkt, frame, fromLo);
    }
  }

  /**
   * A TCP segment to a reader of the reassembled stream start (TLS, DNS over TCP). Reassembly
   * places each segment by its sequence number, so a retransmission adds nothing new; the stream
   * starts one past the side's SYN when it was seen (segments may come out of order).
   */
  private toStream(reader: StreamReader, row: number, pkt: Packet, frame: FrameStamp, fromLo: boolean): void {
    const syn = this.synSeq(row, fromLo);
    reader.note(
      row,
      fromLo ? 0 : 1,
      syn >= 0 ? (syn + 1) >>> 0 : pkt.seq,
      pkt.seq,
      frame.buf,
      pkt.payloadOffset,
      pkt.payloadCaptured,
      frame.fileOffset,
      pkt.payloadLen - pkt.payloadCaptured,
    );
  }

  /**
   * STUN/TURN messages of a payload: a relayed message, or an answered ICE check between peers (not
   * on a STUN/TURN server's port, where USERNAME may be RFC 3489's credentials), means media
   * through the receiver's socket worked.
   */
  private noteStun(row: number, frame: FrameStamp, start: number, end: number, fromLo: boolean): void {
    const read = this.stun.note(row, frame.buf, start, end, fromLo);
    if (read === 0) return;
    const server = isTurnPort(this.lPort[row]!) || isTurnPort(this.hPort[row]!);
    if ((read & READ_RELAYED) !== 0 || !server) this.markMediaWorked(row, fromLo ? 4 : 0, frame.tsMicros);
  }

  /**
   * A KRB-ERROR at the payload's start (after TCP's record length). Pre-authentication required
   * (the first answer to every AS-REQ) and "response too big" (retry over TCP) are the protocol at
   * work, not failures, and are not kept.
   */
  private noteKerberos(row: number, buf: Uint8Array, start: number, end: number, tcp: boolean): void {
    const code = krbErrorCode(buf, tcp ? start + 4 : start, end);
    if (code < 0 || code === KDC_ERR_PREAUTH_REQUIRED || code === KRB_ERR_RESPONSE_TOO_BIG) return;
    const seen = this.krbErrors.get(row);
    if (seen === undefined) this.krbErrors.set(row, { code, count: 1 });
    else seen.count++;
  }

  /** Forgets a flow's application outcomes (its row is about to be reused). */
  protected forgetApplication(row: number): void {
    this.sip.delete(row);
    this.drops.delete(row);
    this.tls.delete(row);
    this.stun.delete(row);
    this.krbErrors.delete(row);
    this.dnsTcp.delete(row);
  }
}
