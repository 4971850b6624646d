/**
 * Text for addresses and times, the one place they are formatted: IPv4
 * dotted decimal, IPv6 in RFC 5952 form (via ip-address), timestamps as ISO
 * 8601 UTC with microseconds. Used by classify (evidence), report (the
 * model) and redaction. Never called per packet.
 */
import { Address6 } from "ip-address";

/** Decimal text of 0–255, and the same followed by a dot. */
const OCTET = Array.from({ length: 256 }, (_, i) => String(i));
const OCTET_DOT = OCTET.map((o) => `${o}.`);

/** An IPv4 address (a 32-bit number) as dotted decimal: three joins, each a string made, where seven were. */
export function ipv4Text(v: number): string {
  return OCTET_DOT[v >>> 24]! + OCTET_DOT[(v >>> 16) & 255]! + OCTET_DOT[(v >>> 8) & 255]! + OCTET[v & 255]!;
}

/** An address from its four 32-bit words (IPv4 in the last), as text: dotted IPv4 or RFC 5952 IPv6. */
export function wordsText(family: number, w: readonly number[]): string {
  if (family === 4) return ipv4Text(w[3]! >>> 0);
  return new Address6(
    w.map((x) => `${((x >>> 16) & 0xffff).toString(16)}:${(x & 0xffff).toString(16)}`).join(":"),
  ).correctForm();
}

/** The ISO text of the last two whole seconds formatted: a flow's first and last packets alternate. */
const isoSeconds = [Number.NaN, Number.NaN];
const isoPrefixes = ["", ""];
let isoNext = 0;

/** The inverse of isoMicros: ISO 8601 UTC (any fraction up to microseconds) to microseconds since the epoch. */
export function isoToMicros(iso: string): number {
  const ms = Date.parse(`${iso.slice(0, 19)}Z`);
  const frac = /\.(\d{1,6})/.exec(iso)?.[1] ?? "0";
  return ms * 1000 + Number(frac.padEnd(6, "0"));
}

/** ISO 8601 UTC with microseconds: 2024-05-01T12:00:00.123456Z. */
export function isoMicros(micros: number): string {
  const second = Math.floor(micros / 1_000_000);
  let prefix: string;
  if (second === isoSeconds[0]) prefix = isoPrefixes[0]!;
  else if (second === isoSeconds[1]) prefix = isoPrefixes[1]!;
  else {
    // Flows are rendered in time order, so calls mostly share one of two seconds.
    prefix = new Date(second * 1000).toISOString().slice(0, 19);
    isoSeconds[isoNext] = second;
    isoPrefixes[isoNext] = prefix;
    isoNext ^= 1;
  }
  const us = Math.floor(micros) - second * 1_000_000;
  return `${prefix}.${String(us).padStart(6, "0")}Z`;
}

/** Seconds since the epoch (or a duration) with six decimals, from microseconds: how Zeek writes `time` and `interval`. */
export function secondsText(micros: number): string {
  const whole = Math.floor(micros / 1e6);
  return `${whole}.${String(micros - whole * 1e6).padStart(6, "0")}`;
}

/** A time as text, from microseconds since the epoch. */
export type TimeText = (micros: number) => string;

/**
 * Times as ISO 8601 in a time zone, for the human formats' `--tz`: "UTC"
 * gives isoMicros's Z form; an IANA zone (Europe/Berlin) gives local time
 * with its offset at that instant, "2024-05-14T11:00:00.000000+02:00".
 * Throws RangeError for a zone Intl does not know.
 */
export function zonedTime(zone: string): TimeText {
  if (zone === "UTC") return isoMicros;
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZoneName: "longOffset",
  });
  return (micros) => {
    const second = Math.floor(micros / 1_000_000);
    const p: Record<string, string> = {};
    for (const part of parts.formatToParts(new Date(second * 1000))) p[part.type] = part.value;
    const name = p.timeZoneName ?? "GMT";
    const offset = name === "GMT" ? "+00:00" : name.slice(3);
    const us = String(Math.floor(micros) - second * 1_000_000).padStart(6, "0");
    return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}.${us}${offset}`;
  };
}
