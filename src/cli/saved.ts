/**
 * Reads a saved JSON report for `summarize` without one giant string, so
 * any report `analyze` can write can be read back (V8 strings stop near
 * 512 MB). The JSON renderer writes the report's head indented, then
 * `  "flows": [` and one flow per line; this reader takes that layout line
 * by line. Anything else (a report reformatted by another tool) is parsed
 * whole, when it is small enough for that.
 */
import { createReadStream, readFileSync, statSync } from "node:fs";
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
    if (!(err instanceof SavedReportError)) {
      throw new InputError(`cannot read: ${err instanceof Error ? err.message : String(err)}`, path);
    }
    // A report reformatted by another tool (`jq .`, JSON.stringify(r, null, 2))
    // also has a `  "flows": [` line, but its flows span many lines.
    if (size > WHOLE_LIMIT) throw err;
    try {
      return parseWhole(readText(path));
    } catch (whole) {
      // After flows that parsed line by line, the layout is ours and the line that broke is the news.
      throw flows.length > 0 ? err : whole;
    }
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
  return parseWhole(head.join("\n"));
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new InputError(`cannot read: ${err instanceof Error ? err.message : String(err)}`, path);
  }
}

/** JSON.parse, with the line of the error named (V8 gives only a character position). */
function parseWhole(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const at = /at position (\d+)/.exec(message);
    if (at === null) throw new SavedReportError(message);
    let line = 1;
    const end = Math.min(Number(at[1]), text.length);
    for (let i = text.indexOf("\n"); i >= 0 && i < end; i = text.indexOf("\n", i + 1)) line++;
    throw new SavedReportError(`line ${line}: ${message}`);
  }
}
