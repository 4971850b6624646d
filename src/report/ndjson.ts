/**
 * Newline-delimited JSON: one self-contained object per line, as Suricata's
 * eve.json and Zeek's JSON logs give them, for `jq`, Filebeat, Elastic,
 * Splunk and Loki. Each flow is a `{"type":"flow",…}` line (the flow as in
 * report@1, plus `capture` and a stable `uid`), and each capture ends with
 * one `{"type":"capture",…}` line holding its facts and summary. The lines'
 * JSON Schema is ndjson.schema.json, exported here as NDJSON_SCHEMA.
 */

import type { Application } from "../classify/classify.js";
import { flowJson } from "./json.js";
import type { FlowRecord, Report, RoleRef } from "./model.js";
import schema from "./ndjson.schema.json" with { type: "json" };
import { zeekUid } from "./zeek.js";

/** The JSON Schema every line meets (published with the build, beside report.schema.json). */
export const NDJSON_SCHEMA: object = schema;

/** Every capture's flow lines, then its capture line. */
export function* renderNdjson(reports: readonly Report[]): Generator<string> {
  const roleText = new Map<readonly RoleRef[], string>();
  const appText = new Map<Application, string>();
  for (const r of reports) {
    const capture = JSON.stringify(r.capture.path);
    let batch = "";
    for (const f of r.flows) {
      batch += `${flowLine(capture, r.capture.path, f, roleText, appText)}\n`;
      if (batch.length > 32_768) {
        yield batch;
        batch = "";
      }
    }
    const { path, ...facts } = r.capture;
    batch += `${JSON.stringify({ type: "capture", capture: path, tool: r.tool, ...facts, summary: r.summary })}\n`;
    yield batch;
  }
}

function flowLine(
  captureJson: string,
  capture: string,
  f: FlowRecord,
  roleText: Map<readonly RoleRef[], string>,
  appText: Map<Application, string>,
): string {
  return flowJson(
    f,
    roleText,
    appText,
    `"type":"flow","capture":${captureJson},"uid":"${zeekUid(capture, f)}",`,
  );
}
