/**
 * Newline-delimited JSON: one self-contained object per line, as Suricata's
 * eve.json and Zeek's JSON logs give them, for `jq`, Filebeat, Elastic,
 * Splunk and Loki. Each flow is a `{"type":"flow",…}` line (the flow as in
 * report@1, plus `capture` and a stable `uid`), and each capture ends with
 * one `{"type":"capture",…}` line holding its facts and summary; a capture
 * that could not be read is one `{"type":"unreadable",…}` line. The lines'
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
  const lines = new NdjsonLines();
  for (const r of reports) {
    let batch = "";
    for (const f of r.flows) {
      batch += lines.flow(r.capture.path, f);
      if (batch.length > 32_768) {
        yield batch;
        batch = "";
      }
    }
    batch += lines.capture(r);
    yield batch;
  }
}

/**
 * The lines of one stream, each ending in a newline. Role lists and
 * applications shared between flows are serialized once per stream.
 */
export class NdjsonLines {
  private readonly roleText = new Map<readonly RoleRef[], string>();
  private readonly appText = new Map<Application, string>();
  private lastCapture = "";
  private lastCaptureJson = '""';

  /**
   * A flow's line; `capture` is the path the report shows (redacted when the run is). Its filter
   * names the 5-tuple without frame bounds, streamed or not: a line is written as its flow ends,
   * before a later flow on the same 5-tuple is known (the JSON report bounds each part).
   */
  flow(capture: string, f: FlowRecord): string {
    if (capture !== this.lastCapture) {
      this.lastCapture = capture;
      this.lastCaptureJson = JSON.stringify(capture);
    }
    return `${flowJson(f.frames === undefined ? f : unbounded(f), this.roleText, this.appText, `"type":"flow","capture":${this.lastCaptureJson},"uid":"${zeekUid(capture, f)}",`)}\n`;
  }

  /** A capture that could not be read: its line, in its place among the captures. */
  unreadable(capture: string, error: string): string {
    return `${JSON.stringify({ type: "unreadable", capture, error })}\n`;
  }

  /** A capture's closing line: its facts and summary. */
  capture(r: Report): string {
    const { path, ...facts } = r.capture;
    return `${JSON.stringify({ type: "capture", capture: path, tool: r.tool, ...facts, summary: r.summary })}\n`;
  }
}

/** A record without its frame bounds (a copy made only for the few flows that have them). */
function unbounded(f: FlowRecord): FlowRecord {
  const { frames: _, ...rest } = f;
  return rest;
}
