/**
 * tshark's values of fields per 5-tuple of a capture (run live: the corpus suites compare
 * against what tshark reads of each real capture). The 5-tuple key is direction-free, so it
 * names the same flow as the report's client and server.
 */
import { spawnSync } from "node:child_process";

/** A direction-free key of a transport and its two ends. */
export const flowKey = (t: string, a: string, ap: string | number, b: string, bp: string | number) =>
  [t, ...[`${a} ${ap}`, `${b} ${bp}`].sort()].join(" ");

const ENDS = [
  "ip.src",
  "ipv6.src",
  "ip.dst",
  "ipv6.dst",
  "udp.srcport",
  "udp.dstport",
  "tcp.srcport",
  "tcp.dstport",
];

/**
 * Each frame `filter` keeps, per flow in frame order: the first value of each of `wanted`, joined
 * by a space ("INVITE 200").
 */
export function tsharkByFlow(
  path: string,
  filter: string,
  wanted: readonly string[],
  options: readonly string[] = [],
): Map<string, string[]> {
  const fields = [...ENDS, ...wanted];
  const r = spawnSync(
    "tshark",
    [
      "-r",
      path,
      ...options,
      "-Y",
      filter,
      "-T",
      "fields",
      "-E",
      "occurrence=f",
      ...fields.flatMap((f) => ["-e", f]),
    ],
    { encoding: "utf8", maxBuffer: 1 << 26 },
  );
  const out = new Map<string, string[]>();
  for (const line of r.stdout.split("\n")) {
    if (line === "") continue;
    const [s4, s6, d4, d6, us, ud, ts, td, ...values] = line.split("\t");
    const udp = us !== "";
    const k = flowKey(udp ? "udp" : "tcp", s4 || s6!, udp ? us! : ts!, d4 || d6!, udp ? ud! : td!);
    out.set(k, [...(out.get(k) ?? []), values.join(" ")]);
  }
  return out;
}
