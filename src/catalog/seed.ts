/**
 * Parser for the seed ports-and-protocols table the catalog is derived from.
 *
 * Layout: after the header line, each cell is preceded by a line holding only
 * "|", a row is four cells followed by a closing "|", and a cell may span
 * several lines or be empty. The last line ends with "|" glued to its text.
 */
import type { PortRange } from "./types.js";

export interface SeedRow {
  /** 1-based. */
  row: number;
  component: string;
  portCell: string;
  protocolCell: string;
  notesCell: string;
  ports: PortRange[];
}

const HEADER = "| Component (server role or client) | Port | Protocol | Notes |";

export function parseSeed(text: string): SeedRow[] {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === HEADER);
  if (start < 0) throw new Error("seed table header not found");
  const tokens: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line !== "|" && line.endsWith("|")) tokens.push(line.slice(0, -1), "|");
    else tokens.push(line);
  }
  const rows: SeedRow[] = [];
  let pos = 0;
  while (pos < tokens.length) {
    if (tokens[pos] !== "|") {
      pos++;
      continue;
    }
    const cells: string[] = [];
    for (let c = 0; c < 4; c++) {
      if (tokens[pos] !== "|") throw new Error(`seed row ${rows.length + 1}: expected a cell separator`);
      pos++;
      const cell: string[] = [];
      while (pos < tokens.length && tokens[pos] !== "|") cell.push(tokens[pos++]!);
      cells.push(cell.join("\n").trim());
    }
    if (tokens[pos] !== "|") throw new Error(`seed row ${rows.length + 1}: expected the row's closing "|"`);
    pos++;
    const [component, portCell, protocolCell, notesCell] = cells as [string, string, string, string];
    rows.push({
      row: rows.length + 1,
      component,
      portCell,
      protocolCell,
      notesCell,
      ports: parsePortCell(portCell),
    });
  }
  return rows;
}

/** "5060/5061", "443", "49152-65335", "49152 to 65535", "50,000-59,999". */
export function parsePortCell(cell: string): PortRange[] {
  return cell.split("/").map((part) => {
    const m = /^\s*([\d,]+)\s*(?:-|to)\s*([\d,]+)\s*$/.exec(part);
    if (m) return { first: Number(m[1]!.replace(/,/g, "")), last: Number(m[2]!.replace(/,/g, "")) };
    const n = Number(part.replace(/,/g, "").trim());
    if (!Number.isInteger(n)) throw new Error(`unreadable port cell: ${cell}`);
    return { first: n, last: n };
  });
}
