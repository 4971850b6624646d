/**
 * What a TLS handshake said on a flow (issue 17, item 2): the start of each
 * direction is reassembled (flow/reassembly.ts), walked record by record
 * (RFC 5246 §6.2.1: type, version, 16-bit length) and, until that side's
 * ChangeCipherSpec, handshake message by message (decode/tls-handshake.ts).
 * Kept: the ClientHello's SNI, the ServerHello's version and cipher suite,
 * the server's certificate chain as facts (decode/x509.ts), whether the
 * server asked for a client certificate and how many the client sent,
 * alerts in the clear, ChangeCipherSpec and application data per side.
 * The client is whichever side sent the ClientHello. Buffers are released
 * when the handshake is over (completed or failed with an alert) or the
 * flow ends; what is kept after is a few numbers and strings per flow.
 */
import {
  certificateList,
  clientHelloServerName,
  serverHelloChoice,
  ssl2ClientHelloLength,
  TLS_CERTIFICATE,
  TLS_CERTIFICATE_REQUEST,
  TLS_CLIENT_HELLO,
  TLS_SERVER_HELLO,
} from "../decode/tls-handshake.js";
import { type CertificateFacts, certificateFacts } from "../decode/x509.js";
import type { Reassembler, StreamStart } from "./reassembly.js";

/** Certificates of a chain turned into facts (the leaf first); the rest are counted. */
const MAX_CERTIFICATES = 4;
const MAX_ALERTS = 4;
/** The largest TLS record (2^14 plus expansion, RFC 5246 §6.2.3): past it the bytes are not TLS. */
const MAX_RECORD = 18_432;

export interface TlsAlert {
  /** Sent by the client (the side of the ClientHello). */
  fromClient: boolean;
  /** 1 warning, 2 fatal (alerts in the clear only). */
  level: number;
  description: number;
}

export interface TlsOutcome {
  clientHello: boolean;
  serverHello: boolean;
  sni: string | null;
  /** The version the ServerHello chose (supported_versions for TLS 1.3), or null. */
  version: number | null;
  cipher: number | null;
  /** The server's certificates as sent, leaf first (at most 4 read), and how many the chain held. */
  certificates: CertificateFacts[];
  chainLength: number;
  certificateRequested: boolean;
  /** Certificates in the client's Certificate message: null when it sent none at all. */
  clientCertificates: number | null;
  alerts: TlsAlert[];
  clientChangeCipherSpec: boolean;
  serverChangeCipherSpec: boolean;
  clientAppData: number;
  serverAppData: number;
  /**
   * Why the handshake could not be read to its end, when it could not: the
   * global reassembly budget ("budget"), the per-stream cap before the
   * handshake was over ("cap", --max-reassembly), or a segment the capture
   * cut short ("snaplen": its missing bytes leave a gap nothing fills). The
   * outcome then holds what came before; null when nothing stopped it.
   */
  partial: "budget" | "cap" | "snaplen" | null;
  /**
   * The client's own bytes stopped being TLS records after its ClientHello (a protocol that only
   * opens like TLS, as Skype's did on 443): no TLS handshake was attempted, so none failed.
   */
  clientNotTls?: boolean;
}

/** Whether the handshake completed: ChangeCipherSpec both ways (TLS ≤ 1.2), or 1.3's encrypted records both ways. */
export function tlsComplete(o: TlsOutcome): boolean {
  if (o.version === 0x0304) return o.clientAppData > 0 && o.serverAppData > 0;
  return o.clientChangeCipherSpec && o.serverChangeCipherSpec;
}

class Side {
  /** Offset of the next record in the stream. */
  rec = 0;
  /** Handshake bytes in the clear, gathered across records (a message may span several). */
  hs: StreamStart | null = null;
  hsOff = 0;
  ccs = false;
  appData = 0;
  /** Not TLS, or nothing more to read. */
  stopped = false;
  clientHello = false;
  constructor(readonly stream: StreamStart) {}
}

class FlowTls {
  readonly sides: [Side | null, Side | null] = [null, null];
  readonly outcome: TlsOutcome = {
    clientHello: false,
    serverHello: false,
    sni: null,
    version: null,
    cipher: null,
    certificates: [],
    chainLength: 0,
    certificateRequested: false,
    clientCertificates: null,
    alerts: [],
    clientChangeCipherSpec: false,
    serverChangeCipherSpec: false,
    clientAppData: 0,
    serverAppData: 0,
    partial: null,
  };
  done = false;
}

export class TlsOutcomes {
  private readonly byRow = new Map<number, FlowTls>();

  constructor(private readonly reassembler: Reassembler) {}

  /** Whether the flow's handshake is still being followed (or not yet started). */
  wants(row: number): boolean {
    return this.byRow.get(row)?.done !== true;
  }

  /**
   * A TCP payload segment of a TLS flow: `side` 0 the table's lo end, 1 the
   * hi end; `base` the sequence number of that side's first byte (one past
   * its SYN, or the first segment's when no SYN was seen).
   */
  note(
    row: number,
    side: 0 | 1,
    base: number,
    seq: number,
    buf: Uint8Array,
    off: number,
    len: number,
    fileOffset: number,
    /** Payload bytes of this segment the capture did not keep (its snapshot length cut them). */
    missing = 0,
  ): void {
    let f = this.byRow.get(row);
    if (f === undefined) {
      f = new FlowTls();
      this.byRow.set(row, f);
    }
    if (f.done) return;
    let s = f.sides[side];
    if (s === null) {
      s = new Side(this.reassembler.open(base));
      f.sides[side] = s;
    }
    if (s.stopped) return;
    const r = this.reassembler;
    const stream = s.stream;
    if (r.inOrder(stream, seq) === s.rec) {
      // The common case: the segment continues the stream and nothing waits. Whole records are
      // read where they are; only a record cut at the segment's end is copied.
      const end = Math.min(off + len, off + r.cap - s.rec);
      const used = this.records(f, s, side, buf, off, end);
      s.rec += used;
      r.skip(stream, s.rec);
      if (used < len && !s.stopped)
        r.add(stream, (seq + used) >>> 0, buf, off + used, len - used, fileOffset);
    } else if (r.add(stream, seq, buf, off, len, fileOffset)) {
      const at = s.rec - stream.origin;
      s.rec += this.records(f, s, side, stream.buf, at, stream.len - stream.origin);
      r.consumed(stream, s.rec);
    }
    // Full or starved: no more bytes will come, so what is left of a record cannot be read.
    if (stream.closed) {
      s.stopped = true;
      if (f.outcome.partial === null && !tlsComplete(f.outcome)) f.outcome.partial = "cap";
    }
    if (stream.starved || s.hs?.starved) f.outcome.partial = "budget";
    if (missing > 0 && !s.stopped) {
      // The bytes after the cut never arrive: the stream cannot be read past them.
      s.stopped = true;
      if (f.outcome.partial === null) f.outcome.partial = "snaplen";
      r.noteCut(fileOffset);
    }
    if (this.over(f)) this.release(f);
  }

  of(row: number): TlsOutcome | null {
    const f = this.byRow.get(row);
    return f === undefined || !f.outcome.clientHello ? null : f.outcome;
  }

  delete(row: number): void {
    const f = this.byRow.get(row);
    if (f !== undefined) this.release(f);
    this.byRow.delete(row);
  }

  private over(f: FlowTls): boolean {
    const o = f.outcome;
    if (o.alerts.some((a) => a.level === 2)) return true;
    if (tlsComplete(o)) return true;
    return f.sides.every((s) => s === null || s.stopped);
  }

  private release(f: FlowTls): void {
    f.done = true;
    for (const s of f.sides) {
      if (s === null) continue;
      this.reassembler.close(s.stream);
      if (s.hs !== null) this.reassembler.close(s.hs);
    }
  }

  /**
   * Reads the whole TLS records in `b[start, end)` (where the side's next
   * record begins) and returns how many bytes they take; a record cut at
   * `end` is left for more bytes. Bytes that are not TLS stop the side.
   */
  private records(f: FlowTls, s: Side, side: 0 | 1, b: Uint8Array, start: number, end: number): number {
    const o = f.outcome;
    let at = start;
    while (!s.stopped && at + 5 <= end) {
      const type = b[at]!;
      if (type >= 0x80 && !o.clientHello) {
        // An SSL 2.0-format ClientHello (a whole one, or nothing: see ssl2ClientHelloLength).
        const v2 = ssl2ClientHelloLength(b, at, end);
        if (v2 === 0 && at + 2 + (((type & 0x7f) << 8) | b[at + 1]!) > end) break; // more to come
        if (v2 === 0) {
          s.stopped = true;
          break;
        }
        this.isClient(f, side, true);
        o.clientHello = true;
        at += v2;
        continue;
      }
      const len = (b[at + 3]! << 8) | b[at + 4]!;
      if (type < 20 || type > 24 || b[at + 1] !== 3 || len > MAX_RECORD) {
        s.stopped = true;
        if (s.clientHello) o.clientNotTls = true;
        break;
      }
      if (at + 5 + len > end) break;
      const isClient = this.isClient(f, side, type === 22 && b[at + 5] === TLS_CLIENT_HELLO);
      if (type === 20) {
        s.ccs = true;
        if (isClient) o.clientChangeCipherSpec = true;
        else o.serverChangeCipherSpec = true;
      } else if (type === 21) {
        // Alerts in the clear only: after its ChangeCipherSpec a side's alerts are encrypted
        // (close_notify at the end of a session, as a rule) and say nothing of the handshake.
        if (!s.ccs && len === 2 && o.alerts.length < MAX_ALERTS)
          o.alerts.push({ fromClient: isClient, level: b[at + 5]!, description: b[at + 6]! });
      } else if (type === 23) {
        if (isClient) o.clientAppData++;
        else o.serverAppData++;
      } else if (type === 22 && !s.ccs && (o.version !== 0x0304 || !o.serverHello || isClient)) {
        this.handshake(f, s, isClient, b, at + 5, at + 5 + len);
      }
      at += 5 + len;
    }
    return at - start;
  }

  /** Which end is the client: the one that sent the ClientHello (decided by the first handshake seen). */
  private isClient(f: FlowTls, side: 0 | 1, sendsClientHello: boolean): boolean {
    const own = f.sides[side]!;
    if (sendsClientHello && !f.outcome.clientHello) own.clientHello = true;
    const other = f.sides[side === 0 ? 1 : 0];
    if (own.clientHello) return true;
    if (other?.clientHello === true) return false;
    return false;
  }

  /**
   * A handshake record's bytes: whole messages are read where they are;
   * a message spanning records is gathered in the side's handshake buffer.
   */
  private handshake(f: FlowTls, s: Side, isClient: boolean, b: Uint8Array, start: number, end: number): void {
    const r = this.reassembler;
    let at = start;
    if (s.hs === null || s.hs.len === s.hs.origin) {
      at += this.messages(f, isClient, b, start, end);
      if (at === end) return;
      if (s.hs === null) s.hs = r.open(0);
    }
    const hs = s.hs;
    r.add(hs, hs.len, b, at, end - at, 0);
    const from = s.hsOff;
    s.hsOff += this.messages(f, isClient, hs.buf, from - hs.origin, hs.len - hs.origin);
    r.consumed(hs, s.hsOff);
    if (hs.closed && s.hsOff < hs.len) s.stopped = true;
  }

  /** Reads the whole handshake messages in `h[start, end)`; returns the bytes they take. */
  private messages(f: FlowTls, isClient: boolean, h: Uint8Array, start: number, end: number): number {
    const o = f.outcome;
    let at = start;
    while (at + 4 <= end) {
      const type = h[at]!;
      const len = (h[at + 1]! << 16) | (h[at + 2]! << 8) | h[at + 3]!;
      const body = at + 4;
      if (body + len > end) break;
      at = body + len;
      if (type === TLS_CLIENT_HELLO && isClient && !o.clientHello) {
        o.clientHello = true;
        o.sni = clientHelloServerName(h, body, body + len);
      } else if (type === TLS_SERVER_HELLO && !isClient && !o.serverHello) {
        o.serverHello = true;
        const choice = serverHelloChoice(h, body, body + len);
        if (choice !== null) {
          o.version = choice.version;
          o.cipher = choice.cipher;
        }
      } else if (type === TLS_CERTIFICATE && o.version !== 0x0304) {
        if (isClient) {
          o.clientCertificates = Math.max(
            0,
            certificateList(h, body, body + len, () => {}),
          );
        } else if (o.chainLength === 0) {
          o.chainLength = Math.max(
            0,
            certificateList(h, body, body + len, (cs, ce) => {
              if (o.certificates.length >= MAX_CERTIFICATES) return;
              const facts = certificateFacts(h.slice(cs, ce));
              if (facts !== null) o.certificates.push(facts);
            }),
          );
        }
      } else if (type === TLS_CERTIFICATE_REQUEST && !isClient) {
        o.certificateRequested = true;
      }
    }
    return at - start;
  }
}
