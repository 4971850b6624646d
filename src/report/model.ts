/**
 * The one report model every renderer reads (JSON contract ocs-pcap/report@1):
 * the types, and the limits every renderer shares. report/builder.ts fills it
 * as flows end; renderers never re-analyse.
 */

import type { PortRange } from "../catalog/types.js";
import type { Application, Reason, Verdict } from "../classify/classify.js";
import type { MediaFinding } from "./media-path.js";
import type { SignInRecord } from "./sign-in.js";

export const REPORT_SCHEMA = "ocs-pcap/report@1";

/** Flows the table and Markdown formats list per verdict or reason by default (`--limit`). */
export const DEFAULT_LIST_LIMIT = 25;

export interface RoleRef {
  role: string;
  ports: PortRange[];
  protocol: string;
  seedRow: number;
}

/**
 * One flow, flat and small (a report can hold 100k of them): the JSON
 * renderer nests it into the contract's shape (`client: {ip, port}`,
 * `packets: {fromClient, fromServer}`, ISO timestamps).
 */
export interface FlowRecord {
  id: number;
  transport: string;
  clientIp: string;
  /** null for transports without ports (ICMP and others). */
  clientPort: number | null;
  serverIp: string;
  serverPort: number | null;
  verdict: Verdict;
  /** What the payload is (from a signature) or should be (from the catalog), and how sure. */
  application: Application;
  /** Shared between flows with the same matches: never mutate. */
  roles: readonly RoleRef[];
  state: string;
  history: string;
  packetsFromClient: number;
  packetsFromServer: number;
  bytesFromClient: number;
  bytesFromServer: number;
  /**
   * Transport payload bytes and IP-level bytes (the IP total length fields)
   * each side sent, for Zeek's orig_bytes and orig_ip_bytes; not in report@1,
   * so -1 in a report read back from JSON.
   */
  payloadFromClient: number;
  payloadFromServer: number;
  ipBytesFromClient: number;
  ipBytesFromServer: number;
  /** Microseconds since the epoch. */
  firstSeen: number;
  lastSeen: number;
  /** Frame number of the flow's first packet (as Wireshark numbers frames). */
  firstFrame: number;
  /** Whether the flow had IP fragments (for its display filter; not in report@1, so false when read back). */
  fragmented: boolean;
  /**
   * The frames (first and last, inclusive; null: to the end) of the flow's part of a 5-tuple that
   * several flows of the capture had in turn (idle, closed, reused): its display filter names them,
   * or it would match every part. Absent for a 5-tuple of one flow. Not a report@1 field of its own.
   */
  frames?: readonly [number, number | null];
  /** The process that owned the flow, where the capture says (Network Monitor 2.2+ process table). */
  process?: FlowProcess;
  /** What plain SIP said on the flow: requests seen, final responses by method and code. */
  sip?: {
    requests: number;
    /** `by`: who sent them (absent in reports written before it, which counted the server's only). */
    responses: { method: string; code: number; count: number; by?: "server" | "client" }[];
    /** INVITEs that rang (180) and were then answered 408 or 480 by the server's side, when any: nobody answered. */
    noAnswer?: number;
  };
  /** What the TLS handshake said (a ClientHello was seen). */
  tls?: TlsRecord;
  /** What STUN and TURN said on the flow. */
  stun?: StunRecord;
  reasons: readonly Reason[];
}

/** A flow's STUN and TURN messages, as the report carries them. */
export interface StunRecord {
  binding: { requests: number; successes: number; errors: number };
  allocate: { requests: number; successes: number; errors: readonly { code: number; count: number }[] };
  /** MS-TURN's MS-VERSION, when the messages carry it. */
  msVersion: number | null;
  realm: string | null;
  /** Media went through the relay: ChannelData, Send or Data indications after a successful Allocate. */
  relayed: boolean;
}

/** A flow's TLS handshake, as the report carries it. */
export interface TlsRecord {
  /** "TLS 1.2": the version the ServerHello chose; null without one. */
  version: string | null;
  /** The cipher suite the ServerHello chose, "0x002f"; null without one. */
  cipher: string | null;
  sni: string | null;
  complete: boolean;
  /** Why the handshake could not be read to its end: the reassembly budget or cap, or packets the snapshot length cut. */
  partial?: "budget" | "cap" | "snaplen";
  certificateRequested: boolean;
  /** Certificates the client sent when asked (null: no Certificate message). */
  clientCertificates: number | null;
  alerts: readonly {
    from: "client" | "server";
    level: "warning" | "fatal" | "encrypted";
    alert: string | null;
  }[];
  /** The server's certificate (the chain's first), when it was sent in the clear (TLS 1.0-1.2). */
  certificate?: TlsCertificateRecord;
}

export interface TlsCertificateRecord {
  subject: string;
  issuer: string;
  dnsNames: string[];
  notBefore: string;
  notAfter: string;
  sha256: string;
  selfSigned: boolean;
  /** Certificates in the chain the server sent. */
  chainLength: number;
}

/** A process from the capture's process table: its executable's file name, full path and PID. */
export interface FlowProcess {
  name: string;
  path: string;
  pid: number;
}

/** "communicator.exe (PID 4321)". */
export function processLabel(p: FlowProcess): string {
  return `${p.name} (PID ${p.pid})`;
}

export interface RoleRow {
  /** Roles tied at the best match for this port (most specific first). */
  roles: string[];
  ports: string;
  transport: string;
  flows: number;
  known: number;
  blocked: number;
  misdirected: number;
  inconclusive: number;
  packets: number;
  bytes: number;
}

/**
 * Flows with blocking evidence to one role and port, for one reason and with
 * one verdict: what a ticket reader looks at first. Most are `blocked`; an
 * unknown or misdirected flow with the same evidence is listed too, its
 * verdict beside it (docs/verdict-rules.md §4).
 */
export interface BlockedGroup {
  roles: string[];
  port: number;
  transport: string;
  reason: string;
  verdict: Verdict;
  /** One line: "Edge Server 5062/tcp: 14 attempts from 9 clients, no reply (firewall drop?)". */
  summary: string;
  attempts: number;
  /** Distinct client addresses: exact when `clientsExact`, else a lower bound (the count stopped at a limit). */
  clients: number;
  clientsExact: boolean;
  firstSeen: number;
  lastSeen: number;
  /** Ids of the group's flows the report lists, in report order (see ReportBuilder's limit). */
  flows: number[];
}

/**
 * Unknown flows by what the payload is and the server port: the first
 * glance at what the other traffic is ("DNS 53/udp: 12 flows").
 */
export interface UnknownGroup {
  /** The identified protocol, or "unidentified". */
  protocol: string;
  port: number | null;
  transport: string;
  /** The first reason's code of the group's flows (other_protocol, not_in_catalog, …). */
  reason: string;
  flows: number;
  packets: number;
  bytes: number;
}

export interface CaptureWarningRecord {
  code: string;
  offset: number;
  message: string;
}

export interface CaptureSummary {
  path: string;
  format: string;
  linkTypes: string[];
  packets: number;
  /** Bytes on the wire, summed over packets (orig_len). */
  bytes: number;
  firstSeen: string | null;
  lastSeen: string | null;
  anomalies: Record<string, number>;
  /** Packets read but not analysed (not IP, unsupported link type, later fragments). */
  skipped: Record<string, number>;
  /** Where every packet went; the four (five, with input filters) add up to `packets`. */
  accounting: PacketAccounting;
  /** What input filters chose, and what they left out (absent without filters). */
  filter?: { description: string; packets: number; bytes: number };
  warnings: CaptureWarningRecord[];
}

/**
 * Every packet read is in exactly one place: a flow, ICMP evidence attached
 * to the flow it quotes, the malformed (decode anomalies), or the skipped.
 */
export interface PacketAccounting {
  inFlows: number;
  icmpEvidence: number;
  malformed: number;
  skipped: number;
  /** IP packets input filters left out (absent without filters). */
  filteredOut?: number;
}

export interface Summary {
  flows: number;
  known: number;
  unknown: number;
  blocked: number;
  misdirected: number;
  inconclusive: number;
  /** Media path findings across flows (`media`); absent in reports before them. */
  mediaFindings?: number;
  /** Sign-in discoveries (a SIP domain as one client asked it) that failed (`signIn`); absent when the capture holds no such lookup. */
  signInFailures?: number;
}

/** A summary with every count at zero, keys in contract order. */
export function emptySummary(): Summary {
  return { flows: 0, known: 0, unknown: 0, blocked: 0, misdirected: 0, inconclusive: 0 };
}

/**
 * Known flows per service port (the responder's), transport and the roles the
 * flows' catalog matches name (every match, not only the best: one row per
 * distinct role list, since a topology gives flows to one port on different
 * servers different roles): counted as flows end, so `--expect` does not
 * depend on which flows the report lists. In the JSON contract as `services`
 * (absent in reports written before it), so `summarize --expect` reads the
 * same counts `analyze --expect` did.
 */
export interface ServiceCount {
  transport: string;
  port: number;
  roles: string[];
  known: number;
  /** Known flows whose TLS handshake completed. */
  tlsComplete: number;
}

/**
 * One check of the CI policy against one report (a `--fail-on` item,
 * `--max-unknown-flows`, `--max-blocked`, one `--expect` expectation),
 * evaluated by cli/policy.ts and handed to the JUnit renderer as data: each
 * is a testcase there, so the report shows what set the exit code.
 */
export interface PolicyOutcome {
  /** The check, as its testcase is named: "--fail-on blocked", "--expect Edge Server 3478/udp: …". */
  check: string;
  /** The line the run prints on standard error when the check fails ("--max-blocked: 2 blocked flows, more than 1"); null when it passed. */
  failure: string | null;
  /** What the report showed, pass or fail ("2 blocked flows of 12"). */
  observed: string;
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  tool: { name: string; version: string };
  /** The built-in product catalogs the run used (`--product`), when not the default OCS 2007 R2 alone. */
  catalog?: { products: string[] };
  capture: CaptureSummary;
  summary: Summary;
  roles: RoleRow[];
  blocked: BlockedGroup[];
  /** Unknown flows grouped by protocol, port and reason, most flows first. */
  unknown: UnknownGroup[];
  flows: FlowRecord[];
  /** Absent on reports read back from JSON written before the contract had it. */
  services?: ServiceCount[];
  /** Flows carrying each reason code, every flow counted as it ended (listed or not); codes in the README's order. */
  reasons?: Record<string, number>;
  /** Findings across flows about the media path (`media_tcp_fallback`). */
  media?: MediaFinding[];
  /** Sign-in discovery per SIP domain and client, from the capture's DNS lookups; absent when it holds none. */
  signIn?: SignInRecord[];
}

/** Most flows a report lists by default (`--max-report-flows`): about 0.7 KB each in memory. */
export const DEFAULT_MAX_REPORT_FLOWS = 1_000_000;
