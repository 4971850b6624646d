/**
 * The input filters' options (`--host`, `--net`, `--port`, `--transport`,
 * `--since`, `--until`) into the plain-data filter a worker can rebuild: a
 * bad value is a usage error (exit 2) naming the option.
 */
import { Address4, Address6 } from "ip-address";
import type { InputFilterSpec, NetSpec } from "../flow/input-filter.js";
import { UsageError } from "./exit.js";

export interface FilterCliOptions {
  host?: string[];
  net?: string[];
  port?: string[];
  transport?: "tcp" | "udp";
  since?: string;
  until?: string;
}

/** The input filters the options ask for, or null when none is given; a bad value is a usage error. */
export function parseInputFilter(opts: FilterCliOptions): InputFilterSpec | null {
  const hosts = opts.host ?? [];
  const netsText = opts.net ?? [];
  const portsText = opts.port ?? [];
  if (
    hosts.length + netsText.length + portsText.length === 0 &&
    opts.transport === undefined &&
    opts.since === undefined &&
    opts.until === undefined
  )
    return null;
  const nets: NetSpec[] = [];
  for (const h of hosts) {
    if (h.includes("/")) throw new UsageError(`--host takes an address, not a network ('${h}'): use --net`);
    nets.push(netSpec(h, "--host"));
  }
  for (const n of netsText) nets.push(netSpec(n, "--net"));
  const ports = portsText.map((p) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n > 65535) throw new UsageError(`--port takes a port number 0-65535, not '${p}'`);
    return n;
  });
  const since = opts.since === undefined ? null : timeSpec(opts.since, "--since");
  const until = opts.until === undefined ? null : timeSpec(opts.until, "--until");
  if (since !== null && until !== null && since.relative === until.relative && since.micros > until.micros)
    throw new UsageError(`--since ${opts.since} is after --until ${opts.until}`);
  const parts = [
    ...hosts.map((h) => `host ${h}`),
    ...netsText.map((n) => `net ${n}`),
    ...(ports.length > 0 ? [`port ${ports.join(" or ")}`] : []),
    ...(opts.transport !== undefined ? [`transport ${opts.transport}`] : []),
    ...(opts.since !== undefined ? [`since ${opts.since}`] : []),
    ...(opts.until !== undefined ? [`until ${opts.until}`] : []),
  ];
  return {
    nets,
    ports,
    transport: opts.transport === undefined ? null : opts.transport === "tcp" ? 6 : 17,
    since,
    until,
    description: parts.join(", "),
  };
}

/** An address or CIDR as words and masks (ip-address parses; IPv4 in word 3, as decode/packet.ts holds it). */
function netSpec(text: string, option: string): NetSpec {
  const bad = () =>
    new UsageError(
      `${option} takes an IPv4 or IPv6 address${option === "--net" ? " or CIDR" : ""}, not '${text}'`,
    );
  if (Address4.isValid(text)) {
    const a = new Address4(text);
    const mask = a.subnetMask === 0 ? 0 : (0xffffffff << (32 - a.subnetMask)) | 0;
    const word = Number(a.startAddress().bigInt()) | 0;
    return { family: 4, words: [0, 0, 0, word & mask], masks: [0, 0, 0, mask] };
  }
  if (Address6.isValid(text)) {
    const a = new Address6(text);
    // An IPv4-mapped address or network (::ffff:0:0/96, RFC 4291 §2.5.5.2) is its IPv4 form, as in topologies.
    if (a.is4() && a.subnetMask >= 96)
      return netSpec(`${a.to4().correctForm()}/${a.subnetMask - 96}`, option);
    const start = a.startAddress().bigInt();
    const words = [0, 1, 2, 3].map((i) => Number((start >> BigInt(96 - 32 * i)) & 0xffffffffn) | 0);
    const masks = [0, 1, 2, 3].map((i) => {
      const bits = Math.max(0, Math.min(32, a.subnetMask - 32 * i));
      return bits === 0 ? 0 : (0xffffffff << (32 - bits)) | 0;
    });
    return {
      family: 6,
      words: [words[0]!, words[1]!, words[2]!, words[3]!],
      masks: [masks[0]!, masks[1]!, masks[2]!, masks[3]!],
    };
  }
  throw bad();
}

/**
 * `--since`/`--until`: an ISO 8601 time with a zone (microseconds kept), or
 * seconds from the capture's first packet ("90", "2.5").
 */
function timeSpec(text: string, option: string): { micros: number; relative: boolean } {
  if (/^\d+(\.\d+)?$/.test(text)) return { micros: Math.round(Number(text) * 1_000_000), relative: true };
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  const ms = m === null ? Number.NaN : Date.parse(`${m[1]}${m[3]}`);
  // Date.parse rolls 2023-02-29 over to March 1: a date no calendar holds is refused.
  const real = m !== null && new Date(`${m[1]}Z`).toISOString().slice(0, 19) === m[1];
  if (m === null || Number.isNaN(ms) || !real) {
    throw new UsageError(
      `${option} takes an ISO 8601 time with its zone (2024-05-14T09:00:00Z) or seconds from the first packet (90), not '${text}'`,
    );
  }
  return { micros: ms * 1000 + Number((m[2] ?? "").padEnd(6, "0")), relative: false };
}

/**
 * The table format's width: --width (0: no limit; else at least 40), or the
 * terminal's when the report goes to it (at least 40: narrower, lines wrap),
 * or 100.
 */
