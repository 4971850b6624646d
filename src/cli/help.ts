/**
 * The help texts beyond commander's own: the examples and exit codes that
 * `--help` prints after the options, and the man page repeats.
 */

export const ANALYZE_EXAMPLES = `
Examples:
  $ ocs-pcap analyze capture.pcap
  $ ocs-pcap analyze capture.pcapng.gz --format html -o report.html
  $ ocs-pcap analyze capture.pcap --format markdown > ticket.md
  $ ocs-pcap analyze captures/ --report-dir reports/ --format junit -o junit.xml
  $ ocs-pcap analyze a.pcap b.pcapng --jobs 4 --fail-on blocked,misdirected
  $ ocs-pcap analyze capture.pcap --max-unknown-flows 5% --expect expect.yaml
  $ tcpdump -i any -w - port 5061 | ocs-pcap analyze -
  $ ocs-pcap analyze capture.pcap --topology topology.yaml
  $ ocs-pcap analyze capture.pcap --format zeek > conn.log       # Zeek conn.log (zeek-cut reads it)
  $ ocs-pcap analyze capture.pcap --redact --format html -o shareable.html

Exit codes: 0 analysed, 1 policy failed, 2 usage error or bad settings file,
65 not a readable capture (in a batch: any capture, after the rest are
reported), 66 file cannot be opened or read, 70 internal error (or a package
missing from the installation), 73 the report file cannot be written, 74
writing failed (disk full, I/O error), 141 standard output closed by its
reader (| head) before the report was whole, 129/130/143 stopped by SIGHUP,
SIGINT or SIGTERM (no report left half-written).`;

export const SUMMARIZE_EXAMPLES = `
Examples:
  $ ocs-pcap summarize reports/*.json
  $ ocs-pcap summarize reports/*.json --format junit -o junit.xml --fail-on blocked`;

export const CATALOG_EXAMPLES = `
Examples:
  $ ocs-pcap catalog
  $ ocs-pcap catalog --port 5061
  $ ocs-pcap catalog --port 3478 --transport udp
  $ ocs-pcap catalog --format json
  $ ocs-pcap catalog --product sfb2019 --format csv > firewall-rules.csv
  $ ocs-pcap catalog diff ocs2007r2 sfb2019`;

export const TOPOLOGY_EXAMPLES = `
Examples:
  $ ocs-pcap topology --example > topology.yaml
  $ ocs-pcap topology --check topology.yaml
  $ ocs-pcap analyze capture.pcap --topology topology.yaml`;

export const COMPLETION_EXAMPLES = `
Examples:
  $ source <(ocs-pcap completion bash)          # in ~/.bashrc
  $ source <(ocs-pcap completion zsh)           # in ~/.zshrc
  $ ocs-pcap completion fish > ~/.config/fish/completions/ocs-pcap.fish`;

/** Every command's examples, one per line without the indent, each once, for the man page. */
export function allExamples(): string {
  return [
    ANALYZE_EXAMPLES.split("\nExit codes: ")[0]!,
    SUMMARIZE_EXAMPLES,
    CATALOG_EXAMPLES,
    TOPOLOGY_EXAMPLES,
    COMPLETION_EXAMPLES,
  ]
    .flatMap((text) => text.split("\n"))
    .filter((line) => line.startsWith("  $ "))
    .map((line) => line.slice(2))
    .filter((line, i, lines) => lines.indexOf(line) === i)
    .join("\n");
}

/** The exit codes paragraph of analyze's help, for the man page. */
export const EXIT_CODES = `Exit codes: ${ANALYZE_EXAMPLES.split("\nExit codes: ")[1]!}`;
