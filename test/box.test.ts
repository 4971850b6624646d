/**
 * The `catalog` commands' box tables (src/report/box.ts): the same text as
 * cli-table3 drew (kept as a development dependency, the oracle, as
 * pcap-parser is for the capture reader), wrapping that loses nothing, and a
 * time linear in the text (cli-table3 took seconds for a product catalog).
 */
import Table from "cli-table3";
import fc from "fast-check";
import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { diffCatalogs } from "../src/catalog/diff.js";
import { DEFAULT_PRODUCT, PRODUCTS, productCatalog } from "../src/catalog/products.js";
import { boxTable, wrapCell } from "../src/report/box.js";
import { renderCatalogDiffTable, renderCatalogTable } from "../src/report/catalog.js";

/** What cli-table3 draws for the same cells, given widths that hold every line (text width + 2). */
function cliTable3(head: string[], rows: string[][], widths: (number | null)[]): string {
  const t = new Table({
    head,
    style: { head: [], border: [] },
    colWidths: widths.map((w) => (w === null ? null : w + 2)),
  });
  t.push(...rows);
  return t.toString();
}

describe("boxTable", () => {
  it("draws what cli-table3 draws: auto and fixed widths, multi-line cells, empty cells", () => {
    const head = ["Row", "Role", "Notes"];
    const rows = [
      ["1", "Front End Servers", wrapCell("a flow on 5061 from a client\nnote: TLS only", 16)],
      ["22", "", "-"],
      ["3", "Edge → Director (über)", wrapCell("x", 16)],
    ];
    expect(boxTable(head, rows, [null, null, 16])).toBe(cliTable3(head, rows, [null, null, 16]));
  });

  it("renders OCS 2007 R2's catalog and a catalog diff exactly as cli-table3 did", () => {
    const ocs = productCatalog([DEFAULT_PRODUCT]);
    const table = renderCatalogTable(ocs, "t");
    const [, ...body] = table.trimEnd().split("\n");
    // Rebuild the oracle from the same wrapped cells the renderer drew.
    const cells = (line: string) =>
      line
        .slice(1, -1)
        .split("│")
        .map((c) => c.slice(1, -1).trimEnd());
    const heads: string[][] = [];
    const rows: string[][][] = [];
    for (const line of body) {
      if (line.startsWith("│")) (rows.length === 0 ? heads : rows[rows.length - 1]!).push(cells(line));
      else if (line.startsWith("├")) rows.push([]);
    }
    const join = (lines: string[][]) =>
      lines[0]!.map((_, i) =>
        lines
          .map((l) => l[i]!)
          .join("\n")
          .trimEnd(),
      );
    expect(rows.length).toBe(ocs.length);
    const oracle = cliTable3(join(heads), rows.map(join), [null, 28, null, null, null, null, null, 54]);
    expect(body.join("\n")).toBe(oracle);
    const diff = renderCatalogDiffTable(diffCatalogs(ocs, productCatalog(["sfb2019"])), "a", "b");
    for (const line of diff.trimEnd().split("\n").slice(1))
      expect(line.length).toBe(diff.split("\n")[1]!.length);
  });

  for (const name of PRODUCTS.keys())
    it(`${name}: every line of the catalog table is as wide as the rule, and no word is cut`, () => {
      const entries = productCatalog([name]);
      const lines = renderCatalogTable(entries, "t").trimEnd().split("\n").slice(1);
      for (const line of lines) expect(line.length, line).toBe(lines[0]!.length);
      const text = lines.join(" ");
      expect(text).not.toContain("…");
      const words = new Set(text.split(/[│\s/-]+/));
      for (const e of entries)
        for (const word of `${e.role} ${e.description} ${e.notes.join(" ")}`.split(/[\s/-]+/))
          if (word.length > 0 && /^[\x20-\x7e]+$/.test(word)) expect(words.has(word), word).toBe(true);
    });

  it("lync2013's long word is kept whole, broken after a slash", () => {
    const text = renderCatalogTable(productCatalog(["lync2013"]), "t");
    expect(text).toContain("ClientAudioPort/ClientVideoPort/ClientAppSharingPort/  │");
    expect(text).toContain("│ ClientFileTransferPort say");
  });
});

describe("wrapCell", () => {
  const cases: [string, number, string][] = [
    ["", 10, ""],
    ["one two three", 7, "one two\nthree"],
    ["one\ntwo three", 20, "one\ntwo three"],
    ["abcdefghijkl", 5, "abcde\nfghij\nkl"],
    ["see a/b/c/d", 6, "see\na/b/c/\nd"],
    ["x aaaa-bbbb", 8, "x\naaaa-\nbbbb"],
    ["ab-cdefg", 5, "ab-\ncdefg"],
    ["abcd-efgh", 5, "abcd-\nefgh"],
    ["abcdéfgh", 4, "abcd\néfgh"],
    ["漢字漢字漢", 4, "漢字\n漢字\n漢"],
    ["a😀😀😀", 4, "a😀\n😀😀"],
    ["👨‍👩‍👧‍👦👨‍👩‍👧‍👦👨‍👩‍👧‍👦", 4, "👨‍👩‍👧‍👦👨‍👩‍👧‍👦\n👨‍👩‍👧‍👦"],
    ["x ab-漢字", 5, "x\nab-\n漢字"],
    ["exactly ten", 11, "exactly ten"],
  ];
  for (const [text, width, want] of cases)
    it(`${JSON.stringify(text)} at ${width}`, () => expect(wrapCell(text, width)).toBe(want));

  it("reads long words a slice at a time without splitting a character at a slice's edge", () => {
    const cases = [
      `${"x".repeat(255)}😀${"y".repeat(300)}`,
      `${"漢".repeat(254)}👨‍👩‍👧‍👦${"z".repeat(10)}`,
      `ab${"e\u0301".repeat(200)}c${"\u0301".repeat(600)}d`,
    ];
    for (const text of cases) {
      const lines = wrapCell(text, 40).split("\n");
      expect(lines.join("")).toBe(text);
      for (const line of lines) {
        expect(stringWidth(line)).toBeLessThanOrEqual(40);
        expect(line).not.toMatch(/^(?:\u0301|\u200d|[\uDC00-\uDFFF])/);
      }
    }
  });

  it("never makes a line wider than the width, and loses no character but the spaces it breaks at", () => {
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom(
            "a",
            "b",
            " ",
            "/",
            "-",
            "\n",
            "xyzxyzxyz",
            "漢",
            "😀",
            "e\u0301",
            "👨‍👩‍👧‍👦",
            "한",
          ),
          { maxLength: 60 },
        ),
        fc.integer({ min: 2, max: 30 }),
        (parts, width) => {
          const text = parts.join("");
          const out = wrapCell(text, width);
          for (const line of out.split("\n")) expect(stringWidth(line), line).toBeLessThanOrEqual(width);
          expect(out).not.toMatch(lone);
          expect(out.replace(/\s+/g, "")).toBe(text.replace(/\s+/g, ""));
        },
      ),
      { numRuns: 500 },
    );
  });
});
