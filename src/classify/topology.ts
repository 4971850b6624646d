/**
 * Topology files: where the OCS roles, the clients and the Internet live.
 *
 * YAML or JSON (JSON is YAML), one form:
 *   roles:    { "<catalog role name>": [address or CIDR, …], … }
 *   clients:  [address or CIDR, …]     (optional)
 *   external: [address or CIDR, …]     (optional)
 * Addresses and CIDRs, IPv4 or IPv6, are parsed with ip-address. Every
 * problem names the file and line: an unknown key or role name (the message
 * lists the names that exist), a bad address, or two entries that overlap
 * (a place belongs to one role only). Lookups are per flow, not per packet.
 */
import { Address4, Address6 } from "ip-address";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";

export class TopologyError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
  ) {
    super(message);
    this.name = "TopologyError";
  }
}

export type PlaceKind = "role" | "clients" | "external";

export interface Place {
  kind: PlaceKind;
  /** The role name for kind "role". */
  role: string | null;
  /** The entry as written, and where. */
  text: string;
  line: number;
}

interface Range extends Place {
  family: 4 | 6;
  first: bigint;
  last: bigint;
}

export class Topology {
  constructor(
    readonly file: string,
    private readonly ranges: readonly Range[],
  ) {}

  /** Roles that have at least one address. */
  roles(): string[] {
    return [...new Set(this.ranges.flatMap((r) => (r.role ? [r.role] : [])))];
  }

  /** Where an address (as four 32-bit words, see decode/packet.ts) lives, or null. */
  placeOf(family: number, words: readonly number[]): Place | null {
    const value =
      family === 4
        ? BigInt(words[3]! >>> 0)
        : words.reduce<bigint>((acc, w) => (acc << 32n) | BigInt(w >>> 0), 0n);
    let best: Range | null = null;
    for (const r of this.ranges) {
      if (r.family !== family || value < r.first || value > r.last) continue;
      if (best === null || r.last - r.first < best.last - best.first) best = r;
    }
    return best;
  }
}

export function parseTopology(text: string, file: string, knownRoles: readonly string[]): Topology {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const lineOf = (node: Node | null | undefined): number =>
    node?.range ? lines.linePos(node.range[0]).line : 1;
  const fail = (message: string, node?: Node | null): never => {
    throw new TopologyError(message, file, lineOf(node));
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new TopologyError(
      `not valid YAML or JSON: ${e.message.split("\n")[0]}`,
      file,
      e.linePos?.[0].line ?? 1,
    );
  }
  const root = doc.contents;
  if (!isMap(root)) fail('expected a mapping with "roles" (and optionally "clients", "external")', root);
  const ranges: Range[] = [];
  const known = new Map(knownRoles.map((r) => [r.toLowerCase(), r]));

  const addresses = (value: unknown, kind: PlaceKind, role: string | null, keyNode: Node | null): void => {
    const items = isSeq(value) ? value.items : isScalar(value) ? [value] : null;
    if (items === null)
      fail(`expected a list of addresses or CIDRs for ${role ?? kind}`, (value as Node) ?? keyNode);
    for (const item of items as unknown[]) {
      if (!isScalar(item) || (typeof item.value !== "string" && typeof item.value !== "number")) {
        fail(`expected an address or CIDR for ${role ?? kind}`, item as Node);
      }
      const scalar = item as Node & { value: unknown };
      const textValue = String(scalar.value).trim();
      ranges.push({
        ...parseRange(textValue, () =>
          fail(`bad address or CIDR '${textValue}' for ${role ?? kind}`, scalar),
        ),
        kind,
        role,
        text: textValue,
        line: lineOf(scalar),
      });
    }
  };

  for (const pair of (root as { items: { key: unknown; value: unknown }[] }).items) {
    const keyNode = pair.key as Node;
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    if (key === "roles") {
      if (!isMap(pair.value))
        fail("expected roles to map role names to address lists", (pair.value as Node) ?? keyNode);
      for (const rolePair of (pair.value as { items: { key: unknown; value: unknown }[] }).items) {
        const roleNode = rolePair.key as Node;
        const name = isScalar(rolePair.key) ? String(rolePair.key.value) : "";
        const role = known.get(name.toLowerCase());
        if (role === undefined) {
          fail(`unknown role '${name}'; roles are: ${knownRoles.join(", ")}`, roleNode);
        }
        addresses(rolePair.value, "role", role as string, roleNode);
      }
    } else if (key === "clients" || key === "external") {
      addresses(pair.value, key, null, keyNode);
    } else {
      fail(`unknown key '${key}' (expected roles, clients, external)`, keyNode);
    }
  }

  // Every place belongs to one owner only.
  for (let i = 0; i < ranges.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = ranges[i]!;
      const b = ranges[j]!;
      if (a.family === b.family && a.first <= b.last && b.first <= a.last) {
        const owner = (r: Range) => (r.role ? `role '${r.role}'` : r.kind);
        throw new TopologyError(
          `${a.text} (${owner(a)}) overlaps ${b.text} (${owner(b)}, line ${b.line})`,
          file,
          a.line,
        );
      }
    }
  }
  return new Topology(file, ranges);
}

function parseRange(text: string, bad: () => never): { family: 4 | 6; first: bigint; last: bigint } {
  try {
    if (Address4.isValid(text)) {
      const a = new Address4(text);
      return { family: 4, first: a.startAddress().bigInt(), last: a.endAddress().bigInt() };
    }
    if (Address6.isValid(text)) {
      const a = new Address6(text);
      return { family: 6, first: a.startAddress().bigInt(), last: a.endAddress().bigInt() };
    }
  } catch {
    // fall through
  }
  return bad();
}

/** What `ocs-pcap topology --example` prints. */
export const TOPOLOGY_EXAMPLE = `# ocs-pcap topology: where each OCS 2007 R2 role lives.
# Use with: ocs-pcap analyze capture.pcap --topology topology.yaml
# JSON works too, with the same keys. Role names are the catalog's
# (ocs-pcap catalog lists them); addresses and CIDRs may be IPv4 or IPv6.
# An address may belong to one role only, and no entry may overlap another.
roles:
  Front End Servers: [10.0.0.10, 10.0.0.11]
  Load balancer for Front End Servers: [10.0.0.5]
  Mediation Server: [10.0.0.20]
  Edge Server:
    - 10.0.0.30          # internal interface
    - 203.0.113.30       # external interface
    - "2001:db8::30"
  Communicator Web Access server: [10.0.0.40]
# Where the users' computers live (Office Communicator, Live Meeting).
clients: [10.1.0.0/16, "2001:db8:1::/48"]
# The Internet side, for remote users and federation.
external: [198.51.100.0/24]
`;
