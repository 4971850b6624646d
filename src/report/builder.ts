/**
 * Builds the report model as flows end (ReportBuilder): the only place
 * analysis results become presentable values: addresses as canonical text
 * (report/addresses.ts, through src/format.ts), timestamps as microseconds
 * for the renderers' ISO 8601, flows in a deterministic order (first packet
 * time, then first-packet order).
 */

import type { CatalogMatch } from "../catalog/index.js";
import { type Classified, transportName } from "../classify/classify.js";
import { blockingReason, REASON_CODES, type ReasonCode } from "../classify/reasons.js";
import type { SignInDomain } from "../classify/sign-in.js";
import type { Topology } from "../classify/topology.js";
import { IPPROTO_TCP, IPPROTO_UDP } from "../decode/constants.js";
import { tlsAlertName, tlsVersionName } from "../decode/tls-handshake.js";
import { type TlsOutcome, tlsComplete } from "../flow/tls-outcome.js";
import { isoMicros } from "../format.js";
import { type AddressFormatter, sharedAddressFormatter } from "./addresses.js";
import { BlockedTable } from "./blocked.js";
import { boundParts, portPair } from "./filter.js";
import { MediaPaths } from "./media-path.js";
import {
  type CaptureSummary,
  DEFAULT_MAX_REPORT_FLOWS,
  emptySummary,
  type FlowProcess,
  type FlowRecord,
  REPORT_SCHEMA,
  type Report,
  type RoleRef,
  type Summary,
  type TlsRecord,
  type UnknownGroup,
} from "./model.js";
import { RoleTable } from "./roles.js";
import { ServiceTable } from "./services.js";
import { signInFailed, signInRecords } from "./sign-in.js";

/** Flows counted in the report but not listed in it, because of the list's limit. */
export interface UnlistedFlows {
  known: number;
  other: number;
}

/**
 * Builds the report as flows end, one at a time: each flow view is turned
 * into a small flat record at once (the view is only valid during `add`).
 *
 * Memory: every flow is counted (summary, role rows, blocked groups), but at
 * most `maxListed` flows keep a record, so a capture with millions of flows
 * cannot exhaust the heap. Past the limit a flow that is not "known" takes
 * the place of the last known one listed, so findings are listed first; what
 * was left out is counted in `unlisted`.
 */
export class ReportBuilder {
  private readonly addr = sharedAddressFormatter();
  private readonly roleRefCache = new Map<readonly unknown[], RoleRef[]>();
  private readonly roles = new RoleTable();
  private readonly blocked = new BlockedTable();
  private readonly known: FlowRecord[] = [];
  private readonly notable: FlowRecord[] = [];
  private readonly summary: Summary = emptySummary();
  /** Unknown flows by protocol, transport, port and reason. */
  private readonly unknownGroups = new Map<number, UnknownGroup[]>();
  /** Known flows per service port, transport and role list (`--expect`). */
  private readonly services = new ServiceTable();
  /** Flows per reason code, counted as they end. */
  private readonly reasonCounts = new Map<ReasonCode, number>();
  /** Flows that media path findings pair up (report/media-path.ts). */
  private media = new MediaPaths();
  /**
   * The port pairs (portPair) of flows that took over an earlier flow's 5-tuple, as the table
   * flagged them (hashed: a few are false alarms): at the end, only flows with one of these pairs
   * are grouped by 5-tuple and their parts told apart by frame numbers.
   */
  private readonly againPorts = new Set<number>();

  /** The run's topology, so media path findings can place Edge and client addresses. */
  set topology(t: Topology | null) {
    this.media = new MediaPaths(t);
  }
  readonly unlisted: UnlistedFlows = { known: 0, other: 0 };
  /** Packets of every flow added, and ICMP errors attached to them as evidence. */
  readonly packets = { inFlows: 0, icmpEvidence: 0 };
  /**
   * Flows with packets (or an ICMP error) both ways, and flows whose blocking evidence is a reply that never came
   * (syn_no_reply, udp_no_reply, one_way_media), and flows shown one-sided (one_sided_capture):
   * with several of the latter and none of the former, the capture itself saw one direction only
   * (analyze.ts warns `one_way_capture`).
   */
  readonly replies = { bothWays: 0, missing: 0, oneSided: 0 };
  private readonly maxListed: number;
  /** The run's product catalogs (`--product`) when not the default; the report names them. */
  products: readonly string[] | null = null;
  /** The capture's process table, which a flow's `process` index points into (Network Monitor 2.2+). */
  processes: readonly FlowProcess[] = [];
  /** The capture's sign-in discovery, per SIP domain (classify/sign-in.ts), set before `finish`. */
  signIn: readonly SignInDomain[] = [];

  /**
   * With `stream`, every flow's record goes to it as the flow ends, and the
   * report lists none (its counts, groups and role rows are complete): output
   * that streams flows (ndjson) holds no flow in memory.
   */
  constructor(
    private readonly version: string,
    maxListed: number = DEFAULT_MAX_REPORT_FLOWS,
    private readonly stream?: (record: FlowRecord) => void,
  ) {
    this.maxListed = Math.max(0, maxListed);
  }

  add(c: Classified): void {
    this.packets.inFlows += c.flow.origPackets + c.flow.respPackets;
    this.packets.icmpEvidence += c.flow.icmp?.count ?? 0;
    this.summary.flows++;
    this.summary[c.verdict]++;
    // An ICMP error about the flow came back too: the capture saw that direction.
    if ((c.flow.origPackets > 0 && c.flow.respPackets > 0) || (c.flow.icmp?.count ?? 0) > 0)
      this.replies.bothWays++;
    for (let i = 0; i < c.reasons.length; i++) {
      const code = c.reasons[i]!.code;
      if (code === "syn_no_reply" || code === "udp_no_reply" || code === "one_way_media")
        this.replies.missing++;
      else if (code === "one_sided_capture") this.replies.oneSided++;
      // A code twice on one flow (it cannot be, today) would count once.
      if (c.reasons.findIndex((r) => r.code === code) === i)
        this.reasonCounts.set(code, (this.reasonCounts.get(code) ?? 0) + 1);
    }
    this.roles.add(c);
    // TCP and UDP only: an ICMP flow's key holds the ports it quotes, which the report has not.
    const { flow } = c;
    if (flow.keyAgain === true && (flow.ipProto === IPPROTO_TCP || flow.ipProto === IPPROTO_UDP))
      this.againPorts.add(portPair(flow.origPort, flow.respPort));
    if (this.media.wants(c.flow))
      this.media.note(c.flow, this.addr.format(c.flow, true), this.addr.format(c.flow, false));
    const isKnown = c.verdict === "known";
    if (isKnown) this.services.add(c);
    else if (c.verdict === "unknown") this.countUnknown(c);
    if (this.stream !== undefined) {
      const record = flowRecord(c, this.addr, this.roleRefCache, this.processes);
      if (blockingReason(record.reasons)) this.blocked.count(c, record.roles, record.clientIp);
      this.stream(record);
      return;
    }
    if (this.known.length + this.notable.length >= this.maxListed) {
      if (isKnown || this.known.length === 0) {
        if (isKnown) this.unlisted.known++;
        else this.unlisted.other++;
        if (blockingReason(c.reasons))
          this.blocked.count(c, roleRefs(c.matches, this.roleRefCache), this.addr.format(c.flow, true));
        return;
      }
      this.known.pop();
      this.unlisted.known++;
    }
    const record = flowRecord(c, this.addr, this.roleRefCache, this.processes);
    if (blockingReason(record.reasons)) this.blocked.add(record);
    (isKnown ? this.known : this.notable).push(record);
  }

  private countUnknown(c: Classified): void {
    const f = c.flow;
    const hasPorts = f.ipProto === IPPROTO_TCP || f.ipProto === IPPROTO_UDP;
    const protocol = c.application.confidence === "signature" ? c.application.protocol : "unidentified";
    const reason = c.reasons[0]?.code ?? "not_in_catalog";
    const port = hasPorts ? f.respPort : null;
    const key = f.ipProto * 65536 + (port ?? 0);
    let list = this.unknownGroups.get(key);
    if (list === undefined) {
      list = [];
      this.unknownGroups.set(key, list);
    }
    let g = list.find((x) => x.protocol === protocol && x.reason === reason);
    if (g === undefined) {
      g = { protocol, port, transport: transportName(f.ipProto), reason, flows: 0, packets: 0, bytes: 0 };
      list.push(g);
    }
    g.flows++;
    g.packets += f.origPackets + f.respPackets;
    g.bytes += f.origBytes + f.respBytes;
  }

  finish(capture: CaptureSummary): Report {
    const media = this.media.findings();
    const signIn = signInRecords(this.signIn);
    const flows = [...this.known, ...this.notable].sort((a, b) => a.firstSeen - b.firstSeen || a.id - b.id);
    if (this.againPorts.size > 0) boundParts(flows, this.againPorts);
    return {
      schema: REPORT_SCHEMA,
      tool: { name: "ocs-pcap", version: this.version },
      ...(this.products === null ? {} : { catalog: { products: [...this.products] } }),
      capture,
      summary: {
        ...this.summary,
        mediaFindings: media.length,
        ...(signIn.length === 0 ? {} : { signInFailures: signIn.filter(signInFailed).length }),
      },
      reasons: Object.fromEntries(
        REASON_CODES.filter((code) => this.reasonCounts.has(code)).map((code) => [
          code,
          this.reasonCounts.get(code)!,
        ]),
      ),
      roles: this.roles.rows(),
      media,
      ...(signIn.length === 0 ? {} : { signIn }),
      blocked: this.blocked.groups(flows),
      unknown: [...this.unknownGroups.values()]
        .flat()
        .sort(
          (a, b) =>
            b.flows - a.flows ||
            (a.port ?? -1) - (b.port ?? -1) ||
            a.transport.localeCompare(b.transport) ||
            a.protocol.localeCompare(b.protocol) ||
            a.reason.localeCompare(b.reason),
        ),
      flows,
      services: this.services.rows(),
    };
  }
}

/** The report's role list for a match list, one shared (frozen by convention) array per list. */
function roleRefs(matches: readonly CatalogMatch[], cache: Map<readonly unknown[], RoleRef[]>): RoleRef[] {
  let roles = cache.get(matches);
  if (roles === undefined) {
    roles = matches.map((m) => ({
      role: m.entry.role,
      ports: m.entry.ports,
      protocol: m.entry.protocol,
      seedRow: m.entry.seedRow,
    }));
    cache.set(matches, roles);
  }
  return roles;
}

/** The empty list every record without alerts or Allocate errors shares (the lists are read-only). */
const NONE: readonly never[] = Object.freeze([]);

/**
 * `v` unchanged, but as V8 stores it in an object without a box when it is a
 * whole number in int32 range. A number read from a Float64Array column is a
 * boxed double to V8, and a field that first holds one keeps every later value
 * in a box of its own: ten boxes a retained flow record, which were most of
 * the objects the report kept and the young-generation collector copied.
 */
function unboxed(v: number): number {
  return (v | 0) === v ? v | 0 : v;
}

function flowRecord(
  c: Classified,
  addr: AddressFormatter,
  cache: Map<readonly unknown[], RoleRef[]>,
  processes: readonly FlowProcess[],
): FlowRecord {
  const f = c.flow;
  const roles = roleRefs(c.matches, cache);
  const hasPorts = f.ipProto === IPPROTO_TCP || f.ipProto === IPPROTO_UDP;
  const origIp = addr.format(f, true);
  const respIp = addr.format(f, false);
  const record: FlowRecord = {
    id: unboxed(f.id + 1),
    transport: transportName(f.ipProto),
    clientIp: origIp,
    clientPort: hasPorts ? f.origPort : null,
    serverIp: respIp,
    serverPort: hasPorts ? f.respPort : null,
    verdict: c.verdict,
    application: c.application,
    roles,
    state: c.state,
    history: c.history,
    packetsFromClient: unboxed(f.origPackets),
    packetsFromServer: unboxed(f.respPackets),
    bytesFromClient: unboxed(f.origBytes),
    bytesFromServer: unboxed(f.respBytes),
    payloadFromClient: unboxed(f.origPayload),
    payloadFromServer: unboxed(f.respPayload),
    ipBytesFromClient: unboxed(f.origIpBytes),
    ipBytesFromServer: unboxed(f.respIpBytes),
    firstSeen: f.first,
    lastSeen: f.last,
    firstFrame: unboxed(f.firstFrame),
    fragmented: f.fragmented,
    reasons: c.reasons,
  };
  // Added after, not spread into the literal: a spread builds every record through V8's slow path.
  const process = f.process >= 0 ? processes[f.process] : undefined;
  if (process !== undefined) record.process = process;
  const sip = f.sip;
  if (sip !== null)
    record.sip =
      sip.noAnswer > 0
        ? { requests: sip.requests, responses: sip.responses, noAnswer: sip.noAnswer }
        : { requests: sip.requests, responses: sip.responses };
  const tls = f.tls;
  if (tls !== null) record.tls = tlsRecord(tls);
  const stun = f.stun;
  if (stun !== null) {
    record.stun = {
      binding: {
        requests: stun.bindingRequests,
        successes: stun.bindingSuccesses,
        errors: stun.bindingErrors,
      },
      allocate: {
        requests: stun.allocateRequests,
        successes: stun.allocateSuccesses,
        errors:
          stun.allocateErrors.length === 0
            ? NONE
            : stun.allocateErrors.map((e) => ({ code: e.code, count: e.count })),
      },
      msVersion: stun.msVersion,
      realm: stun.realm,
      relayed: stun.relayed > 0,
    };
  }
  return record;
}

/** The report's view of a TLS outcome: names for numbers, the leaf certificate's facts as text. */
function tlsRecord(o: TlsOutcome): TlsRecord {
  const leaf = o.certificates[0];
  const rec: TlsRecord = {
    version: o.version === null ? null : tlsVersionName(o.version),
    cipher: o.cipher === null ? null : `0x${o.cipher.toString(16).padStart(4, "0")}`,
    sni: o.sni,
    complete: tlsComplete(o),
    certificateRequested: o.certificateRequested,
    clientCertificates: o.clientCertificates,
    alerts:
      o.alerts.length === 0
        ? NONE
        : o.alerts.map((a) => ({
            from: a.fromClient ? "client" : "server",
            level: a.level === 2 ? "fatal" : a.level === 1 ? "warning" : "encrypted",
            alert: a.level === 0 ? null : tlsAlertName(a.description),
          })),
  };
  if (o.partial !== null) rec.partial = o.partial;
  if (leaf !== undefined) {
    rec.certificate = {
      subject: leaf.subject,
      issuer: leaf.issuer,
      dnsNames: leaf.dnsNames,
      notBefore: isoMicros(leaf.notBeforeMicros),
      notAfter: isoMicros(leaf.notAfterMicros),
      sha256: leaf.sha256,
      selfSigned: leaf.selfSigned,
      chainLength: o.chainLength,
    };
  }
  return rec;
}
