import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOG, SEED_ROWS } from "../src/catalog/data.js";
import { CatalogIndex, formatPorts } from "../src/catalog/index.js";
import { parsePortCell, parseSeed } from "../src/catalog/seed.js";
import type { Transport } from "../src/catalog/types.js";

const SEED = join(import.meta.dirname, "..", "..", "shared", "seed", "000_f739fc99b338a2c0.txt");
const index = new CatalogIndex();

describe("catalog data", () => {
  it("covers every seed row, in order", () => {
    const rows = [...new Set(CATALOG.map((e) => e.seedRow))];
    expect(rows).toEqual(Array.from({ length: SEED_ROWS }, (_, i) => i + 1));
  });

  it("has well-formed entries", () => {
    for (const e of CATALOG) {
      expect(e.id).toBe(CATALOG.indexOf(e));
      expect(e.ports.length).toBeGreaterThan(0);
      for (const p of e.ports) {
        expect(p.first).toBeLessThanOrEqual(p.last);
        expect(p.last).toBeLessThanOrEqual(65535);
      }
      expect(e.transports.length).toBeGreaterThan(0);
      expect(e.description.length).toBeGreaterThan(10);
      expect(["tls", "plain", "any"]).toContain(e.security);
    }
  });

  it("records each normalization of the seed as a note", () => {
    const notes = (row: number) => CATALOG.filter((e) => e.seedRow === row).flatMap((e) => e.notes);
    expect(notes(17).join()).toMatch(/49152-65335.*49152-65535/);
    expect(notes(35).join()).toMatch(/49152-65335.*49152-65535/);
    expect(notes(60).join()).toMatch(/says TCP but .*STUN\/UDP/);
    expect(notes(53).join()).toMatch(/50,000-59,999/);
    expect(notes(34).join()).toMatch(/protocol cell is empty/);
    expect(notes(10).join()).toMatch(/TCP and MTLS/);
  });

  it("separates transport from security: bare TCP allows either, MTLS/TLS/HTTPS demand TLS, HTTP and 5060 demand plain", () => {
    const entry = (row: number, port: number) =>
      CATALOG.find((e) => e.seedRow === row && e.ports.some((p) => p.first === port))!;
    expect(entry(6, 5062).security).toBe("any"); // "TCP"
    expect(entry(14, 5074).security).toBe("tls"); // "TLS"
    expect(entry(2, 443).security).toBe("tls"); // "HTTPS"
    expect(entry(28, 80).security).toBe("plain"); // "HTTP"
    expect(entry(1, 5060).security).toBe("plain"); // 5060 paired with 5061 MTLS
    expect(entry(1, 5061).security).toBe("tls");
    expect(entry(61, 5060).security).toBe("plain"); // "TCP (SIP)" for clients
  });

  it("marks only rows 64 and 69 as the client media range", () => {
    expect(CATALOG.filter((e) => e.clientRange).map((e) => e.seedRow)).toEqual([64, 69]);
  });

  it.skipIf(!existsSync(SEED))("matches the seed table's ports row by row", () => {
    const rows = parseSeed(readFileSync(SEED, "utf8"));
    expect(rows).toHaveLength(SEED_ROWS);
    for (const row of rows) {
      const entries = CATALOG.filter((e) => e.seedRow === row.row);
      expect(entries.length, `row ${row.row}`).toBeGreaterThan(0);
      const normalized = entries.some((e) => e.notes.some((n) => n.includes("65335")));
      const seedPorts = row.ports.map((p) => ({
        first: p.first,
        last: normalized && p.last === 65335 ? 65535 : p.last,
      }));
      const ours = entries.flatMap((e) => e.ports);
      expect(
        [...new Set(ours.map((p) => `${p.first}-${p.last}`))].sort(),
        `row ${row.row} (${row.component}, ${row.portCell})`,
      ).toEqual([...new Set(seedPorts.map((p) => `${p.first}-${p.last}`))].sort());
    }
  });

  it("reads every port cell form the seed uses", () => {
    expect(parsePortCell("5060/5061")).toEqual([
      { first: 5060, last: 5060 },
      { first: 5061, last: 5061 },
    ]);
    expect(parsePortCell("50,000-59,999")).toEqual([{ first: 50000, last: 59999 }]);
    expect(parsePortCell("49152 to 65535")).toEqual([{ first: 49152, last: 65535 }]);
    expect(() => parsePortCell("many")).toThrow(/unreadable port cell/);
  });
});

describe("catalog index", () => {
  function bruteForce(transport: Transport, port: number) {
    // "source" rows (ports a role sends from) never match a responder's port.
    return CATALOG.flatMap((entry) =>
      entry.transports.includes(transport) && entry.portUse !== "source"
        ? entry.ports.filter((r) => r.first <= port && port <= r.last).map((range) => ({ entry, range }))
        : [],
    ).sort(
      (a, b) => a.range.last - a.range.first - (b.range.last - b.range.first) || a.entry.id - b.entry.id,
    );
  }

  it("answers exactly what a scan of the catalog answers, for every port and transport", () => {
    for (const transport of ["tcp", "udp"] as const) {
      for (let port = 0; port < 65536; port++) {
        const got = index.lookup(transport, port).map((m) => `${m.entry.id}:${m.range.first}`);
        const want = bruteForce(transport, port).map((m) => `${m.entry.id}:${m.range.first}`);
        if (got.join() !== want.join()) expect(got, `${port}/${transport}`).toEqual(want);
      }
    }
  });

  it("ranks an exact port before ranges, and narrower ranges before wider", () => {
    const m = index.lookup("udp", 60010);
    expect(m.map((x) => formatPorts([x.range]))).toEqual([
      "60000-64000",
      "49152-65535",
      "49152-65535",
      "1024-65535",
      "1024-65535",
    ]);
    expect(m[0]!.entry.role).toBe("Mediation Server");
    const edge = index.lookup("tcp", 50000);
    expect(edge[0]!.entry.role).toBe("Edge Server");
    const sip = index.lookup("tcp", 5061);
    const widths = sip.map((x) => x.range.last - x.range.first);
    expect(widths).toEqual([...widths].sort((a, b) => a - b));
    expect(widths.filter((w) => w === 0)).toHaveLength(12);
    expect(sip.slice(-2).every((x) => x.entry.clientRange)).toBe(true);
  });

  it("splits the matches by how the rows' ports are used", () => {
    // Group Chat's 49152-65535 is a source range: it never matches.
    expect(index.lookup("tcp", 49155).map((m) => m.entry.seedRow)).toEqual([34, 64, 69]);
    expect(index.listen("tcp", 49155)).toEqual([]);
    expect(index.media("tcp", 49155).map((m) => m.entry.seedRow)).toEqual([34, 64, 69]);
    expect(index.listen("udp", 3478).map((m) => m.entry.seedRow)).toEqual([52, 57, 60]);
    expect(index.media("udp", 60010).map((m) => m.entry.role)[0]).toBe("Mediation Server");
    expect(index.listen("tcp", 6900).map((m) => m.entry.seedRow)).toEqual([65, 70]);
  });

  it("records how each row's ports are used, with a note for every row that is not a listening port", () => {
    const uses = CATALOG.map((e) => `${e.seedRow}:${e.portUse}`).filter((u) => !u.endsWith(":listen"));
    expect(uses).toEqual([
      "17:media",
      "29:connect",
      "30:connect",
      "32:connect",
      "34:media",
      "35:source",
      "44:media",
      "53:media",
      "61:connect",
      "62:connect",
      "63:connect",
      "64:media",
      "66:connect",
      "67:connect",
      "68:connect",
      "69:media",
      "71:connect",
      "72:connect",
      "73:connect",
    ]);
    for (const e of CATALOG) {
      if (e.portUse !== "listen")
        expect(e.notes.some((n) => n.startsWith(`portUse ${e.portUse}`))).toBe(true);
      // Every range row that is not file transfer is media or source: a range alone never makes a flow known.
      const range = e.ports.some((p) => p.first !== p.last);
      if (range && e.protocol !== "file-transfer") expect(e.portUse).not.toBe("listen");
    }
    expect(CATALOG.filter((e) => e.allows.length > 0).map((e) => `${e.seedRow}:${e.allows.join()}`)).toEqual([
      "50:stun",
      "54:stun",
      "58:stun",
    ]);
  });

  it("knows likely server ports: single catalogued ports, not ranges", () => {
    expect(index.isServicePort("tcp", 5061)).toBe(true);
    expect(index.isServicePort("udp", 3478)).toBe(true);
    expect(index.isServicePort("tcp", 3478)).toBe(false);
    expect(index.isServicePort("udp", 60010)).toBe(false);
    expect(index.isServicePort("tcp", 6891)).toBe(false);
  });

  it("lists distinct roles", () => {
    expect(index.roles()).toContain("Mediation Server");
    expect(index.roles()).toHaveLength(15);
  });
});
