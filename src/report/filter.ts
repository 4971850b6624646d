/**
 * Wireshark display filters that lead from a finding back to its packets: a
 * pure function of report fields, so a redacted report gets filters over the
 * redacted addresses and a saved report gets the same filters as a fresh one.
 *
 * Contract: a flow's filter matches every packet of the flow in either
 * direction, and the ICMP errors quoting it (Wireshark dissects the quoted
 * IP and transport headers, so `ip.addr` and `tcp.port` match inside them).
 * Other flows are kept out where the report can tell them: one port on both
 * ends is named as source and destination, and the parts of a 5-tuple several
 * TCP or UDP flows had in turn (FlowRecord.frames, set by `boundParts` from
 * the listed flows) by their frame numbers. It may still match ICMP errors
 * that quote another flow between the two hosts, other flows' IP fragments
 * between them (a fragment's ports are unknown), and parts the report does
 * not list (past --max-report-flows, or outside --since/--until).
 * Only `==`, `>=`, `<=`, `&&` and `||` are used, which every Wireshark since
 * 1.x takes (the set syntax `in {…}` changed its separator in 4.0).
 * Field names: Wireshark's display filter reference (ip, ipv6, tcp, udp,
 * icmp, icmpv6).
 *
 * A saved report is outside input: an address that is not address text, or
 * a transport outside our vocabulary, leaves its term out, so a filter only
 * ever holds [0-9A-Za-z.:=>&|() _-] and needs no escaping in any format.
 */

import type { BlockedGroup, FlowRecord } from "./model.js";

type Endpoints = Pick<FlowRecord, "transport" | "clientIp" | "clientPort" | "serverIp" | "serverPort"> & {
  fragmented?: boolean;
  frames?: FlowRecord["frames"];
};

const ADDRESS = /^[0-9A-Fa-f.:]{2,45}$/;
const TRANSPORT = /^(tcp|udp|icmp|icmpv6|ip-proto-\d{1,3})$/;

/** `ip.addr==A` or `ipv6.addr==A`, or null for text that is not an address. */
export function addressTerm(ip: string): string | null {
  if (!ADDRESS.test(ip)) return null;
  return `${ip.includes(":") ? "ipv6.addr" : "ip.addr"}==${ip}`;
}

/** `tcp`, `udp`, `icmp`, `icmpv6`, or `ip.proto==N` for `ip-proto-N`; null outside the vocabulary. */
function transportTerm(transport: string, v6: boolean): string | null {
  if (!TRANSPORT.test(transport)) return null;
  const other = /^ip-proto-(\d+)$/.exec(transport);
  if (other !== null) return `${v6 ? "ipv6.nxt" : "ip.proto"}==${other[1]}`;
  return transport;
}

/** The terms joined by &&; `frame` (every frame) when none is left. */
function all(terms: readonly (string | null)[]): string {
  const kept = terms.filter((t): t is string => t !== null);
  return kept.length === 0 ? "frame" : kept.join(" && ");
}

/** `a && b`, either side possibly empty (b null: nothing to add). */
function and(a: string, b: string | null): string {
  if (b === null) return a;
  return a === "" ? b : `${a} && ${b}`;
}

/**
 * `ip.addr==10.1.0.20 && ip.addr==10.0.0.30 && tcp.port==50323 && tcp.port==5062`
 * (built by concatenation: JSON and ndjson write one per flow).
 */
export function flowFilter(f: Endpoints): string {
  let out = addressTerm(f.clientIp) ?? "";
  if (f.serverIp !== f.clientIp) out = and(out, addressTerm(f.serverIp));
  const t = f.transport;
  const a = f.clientPort;
  const b = f.serverPort;
  if ((t === "tcp" || t === "udp") && (Number.isInteger(a) || Number.isInteger(b))) {
    let ports = Number.isInteger(a) ? `${t}.port==${a}` : "";
    if (Number.isInteger(b) && b !== a) ports = and(ports, `${t}.port==${b}`);
    // One port on both ends: "port==P" once would also match the hosts' other flows with P at one end.
    else if (Number.isInteger(b)) ports = `${t}.srcport==${a} && ${t}.dstport==${b}`;
    out = and(out, withFragments(f, ports));
  } else {
    out = and(out, withFragments(f, transportTerm(t, f.clientIp.includes(":"))));
  }
  // One part of a 5-tuple several flows had in turn: only its frames.
  const frames = f.frames;
  if (frames !== undefined && Number.isInteger(frames[0])) {
    out = and(out, `frame.number>=${frames[0]}`);
    if (Number.isInteger(frames[1])) out = and(out, `frame.number<=${frames[1]}`);
  }
  return out === "" ? "frame" : out;
}

/**
 * What a saved report's flow filter says beyond its endpoints, read back (flowFilter's inverse):
 * whether it named IP fragments, and the frames of a 5-tuple's part.
 */
export function savedFilterFacts(filter: unknown): Pick<FlowRecord, "fragmented" | "frames"> {
  if (typeof filter !== "string") return { fragmented: false };
  const fragmented = /\|\| (ip\.flags\.mf==1|ipv6\.fraghdr)/.test(filter);
  const m = / && frame\.number>=(\d+)(?: && frame\.number<=(\d+))?$/.exec(filter);
  if (m === null) return { fragmented };
  return { fragmented, frames: [Number(m[1]), m[2] === undefined ? null : Number(m[2])] };
}

/**
 * tshark dissects the transport header of a fragmented datagram (its ports, or ICMP's type)
 * only in the frame that completes it: the other fragments between the two hosts are named by
 * their IP fragment fields.
 */
function withFragments<T extends string | null>(f: Endpoints, term: T): T | string {
  if (f.fragmented !== true || term === null) return term;
  const frag = f.clientIp.includes(":") ? "ipv6.fraghdr" : "ip.flags.mf==1 || ip.frag_offset>0";
  return `(${term.includes(" && ") ? `(${term})` : term} || ${frag})`;
}

/** Servers named in a group filter before it falls back to the port alone. */
const GROUP_SERVERS = 8;

/**
 * A blocked-looking group's filter: its servers and port when the report
 * lists every attempt and they go to at most 8 servers, and then its clients'
 * addresses, each with its port, when there are at most 8 and no client port is
 * the service port (so the healthy flows to that server and port stay out,
 * other clients' on the same ephemeral port too); else the port (and
 * transport) alone, which still matches every flow of the group.
 */
export function groupFilter(g: BlockedGroup, flowsById: ReadonlyMap<number, FlowRecord>): string {
  const servers = new Set<string>();
  /** Each client end (address and port): "ip.addr==C && tcp.port==P". */
  const clients = new Set<string>();
  let clientPortIsService = false;
  let complete = g.flows.length === g.attempts;
  for (const id of g.flows) {
    const f = flowsById.get(id);
    const term = addressTerm(f?.serverIp ?? "");
    if (f === undefined || term === null) {
      complete = false;
      break;
    }
    servers.add(term);
    const client = addressTerm(f.clientIp);
    if (f.clientPort === g.port) clientPortIsService = true;
    if (client !== null && f.clientPort !== null)
      clients.add(`${client} && ${g.transport}.port==${f.clientPort}`);
  }
  const ported = (g.transport === "tcp" || g.transport === "udp") && Number.isInteger(g.port);
  const what = ported ? `${g.transport}.port==${g.port}` : transportTerm(g.transport, false);
  if (!complete || servers.size === 0 || servers.size > GROUP_SERVERS) return all([what]);
  const list = [...servers];
  const terms = [list.length === 1 ? list[0]! : `(${list.join(" || ")})`, what];
  if (ported && !clientPortIsService && clients.size > 0 && clients.size <= GROUP_SERVERS) {
    const ends = [...clients];
    terms.push(ends.length === 1 ? ends[0]! : `(${ends.map((e) => `(${e})`).join(" || ")})`);
  }
  return all(terms);
}

/** The flows the groups name, by id, for groupFilter (one pass over the flows; only those kept). */
export function flowsById(
  flows: readonly FlowRecord[],
  groups: readonly BlockedGroup[],
): Map<number, FlowRecord> {
  const out = new Map<number, FlowRecord>();
  if (groups.length === 0) return out;
  const wanted = new Set<number>();
  for (const g of groups) for (const id of g.flows) wanted.add(id);
  for (const f of flows) if (wanted.has(f.id)) out.set(f.id, f);
  return out;
}

/**
 * Flows that had one 5-tuple in turn (a flow idle past its timeout, closed, or reused by a new
 * SYN, then another on the same tuple) get the frames of their part, so each display filter
 * matches its own packets only: a part runs from its first frame to the frame before the next
 * part's first.
 */
export function boundParts(flows: FlowRecord[], pairs: ReadonlySet<number>): void {
  const byTuple = new Map<string, FlowRecord[]>();
  for (const f of flows) {
    // Only TCP and UDP flows on a port pair a later part had: the rest are alone on their 5-tuple
    // (an ICMP flow's key holds the ports it quotes, which the report has not).
    if (f.clientPort === null || f.serverPort === null) continue;
    if (!pairs.has(portPair(f.clientPort, f.serverPort))) continue;
    const a = `${f.clientIp}|${f.clientPort}`;
    const b = `${f.serverIp}|${f.serverPort}`;
    const key = `${f.transport} ${a < b ? a : b} ${a < b ? b : a}`;
    const list = byTuple.get(key);
    if (list === undefined) byTuple.set(key, [f]);
    else list.push(f);
  }
  for (const parts of byTuple.values()) {
    if (parts.length < 2) continue;
    parts.sort((x, y) => x.firstFrame - y.firstFrame);
    for (let i = 0; i < parts.length; i++) {
      const next = parts[i + 1];
      parts[i]!.frames = [parts[i]!.firstFrame, next === undefined ? null : next.firstFrame - 1];
    }
  }
}

/** Two ports as one number, whichever order they come in. */
export function portPair(a: number, b: number): number {
  return a < b ? a * 65536 + b : b * 65536 + a;
}
