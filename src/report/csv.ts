/**
 * CSV renderer for spreadsheets: one row per flow (RFC 4180, CRLF line
 * ends) with its capture, the same columns for one capture or a batch,
 * every text field defused against formula injection.
 */

import { isoMicros } from "../format.js";
import { escapeCsv as c } from "./escape.js";
import { flowFilter } from "./filter.js";
import { processLabel, type Report } from "./model.js";
import { reasonText } from "./reason-text.js";

const HEADER = [
  "id",
  "capture",
  "verdict",
  "transport",
  "client_ip",
  "client_port",
  "server_ip",
  "server_port",
  "application",
  "confidence",
  "sni",
  "roles",
  "state",
  "history",
  "packets_from_client",
  "packets_from_server",
  "bytes_from_client",
  "bytes_from_server",
  "first_seen",
  "last_seen",
  "first_frame",
  "filter",
  "reason_codes",
  "reasons",
  "process",
];

/** The header line, the same for one capture and for a batch. */
export const CSV_HEADER = `${HEADER.join(",")}\r\n`;

export function* renderCsv(report: Report, withHeader = true): Generator<string> {
  if (withHeader) yield CSV_HEADER;
  let batch = "";
  for (const f of report.flows) {
    batch += `${[
      f.id,
      c(report.capture.path),
      f.verdict,
      c(f.transport),
      c(f.clientIp),
      c(f.clientPort),
      c(f.serverIp),
      c(f.serverPort),
      c(f.application.protocol),
      f.application.confidence,
      c(f.application.sni ?? null),
      c([...new Set(f.roles.map((r) => r.role))].join("; ")),
      f.state,
      c(f.history),
      f.packetsFromClient,
      f.packetsFromServer,
      f.bytesFromClient,
      f.bytesFromServer,
      isoMicros(f.firstSeen),
      isoMicros(f.lastSeen),
      f.firstFrame,
      c(flowFilter(f)),
      c(f.reasons.map((r) => r.code).join(" ")),
      c(f.reasons.map((r) => reasonText(r)).join("; ")),
      c(f.process === undefined ? null : processLabel(f.process)),
    ].join(",")}\r\n`;
    if (batch.length > 32_768) {
      yield batch;
      batch = "";
    }
  }
  if (batch) yield batch;
}
