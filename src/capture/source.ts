/**
 * Where capture bytes come from: a file, standard input (`-`), either of
 * them gzip-compressed. The first bytes decide the reader (pcap, pcapng or
 * Network Monitor) and whether to decompress (gzip magic 1f 8b, RFC 1952
 * §2.3.1), never the file name. Files are opened read-only and never
 * modified. Network Monitor files are read at offsets (their frame table is
 * at the end), so only from a plain file.
 *
 * Plain files take a synchronous fast path that reads straight into the
 * reader's window; gzip and standard input go through Node streams and are
 * copied in chunk by chunk. Either way memory stays bounded by the window.
 */
import { closeSync, createReadStream, fstatSync, open, read, readSync } from "node:fs";
import type { Readable } from "node:stream";
import type { GzipFault } from "./gzip.js";
import { type NetmonProcess, NetmonReader, type RandomAccess } from "./netmon.js";
import { PcapReader, type PcapReaderOptions } from "./pcap.js";
import { PcapngReader } from "./pcapng.js";
import { sniff } from "./sniff.js";
import { CaptureError, type CaptureWarning, type FrameSink } from "./types.js";
import { describeMagic } from "./window.js";

/** The file could not be opened or read (exit 66), as opposed to being unreadable as a capture (65). */
export class InputError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = "InputError";
  }
}

export type CaptureReader = PcapReader | PcapngReader | NetmonReader;

export interface ReadOptions extends PcapReaderOptions {
  /** Standard input, for `-` (tests pass their own stream). */
  stdin?: Readable;
  /**
   * Told the reader, and whether the input was gzip-compressed, as soon as
   * they are known, so a caller still has them when reading stops with an
   * error after good packets.
   */
  onReader?: (reader: CaptureReader, compressed: boolean) => void;
  /** Told a Network Monitor 2.2+ file's process table, before its first frame. */
  onProcesses?: (processes: readonly NetmonProcess[]) => void;
  /** Told the bytes read so far and the file's size, after each read of a plain file. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /**
   * Called after each chunk is parsed; when it returns a promise, reading
   * waits for it (back-pressure from a consumer of what the frames produce,
   * such as output that streams as flows end).
   */
  pause?: () => Promise<void> | undefined;
}

export interface ReadResult {
  reader: CaptureReader;
  /** "pcap", "pcap-ns", "pcapng" or "netmon2", with ".gz" when it was compressed. */
  format: string;
}

function isGzip(head: Uint8Array): boolean {
  return sniff(head) === "gzip";
}

/** Picks the reader for a stream that starts with `head` (at least 4 bytes unless the stream is shorter). */
export function createReader(
  head: Uint8Array,
  sink: FrameSink,
  options: PcapReaderOptions = {},
): PcapReader | PcapngReader {
  if (head.length >= 4) {
    const kind = sniff(head);
    if (kind === "pcapng") return new PcapngReader(sink, options);
    if (kind === "pcap") return new PcapReader(sink, options);
    if (kind === "netmon") {
      throw new CaptureError(
        "a Network Monitor capture keeps its frame table at the end, so it is read only from a plain file, not from standard input, a pipe or gzip (save it to a file first, or convert it: editcap -F pcapng IN OUT)",
        0,
        false,
      );
    }
    throw new CaptureError(describeMagic(head), 0, false);
  }
  if (head.length === 0) throw new CaptureError("empty file: no capture header", 0, false);
  throw new CaptureError(`file is only ${head.length} bytes long, too short for a capture header`, 0, false);
}

/** Reads a whole capture through a reader chosen by its first bytes. */
export async function readCapture(
  input: string,
  sink: FrameSink,
  options: ReadOptions = {},
): Promise<ReadResult> {
  if (input === "-") return readStream(options.stdin ?? process.stdin, sink, options);
  let fd: number;
  try {
    // Opened on the thread pool: opening a FIFO waits for its writer, and
    // this thread must stay free to answer Ctrl-C meanwhile.
    fd = await new Promise<number>((resolve, reject) =>
      open(input, "r", (err, opened) => (err ? reject(err) : resolve(opened))),
    );
  } catch (err) {
    throw new InputError(`cannot open: ${describeFsError(err)}`, input);
  }
  let head = new Uint8Array(4);
  let size = 0;
  let regular = true;
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new InputError("is a directory, not a capture file", input);
    regular = st.isFile();
    size = st.size;
    if (regular) head = head.subarray(0, readAt(fd, head, 0, input));
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  if (!regular) {
    // A pipe, FIFO or device (/dev/stdin, <(zcat …), a named pipe tcpdump -w
    // writes to) cannot be read at an offset: it is read as a stream, which
    // takes over the descriptor and closes it.
    return readStream(createReadStream("", { fd, highWaterMark: 1 << 20 }), sink, options);
  }
  if (isGzip(head)) {
    closeSync(fd);
    return readStream(createReadStream(input, { highWaterMark: 1 << 20 }), sink, options, size);
  }
  if (sniff(head) === "netmon") {
    try {
      const reader = new NetmonReader();
      options.onReader?.(reader, false);
      await reader.read(randomAccess(fd, size, input), sink, options);
      return { reader, format: reader.format };
    } finally {
      closeSync(fd);
    }
  }
  // Double buffering: while the reader parses one chunk, the next is being
  // read on libuv's thread pool, so a file coming from disk costs the larger
  // of disk time and parse time rather than their sum. The copy into the
  // reader's window (push) is the price; a read is never left in flight when
  // the file is closed.
  const chunkA = Buffer.allocUnsafe(READ_CHUNK);
  const chunkB = Buffer.allocUnsafe(READ_CHUNK);
  let pending: Promise<number> | null = null;
  try {
    const reader = createReader(head, sink, options);
    options.onReader?.(reader, false);
    let position = 0;
    let [current, spare] = [chunkA, chunkB];
    pending = readAsync(fd, current, position, input);
    for (;;) {
      const n = await pending;
      pending = null;
      if (n === 0) break;
      position += n;
      pending = readAsync(fd, spare, position, input);
      reader.push(current.subarray(0, n));
      [current, spare] = [spare, current];
      options.onProgress?.(position, size);
      const wait = options.pause?.();
      if (wait !== undefined) await wait;
    }
    reader.finish();
    return { reader, format: reader.format };
  } finally {
    if (pending !== null) await pending.catch(() => 0);
    closeSync(fd);
  }
}

function randomAccess(fd: number, size: number, path: string): RandomAccess {
  return {
    size,
    read: (into, offset, length, position) => readInto(fd, into, offset, length, position, path),
  };
}

function readInto(
  fd: number,
  into: Uint8Array,
  offset: number,
  length: number,
  position: number,
  path: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, into, offset, length, position, (err, n) => {
      if (err) reject(new InputError(`read failed: ${describeFsError(err)}`, path));
      else resolve(n);
    });
  });
}

/** Bytes asked of the file per read. */
const READ_CHUNK = 1 << 20;

function readAsync(fd: number, into: Buffer, position: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, into, 0, into.length, position, (err, n) => {
      if (err) reject(new InputError(`read failed: ${describeFsError(err)}`, path));
      else resolve(n);
    });
  });
}

function readAt(fd: number, into: Uint8Array, position: number, path: string): number {
  try {
    return readSync(fd, into, 0, into.length, position);
  } catch (err) {
    throw new InputError(`read failed: ${describeFsError(err)}`, path);
  }
}

/**
 * Reads a stream, sniffing its first bytes; a gzip stream is decompressed as
 * it arrives and sniffed again inside.
 */
async function readStream(
  stream: AsyncIterable<Uint8Array>,
  sink: FrameSink,
  options: ReadOptions,
  /** The file's size when known, for progress; 0 otherwise. */
  size = 0,
): Promise<ReadResult> {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  let head: Uint8Array = new Uint8Array(0);
  let done = false;
  const next = async (): Promise<Uint8Array | null> => {
    const r = await chunks.next();
    if (r.done) return null;
    return r.value;
  };
  try {
    while (head.length < 4) {
      const chunk = await next();
      if (chunk === null) {
        done = true;
        break;
      }
      head = concat(head, chunk);
    }
    if (isGzip(head)) return await readGzip(head, next, done, sink, options, size);
    const reader = createReader(head, sink, options);
    options.onReader?.(reader, false);
    reader.push(head);
    const first = options.pause?.();
    if (first !== undefined) await first;
    if (!done)
      for (let chunk = await next(); chunk !== null; chunk = await next()) {
        reader.push(chunk);
        const wait = options.pause?.();
        if (wait !== undefined) await wait;
      }
    reader.finish();
    return { reader, format: reader.format };
  } catch (err) {
    if (err instanceof CaptureError || err instanceof InputError) throw err;
    const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
    // A module that did not load (gzip.ts's pako, gone from a broken installation) is not a read error.
    if (code === undefined || code === "MODULE_NOT_FOUND" || code === "ERR_MODULE_NOT_FOUND") throw err;
    throw new InputError(`read failed: ${describeFsError(err)}`, "-");
  } finally {
    await chunks.return?.();
  }
}

/**
 * Decompresses a gzip stream that starts with `head` as it arrives (see
 * gzip.ts) and reads the capture inside. Every packet decompressed before a
 * fault is reported; a fault that stops decompression is fatal only when no
 * packet came before it.
 */
async function readGzip(
  head: Uint8Array,
  next: () => Promise<Uint8Array | null>,
  done: boolean,
  sink: FrameSink,
  options: ReadOptions,
  size: number,
): Promise<ReadResult> {
  const { Gunzip } = await import("./gzip.js");
  const gz = new Gunzip(head, next, done);
  let reader: CaptureReader | null = null;
  let inner: Uint8Array = new Uint8Array(0);
  const chunks = gz.chunks();
  try {
    for (let r = await chunks.next(); !r.done; r = await chunks.next()) {
      const chunk = r.value;
      if (reader === null) {
        // Chunks are views of a reused buffer: the sniffed head must be a copy.
        inner = concat(inner, chunk.slice());
        if (inner.length < 4) continue;
        reader = createReader(inner, sink, options);
        options.onReader?.(reader, true);
        reader.push(inner);
      } else {
        reader.push(chunk);
      }
      options.onProgress?.(gz.compressedRead, size);
      const wait = options.pause?.();
      if (wait !== undefined) await wait;
    }
  } catch (err) {
    // The reader stopped on bytes it cannot parse. When the gzip data is
    // corrupt, those bytes are its garbage: finish decompressing (output
    // unused) so the warning can name the compressed offset too.
    if (err instanceof CaptureError && err.afterPackets && reader !== null) {
      for (let r = await chunks.next(); !r.done; r = await chunks.next()) {}
      for (const f of gz.faults) reader.warnings.push(gzipWarning(f, reader.frames));
    }
    throw err;
  }
  const stop = gz.faults.find((f) => f.stopped);
  if (stop !== undefined && (reader === null || reader.frames === 0)) {
    throw new CaptureError(
      `${stop.message}, after ${stop.decompressedOffset} decompressed bytes, before any packet`,
      stop.compressedOffset,
      false,
    );
  }
  if (reader === null) reader = createReader(inner, sink, options);
  for (const f of gz.faults) reader.warnings.push(gzipWarning(f, reader.frames));
  reader.finish();
  return { reader, format: `${reader.format}.gz` };
}

function gzipWarning(f: GzipFault, frames: number): CaptureWarning {
  return {
    code: f.code,
    offset: f.compressedOffset,
    message: f.stopped
      ? `${f.message}, after ${f.decompressedOffset} decompressed bytes; the ${frames} complete packets before it were read`
      : f.message,
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function describeFsError(err: unknown): string {
  if (err instanceof Error && "code" in err) {
    const code = String((err as NodeJS.ErrnoException).code);
    if (code === "ENOENT") return "no such file";
    if (code === "EACCES" || code === "EPERM") return "permission denied";
    if (code === "EISDIR") return "is a directory, not a capture file";
    // Node's messages usually start with the code already ("EIO: i/o error, read").
    return err.message.startsWith(`${code}:`) ? err.message : `${code}: ${err.message}`;
  }
  return String(err);
}
