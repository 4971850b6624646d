// One measurement in a fresh process: `node bench/measure.mjs MODE FILE`.
// Prints one JSON line: {mode, ms, packets, maxRssMB}. Modes:
//   loop         the minimal record-walking loop: fixed-size reads, walk the
//                16-byte record headers, count packets (the JavaScript floor)
//   pcap-parser  pcap-parser@0.2.1 over a read stream, counting packets
//   ocs-pcap     the real CLI in-process: `analyze FILE --format json`, output discarded
import { closeSync, openSync, readSync } from "node:fs";
import { Writable } from "node:stream";

const [mode, file] = process.argv.slice(2);

function loop() {
  const fd = openSync(file, "r");
  const buf = Buffer.alloc((1 << 20) + 262144 + 16);
  let start = 0;
  let end = 0;
  let packets = 0;
  let header = true;
  for (;;) {
    if (start > 0) {
      buf.copy(buf, 0, start, end);
      end -= start;
      start = 0;
    }
    const n = readSync(fd, buf, end, buf.length - end, null);
    if (n === 0) break;
    end += n;
    if (header) {
      start = 24;
      header = false;
    }
    while (end - start >= 16) {
      const incl = buf.readUInt32LE(start + 8);
      if (end - start - 16 < incl) break;
      start += 16 + incl;
      packets++;
    }
  }
  closeSync(fd);
  return packets;
}

async function pcapParser() {
  const { default: pcap } = await import("pcap-parser");
  return new Promise((resolve, reject) => {
    let packets = 0;
    const p = pcap.parse(file);
    p.on("packet", () => packets++);
    p.on("error", reject);
    p.on("end", () => resolve(packets));
  });
}

async function ocsPcap() {
  const { run } = await import("../dist/cli/main.js");
  const sink = new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });
  let stderr = "";
  const code = await run(["analyze", file, "--format", "json"], {
    stdout: sink,
    stderr: (s) => (stderr += s),
  });
  if (code !== 0) throw new Error(`ocs-pcap exited ${code}: ${stderr}`);
  return null;
}

const t0 = process.hrtime.bigint();
const packets = mode === "loop" ? loop() : mode === "pcap-parser" ? await pcapParser() : await ocsPcap();
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const maxRssMB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ mode, ms, packets, maxRssMB })}\n`);
