/**
 * JSON Schema checks for the files users hand in (catalogs, expectations,
 * saved reports), and the one way their problems are told: the property
 * named, the allowed values listed, and for a settings file the line and
 * column (`SettingsDocument` keeps YAML's source positions). Ajv is loaded
 * and each schema compiled on first use: together about 75 ms that every
 * run, and every batch worker, would otherwise pay at start-up without
 * reading any such file.
 */
import { createRequire } from "node:module";
import type { ErrorObject, Options, ValidateFunction } from "ajv";
import type { LineCounter, Node, Pair } from "yaml";

const requireCjs = createRequire(import.meta.url);

let yamlModule: typeof import("yaml") | null = null;

/**
 * The yaml package, loaded on first use: its 70-odd modules cost every run and
 * every batch worker about 50 ms and a megabyte of heap at start-up, and only
 * settings and topology files need them.
 */
export function yaml(): typeof import("yaml") {
  yamlModule ??= requireCjs("yaml") as typeof import("yaml");
  return yamlModule;
}

export class LazySchema<T> {
  private compiled: ValidateFunction<T> | null = null;

  constructor(
    private readonly schema: object,
    private readonly options: Options = {},
  ) {}

  /** Whether `data` matches the schema. */
  check(data: unknown): data is T {
    return this.validator()(data);
  }

  /**
   * What the last `check` found wrong, at most `limit` of them: "path:
   * message" naming the property and the allowed values, after "line L,
   * column C: " when `doc` can place it.
   */
  problems(limit: number, doc?: SettingsDocument): string[] {
    return (this.validator().errors ?? []).slice(0, limit).map((e) => {
      const path = pointerPath(e.instancePath);
      const extra = e.keyword === "additionalProperties" ? String(e.params.additionalProperty) : undefined;
      const at = doc?.position(path, extra);
      return `${at ? `line ${at.line}, column ${at.column}: ` : ""}${e.instancePath || "/"}: ${describe(e)}`;
    });
  }

  private validator(): ValidateFunction<T> {
    if (this.compiled === null) {
      const { Ajv } = requireCjs("ajv") as typeof import("ajv");
      // verbose: errors carry their schema, so an unknown property's message can list the known ones.
      this.compiled = new Ajv({ allErrors: true, verbose: true, ...this.options }).compile<T>(this.schema);
    }
    return this.compiled;
  }
}

/** An Ajv error in words, with its parameters: the property, the allowed values. */
function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "additionalProperties": {
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return `unknown property "${String(p.additionalProperty)}"${known.length > 0 ? ` (allowed: ${known.join(", ")})` : ""}`;
    }
    case "required":
      return `missing property "${String(p.missingProperty)}"`;
    case "enum":
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "const":
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case "type":
      return `must be ${String(p.type)}`;
    default:
      return e.message ?? "invalid";
  }
}

/** "/expect/0/port" → ["expect", 0, "port"] (RFC 6901 escapes undone). */
function pointerPath(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((t) => (/^\d+$/.test(t) ? Number(t) : t));
}

/** A settings file that does not parse as YAML (JSON is YAML): the message, line and column. */
export class SettingsSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

/** A settings file parsed as YAML (JSON is YAML), with each value's line and column. */
export class SettingsDocument {
  private constructor(
    readonly data: unknown,
    private readonly root: unknown,
    private readonly lines: LineCounter,
  ) {}

  /** Parses `text`; throws SettingsSyntaxError. */
  static parse(text: string): SettingsDocument {
    const { LineCounter, parseDocument } = yaml();
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
    const e = doc.errors[0];
    if (e !== undefined) {
      // The error's own offset (linePos is not set without prettyErrors).
      const pos = lines.linePos(e.pos[0]);
      throw new SettingsSyntaxError(e.message.split("\n")[0] ?? "invalid", pos.line, pos.col);
    }
    return new SettingsDocument(doc.toJS(), doc.contents, lines);
  }

  /**
   * Where the value at `path` starts (1-based line and column), or, with
   * `key`, where that key of the mapping at `path` is written; null when the
   * path is not in the document.
   */
  position(path: readonly (string | number)[], key?: string): { line: number; column: number } | null {
    const { isMap, isSeq } = yaml();
    let node: unknown = this.root;
    for (const step of path) {
      if (isMap(node)) {
        const pair = (node.items as Pair[]).find((x) => scalarValue(x.key) === String(step));
        if (pair === undefined) return this.at(node);
        node = pair.value;
      } else if (isSeq(node) && typeof step === "number" && step < node.items.length) {
        node = node.items[step];
      } else {
        return this.at(node);
      }
    }
    if (key !== undefined && isMap(node)) {
      const pair = (node.items as Pair[]).find((x) => scalarValue(x.key) === key);
      if (pair !== undefined) return this.at(pair.key);
    }
    return this.at(node);
  }

  /** The 1-based line of an item of the sequence at `path`. */
  line(path: readonly (string | number)[]): number {
    return this.position(path)?.line ?? 1;
  }

  private at(node: unknown): { line: number; column: number } | null {
    const range = (node as Node | null | undefined)?.range;
    if (range === undefined || range === null) return null;
    const { line, col } = this.lines.linePos(range[0]);
    return { line, column: col };
  }
}

function scalarValue(node: unknown): string | null {
  const v = (node as { value?: unknown } | null)?.value;
  return v === undefined || v === null ? null : String(v);
}
