/**
 * What the process's surroundings say: the tool's version (package.json, or
 * the standalone executable's bundled value) and whether to colour the
 * table report.
 */
import { readFileSync } from "node:fs";

/** Set by the standalone executable's bundler (there is no package.json beside it). */
declare const OCS_PCAP_VERSION: string | undefined;

export function toolVersion(): string {
  if (typeof OCS_PCAP_VERSION === "string") return OCS_PCAP_VERSION;
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

/**
 * Colour for the table report on standard output: NO_COLOR (no-color.org)
 * turns it off whatever else is set; FORCE_COLOR turns it on even into a
 * pipe, except FORCE_COLOR=0 or =false (as chalk and Node read it); otherwise
 * only a terminal that is not TERM=dumb gets colour.
 */
export function wantColor(env: NodeJS.ProcessEnv, isTty: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force !== "false";
  return isTty && env.TERM !== "dumb";
}
