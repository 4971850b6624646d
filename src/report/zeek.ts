/**
 * Zeek conn.log output: the flows of one or more reports as Zeek's ASCII
 * (TSV) log or its JSON form, with exactly Zeek's conn.log fields, types and
 * units, followed by our own under the `ocs.` prefix.
 *
 * The fields and when each is set follow Zeek's `base/protocols/conn/main.zeek`
 * (`Conn::Info` and `set_conn`): `duration`, `orig_bytes` and `resp_bytes`
 * only when the duration is above zero; `service` only when a protocol was
 * identified (Zeek's analyzer names where Zeek has one); `history` only when
 * not empty; `local_orig`/`local_resp` never (they need Site::local_nets);
 * ICMP "ports" are the message type and code. The ASCII layout (the `#`
 * header lines, `-` for unset, `(empty)` for an empty set, `\x09` separator,
 * `,` inside sets) is Zeek's ASCII writer's. `#open` and `#close` carry the
 * first and last packet times of the captures, so the same input gives the
 * same bytes.
 *
 * Differences a reader should know (README "Zeek conn.log"): `orig_bytes` is
 * the sum of the payloads the originator sent, retransmissions included,
 * where Zeek uses the sequence-number span; `duration` runs to the last
 * packet, where Zeek stops before trailing non-productive TCP packets;
 * `missed_bytes` is 0 unless the history has a content gap (g), then unset.
 */

import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from "../decode/constants.js";
import { secondsText } from "../format.js";
import { flowFilter } from "./filter.js";
import type { FlowRecord, Report } from "./model.js";

/** Zeek's conn.log fields, in `Conn::Info` order, then ours, with their Zeek types. */
export const ZEEK_FIELDS: readonly (readonly [string, string])[] = [
  ["ts", "time"],
  ["uid", "string"],
  ["id.orig_h", "addr"],
  ["id.orig_p", "port"],
  ["id.resp_h", "addr"],
  ["id.resp_p", "port"],
  ["proto", "enum"],
  ["service", "string"],
  ["duration", "interval"],
  ["orig_bytes", "count"],
  ["resp_bytes", "count"],
  ["conn_state", "string"],
  ["local_orig", "bool"],
  ["local_resp", "bool"],
  ["missed_bytes", "count"],
  ["history", "string"],
  ["orig_pkts", "count"],
  ["orig_ip_bytes", "count"],
  ["resp_pkts", "count"],
  ["resp_ip_bytes", "count"],
  ["tunnel_parents", "set[string]"],
  ["ip_proto", "count"],
  ["ocs.capture", "string"],
  ["ocs.verdict", "string"],
  ["ocs.app", "string"],
  ["ocs.roles", "set[string]"],
  ["ocs.reasons", "vector[string]"],
  ["ocs.filter", "string"],
];

/** Our protocol names → Zeek's analyzer names, where Zeek has an analyzer for it. */
const ZEEK_SERVICE: Readonly<Record<string, string>> = {
  sip: "sip",
  tls: "ssl",
  mdns: "dns",
  llmnr: "dns",
  http: "http",
  dcerpc: "dce_rpc",
  kerberos: "krb",
  ldap: "ldap",
  quic: "quic",
  dtls: "dtls",
  dns: "dns",
  ntp: "ntp",
  dhcp: "dhcp",
  snmp: "snmp",
  syslog: "syslog",
  smb: "smb",
  rdp: "rdp",
  rfb: "rfb",
  ssh: "ssh",
  mysql: "mysql",
};

/** A field's value: a string as written, a number, a set or vector, or null for unset. */
type Value = string | number | readonly string[] | null;

const IP_PROTO: Readonly<Record<string, number>> = {
  tcp: IPPROTO_TCP,
  udp: IPPROTO_UDP,
  icmp: IPPROTO_ICMP,
  icmpv6: IPPROTO_ICMPV6,
};

/**
 * A connection uid in Zeek's shape ("C" and 17 base-62 characters), derived
 * from the capture, the 5-tuple and the first packet time: the same capture
 * always gives the same uids, and the same flow in two captures two uids.
 */
export function zeekUid(capture: string, f: FlowRecord): string {
  const key = `${capture}\0${f.transport}\0${f.clientIp}\0${f.clientPort}\0${f.serverIp}\0${f.serverPort}\0${f.firstSeen}`;
  // Four independent 32-bit lanes (MurmurHash3's mixing, different seeds):
  // about 100 bits of hash, cheap enough to run once per flow of a large capture.
  let s = "C";
  for (let lane = 0; lane < 4; lane++) {
    let h = SEEDS[lane]!;
    for (let i = 0; i < key.length; i++) {
      h = Math.imul(h ^ key.charCodeAt(i), 0xcc9e2d51);
      h = (h << 15) | (h >>> 17);
    }
    h ^= key.length;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    let n = (h ^ (h >>> 16)) >>> 0;
    // 62^5 < 2^32: five digits per lane, 17 in all.
    for (let d = 0; d < (lane === 3 ? 2 : 5); d++) {
      s += BASE62[n % 62];
      n = Math.floor(n / 62);
    }
  }
  return s;
}

const SEEDS = [0x9747b28c, 0x2f8a6b1d, 0x5bd1e995, 0x1b873593];
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** One flow's values, in ZEEK_FIELDS order. */
export function zeekValues(capture: string, f: FlowRecord): Value[] {
  const icmpDetails = f.reasons.find((r) => r.code === "icmp_unmatched")?.details;
  const icmp = f.transport === "icmp" || f.transport === "icmpv6";
  const icmpType = icmpDetails !== undefined && "type" in icmpDetails ? icmpDetails.type : null;
  const icmpCode = icmpDetails !== undefined && "code" in icmpDetails ? icmpDetails.code : null;
  const duration = f.lastSeen - f.firstSeen;
  const known = (n: number) => (n >= 0 ? n : null);
  const proto =
    f.transport === "tcp" || f.transport === "udp" ? f.transport : icmp ? "icmp" : "unknown_transport";
  const ipProto = IP_PROTO[f.transport] ?? /^ip-proto-(\d+)$/.exec(f.transport)?.[1] ?? null;
  return [
    secondsText(f.firstSeen),
    zeekUid(capture, f),
    f.clientIp,
    icmp ? icmpType : f.clientPort,
    f.serverIp,
    icmp ? icmpCode : f.serverPort,
    proto,
    f.application.confidence === "signature" ? (ZEEK_SERVICE[f.application.protocol] ?? null) : null,
    duration > 0 ? secondsText(duration) : null,
    duration > 0 ? known(f.payloadFromClient) : null,
    duration > 0 ? known(f.payloadFromServer) : null,
    f.state === "" ? null : f.state,
    null,
    null,
    /[gG]/.test(f.history) ? null : 0,
    f.history === "" ? null : f.history,
    f.packetsFromClient,
    known(f.ipBytesFromClient),
    f.packetsFromServer,
    known(f.ipBytesFromServer),
    null,
    ipProto === null ? null : Number(ipProto),
    capture,
    f.verdict,
    f.application.protocol,
    [...new Set(f.roles.map((r) => r.role))],
    f.reasons.map((r) => r.code),
    flowFilter(f),
  ];
}

/**
 * Zeek's ASCII escaping: the separator, the set separator, backslash and
 * any non-printable byte as \xNN, so a field can never split a line or a
 * column. (Zeek escapes a bare "-" or "(empty)" value the same way.)
 */
function escapeAscii(s: string): string {
  if (s === "-" || s === "(empty)") return s.replace(/./gu, (c) => hex(c));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: controls are what is escaped.
  return s.replace(/[\\\t,\u0000-\u001f\u007f-\u009f]/gu, (c) => (c === "," ? "\\x2c" : hex(c)));
}

function hex(c: string): string {
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
}

function asciiValue(v: Value): string {
  if (v === null) return "-";
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return escapeAscii(v);
  return v.length === 0 ? "(empty)" : v.map(escapeAscii).join(",");
}

/** Zeek's `#open`/`#close` stamp, %Y-%m-%d-%H-%M-%S in UTC, from a report's ISO time; "-" when none. */
function stamp(iso: string | undefined): string {
  return iso === undefined ? "-" : iso.slice(0, 19).replace("T", "-").replaceAll(":", "-");
}

/** The captures' flows as one conn.log in Zeek's ASCII format. */
export function* renderZeekTsv(reports: readonly Report[]): Generator<string> {
  // ISO times in one format sort as text.
  const firsts = reports.flatMap((r) => (r.capture.firstSeen === null ? [] : [r.capture.firstSeen])).sort();
  const lasts = reports.flatMap((r) => (r.capture.lastSeen === null ? [] : [r.capture.lastSeen])).sort();
  const open = stamp(firsts[0]);
  const close = stamp(lasts[lasts.length - 1]);
  yield [
    "#separator \\x09",
    "#set_separator\t,",
    "#empty_field\t(empty)",
    "#unset_field\t-",
    "#path\tconn",
    `#open\t${open}`,
    `#fields\t${ZEEK_FIELDS.map(([name]) => name).join("\t")}`,
    `#types\t${ZEEK_FIELDS.map(([, type]) => type).join("\t")}`,
    "",
  ].join("\n");
  for (const r of reports) {
    let batch = "";
    for (const f of r.flows) {
      batch += `${zeekValues(r.capture.path, f).map(asciiValue).join("\t")}\n`;
      if (batch.length > 32_768) {
        yield batch;
        batch = "";
      }
    }
    if (batch !== "") yield batch;
  }
  yield `#close\t${close}\n`;
}

/** The captures' flows as Zeek's JSON log: one object per line, unset fields left out. */
export function* renderZeekJson(reports: readonly Report[]): Generator<string> {
  for (const r of reports) {
    let batch = "";
    for (const f of r.flows) {
      const values = zeekValues(r.capture.path, f);
      let line = "{";
      for (let i = 0; i < ZEEK_FIELDS.length; i++) {
        const v = values[i]!;
        if (v === null) continue;
        const [name, type] = ZEEK_FIELDS[i]!;
        // Zeek's JSON writer gives time and interval as numbers of seconds.
        const json = type === "time" || type === "interval" ? String(v) : JSON.stringify(v);
        line += `${line === "{" ? "" : ","}${JSON.stringify(name)}:${json}`;
      }
      batch += `${line}}\n`;
      if (batch.length > 32_768) {
        yield batch;
        batch = "";
      }
    }
    if (batch !== "") yield batch;
  }
}
