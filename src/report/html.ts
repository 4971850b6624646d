/**
 * HTML renderer: one self-contained file (inline CSS, inline SVG, inline
 * script; no request to anywhere), readable when printed. Charts: flows and
 * bytes by verdict, traffic by role, and a timeline of blocked and
 * misdirected attempts across the capture. The flow table works without
 * JavaScript (every row, in time order) and filters and sorts with it.
 * A pure function of the report model; every value is escaped.
 */

import { REASON_GUIDANCE } from "../classify/reasons.js";
import { isoToMicros, type TimeText, zonedTime } from "../format.js";
import { escapeHtml as h } from "./escape.js";
import { flowFilter, flowsById, groupFilter } from "./filter.js";
import { COLORS, cap, roleChart, timeline, VERDICTS, verdictChart } from "./html-charts.js";
import { mediaFindingText } from "./media-path.js";
import { type FlowRecord, processLabel, type Report } from "./model.js";
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

export interface HtmlOptions {
  /** Flow rows in the table at most (the JSON report has every flow). */
  maxRows: number;
  /** The time zone times are shown in (`--tz`; default UTC). */
  tz?: string;
}

export function renderHtml(report: Report, options: HtmlOptions = { maxRows: 5000 }): string {
  return [...renderHtmlChunks(report, options)].join("");
}

/** Where the flow rows go in the page; escaped text never holds U+0000. */
const ROWS_MARK = "\u0000rows\u0000";

/**
 * The page in pieces: the rows are yielded in batches of about 32 KB, so a
 * report of 200,000 rows is never held as one array of row strings (their
 * copying cost more than the rendering).
 */
export function* renderHtmlChunks(
  report: Report,
  options: HtmlOptions = { maxRows: 5000 },
): Generator<string> {
  const when = zonedTime(options.tz ?? "UTC");
  const page = pageText(report, Math.min(report.flows.length, options.maxRows), when, options.tz ?? "UTC");
  const at = page.indexOf(ROWS_MARK);
  yield page.slice(0, at);
  const shown = Math.min(report.flows.length, options.maxRows);
  let batch = "";
  for (let i = 0; i < shown; i++) {
    batch += `${i === 0 ? "" : "\n"}${flowRow(report.flows[i]!, when)}`;
    if (batch.length > 32_768) {
      yield batch;
      batch = "";
    }
  }
  yield `${batch}${page.slice(at + ROWS_MARK.length)}`;
}

function pageText(report: Report, shown: number, when: TimeText, zone: string): string {
  const c = report.capture;
  const s = report.summary;
  const title = `ocs-pcap report: ${c.path}`;
  const rows = { length: shown };
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${h(title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1c1c1c;background:#fafafa}
header{background:#263238;color:#fff;padding:16px 24px}
header h1{margin:0 0 8px;font-size:20px;word-break:break-all}
header dl{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:0;font-size:13px}
header dt{opacity:.75}header dd{margin:0;white-space:nowrap}
td.ts{white-space:nowrap;font-variant-numeric:tabular-nums}
code.wf{font-size:12px;color:#0d47a1;user-select:all}
tr:target{outline:2px solid #1565c0;background:#e3f2fd}
dl.guide{display:grid;grid-template-columns:max-content auto;gap:4px 16px}dl.guide dd{margin:0}
main{padding:16px 24px;max-width:1400px}
section{margin:0 0 28px}
h2{font-size:17px;border-bottom:1px solid #ccc;padding-bottom:4px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #ddd;border-left:6px solid;border-radius:4px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:22px}
.charts{display:flex;flex-wrap:wrap;gap:24px}
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:4px;padding:8px}
figcaption{font-weight:600;margin-bottom:4px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eceff1;position:sticky;top:0}
th[data-sort]{cursor:pointer}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.v{font-weight:600}
.v-known{color:${COLORS.known}}.v-blocked{color:${COLORS.blocked}}.v-misdirected{color:${COLORS.misdirected}}.v-inconclusive{color:${COLORS.inconclusive}}.v-unknown{color:${COLORS.unknown}}
.controls{display:flex;gap:8px;margin:8px 0}
.controls input{flex:1;padding:4px 8px}
.wide{overflow-x:auto}
.warn{background:#fff3e0;border:1px solid #ffb74d;padding:6px 10px;border-radius:4px}
.note{color:#555}
@media print{.wide{overflow:visible}header{background:#fff;color:#000;border-bottom:2px solid #000}.controls{display:none}th{position:static}section{break-inside:avoid}body{background:#fff}}
</style>
</head>
<body>
<header>
<h1>${h(title)}</h1>
<dl>
<dt>Format</dt><dd>${h(c.format)}</dd>
<dt>Link types</dt><dd>${h(c.linkTypes.join(", ") || "-")}</dd>
<dt>Packets</dt><dd>${formatCount(c.packets)}</dd>
<dt>Bytes</dt><dd>${formatCount(c.bytes)} (${formatBytes(c.bytes)})</dd>
${report.catalog === undefined ? "" : `<dt>Catalog</dt><dd>${h(report.catalog.products.join(", "))}</dd>`}<dt>First packet</dt><dd>${c.firstSeen === null ? "-" : when(isoToMicros(c.firstSeen))}</dd>
<dt>Last packet</dt><dd>${c.lastSeen === null ? "-" : when(isoToMicros(c.lastSeen))}</dd>
<dt>Anomalies</dt><dd>${h(formatCounts(c.anomalies))}</dd>${c.filter === undefined ? "" : `\n<dt>Filtered</dt><dd>${h(filterText(c.filter))}</dd>`}
<dt>Tool</dt><dd>ocs-pcap ${h(report.tool.version)}</dd>
</dl>
</header>
<main>
${c.warnings.map((w) => `<p class="warn">Warning (offset ${w.offset}): ${h(w.message)}</p>`).join("\n")}
<section id="summary">
<h2>Summary</h2>
<div class="cards">
<div class="card" style="border-color:#263238">Flows<b>${s.flows}</b></div>
${VERDICTS.map((v) => `<div class="card" style="border-color:${COLORS[v]}">${cap(v)}<b class="v-${v}">${s[v]}</b></div>`).join("\n")}
</div>
</section>
<section id="charts">
<h2>Charts</h2>
<div class="charts">
${verdictChart(report)}
${roleChart(report)}
${timeline(report, new Set(report.flows.slice(0, shown).map((f) => f.id)), when, zone)}
</div>
</section>
${blockedSection(report, shown, when)}
${[mediaSection(report), signInSection(report)].filter((x) => x !== "").join("\n")}
${tlsSection(report, shown)}
${guidanceSection(report, shown)}
${unknownSection(report)}
<section id="flows-section">
<h2>Flows</h2>
<div class="controls"><input id="filter" type="search" placeholder="Filter flows: address, port, verdict, reason…" aria-label="Filter flows"><select id="verdict" aria-label="Verdict"><option value="">all verdicts</option>${VERDICTS.map((v) => `<option value="${v}">${v}</option>`).join("")}</select></div>
<p class="note" id="count">${rows.length} of ${report.flows.length} flows shown${rows.length < report.flows.length ? " (the JSON report lists them all)" : ""}${report.flows.length < report.summary.flows ? `; ${report.summary.flows - report.flows.length} more counted but not listed (--max-report-flows)` : ""}.</p>
<div class="wide"><table id="flows">
<thead><tr><th data-sort="num">#</th><th data-sort="text">Verdict</th><th data-sort="text">Client</th><th data-sort="text">Server</th><th data-sort="text">Proto</th><th data-sort="text">App</th><th data-sort="text">State</th><th data-sort="num">Pkts c→s</th><th data-sort="num">Pkts s→c</th><th data-sort="text">First seen</th><th data-sort="num">Frame</th><th data-sort="text">Evidence</th><th data-sort="text">Wireshark filter</th></tr></thead>
<tbody>
${ROWS_MARK}
</tbody>
</table></div>
</section>
${rolesSection(report)}
</main>
<script>
(function () {
  var table = document.getElementById("flows");
  var body = table.tBodies[0];
  var filter = document.getElementById("filter");
  var verdict = document.getElementById("verdict");
  var count = document.getElementById("count");
  var total = body.rows.length;
  function apply() {
    var q = filter.value.toLowerCase();
    var v = verdict.value;
    var shown = 0;
    for (var i = 0; i < body.rows.length; i++) {
      var r = body.rows[i];
      var ok = (!q || r.textContent.toLowerCase().indexOf(q) >= 0) && (!v || r.getAttribute("data-verdict") === v);
      r.hidden = !ok;
      if (ok) shown++;
    }
    count.textContent = shown + " of " + total + " flows shown.";
  }
  filter.addEventListener("input", apply);
  verdict.addEventListener("change", apply);
  var heads = table.tHead.rows[0].cells;
  for (var k = 0; k < heads.length; k++) {
    (function (col, th) {
      var asc = true;
      th.addEventListener("click", function () {
        var rows = Array.prototype.slice.call(body.rows);
        var num = th.getAttribute("data-sort") === "num";
        rows.sort(function (a, b) {
          var x = a.cells[col].textContent, y = b.cells[col].textContent;
          var d = num ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
          return asc ? d : -d;
        });
        asc = !asc;
        rows.forEach(function (r) { body.appendChild(r); });
      });
    })(k, heads[k]);
  }
})();
</script>
</body>
</html>
`;
}

function flowRow(f: FlowRecord, when: TimeText): string {
  const app = appLabel(f, true);
  return `<tr id="flow-${f.id}" data-verdict="${f.verdict}"><td class="num">${f.id}</td><td class="v v-${f.verdict}">${f.verdict}</td><td>${h(endpoint(f.clientIp, f.clientPort))}</td><td>${h(endpoint(f.serverIp, f.serverPort))}</td><td>${h(f.transport)}</td><td>${h(app)}${f.process === undefined ? "" : `<br><small title="${h(f.process.path)}">${h(processLabel(f.process))}</small>`}</td><td>${h(f.history ? `${f.state} ${f.history}` : f.state)}</td><td class="num">${f.packetsFromClient}</td><td class="num">${f.packetsFromServer}</td><td class="ts">${when(f.firstSeen)}</td><td class="num">${f.firstFrame}</td><td>${f.reasons.map((r) => `<b>${h(r.code)}</b>: ${h(reasonText(r))}`).join("<br>")}</td><td><code class="wf">${h(flowFilter(f))}</code></td></tr>`;
}

/** "#8" linking to the flow's row when the page lists it. */
function flowLink(id: number, listed: ReadonlySet<number>): string {
  return listed.has(id) ? `<a href="#flow-${id}">#${id}</a>` : `#${id}`;
}

function blockedSection(report: Report, listed: number, when: TimeText): string {
  if (report.blocked.length === 0) return "";
  const byId = flowsById(report.flows, report.blocked);
  const rows = new Set(report.flows.slice(0, listed).map((f) => f.id));
  return `<section id="blocked">
<h2>Blocked-looking traffic by role, port and reason</h2>
<table><thead><tr><th>Finding, and its Wireshark display filter</th><th>First</th><th>Last</th><th>Flows</th></tr></thead><tbody>
${report.blocked
  .map((g) => {
    const ids = g.flows.slice(0, 20).map((id) => flowLink(id, rows));
    const more = g.flows.length > 20 ? ` … +${g.flows.length - 20}` : "";
    return `<tr><td>${h(g.summary)}<br><code class="wf">${h(groupFilter(g, byId))}</code></td><td class="ts">${when(g.firstSeen)}</td><td class="ts">${when(g.lastSeen)}</td><td>${ids.join(", ")}${more}</td></tr>`;
  })
  .join("\n")}
</tbody></table>
</section>`;
}

/** Media path findings across flows (UDP to the A/V Edge blocked, media over TCP). */
function mediaSection(report: Report): string {
  const media = report.media ?? [];
  if (media.length === 0) return "";
  return `<section id="media">
<h2>Media path (${media.length})</h2>
<ul>
${media.map((m) => `<li><b>${m.code}</b>: ${h(mediaFindingText(m))}</li>`).join("\n")}
</ul>
</section>`;
}

/** Sign-in discovery per SIP domain, from the capture's DNS lookups; a failing domain's lookups and filter. */
function signInSection(report: Report): string {
  const signIn = report.signIn ?? [];
  if (signIn.length === 0) return "";
  return `<section id="sign-in">
<h2>Sign-in and federation discovery through DNS (${signIn.length})</h2>
<ul>
${signInShown(signIn)
  .map(({ headline, details }) => {
    const items = details.map((d) =>
      d.startsWith("filter: ") ? `<li><code class="wf">${h(d.slice(8))}</code></li>` : `<li>${h(d)}</li>`,
    );
    return `<li>${h(headline)}${items.length > 0 ? `<ul>${items.join("")}</ul>` : ""}</li>`;
  })
  .join("\n")}
</ul>
</section>`;
}

/** TLS handshakes that failed or warn, among the listed flows: what each side sent, the certificate. */
function tlsSection(report: Report, listed: number): string {
  const found = tlsFindings({ ...report, flows: report.flows.slice(0, listed) });
  if (found.length === 0) return "";
  return `<section id="tls">
<h2>TLS handshakes that failed or warn</h2>
<ul>
${found.map(({ flow: f, lines }) => `<li><a href="#flow-${f.id}">#${f.id}</a> ${h(endpoint(f.clientIp, f.clientPort))} → ${h(endpoint(f.serverIp, f.serverPort))}<ul>${lines.map((l) => `<li>${h(l)}</li>`).join("")}</ul></li>`).join("\n")}
</ul>
</section>`;
}

/** What to check on the network, for each reason code the page shows. */
function guidanceSection(report: Report, listed: number): string {
  const codes = reasonCodesShown(report, report.flows.slice(0, listed));
  if (codes.length === 0) return "";
  return `<section id="guidance">
<h2>What to check on the network</h2>
<dl class="guide">
${codes.map((code) => `<dt><code>${code}</code></dt><dd>${h(REASON_GUIDANCE[code])}</dd>`).join("\n")}
</dl>
</section>`;
}

/** Unknown flows by protocol and port: at most 50 groups (the JSON report has them all). */
function unknownSection(report: Report): string {
  if (report.unknown.length === 0) return "";
  const shown = report.unknown.slice(0, 50);
  const more = report.unknown.length - shown.length;
  return `<section id="unknown">
<h2>Unknown traffic by protocol and port</h2>
<ul>
${shown.map((g) => `<li>${h(unknownGroupLabel(g))}</li>`).join("\n")}${more > 0 ? `\n<li>… and ${more} more groups</li>` : ""}
</ul>
</section>`;
}

function rolesSection(report: Report): string {
  return `<section id="roles">
<h2>Traffic by role</h2>
${
  report.roles.length === 0
    ? '<p class="note">No flow matched the catalog.</p>'
    : `<table><thead><tr><th>Role(s)</th><th>Port</th><th>Transport</th><th>Flows</th><th>Known</th><th>Blocked</th><th>Misdirected</th><th>Inconclusive</th><th>Packets</th><th>Bytes</th></tr></thead><tbody>
${report.roles.map((r) => `<tr><td>${h(r.roles.join(", "))}</td><td class="num">${h(r.ports)}</td><td>${h(r.transport)}</td><td class="num">${r.flows}</td><td class="num">${r.known}</td><td class="num">${r.blocked}</td><td class="num">${r.misdirected}</td><td class="num">${r.inconclusive}</td><td class="num">${formatCount(r.packets)}</td><td class="num">${formatBytes(r.bytes)}</td></tr>`).join("\n")}
</tbody></table>`
}
</section>`;
}
