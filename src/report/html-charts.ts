/**
 * The HTML report's charts, as inline SVG: flows and bytes by verdict,
 * traffic by role, and a timeline of blocked and misdirected attempts that
 * clusters attempts too close to tell apart. Pure functions of the report
 * model; every value is escaped.
 */

import type { TimeText } from "../format.js";
import { escapeHtml as h } from "./escape.js";
import type { FlowRecord, Report } from "./model.js";
import { endpoint, formatBytes } from "./text.js";

export const COLORS = {
  known: "#2e7d32",
  blocked: "#c62828",
  misdirected: "#ef6c00",
  inconclusive: "#6a1b9a",
  unknown: "#546e7a",
} as const;

export type V = keyof typeof COLORS;
export const VERDICTS: V[] = ["known", "blocked", "misdirected", "inconclusive", "unknown"];

export function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const W = 420;

export function verdictChart(report: Report): string {
  const bytes: Record<V, number> = { known: 0, blocked: 0, misdirected: 0, inconclusive: 0, unknown: 0 };
  for (const f of report.flows) bytes[f.verdict] += f.bytesFromClient + f.bytesFromServer;
  const maxFlows = Math.max(1, ...VERDICTS.map((v) => report.summary[v]));
  const maxBytes = Math.max(1, ...VERDICTS.map((v) => bytes[v]));
  const rowH = 22;
  const height = 40 + VERDICTS.length * rowH * 2;
  const bars = VERDICTS.map((v, i) => {
    const y = 30 + i * rowH * 2;
    const wf = Math.max(1, Math.round((report.summary[v] / maxFlows) * 220));
    const wb = Math.max(1, Math.round((bytes[v] / maxBytes) * 220));
    return `<text x="0" y="${y + 12}" font-size="12">${cap(v)}</text>
<rect class="bar" x="100" y="${y}" width="${wf}" height="16" fill="${COLORS[v]}"><title>${flows(report.summary[v])}</title></rect>
<text x="${106 + wf}" y="${y + 12}" font-size="11">${flows(report.summary[v])}</text>
<rect class="bar" x="100" y="${y + rowH - 4}" width="${wb}" height="10" fill="${COLORS[v]}" opacity="0.5"><title>${formatBytes(bytes[v])}</title></rect>
<text x="${106 + wb}" y="${y + rowH + 5}" font-size="10">${formatBytes(bytes[v])}</text>`;
  }).join("\n");
  return `<figure><figcaption>Flows and bytes by verdict</figcaption>
<svg id="chart-verdicts" role="img" aria-label="Flows and bytes by verdict" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" xmlns="http://www.w3.org/2000/svg">
<text x="100" y="16" font-size="11" fill="#555">solid: flows · light: bytes</text>
${bars}
</svg></figure>`;
}

export function roleChart(report: Report): string {
  const rows = [...report.roles].sort((a, b) => b.bytes - a.bytes || b.flows - a.flows).slice(0, 12);
  const rowH = 24;
  const height = 20 + Math.max(1, rows.length) * rowH;
  const max = Math.max(1, ...rows.map((r) => r.bytes));
  const bars =
    rows.length === 0
      ? '<text x="10" y="30" font-size="12" fill="#555">No flow matched the catalog.</text>'
      : rows
          .map((r, i) => {
            const y = 10 + i * rowH;
            const w = Math.max(1, Math.round((r.bytes / max) * 200));
            const label = `${r.ports}/${r.transport}`;
            const roles = r.roles.join(", ");
            const bad = r.blocked + r.misdirected;
            return `<text x="0" y="${y + 13}" font-size="11"><title>${h(roles)}</title>${h(label)}</text>
<rect class="bar" x="110" y="${y}" width="${w}" height="16" fill="${bad > 0 ? COLORS.blocked : COLORS.known}"><title>${h(roles)}: ${flows(r.flows)}, ${formatBytes(r.bytes)}</title></rect>
<text x="${116 + w}" y="${y + 13}" font-size="10">${flows(r.flows)}${bad > 0 ? `, ${bad} failing` : ""}</text>`;
          })
          .join("\n");
  return `<figure><figcaption>Traffic by role (bytes; red: has blocked or misdirected flows)</figcaption>
<svg id="chart-roles" role="img" aria-label="Traffic by role" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" xmlns="http://www.w3.org/2000/svg">
${bars}
</svg></figure>`;
}

/** Attempts closer than this many pixels on the timeline are drawn as one cluster, with their count. */
const CLUSTER_PX = 10;

const LANES: V[] = ["blocked", "misdirected"];
const X0 = 90;
const STRIP_W = W - X0 - 10;
const STRIP_H = 118;

/**
 * Blocked and misdirected attempts over the capture, one lane each. Attempts
 * that would overlap form a cluster: a larger dot with its count, whose
 * tooltip lists them; each dot links to its (first) flow's row. When the
 * attempts fill under a quarter of the capture, a second strip zooms to them.
 */
export function timeline(report: Report, listed: ReadonlySet<number>, when: TimeText, zone: string): string {
  const first = report.flows.reduce((m, f) => Math.min(m, f.firstSeen), Number.POSITIVE_INFINITY);
  const last = report.flows.reduce((m, f) => Math.max(m, f.lastSeen), Number.NEGATIVE_INFINITY);
  const events = report.flows
    .filter((f) => f.verdict === "blocked" || f.verdict === "misdirected")
    .slice(0, 2000)
    .sort((a, b) => a.firstSeen - b.firstSeen || a.id - b.id);
  const strips = [strip(events, first, last, 0, "", listed, when, zone)];
  if (events.length > 1) {
    const from = events[0]!.firstSeen;
    const to = events[events.length - 1]!.firstSeen;
    if (to > from && to - from < (last - first) / 4) {
      // A margin of 5% each side, so the first and last dots are not on the strip's ends.
      const pad = Math.max(1, Math.round((to - from) / 20));
      strips.push(strip(events, from - pad, to + pad, STRIP_H, "zoomed to the attempts", listed, when, zone));
    }
  }
  const height = STRIP_H * strips.length;
  return `<figure><figcaption>Blocked and misdirected attempts over the capture (a number: attempts too close to tell apart; hover for the list)</figcaption>
<svg id="chart-timeline" role="img" aria-label="Timeline of blocked and misdirected attempts" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" xmlns="http://www.w3.org/2000/svg">
${strips.join("\n")}
</svg></figure>`;
}

/** One strip of the timeline, from `from` to `to` (microseconds), `top` pixels down. */
function strip(
  events: readonly FlowRecord[],
  from: number,
  to: number,
  top: number,
  title: string,
  listed: ReadonlySet<number>,
  when: TimeText,
  zone: string,
): string {
  const span = Math.max(1, to - from);
  const xOf = (t: number) => X0 + ((t - from) / span) * STRIP_W;
  const dots: string[] = [];
  for (const [lane, verdict] of LANES.entries()) {
    const mine = events.filter((f) => f.verdict === verdict);
    let i = 0;
    while (i < mine.length) {
      const start = xOf(mine[i]!.firstSeen);
      let j = i + 1;
      while (j < mine.length && xOf(mine[j]!.firstSeen) - start < CLUSTER_PX) j++;
      const cluster = mine.slice(i, j);
      const x = Math.round(cluster.reduce((a, f) => a + xOf(f.firstSeen), 0) / cluster.length);
      const y = top + 30 + lane * 35;
      const lines = cluster
        .slice(0, 10)
        .map(
          (f) =>
            `#${f.id} ${endpoint(f.serverIp, f.serverPort)} ${f.reasons[0]?.code ?? ""} at ${when(f.firstSeen)}`,
        );
      if (cluster.length > 10) lines.push(`… and ${cluster.length - 10} more`);
      const n = cluster.length;
      const r = n === 1 ? 5 : Math.min(11, 6 + Math.log2(n));
      const dot = `<circle class="dot" cx="${x}" cy="${y}" r="${r}" fill="${COLORS[verdict]}" fill-opacity="0.7"><title>${h(lines.join("\n"))}</title></circle>${n > 1 ? `<text x="${x}" y="${y + 4}" font-size="10" fill="#fff" text-anchor="middle" pointer-events="none">${n}</text>` : ""}`;
      const target = cluster[0]!.id;
      dots.push(listed.has(target) ? `<a href="#flow-${target}">${dot}</a>` : dot);
      i = j;
    }
  }
  const known = Number.isFinite(from) && Number.isFinite(to);
  const ticks = known
    ? (to - from < 10_000_000 ? [0, 0.5, 1] : [0, 0.25, 0.5, 0.75, 1])
        .map((p) => {
          const x = Math.round(X0 + p * STRIP_W);
          const anchor = p === 0 ? "start" : p === 1 ? "end" : "middle";
          const t = when(from + Math.round(p * (to - from)));
          const label = to - from < 10_000_000 ? t.slice(11, 23) : t.slice(11, 19);
          return `<line x1="${x}" y1="${top + 85}" x2="${x}" y2="${top + 90}" stroke="#888"/><text x="${x}" y="${top + 100}" font-size="10" text-anchor="${anchor}">${label}</text>`;
        })
        .join("")
    : "";
  const date = known ? `${h(zone)}, ${when(from).slice(0, 10)}${title ? `, ${title}` : ""}` : "";
  return `<text x="0" y="${top + 34}" font-size="12">Blocked</text><text x="0" y="${top + 69}" font-size="12">Misdirected</text>
<line x1="${X0}" y1="${top + 30}" x2="${X0 + STRIP_W}" y2="${top + 30}" stroke="#ccc"/><line x1="${X0}" y1="${top + 65}" x2="${X0 + STRIP_W}" y2="${top + 65}" stroke="#ccc"/>
<line x1="${X0}" y1="${top + 85}" x2="${X0 + STRIP_W}" y2="${top + 85}" stroke="#888"/>
${ticks}<text x="${X0}" y="${top + 113}" font-size="9" fill="#555">${date}</text>
${events.length === 0 ? `<text x="${X0}" y="${top + 52}" font-size="12" fill="#555">none in this capture</text>` : dots.join("\n")}`;
}

/** "1 flow", "3 flows". */
function flows(n: number): string {
  return n === 1 ? "1 flow" : `${n} flows`;
}
