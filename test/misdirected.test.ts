import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { udp, writePcap } from "../fixtures/lib/packets.js";
import { analyzeCapture } from "../src/analyze.js";
import { CATALOG } from "../src/catalog/data.js";
import { CatalogIndex } from "../src/catalog/index.js";
import { CATALOG_SCHEMA, CatalogFileError, extendCatalog, parseCatalogFile } from "../src/catalog/load.js";
import { parseTopology, TOPOLOGY_EXAMPLE, TopologyError } from "../src/classify/topology.js";
import { catalogJson } from "../src/report/catalog.js";
import type { FlowRecord } from "../src/report/model.js";
import { reasonText } from "../src/report/reason-text.js";
import { runCli } from "./helpers/run.js";

const ROOT = join(import.meta.dirname, "..");
const FIXTURES = join(ROOT, "fixtures");
const index = new CatalogIndex();
const topologyText = readFileSync(join(FIXTURES, "topology-cases.yaml"), "utf8");
const topology = parseTopology(topologyText, "topology-cases.yaml", index.roles());

const line = (f: FlowRecord) =>
  `${f.transport}/${f.serverPort} ${f.verdict} ${f.application.protocol}/${f.application.confidence} ${f.reasons.map((r) => r.code).join(",")}`;

describe("protocol_mismatch on real traffic (fixtures/record.sh)", async () => {
  const real = await analyzeCapture(join(FIXTURES, "recorded/misdirected-real.pcap"));
  it("flags TLS on 5060, plaintext SIP on 5061 and plain HTTP on 443; SIP in the clear on 5072 stays known", () => {
    expect(real.flows.map(line)).toEqual([
      "tcp/5060 misdirected tls/signature protocol_mismatch,tls_handshake_incomplete", // openssl s_client to sipp's plain-TCP SIP port
      "tcp/5061 misdirected sip/signature protocol_mismatch", // sipp plaintext SIP to openssl s_server (MTLS port)
      "tcp/443 misdirected http/signature protocol_mismatch", // curl http:// to the HTTPS port
      "tcp/5072 known sip/signature ", // the row names only TCP: SIP in the clear or TLS are both fine
    ]);
    expect(reasonText(real.flows[1]!.reasons[0]!)).toBe(
      "plaintext SIP on 5061/tcp, where the catalog expects TLS (Front End Servers: sip-tls; Load balancer for Front End Servers: sip-tls)",
    );
  });

  it("reports the identified application, with the TLS server name", async () => {
    const ok = await analyzeCapture(join(FIXTURES, "recorded/ocs-real.pcap"));
    expect(ok.flows.map((f) => f.application)).toEqual([
      { protocol: "tls", confidence: "signature", sni: "fe.contoso.test" },
      { protocol: "tls", confidence: "signature", sni: "fe.contoso.test" },
      { protocol: "sip", confidence: "signature" },
      { protocol: "stun", confidence: "signature" },
      { protocol: "sip", confidence: "port-only" }, // the SYN to 5062 carried nothing: from the catalog
    ]);
  });
});

describe("transport_mismatch names the roles placed where the flow went (UC scenario tester)", () => {
  it("SIP over UDP to the Mediation Server's 5060: the Mediation Server, not every role with 5060/tcp", async () => {
    const t = Date.UTC(2024, 4, 14, 9, 0, 0) * 1000;
    const options = "OPTIONS sip:10.0.0.20 SIP/2.0\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    const ok = "SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    const path = join(mkdtempSync(join(tmpdir(), "ocs-tm-")), "sip-udp.pcap");
    writeFileSync(
      path,
      writePcap([
        udp("10.0.0.50", 5060, "10.0.0.20", 5060, t, options),
        udp("10.0.0.20", 5060, "10.0.0.50", 5060, t + 5000, ok),
      ]),
    );
    const roles = async (withTopology: boolean) => {
      const r = await analyzeCapture(path, withTopology ? { topology } : {});
      const x = r.flows[0]!.reasons[0]!;
      return x.code === "transport_mismatch" ? x.details.roles : null;
    };
    expect(await roles(true)).toEqual(["Mediation Server"]);
    expect((await roles(false))!.length).toBeGreaterThan(1);
  });

  // Hostile review of 8b7c094: the narrowed rows decided whether the payload fits (SIP over UDP to the
  // Front End's 5061 became unknown, other_protocol), and the sender's role named a flow to an
  // unplaced gateway, and client "connect" rows a client's flow to an unplaced server.
  const sipUdp = async (from: string, to: string, port: number, placed = true) => {
    const t = Date.UTC(2024, 4, 14, 9, 0, 0) * 1000;
    const options = `OPTIONS sip:${to} SIP/2.0\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
    const path = join(mkdtempSync(join(tmpdir(), "ocs-tm-")), "sip-udp.pcap");
    writeFileSync(path, writePcap([udp(from, 49211, to, port, t, options)]));
    const f = (await analyzeCapture(path, placed ? { topology } : {})).flows[0]!;
    return { verdict: f.verdict, reason: f.reasons[0]!.code, roles: f.roles.map((r) => r.role) };
  };
  it("SIP over UDP to the Front End's 5061 stays transport_mismatch with a topology, naming the Front End", async () => {
    expect(await sipUdp("10.0.0.99", "10.0.0.10", 5061)).toEqual({
      verdict: "misdirected",
      reason: "transport_mismatch",
      roles: ["Front End Servers"],
    });
  });
  it("a flow to an address the topology places nowhere names every role with the port, not the sender's", async () => {
    for (const from of ["10.0.0.20", "10.1.0.20"]) {
      const r = await sipUdp(from, "10.2.0.50", 5060);
      expect(r.reason).toBe("transport_mismatch");
      expect(r.roles).toContain("Front End Servers");
      expect(r.roles).toEqual((await sipUdp(from, "10.2.0.50", 5060, false)).roles);
    }
  });
});

describe("topology-aware reasons (fixtures/topology-cases.pcap + topology-cases.yaml)", async () => {
  const withTopology = await analyzeCapture(join(FIXTURES, "topology-cases.pcap"), { topology });
  const portOnly = await analyzeCapture(join(FIXTURES, "topology-cases.pcap"));
  const byClientPort = (r: typeof withTopology, port: number) => r.flows.find((f) => f.clientPort === port)!;

  const cases: [number, string, string, RegExp][] = [
    [
      46001,
      "misdirected",
      "role_mismatch",
      /^5062\/tcp was sent to 10\.0\.0\.20 \(Mediation Server\), which the catalog does not list as serving 5062\/tcp; Front End Servers, Edge Server, Load balancer for Edge Servers do$/,
    ],
    [
      46002,
      "misdirected",
      "range_mismatch",
      /^Mediation Server 10\.0\.0\.20 uses media port 50010\/udp, outside its range 60000-64000$/,
    ],
    [
      46003,
      "misdirected",
      "range_mismatch",
      /^Edge Server 203\.0\.113\.30 uses media port 45000\/tcp, outside its range 50000-59999$/,
    ],
    [
      46004,
      "misdirected",
      "wrong_direction",
      /^10\.0\.0\.10 \(Front End Servers\) opened 5061\/tcp to client 10\.1\.0\.20; the catalog has clients connect to 5061\/tcp/,
    ],
    [50700, "known", "client_media", /RTP identified in the payload/],
    [50701, "known", "client_media", /RTCP identified in the payload/],
    [50702, "known", "client_media", /the topology puts both endpoints in client networks/],
    [46005, "unknown", "client_range_only", /3389\/tcp falls only in the client media range/],
    [
      46007,
      "misdirected",
      "protocol_mismatch",
      /^TLS on 80\/tcp, where the catalog expects plain HTTP \(Communicator Web Access server: http in the clear\)$/,
    ],
    [46008, "misdirected", "protocol_mismatch", /^RTP on 3478\/udp, where the catalog expects STUN\/TURN/],
    [
      46013,
      "misdirected",
      "role_mismatch",
      /^389\/tcp was sent to 10\.0\.0\.40 \(Communicator Web Access server\), which the catalog does not list as serving 389\/tcp; the catalog has Communicator Web Access server connect to it on other hosts$/,
    ],
  ];
  for (const [port, verdict, code, message] of cases) {
    it(`client port ${port}: ${verdict} (${code})`, () => {
      const f = byClientPort(withTopology, port);
      expect(f.verdict).toBe(verdict);
      expect(f.reasons[0]!.code).toBe(code);
      expect(reasonText(f.reasons[0]!)).toMatch(message);
    });
  }

  it("does not flag MS-TURN over TCP 443 to the Edge (the row describes STUN/TCP)", () => {
    const f = byClientPort(withTopology, 46006);
    expect([f.verdict, f.application.protocol, f.reasons.length]).toEqual(["known", "ms-turn", 0]);
  });

  it("takes a flow's roles from where its endpoints live", () => {
    const tls = byClientPort(withTopology, 46009);
    expect(tls.verdict).toBe("known");
    expect([...new Set(tls.roles.map((r) => r.role))]).toEqual([
      "Front End Servers",
      "Office Communicator",
      "Live Meeting 2007 client",
      "2007 R2 version of Communicator Mobile",
    ]);
    expect(tls.application).toEqual({ protocol: "tls", confidence: "signature", sni: "pool.contoso.test" });
    // Without a topology every role using 5061 is listed.
    expect(byClientPort(portOnly, 46009).roles.length).toBeGreaterThan(10);
  });

  it("names as serving a port only the roles that listen on it, not the clients that connect to it", () => {
    const f = byClientPort(withTopology, 46014);
    expect([f.verdict, f.reasons[0]!.code]).toEqual(["misdirected", "role_mismatch"]);
    const serving = (f.reasons[0]!.details as { serving: string[] }).serving;
    expect(serving).toContain("Front End Servers");
    expect(serving).not.toContain("Office Communicator");
    expect(reasonText(f.reasons[0]!)).toMatch(
      /^443\/tcp was sent to 10\.0\.0\.20 \(Mediation Server\), which the catalog does not list as serving 443\/tcp; Front End Servers, Load balancer for Front End Servers, Communicator Web Access server and \d+ more do$/,
    );
  });

  it("counts flows on one port under the roles each one's endpoints gave it (the role table)", () => {
    const rows443 = withTopology.roles.filter((r) => r.ports === "443" && r.transport === "tcp");
    // TLS to the Mediation Server (every role serving 443) and MS-TURN to the Edge (the Edge's rows).
    expect(
      rows443.map((r) => [r.flows, r.roles.includes("Edge Server"), r.roles.includes("Front End Servers")]),
    ).toEqual([
      [1, true, false],
      [1, true, true],
    ]);
    // Without a topology they are one row, with the browser's HTTPS (outside_topology with it).
    expect(
      portOnly.roles.filter((r) => r.ports === "443" && r.transport === "tcp").map((r) => r.flows),
    ).toEqual([3]);
  });

  it("gives a placed server's media from its own range the server's row, not peer-to-peer client media", () => {
    const f = byClientPort(withTopology, 60130);
    expect([f.verdict, f.reasons.map((r) => r.code), [...new Set(f.roles.map((r) => r.role))]]).toEqual([
      "known",
      [],
      ["Mediation Server"],
    ]);
    // Without a topology only the clients' range covers 30000: peer-to-peer client media.
    expect(byClientPort(portOnly, 60130).reasons.map((r) => r.code)).toEqual(["client_media"]);
  });

  it("calls a browser's HTTPS to an address in no role unknown (outside_topology) with the topology, known without", () => {
    const f = byClientPort(withTopology, 46015);
    expect([f.verdict, f.reasons[0]?.code, f.roles]).toEqual(["unknown", "outside_topology", []]);
    expect(reasonText(f.reasons[0]!)).toMatch(
      /^443\/tcp went to 204\.79\.197\.200, an address the topology gives no role, while the roles that serve it \(Front End Servers, /,
    );
    expect(byClientPort(portOnly, 46015).verdict).toBe("known");
  });

  it("calls a workstation's LDAP to a domain controller outside_topology when CWA, the one role the catalog has use 389, is placed elsewhere", () => {
    const f = byClientPort(withTopology, 46016);
    expect([f.verdict, f.application.protocol, f.reasons[0]?.code]).toEqual([
      "unknown",
      "ldap",
      "outside_topology",
    ]);
    expect(reasonText(f.reasons[0]!)).toBe(
      "389/tcp went to 10.0.0.5, an address the topology gives no role; the catalog lists the port only for Communicator Web Access server connecting to other hosts, and the client is not one",
    );
    expect(byClientPort(portOnly, 46016).verdict).toBe("known");
    // The Front End's own LDAP there: the Front End is not the CWA server either.
    const fe = byClientPort(withTopology, 46017);
    expect([fe.verdict, fe.roles, reasonText(fe.reasons[0]!)]).toEqual([
      "unknown",
      [],
      "389/tcp went to 10.0.0.5, an address the topology gives no role; the catalog lists the port only for Communicator Web Access server connecting to other hosts, and the client is not one",
    ]);
  });

  it("applies a row whose port the role connects to only when the originator lives in the role", () => {
    // LDAP from the CWA server to a domain controller (not in the topology): CWA's row 30.
    const out = byClientPort(withTopology, 46012);
    expect([out.verdict, out.application.protocol, out.reasons.length]).toEqual(["known", "ldap", 0]);
    expect(out.roles.map((r) => r.seedRow)).toEqual([30]);
    // The same bytes sent *to* the CWA server are role_mismatch (above); without a topology both are known.
    expect([46012, 46013].map((p) => byClientPort(portOnly, p).verdict)).toEqual(["known", "known"]);
  });

  it("narrows media rows to the role an endpoint lives in", () => {
    const roles = (r: typeof withTopology, port: number) => [
      ...new Set(byClientPort(r, port).roles.map((x) => x.role)),
    ];
    expect(byClientPort(withTopology, 46010).verdict).toBe("known");
    expect(roles(withTopology, 46010)).toEqual(["Mediation Server"]);
    expect(roles(portOnly, 46010)).toEqual(
      expect.arrayContaining(["Mediation Server", "Front End Servers", "Communicator Web Access server"]),
    );
    expect(byClientPort(withTopology, 46011).verdict).toBe("known");
    expect(roles(withTopology, 46011)).toEqual(["Edge Server"]);
    expect(roles(portOnly, 46011).length).toBeGreaterThan(1);
  });

  it("without a topology, judges by port and payload only", () => {
    const get = (port: number) => byClientPort(portOnly, port);
    expect(get(46001).verdict).toBe("known"); // 5062 is a catalogued port
    expect(get(46002).verdict).toBe("known"); // 50010/udp is in the Front End's media range
    expect(get(46004).verdict).toBe("known");
    expect(get(50702).roles[0]!.role).toBe("Front End Servers"); // no topology: 50802/udp is in the Front End media range
    expect(get(50700).reasons[0]?.code).toBeUndefined(); // RTP on 50800/udp: the Front End media range covers it
    expect(get(46007).reasons[0]!.code).toBe("protocol_mismatch"); // TLS on 80: the CWA row expects HTTP
  });
});

describe("topology files", () => {
  const roles = index.roles();
  const error = (text: string): TopologyError => {
    try {
      parseTopology(text, "t.yaml", roles);
    } catch (err) {
      if (err instanceof TopologyError) return err;
      throw err;
    }
    throw new Error("expected a TopologyError");
  };

  it("parses the example the CLI prints, and JSON with the same keys", () => {
    const t = parseTopology(TOPOLOGY_EXAMPLE, "example.yaml", roles);
    expect(t.roles()).toEqual([
      "Front End Servers",
      "Load balancer for Front End Servers",
      "Mediation Server",
      "Edge Server",
      "Communicator Web Access server",
    ]);
    const json = parseTopology(
      JSON.stringify({ roles: { "Edge Server": ["2001:db8::30"] }, clients: ["10.1.0.0/16"] }),
      "t.json",
      roles,
    );
    expect(json.placeOf(6, [0x20010db8, 0, 0, 0x30])?.role).toBe("Edge Server");
    expect(json.placeOf(4, [0, 0, 0, 0x0a01ff01])?.kind).toBe("clients");
    expect(json.placeOf(4, [0, 0, 0, 0x0b000001])).toBeNull();
  });

  it("resolves nested entries by longest prefix, as routing tables and Zeek's Site::local_nets do", () => {
    const t = parseTopology(
      "roles:\n  Front End Servers: [10.0.0.10]\n  Edge Server: [10.0.0.30, 10.0.0.30]\n" +
        "clients: [10.0.0.0/8, 10.0.1.0/24]\nexternal: [0.0.0.0/0]\n",
      "t.yaml",
      roles,
    );
    const at = (a: number, b: number, c: number, d: number) =>
      t.placeOf(4, [0, 0, 0, (a << 24) | (b << 16) | (c << 8) | d | 0]);
    expect(at(10, 0, 0, 10)?.role).toBe("Front End Servers");
    expect(at(10, 0, 0, 30)?.role).toBe("Edge Server");
    expect(at(10, 0, 0, 11)?.kind).toBe("clients");
    expect(at(10, 0, 1, 5)).toMatchObject({ kind: "clients", text: "10.0.1.0/24" });
    expect(at(10, 0, 0, 9)).toMatchObject({ kind: "clients", text: "10.0.0.0/8" });
    expect(at(10, 255, 255, 255)).toMatchObject({ kind: "clients", text: "10.0.0.0/8" });
    expect(at(11, 0, 0, 1)?.kind).toBe("external");
    expect(at(9, 255, 255, 255)?.kind).toBe("external");
    // An IPv4-mapped IPv6 address lives where its IPv4 form does.
    expect(t.placeOf(6, [0, 0, 0xffff, 0x0a00000a])?.role).toBe("Front End Servers");
    expect(t.roles()).toEqual(["Front End Servers", "Edge Server"]);
  });

  it("finds the longest prefix for any set of nested networks (against a brute-force search)", () => {
    const cidr = fc.record({
      net: fc.integer({ min: 0, max: 0xffff }),
      len: fc.integer({ min: 8, max: 32 }),
    });
    fc.assert(
      fc.property(
        fc.array(cidr, { maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 0xffffff }), { minLength: 1, maxLength: 20 }),
        (nets, probes) => {
          // Networks inside 10.0.0.0/8; each a client network, so no two owners clash.
          const ranges = nets.map(({ net, len }) => {
            const base = (0x0a000000 | (net << 8)) >>> 0;
            const size = 2 ** (32 - len);
            const first = Math.floor(base / size) * size;
            return {
              text: `${(first >>> 24) & 255}.${(first >>> 16) & 255}.${(first >>> 8) & 255}.${first & 255}/${len}`,
              first,
              last: first + size - 1,
            };
          });
          const t = parseTopology(
            `clients: [${ranges.map((r) => `"${r.text}"`).join(", ")}]\n`,
            "p.yaml",
            roles,
          );
          for (const p of probes) {
            const addr = (0x0a000000 | p) >>> 0;
            const best = ranges
              .filter((r) => r.first <= addr && addr <= r.last)
              .sort((a, b) => a.last - a.first - (b.last - b.first))[0];
            expect(t.placeOf(4, [0, 0, 0, addr | 0])?.text ?? null).toBe(best?.text ?? null);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("names the file and line of an unknown role, and lists the roles that exist", () => {
    const e = error("roles:\n  Front End Servers: [10.0.0.10]\n  Mediation Servers: [10.0.0.20]\n");
    expect([e.file, e.line]).toEqual(["t.yaml", 3]);
    expect(e.message).toMatch(
      /^unknown role 'Mediation Servers'; roles are: Front End Servers, .*Mediation Server, /,
    );
  });

  it("accepts the catalog's load balancer roles", () => {
    expect(() =>
      parseTopology("roles:\n  Load balancer for Edge Servers: [10.0.0.35]\n", "t.yaml", roles),
    ).not.toThrow();
  });

  it("rejects bad addresses, overlaps, unknown keys and broken YAML, by line", () => {
    expect(error("roles:\n  Edge Server:\n    - 10.0.0.30\n    - 10.0.0.300\n")).toMatchObject({
      line: 4,
      message: "bad address or CIDR '10.0.0.300' for Edge Server",
    });
    const twice = error("roles:\n  Front End Servers: [10.0.0.0/24]\nclients:\n  - 10.0.0.0/24\n");
    expect(twice.line).toBe(4);
    expect(twice.message).toBe(
      "10.0.0.0/24 (clients) is also 10.0.0.0/24 (role 'Front End Servers', line 2): one place, two owners",
    );
    // An IPv4-mapped IPv6 address is its IPv4 form: the same host under two roles.
    expect(
      error('roles:\n  Edge Server: [10.0.0.30]\n  Mediation Server: ["::ffff:10.0.0.30"]\n').message,
    ).toMatch(/one place, two owners/);
    expect(error("roles: {}\nservers: [10.0.0.1]\n")).toMatchObject({
      line: 2,
      message: "unknown key 'servers' (expected roles, clients, external, names)",
    });
    expect(error("roles:\n  Edge Server: [10.0.0.30\n").message).toMatch(/^not valid YAML or JSON/);
  });

  it("exits 2 from the CLI with the file and line", async () => {
    const bad = join(tmpdir(), `ocs-pcap-topology-${process.pid}.yaml`);
    writeFileSync(bad, "roles:\n  Front End Servers: [10.0.0.10]\n  Mediation: [10.0.0.20]\n");
    const r = await runCli("analyze", "fixtures/ocs-sample.pcap", "--topology", bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`^ocs-pcap: ${bad.replace(/[.]/g, "\\.")}: line 3: unknown role 'Mediation'`),
    );
    const example = await runCli("topology", "--example");
    expect(example.code).toBe(0);
    expect(example.stdout).toBe(TOPOLOGY_EXAMPLE);
  });
});

describe("custom catalogs", () => {
  const ajv = new Ajv({ allErrors: true });
  const validate = ajv.compile(CATALOG_SCHEMA);

  it("the built-in catalog, as `catalog --format json` prints it, matches the shipped schema", async () => {
    expect(validate(catalogJson(CATALOG))).toBe(true);
    const printed = await runCli("catalog", "--format", "json");
    expect(validate(JSON.parse(printed.stdout))).toBe(true);
  });

  it("round-trips: the printed catalog read back gives the same entries", () => {
    const back = parseCatalogFile(JSON.stringify(catalogJson(CATALOG)), "c.json");
    expect(
      back.map((e) => [e.role, e.ports, e.transports, e.protocol, e.security, e.seedRow, e.clientRange]),
    ).toEqual(
      CATALOG.map((e) => [e.role, e.ports, e.transports, e.protocol, e.security, e.seedRow, e.clientRange]),
    );
  });

  it("extends the built-in catalog with a port of your own (YAML)", async () => {
    const extra = parseCatalogFile(
      "entries:\n  - role: Monitoring Server\n    ports: [{first: 22, last: 22}]\n    transports: [tcp]\n    protocol: ssh\n    description: our admins' SSH\n",
      "site.yaml",
    );
    const report = await analyzeCapture(join(FIXTURES, "ocs-sample.pcap"), {
      index: new CatalogIndex(extendCatalog(extra)),
    });
    const ssh = report.flows.find((f) => f.serverPort === 22)!;
    expect(ssh.verdict).toBe("known");
    expect(ssh.roles[0]).toEqual({
      role: "Monitoring Server",
      ports: [{ first: 22, last: 22 }],
      protocol: "ssh",
      seedRow: 0,
    });
  });

  it("replaces the built-in catalog", async () => {
    const only = parseCatalogFile(
      JSON.stringify({
        entries: [
          {
            role: "Front End Servers",
            ports: [{ first: 5061, last: 5061 }],
            transports: ["tcp"],
            protocol: "sip-tls",
            security: "tls",
          },
        ],
      }),
      "only.json",
    );
    const report = await analyzeCapture(join(FIXTURES, "ocs-sample.pcap"), { index: new CatalogIndex(only) });
    expect(report.flows.filter((f) => f.verdict === "known").map((f) => f.serverPort)).toEqual([5061]);
  });

  it("gives the JSON path of what is wrong", () => {
    const bad = (text: string) => {
      try {
        parseCatalogFile(text, "bad.yaml");
      } catch (err) {
        expect(err).toBeInstanceOf(CatalogFileError);
        return (err as Error).message;
      }
      throw new Error("expected an error");
    };
    expect(
      bad(
        "entries:\n  - role: X\n    ports: [{first: 1, last: 2}]\n    transports: [sctp]\n    protocol: x\n",
      ),
    ).toMatch(
      /^does not match the catalog schema: line 4, column 18: \/entries\/0\/transports\/0: must be one of "tcp", "udp"/,
    );
    expect(
      bad(
        "entries:\n  - role: X\n    ports: [{first: 9, last: 2}]\n    transports: [tcp]\n    protocol: x\n",
      ),
    ).toBe("/entries/0/ports/0: first (9) is above last (2)");
    expect(
      bad(
        "entries:\n  - role: X\n    ports: [{first: 5000, last: 6000}]\n    transports: [udp]\n    protocol: rtp\n    clientRange: true\n    portUse: connect\n",
      ),
    ).toBe(
      "/entries/0/portUse: a clientRange entry is a client's own media range, so its portUse is media, not connect",
    );
    expect(bad("entries: []\n")).toMatch(/\/entries: must NOT have fewer than 1 items/);
  });
});
