/**
 * Zeek conn.log output (issue 14, item 2): `--format zeek` (Zeek's ASCII log)
 * and `--format zeek-json`. The conn.log of fixtures/zeek-conn.pcap is
 * written here by hand from Zeek's field definitions
 * (base/protocols/conn/main.zeek: Conn::Info and set_conn); every fixture's
 * log is read back by a zeek-cut written from Zeek's ASCII format (the
 * `#separator`, `#fields` and `#types` header lines, `-` unset, `(empty)`
 * empty set), and the sample has a golden.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ZEEK_CONN } from "../fixtures/build.js";
import { ZEEK_FIELDS } from "../src/report/zeek.js";
import { ROOT } from "./helpers/cli.js";
import { expectGolden } from "./helpers/golden.js";
import { runCli } from "./helpers/run.js";

interface ZeekLog {
  meta: Map<string, string>;
  fields: string[];
  types: string[];
  rows: string[][];
}

/** Reads a Zeek ASCII log as zeek-cut does: meta lines first, then one row per line split on the separator. */
function parseZeekAscii(text: string): ZeekLog {
  const lines = text.split("\n");
  expect(lines.at(-1)).toBe(""); // ends with a newline
  const first = lines[0]!;
  const m = /^#separator (\S+)$/.exec(first);
  expect(m, "first line is #separator").not.toBeNull();
  const sep = m![1]!.replace(/\\x([0-9a-f]{2})/g, (_, h: string) =>
    String.fromCharCode(Number.parseInt(h, 16)),
  );
  const meta = new Map<string, string>();
  const rows: string[][] = [];
  for (const line of lines.slice(1, -1)) {
    if (line.startsWith("#")) {
      const [key, ...rest] = line.slice(1).split(sep);
      meta.set(key!, rest.join(sep));
    } else {
      rows.push(line.split(sep));
    }
  }
  const fields = meta.get("fields")?.split(sep) ?? [];
  const types = meta.get("types")?.split(sep) ?? [];
  return { meta, fields, types, rows };
}

/** zeek-cut: the named columns of every row. */
function zeekCut(log: ZeekLog, ...names: string[]): string[][] {
  const at = names.map((n) => log.fields.indexOf(n));
  for (const [i, n] of names.entries()) expect(at[i], `field ${n}`).toBeGreaterThanOrEqual(0);
  return log.rows.map((r) => at.map((i) => r[i]!));
}

/** Zeek's conn.log fields, in Conn::Info order, with their types (Zeek 6–8, base/protocols/conn/main.zeek). */
const ZEEK_CONN_FIELDS = [
  "ts time",
  "uid string",
  "id.orig_h addr",
  "id.orig_p port",
  "id.resp_h addr",
  "id.resp_p port",
  "proto enum",
  "service string",
  "duration interval",
  "orig_bytes count",
  "resp_bytes count",
  "conn_state string",
  "local_orig bool",
  "local_resp bool",
  "missed_bytes count",
  "history string",
  "orig_pkts count",
  "orig_ip_bytes count",
  "resp_pkts count",
  "resp_ip_bytes count",
  "tunnel_parents set[string]",
  "ip_proto count",
];

describe("Zeek conn.log (--format zeek)", () => {
  it("writes the hand-written conn.log of fixtures/zeek-conn.pcap", async () => {
    const r = await runCli("analyze", "fixtures/zeek-conn.pcap", "-f", "zeek");
    expect(r.code).toBe(0);
    const log = parseZeekAscii(r.stdout);
    const { hello, serverHello, sip, t0 } = ZEEK_CONN;
    const s = (micros: number) => (micros / 1e6).toFixed(6);
    // TCP/IPv4 headers without options: 20 + 20 bytes; UDP: 20 + 8.
    // The TLS flow: S, SA, A, PA(hello), PA(serverHello), FA, FA, A, 200 µs apart.
    // Zeek sets duration, orig_bytes and resp_bytes only when the duration is above zero.
    // The conn.log lines, written by hand (uid left out: it is a hash), one field per tab.
    const expected = [
      `${s(t0)}	10.1.0.20	50000	10.0.0.10	443	tcp	ssl	0.001400	${hello.length}	${serverHello.length}	SF	-	-	0	ShADdFf	5	${4 * 40 + 40 + hello.length}	3	${2 * 40 + 40 + serverHello.length}	-	6`,
      `${s(t0 + 1e6)}	10.1.0.20	50010	10.0.0.10	5060	udp	sip	-	-	-	S0	-	-	0	D	1	${28 + sip.length}	0	0	-	17`,
      `${s(t0 + 2e6)}	10.1.0.21	50020	10.0.0.30	5062	tcp	-	-	-	-	S0	-	-	0	S	1	40	0	0	-	6`,
    ].map((line) => line.split("\t"));
    const zeekNames = ZEEK_CONN_FIELDS.map((f) => f.split(" ")[0]!).filter((n) => n !== "uid");
    expect(zeekCut(log, ...zeekNames)).toEqual(expected);
    expect(zeekCut(log, "ocs.verdict", "ocs.app", "ocs.reasons")).toEqual([
      ["known", "tls", "(empty)"],
      // 5060 is catalogued for TCP only (README: SIP over UDP to 5060 is transport_mismatch),
      // and the capture ends 1 s after the request.
      ["misdirected", "sip", "transport_mismatch,near_capture_end"],
      ["inconclusive", "sip", "near_capture_end"],
    ]);
    expect(log.meta.get("open")).toBe("2024-05-14-09-00-00");
    expect(log.meta.get("close")).toBe("2024-05-14-09-00-02");
  });

  it("has Zeek's header, its conn.log fields and types in order, then ours under ocs., on every fixture", async () => {
    const fixtures = readdirSync(join(ROOT, "fixtures")).filter((n) => /\.(pcap|pcapng)(\.gz)?$/.test(n));
    expect(fixtures.length).toBeGreaterThan(15);
    for (const name of fixtures) {
      const r = await runCli("analyze", `fixtures/${name}`, "-f", "zeek");
      expect(r.code, name).toBe(0);
      const log = parseZeekAscii(r.stdout);
      expect([...log.meta.keys()], name).toEqual([
        "set_separator",
        "empty_field",
        "unset_field",
        "path",
        "open",
        "fields",
        "types",
        "close",
      ]);
      expect(log.meta.get("path")).toBe("conn");
      expect(log.fields.slice(0, ZEEK_CONN_FIELDS.length).map((f, i) => `${f} ${log.types[i]}`)).toEqual(
        ZEEK_CONN_FIELDS,
      );
      expect(log.fields.slice(ZEEK_CONN_FIELDS.length).every((f) => f.startsWith("ocs."))).toBe(true);
      expect(log.types).toHaveLength(log.fields.length);
      const json = JSON.parse((await runCli("analyze", `fixtures/${name}`, "-f", "json")).stdout);
      expect(log.rows, name).toHaveLength(json.flows.length);
      const uids = new Set<string>();
      for (const row of log.rows) {
        expect(row, name).toHaveLength(log.fields.length);
        const v = (f: string) => row[log.fields.indexOf(f)]!;
        expect(v("ts")).toMatch(/^\d+\.\d{6}$/);
        expect(v("uid")).toMatch(/^C[0-9A-Za-z]{17}$/);
        uids.add(v("uid"));
        expect(["tcp", "udp", "icmp", "unknown_transport"]).toContain(v("proto"));
        expect(v("duration")).toMatch(/^(-|\d+\.\d{6})$/);
        for (const f of ["orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes"])
          expect(v(f)).toMatch(/^\d+$/);
        // Zeek leaves the byte counts unset exactly when the duration is.
        expect(v("orig_bytes") === "-").toBe(v("duration") === "-");
      }
      expect(uids.size, `${name}: uids are unique`).toBe(log.rows.length);
    }
  });

  it("gives the same uids for the same capture, and a golden for the sample", async () => {
    const a = await runCli("analyze", "fixtures/ocs-sample.pcap", "-f", "zeek");
    const b = await runCli("analyze", "fixtures/ocs-sample.pcap", "-f", "zeek");
    expect(a.stdout).toBe(b.stdout);
    expectGolden(join(ROOT, "fixtures/ocs-sample.conn.log"), a.stdout);
  });

  it("is per flow in a batch too: one header, every capture's flows, ocs.capture naming each", async () => {
    const r = await runCli(
      "analyze",
      "fixtures/zeek-conn.pcap",
      "fixtures/ocs-sample.pcap",
      "-f",
      "zeek",
      "--jobs",
      "1",
    );
    expect(r.code).toBe(0);
    const log = parseZeekAscii(r.stdout);
    expect(log.rows).toHaveLength(3 + 12);
    expect(new Set(zeekCut(log, "ocs.capture").map(([c]) => c))).toEqual(
      new Set(["fixtures/zeek-conn.pcap", "fixtures/ocs-sample.pcap"]),
    );
    expect(log.meta.get("open")).toBe("2024-05-14-09-00-00");
  });
});

describe("Zeek JSON (--format zeek-json)", () => {
  it("one object per line, Zeek's names, unset fields left out, the same values as the ASCII log", async () => {
    const ascii = parseZeekAscii((await runCli("analyze", "fixtures/ocs-sample.pcap", "-f", "zeek")).stdout);
    const text = (await runCli("analyze", "fixtures/ocs-sample.pcap", "-f", "zeek-json")).stdout;
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(ascii.rows.length);
    const names = ZEEK_FIELDS.map(([n]) => n);
    for (const [i, line] of lines.entries()) {
      const o = JSON.parse(line) as Record<string, unknown>;
      // Keys in the log's field order, each a known field.
      const keys = Object.keys(o);
      expect(keys.map((k) => names.indexOf(k))).toEqual(
        [...keys.map((k) => names.indexOf(k))].sort((a, b) => a - b),
      );
      const row = ascii.rows[i]!;
      for (const [j, name] of ascii.fields.entries()) {
        const cell = row[j]!;
        if (cell === "-") expect(o, name).not.toHaveProperty(name);
        else if (
          ascii.types[j] === "time" ||
          ascii.types[j] === "interval" ||
          ascii.types[j] === "count" ||
          ascii.types[j] === "port"
        )
          expect(o[name], name).toBe(Number(cell));
        else if (ascii.types[j]!.startsWith("set[") || ascii.types[j]!.startsWith("vector["))
          expect(o[name], name).toEqual(cell === "(empty)" ? [] : cell.split(","));
        else expect(o[name], name).toBe(cell);
      }
    }
  });
});
