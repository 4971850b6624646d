/** Plain-text pieces shared by the renderers (each escapes them for its own format). */
import { REASON_CODES, type ReasonCode } from "../classify/reasons.js";
import type { FlowRecord, Report, UnknownGroup } from "./model.js";
import { protocolName, transportText } from "./phrases.js";

/** "10.0.0.1:5061", "[2001:db8::1]:5061", or the bare address when there is no port (ICMP). */
export function endpoint(ip: string, port: number | null): string {
  if (port === null) return ip;
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** "name: n, name: n", or "none". */
export function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  if (entries.length === 0) return "none";
  return entries.map(([k, v]) => `${k}: ${v}`).join(", ");
}

/** "tls", "sip-tls?" (from the port only), "-" (nothing known); with `withSni`, "tls (pool.contoso.com)". */
export function appLabel(f: FlowRecord, withSni: boolean): string {
  const a = f.application;
  if (a.confidence === "unidentified") return "-";
  const name = a.confidence === "port-only" ? `${a.protocol}?` : a.protocol;
  return withSni && a.sni ? `${name} (${a.sni})` : name;
}

/** "1,234,567". */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** "999 B", "3.7 kB", "1.5 GB" (decimal units). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** "DNS 53/udp: 12 flows", "unidentified 8080/tcp: 1 flow", "ICMP: 3 flows". */
export function unknownGroupLabel(g: UnknownGroup): string {
  const what = g.protocol === "unidentified" ? "unidentified" : protocolName(g.protocol);
  const where = g.port === null ? transportText(g.transport) : `${g.port}/${g.transport}`;
  return `${what} ${where}: ${g.flows} flow${g.flows === 1 ? "" : "s"} (${g.reason})`;
}

/** Reason codes of the groups and flows a renderer listed, in the README
 * table's order: the codes a "what to check" section explains. */
export function reasonCodesShown(report: Report, listed: readonly FlowRecord[]): ReasonCode[] {
  const seen = new Set<string>();
  for (const f of listed) for (const r of f.reasons) seen.add(r.code);
  for (const g of report.blocked) seen.add(g.reason);
  for (const g of report.unknown) seen.add(g.reason);
  return REASON_CODES.filter((code) => seen.has(code));
}

/** "host 10.0.0.30, port 5061: 1,204 IP packets (98.1 kB) left out". */
export function filterText(f: { description: string; packets: number; bytes: number }): string {
  return `${f.description}: ${formatCount(f.packets)} IP packet${f.packets === 1 ? "" : "s"} (${formatBytes(f.bytes)}) left out`;
}
