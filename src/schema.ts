/**
 * JSON Schema checks for the files users hand in (catalogs, expectations,
 * saved reports). Ajv is loaded and each schema compiled on first use:
 * together about 75 ms that every run, and every batch worker, would
 * otherwise pay at start-up without reading any such file.
 */
import { createRequire } from "node:module";
import type { Options, ValidateFunction } from "ajv";

const requireCjs = createRequire(import.meta.url);

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

  /** What the last `check` found wrong, as "path: message", at most `limit` of them. */
  problems(limit: number): string[] {
    return (this.validator().errors ?? [])
      .slice(0, limit)
      .map((e) => `${e.instancePath || "/"}: ${e.message ?? "invalid"}`);
  }

  private validator(): ValidateFunction<T> {
    if (this.compiled === null) {
      const { Ajv } = requireCjs("ajv") as typeof import("ajv");
      this.compiled = new Ajv({ allErrors: true, ...this.options }).compile<T>(this.schema);
    }
    return this.compiled;
  }
}
