/**
 * Command-line conventions (issue 15, item 5, in part): one error prefix,
 * `-o -` as standard output, `-o` naming a folder refused before any work,
 * `summarize` walking folders and naming a capture given to it, and
 * `--color auto|always|never`. In-process, through run(argv, io).
 */
import {
  chmodSync,
  closeSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/cli.js";
import { runCli, runCliWith } from "./helpers/run.js";

const SAMPLE = "fixtures/ocs-sample.pcap";
const tmp = () => mkdtempSync(join(tmpdir(), "ocs-pcap-conv-"));

describe("conventions", () => {
  it("every error has one prefix, commander's own included", async () => {
    const unknown = await runCli("analyze", "--nope", SAMPLE);
    expect([unknown.code, unknown.stderr]).toEqual([
      2,
      "ocs-pcap: unknown option '--nope'\n(run with --help for usage)\n",
    ]);
    const choice = await runCli("analyze", SAMPLE, "-f", "yaml");
    expect(choice.stderr).toMatch(/^ocs-pcap: option '-f, --format <format>' argument 'yaml' is invalid\./);
    expect(choice.stderr).not.toMatch(/^error:/m);
  });

  it("-o - is standard output", async () => {
    const plain = await runCli("analyze", SAMPLE, "-f", "json");
    const dash = await runCli("analyze", SAMPLE, "-f", "json", "-o", "-");
    expect([dash.code, dash.stdout]).toEqual([0, plain.stdout]);
    const dir = tmp();
    const r = await runCli("analyze", SAMPLE, "-f", "ndjson", "-o", "-", "--report-dir", dir);
    expect(r.stdout).toContain('"type":"capture"');
    expect(readdirSync(dir)).not.toContain("-");
  });

  it("-o naming a folder is exit 73 before any work, for analyze and summarize", async () => {
    const dir = tmp();
    for (const target of [dir, `${join(dir, "new")}/`]) {
      const r = await runCli("analyze", SAMPLE, "-o", target);
      expect([r.code, r.stdout, r.stderr]).toEqual([
        73,
        "",
        `ocs-pcap: ${target}: is a directory; -o names the report file to write\n`,
      ]);
    }
    const s = await runCli("summarize", "fixtures/ocs-sample.json", "-o", dir);
    expect(s.code).toBe(73);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("-o or --report-dir that is empty, or -o in a missing folder, is refused before any work", async () => {
    const empty = await runCli("analyze", SAMPLE, "-o", "");
    expect([empty.code, empty.stderr]).toEqual([
      2,
      "ocs-pcap: -o needs a file name (or - for standard output)\n(run with --help for usage)\n",
    ]);
    const noDir = await runCli("analyze", SAMPLE, "--report-dir", "");
    expect([noDir.code, noDir.stderr]).toEqual([
      2,
      "ocs-pcap: --report-dir needs a folder name\n(run with --help for usage)\n",
    ]);
    const dir = tmp();
    const missing = join(dir, "no-such-folder", "r.json");
    for (const argv of [
      ["analyze", SAMPLE],
      ["summarize", "fixtures/ocs-sample.json"],
    ]) {
      const r = await runCli(...argv, "-o", missing);
      expect([r.code, r.stderr]).toEqual([
        73,
        `ocs-pcap: ${missing}: cannot be written: there is no folder ${join(dir, "no-such-folder")}\n`,
      ]);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it("-o replaces the file there, keeping its permissions, and a symbolic link there, never the file it names", async () => {
    const dir = tmp();
    const file = join(dir, "report.json");
    writeFileSync(file, "old\n");
    chmodSync(file, 0o600);
    const r = await runCli("analyze", SAMPLE, "-f", "json", "-o", file);
    expect(r.code).toBe(0);
    expect(readFileSync(file, "utf8")).toMatch(/^\{\n {2}"schema": "ocs-pcap\/report@1"/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // A link where the report goes (planted in a shared folder, say) is replaced, so it
    // cannot send the report over another file; the file it named is left as it was.
    const victim = join(dir, "victim.txt");
    writeFileSync(victim, "keep\n");
    mkdirSync(join(dir, "links"));
    symlinkSync("../victim.txt", join(dir, "links", "r.json"));
    const l = await runCli("analyze", SAMPLE, "-f", "json", "-o", join(dir, "links", "r.json"));
    expect(l.code).toBe(0);
    expect(lstatSync(join(dir, "links", "r.json")).isFile()).toBe(true);
    expect(readFileSync(join(dir, "links", "r.json"), "utf8")).toBe(readFileSync(file, "utf8"));
    expect(readFileSync(victim, "utf8")).toBe("keep\n");
    expect(readdirSync(dir).sort()).toEqual(["links", "report.json", "victim.txt"]);
  });

  it.skipIf(process.platform !== "linux")(
    "-o naming an open descriptor (/dev/stdout, /proc/self/fd/N) writes to it, never renames over the link",
    async () => {
      // `-o /dev/stdout > file`: /dev/stdout leads through /proc/self/fd/1 to the file. Here an
      // open descriptor of this process stands for standard output, behind a link of the same kind.
      const dir = tmp();
      const fd = openSync(join(dir, "captured.txt"), "w");
      try {
        symlinkSync(`/proc/self/fd/${fd}`, join(dir, "stdout"));
        const r = await runCli("analyze", SAMPLE, "-f", "csv", "-o", join(dir, "stdout"));
        const plain = await runCli("analyze", SAMPLE, "-f", "csv");
        expect(r.code).toBe(0);
        expect(readFileSync(join(dir, "captured.txt"), "utf8")).toBe(plain.stdout);
        expect(lstatSync(join(dir, "stdout")).isSymbolicLink()).toBe(true);
      } finally {
        closeSync(fd);
      }
    },
  );

  it("summarize walks folders for JSON reports in capture order, takes only unreadable captures from a batch file there, and names a capture", async () => {
    const dir = tmp();
    const reports = join(dir, "reports");
    expect(
      (await runCli("analyze", SAMPLE, "fixtures/blocked-cases.pcap", "--report-dir", reports, "-q")).code,
    ).toBe(0);
    const walked = await runCli("summarize", reports);
    const named = await runCli(
      "summarize",
      join(reports, "ocs-sample.pcap.json"),
      join(reports, "blocked-cases.pcap.json"),
    );
    expect(walked.code).toBe(0);
    // Capture-path order: blocked-cases first.
    expect(walked.stdout).toBe(
      (
        await runCli(
          "summarize",
          join(reports, "blocked-cases.pcap.json"),
          join(reports, "ocs-sample.pcap.json"),
        )
      ).stdout,
    );
    expect(named.stdout).toContain("total: 2 captures");
    // The batch file beside them adds only unreadable captures (none here): no note, no double count.
    expect(walked.stderr).toBe("");
    mkdirSync(join(dir, "empty"));
    const none = await runCli("summarize", join(dir, "empty"));
    expect([none.code, none.stderr]).toEqual([
      2,
      `ocs-pcap: no JSON reports found in ${join(dir, "empty")}\n(run with --help for usage)\n`,
    ]);
    copyFileSync(join(ROOT, SAMPLE), join(dir, "capture.json"));
    const capture = await runCli(
      "summarize",
      join(dir, "capture.json"),
      join(reports, "ocs-sample.pcap.json"),
    );
    expect(capture.code).toBe(65);
    expect(capture.stderr).toBe(
      `ocs-pcap: ${join(dir, "capture.json")}: this is a capture file, not a report; use \`ocs-pcap analyze\` on it\n`,
    );
  });

  it("--color always colours standard output into a pipe, never turns a terminal's colour off, auto follows it", async () => {
    const esc = "\u001b[";
    expect((await runCliWith({ color: false }, "analyze", SAMPLE, "--color", "always")).stdout).toContain(
      esc,
    );
    expect((await runCliWith({ color: true }, "analyze", SAMPLE, "--color", "never")).stdout).not.toContain(
      esc,
    );
    expect((await runCliWith({ color: true }, "analyze", SAMPLE)).stdout).toContain(esc);
    expect((await runCliWith({ color: false }, "analyze", SAMPLE, "--color", "auto")).stdout).not.toContain(
      esc,
    );
    // A file never gets colour.
    const out = join(tmp(), "r.txt");
    await runCliWith({ color: true }, "analyze", SAMPLE, "--color", "always", "-o", out);
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(out, "utf8")).not.toContain(esc);
  });
});

describe("--tz", () => {
  it("shows times in the zone, with its offset at that instant (summer and winter), UTC as Z", async () => {
    const { zonedTime } = await import("../src/format.js");
    const berlin = zonedTime("Europe/Berlin");
    expect(berlin(Date.UTC(2024, 0, 1, 12) * 1000 + 7)).toBe("2024-01-01T13:00:00.000007+01:00");
    expect(berlin(Date.UTC(2024, 6, 1, 12) * 1000)).toBe("2024-07-01T14:00:00.000000+02:00");
    expect(zonedTime("Asia/Kolkata")(Date.UTC(2024, 4, 14, 9) * 1000)).toBe(
      "2024-05-14T14:30:00.000000+05:30",
    );
    expect(zonedTime("UTC")(Date.UTC(2024, 4, 14, 9) * 1000)).toBe("2024-05-14T09:00:00.000000Z");
    const { parseTimeZone } = await import("../src/cli/options.js");
    expect([parseTimeZone("utc"), parseTimeZone("Etc/UTC"), parseTimeZone("europe/berlin")]).toEqual([
      "UTC",
      "UTC",
      "Europe/Berlin",
    ]);
  });

  it("applies to table, Markdown and HTML; JSON stays UTC; a zone Intl does not know is refused", async () => {
    const table = await runCli("analyze", SAMPLE, "--tz", "America/New_York");
    expect(table.stdout).toMatch(/^ {2}First packet {2}2024-05-14T05:00:00\.000000-04:00$/m);
    const md = await runCli("analyze", SAMPLE, "--tz", "America/New_York", "-f", "markdown");
    expect(md.stdout).toContain("| First packet | 2024-05-14T05:00:00.000000-04:00 |");
    const html = await runCli("analyze", SAMPLE, "--tz", "America/New_York", "-f", "html");
    expect(html.stdout).toContain("<dt>First packet</dt><dd>2024-05-14T05:00:00.000000-04:00</dd>");
    expect(html.stdout).toContain("America/New_York, 2024-05-14");
    const json = await runCli("analyze", SAMPLE, "--tz", "America/New_York", "-f", "json");
    expect(JSON.parse(json.stdout).capture.firstSeen).toBe("2024-05-14T09:00:00.000000Z");
    const bad = await runCli("analyze", SAMPLE, "--tz", "Mars/Base");
    expect([bad.code, bad.stderr]).toEqual([
      2,
      "ocs-pcap: --tz takes an IANA time zone (Europe/Berlin), UTC or local, not 'Mars/Base'\n(run with --help for usage)\n",
    ]);
  });
});

describe("the batch summary table", () => {
  it("fits --width by keeping the end of long capture paths", async () => {
    const deep = join(tmp(), "a-long-site-folder-name", "another-long-folder-name");
    mkdirSync(deep, { recursive: true });
    copyFileSync(join(ROOT, SAMPLE), join(deep, "ocs-sample.pcap"));
    copyFileSync(join(ROOT, "fixtures/vlan.pcap"), join(deep, "vlan.pcap"));
    const r = await runCli("analyze", deep, "--width", "100");
    const summary = r.stdout.slice(r.stdout.indexOf("Batch summary"));
    const rows = summary.split("\n").filter((l) => l !== "");
    expect(rows.filter((l) => l.length > 100)).toEqual([]);
    expect(summary).toMatch(/^…\S*\/ocs-sample\.pcap +ok +44 +12 /m);
    const wide = await runCli("analyze", deep, "--width", "0");
    expect(wide.stdout).toContain(`${join(deep, "ocs-sample.pcap")}  ok`);
  });
});
