/**
 * How many captures a batch analyses at once when `--jobs` is not given.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { sniff } from "../capture/sniff.js";

/** Below this many bytes of captures in all, a batch without `--jobs` runs in this thread alone. */
export const AUTO_JOBS_MIN_BYTES = 64 << 20;

/**
 * `--jobs` when it is not given: the CPU count, but 1 for a batch whose
 * captures total under AUTO_JOBS_MIN_BYTES. Such a batch takes about a second
 * in one thread, and a worker's start (about 130 ms before its first packet)
 * and its warm-up (a thread's first captures run 2-3x slower while its JIT
 * compiles) cost more than it would save (bench/README.md, "Batch runs").
 *
 * A gzip-compressed capture counts what its last member's trailer says it
 * expands to (ISIZE, RFC 1952 §2.3.1: the size mod 2^32), when that is more
 * than its size. Standard input counts nothing (only a single capture reads
 * it); a pipe or device, whose size is unknown, counts as large. A file that
 * cannot be read counts nothing: it fails the same either way. With
 * OCS_PCAP_WORKER_HEAP_MB set, the caller asked for workers' heap limits,
 * so the batch gets its workers whatever its size.
 */
export function defaultJobs(paths: readonly string[], cpus: number): number {
  if (Number(process.env.OCS_PCAP_WORKER_HEAP_MB ?? "") > 0) return cpus;
  let bytes = 0;
  for (const p of paths) {
    if (p === "-") continue;
    bytes += expandedSize(p);
    if (bytes >= AUTO_JOBS_MIN_BYTES) return cpus;
  }
  return 1;
}

/** The bytes a capture file holds once decompressed, as far as can be told cheaply; Infinity for a pipe or device. */
function expandedSize(path: string): number {
  let size: number;
  try {
    // Not opened first: opening a FIFO waits for its writer.
    const st = statSync(path);
    if (!st.isFile()) return Number.POSITIVE_INFINITY;
    size = st.size;
  } catch {
    return 0;
  }
  if (size < 18) return size;
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return 0;
  }
  try {
    const head = new Uint8Array(4);
    if (readSync(fd, head, 0, 4, 0) < 4 || sniff(head) !== "gzip") return size;
    const trailer = new Uint8Array(4);
    readSync(fd, trailer, 0, 4, size - 4);
    const isize = (trailer[0]! | (trailer[1]! << 8) | (trailer[2]! << 16) | (trailer[3]! << 24)) >>> 0;
    return Math.max(size, isize);
  } catch {
    return 0;
  } finally {
    closeSync(fd);
  }
}
