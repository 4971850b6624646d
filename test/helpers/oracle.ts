/**
 * Other tools' answers (tshark's dissection), recorded once and replayed, as a
 * test's expected values: `npm test` compares against the recordings in
 * test/oracles/ without starting tshark (half a second of start-up each), and
 * the system suite (`npm run test:system`, run by CI) asks the tool again and
 * fails when its answer differs from the recording or none was recorded.
 *
 * A recording is found by the tool, its arguments, and the contents of every
 * argument that names a file (its SHA-256), so a changed fixture or builder
 * is a missing recording, never a stale one replayed. OCS_PCAP_ORACLES says
 * what to do:
 * - unset: replay; with no recording, run the tool if it is on PATH, else fail;
 * - `record` (`npm run oracles`): run the tool and write its answer;
 * - `check`: run the tool and require the recording to hold its answer.
 */
import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { onPath } from "./tools.js";

const ROOT = join(import.meta.dirname, "..", "..");
export const ORACLES = join(ROOT, "test", "oracles");

type Mode = "replay" | "record" | "check";
const mode: Mode = ((m) => (m === "record" || m === "check" ? m : "replay"))(process.env.OCS_PCAP_ORACLES);

/** What a tool printed on standard output and how it exited (a signal counts as -1). */
export interface ToolAnswer {
  stdout: string;
  status: number;
}

interface Recording extends ToolAnswer {
  /** The command as run, with files inside the repository relative to it and others by base name. */
  command: string;
}

interface Call {
  tool: string;
  file: string;
  command: string;
}

function call(tool: string, args: readonly string[]): Call {
  const key = createHash("sha256");
  key.update(tool);
  const shown: string[] = [tool];
  for (const arg of args) {
    const contents = fileContents(arg);
    if (contents === null) {
      key.update(`\0arg\0${arg}`);
      shown.push(arg);
    } else {
      key.update(`\0file\0${createHash("sha256").update(contents).digest("hex")}`);
      shown.push(arg.startsWith(ROOT) ? relative(ROOT, arg) : `<tmp>/${basename(arg)}`);
    }
  }
  const name = `${tool}-${key.digest("hex").slice(0, 20)}.json`;
  return { tool, file: join(ORACLES, name), command: shown.map(quote).join(" ") };
}

function fileContents(arg: string): Buffer | null {
  try {
    return statSync(arg).isFile() ? readFileSync(arg) : null;
  } catch {
    return null;
  }
}

const quote = (s: string) => (/^[\w./<>=:,-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);

function recorded(c: Call): Recording | null {
  try {
    return JSON.parse(readFileSync(c.file, "utf8")) as Recording;
  } catch {
    return null;
  }
}

/** Settles a live answer by the mode: written in `record`, compared in `check`. */
function settle(c: Call, live: ToolAnswer): ToolAnswer {
  if (mode === "record") {
    mkdirSync(ORACLES, { recursive: true });
    const tmp = `${c.file}.${process.pid}.tmp`;
    const rec: Recording = { command: c.command, status: live.status, stdout: live.stdout };
    writeFileSync(tmp, `${JSON.stringify(rec, null, 1)}\n`);
    renameSync(tmp, c.file);
  } else if (mode === "check") {
    const rec = recorded(c);
    if (rec === null) throw new Error(`no recorded answer for \`${c.command}\`: run \`npm run oracles\``);
    if (rec.status !== live.status || rec.stdout !== live.stdout)
      throw new Error(
        `${c.tool} now answers \`${c.command}\` otherwise than ${relative(ROOT, c.file)} recorded ` +
          `(exit ${live.status} against ${rec.status}; ${live.stdout.length} characters against ` +
          `${rec.stdout.length}): check why, then run \`npm run oracles\``,
      );
  }
  return live;
}

/** The recording to replay, or null when the tool must run. Throws when it cannot. */
function replay(c: Call): ToolAnswer | null {
  if (mode !== "replay") return null;
  const rec = recorded(c);
  if (rec !== null) return { stdout: rec.stdout, status: rec.status };
  if (onPath(c.tool)) return null;
  throw new Error(
    `no recorded answer for \`${c.command}\` and no ${c.tool} on PATH: run \`npm run oracles\``,
  );
}

const OPTIONS = { encoding: "utf8", maxBuffer: 1 << 26 } as const;

/** `tool args…`'s answer, replayed or run (see the file's comment). */
export function askSync(tool: string, args: readonly string[], env?: NodeJS.ProcessEnv): ToolAnswer {
  const c = call(tool, args);
  const answer = replay(c);
  if (answer !== null) return answer;
  const r = spawnSync(tool, args, { ...OPTIONS, ...(env === undefined ? {} : { env }) });
  if (r.error !== undefined) throw r.error;
  return settle(c, { stdout: r.stdout, status: r.status ?? -1 });
}

/** `askSync` without blocking: several tools can run side by side. */
export function ask(tool: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<ToolAnswer> {
  const c = call(tool, args);
  const answer = replay(c);
  if (answer !== null) return Promise.resolve(answer);
  return new Promise((resolve, reject) =>
    execFile(tool, args, { ...OPTIONS, ...(env === undefined ? {} : { env }) }, (err, stdout) => {
      if (err !== null && typeof err.code !== "number") return reject(err);
      try {
        resolve(settle(c, { stdout, status: err === null ? 0 : (err.code as number) }));
      } catch (e) {
        reject(e);
      }
    }),
  );
}
