/**
 * Wireshark display filters that lead from a finding back to its packets: a
 * pure function of report fields, so a redacted report gets filters over the
 * redacted addresses and a saved report gets the same filters as a fresh one.
 *
 * Contract: a flow's filter matches every packet of the flow in either
 * direction, and the ICMP errors quoting it (Wireshark dissects the quoted
 * IP and transport headers, so `ip.addr` and `tcp.port` match inside them).
 * It may match more (another flow between the same two ports and hosts).
 * Only `==`, `&&` and `||` are used, which every Wireshark since 1.x takes
 * (the set syntax `in {…}` changed its separator in 4.0).
 * Field names: Wireshark's display filter reference (ip, ipv6, tcp, udp,
 * icmp, icmpv6).
 */

import type { BlockedGroup, FlowRecord } from "./model.js";

type Endpoints = Pick<FlowRecord, "transport" | "clientIp" | "clientPort" | "serverIp" | "serverPort">;

function addressField(ip: string): string {
  return ip.includes(":") ? "ipv6.addr" : "ip.addr";
}

/** `tcp`, `udp`, `icmp`, `icmpv6`, or `ip.proto==N` for `ip-proto-N`. */
function transportTerm(transport: string, v6: boolean): string {
  const other = /^ip-proto-(\d+)$/.exec(transport);
  if (other !== null) return `${v6 ? "ipv6.nxt" : "ip.proto"}==${other[1]}`;
  return transport;
}

function portTerms(transport: string, a: number | null, b: number | null): string[] {
  if (transport !== "tcp" && transport !== "udp") return [];
  const out: string[] = [];
  if (a !== null) out.push(`${transport}.port==${a}`);
  if (b !== null && b !== a) out.push(`${transport}.port==${b}`);
  return out;
}

/** `ip.addr==10.1.0.20 && ip.addr==10.0.0.30 && tcp.port==50323 && tcp.port==5062` */
export function flowFilter(f: Endpoints): string {
  const terms = [`${addressField(f.clientIp)}==${f.clientIp}`];
  if (f.serverIp !== f.clientIp) terms.push(`${addressField(f.serverIp)}==${f.serverIp}`);
  const ports = portTerms(f.transport, f.clientPort, f.serverPort);
  if (ports.length > 0) terms.push(...ports);
  else terms.push(transportTerm(f.transport, f.clientIp.includes(":")));
  return terms.join(" && ");
}

/** Servers named in a group filter before it falls back to the port alone. */
const GROUP_SERVERS = 8;

/**
 * A blocked-looking group's filter: its servers and port when the report
 * lists every attempt and they go to at most 8 servers, else the port (and
 * transport) alone, which still matches every flow of the group.
 */
export function groupFilter(g: BlockedGroup, flowsById: ReadonlyMap<number, FlowRecord>): string {
  const servers = new Set<string>();
  let complete = g.flows.length === g.attempts;
  for (const id of g.flows) {
    const f = flowsById.get(id);
    if (f === undefined) {
      complete = false;
      break;
    }
    servers.add(f.serverIp);
  }
  const port = g.transport === "tcp" || g.transport === "udp" ? `${g.transport}.port==${g.port}` : "";
  if (!complete || servers.size === 0 || servers.size > GROUP_SERVERS) {
    return port === "" ? transportTerm(g.transport, false) : port;
  }
  const list = [...servers].map((ip) => `${addressField(ip)}==${ip}`);
  const hosts = list.length === 1 ? list[0]! : `(${list.join(" || ")})`;
  return port === ""
    ? `${hosts} && ${transportTerm(g.transport, [...servers][0]!.includes(":"))}`
    : `${hosts} && ${port}`;
}

/** Flows by id, for groupFilter. */
export function flowsById(flows: readonly FlowRecord[]): Map<number, FlowRecord> {
  const out = new Map<number, FlowRecord>();
  for (const f of flows) out.set(f.id, f);
  return out;
}
