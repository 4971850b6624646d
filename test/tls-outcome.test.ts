/**
 * Issue 17, items 1 and 2: bounded reassembly of the start of each TCP
 * direction, and each TLS flow's handshake read from it. The recorded
 * fixture (openssl s_client against s_server, fixtures/record.sh tls) is
 * checked against tshark's TLS and X.509 dissection (recorded, see
 * helpers/oracle.ts); the same handshakes
 * cut into random segments and delivered out of order give the same
 * outcome; the reassembler's bounds hold.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ssl2ClientHello, TcpConversation, tlsServerHello, writePcap } from "../fixtures/lib/packets.js";
import { analyzeCapture } from "../src/analyze.js";
import { readCapture } from "../src/capture/source.js";
import { CatalogIndex } from "../src/catalog/index.js";
import { parseTopology } from "../src/classify/topology.js";
import { Anomaly } from "../src/decode/anomaly.js";
import { decodeFrame } from "../src/decode/frame.js";
import { Packet } from "../src/decode/packet.js";
import { certificateCovers, certificateFacts } from "../src/decode/x509.js";
import { Reassembler } from "../src/flow/reassembly.js";
import { renderJson } from "../src/report/json.js";
import type { FlowRecord } from "../src/report/model.js";
import { reasonBrief, reasonText } from "../src/report/reason-text.js";
import { Redactor, redactReport } from "../src/report/redact.js";
import { renderTable } from "../src/report/table.js";
import { askSync } from "./helpers/oracle.js";
import { runCli } from "./helpers/run.js";
import { hasTool, requireTools } from "./helpers/tools.js";

const ROOT = join(import.meta.dirname, "..");
const RECORDED = join(ROOT, "fixtures/recorded/tls-outcomes-real.pcap");
const tmp = mkdtempSync(join(tmpdir(), "ocs-tls-"));

const byClientPort = (flows: readonly FlowRecord[]) => [...flows].sort((a, b) => a.firstFrame - b.firstFrame);

/** What tshark's dissection says of each TCP stream's handshake, in stream order. */
function tsharkHandshakes(path: string) {
  const { stdout: out } = askSync("tshark", [
    "-r",
    path,
    "-Y",
    "tls",
    "-T",
    "fields",
    "-E",
    "occurrence=a",
    "-E",
    "aggregator=|",
    "-e",
    "tcp.stream",
    "-e",
    "tcp.srcport",
    "-e",
    "tls.handshake.type",
    "-e",
    "tls.handshake.extensions_server_name",
    "-e",
    "tls.handshake.version",
    "-e",
    "tls.handshake.ciphersuite",
    "-e",
    "x509ce.dNSName",
    "-e",
    "tls.handshake.certificates_length",
    "-e",
    "tls.alert_message.level",
    "-e",
    "tls.alert_message.desc",
  ]);
  const streams = new Map<
    number,
    {
      sni: string | null;
      version: string | null;
      cipher: string | null;
      names: string[];
      requested: boolean;
      clientCerts: number | null;
      alerts: string[];
    }
  >();
  const serverPorts = new Set([5061, 443, 5062, 8057, 444]);
  for (const line of out.split("\n").filter((l) => l !== "")) {
    const [
      stream = "",
      port = "",
      types = "",
      sni = "",
      version = "",
      cipher = "",
      names = "",
      certsLen = "",
      level = "",
      desc = "",
    ] = line.split("\t");
    const s = streams.get(Number(stream)) ?? {
      sni: null,
      version: null,
      cipher: null,
      names: [],
      requested: false,
      clientCerts: null,
      alerts: [],
    };
    streams.set(Number(stream), s);
    const fromServer = serverPorts.has(Number(port));
    const t = types.split("|");
    if (t.includes("1") && sni !== "") s.sni = sni;
    if (fromServer && t.includes("2")) {
      s.version =
        { "0x0301": "TLS 1.0", "0x0302": "TLS 1.1", "0x0303": "TLS 1.2" }[version.split("|")[0]!] ?? null;
      s.cipher = cipher.split("|")[0]!;
    }
    if (fromServer && t.includes("11") && s.names.length === 0) s.names = names.split("|")[0]!.split(",");
    if (fromServer && t.includes("13")) s.requested = true;
    // A client's empty Certificate message has a certificates length of 0.
    if (!fromServer && t.includes("11")) s.clientCerts = certsLen === "0" ? 0 : 1;
    if (level !== "") s.alerts.push(`${level === "2" ? "fatal" : "warning"} ${desc}`);
  }
  return [...streams.keys()].sort((a, b) => a - b).map((k) => streams.get(k)!);
}

describe("TLS handshakes read from the reassembled stream start", () => {
  it("recorded openssl handshakes: the same SNI, version, cipher, names, client certificate and alerts as tshark", async () => {
    const r = await analyzeCapture(RECORDED, { version: "t" });
    const ours = byClientPort(r.flows).map((f) => ({
      sni: f.tls?.sni ?? null,
      version: f.tls?.version ?? null,
      cipher: f.tls?.cipher ?? null,
      names: f.tls?.certificate?.dnsNames ?? [],
      requested: f.tls?.certificateRequested ?? false,
      clientCerts: f.tls?.clientCertificates ?? null,
      alerts: (f.tls?.alerts ?? []).map(
        (a) => `${a.level} ${{ handshake_failure: "40" }[a.alert ?? ""] ?? a.alert}`,
      ),
    }));
    expect(ours).toEqual(tsharkHandshakes(RECORDED));
    expect(ours).toHaveLength(6);
  });

  it("turns each recorded case into its finding", async () => {
    const r = await analyzeCapture(RECORDED, { version: "t" });
    const got = byClientPort(r.flows).map((f) => [
      f.serverPort,
      f.verdict,
      f.reasons.map((x) => x.code).join(","),
    ]);
    expect(got).toEqual([
      [5061, "known", "tls_certificate_expired,tls_self_signed"],
      [443, "known", "tls_name_mismatch,tls_self_signed"],
      [5062, "blocked", "tls_alert,tls_client_certificate_missing,tls_self_signed"],
      [5062, "known", "tls_self_signed"],
      [8057, "known", "tls_self_signed"],
      [444, "blocked", "tls_handshake_incomplete"],
    ]);
    const expired = byClientPort(r.flows)[0]!.tls!;
    expect(expired.certificate).toMatchObject({
      subject: "CN=fe.contoso.test",
      notBefore: "2023-01-01T00:00:00.000000Z",
      notAfter: "2024-01-01T00:00:00.000000Z",
      selfSigned: true,
      chainLength: 1,
    });
    expect(expired.certificate!.sha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(expired.complete).toBe(true);
  });

  it("gives the same outcome however the handshakes are cut into segments and reordered (property)", async () => {
    const flows = await payloads(RECORDED);
    const base = await analyzeCapture(RECORDED, { version: "t" });
    const want = byClientPort(base.flows).map((f) => f.tls);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 16, max: 600 }), fc.integer(), async (maxSeg, seed) => {
        const file = join(tmp, `cut-${run++}.pcap`);
        writeFileSync(file, writePcap(recut(flows, maxSeg, seed)));
        const r = await analyzeCapture(file, { version: "t" });
        expect(byClientPort(r.flows).map((f) => f.tls)).toEqual(want);
      }),
      { numRuns: 25 },
    );
  });

  it("reads nothing past --max-reassembly, and nothing at all at 0", async () => {
    const none = await analyzeCapture(RECORDED, { version: "t", maxReassembly: 0 });
    expect(none.flows.every((f) => f.tls === undefined)).toBe(true);
    // 400 bytes hold each ClientHello (a 321-byte record) and ServerHello (70), not the certificate (837 bytes on).
    const short = await analyzeCapture(RECORDED, { version: "t", maxReassembly: 400 });
    const first = byClientPort(short.flows)[0]!.tls!;
    expect([first.sni, first.version, first.certificate]).toEqual(["fe.contoso.test", "TLS 1.2", undefined]);
  });
});

describe("TLS 1.0 alone (OCS 2007 R2's default)", () => {
  it("is no finding with OCS 2007 R2 among the products, is one for newer products alone, and is never listed under 'failed or warn'", async () => {
    const t = 1_700_000_000_000_000;
    const ccs = Uint8Array.from([20, 3, 1, 0, 1, 1]);
    const hello10 = tlsServerHello();
    hello10[2] = 1; // record version 3.1
    hello10[10] = 1; // ServerHello.server_version 3.1: TLS 1.0
    const done = new TcpConversation("10.1.0.20", 50011, "10.0.0.10", 5061, t)
      .handshake()
      .data(true, ssl2ClientHello())
      .data(false, Uint8Array.from([...hello10, ...ccs]))
      .data(true, ccs)
      .close();
    const file = join(tmp, "tls10.pcap");
    writeFileSync(file, writePcap(done.frames));
    const report = await analyzeCapture(file, { version: "test" });
    const f = report.flows[0]!;
    expect([f.verdict, f.tls?.version, f.reasons.map((r) => r.code)]).toEqual(["known", "TLS 1.0", []]);
    // Skype for Business Server 2019's deployments should not speak TLS 1.0 (RFC 8996).
    const newer = await analyzeCapture(file, { version: "test", products: ["sfb2019"] });
    expect(newer.flows[0]!.reasons.map((r) => r.code)).toEqual(["tls_deprecated_version"]);
    const both = await analyzeCapture(file, { version: "test", products: ["ocs2007r2", "sfb2019"] });
    expect(both.flows[0]!.reasons).toEqual([]);
    expect(renderTable(report, { limit: 25, width: 0 })).not.toMatch(/TLS handshakes that failed or warn/);
    // TLS 1.1 is no deployment's default: listed.
    hello10[10] = 2;
    const file11 = join(tmp, "tls11.pcap");
    writeFileSync(
      file11,
      writePcap(
        new TcpConversation("10.1.0.20", 50012, "10.0.0.10", 5061, t)
          .handshake()
          .data(true, ssl2ClientHello())
          .data(false, Uint8Array.from([...hello10, ...ccs]))
          .data(true, ccs)
          .close().frames,
      ),
    );
    const r11 = await analyzeCapture(file11, { version: "test" });
    expect(r11.flows[0]!.tls?.version).toBe("TLS 1.1");
    expect(renderTable(r11, { limit: 25, width: 0 })).toMatch(/TLS handshakes that failed or warn/);
  });
});

describe("a ClientHello in SSL 2.0's record format (Windows XP/2003 SChannel's default)", () => {
  it("opens a TLS handshake: completed when the server answers in TLS, incomplete when it never does", async () => {
    // tshark dissects the client's first segment of each as "SSLv2 Client Hello" (offering TLS 1.0).
    const t = 1_700_000_000_000_000;
    const ccs = Uint8Array.from([20, 3, 3, 0, 1, 1]);
    const answered = new TcpConversation("10.1.0.20", 50001, "10.0.0.10", 443, t)
      .handshake()
      .data(true, ssl2ClientHello())
      .data(false, Uint8Array.from([...tlsServerHello(), ...ccs]))
      .data(true, ccs)
      .close();
    const silent = new TcpConversation("10.1.0.20", 50002, "10.0.0.10", 5061, t + 5_000_000)
      .handshake()
      .data(true, ssl2ClientHello())
      .close();
    // Skype's way on 443: a ClientHello, then bytes of its own that are no TLS record, and the
    // server's answer in kind: no TLS handshake was tried, so none failed.
    const lookalike = new TcpConversation("10.1.0.20", 50003, "10.0.0.10", 443, t + 9_000_000)
      .handshake()
      .data(true, Uint8Array.from([...ssl2ClientHello(), 0x17, 0x9c, 0x41, 0x02, 0x55, 0x10, 0x33, 0x77]))
      .data(false, Uint8Array.from([0x6b, 0x12, 0x00, 0x9e, 0x31, 0x44, 0x02, 0x08]))
      .close();
    const file = join(tmp, "sslv2.pcap");
    writeFileSync(file, writePcap([...answered.frames, ...silent.frames, ...lookalike.frames]));
    const report = await analyzeCapture(file, { version: "test" });
    const [a, b, c] = byClientPort(report.flows);
    expect([c!.verdict, c!.application.protocol, c!.reasons.map((r) => r.code)]).toEqual([
      "known",
      "tls",
      [],
    ]);
    expect([a!.verdict, a!.application.protocol, a!.tls?.complete, a!.tls?.version, a!.reasons]).toEqual([
      "known",
      "tls",
      true,
      "TLS 1.2",
      [],
    ]);
    expect([b!.verdict, b!.application.protocol, b!.tls?.complete, b!.reasons.map((r) => r.code)]).toEqual([
      "blocked",
      "tls",
      false,
      ["tls_handshake_incomplete"],
    ]);
  });
});

describe("tls_name_mismatch against the names a topology gives the server's role", () => {
  const dir = mkdtempSync(join(tmpdir(), "ocs-tls-names-"));
  const mismatches = async (names: string) => {
    const text = `roles:\n  Front End Servers: [10.0.0.10]\nclients: [10.1.0.0/16]\nnames:\n  Front End Servers: [${names}]\n`;
    const topology = parseTopology(text, "t.yaml", new CatalogIndex().roles());
    const r = await analyzeCapture(RECORDED, { version: "t", topology });
    return byClientPort(r.flows).map((f) => [
      f.serverPort,
      f.reasons
        .filter((x) => x.code === "tls_name_mismatch")
        .map((x) => [x.details, reasonText(x), reasonBrief(x)]),
    ]);
  };

  it("reports a certificate that names none of the role's names, and only then", async () => {
    // 5061 presents CN=fe.contoso.test, 5062 and 8057 pool.contoso.test, 443 other.contoso.test (record.sh).
    const got = await mismatches("pool.contoso.test");
    const [fe, other, pool] = [got[0]!, got[1]!, got[2]!];
    expect(fe[0]).toBe(5061);
    expect(fe[1]).toEqual([
      [
        {
          name: "pool.contoso.test",
          certificateNames: ["fe.contoso.test"],
          role: "Front End Servers",
          topologyLine: 5,
        },
        "the server's certificate names none of the names the topology gives Front End Servers (line 5): pool.contoso.test (it names fe.contoso.test)",
        "certificate names none of pool.contoso.test (topology, Front End Servers)",
      ],
    ]);
    // The SNI already mismatches on 443: one finding, the SNI's.
    expect(other[1]).toHaveLength(1);
    expect((other[1] as [Record<string, unknown>, string][])[0]![0]).not.toHaveProperty("role");
    // The pool's own certificate carries the name.
    expect(pool).toEqual([5062, []]);
    // One of several names is enough (an Edge answers to several, each on its own certificate).
    const either = await mismatches("pool.contoso.test, fe.contoso.test");
    expect(either[0]).toEqual([5061, []]);
  });

  it("refuses a topology whose names are not host names, naming the line", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(
      bad,
      "roles:\n  Front End Servers: [10.0.0.10]\nnames:\n  Front End Servers: [10.0.0.10, 'pool contoso']\n",
    );
    const out = await runCli("topology", "--check", bad);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/bad\.yaml: line 4: bad FQDN '10\.0\.0\.10' for Front End Servers/);
  });
});

describe("certificate names", () => {
  const hasOpenssl = hasTool("openssl");
  it.skipIf(!hasOpenssl && !requireTools)(
    "the common name is the subject's own CN attribute, not ', CN=' inside another value",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "ocs-x509-"));
      const der = join(dir, "spoof.der");
      // An O value that reads ", CN=pool01.contoso.com" once the subject is joined into one line.
      execFileSync(
        "openssl",
        [
          ...["req", "-x509", "-days", "1", "-newkey", "rsa:1024", "-nodes", "-keyout", join(dir, "k.pem")],
          ...[
            "-subj",
            "/O=Contoso Ltd, CN=pool01.contoso.com/CN=evil.example.net",
            "-outform",
            "DER",
            "-out",
            der,
          ],
        ],
        { stdio: "ignore" },
      );
      const facts = certificateFacts(readFileSync(der))!;
      expect(facts.cn).toBe("evil.example.net");
      expect(facts.dnsNames).toEqual([]);
      expect(certificateCovers(facts, "pool01.contoso.com")).toBe(false);
      expect(certificateCovers(facts, "evil.example.net")).toBe(true);
    },
  );
});

describe("--redact and what TLS and SIP carry", () => {
  it("leaves no name of a certificate's subject or issuer, no fingerprint and no server or user of ms-diagnostics", async () => {
    const r = await analyzeCapture(RECORDED, { version: "t" });
    const flow = byClientPort(r.flows)[0]!;
    const cert = flow.tls!.certificate!;
    // What an enterprise CA's certificate and OCS's diagnostics carry (hostile review of issue 17).
    cert.subject = "CN=ocsfe01, O=Contoso Ltd\\, Redmond, L=Redmond, C=US";
    cert.issuer = "DC=local, DC=contoso, CN=contoso-DC01-CA";
    const original = cert.sha256;
    flow.reasons = [
      ...flow.reasons,
      {
        code: "sip_error",
        details: {
          method: "REGISTER",
          code: 404,
          responses: 1,
          diagnostics: '1003;reason="User does not exist";source="OCSFE01";Contact=bob@ocsfe01',
        },
      },
    ];
    const red = redactReport(r, new Redactor({ key: "tls-test" }));
    const text = [...renderJson(red)].join("") + renderTable(red, { limit: 25, width: 0 });
    for (const secret of [
      "ocsfe01",
      "Contoso",
      "Redmond",
      "DC01",
      "local",
      "bob",
      original,
      original.replaceAll(":", ""),
    ])
      expect(text.toLowerCase(), secret).not.toContain(secret.toLowerCase());
    const c = red.flows.find((f) => f.id === flow.id)!.tls!.certificate!;
    expect(c.subject).toMatch(
      /^CN=redacted-[0-9a-f]{8}, O=redacted-[0-9a-f]{8}, L=redacted-[0-9a-f]{8}, C=US$/,
    );
    // Keyed, of the same form: equal certificates still match each other.
    expect(c.sha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(redactReport(r, new Redactor({ key: "tls-test" })).flows[0]!.tls!.certificate!.sha256).toBe(
      c.sha256,
    );
  });
});

describe("a capture whose snapshot length cut the handshakes", () => {
  it.skipIf(!hasTool("editcap") && !requireTools)(
    "reads each up to the cut, calls none incomplete or clean, and warns at the first cut frame",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "ocs-tls-snap-"));
      const snapped = join(dir, "snap400.pcap");
      execFileSync("editcap", ["-F", "pcap", "-s", "400", RECORDED, snapped]);
      const r = await analyzeCapture(snapped, { version: "t" });
      const flows = byClientPort(r.flows);
      // The five handshakes whose server flight passed 400 bytes a frame (the 444 one never got an answer).
      expect(flows.map((f) => f.tls?.partial ?? null)).toEqual([
        "snaplen",
        "snaplen",
        "snaplen",
        "snaplen",
        "snaplen",
        null,
      ]);
      expect(flows.slice(0, 5).flatMap((f) => f.reasons.map((x) => x.code))).not.toContain(
        "tls_handshake_incomplete",
      );
      const w = r.capture.warnings.find((x) => x.code === "tls_snaplen");
      // Six directions: the five servers' flights and the client certificate sent on 5062.
      expect(w?.message).toMatch(/cut 6 TLS streams short/);
      // The offset is the first frame whose TLS payload the snapshot length cut.
      const first: number[] = [];
      await readCapture(snapped, (f) => {
        if (first.length === 0 && f.capLen < f.wireLen) first.push(f.fileOffset);
      });
      expect(w?.offset).toBe(first[0]);
      // A newer product calls the cut 8057 handshake's TLS 1.0 deprecated, so it is listed, saying why it was not read to its end.
      const listed = await analyzeCapture(snapped, { version: "t", products: ["sfb2019"] });
      const text = renderTable(listed, { limit: 25, width: 0 });
      expect(text).toContain("handshake not read to its end (the capture's snapshot length cut a packet)");
    },
  );
});

describe("policy on TLS findings (--fail-on, --expect tls: complete)", () => {
  const rec = "fixtures/recorded/tls-outcomes-real.pcap";

  it("--fail-on takes blocking reason codes and warnings, counted over every flow", async () => {
    const alert = await runCli(
      "analyze",
      rec,
      "-q",
      "-f",
      "json",
      "-o",
      "/dev/null",
      "--fail-on",
      "tls_alert",
    );
    expect([alert.code, alert.stderr.trim()]).toEqual([1, "ocs-pcap: --fail-on: 1 tls_alert flow"]);
    // Listed or not: one flow listed, the counts still cover the six.
    const limited = await runCli(
      "analyze",
      rec,
      "-q",
      "-f",
      "json",
      "-o",
      "/dev/null",
      "--max-report-flows",
      "1",
      "--fail-on",
      "warnings,tls_handshake_incomplete",
    );
    expect(limited.code).toBe(1);
    expect(limited.stderr).toMatch(/--fail-on: 7 warnings, 1 tls_handshake_incomplete flow/);
    const clean = await runCli(
      "analyze",
      "fixtures/ocs-sample.pcap",
      "-q",
      "-o",
      "/dev/null",
      "--fail-on",
      "warnings,tls_alert",
    );
    expect(clean.code).toBe(0);
    const bad = await runCli("analyze", rec, "-q", "--fail-on", "tls_warning");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown verdict or reason 'tls_warning'/);
  });

  it("--expect with tls: complete counts only known flows whose handshake completed, from saved reports too", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ocs-tls-policy-"));
    const want = (min: number) => {
      const file = join(dir, `expect-${min}.yaml`);
      writeFileSync(file, `expect:\n  - { port: 5062, transport: tcp, tls: complete, min: ${min} }\n`);
      return file;
    };
    const ok = await runCli("analyze", rec, "-q", "-o", "/dev/null", "--expect", want(1));
    expect(ok.code).toBe(0);
    const two = await runCli("analyze", rec, "-q", "-o", "/dev/null", "--expect", want(2));
    expect([two.code, two.stderr.trim()]).toEqual([
      1,
      "ocs-pcap: --expect: 5062/tcp should have at least 2 known flows with a completed TLS handshake, saw 1",
    ]);
    // A saved report keeps the reason counts, so summarize fails on the same codes.
    const saved = join(dir, "r.json");
    expect((await runCli("analyze", rec, "-q", "-f", "json", "-o", saved)).code).toBe(0);
    const again = await runCli("summarize", saved, "-o", "/dev/null", "--fail-on", "tls_alert");
    expect([again.code, again.stderr.trim()]).toEqual([1, `ocs-pcap: ${rec}: --fail-on: 1 tls_alert flow`]);
  });
});

describe("Reassembler", () => {
  const bytes = (n: number, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

  it("joins in-order, out-of-order and overlapping pieces, and wraps sequence numbers", () => {
    const r = new Reassembler(64, 1 << 20);
    const s = r.open(0xfffffff0);
    expect(r.add(s, 0xfffffff0 + 10, bytes(10, 10), 0, 10, 0)).toBe(false); // past a gap
    expect(s.len).toBe(0);
    expect(r.add(s, 0xfffffff0, bytes(12), 0, 12, 0)).toBe(true); // fills it, overlapping
    expect(s.len).toBe(20);
    expect(r.add(s, 0xfffffff0 - 5, bytes(8, 251), 0, 8, 0)).toBe(false); // reaches back before byte 0
    expect([...s.buf.subarray(0, 20)]).toEqual([...bytes(20)]);
    expect(r.add(s, (0xfffffff0 + 20) >>> 0, bytes(100, 20), 0, 100, 0)).toBe(true); // across the wrap, capped
    expect([s.len, s.closed]).toEqual([64, true]);
  });

  it("keeps the first copy of bytes two overlapping segments disagree on, as Wireshark does", () => {
    const r = new Reassembler(64, 1 << 20);
    const s = r.open(1000);
    const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
    expect(r.add(s, 1010, fill(10, 0xaa), 0, 10, 0)).toBe(false); // [10, 20) waits past a gap
    expect(r.add(s, 1000, fill(30, 0xbb), 0, 30, 0)).toBe(true); // [0, 30) fills the gap, overlapping it
    expect(r.add(s, 1025, fill(10, 0xcc), 0, 10, 0)).toBe(true); // [25, 35) overlaps the in-order end
    expect([...s.buf.subarray(0, 35)]).toEqual([
      ...fill(10, 0xbb),
      ...fill(10, 0xaa),
      ...fill(10, 0xbb),
      ...fill(5, 0xcc),
    ]);
  });

  it("stops a stream that would pass the budget, and counts it", () => {
    const r = new Reassembler(65_536, 4096);
    const a = r.open(0);
    const b = r.open(0);
    expect(r.add(a, 0, bytes(3000), 0, 3000, 100)).toBe(true); // 4 KiB held
    expect(r.add(b, 0, bytes(10), 0, 10, 200)).toBe(false); // another 2 KiB would pass 4 KiB
    expect([b.starved, r.starved]).toEqual([true, { streams: 1, firstOffset: 200 }]);
    r.close(a);
    const c = r.open(0);
    expect(r.add(c, 0, bytes(10), 0, 10, 300)).toBe(true); // released bytes are free again
  });

  it("holds exactly the stream's bytes for any segmentation and order (property)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 3000 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 40 }),
        fc.integer(),
        (data, sizes, seed) => {
          const pieces: [number, number][] = [];
          for (let at = 0, i = 0; at < data.length; i++) {
            const n = Math.min(sizes[i % sizes.length]!, data.length - at);
            pieces.push([at, n]);
            at += n;
          }
          shuffle(pieces, seed);
          const r = new Reassembler(2048, 1 << 20);
          const s = r.open(1000);
          for (const [at, n] of pieces) r.add(s, 1000 + at, data, at, n, 0);
          const want = Math.min(data.length, 2048);
          expect(s.len).toBe(want);
          if (!s.closed) expect([...s.buf.subarray(0, want)]).toEqual([...data.subarray(0, want)]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** A deterministic shuffle (mulberry32). */
function shuffle<T>(list: T[], seed: number): void {
  let a = seed >>> 0;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
}

interface FlowBytes {
  client: string;
  cport: number;
  server: string;
  sport: number;
  t: number;
  /** Each side's payload in sequence order, and whether the server reset at the end. */
  fromClient: Uint8Array;
  fromServer: Uint8Array;
}

/** Each TCP flow's payload per side, in sequence order, read from a capture. */
async function payloads(path: string): Promise<FlowBytes[]> {
  const pkt = new Packet();
  const flows = new Map<string, FlowBytes & { c: Map<number, Uint8Array>; s: Map<number, Uint8Array> }>();
  await readCapture(path, (f) => {
    if (decodeFrame(f.linkType, f.buf, f.offset, f.capLen, pkt) !== Anomaly.OK || pkt.ipProto !== 6) return;
    const client = pkt.dstPort < pkt.srcPort;
    const cport = client ? pkt.srcPort : pkt.dstPort;
    const key = String(cport);
    let fl = flows.get(key);
    if (fl === undefined) {
      fl = {
        client: "10.1.0.20",
        cport,
        server: "10.0.0.10",
        sport: client ? pkt.dstPort : pkt.srcPort,
        t: f.tsMicros,
        fromClient: new Uint8Array(0),
        fromServer: new Uint8Array(0),
        c: new Map(),
        s: new Map(),
      };
      flows.set(key, fl);
    }
    if (pkt.payloadCaptured > 0) {
      (client ? fl.c : fl.s).set(
        pkt.seq,
        f.buf.slice(pkt.payloadOffset, pkt.payloadOffset + pkt.payloadCaptured),
      );
    }
  });
  const join = (m: Map<number, Uint8Array>) => {
    const parts = [...m.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
    return Uint8Array.from(parts.flatMap((p) => [...p]));
  };
  return [...flows.values()].map((f) => ({ ...f, fromClient: join(f.c), fromServer: join(f.s) }));
}

/**
 * The flows again, each side's bytes cut into segments of at most `maxSeg`
 * and sent out of order (each up to 8 places) but for the client's first.
 */
function recut(flows: FlowBytes[], maxSeg: number, seed: number) {
  const records = [];
  let t = 1_700_000_000_000_000;
  for (const f of flows) {
    const conv = new TcpConversation(f.client, f.cport, f.server, f.sport, t).handshake();
    const base = { c: conv.nextSeq(true), s: conv.nextSeq(false) };
    const segs: { fromClient: boolean; at: number; n: number }[] = [];
    for (const [fromClient, data] of [
      [true, f.fromClient],
      [false, f.fromServer],
    ] as const) {
      for (let at = 0; at < data.length; at += maxSeg)
        segs.push({ fromClient, at, n: Math.min(maxSeg, data.length - at) });
    }
    // The client's first segment comes first (a flow is followed only when its first payload is
    // TLS); each other segment moves up to 8 places, as segments overtake each other on a network.
    const [first, ...rest] = segs;
    const jitter = rest.map((_, i) => i);
    shuffle(jitter, seed);
    const moved = rest
      .map((seg, i) => ({ seg, key: i + (jitter[i]! % 9) }))
      .sort((a, b) => a.key - b.key)
      .map((m) => m.seg);
    for (const s of first === undefined ? [] : [first, ...moved]) {
      const data = s.fromClient ? f.fromClient : f.fromServer;
      conv.segment(s.fromClient, "AP", {
        payload: data.subarray(s.at, s.at + s.n),
        seq: ((s.fromClient ? base.c : base.s) + s.at) >>> 0,
      });
    }
    records.push(...conv.frames);
    t += 10_000_000;
  }
  return records;
}
