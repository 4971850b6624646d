/**
 * tshark's DNS dissection of a capture, as the sign-in tests compare it (answers recorded, see
 * oracle.ts): per lookup, a name and type asked by one client (the query's sender, the
 * response's receiver), its queries, responses, answered responses (an answer of the asked
 * type among the answer section's records: a CNAME on the way is none), response codes and
 * first frames; and the SRV targets the answers name. A TCP segment that ends several messages
 * lists each field once per message.
 */
import { ask } from "./oracle.js";

export interface TsharkLookup {
  queries: number;
  responses: number;
  answered: number;
  /** Response codes, one character each. */
  codes: string;
  /** First query, response and answer frames; 0: none. */
  first: [number, number, number];
  /** Messages carried over TCP. */
  tcp: number;
}

const FIELDS = [
  "frame.number",
  "ip.proto",
  "ip.src",
  "ip.dst",
  "dns.flags.response",
  "dns.qry.name",
  "dns.qry.type",
  "dns.flags.rcode",
  "dns.count.answers",
  "dns.count.auth_rr",
  "dns.count.add_rr",
  "dns.resp.type",
  "dns.srv.target",
];

const TYPES: Readonly<Record<string, string>> = { 1: "A", 28: "AAAA", 33: "SRV" };

/** Lookups by "TYPE name client", and the SRV targets (lower case) tshark's answers name. */
export async function tsharkDnsLookups(
  capture: string,
): Promise<{ lookups: Map<string, TsharkLookup>; targets: Set<string> }> {
  const r = await ask("tshark", [
    "-n",
    "-r",
    capture,
    "-Y",
    "dns",
    "-T",
    "fields",
    "-E",
    "aggregator=;",
    ...FIELDS.flatMap((f) => ["-e", f]),
  ]);
  if (r.status !== 0) throw new Error(`tshark exited ${r.status}`);
  const lookups = new Map<string, TsharkLookup>();
  const targets = new Set<string>();
  for (const line of r.stdout.split("\n").filter((l) => l !== "")) {
    const [frame, proto, src, dst, ...rest] = line.split("\t");
    const [responses, names, types, rcodes, ans, auth, add, rrTypes, srv] = rest.map((f) =>
      f === "" ? [] : f.split(";"),
    );
    let rr = 0; // where this message's records start in the frame's list of record types
    for (let i = 0; i < names!.length; i++) {
      const response = responses![i] === "1" || responses![i] === "True";
      const type = types![i]!;
      const key = `${TYPES[type] ?? type} ${names![i]!.toLowerCase()} ${response ? dst : src}`;
      const t = lookups.get(key) ?? {
        queries: 0,
        responses: 0,
        answered: 0,
        codes: "",
        first: [0, 0, 0],
        tcp: 0,
      };
      if (proto === "6") t.tcp++;
      const an = Number(ans![i] ?? 0);
      const records = an + Number(auth![i] ?? 0) + Number(add![i] ?? 0);
      if (response) {
        t.responses++;
        t.codes += rcodes![i];
        if (t.first[1] === 0) t.first[1] = Number(frame);
        if (rcodes![i] === "0" && rrTypes!.slice(rr, rr + an).includes(type)) {
          t.answered++;
          if (t.first[2] === 0) t.first[2] = Number(frame);
        }
      } else {
        t.queries++;
        if (t.first[0] === 0) t.first[0] = Number(frame);
      }
      rr += records;
      lookups.set(key, t);
    }
    for (const target of srv ?? [])
      for (const one of target.split(",")) if (one !== "") targets.add(one.toLowerCase());
  }
  return { lookups, targets };
}
