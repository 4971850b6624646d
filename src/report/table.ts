/**
 * Terminal renderer: summary, traffic by role, then the flows that need a
 * look (blocked, misdirected, unknown), each with its reason. A pure function
 * of the report model. Colour is only added when the caller asks for it, and
 * every string that came from a packet or a file name goes through
 * escapeTerminal so it cannot move the cursor or retitle the window.
 */

import Table from "cli-table3";
import { createColors } from "picocolors";
import { blockingReason } from "../classify/reasons.js";
import { isoMicros, isoToMicros } from "../format.js";
import { escapeTerminal as term } from "./escape.js";
import { DEFAULT_LIST_LIMIT, type FlowRecord, type Report } from "./model.js";
import { reasonText } from "./reason-text.js";
import { appLabel, endpoint, formatBytes, formatCount, formatCounts, unknownGroupLabel } from "./text.js";

export interface TableOptions {
  /** Rows shown per verdict list; 0 shows all. */
  limit: number;
  /** Colour section titles (only for a colour terminal: NO_COLOR/FORCE_COLOR are decided by the caller). */
  color?: boolean;
}

const PLAIN_STYLE = { head: [] as string[], border: [] as string[] };

export function renderTable(report: Report, options: TableOptions = { limit: DEFAULT_LIST_LIMIT }): string {
  const pc = createColors(options.color === true);
  const tint = {
    blocked: pc.red,
    misdirected: pc.yellow,
    inconclusive: pc.magenta,
    unknown: pc.gray,
  } as const;
  const out: string[] = [];
  const c = report.capture;
  const s = report.summary;
  out.push(`ocs-pcap ${term(report.tool.version)} report: ${term(c.path)}`);
  out.push("");
  const facts = new Table({ style: PLAIN_STYLE });
  facts.push(
    ["Capture format", term(c.format)],
    ["Link types", term(c.linkTypes.join(", ") || "-")],
    ["Packets", formatCount(c.packets)],
    ["Bytes", `${formatCount(c.bytes)} (${formatBytes(c.bytes)})`],
    ["First packet", c.firstSeen ?? "-"],
    ["Last packet", c.lastSeen ?? "-"],
    ["Duration", duration(c.firstSeen, c.lastSeen)],
    [
      "Flows",
      `${s.flows}: ${s.known} known, ${s.unknown} unknown, ${s.blocked} blocked, ${s.misdirected} misdirected, ${s.inconclusive} inconclusive`,
    ],
    ["Anomalies", term(formatCounts(c.anomalies))],
    ["Not analysed", term(formatCounts(c.skipped))],
  );
  out.push(facts.toString());
  for (const w of c.warnings) out.push(`Warning (offset ${w.offset}): ${term(w.message)}`);

  if (report.blocked.length > 0) {
    out.push("", "Blocked-looking traffic by role, port and reason");
    const groups = new Table({
      head: ["Summary", "First", "Last", "Flows"],
      style: PLAIN_STYLE,
      colWidths: [70, null, null, 24],
      wordWrap: true,
    });
    for (const g of report.blocked) {
      groups.push([term(g.summary), isoMicros(g.firstSeen), isoMicros(g.lastSeen), flowList(g.flows)]);
    }
    out.push(groups.toString());
  }

  if (report.unknown.length > 0) {
    out.push("", "Unknown traffic by protocol and port");
    const shown = options.limit > 0 ? report.unknown.slice(0, options.limit) : report.unknown;
    for (const g of shown) out.push(`  ${term(unknownGroupLabel(g))}`);
    if (shown.length < report.unknown.length)
      out.push(`  … and ${report.unknown.length - shown.length} more groups`);
  }

  out.push("", "Traffic by role (each flow counted once, under its most specific catalog match)");
  if (report.roles.length === 0) {
    out.push("  no flow matched the catalog");
  } else {
    const roles = new Table({
      head: [
        "Role(s)",
        "Port",
        "Transport",
        "Flows",
        "Known",
        "Blocked",
        "Misdirected",
        "Inconcl.",
        "Packets",
        "Bytes",
      ],
      colAligns: ["left", "right", "left", "right", "right", "right", "right", "right", "right", "right"],
      style: PLAIN_STYLE,
      colWidths: [44, null, null, null, null, null, null, null, null, null],
      wordWrap: true,
    });
    for (const r of report.roles) {
      roles.push([
        term(r.roles.join(", ")),
        term(r.ports),
        term(r.transport),
        r.flows,
        r.known,
        r.blocked,
        r.misdirected,
        r.inconclusive,
        formatCount(r.packets),
        formatBytes(r.bytes),
      ]);
    }
    out.push(roles.toString());
  }

  for (const verdict of ["blocked", "misdirected", "inconclusive", "unknown"] as const) {
    const flows = report.flows.filter((f) => f.verdict === verdict);
    // The count covers every flow; the list, the flows the report kept (--max-report-flows).
    const count = report.summary[verdict];
    out.push("", tint[verdict](`${TITLES[verdict]} (${count})`));
    if (count === 0) {
      out.push("  none");
      continue;
    }
    const shown = options.limit > 0 ? flows.slice(0, options.limit) : flows;
    if (shown.length > 0) out.push(flowTable(shown));
    if (shown.length < flows.length) {
      out.push(
        `  … and ${flows.length - shown.length} more (--limit 0 shows all; --format json lists them too)`,
      );
    }
    if (flows.length < count) out.push(`  … and ${count - flows.length} not listed (--max-report-flows)`);
  }
  // Known flows the blocked-looking groups point at (an ICMP error although the server answered).
  const evidenced = report.flows.filter((f) => f.verdict === "known" && blockingReason(f.reasons));
  if (evidenced.length > 0) {
    out.push("", `Known flows with blocking-looking evidence (${evidenced.length})`);
    const shown = options.limit > 0 ? evidenced.slice(0, options.limit) : evidenced;
    out.push(flowTable(shown));
    if (shown.length < evidenced.length)
      out.push(`  … and ${evidenced.length - shown.length} more (--limit 0 shows all)`);
  }
  return `${out.join("\n")}\n`;
}

const TITLES = {
  blocked: "Blocked-looking flows",
  misdirected: "Misdirected flows",
  inconclusive: "Inconclusive flows (the capture cannot tell)",
  unknown: "Unknown flows",
} as const;

/** "#3, #7, #9" (at most 8, then "… +N"). */
function flowList(ids: readonly number[]): string {
  const shown = ids.slice(0, 8).map((id) => `#${id}`);
  return ids.length > 8 ? `${shown.join(", ")}, … +${ids.length - 8}` : shown.join(", ");
}

/**
 * Past this many rows a flow list is printed one line per flow, with columns
 * padded by hand: cli-table3 costs 0.4–2.5 ms per wrapped row, which made
 * `--limit 0` on a 2,000-flow SYN scan take 5 s (found by the fuzzer).
 */
const BOXED_ROWS = 500;

function flowTable(flows: FlowRecord[]): string {
  if (flows.length > BOXED_ROWS) return flowLines(flows);
  const t = new Table({
    head: ["#", "Client", "Server", "Proto", "App", "State", "Pkts c/s", "Frame", "Reason"],
    colAligns: ["right", "left", "left", "left", "left", "left", "right", "right", "left"],
    style: PLAIN_STYLE,
    colWidths: [null, null, null, null, null, null, null, null, 60],
    wordWrap: true,
  });
  for (const f of flows) {
    // A saved report's fields are outside input too (summarize): every text cell is escaped.
    t.push([
      f.id,
      term(endpoint(f.clientIp, f.clientPort)),
      term(endpoint(f.serverIp, f.serverPort)),
      term(f.transport),
      term(appLabel(f, false)),
      term(f.history ? `${f.state} ${f.history}` : f.state),
      `${f.packetsFromClient}/${f.packetsFromServer}`,
      f.firstFrame,
      f.reasons.map((r) => `${r.code}: ${term(reasonText(r))}`).join("\n"),
    ]);
  }
  return t.toString();
}

function flowLines(flows: FlowRecord[]): string {
  const rows = flows.map((f) => [
    `#${f.id}`,
    term(endpoint(f.clientIp, f.clientPort)),
    "->",
    term(endpoint(f.serverIp, f.serverPort)),
    term(f.transport),
    term(appLabel(f, false)),
    term(f.history ? `${f.state} ${f.history}` : f.state),
    `${f.packetsFromClient}/${f.packetsFromServer}`,
    `frame ${f.firstFrame}`,
  ]);
  // A loop, not Math.max(...rows): a spread of 100,000s of arguments overflows the stack.
  const widths = rows[0]!.map(() => 0);
  for (const r of rows) for (let i = 0; i < r.length; i++) widths[i] = Math.max(widths[i]!, r[i]!.length);
  return flows
    .map((f, n) => {
      const cells = rows[n]!.map((c, i) => c.padEnd(widths[i]!)).join(" ");
      return `  ${cells}  ${f.reasons.map((r) => `${r.code}: ${term(reasonText(r))}`).join("; ")}`;
    })
    .join("\n");
}

function duration(first: string | null, last: string | null): string {
  if (first === null || last === null) return "-";
  const micros = isoToMicros(last) - isoToMicros(first);
  return `${(micros / 1_000_000).toFixed(6)} s`;
}
