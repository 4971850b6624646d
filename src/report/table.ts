/**
 * Terminal renderer: a pure function of the report model that fits a width
 * (the terminal's, or `--width`). Summary facts; blocked-looking groups with
 * their Wireshark filters; unknown groups; traffic by role; then one line per
 * flow that needs a look, its reason and key figures on the same line; the
 * listed flows' display filters; what to check for each reason present; and
 * the legend of the role abbreviations used. Only display filters may pass
 * the width (they must stay pasteable). Colour is added only when the caller
 * asks. Every string that came from a packet, a saved report or a file name
 * goes through escapeTerminalLine, so it cannot move the cursor, retitle the
 * window or start a line of its own.
 */

import { createColors } from "picocolors";
import { blockingReason, REASON_GUIDANCE } from "../classify/reasons.js";
import { isoToMicros, zonedTime } from "../format.js";
import { escapeTerminalLine as term } from "./escape.js";
import { flowFilter, flowsById, groupFilter } from "./filter.js";
import { mediaFindingText } from "./media-path.js";
import { DEFAULT_LIST_LIMIT, type FlowRecord, processLabel, type Report } from "./model.js";
import { plural } from "./phrases.js";
import { reasonBrief } from "./reason-text.js";
import { RoleAbbreviations } from "./role-abbrev.js";
import { signInFailed, signInShown } from "./sign-in.js";
import {
  appLabel,
  endpoint,
  filterText,
  formatBytes,
  formatCount,
  formatCounts,
  reasonCodesShown,
  unknownGroupLabel,
} from "./text.js";
import { tlsFindings } from "./tls-text.js";

export interface TableOptions {
  /** Rows shown per verdict list; 0 shows all. */
  limit: number;
  /** Colour section titles (only for a colour terminal: NO_COLOR/FORCE_COLOR are decided by the caller). */
  color?: boolean;
  /** Columns to fit; 0 for no limit. */
  width?: number;
  /** The time zone times are shown in (`--tz`; an IANA name, default UTC). */
  tz?: string;
}

/** The width when standard output is not a terminal and no --width is given. */
export const DEFAULT_WIDTH = 100;

export function renderTable(report: Report, options: TableOptions = { limit: DEFAULT_LIST_LIMIT }): string {
  const width = options.width ?? DEFAULT_WIDTH;
  const when = zonedTime(options.tz ?? "UTC");
  const whenIso = (iso: string | null) => (iso === null ? "-" : when(isoToMicros(iso)));
  const clip = (s: string) => (width > 0 && s.length > width ? `${s.slice(0, width - 1)}…` : s);
  const pc = createColors(options.color === true);
  const tint = {
    blocked: pc.red,
    misdirected: pc.yellow,
    inconclusive: pc.magenta,
    unknown: pc.gray,
  } as const;
  const roles = new RoleAbbreviations();
  const limited = <T>(list: readonly T[]) => (options.limit > 0 ? list.slice(0, options.limit) : list);
  const c = report.capture;
  const s = report.summary;
  const byId = flowsById(report.flows, report.blocked);
  const body: string[] = [];

  if (report.blocked.length > 0) {
    body.push(
      "",
      pc.bold(clip(`Blocked-looking traffic by role, port and reason (${report.blocked.length})`)),
    );
    for (const g of report.blocked) {
      const attempts = `${formatCount(g.attempts)} attempt${g.attempts === 1 ? "" : "s"}`;
      const clients = `${g.clientsExact ? "" : "at least "}${formatCount(g.clients)} client${g.clients === 1 ? "" : "s"}`;
      const verdict = g.verdict === "blocked" ? "" : `, verdict ${g.verdict}`;
      const what = `${g.port}/${term(g.transport)}: ${attempts} from ${clients}${verdict}`;
      let who = g.roles.length > 0 ? term(roles.list(g.roles, false)) : "(no role)";
      if (width > 0 && who.length + what.length + 3 > width) who = `${g.roles.length} roles`;
      else if (g.roles.length > 0) roles.list(g.roles);
      body.push(clip(`  ${who} ${what}`));
      body.push(...wrap(term(groupHint(g.summary)), "      ", width));
      body.push(clip(`      ${timeSpan(when(g.firstSeen), when(g.lastSeen))}, flows ${flowList(g.flows)}`));
      body.push(`      filter: ${term(groupFilter(g, byId))}`);
    }
  }

  if (report.unknown.length > 0) {
    body.push("", pc.bold(clip(`Unknown traffic by protocol and port (${report.unknown.length})`)));
    const shown = limited(report.unknown);
    for (const g of shown) body.push(clip(`  ${term(unknownGroupLabel(g))}`));
    if (shown.length < report.unknown.length)
      body.push(`  … and ${report.unknown.length - shown.length} more groups`);
  }

  body.push(
    "",
    pc.bold(clip("Traffic by role (each flow counted once, under its most specific catalog match)")),
  );
  if (report.roles.length === 0) {
    body.push("  no flow matched the catalog");
  } else {
    const long = ["Port", "Proto", "Flows", "Known", "Blocked", "Misdir.", "Inconcl.", "Packets", "Bytes"];
    const short = ["Port", "Proto", "Flows", "Known", "Blk", "Mis", "Inc", "Pkts", "Bytes"];
    const rows = report.roles.map((r) => [
      term(r.ports),
      term(r.transport),
      formatCount(r.flows),
      formatCount(r.known),
      formatCount(r.blocked),
      formatCount(r.misdirected),
      formatCount(r.inconclusive),
      formatCount(r.packets),
      formatBytes(r.bytes),
    ]);
    // Short headings when the long ones leave the roles under 16 columns.
    const room = (h: string[]) => width - 2 - columnWidths([h, ...rows]).reduce((a, w) => a + w + 2, 0);
    const head = width > 0 && room(long) < 16 ? short : long;
    const widths = columnWidths([head, ...rows]);
    // The role column takes what the numbers leave, at least "11 roles".
    const numbers = widths.reduce((a, w) => a + w + 2, 0);
    const roleCells = report.roles.map((r) => term(roles.list(r.roles, false)));
    const longest = Math.max(5, ...roleCells.map((t) => t.length));
    const roleWidth = width > 0 ? Math.max(10, Math.min(longest, width - 2 - numbers)) : longest;
    const cells = report.roles.map((r, i) => {
      if (roleCells[i]!.length <= roleWidth) return term(roles.list(r.roles));
      return `${r.roles.length} roles`;
    });
    const aligned = (row: string[]) =>
      row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
    body.push(clip(`  ${"Roles".padEnd(roleWidth)}  ${aligned(head)}`));
    rows.forEach((row, i) => {
      body.push(clip(`  ${cells[i]!.padEnd(roleWidth)}  ${aligned(row)}`));
    });
    if (head === short) body.push(clip("  (Blk blocked, Mis misdirected, Inc inconclusive)"));
    if (cells.some((cell, i) => cell !== roleCells[i]))
      body.push(clip('  (`ocs-pcap catalog --port N` names every role behind "N roles")'));
  }

  const listed: FlowRecord[] = [];
  for (const verdict of ["blocked", "misdirected", "inconclusive", "unknown"] as const) {
    const flows = report.flows.filter((f) => f.verdict === verdict);
    // The count covers every flow; the list, the flows the report kept (--max-report-flows).
    const count = report.summary[verdict];
    body.push("", pc.bold(tint[verdict](clip(`${TITLES[verdict]} (${formatCount(count)})`))));
    if (count === 0) {
      body.push("  none");
      continue;
    }
    const shown = limited(flows);
    listed.push(...shown);
    if (shown.length > 0) body.push(...flowLines(shown, clip));
    if (shown.length < flows.length) {
      body.push(
        clip(
          `  … and ${flows.length - shown.length} more (--limit 0 shows all; --format json lists them too)`,
        ),
      );
    }
    if (flows.length < count) body.push(`  … and ${count - flows.length} not listed (--max-report-flows)`);
  }
  // Known flows the blocked-looking groups point at (an ICMP error although the server answered).
  const evidenced = report.flows.filter((f) => f.verdict === "known" && blockingReason(f.reasons));
  if (evidenced.length > 0) {
    body.push(
      "",
      pc.bold(clip(`Known flows with blocking-looking evidence (${formatCount(evidenced.length)})`)),
    );
    const shown = limited(evidenced);
    listed.push(...shown);
    body.push(...flowLines(shown, clip));
    if (shown.length < evidenced.length)
      body.push(`  … and ${evidenced.length - shown.length} more (--limit 0 shows all)`);
  }

  if (listed.length > 0) {
    body.push(
      "",
      pc.bold(clip("The flows above in Wireshark: first frame (Go to Packet) and display filter")),
    );
    let idWidth = 0;
    let frameWidth = 0;
    for (const f of listed) {
      idWidth = Math.max(idWidth, `#${f.id}`.length);
      frameWidth = Math.max(frameWidth, String(f.firstFrame).length);
    }
    for (const f of listed) {
      const frame = `frame ${String(f.firstFrame).padStart(frameWidth)}`;
      body.push(`  ${`#${f.id}`.padEnd(idWidth)}  ${frame}  ${term(flowFilter(f))}`);
    }
  }

  const owned = listed.filter((f) => f.process !== undefined);
  if (owned.length > 0) {
    body.push("", pc.bold(clip("Processes behind the flows above (the capture's process table)")));
    const idWidth = Math.max(...owned.map((f) => `#${f.id}`.length));
    for (const f of owned) {
      body.push(
        clip(`  ${`#${f.id}`.padEnd(idWidth)}  ${term(processLabel(f.process!))}  ${term(f.process!.path)}`),
      );
    }
  }

  const media = report.media ?? [];
  if (media.length > 0) {
    body.push("", pc.bold(clip(`Media path (${media.length})`)));
    for (const m of limited(media))
      body.push(...wrap(term(`${m.code}: ${mediaFindingText(m)}`), "  ", width));
  }

  const signIn = report.signIn ?? [];
  if (signIn.length > 0) {
    const failed = signIn.filter(signInFailed).length;
    body.push(
      "",
      pc.bold(
        clip(
          `Sign-in and federation discovery through DNS (${plural(signIn.length, "finding")}, ${failed} failing)`,
        ),
      ),
    );
    for (const { headline, details } of limited(signInShown(signIn))) {
      body.push(...wrap(term(headline), "  ", width));
      for (const d of details) body.push(...wrap(term(d), "      ", width));
    }
  }

  const tls = tlsFindings(report, options.limit > 0 ? options.limit : Number.POSITIVE_INFINITY);
  if (tls.length > 0) {
    body.push("", pc.bold(clip("TLS handshakes that failed or warn: what each side sent")));
    for (const { flow: f, lines } of tls) {
      body.push(
        clip(
          `  #${f.id} ${term(endpoint(f.clientIp, f.clientPort))} -> ${term(endpoint(f.serverIp, f.serverPort))}`,
        ),
      );
      for (const l of lines) body.push(...wrap(term(l), "      ", width));
    }
  }

  const codes = reasonCodesShown(report, [...listed, ...tls.map((t) => t.flow)]);
  if (codes.length > 0) {
    body.push("", pc.bold(clip("What to check on the network")));
    const codeWidth = Math.max(...codes.map((code) => code.length));
    for (const code of codes) {
      body.push(...wrap(REASON_GUIDANCE[code], `  ${code.padEnd(codeWidth)}  `, width));
    }
  }

  const out: string[] = [];
  out.push(clip(`ocs-pcap ${term(report.tool.version)} report: ${term(c.path)}`), "");
  const facts: [string, string][] = [
    [
      "Capture",
      `${term(c.format)}, ${term(c.linkTypes.join(", ") || "no link type")}, ${formatCount(c.packets)} packets, ${formatCount(c.bytes)} bytes (${formatBytes(c.bytes)})`,
    ],
    ...(report.catalog === undefined
      ? []
      : [["Catalog", term(report.catalog.products.join(", "))] as [string, string]]),
    ["First packet", whenIso(c.firstSeen)],
    [
      "Last packet",
      c.lastSeen === null ? "-" : `${whenIso(c.lastSeen)} (${duration(c.firstSeen, c.lastSeen)} later)`,
    ],
    [
      "Flows",
      `${formatCount(s.flows)}: ${formatCount(s.known)} known, ${formatCount(s.unknown)} unknown, ${formatCount(s.blocked)} blocked, ${formatCount(s.misdirected)} misdirected, ${formatCount(s.inconclusive)} inconclusive`,
    ],
    ["Anomalies", term(formatCounts(c.anomalies))],
    ["Not analysed", term(formatCounts(c.skipped))],
    ...(c.filter === undefined ? [] : [["Filtered", filterText(c.filter)] as [string, string]]),
  ];
  for (const [k, v] of facts) out.push(...wrap(v, `  ${k.padEnd(12)}  `, width));
  for (const w of c.warnings) out.push(...wrap(term(w.message), `  Warning at byte ${w.offset}: `, width));
  const legend = roles.legend();
  if (legend.length > 0) {
    out.push("", pc.bold(clip("Roles")));
    const shortWidth = Math.max(...legend.map(([short]) => short.length));
    for (const [short, role] of legend) out.push(clip(`  ${term(short).padEnd(shortWidth)}  ${term(role)}`));
  }
  out.push(...body);
  return `${out.join("\n")}\n`;
}

const TITLES = {
  blocked: "Blocked-looking flows",
  misdirected: "Misdirected flows",
  inconclusive: "Inconclusive flows (the capture cannot tell)",
  unknown: "Unknown flows",
} as const;

/**
 * What a group's summary says happened ("no reply (firewall drop?)"): the
 * text between its client count and its verdict (report/blocked.ts writes it
 * so); a saved report's summary of another shape is shown whole.
 */
function groupHint(summary: string): string {
  const m = /^.* \d+\/[a-z0-9-]+: .*? clients?, (.*?)(?: \(verdict: [a-z]+\))?$/s.exec(summary);
  return m?.[1] ?? summary;
}

/** "#3, #7, #9" (at most 8, then "… +N"). */
function flowList(ids: readonly number[]): string {
  const shown = ids.slice(0, 8).map((id) => `#${id}`);
  return ids.length > 8 ? `${shown.join(", ")}, … +${ids.length - 8}` : shown.join(", ");
}

/** One line per flow: columns padded to the list's widest cell, the reasons last (cut to the width). */
function flowLines(flows: readonly FlowRecord[], clip: (s: string) => string): string[] {
  const head = ["#", "Client", "Server", "App", "State", "Pkts"];
  const rows = flows.map((f) => [
    `#${f.id}`,
    term(endpoint(f.clientIp, f.clientPort)),
    `${term(endpoint(f.serverIp, f.serverPort))}/${term(f.transport)}`,
    term(appLabel(f, false)),
    term(f.history ? `${f.state} ${f.history}` : f.state),
    `${f.packetsFromClient}/${f.packetsFromServer}`,
  ]);
  const widths = columnWidths([head, ...rows]);
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === 0 || i === 5 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join(" ");
  const out = [clip(`  ${line(head)}  Reason`)];
  flows.forEach((f, n) => {
    const why = f.reasons
      .map((r) => {
        const brief = reasonBrief(r);
        return brief === "" ? r.code : `${r.code}: ${term(brief)}`;
      })
      .join("; ");
    out.push(clip(`  ${line(rows[n]!)}  ${why}`));
  });
  return out;
}

/** Each column's widest cell (a loop: a spread of 100,000s of arguments would overflow the stack). */
function columnWidths(rows: readonly string[][]): number[] {
  const widths = rows[0]!.map(() => 0);
  for (const r of rows) for (let i = 0; i < r.length; i++) widths[i] = Math.max(widths[i]!, r[i]!.length);
  return widths;
}

/** Columns of text a wrapped line keeps at least; a lead leaving fewer goes on a line of its own. */
const MIN_ROOM = 16;

/**
 * The text after `lead`, wrapped at spaces to the width, continuation lines indented under it.
 * When the lead leaves too little room, it stands alone and the text follows, indented 6.
 */
function wrap(text: string, lead: string, width: number): string[] {
  if (width > 0 && width - lead.length < MIN_ROOM && lead.trim() !== "")
    return [lead.trimEnd(), ...wrap(text, "      ", width)];
  const room = width > 0 ? Math.max(1, width - lead.length) : Number.POSITIVE_INFINITY;
  const lines: string[] = [];
  let rest = text;
  while (rest.length > room) {
    let cut = rest.lastIndexOf(" ", room);
    if (cut <= 0) cut = room;
    lines.push(rest.slice(0, cut));
    rest = rest.slice(cut).trimStart();
  }
  lines.push(rest);
  const pad = " ".repeat(lead.length);
  return lines.map((l, i) => `${i === 0 ? lead : pad}${l}`);
}

/** "2024-05-14T09:00:06.500000Z to 09:00:06.500200Z" (the date once when both are on it). */
function timeSpan(a: string, b: string): string {
  if (a === b) return a;
  return `${a} to ${a.slice(0, 11) === b.slice(0, 11) ? b.slice(11) : b}`;
}

function duration(first: string | null, last: string | null): string {
  if (first === null || last === null) return "-";
  const micros = isoToMicros(last) - isoToMicros(first);
  return `${(micros / 1_000_000).toFixed(6)} s`;
}
