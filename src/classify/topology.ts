/**
 * Topology files: where the OCS roles, the clients and the Internet live.
 *
 * YAML or JSON (JSON is YAML), one form:
 *   roles:    { "<catalog role name>": [address or CIDR, …], … }
 *   clients:  [address or CIDR, …]     (optional)
 *   external: [address or CIDR, …]     (optional)
 *   names:    { "<catalog role name>": [FQDN, …], … }   (optional)
 * Addresses and CIDRs, IPv4 or IPv6, are parsed with ip-address. Every
 * problem names the file and line: an unknown key or role name (the message
 * lists the names that exist), a bad address, or the same address or network
 * given to two owners. Entries nest as CIDRs do, and the longest prefix wins
 * (as Zeek's Site::local_nets and routing tables resolve): a Front End listed
 * by address belongs to its role although the clients' 10.0.0.0/8 contains
 * it. An IPv4-mapped IPv6 address is its IPv4 form. Lookups are per flow.
 *
 * `names` gives the FQDNs clients use to reach a role (the pool's FQDN, the
 * Edge's external names): a TLS server placed in that role should present a
 * certificate that names at least one of them (RFC 6125 §6.4), which
 * classify/tls.ts checks when the ClientHello carries no SNI to check instead.
 */
import { Address4, Address6 } from "ip-address";
import type { Node } from "yaml";
import { yaml } from "../schema.js";

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

/** The FQDNs a topology gives one role, and the line that gave them. */
export interface RoleNames {
  names: readonly string[];
  line: number;
}

/** A DNS host name as clients type it (RFC 1123 §2.1 labels, at least two of them); no wildcard. */
const FQDN =
  /^(?=.{1,253}\.?$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+\.?$/i;

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

/** A stretch of addresses and the entry that owns it (the innermost covering it). */
interface Segment {
  first: bigint;
  last: bigint;
  owner: Place;
}

/**
 * Nested ranges (CIDRs nest or are disjoint) as disjoint segments, each owned
 * by the innermost range covering it, sorted by first address: one binary
 * search then finds an address's longest prefix.
 */
function flatten(ranges: readonly Range[]): Segment[] {
  // Outer before inner: by first address, then the wider first.
  const sorted = [...ranges].sort((a, b) =>
    a.first < b.first ? -1 : a.first > b.first ? 1 : a.last > b.last ? -1 : a.last < b.last ? 1 : 0,
  );
  const out: Segment[] = [];
  const open: Range[] = [];
  let cursor = 0n;
  const emit = (first: bigint, last: bigint, owner: Range) => {
    if (first <= last) out.push({ first, last, owner });
  };
  const closeUntil = (limit: bigint | null) => {
    // Ends the open ranges that stop before `limit` (all of them when null).
    while (open.length > 0 && (limit === null || open[open.length - 1]!.last < limit)) {
      const top = open.pop()!;
      emit(cursor, top.last, top);
      cursor = top.last + 1n;
    }
  };
  for (const r of sorted) {
    closeUntil(r.first);
    const outer = open[open.length - 1];
    if (outer !== undefined) emit(cursor, r.first - 1n, outer);
    cursor = r.first;
    open.push(r);
  }
  closeUntil(null);
  return out;
}

export class Topology {
  /** IPv4 and IPv6 segments, disjoint, sorted by first address, each owned by its innermost entry. */
  private readonly v4: readonly Segment[];
  private readonly v6: readonly Segment[];

  constructor(
    readonly file: string,
    private readonly ranges: readonly Range[],
    /** Role name → the FQDNs clients use for it, lower case, with the line that gave them. */
    private readonly roleNames: ReadonlyMap<string, RoleNames> = new Map(),
  ) {
    this.v4 = flatten(ranges.filter((r) => r.family === 4));
    this.v6 = flatten(ranges.filter((r) => r.family === 6));
  }

  /** Roles that have at least one address. */
  roles(): string[] {
    return [...new Set(this.ranges.flatMap((r) => (r.role ? [r.role] : [])))];
  }

  private placedRoles: ReadonlySet<string> | null = null;

  /** Whether the file gives the role at least one address. */
  places(role: string): boolean {
    this.placedRoles ??= new Set(this.roles());
    return this.placedRoles.has(role);
  }

  private allNames: ReadonlySet<string> | null = null;

  /** Whether the file gives this FQDN (case aside) to a role it places at some address. */
  namesARole(name: string): boolean {
    this.allNames ??= new Set(
      this.roles().flatMap((role) => (this.namesOf(role)?.names ?? []).map((n) => n.toLowerCase())),
    );
    return this.allNames.has(name.toLowerCase());
  }

  /** The FQDNs the file gives a role, or null when it gives none. */
  namesOf(role: string): RoleNames | null {
    return this.roleNames.get(role) ?? null;
  }

  /** Where an address (as four 32-bit words, see decode/packet.ts) lives, or null. */
  placeOf(family: number, words: readonly number[]): Place | null {
    return this.segmentOf(family, words)?.owner ?? null;
  }

  /**
   * Whether the file says the address is a host: an address it lists on its own (a /32 or /128),
   * either address of a /31 (RFC 3021), or an address inside a role's network other than its first
   * and last. An x.x.x.255 there is a server, not a /24's broadcast (RFC 919 §7). A client network
   * (often a summary of many /24s) says nothing either way.
   */
  hostInside(family: number, words: readonly number[]): boolean {
    const at = this.segmentOf(family, words);
    if (at === null) return false;
    const owner = at.owner as Range;
    const value = this.lastValue;
    if (owner.last - owner.first <= 1n) return true;
    return owner.kind === "role" && value !== owner.first && value !== owner.last;
  }

  /** The address `segmentOf` last looked up, as a number (set on every call; read right after it). */
  private lastValue = 0n;

  /** The segment holding an address, or null; sets `lastValue`. */
  private segmentOf(family: number, words: readonly number[]): Segment | null {
    let v4 = family === 4;
    let value = v4
      ? BigInt(words[3]! >>> 0)
      : words.reduce<bigint>((acc, w) => (acc << 32n) | BigInt(w >>> 0), 0n);
    // An IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) lives where its IPv4 form does.
    if (!v4 && value >> 32n === 0xffffn) {
      v4 = true;
      value &= 0xffffffffn;
    }
    // Binary search: the last range starting at or below the address, if it reaches it.
    const list = v4 ? this.v4 : this.v6;
    let lo = 0;
    let hi = list.length - 1;
    let found: Segment | null = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = list[mid]!;
      if (r.first <= value) {
        found = r;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    this.lastValue = value;
    return found !== null && value <= found.last ? found : null;
  }
}

export function parseTopology(text: string, file: string, knownRoles: readonly string[]): Topology {
  const { isMap, isScalar, isSeq, LineCounter, parseDocument } = yaml();
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
  const roleNames = new Map<string, RoleNames>();
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

  /** Each entry of a role-keyed mapping (`roles`, `names`), its key resolved to the catalog's role name. */
  const eachRole = (
    value: unknown,
    keyNode: Node,
    what: string,
    fn: (role: string, value: unknown, roleNode: Node) => void,
  ): void => {
    if (!isMap(value)) fail(`expected ${what}`, (value as Node) ?? keyNode);
    for (const rolePair of (value as { items: { key: unknown; value: unknown }[] }).items) {
      const roleNode = rolePair.key as Node;
      const name = isScalar(rolePair.key) ? String(rolePair.key.value) : "";
      const role = known.get(name.toLowerCase());
      if (role === undefined) fail(`unknown role '${name}'; roles are: ${knownRoles.join(", ")}`, roleNode);
      fn(role as string, rolePair.value, roleNode);
    }
  };

  for (const pair of (root as { items: { key: unknown; value: unknown }[] }).items) {
    const keyNode = pair.key as Node;
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    if (key === "roles") {
      eachRole(pair.value, keyNode, "roles to map role names to address lists", (role, value, roleNode) =>
        addresses(value, "role", role, roleNode),
      );
    } else if (key === "clients" || key === "external") {
      addresses(pair.value, key, null, keyNode);
    } else if (key === "names") {
      eachRole(pair.value, keyNode, "names to map role names to FQDN lists", (role, value, roleNode) => {
        const items = isSeq(value) ? value.items : isScalar(value) ? [value] : null;
        if (items === null || items.length === 0)
          fail(`expected a list of FQDNs for ${role}`, (value as Node) ?? roleNode);
        const names: string[] = [...(roleNames.get(role)?.names ?? [])];
        for (const item of items as unknown[]) {
          const text = isScalar(item) && typeof item.value === "string" ? item.value.trim() : "";
          // The last label is never all digits (RFC 3696 §2), so an address is not a name.
          if (!FQDN.test(text) || /(^|\.)\d+\.?$/.test(text))
            fail(
              `bad FQDN '${isScalar(item) ? String(item.value) : ""}' for ${role} (a host name such as pool.contoso.com)`,
              item as Node,
            );
          const lower = text.toLowerCase().replace(/\.$/, "");
          if (!names.includes(lower)) names.push(lower);
        }
        roleNames.set(role, { names, line: lineOf(roleNode) });
      });
    } else {
      fail(`unknown key '${key}' (expected roles, clients, external, names)`, keyNode);
    }
  }

  // CIDRs nest or are disjoint; the innermost wins. The same range under two
  // owners is the one conflict (the later entry in the file is reported).
  const cmp = (x: bigint, y: bigint) => (x < y ? -1 : x > y ? 1 : 0);
  const order = [...ranges].sort(
    (a, b) => a.family - b.family || cmp(a.first, b.first) || cmp(a.last, b.last) || a.line - b.line,
  );
  const owner = (x: Range) => (x.role ? `role '${x.role}'` : x.kind);
  const unique: Range[] = [];
  const twice = new Set<Range>();
  for (const r of order) {
    const prev = unique[unique.length - 1];
    if (prev !== undefined && prev.family === r.family && prev.first === r.first && prev.last === r.last) {
      if (prev.kind === r.kind && prev.role === r.role) {
        twice.add(r); // the same place twice: harmless
        continue;
      }
      throw new TopologyError(
        `${r.text} (${owner(r)}) is also ${prev.text} (${owner(prev)}, line ${prev.line}): one place, two owners`,
        file,
        r.line,
      );
    }
    unique.push(r);
  }
  return new Topology(
    file,
    ranges.filter((r) => !twice.has(r)),
    roleNames,
  );
}

function parseRange(text: string, bad: () => never): { family: 4 | 6; first: bigint; last: bigint } {
  try {
    if (Address4.isValid(text)) {
      const a = new Address4(text);
      return { family: 4, first: a.startAddress().bigInt(), last: a.endAddress().bigInt() };
    }
    if (Address6.isValid(text)) {
      const a = new Address6(text);
      const first = a.startAddress().bigInt();
      const last = a.endAddress().bigInt();
      // IPv4-mapped (::ffff:0:0/96, RFC 4291 §2.5.5.2): the IPv4 range it names, so it overlaps its IPv4 form.
      if (first >> 32n === 0xffffn && last >> 32n === 0xffffn) {
        return { family: 4, first: first & 0xffffffffn, last: last & 0xffffffffn };
      }
      return { family: 6, first, last };
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
# The most specific entry wins: a server listed by address belongs to its role
# even inside the clients' network; the same address under two roles is an error.
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
# The names clients use for a role: a TLS server placed in the role whose
# certificate names none of them gets tls_name_mismatch (useful when clients,
# like Office Communicator on Windows XP, send no SNI).
names:
  Front End Servers: [pool01.contoso.com]
  Edge Server: [sip.contoso.com, webconf.contoso.com, av.contoso.com]
`;
