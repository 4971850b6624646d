/**
 * A batch from worker threads is the batch from one thread, in every format:
 * workers ship back only the flows a format lists, as structured clones, and
 * their results come back in input order. Each run starts a pool (about
 * 0.2 s a worker), so this runs in the system suite; `npm test` checks the
 * flows a format keeps in one thread (formats.test.ts) and one spawned worker
 * batch (smoke.test.ts).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BATCH } from "../helpers/batch.js";
import { cliFast } from "../helpers/cli.js";

const tmp = () => mkdtempSync(join(tmpdir(), "ocs-pcap-workers-"));

describe("batch runs on workers", () => {
  it("in every format, a batch on stdout is the same from workers (which ship only the flows it lists) as from one thread", async () => {
    // Workers send back only the flows a format lists (none for JSON, HTML and
    // CSV summaries, the non-known ones for table, Markdown and JUnit); a
    // renderer that used another flow would make these differ.
    for (const format of ["table", "markdown", "junit", "json", "html", "csv"]) {
      const one = await cliFast("analyze", ...BATCH, "--format", format, "--limit", "0", "--jobs", "1");
      const two = await cliFast("analyze", ...BATCH, "--format", format, "--limit", "0", "--jobs", "2");
      expect(one.code, format).toBe(65);
      expect(two.stdout, format).toBe(one.stdout);
    }
    // A worker takes the first captures: known flows whose TLS handshake warns are listed
    // ("TLS handshakes that failed or warn"), so a worker must send them back too.
    const tlsFirst = [
      "fixtures/recorded/tls-outcomes-real.pcap",
      "fixtures/ocs-sample.pcap",
      "fixtures/blocked-cases.pcap",
    ];
    for (const format of ["table", "markdown", "junit"]) {
      const one = await cliFast("analyze", ...tlsFirst, "--format", format, "--jobs", "1");
      const two = await cliFast("analyze", ...tlsFirst, "--format", format, "--jobs", "2");
      if (format !== "junit") expect(one.stdout, format).toMatch(/tls_certificate_expired/);
      expect(two.stdout, format).toBe(one.stdout);
    }
    // --expect counts known flows, so it sees all of them from workers too.
    const exp = join(tmp(), "expect.yaml");
    writeFileSync(exp, "expect:\n  - { port: 5061, transport: tcp, min: 4 }\n");
    const strict = ["analyze", ...BATCH, "--format", "json", "--expect", exp];
    const a = await cliFast(...strict, "--jobs", "1");
    const b = await cliFast(...strict, "--jobs", "2");
    expect(a.stderr).toMatch(/^ocs-pcap: fixtures\/blocked-cases\.pcap: --expect: .*, saw 3$/m);
    expect(b.stderr).toBe(a.stderr);
    expect(b.code).toBe(a.code);
  });
});
