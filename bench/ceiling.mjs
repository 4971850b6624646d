// The machine's own ceiling for parallel JavaScript: `node bench/ceiling.mjs KIND`
// runs one unit of work twice in this thread, then once on each of two
// worker threads, and prints one JSON line {kind, serialMs, parallelMs}.
// Kinds: "cpu" (arithmetic only), "memory" (random reads and writes over a
// 64 MiB array), "alloc" (short-lived objects, as a flow table's reports make).
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

const UNITS = {
  cpu() {
    let x = 0;
    for (let i = 0; i < 2e8; i++) x = (x + i * 7) % 1000003;
    return x;
  },
  memory() {
    const n = 16 << 20;
    const a = new Uint32Array(n);
    let x = 1;
    let s = 0;
    for (let i = 0; i < 4e7; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      const k = x & (n - 1);
      a[k] += i;
      s += a[(k * 7) & (n - 1)];
    }
    return s;
  },
  alloc() {
    let keep = [];
    for (let i = 0; i < 2e6; i++) {
      keep.push({ a: i, b: [i, i + 1], c: `x${i & 1023}` });
      if (keep.length > 200000) keep = [];
    }
    return keep.length;
  },
};

if (isMainThread) {
  const kind = process.argv[2] ?? "cpu";
  const unit = UNITS[kind];
  let t = performance.now();
  unit();
  unit();
  const serialMs = performance.now() - t;
  t = performance.now();
  await Promise.all(
    [0, 1].map(
      () =>
        new Promise((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url), { workerData: kind });
          w.on("message", () => {
            void w.terminate();
            resolve();
          });
          w.on("error", reject);
        }),
    ),
  );
  const parallelMs = performance.now() - t;
  process.stdout.write(`${JSON.stringify({ kind, serialMs, parallelMs })}\n`);
} else {
  UNITS[workerData]();
  parentPort.postMessage(1);
}
