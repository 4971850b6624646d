/**
 * Loads a CommonJS bundle of dist/bundle/ as `require` would, but compiled with
 * V8's code cache when one lies beside it (FILE.cache, made by bin/code-cache.mjs
 * as part of the build): V8 then skips parsing and compiling the functions a run
 * needs, about 0.02 s of a small capture's 0.2 s (README.md, "Start-up").
 *
 * V8 checks a cache against the source, its own version and its flags, and
 * rejects one that does not match (`cache: "rejected"`); the bundle is then
 * compiled as usual, so a stale or foreign cache costs only the read. But a
 * release build of V8 does not checksum what it then deserializes: a damaged
 * cache crashes Node (SIGSEGV), and V8 knows the source only by its length, so
 * a cache of another build of the same length would run that build's code. So
 * the file carries the CRC-32 of its data and of the bundle it was made from
 * (`frame`), and one that fails either is never handed to V8 (`cache: "damaged"`
 * or `"stale"`). Node 22's module.enableCompileCache() does all this for every
 * module; Node 20 has only vm.Script's `cachedData`.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { Script } from "node:vm";
import { crc32 } from "node:zlib";

/**
 * The cache file: MAGIC; the CRC-32 of the bundle's source it was made from, and
 * the CRC-32 and the length of V8's data (32-bit little-endian each); the data.
 */
const MAGIC = Buffer.from("ocs-pcap code cache 2\n");
const HEAD = MAGIC.length + 12;

/** V8's cache data for `source`, in the file's framing. */
export function frame(data, source) {
  const head = Buffer.alloc(HEAD);
  MAGIC.copy(head);
  head.writeUInt32LE(crc32(source), MAGIC.length);
  head.writeUInt32LE(crc32(data), MAGIC.length + 4);
  head.writeUInt32LE(data.length, MAGIC.length + 8);
  return Buffer.concat([head, data]);
}

/** V8's cache data from a file's bytes, "damaged" when they are not a whole, intact file, "stale" when made from another source. */
function unframe(bytes, source) {
  if (bytes.length < HEAD || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return "damaged";
  const data = bytes.subarray(HEAD);
  if (data.length !== bytes.readUInt32LE(MAGIC.length + 8)) return "damaged";
  if (crc32(data) !== bytes.readUInt32LE(MAGIC.length + 4)) return "damaged";
  return crc32(source) === bytes.readUInt32LE(MAGIC.length) ? data : "stale";
}

/** A cache file larger than this is not one of ours (the CLI's is about 0.5 MB). */
const MAX_CACHE_BYTES = 64 << 20;

/**
 * The cache file's bytes, or null when there is none to use: missing or unreadable, or not a
 * regular file of a plausible size (a FIFO would block the start for ever, /dev/zero never end).
 * Opened without blocking, then checked by its descriptor, so what is checked is what is read.
 */
function readCache(path) {
  let fd;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    return st.isFile() && st.size <= MAX_CACHE_BYTES ? readFileSync(fd) : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** The parameters Node's CommonJS loader gives a module's code. */
const WRAP = ["(function (exports, require, module, __filename, __dirname) { ", "\n});"];

/** @returns {{ exports: Record<string, unknown>, cache: "accepted" | "rejected" | "damaged" | "stale" | "none", source: string, script: Script }} */
export function loadBundle(file, { useCache = true } = {}) {
  const source = readFileSync(file, "utf8");
  let cachedData;
  let refused = null;
  if (useCache) {
    const bytes = readCache(`${file}.cache`);
    const found = bytes === null ? null : unframe(bytes, source);
    if (typeof found === "string") refused = found;
    else if (found !== null) cachedData = found;
  }
  const script = new Script(WRAP[0] + source + WRAP[1], {
    filename: file,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const module = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  module.loaded = true;
  const cache =
    refused ?? (cachedData === undefined ? "none" : script.cachedDataRejected ? "rejected" : "accepted");
  return { exports: module.exports, cache, source, script };
}
