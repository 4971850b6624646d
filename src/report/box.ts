/**
 * Box-drawn text tables for the `catalog` commands: a head row and body rows,
 * every cell one or more lines, each column as wide as its widest line (or a
 * fixed width, its text wrapped to fit by `wrapCell`), ruled between rows, as
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

/**
 * A cell's text wrapped to `width` columns: greedy at spaces, each line of the
 * text on its own; a word longer than the width is broken after a "/" or "-"
 * where one fits, else at the width, so nothing is cut off.
 */
export function wrapCell(text: string, width: number): string {
  const out: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (let word of paragraph.split(" ")) {
      while (columns(word) > width) {
        const room = line === "" ? width : width - columns(line) - 1;
        const at = Math.max(word.lastIndexOf("/", room - 1), word.lastIndexOf("-", room - 1)) + 1;
        if (room <= 0 || (at === 0 && line !== "")) {
          out.push(line);
          line = "";
          continue;
        }
        const cut = at > 0 ? at : Math.max(1, room);
        out.push(line === "" ? word.slice(0, cut) : `${line} ${word.slice(0, cut)}`);
        line = "";
        word = word.slice(cut);
      }
      if (line === "") line = word;
      else if (columns(line) + 1 + columns(word) <= width) line += ` ${word}`;
      else {
        out.push(line);
        line = word;
      }
    }
    out.push(line);
  }
  return out.join("\n");
}

/**
 * The table as text (no final newline). `widths[i]` fixes column i's text
 * width, its cells already wrapped to it; null sizes it to its widest line.
 */
export function boxTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  widths: readonly (number | null)[],
): string {
  const split = (row: readonly string[]) => row.map((cell) => cell.split("\n"));
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
