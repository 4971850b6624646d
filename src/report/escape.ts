/**
 * Escaping for every output format. Anything that came from a packet (a TLS
 * server name, a SIP URI, a message quoting one) is hostile until escaped
 * for the format it lands in.
 */

/**
 * HTML text and attribute values (HTML Living Standard §13.1.2.6); control characters, parse
 * errors in HTML (§13.2.5), are dropped, and bidirectional controls shown (see `showBidi`).
 */
export function escapeHtml(s: string): string {
  if (!HTML_SPECIAL.test(s)) return s;
  return showBidi(stripControl(s)).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** XML 1.0 character data and attributes; characters XML cannot carry are dropped (XML 1.0 §2.2), bidirectional controls shown. */
export function escapeXml(s: string): string {
  if (!XML_SPECIAL.test(s)) return s;
  return showBidi(stripControl(s))
    .replace(/[\uFFFE\uFFFF]/g, "")
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Text inside a GitHub-flavoured Markdown table cell: no line breaks, pipes
 * escaped, and the characters that start links, images, emphasis, code,
 * strikethrough, entities or raw HTML made literal with backslashes
 * (CommonMark §2.4). Cells never start a line, so list and heading markers
 * need no escaping. Bidirectional controls are shown, as on a terminal.
 */
export function escapeMarkdown(s: string): string {
  if (!MARKDOWN_SPECIAL.test(s)) return s;
  return showBidi(stripControl(s))
    .replace(/[\r\n]+/g, " ")
    .replace(/[\\`*_[\]!|<>~&]/g, (c) => `\\${c}`);
}

/**
 * A CSV field (RFC 4180), defused against formula injection: a field that a
 * spreadsheet would evaluate (starting with = + - @, tab or carriage return)
 * gets a leading apostrophe (OWASP "CSV Injection"). Control characters,
 * tabs and line ends included, are shown as \xNN, as on a terminal, where a
 * CSV file is often `cat` or `grep`ped: every row is one line.
 */
export function escapeCsv(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  let s = escapeTerminalLine(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Text for a terminal: C0/C1 control characters (escape sequences) shown as
 * \xNN instead of acted on, and the bidirectional overrides and isolates
 * (U+202A–U+202E, U+2066–U+2069, which reorder what follows: "Trojan
 * Source", CVE-2021-42574) as \u{NNNN}.
 */
export function escapeTerminal(s: string): string {
  if (!TERMINAL_SPECIAL.test(s)) return s;
  return s.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (c) =>
      c.charCodeAt(0) > 0xff
        ? `\\u{${c.charCodeAt(0).toString(16)}}`
        : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/**
 * A file name or other one-line value for a terminal line: every control
 * character shown as \xNN, newlines and tabs included, so a name cannot
 * split a line or move the cursor.
 */
export function escapeTerminalLine(s: string): string {
  return escapeTerminal(s).replace(/[\n\t]/g, (c) => (c === "\n" ? "\\x0a" : "\\x09"));
}

// Fast paths: most text (addresses, ports, role names) needs no escaping, and
// one test is cheaper than a replace that finds nothing (a report has
// hundreds of thousands of cells).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const HTML_SPECIAL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069&<>"'`]/;
const XML_SPECIAL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\uFFFE\uFFFF&<>"']/;
const MARKDOWN_SPECIAL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\n\\`*_[\]!|<>~&]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const TERMINAL_SPECIAL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * The bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) as \u{NNNN}: in a
 * page, a Markdown view or a JUnit viewer they would reorder the evidence after them ("Trojan
 * Source", CVE-2021-42574), as on a terminal (`escapeTerminal`).
 */
function showBidi(s: string): string {
  return s.replace(/[\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

/** Drops C0 controls other than tab and line ends, DEL and the C1 controls (U+0080–U+009F: U+009B is CSI to a terminal). */
function stripControl(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, "");
}
