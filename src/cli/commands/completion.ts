/**
 * `ocs-pcap completion bash|zsh|fish` and `ocs-pcap manpage`: shell
 * completion scripts and the man page, generated from the commander program
 * itself, so they list exactly the commands, options and choices it has.
 */

import type { Command, Option } from "commander";
import { PRODUCTS } from "../../catalog/products.js";
import { BLOCKING_CODES, REASON_CODES } from "../../classify/reasons.js";

interface OptionFacts {
  flags: string[];
  takesValue: boolean;
  /** What the value is called in the option's flags ("<format>" → "format"). */
  valueName: string;
  choices: readonly string[];
  description: string;
  /** The default as --help shows it ("table", "25"), or null. */
  defaultText: string | null;
}

/** Values an option takes that commander does not list as choices (a comma list of verdicts). */
const EXTRA_CHOICES: Readonly<Record<string, readonly string[]>> = {
  "--fail-on": [
    "blocked",
    "misdirected",
    "unknown",
    "inconclusive",
    "warnings",
    "sign_in",
    ...BLOCKING_CODES,
    ...REASON_CODES.filter((c) => !BLOCKING_CODES.has(c)),
  ],
  "--product": [...PRODUCTS.keys()],
};

function optionFacts(o: Option): OptionFacts {
  return {
    flags: [o.short, o.long].filter((f): f is string => f !== undefined),
    takesValue: o.required || o.optional,
    valueName: /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1] ?? "value",
    choices: o.argChoices ?? EXTRA_CHOICES[o.long ?? ""] ?? [],
    description: o.description,
    defaultText: defaultText(o),
  };
}

/** An option's default as text (its description when it has one), or null: none, or an empty list. */
function defaultText(o: Option): string | null {
  const v: unknown = o.defaultValue;
  if (o.defaultValueDescription !== undefined) return o.defaultValueDescription;
  if (v === undefined || (Array.isArray(v) && v.length === 0)) return null;
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** The program's subcommands (help excluded) with their options; with `nested`, theirs too ("catalog diff"). */
function commandsOf(
  program: Command,
  nested = false,
): {
  name: string;
  description: string;
  options: OptionFacts[];
  usage: string;
  argChoices: readonly string[];
}[] {
  return (
    program.commands
      // Not help, and not the hidden manpage command.
      .filter((c) => c.name() !== "help" && c.name() !== "manpage")
      .flatMap((c) => [
        { c, name: c.name() },
        ...(nested ? c.commands.map((sub) => ({ c: sub, name: `${c.name()} ${sub.name()}` })) : []),
      ])
      .map(({ c, name }) => ({
        name,
        description: c.description(),
        usage: c.usage(),
        // The first word after the command: an argument's choices, or its subcommands (catalog diff).
        argChoices: c.registeredArguments[0]?.argChoices ?? c.commands.map((s) => s.name()),
        options: [
          ...c.options.map(optionFacts),
          {
            flags: ["-h", "--help"],
            takesValue: false,
            valueName: "",
            choices: [],
            description: "show help",
            defaultText: null,
          },
        ],
      }))
  );
}

/** A completion script for the shell. */
export function completionScript(program: Command, shell: "bash" | "zsh" | "fish"): string {
  const commands = commandsOf(program);
  const name = program.name();
  if (shell === "fish") {
    const lines = [
      `# fish completion for ${name} (${name} completion fish > ~/.config/fish/completions/${name}.fish)`,
    ];
    lines.push(
      `complete -c ${name} -f -n __fish_use_subcommand -a '${commands.map((c) => c.name).join(" ")}'`,
    );
    for (const c of commands) {
      if (c.argChoices.length > 0)
        lines.push(
          `complete -c ${name} -f -n '__fish_seen_subcommand_from ${c.name}' -a '${c.argChoices.join(" ")}'`,
        );
      for (const o of c.options) {
        const long = o.flags.find((f) => f.startsWith("--"))?.slice(2);
        const short = o.flags.find((f) => /^-[^-]/.test(f))?.slice(1);
        const parts = [`complete -c ${name} -n '__fish_seen_subcommand_from ${c.name}'`];
        if (long) parts.push(`-l ${long}`);
        if (short) parts.push(`-s ${short}`);
        if (o.takesValue) parts.push("-r");
        if (o.choices.length > 0) parts.push(`-f -a '${o.choices.join(" ")}'`);
        parts.push(`-d '${o.description.replace(/'/g, "\\'").slice(0, 80)}'`);
        lines.push(parts.join(" "));
      }
    }
    return `${lines.join("\n")}\n`;
  }
  // bash, and zsh through its bash completion emulation.
  const cases = commands
    .map((c) => {
      const flags = c.options.flatMap((o) => o.flags).join(" ");
      const choices = c.options
        .filter((o) => o.choices.length > 0)
        .map(
          (o) =>
            `        ${o.flags.join("|")}) COMPREPLY=($(compgen -W "${o.choices.join(" ")}" -- "$cur")); return ;;`,
        )
        .join("\n");
      const valued = c.options
        .filter((o) => o.takesValue && o.choices.length === 0)
        .flatMap((o) => o.flags)
        .join("|");
      const first =
        c.argChoices.length > 0
          ? `      if [[ $COMP_CWORD -eq 2 && "$cur" != -* ]]; then COMPREPLY=($(compgen -W "${c.argChoices.join(" ")}" -- "$cur")); return; fi\n`
          : "";
      return `    ${c.name})
${first}      case "$prev" in
${choices}${choices ? "\n" : ""}${valued ? `        ${valued}) COMPREPLY=($(compgen -f -- "$cur")); return ;;\n` : ""}      esac
      if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "${flags}" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
      ;;`;
    })
    .join("\n");
  const fn = `_${name.replace(/\W/g, "_")}`;
  const body = `${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  COMPREPLY=()
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(" ")} help --help --version" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
  esac
}
complete -o filenames -F ${fn} ${name}
`;
  if (shell === "zsh")
    return `# zsh completion for ${name} (in ~/.zshrc: source <(${name} completion zsh))\nautoload -U +X bashcompinit && bashcompinit\n${body}`;
  return `# bash completion for ${name} (in ~/.bashrc: source <(${name} completion bash))\n${body}`;
}

/** roff text: backslashes, leading dots and quotes made literal (groff_man(7), man-pages(7)). */
function roff(s: string): string {
  return s
    .replace(/\\/g, "\\e")
    .replace(/-/g, "\\-")
    .replace(/^([.'])/gm, "\\&$1");
}

/**
 * The man page, section 1, from the program's own descriptions (man-pages(7) layout). `local`:
 * text of this machine's that descriptions hold (its CPU count), left out: the page is shared.
 */
export function manPage(
  program: Command,
  version: string,
  examples: string,
  exitCodes: string,
  local: readonly string[] = [],
): string {
  const shared = (text: string) => local.reduce((t, l) => t.split(l).join(""), text);
  const name = program.name();
  const out = [
    `.TH ${name.toUpperCase()} 1 "" "${name} ${version}" "User Commands"`,
    ".SH NAME",
    `${name} \\- ${roff(program.description())}`,
    ".SH SYNOPSIS",
    ...commandsOf(program, true).flatMap((c) => [`.B ${name} ${c.name}`, roff(c.usage), ".br"]),
    ".SH DESCRIPTION",
    roff(
      "Reads pcap and pcapng captures (gzip-compressed or not, from files, folders or standard input) and Network Monitor 2.x files, groups packets into flows, matches each flow's service port, transport and payload against the OCS 2007 R2 port catalog (or, with --product, Lync Server 2013's, Skype for Business Server's or Teams'), and reports unknown, blocked-looking and misdirected traffic, each verdict with the evidence behind it.",
    ),
  ];
  for (const c of commandsOf(program, true)) {
    out.push(`.SH ${c.name.toUpperCase()}`, roff(c.description));
    for (const o of c.options) {
      out.push(
        ".TP",
        `.B ${roff(o.flags.join(", "))}${o.takesValue ? ` \\fI${roff(o.valueName)}\\fR` : ""}`,
        roff(shared(o.description)),
      );
      if (o.choices.length > 0) out.push(".br", `One of: ${roff(o.choices.join(", "))}.`);
      if (o.defaultText !== null) out.push(".br", `Default: ${roff(o.defaultText)}.`);
    }
  }
  out.push(".SH EXAMPLES", ".nf", roff(examples.trim()), ".fi");
  out.push(".SH EXIT STATUS", roff(exitCodes.trim()));
  out.push(
    ".SH SEE ALSO",
    "tshark(1), zeek(8), tcpdump(1); the README and docs/ of the ocs-pcap repository.",
  );
  return `${out.join("\n")}\n`;
}
