/**
 * Settings files that explain themselves (issue 15, item 4): `--expect`
 * checked against the catalog before analysis, and schema errors that name
 * the property, list the allowed values and give the line and column, for
 * expectation and catalog files alike. Exact messages, in-process.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/run.js";

const dir = mkdtempSync(join(tmpdir(), "ocs-pcap-settings-"));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

async function refused(...args: string[]): Promise<string> {
  const r = await runCli("analyze", "fixtures/ocs-sample.pcap", "-f", "json", ...args);
  expect([r.code, r.stdout]).toEqual([2, ""]);
  return r.stderr;
}

describe("--expect files", () => {
  it.each([
    [
      "a misspelled role, with the catalog's closest name",
      "expect:\n  - { role: Edge Srv, port: 443, transport: tcp }\n",
      'line 2: role "Edge Srv" is not in the catalog; did you mean "Edge Server"?',
    ],
    [
      "a port the role has no entry for, with the role's ports",
      "expect:\n  - role: Mediation Server\n    port: 5061\n    transport: udp\n",
      "line 2: Mediation Server has no catalog entry for 5061/udp; its ports: 5060/tcp, 5061/tcp, 60000-64000/udp",
    ],
    [
      "a port no entry covers",
      "expect:\n  - { port: 9, transport: udp }\n",
      "line 2: no catalog entry covers 9/udp",
    ],
    [
      "an unknown property, named, with the allowed ones",
      "expect:\n  - { role: Edge Server, port: 443, transprt: tcp }\n",
      'does not match the expectations format: line 2, column 37: /expect/0: unknown property "transprt" (allowed: role, port, transport, min, tls)',
    ],
    [
      "a value outside the allowed ones, listed",
      "expect:\n  - port: 443\n    transport: sctp\n",
      'does not match the expectations format: line 3, column 16: /expect/0/transport: must be one of "tcp", "udp"',
    ],
    [
      "a missing property",
      "expect:\n  - { role: Edge Server }\n",
      'does not match the expectations format: line 2, column 5: /expect/0: missing property "port"',
    ],
    [
      "broken YAML, with line and column",
      "expect:\n  - { port: 443\n",
      "line 3, column 1: not valid JSON or YAML: Flow map in block collection must be sufficiently indented and end with a }",
    ],
    [
      "a tab for indentation, at its line",
      "expect:\n\t- { port: 443 }\n",
      "line 2, column 1: not valid JSON or YAML: Tabs are not allowed as indentation",
    ],
  ])("%s", async (_name, text, message) => {
    const p = file("expect.yaml", text);
    const stderr = await refused("--expect", p);
    expect(stderr.startsWith(`ocs-pcap: ${p}: ${message}`), stderr).toBe(true);
  });

  it("takes a role in any case as the catalog's (the policy then matches it)", async () => {
    const p = file(
      "expect-case.yaml",
      "expect:\n  - { role: edge server, port: 3478, transport: udp, min: 2 }\n",
    );
    const r = await runCli("analyze", "fixtures/ocs-sample.pcap", "-f", "json", "--expect", p);
    expect([r.code, r.stderr]).toEqual([
      1,
      "ocs-pcap: --expect: Edge Server 3478/udp should have at least 2 known flows, saw 1\n",
    ]);
  });

  it("is checked against the run's catalog: a custom role is known with --catalog-extend", async () => {
    const catalog = file(
      "extra.yaml",
      "entries:\n  - { role: Lab Proxy, ports: [{ first: 8443, last: 8443 }], transports: [tcp], protocol: https }\n",
    );
    const p = file("expect-lab.yaml", "expect:\n  - { role: Lab Proxy, port: 8443, transport: tcp }\n");
    expect(await refused("--expect", p)).toMatch(/role "Lab Proxy" is not in the catalog/);
    const r = await runCli(
      "analyze",
      "fixtures/ocs-sample.pcap",
      "-f",
      "json",
      "--expect",
      p,
      "--catalog-extend",
      catalog,
    );
    // Accepted, then a policy failure: no such traffic in the sample.
    expect([r.code, r.stderr]).toEqual([
      1,
      "ocs-pcap: --expect: Lab Proxy 8443/tcp should have at least 1 known flow, saw 0\n",
    ]);
  });
});

describe("catalog files", () => {
  it("name the unknown property, with the allowed ones, at its line and column", async () => {
    const p = file(
      "catalog.yaml",
      "entries:\n  - role: X\n    ports: [{ first: 1, last: 2 }]\n    transports: [tcp]\n    protocol: sip\n    securty: tls\n",
    );
    const stderr = await refused("--catalog-extend", p);
    expect(stderr).toBe(
      `ocs-pcap: ${p}: does not match the catalog schema: line 6, column 5: /entries/0: unknown property "securty" (allowed: role, roleKind, ports, transports, protocol, security, description, seedRow, notes, clientRange, portUse, allows, product, source)\n`,
    );
  });
});
