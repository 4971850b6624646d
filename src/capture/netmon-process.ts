/**
 * The process table of a Network Monitor 2.2+ file (as Wireshark's
 * wiretap/netmon.c reads it): a u16 version, then per process a u32 path
 * size, the UTF-16LE path, a u32 icon size and the icon, the u32 PID, the
 * local and remote ports with padding, an IPv6 flag and two 16-byte
 * addresses. A table that does not parse is a warning, and flows then carry
 * no process.
 */
import type { RandomAccess } from "./netmon.js";
import type { CaptureWarning } from "./types.js";

/** Wireshark refuses larger process tables (wiretap/netmon.c); so does this reader. */
export const MAX_PROCESSES = 524_288;
const MAX_PROCESS_PATH = 65_536;

export interface NetmonProcess {
  /** The executable's file name (the path's last part). */
  name: string;
  path: string;
  pid: number;
}

export async function readProcesses(
  file: RandomAccess,
  offset: number,
  count: number,
  warnings: CaptureWarning[],
): Promise<NetmonProcess[]> {
  const out: NetmonProcess[] = [];
  const fail = (at: number, why: string): NetmonProcess[] => {
    warnings.push({
      code: "netmon_process_table",
      offset: Math.min(at, file.size),
      message: `the process table at offset ${offset} cannot be read (${why} at offset ${at}); flows show no process`,
    });
    return [];
  };
  if (count > MAX_PROCESSES) return fail(offset, `${count} entries, over ${MAX_PROCESSES}`);
  const cursor = new Cursor(file);
  const utf16 = new TextDecoder("utf-16le");
  let at = offset + 2;
  for (let i = 0; i < count; i++) {
    const pathSize = await cursor.u32(at);
    if (pathSize === null) return fail(at, "the file ends");
    if (pathSize > MAX_PROCESS_PATH) return fail(at, `a path of ${pathSize} bytes`);
    const path = await cursor.bytes(at + 4, pathSize);
    if (path === null) return fail(at + 4, "the file ends");
    const text = utf16.decode(path).replace(/\0+$/, "");
    const iconAt = at + 4 + pathSize;
    const iconSize = await cursor.u32(iconAt);
    if (iconSize === null) return fail(iconAt, "the file ends");
    const pidAt = iconAt + 4 + iconSize;
    const pid = await cursor.u32(pidAt);
    if (pid === null) return fail(pidAt, "the file ends");
    out.push({ name: text.split(/[\\/]/).pop() || text, path: text, pid });
    at = pidAt + 48; // PID, two ports with padding, the IPv6 flag and two 16-byte addresses
  }
  return out;
}

/** Small reads at increasing offsets, served from one 64 KiB buffer (the process table's entries are tens of bytes). */
class Cursor {
  private readonly buf = new Uint8Array(1 << 16);
  private readonly view = new DataView(this.buf.buffer);
  private start = 0;
  private length = 0;

  constructor(private readonly file: RandomAccess) {}

  /** Makes [at, at + n) readable; false when the file ends first. */
  private async fill(at: number, n: number): Promise<boolean> {
    if (at >= this.start && at + n <= this.start + this.length) return true;
    if (n > this.buf.length) return false;
    this.start = at;
    this.length = await this.file.read(this.buf, 0, this.buf.length, at);
    return this.length >= n;
  }

  async u32(at: number): Promise<number | null> {
    return (await this.fill(at, 4)) ? this.view.getUint32(at - this.start, true) : null;
  }

  /** A copy of n bytes at `at` (a path up to 64 KiB). */
  async bytes(at: number, n: number): Promise<Uint8Array | null> {
    return (await this.fill(at, n)) ? this.buf.slice(at - this.start, at - this.start + n) : null;
  }
}
