/**
 * Box-drawn text tables for the `catalog` commands: a head row and body rows,
 * every cell one or more lines, each column as wide as its widest line (or a
 * fixed width, its text wrapped to fit), ruled between rows, as
 * cli-table3 drew them. Linear in the text: cli-table3 re-measured a cell's
 * whole text for every line it drew and every character it cut, which took
 * seconds for a product catalog's notes.
 */
import { createRequire } from "node:module";

const requireCjs = createRequire(import.meta.url);

/** Terminal columns of a line (string-width: wide East Asian characters take two), loaded on first use. */
let measure: ((s: string) => number) | null = null;
function columns(line: string): number {
  measure ??= requireCjs("string-width") as (s: string) => number;
  return measure(line);
}

/** Grapheme clusters (Unicode's user-perceived characters): a line is never broken inside one. */
const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

/**
 * A cell's text wrapped to `width` terminal columns: greedy at spaces, each
 * line of the text on its own; a word wider than the width is broken after
 * the last "/" or "-" that fits, else where the width ends, and only between
 * whole characters (grapheme clusters: an emoji or a letter with its accents
 * stays whole), so nothing is cut off. One pass over each long word.
 */
export function wrapCell(text: string, width: number): string {
  const out: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    let used = 0;
    let started = false;
    for (const word of paragraph.split(" ")) {
      const cols = columns(word);
      if (started && used + 1 + cols <= width) {
        line += ` ${word}`;
        used += 1 + cols;
        continue;
      }
      if (started) out.push(line);
      started = true;
      line = word;
      used = cols;
      if (cols > width) {
        const pieces = breakWord(word, width);
        line = pieces.pop()!;
        used = columns(line);
        out.push(...pieces);
      }
    }
    out.push(line);
  }
  return out.join("\n");
}

/** A word wider than `width` in pieces that fit, each ending after its last "/" or "-" where there is one. */
function breakWord(word: string, width: number): string[] {
  const pieces: string[] = [];
  let start = 0; // where the current piece starts in the word
  let used = 0; // its columns so far
  let cut = -1; // just after its last "/" or "-", and its columns up to there
  let usedAtCut = 0;
  for (const [segment, index] of clusters(word)) {
    const w = graphemeColumns(segment);
    while (used + w > width && index > start) {
      if (cut > start) {
        pieces.push(word.slice(start, cut));
        used -= usedAtCut;
        start = cut;
      } else {
        pieces.push(word.slice(start, index));
        used = 0;
        start = index;
      }
      cut = -1;
    }
    used += w;
    if (segment === "/" || segment === "-") {
      cut = index + 1;
      usedAtCut = used;
    }
  }
  pieces.push(word.slice(start));
  return pieces;
}

/**
 * The grapheme clusters of `text` and where each starts, read a slice at a time: V8's segmenter
 * (Node 20) takes time quadratic in the length of the string it walks. A slice's last cluster may
 * go on past it, so it is read again at the start of the next slice.
 */
function* clusters(text: string): Generator<[string, number]> {
  let at = 0;
  let size = 256;
  while (at < text.length) {
    const end = Math.min(text.length, at + size);
    let last = -1;
    let lastSegment = "";
    for (const { segment, index } of graphemes.segment(text.slice(at, end))) {
      if (last >= 0) yield [lastSegment, at + last];
      last = index;
      lastSegment = segment;
    }
    if (end === text.length) {
      yield [lastSegment, at + last];
      return;
    }
    if (last === 0)
      size *= 2; // one cluster fills the slice: read a longer one
    else {
      at += last;
      size = 256;
    }
  }
}

/** Columns of one grapheme cluster: printable ASCII without a call. */
function graphemeColumns(g: string): number {
  const c = g.charCodeAt(0);
  return g.length === 1 && c >= 0x20 && c < 0x7f ? 1 : columns(g);
}

/**
 * The table as text (no final newline). `widths[i]` fixes column i's text
 * width, its cells wrapped to it by `wrapCell`; null sizes the column to its
 * widest line.
 */
export function boxTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  widths: readonly (number | null)[],
): string {
  const split = (row: readonly string[]) =>
    row.map((cell, i) => {
      const fixed = widths[i];
      return (fixed == null ? cell : wrapCell(cell, fixed)).split("\n");
    });
  const all = [split(head), ...rows.map(split)];
  const width = head.map((_, i) => {
    let w = widths[i] ?? 0;
    for (const row of all) for (const line of row[i] ?? []) w = Math.max(w, columns(line));
    return w;
  });
  const rule = (left: string, mid: string, right: string) =>
    `${left}${width.map((w) => "─".repeat(w + 2)).join(mid)}${right}`;
  const out = [rule("┌", "┬", "┐")];
  all.forEach((row, r) => {
    if (r > 0) out.push(rule("├", "┼", "┤"));
    const height = Math.max(...row.map((lines) => lines.length));
    for (let l = 0; l < height; l++) {
      const cells = width.map((w, i) => {
        const line = row[i]?.[l] ?? "";
        return ` ${line}${" ".repeat(w - columns(line))} `;
      });
      out.push(`│${cells.join("│")}│`);
    }
  });
  out.push(rule("└", "┴", "┘"));
  return out.join("\n");
}
