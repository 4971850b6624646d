/**
 * Reads a saved JSON report for `summarize` without one giant string, so
 * any report `analyze` can write can be read back (V8 strings stop near
 * 512 MB). The JSON renderer writes the report's head indented, then
 * `  "flows": [` and one flow per line; this reader takes that layout line
 * by line. Anything else (a report reformatted by another tool) is parsed
 * whole, when it is small enough for that.
 */
import { createReadStream, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { InputError } from "../capture/source.js";

/** Reports up to this size may be parsed as one string when they are not in the renderer's layout. */
const WHOLE_LIMIT = 256 * 1024 * 1024;

/** A saved report's text did not parse: the message names the line. */
export class SavedReportError extends Error {}

export async function readSavedReport(path: string): Promise<unknown> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      code === "ENOENT" ? "cannot open: no such file" : `cannot read: ${String(err)}`,
      path,
    );
  }
  if (statSync(path).isDirectory()) throw new InputError("is a directory, not a report", path);
  const head: string[] = [];
  const flows: unknown[] = [];
  let state: "head" | "flows" | "tail" = "head";
  let line = 0;
  try {
    const lines = createInterface({
      input: createReadStream(path, { encoding: "utf8" }),
      crlfDelay: Infinity,
    });
    for await (const text of lines) {
      line++;
      if (state === "head") {
        if (/^ {2}"flows": \[\]$/.test(text)) {
          state = "tail";
          head.push('  "flows": []');
        } else if (/^ {2}"flows": \[$/.test(text)) {
          state = "flows";
          head.push('  "flows": []');
        } else {
          head.push(text);
        }
      } else if (state === "flows") {
        const t = text.trim();
        if (t === "]") {
          state = "tail";
          continue;
        }
        const body = t.endsWith(",") ? t.slice(0, -1) : t.endsWith("]") ? t.slice(0, -1).trimEnd() : t;
        try {
          flows.push(JSON.parse(body));
        } catch (err) {
          throw new SavedReportError(`line ${line}: ${err instanceof Error ? err.message : String(err)}`);
        }
        if (t.endsWith("]")) state = "tail";
      } else {
        head.push(text);
      }
    }
  } catch (err) {
    if (err instanceof SavedReportError) throw err;
    throw new InputError(`cannot read: ${err instanceof Error ? err.message : String(err)}`, path);
  }
  if (state !== "head") {
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(head.join("\n")) as Record<string, unknown>;
    } catch (err) {
      throw new SavedReportError(err instanceof Error ? err.message : String(err));
    }
    if (typeof data === "object" && data !== null) data.flows = flows;
    return data;
  }
  // Not the renderer's layout: the whole text, when it is small enough to be one string.
  if (size > WHOLE_LIMIT) {
    throw new SavedReportError(
      `not in ocs-pcap's one-flow-per-line layout, and too large (${size} bytes) to read as one piece`,
    );
  }
  const text = head.join("\n");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SavedReportError(err instanceof Error ? err.message : String(err));
  }
}
