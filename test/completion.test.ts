/**
 * Shell completion and the man page (issue 15, item 5), generated from the
 * commander program: bash completes a subcommand, an option and an option's
 * choices after sourcing the script; zsh's uses bash's through bashcompinit;
 * fish's lists the same; the committed man page is the generated one and
 * man(1) renders it without a warning.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/cli.js";
import { runCli } from "./helpers/run.js";
import { implementedBy, requireTools } from "./helpers/tools.js";

// CI installs man-db (OCS_PCAP_REQUIRE_TOOLS=1): there a missing `man` fails the test instead of skipping it.
// man-db's man (`--warnings -l`); mandoc's takes other options.
const hasMan = requireTools || implementedBy("man", /^man \d/m);

describe("shell completion", () => {
  it("bash completes subcommands, options and choices once sourced", async () => {
    const script = join(mkdtempSync(join(tmpdir(), "ocs-pcap-completion-")), "ocs-pcap.bash");
    const r = await runCli("completion", "bash");
    expect(r.code).toBe(0);
    writeFileSync(script, r.stdout);
    const complete = (...words: string[]) => {
      const quoted = words.map((w) => `'${w}'`).join(" ");
      const out = spawnSync(
        "bash",
        [
          "-c",
          `source '${script}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _ocs_pcap; echo "\${COMPREPLY[*]}"`,
        ],
        { encoding: "utf8" },
      );
      expect(out.stderr).toBe("");
      return out.stdout.trim();
    };
    expect(complete("ocs-pcap", "an")).toBe("analyze");
    expect(complete("ocs-pcap", "s")).toBe("summarize");
    expect(complete("ocs-pcap", "analyze", "--for")).toBe("--format");
    expect(complete("ocs-pcap", "analyze", "--format", "z")).toBe("zeek zeek-json");
    expect(complete("ocs-pcap", "analyze", "--transport", "")).toBe("tcp udp");
    expect(complete("ocs-pcap", "catalog", "--tr")).toBe("--transport");
    expect(complete("ocs-pcap", "completion", "")).toBe("bash zsh fish");
    expect(complete("ocs-pcap", "analyze", "--fail-on", "b")).toBe("blocked");
    expect(complete("ocs-pcap", "catalog", "d")).toBe("diff");
    expect(complete("ocs-pcap", "analyze", "--product", "sfb")).toBe("sfb2015 sfb2019");
  });

  it("zsh uses the bash script through bashcompinit; fish gets the same subcommands and options", async () => {
    const zsh = (await runCli("completion", "zsh")).stdout;
    expect(zsh).toContain("autoload -U +X bashcompinit && bashcompinit\n");
    expect(zsh).toContain("complete -o filenames -F _ocs_pcap ocs-pcap");
    const fish = (await runCli("completion", "fish")).stdout;
    expect(fish).toContain(
      "complete -c ocs-pcap -f -n __fish_use_subcommand -a 'analyze summarize catalog completion topology'",
    );
    expect(fish).toMatch(
      /complete -c ocs-pcap -n '__fish_seen_subcommand_from analyze' -l format -s f -r -f -a 'table json markdown html junit csv zeek zeek-json ndjson'/,
    );
    const bad = await runCli("completion", "tcsh");
    expect([bad.code, bad.stderr]).toEqual([
      2,
      "ocs-pcap: command-argument value 'tcsh' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish.\n(run with --help for usage)\n",
    ]);
  });
});

describe("man page", () => {
  it("docs/ocs-pcap.1 is what `ocs-pcap manpage` prints (npm run man rewrites it)", async () => {
    const generated = (await runCli("manpage")).stdout;
    expect(readFileSync(join(ROOT, "docs/ocs-pcap.1"), "utf8")).toBe(generated);
    expect(generated).toMatch(/^\.TH OCS-PCAP 1 /);
    for (const option of ["\\-\\-format", "\\-\\-shard", "\\-\\-host", "\\-\\-width"])
      expect(generated).toContain(option);
  });

  it("holds nothing of this machine's (the committed page is every machine's), and the defaults --help shows", async () => {
    const generated = (await runCli("manpage")).stdout;
    const help = (await runCli("analyze", "--help")).stdout;
    // --help names this machine's CPU count; the page says only "the CPU count".
    expect(help).toContain(`(default: the CPU count, ${availableParallelism()} here;`);
    expect(generated).toContain("(default: the CPU count; 1 for a batch under 64 MB");
    expect(generated).not.toMatch(/\d here/);
    for (const [option, value] of [
      ["\\-\\-limit \\fIn\\fR", "25"],
      ["\\-\\-tcp\\-timeout \\fIseconds\\fR", "900"],
      ["\\-\\-max\\-flows \\fIn\\fR", "1000000"],
    ] as const) {
      const entry = generated.slice(generated.indexOf(`.B ${option}`));
      expect(entry.slice(0, entry.indexOf(".TP"))).toContain(`Default: ${value}.`);
      expect(help.replace(/\s+/g, " ")).toContain(`(default: "${value}")`);
    }
    // Every command's examples, each once, without the help's indent.
    const examples = generated.slice(generated.indexOf(".SH EXAMPLES"), generated.indexOf(".SH EXIT STATUS"));
    for (const command of ["analyze", "summarize", "catalog", "topology", "completion"])
      expect(examples).toMatch(new RegExp(`^\\$ .*ocs\\\\-pcap ${command}`, "m"));
    expect(examples).not.toMatch(/^ /m);
    const lines = examples.split("\n").filter((l) => l.startsWith("$ "));
    expect(new Set(lines).size).toBe(lines.length);
  });

  it.skipIf(!hasMan)("renders with man -l without a warning", () => {
    const r = spawnSync("man", ["--warnings", "-l", join(ROOT, "docs/ocs-pcap.1")], {
      encoding: "utf8",
      env: { ...process.env, MANWIDTH: "80", MANPAGER: "cat", PAGER: "cat" },
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/OCS-PCAP\(1\)/);
    expect(r.stdout).toContain("EXIT STATUS");
  });
});
