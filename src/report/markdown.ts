/**
 * Markdown renderer for support tickets: a summary, the findings grouped by
 * verdict and reason, and the per-role table, in GitHub-flavoured tables
 * that common ticket systems render, each finding and flow with its
 * Wireshark display filter, and what to check for each reason shown. A pure
 * function of the report model; every value from a packet is escaped.
 */

import { blockingReason, REASON_GUIDANCE } from "../classify/reasons.js";
import { isoToMicros, zonedTime } from "../format.js";
import { escapeMarkdown as md } from "./escape.js";
import { flowFilter, flowsById, groupFilter } from "./filter.js";
import { mediaFindingText } from "./media-path.js";
import { DEFAULT_LIST_LIMIT, type FlowRecord, processLabel, type Report } from "./model.js";
import { reasonText } from "./reason-text.js";
import { signInShown } from "./sign-in.js";
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

const VERDICT_TITLES = {
  blocked: "Blocked-looking",
  misdirected: "Misdirected",
  inconclusive: "Inconclusive",
  unknown: "Unknown",
} as const;

export interface MarkdownOptions {
  /** Flows listed per reason; 0 lists all. */
  limit: number;
  /** The time zone times are shown in (`--tz`; default UTC). */
  tz?: string;
}

export function renderMarkdown(
  report: Report,
  options: MarkdownOptions = { limit: DEFAULT_LIST_LIMIT },
): string {
  const c = report.capture;
  const s = report.summary;
  const when = zonedTime(options.tz ?? "UTC");
  const out: string[] = [];
  out.push(`# ocs-pcap report: ${md(c.path)}`, "");
  out.push("| Capture | |", "| --- | --- |");
  out.push(`| Format | ${md(c.format)} |`);
  out.push(`| Link types | ${md(c.linkTypes.join(", ") || "-")} |`);
  out.push(`| Packets | ${formatCount(c.packets)} |`);
  out.push(`| Bytes | ${formatCount(c.bytes)} (${formatBytes(c.bytes)}) |`);
  if (report.catalog !== undefined) out.push(`| Catalog | ${md(report.catalog.products.join(", "))} |`);
  out.push(`| First packet | ${c.firstSeen === null ? "-" : when(isoToMicros(c.firstSeen))} |`);
  out.push(`| Last packet | ${c.lastSeen === null ? "-" : when(isoToMicros(c.lastSeen))} |`);
  out.push(`| Anomalies | ${md(formatCounts(c.anomalies))} |`);
  out.push(`| Not analysed | ${md(formatCounts(c.skipped))} |`);
  if (c.filter !== undefined) out.push(`| Filtered | ${md(filterText(c.filter))} |`);
  out.push(`| Tool | ocs-pcap ${md(report.tool.version)} |`, "");
  for (const w of c.warnings) out.push(`> **Warning** (offset ${w.offset}): ${md(w.message)}`, "");

  out.push("## Summary", "");
  out.push(
    "| Flows | Known | Blocked | Misdirected | Inconclusive | Unknown |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  out.push(
    `| ${s.flows} | ${s.known} | ${s.blocked} | ${s.misdirected} | ${s.inconclusive} | ${s.unknown} |`,
    "",
  );

  if (report.blocked.length > 0) {
    out.push("## Blocked-looking traffic by role, port and reason", "");
    out.push("| Finding | First | Last | Flows | Wireshark filter |", "| --- | --- | --- | --- | --- |");
    const byId = flowsById(report.flows, report.blocked);
    for (const g of report.blocked) {
      out.push(
        `| ${md(g.summary)} | ${when(g.firstSeen)} | ${when(g.lastSeen)} | ${g.flows.map((id) => `#${id}`).join(", ")} | ${filterCell(groupFilter(g, byId))} |`,
      );
    }
    out.push("");
  }

  if (report.unknown.length > 0) {
    out.push("## Unknown traffic by protocol and port", "");
    const shown = options.limit > 0 ? report.unknown.slice(0, options.limit) : report.unknown;
    for (const g of shown) out.push(`- ${md(unknownGroupLabel(g))}`);
    if (shown.length < report.unknown.length)
      out.push(`- … and ${report.unknown.length - shown.length} more groups`);
    out.push("");
  }

  out.push("## Findings", "");
  const shownFlows: FlowRecord[] = [];
  let any = false;
  for (const verdict of ["blocked", "misdirected", "inconclusive", "unknown"] as const) {
    const flows = report.flows.filter((f) => f.verdict === verdict);
    // The count covers every flow; the list, the flows the report kept (--max-report-flows).
    const count = report.summary[verdict];
    if (count === 0) continue;
    any = true;
    const byReason = new Map<string, FlowRecord[]>();
    for (const f of flows) {
      const code = f.reasons[0]?.code ?? verdict;
      const list = byReason.get(code);
      if (list) list.push(f);
      else byReason.set(code, [f]);
    }
    out.push(`### ${VERDICT_TITLES[verdict]} (${count})`, "");
    if (flows.length < count)
      out.push(`${count - flows.length} of them not listed (--max-report-flows).`, "");
    for (const [code, list] of byReason) {
      out.push(`**${md(code)}** (${list.length})`, "");
      shownFlows.push(...flowTable(out, list, options.limit));
    }
  }
  // Known flows the blocked-looking groups point at (an ICMP error although the server answered).
  const evidenced = report.flows.filter((f) => f.verdict === "known" && blockingReason(f.reasons));
  if (evidenced.length > 0) {
    any = true;
    out.push(`### Known, with blocking-looking evidence (${evidenced.length})`, "");
    shownFlows.push(...flowTable(out, evidenced, options.limit));
  }
  if (!any) out.push("No blocked, misdirected, inconclusive or unknown traffic.", "");

  const media = report.media ?? [];
  if (media.length > 0) {
    out.push(`## Media path (${media.length})`, "");
    for (const m of media) out.push(`- **${m.code}**: ${md(mediaFindingText(m))}`);
    out.push("");
  }

  const signIn = report.signIn ?? [];
  if (signIn.length > 0) {
    out.push(`## Sign-in and federation discovery through DNS (${signIn.length})`, "");
    for (const { headline, details } of signInShown(signIn)) {
      out.push(`- ${md(headline)}`);
      for (const d of details)
        out.push(`  - ${d.startsWith("filter: ") ? `filter: \`${d.slice(8)}\`` : md(d)}`);
    }
    out.push("");
  }

  const tls = tlsFindings(report, options.limit > 0 ? options.limit : Number.POSITIVE_INFINITY);
  if (tls.length > 0) {
    out.push("## TLS handshakes that failed or warn", "");
    for (const { flow: f, lines } of tls) {
      out.push(
        `- **#${f.id}** ${md(endpoint(f.clientIp, f.clientPort))} → ${md(endpoint(f.serverIp, f.serverPort))}`,
      );
      for (const l of lines) out.push(`  - ${md(l)}`);
    }
    out.push("");
  }

  const codes = reasonCodesShown(report, [...shownFlows, ...tls.map((t) => t.flow)]);
  if (codes.length > 0) {
    out.push("## What to check on the network", "");
    for (const code of codes) out.push(`- **${code}**: ${md(REASON_GUIDANCE[code])}`);
    out.push("");
  }

  out.push("## Traffic by role", "");
  if (report.roles.length === 0) {
    out.push("No flow matched the catalog.", "");
  } else {
    out.push(
      "| Role(s) | Port | Transport | Flows | Known | Blocked | Misdirected | Inconclusive | Packets | Bytes |",
      "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const r of report.roles) {
      out.push(
        `| ${md(r.roles.join(", "))} | ${md(r.ports)} | ${md(r.transport)} | ${r.flows} | ${r.known} | ${r.blocked} | ${r.misdirected} | ${r.inconclusive} | ${formatCount(r.packets)} | ${formatBytes(r.bytes)} |`,
      );
    }
    out.push("");
  }
  return `${out.join("\n")}`;
}

/** One table of flows with their evidence, at most `limit` rows (0: all), then a blank line; returns the rows shown. */
function flowTable(out: string[], flows: readonly FlowRecord[], limit: number): readonly FlowRecord[] {
  out.push(
    "| # | Client | Server | Proto | App | State | Pkts c/s | Frame | Evidence | Wireshark filter |",
    "| ---: | --- | --- | --- | --- | --- | ---: | ---: | --- | --- |",
  );
  const shown = limit > 0 ? flows.slice(0, limit) : flows;
  for (const f of shown) {
    out.push(
      `| ${f.id} | ${md(endpoint(f.clientIp, f.clientPort))} | ${md(endpoint(f.serverIp, f.serverPort))} | ${md(f.transport)} | ${md(appLabel(f, true))}${f.process === undefined ? "" : md(` · ${processLabel(f.process)}`)} | ${md(f.history ? `${f.state} ${f.history}` : f.state)} | ${f.packetsFromClient}/${f.packetsFromServer} | ${f.firstFrame} | ${md(f.reasons.map((r) => reasonText(r)).join("; "))} | ${filterCell(flowFilter(f))} |`,
    );
  }
  if (shown.length < flows.length)
    out.push("", `… and ${flows.length - shown.length} more (see the JSON report).`);
  out.push("");
  return shown;
}

/**
 * A display filter as code in a table cell. GFM ends a cell at any unescaped
 * pipe, code span or not, so "||" is written "\\|\\|"; a filter holds no
 * backtick (addresses, field names, digits and operators).
 */
function filterCell(filter: string): string {
  return `\`${filter.replaceAll("|", "\\|")}\``;
}
