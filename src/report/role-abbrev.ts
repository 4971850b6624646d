/**
 * Short names for catalog roles in the terminal report ("FE" for Front End
 * Servers), and the legend of the ones a report used, printed once. Roles of
 * a custom catalog get their initials, made unique with a number. A merged
 * catalog's role, qualified by its product ("Front End Servers (OCS 2007 R2)"),
 * is the role's short name and the product's tag: "FE.ocs".
 */

const KNOWN: Readonly<Record<string, string>> = {
  "Front End Servers": "FE",
  "Load balancer for Front End Servers": "LB-FE",
  "Communicator Web Access server": "CWA",
  Director: "Dir",
  "Load balancer for Director": "LB-Dir",
  "Mediation Server": "Med",
  "Edge Server": "Edge",
  "Load balancer for Edge Servers": "LB-Edge",
  "Office Communicator": "OC",
  "Live Meeting 2007 client": "LM",
  "2007 R2 version of Communicator Mobile": "CoMo",
  "Archiving Server": "Arch",
  "Monitoring Server": "Mon",
  "Group Chat Server": "GC",
  "Reverse Proxy": "RP",
};

/** Tags of the built-in products' qualifiers (catalog/products.ts `short`). */
const PRODUCT_TAGS: Readonly<Record<string, string>> = {
  "OCS 2007 R2": "ocs",
  "Lync 2013": "lync",
  "SfB 2015": "sfb15",
  "SfB 2019": "sfb19",
  Teams: "teams",
  "Teams DR": "tdr",
};

/** A name's initials, at most six ("R" for none). */
function initials(name: string): string {
  return (
    name
      .split(/[^A-Za-z0-9]+/)
      .filter((w) => w !== "")
      .map((w) => w[0]!.toUpperCase())
      .join("")
      .slice(0, 6) || "R"
  );
}

export class RoleAbbreviations {
  private readonly byRole = new Map<string, string>();
  private readonly used = new Set<string>();
  private readonly taken = new Set<string>(Object.values(KNOWN));

  /** The role's short name; the role joins the legend. */
  of(role: string): string {
    this.used.add(role);
    return this.peek(role);
  }

  /** The role's short name, without adding it to the legend. */
  peek(role: string): string {
    let short = this.byRole.get(role);
    if (short !== undefined) return short;
    short = KNOWN[role];
    if (short === undefined) {
      const qualified = / \(([^()]+)\)$/.exec(role);
      const tag = qualified === null ? undefined : PRODUCT_TAGS[qualified[1]!];
      const base = tag === undefined ? role : role.slice(0, qualified!.index);
      const stem = tag === undefined ? initials(role) : (KNOWN[base] ?? initials(base));
      // The number goes on the role's part, before the product's tag: "AS2.sfb15", not "AS.sfb152".
      const name = (n: number) => `${stem}${n < 2 ? "" : n}${tag === undefined ? "" : `.${tag}`}`;
      short = name(1);
      for (let n = 2; this.taken.has(short); n++) short = name(n);
      this.taken.add(short);
    }
    this.byRole.set(role, short);
    return short;
  }

  /** "FE,LB-FE,Edge"; with `record` false, the roles do not join the legend. */
  list(roles: readonly string[], record = true): string {
    return roles.map((r) => (record ? this.of(r) : this.peek(r))).join(",");
  }

  /** [short, role] for every role used, in first-use order. */
  legend(): [string, string][] {
    return [...this.used].map((role) => [this.peek(role), role]);
  }
}
