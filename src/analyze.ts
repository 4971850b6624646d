/**
 * Composition root: wires capture → decode → flow → classify → report into
 * one streaming pass. Flows are classified as they end (idle, closed,
 * reused, or at the end of the capture) and become report records at once,
 * so the flow table only holds active flows. This module owns no logic
 * beyond counting.
 */

import { NetmonReader, netmonLinkTypeName } from "./capture/netmon.js";
import { type CaptureReader, type ReadOptions, readCapture } from "./capture/source.js";
import { CaptureError, type Frame } from "./capture/types.js";
import { builtInIndex, type CatalogIndex } from "./catalog/index.js";
import { DEFAULT_PRODUCT, isDefaultProducts } from "./catalog/products.js";
import { type ClassifyContext, classifyFlow } from "./classify/classify.js";
import { signInFindings } from "./classify/sign-in.js";
import type { Topology } from "./classify/topology.js";
import { ANOMALY_COUNT, ANOMALY_NAMES, Anomaly, FIRST_SKIP } from "./decode/anomaly.js";
import { badTransportChecksum } from "./decode/checksum.js";
import { IPPROTO_TCP, IPPROTO_UDP } from "./decode/constants.js";
import { decodeFrame } from "./decode/frame.js";
import { linkTypeName } from "./decode/link.js";
import { Packet } from "./decode/packet.js";
import { MAX_LOOKUPS } from "./flow/dns-lookups.js";
import { DEFAULT_MAX_DATAGRAMS, FragmentTracker } from "./flow/fragments.js";
import { InputFilter, type InputFilterSpec } from "./flow/input-filter.js";
import { DEFAULT_REASSEMBLY_BUDGET } from "./flow/reassembly.js";
import { DEFAULT_MAX_FLOWS, FlowTable } from "./flow/table.js";
import { isoMicros } from "./format.js";
import { ReportBuilder } from "./report/builder.js";
import {
  type CaptureWarningRecord,
  DEFAULT_MAX_REPORT_FLOWS,
  type FlowRecord,
  type Report,
} from "./report/model.js";

export interface AnalyzeOptions extends Omit<ReadOptions, "onProgress"> {
  /** Told the bytes read so far, the file's size and the packets read, after each read of a plain file. */
  onProgress?: (bytesRead: number, totalBytes: number, packets: number) => void;
  index?: CatalogIndex;
  /** The built-in products behind `index` (`--product`), named in the report unless the default. */
  products?: readonly string[];
  /** Tool version written into the report. */
  version?: string;
  tcpTimeoutMicros?: number;
  udpTimeoutMicros?: number;
  /** How long a closed TCP connection waits for late packets before it ends. */
  closedLingerMicros?: number;
  /** Most flows held in memory at once (`--max-flows`); past it the longest-idle are ended early. */
  maxFlows?: number;
  /** Most fragmented datagrams tracked at once (`--max-fragments`); past it the oldest are dropped. */
  maxFragments?: number;
  /** Bytes reassembled at the start of each direction of a TLS connection (`--max-reassembly`; 0: none). */
  maxReassembly?: number;
  /** Most flows the report lists (`--max-report-flows`); every flow is still counted. */
  maxReportFlows?: number;
  /** Verify TCP/UDP checksums (Zeek's history letter c). Off: offloading hosts write bad ones. */
  checksums?: boolean;
  /**
   * Every packet of the capture was dropped by the capturing host: a
   * `pktmon etl2pcap --drop-only` export, whose pcapng does not say so itself.
   */
  dropped?: boolean;
  /** Where roles and clients live (from `--topology`). */
  topology?: Topology | null;
  /**
   * Told each flow's record as the flow ends (valid after the call: records
   * are plain data). The report then lists no flow; its counts are complete.
   */
  onFlowRecord?: (record: FlowRecord) => void;
  /** Input filters: only the IP packets they keep enter the flow table (`--host`, `--port`, …). */
  filter?: InputFilterSpec | null;
}

/** The drop reason of a `--dropped` capture's packets: the export does not carry pktmon's reason. */
export const DROP_ONLY_EXPORT =
  "dropped by the capturing host (--dropped: a drop-only export, which does not carry the reason)";

/** Warning codes about limits (the tool's own, or the capture's reach: snapshot length, one direction, checksum offload), not damage to the capture (--strict ignores them). */
export const LIMIT_WARNING_CODES: ReadonlySet<string> = new Set([
  "tls_snaplen",
  "one_way_capture",
  "max_flows",
  "max_fragments",
  "max_reassembly",
  "max_report_flows",
  "max_interfaces",
  "max_sign_in_lookups",
  "bad_checksums",
  "dns_snaplen",
]);

/** Unanswered or one-sided flows, with none answered, from which a capture is said to hold one direction only. */
export const ONE_WAY_MIN_FLOWS = 3;

/** How standard input (`-`) is named in reports. */
export const STDIN_LABEL = "(standard input)";

/** Analyses the capture at `path` (`-` for standard input) and returns its report. */
export async function analyzeCapture(path: string, options: AnalyzeOptions = {}): Promise<Report> {
  const index = options.index ?? builtInIndex();
  const builder = new ReportBuilder(
    options.version ?? "0.0.0",
    options.maxReportFlows ?? DEFAULT_MAX_REPORT_FLOWS,
    options.onFlowRecord,
  );
  if (options.products !== undefined && !isDefaultProducts(options.products))
    builder.products = options.products;
  if (options.topology) builder.topology = options.topology;
  const context: ClassifyContext = {
    captureEnd: null,
    topology: options.topology ?? null,
    // OCS 2007 R2 speaks TLS 1.0 by default; newer products' deployments should not.
    tls10Expected: options.products === undefined || options.products.includes(DEFAULT_PRODUCT),
  };
  const table = new FlowTable({
    likelyServerPort: (proto, port) =>
      proto === IPPROTO_TCP
        ? index.isServicePort("tcp", port)
        : proto === IPPROTO_UDP
          ? index.isServicePort("udp", port)
          : false,
    onFinal: (flow) => {
      const c = classifyFlow(flow, index, context);
      builder.add(c);
    },
    ...(options.tcpTimeoutMicros === undefined ? {} : { tcpTimeoutMicros: options.tcpTimeoutMicros }),
    ...(options.udpTimeoutMicros === undefined
      ? {}
      : { udpTimeoutMicros: options.udpTimeoutMicros, otherTimeoutMicros: options.udpTimeoutMicros }),
    ...(options.closedLingerMicros === undefined ? {} : { closedLingerMicros: options.closedLingerMicros }),
    ...(options.maxFlows === undefined ? {} : { maxFlows: options.maxFlows }),
    fragments: new FragmentTracker(options.maxFragments ?? DEFAULT_MAX_DATAGRAMS),
    ...(options.maxReassembly === undefined ? {} : { reassemblyBytes: options.maxReassembly }),
  });
  const pkt = new Packet();
  const filter = options.filter ? new InputFilter(options.filter) : null;
  const checksums = options.checksums === true;
  const counts = new Float64Array(ANOMALY_COUNT);
  const unsupportedLinks = new Map<number, number>();
  // Running totals live in a typed array: doubles in closure variables would
  // be boxed afresh on every packet.
  const totals = new Float64Array(6); // packets, bytes, first, last, bad checksums, the first one's offset
  totals[2] = Number.POSITIVE_INFINITY;
  totals[3] = Number.NEGATIVE_INFINITY;

  const dropped = options.dropped === true;
  const sink = (frame: Frame): void => {
    totals[0]!++;
    // A drop-only export's packet is dropped once, however often pktmon logged it.
    if (dropped && frame.drop === null && !frame.repeat) frame.drop = DROP_ONLY_EXPORT;
    totals[1]! += frame.wireLen;
    const ts = frame.tsMicros;
    if (ts < totals[2]!) totals[2] = ts;
    if (ts > totals[3]!) totals[3] = ts;
    const code = decodeFrame(frame.linkType, frame.buf, frame.offset, frame.capLen, pkt);
    if (code !== Anomaly.OK) {
      counts[code]!++;
      if (code === Anomaly.UNSUPPORTED_LINK_TYPE) {
        unsupportedLinks.set(frame.linkType, (unsupportedLinks.get(frame.linkType) ?? 0) + 1);
      }
      return;
    }
    if (pkt.family === 0) {
      counts[Anomaly.NON_IP]!++;
      return;
    }
    if (filter !== null && !filter.keeps(pkt, frame.tsMicros, frame.wireLen)) return;
    // pktmon logs a packet at every component it passes: count it once, keep its drop.
    if (frame.repeat && table.addRepeat(pkt, frame)) {
      counts[Anomaly.PKTMON_REPEAT]!++;
      return;
    }
    const bad = checksums && badTransportChecksum(frame.buf, pkt, pkt.transportOffset);
    if (bad && totals[4]!++ === 0) totals[5] = frame.fileOffset;
    if (table.add(pkt, frame, bad) < 0) {
      // A later fragment with no datagram to join: under a port or transport
      // filter its first fragment was (most likely) left out, so it is too.
      if (filter?.judgesPorts === true) filter.leaveOut(frame.wireLen);
      else counts[Anomaly.IP_FRAGMENT_UNMATCHED]!++;
    }
  };

  const warnings: CaptureWarningRecord[] = [];
  let reader: CaptureReader | null = null;
  let compressed = false;
  let stopped: CaptureError | null = null;
  try {
    const { onProgress, ...readOptions } = options;
    await readCapture(path, sink, {
      ...readOptions,
      ...(onProgress === undefined
        ? {}
        : { onProgress: (b: number, t: number) => onProgress(b, t, totals[0]!) }),
      onReader: (r, gz) => {
        reader = r;
        compressed = gz;
      },
      onProcesses: (list) => {
        builder.processes = list;
      },
    });
  } catch (err) {
    if (!(err instanceof CaptureError) || !err.afterPackets) throw err;
    stopped = err;
  }

  const [packets = 0, bytes = 0, first = 0, last = 0] = totals;
  // A time window (--until) ends observation where it ends.
  const windowEnd = filter?.windowEnd() ?? null;
  context.captureEnd = packets > 0 ? (windowEnd === null ? last : Math.min(last, windowEnd)) : null;
  table.finish();
  builder.signIn = signInFindings(table.dnsLookups.list());

  const anomalies: Record<string, number> = {};
  const skipped: Record<string, number> = {};
  let malformedPackets = 0;
  let skippedPackets = 0;
  for (let code = 1; code < ANOMALY_COUNT; code++) {
    const n = counts[code]!;
    if (n === 0) continue;
    if (code >= FIRST_SKIP) skippedPackets += n;
    else malformedPackets += n;
    if (code === Anomaly.UNSUPPORTED_LINK_TYPE) continue;
    if (code >= FIRST_SKIP) skipped[ANOMALY_NAMES[code]!] = n;
    else anomalies[ANOMALY_NAMES[code]!] = n;
  }
  for (const [linkType, n] of [...unsupportedLinks].sort((a, b) => a[0] - b[0])) {
    // Network Monitor's records that are not network frames (NetEvent, filter, …) go by their own names.
    skipped[netmonLinkTypeName(linkType) ?? `unsupported_link_type.${linkType}`] = n;
  }
  // `reader` is assigned in a callback, which TypeScript's flow analysis cannot see.
  const r = reader as CaptureReader | null;
  if (r !== null) {
    for (const w of r.warnings) warnings.push({ ...w });
    // Network Monitor records that are not frames at all (Wireshark hides them too): not in `packets`.
    if (r instanceof NetmonReader)
      for (const [name, n] of Object.entries(r.hidden)) skipped[`netmon.${name} (not a frame)`] = n;
    for (const [name, n] of Object.entries(r.anomalies)) {
      if (n > 0) anomalies[`capture.${name}`] = n;
    }
  }
  if (table.evicted.flows > 0) {
    warnings.push({
      code: "max_flows",
      offset: table.evicted.firstOffset,
      message: `more than ${options.maxFlows ?? DEFAULT_MAX_FLOWS} flows were active at once (--max-flows); ${table.evicted.flows} of the longest-idle flows were ended early, so a flow that went on may appear twice, and its verdict may rest on part of its packets`,
    });
  }
  if (table.fragments.evicted > 0) {
    warnings.push({
      code: "max_fragments",
      offset: Math.max(0, table.fragments.firstEvictedOffset),
      message: `more than ${options.maxFragments ?? DEFAULT_MAX_DATAGRAMS} fragmented datagrams were open at once (--max-fragments); ${table.fragments.evicted} were forgotten, so their later fragments are counted under "Not analysed" (ip_fragment_unmatched) instead of in their flows`,
    });
  }
  if (table.reassembler.starved.streams > 0) {
    warnings.push({
      code: "max_reassembly",
      offset: table.reassembler.starved.firstOffset,
      message: `TLS handshakes and DNS over TCP being read held ${DEFAULT_REASSEMBLY_BUDGET / (1 << 20)} MiB at once; ${table.reassembler.starved.streams} stream${table.reassembler.starved.streams === 1 ? "" : "s"} were not read further, so their TLS findings may be missing`,
    });
  }
  const { untracked } = table.dnsLookups;
  if (untracked > 0) {
    warnings.push({
      code: "max_sign_in_lookups",
      offset: 0,
      message: `the capture holds more than ${MAX_LOOKUPS} DNS lookups of sign-in names and SRV targets (a name asked by one client); ${untracked} lookup message${untracked === 1 ? " of the others was" : "s of the others were"} not kept, so sign-in discovery judges the first ${MAX_LOOKUPS} lookups only`,
    });
  }
  const badChecksums = totals[4]!;
  if (badChecksums > 0) {
    warnings.push({
      code: "bad_checksums",
      offset: totals[5]!,
      message: `${badChecksums} TCP/UDP packet${badChecksums === 1 ? " has" : "s have"} a bad checksum (--checksums; history letter c; the first at this offset): a host that offloads checksums to its NIC captures its own packets before the NIC fills them in, so on the capturing host's own traffic this is usually harmless; elsewhere it is damage on the path`,
    });
  }
  const dnsCut = table.dnsCut;
  if (dnsCut.frames > 0) {
    warnings.push({
      code: "dns_snaplen",
      offset: dnsCut.firstOffset,
      message: `the capture's snapshot length cut ${dnsCut.frames} DNS packet${dnsCut.frames === 1 ? "" : "s"} (port 53) short (the frame at this offset is the first): an answer cut before its records counts as no answer, so sign-in discovery may say unanswered where the server answered (capture again with tcpdump -s 0 or dumpcap's default)`,
    });
  }
  const cut = table.reassembler.cut;
  if (cut.streams > 0) {
    warnings.push({
      code: "tls_snaplen",
      offset: cut.firstOffset,
      message: `the capture's snapshot length cut ${cut.streams} TLS stream${cut.streams === 1 ? "" : "s"} short (the frame at this offset is the first): their handshakes were read up to the cut, so their TLS findings may be missing (capture again with tcpdump -s 0 or dumpcap's default)`,
    });
  }
  // No flow got a packet back, over several unanswered ones: the capture saw one direction (a
  // one-way SPAN or tap, a capture filter), so "no reply" may be a reply it missed.
  const { bothWays, missing, oneSided } = builder.replies;
  // Not with input filters: the flows they leave out may be the two-way ones.
  if (filter === null && bothWays === 0 && missing > 0 && missing + oneSided >= ONE_WAY_MIN_FLOWS) {
    warnings.push({
      code: "one_way_capture",
      offset: 0,
      message: `no flow of this capture has packets in both directions: ${missing} flow${missing === 1 ? "'s findings rest" : "s' findings rest"} on a reply that never came (syn_no_reply, udp_no_reply, one_way_media)${oneSided > 0 ? `, and ${oneSided} were seen from one side only (one_sided_capture)` : ""}. The capture may hold one direction only (a one-way SPAN port or tap, a capture filter), so those replies may have been sent and not captured; capture where both directions pass`,
    });
  }
  // Every packet skipped or malformed: a link layer or encapsulation hiding IP reads as an empty,
  // healthy capture otherwise (and --fail-on would pass it).
  if (malformedPackets + skippedPackets === packets) {
    // The commonest reason among those counted in `packets` (not a reader's records that are no frames).
    let most = "";
    let n = 0;
    for (let code = 1; code < ANOMALY_COUNT; code++)
      if (code !== Anomaly.UNSUPPORTED_LINK_TYPE && counts[code]! > n)
        [most, n] = [ANOMALY_NAMES[code]!, counts[code]!];
    for (const [linkType, c] of unsupportedLinks)
      if (c > n) [most, n] = [netmonLinkTypeName(linkType) ?? `unsupported_link_type.${linkType}`, c];
    warnings.push({
      code: "nothing_analysed",
      offset: 0,
      message:
        packets === 0
          ? "the capture holds no packet, so the report has no flow to judge (a capture stopped before its first packet, or a capture filter that matched nothing)"
          : `none of the capture's ${packets} packet${packets === 1 ? " was" : "s were"} analysed (the most: ${n} ${most}), so the report has no flow to judge; if the capture holds IP traffic, its link layer or encapsulation is one ocs-pcap does not read (tshark -r FILE -q -z io,phs shows the protocols)`,
    });
  }
  const { known: unlistedKnown, other: unlistedOther } = builder.unlisted;
  if (unlistedKnown + unlistedOther > 0) {
    const limit = options.maxReportFlows ?? DEFAULT_MAX_REPORT_FLOWS;
    warnings.push({
      code: "max_report_flows",
      offset: 0,
      message: `the report lists at most ${limit} flow${limit === 1 ? "" : "s"} (--max-report-flows); ${unlistedKnown + unlistedOther} more (${unlistedKnown} known, ${unlistedOther} other) are counted in the summary, roles and blocked groups but not listed; flows other than known ones were listed first`,
    });
  }
  if (stopped) {
    warnings.push({
      code: "unreadable_record",
      offset: stopped.offset,
      message: `${stopped.message}; reading stopped there`,
    });
  }

  return builder.finish({
    path: path === "-" ? STDIN_LABEL : path,
    format: `${r?.format ?? "pcap"}${compressed ? ".gz" : ""}`,
    linkTypes: r ? [...new Set(r.linkTypes().map((t) => netmonLinkTypeName(t) ?? linkTypeName(t)))] : [],
    packets,
    bytes,
    firstSeen: packets > 0 ? isoMicros(first) : null,
    lastSeen: packets > 0 ? isoMicros(last) : null,
    anomalies,
    skipped,
    accounting: {
      inFlows: builder.packets.inFlows,
      icmpEvidence: builder.packets.icmpEvidence,
      malformed: malformedPackets,
      skipped: skippedPackets,
      ...(filter === null ? {} : { filteredOut: filter.packetsOut }),
    },
    ...(filter === null
      ? {}
      : {
          filter: {
            description: filter.spec.description,
            packets: filter.packetsOut,
            bytes: filter.bytesOut,
          },
        }),
    warnings,
  });
}
