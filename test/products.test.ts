/**
 * Built-in product catalogs (issue 16, items 1–4): each validates against the
 * catalog schema, names a source for every row, and agrees row for row with
 * its checked-in fact list (test/catalog-facts/NAME.tsv, transcribed from
 * Microsoft's tables); `--product` picks and merges them; `catalog diff` and
 * the firewall-rule CSV; fixtures/products.pcap shows ports only later
 * products list as known under them and not under OCS 2007 R2.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { formatPorts } from "../src/catalog/index.js";
import { CATALOG_SCHEMA } from "../src/catalog/load.js";
import { DEFAULT_PRODUCT, PRODUCTS, productCatalog } from "../src/catalog/products.js";
import { expectGolden } from "./helpers/golden.js";
import { runCli } from "./helpers/run.js";

const ROOT = join(import.meta.dirname, "..");
const LATER = [...PRODUCTS.keys()].filter((p) => p !== DEFAULT_PRODUCT);
const validate = new Ajv({ strict: true }).compile(CATALOG_SCHEMA);

describe("built-in product catalogs", () => {
  it("are the five later products with public tables beside OCS 2007 R2", () => {
    expect(LATER).toEqual(["lync2013", "sfb2015", "sfb2019", "teams", "teams-direct-routing"]);
  });

  for (const name of LATER) {
    const file = JSON.parse(readFileSync(join(ROOT, "src/catalog/products", `${name}.json`), "utf8")) as {
      product: string;
      sources: Record<string, string>;
      entries: { source: string }[];
    };
    it(`${name}: validates against the catalog schema, and every row names a source it defines`, () => {
      expect(validate(file), JSON.stringify(validate.errors)).toBe(true);
      expect(file.product).toBe(name);
      for (const e of file.entries) {
        const id = /^(S\d+)\b/.exec(e.source)?.[1];
        expect(id, e.source).toBeDefined();
        expect(file.sources[id!], e.source).toMatch(/^MicrosoftDocs\/[^:]+:[^@]+@[0-9a-f]{7,40}/);
      }
    });

    it(`${name}: agrees row for row with test/catalog-facts/${name}.tsv`, () => {
      const facts = readFileSync(join(ROOT, "test/catalog-facts", `${name}.tsv`), "utf8")
        .trim()
        .split("\n")
        .slice(1)
        .map((l) => l.split("\t"));
      const entries = productCatalog([name]);
      expect(entries.length).toBe(facts.length);
      entries.forEach((e, i) => {
        const [source, table, row, role, ports, transports] = facts[i]!;
        expect(
          [e.role, formatPorts(e.ports).replaceAll("/", ","), e.transports.join(",")],
          `fact ${i + 1}`,
        ).toEqual([role, ports, transports]);
        expect(e.source, `fact ${i + 1}`).toContain(source!);
        expect(e.source, `fact ${i + 1}`).toContain(table!);
        expect(e.source, `fact ${i + 1}`).toMatch(new RegExp(`row ${row}\\b`));
      });
    });
  }
});

describe("--product", () => {
  const flows = async (...args: string[]) => {
    const r = await runCli("analyze", "fixtures/products.pcap", "-f", "json", ...args);
    expect(r.stderr).toBe("");
    return JSON.parse(r.stdout) as {
      catalog?: { products: string[] };
      flows: {
        verdict: string;
        server: { port: number };
        roles: { role: string }[];
        reasons: { code: string }[];
      }[];
    };
  };
  const byPort = (r: Awaited<ReturnType<typeof flows>>, port: number) =>
    r.flows.find((f) => f.server.port === port)!;

  it("makes Lync/SfB-only ports known under the products that list them, and not under OCS 2007 R2", async () => {
    const ocs = await flows();
    const sfb = await flows("--product", "sfb2019");
    expect(ocs.catalog).toBeUndefined();
    expect(sfb.catalog).toEqual({ products: ["sfb2019"] });
    for (const port of [5067, 5068, 5086, 5087]) {
      expect(byPort(ocs, port).verdict, `${port} under ocs2007r2`).toBe("unknown");
      expect(byPort(sfb, port).verdict, `${port} under sfb2019`).toBe("known");
    }
  });

  it("knows Teams' relays on 3478-3481/udp by their published addresses", async () => {
    const teams = await flows("--product", "teams");
    for (const port of [3478, 3479, 3480, 3481]) {
      const f = byPort(teams, port);
      expect(f.verdict, `${port}`).toBe("known");
      expect(f.roles.map((r) => r.role)).toContain("Microsoft 365 media relays");
    }
    // OCS 2007 R2 knows 3478 (its Edge) and takes 3479-3481 STUN for peer-to-peer client media:
    // without a topology it cannot tell a Microsoft relay from a client.
    const ocs = await flows();
    expect(byPort(ocs, 3479).reasons[0]?.code).toBe("client_media");
  });

  it("merges products, each role named with its product", async () => {
    const both = await flows("--product", "ocs2007r2,sfb2019");
    expect(both.catalog).toEqual({ products: ["ocs2007r2", "sfb2019"] });
    const roles = byPort(both, 5067).roles.map((r) => r.role);
    // Most specific first: SfB 2019's Mediation rows, then OCS 2007 R2's clients' own range.
    expect(roles[0]).toMatch(/^Mediation Servers? \(SfB 2019\)$|\(SfB 2019\)$/);
    for (const role of roles) expect(role).toMatch(/ \((SfB 2019|OCS 2007 R2)\)$/);
  });

  it("lets topology files name the chosen product's roles (analyze and topology --check alike)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ocs-products-"));
    const file = join(dir, "t.yaml");
    writeFileSync(file, 'roles:\n  "Mediation Servers": [10.0.0.20]\nclients: [10.1.0.0/16]\n');
    expect((await runCli("topology", "--check", file, "--product", "sfb2019")).code).toBe(0);
    const ocs = await runCli("topology", "--check", file);
    expect([ocs.code, ocs.stderr]).toEqual([2, expect.stringMatching(/unknown role 'Mediation Servers'/)]);
    const r = await flows("--product", "sfb2019", "--topology", file);
    expect(byPort(r, 5067).roles.map((x) => x.role)).toEqual(["Mediation Servers"]);
  });

  it("refuses an unknown product with the list and a suggestion (exit 2)", async () => {
    const r = await runCli("analyze", "fixtures/products.pcap", "--product", "sfb-2019");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /unknown product 'sfb-2019'; built in: ocs2007r2, lync2013, .*; did you mean sfb2019\?/,
    );
  });
});

describe("catalog diff and firewall CSV", () => {
  it("catalog diff ocs2007r2 sfb2019 matches its goldens (table and JSON)", async () => {
    const table = await runCli("catalog", "diff", "ocs2007r2", "sfb2019");
    expect(table.code).toBe(0);
    expectGolden(join(ROOT, "fixtures/catalog-diff-ocs2007r2-sfb2019.txt"), table.stdout);
    const json = await runCli("catalog", "diff", "ocs2007r2", "sfb2019", "-f", "json");
    expectGolden(join(ROOT, "fixtures/catalog-diff-ocs2007r2-sfb2019.json"), json.stdout);
    const d = JSON.parse(json.stdout) as { changes: { change: string; ports: string; transport: string }[] };
    expect(d.changes).toContainEqual(
      expect.objectContaining({ change: "added", ports: "5067", transport: "tcp" }),
    );
  });

  it("catalog --product X --format csv is one firewall rule per range and transport, with its source", async () => {
    const r = await runCli("catalog", "--product", "sfb2019", "--format", "csv");
    const lines = r.stdout.split("\r\n");
    expect(lines[0]).toBe("role,direction,first_port,last_port,transport,protocol,security,product,source");
    const rows = lines.slice(1, -1);
    const entries = productCatalog(["sfb2019"]);
    expect(rows.length).toBe(entries.reduce((n, e) => n + e.ports.length * e.transports.length, 0));
    for (const row of rows)
      expect(row).toMatch(
        /,(inbound to role|outbound from role to port|outbound from role's ports|both ways),\d+,\d+,(tcp|udp),/,
      );
  });

  it("catalog --format csv gives each rule the way it opens: to the role, from the role to the port, or from its ports", async () => {
    const rows = (await runCli("catalog", "--format", "csv")).stdout.split("\r\n");
    const rule = (seedRow: number, transport: string) =>
      rows
        .find((r) => r.endsWith(`row ${seedRow}"`) && r.includes(`,${transport},`))
        ?.split(",")
        .slice(0, 4);
    expect(rule(1, "tcp")).toEqual(["Front End Servers", "inbound to role", "5060", "5060"]);
    // The CWA server's LDAP goes to a domain controller; Communicator's 5061 goes to the pool.
    expect(rule(30, "tcp")).toEqual([
      "Communicator Web Access server",
      "outbound from role to port",
      "389",
      "389",
    ]);
    expect(rule(62, "tcp")).toEqual(["Office Communicator", "outbound from role to port", "5061", "5061"]);
    expect(rule(35, "tcp")).toEqual(["Group Chat Server", "outbound from role's ports", "49152", "65535"]);
    expect(rule(44, "udp")).toEqual(["Mediation Server", "both ways", "60000", "64000"]);
  });

  it("gives the later products' outbound rows the same direction: clients to 5061, the Access Edge's DNS and CRLs", async () => {
    for (const product of ["lync2013", "sfb2015", "sfb2019"]) {
      const rows = (await runCli("catalog", "--product", product, "--format", "csv")).stdout.split("\r\n");
      const clients5061 = rows.filter((r) => r.startsWith("Clients,") && r.includes(",5061,5061,tcp,"));
      expect(clients5061.length, product).toBeGreaterThan(0);
      for (const r of clients5061) expect(r, product).toContain(",outbound from role to port,");
    }
    const lync = (await runCli("catalog", "--product", "lync2013", "--format", "csv")).stdout.split("\r\n");
    const dns = lync.filter((r) => r.startsWith("Edge Server Access Edge service,") && r.includes(",53,53,"));
    expect(dns.map((r) => r.split(",")[1])).toEqual([
      "outbound from role to port",
      "outbound from role to port",
    ]);
  });

  it("escapes what a catalog file brings: formulas in CSV, control characters on the terminal (hostile review)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ocs-products-"));
    const file = join(dir, "evil.yaml");
    writeFileSync(
      file,
      'entries:\n  - role: "=HYPERLINK(\\"http://evil\\",\\"x\\")"\n    ports: [{first: 1, last: 1}]\n    transports: [tcp]\n    protocol: "+sip"\n  - role: "red\\e[31m"\n    ports: [{first: 2, last: 2}]\n    transports: [udp]\n    protocol: sip\n',
    );
    const csv = (await runCli("catalog", "--catalog", file, "--format", "csv")).stdout;
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(csv).toContain(",'+sip,");
    const diff = await runCli("catalog", "diff", file, "ocs2007r2");
    expect(diff.code).toBe(0);
    expect(diff.stdout).not.toContain("\u001b");
    expect(diff.stdout).toContain("red\\x1b[31m");
  });

  it("refuses catalog's own options after diff, and an empty --product (hostile review)", async () => {
    const stray = await runCli("catalog", "--product", "bogus", "diff", "ocs2007r2", "sfb2019");
    expect([stray.code, stray.stderr]).toEqual([2, expect.stringMatching(/--product does not apply to it/)]);
    const empty = await runCli("analyze", "fixtures/products.pcap", "--product", ",,");
    expect([empty.code, empty.stderr]).toEqual([
      2,
      expect.stringMatching(/--product needs at least one product name/),
    ]);
  });

  it("a side that is neither a product nor a file is a usage error", async () => {
    const r = await runCli("catalog", "diff", "ocs2007r2", "nosuch");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/'nosuch' is neither a built-in product/);
  });
});
