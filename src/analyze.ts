/**
 * Composition root: wires capture → decode → flow → classify into one
 * streaming pass and hands the result to the report stage. It owns no logic
 * of its own beyond counting.
 */

import { type CaptureReader, type ReadOptions, readCapture } from "./capture/source.js";
import { CaptureError, type Frame } from "./capture/types.js";
import { CatalogIndex } from "./catalog/index.js";
import { type Classified, classifyFlow } from "./classify/classify.js";
import { ANOMALY_COUNT, ANOMALY_NAMES, Anomaly, FIRST_SKIP } from "./decode/anomaly.js";
import { decodeFrame } from "./decode/frame.js";
import { linkTypeName } from "./decode/link.js";
import { IPPROTO_TCP, IPPROTO_UDP, Packet } from "./decode/packet.js";
import { FlowTable } from "./flow/table.js";
import type { AnalysisResult, CaptureWarningRecord } from "./report/model.js";

export interface AnalyzeOptions extends ReadOptions {
  index?: CatalogIndex;
}

/** How standard input (`-`) is named in reports. */
export const STDIN_LABEL = "(standard input)";

let defaultIndex: CatalogIndex | null = null;

function builtInIndex(): CatalogIndex {
  if (defaultIndex === null) defaultIndex = new CatalogIndex();
  return defaultIndex;
}

/** Analyses the capture at `path` (`-` for standard input). */
export async function analyzeCapture(path: string, options: AnalyzeOptions = {}): Promise<AnalysisResult> {
  const index = options.index ?? builtInIndex();
  const table = new FlowTable((proto, port) =>
    proto === IPPROTO_TCP
      ? index.isServicePort("tcp", port)
      : proto === IPPROTO_UDP
        ? index.isServicePort("udp", port)
        : false,
  );
  const pkt = new Packet();
  const counts = new Float64Array(ANOMALY_COUNT);
  const unsupportedLinks = new Map<number, number>();
  // Running totals live in a typed array: doubles in closure variables would
  // be boxed afresh on every packet.
  const totals = new Float64Array(4); // packets, bytes, first, last
  totals[2] = Number.POSITIVE_INFINITY;
  totals[3] = Number.NEGATIVE_INFINITY;

  const sink = (frame: Frame): void => {
    totals[0]!++;
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
    if (pkt.family === 0) return;
    if (table.add(pkt, frame) < 0) counts[Anomaly.IP_FRAGMENT_UNMATCHED]!++;
  };

  const warnings: CaptureWarningRecord[] = [];
  let reader: CaptureReader | null = null;
  let compressed = false;
  let stopped: CaptureError | null = null;
  try {
    await readCapture(path, sink, {
      ...options,
      onReader: (r, gz) => {
        reader = r;
        compressed = gz;
      },
    });
  } catch (err) {
    if (!(err instanceof CaptureError) || !err.afterPackets) throw err;
    stopped = err;
  }

  const anomalies: Record<string, number> = {};
  const skipped: Record<string, number> = {};
  for (let code = 1; code < ANOMALY_COUNT; code++) {
    const n = counts[code]!;
    if (n === 0) continue;
    if (code === Anomaly.UNSUPPORTED_LINK_TYPE) continue;
    if (code >= FIRST_SKIP) skipped[ANOMALY_NAMES[code]!] = n;
    else anomalies[ANOMALY_NAMES[code]!] = n;
  }
  for (const [linkType, n] of [...unsupportedLinks].sort((a, b) => a[0] - b[0])) {
    skipped[`unsupported_link_type.${linkType}`] = n;
  }
  // `reader` is assigned in a callback, which TypeScript's flow analysis cannot see.
  const r = reader as CaptureReader | null;
  if (r !== null) {
    for (const w of r.warnings) warnings.push({ ...w });
    for (const [name, n] of Object.entries(r.anomalies)) {
      if (n > 0) anomalies[`capture.${name}`] = n;
    }
  }

  if (stopped) {
    warnings.push({
      code: "unreadable_record",
      offset: stopped.offset,
      message: `${stopped.message}; reading stopped there`,
    });
  }

  const [packets = 0, bytes = 0, first = 0, last = 0] = totals;
  return {
    path: path === "-" ? STDIN_LABEL : path,
    format: `${r?.format ?? "pcap"}${compressed ? ".gz" : ""}`,
    linkTypes: r ? [...new Set(r.linkTypes().map(linkTypeName))] : [],
    packets,
    bytes,
    firstMicros: packets > 0 ? first : null,
    lastMicros: packets > 0 ? last : null,
    anomalies,
    skipped,
    warnings,
    flowCount: table.size,
    classified: classifyAll(table, index),
  };
}

function* classifyAll(table: FlowTable, index: CatalogIndex): Generator<Classified> {
  for (const flow of table.inOrder()) yield classifyFlow(flow, index);
}
