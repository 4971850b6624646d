// One measurement in a fresh process: `node bench/measure.mjs MODE FILE`.
// Prints one JSON line: {mode, ms, packets, maxRssMB}. Modes:
//   loop         the minimal record-walking loop: fixed-size reads, walk the
//                16-byte record headers, count packets (the JavaScript floor)
//   loop-ng      the same for pcapng: walk block headers, count packet blocks
//   loop-map     the loop plus the least a flow tool does: Ethernet/IPv4/IPv6 and
//                TCP/UDP ports read, a direction-free 5-tuple string key, and a
//                Map from it to {packets, bytes, first, last}; prints the flow count
//   pcap-parser  pcap-parser@0.2.1 over a read stream, counting packets
//   ocs-pcap     the real CLI in-process: `analyze FILE --format json`, output discarded
//                (ocs-pcap-table, ocs-pcap-ndjson: the table and ndjson formats)
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { Writable } from "node:stream";

const [mode, file] = process.argv.slice(2);
// "ocs-pcap-table": the default table report instead of JSON; "ocs-pcap-ndjson": streamed ndjson.
const format = mode === "ocs-pcap-table" ? "table" : mode === "ocs-pcap-ndjson" ? "ndjson" : "json";

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

function loopMap() {
  const fd = openSync(file, "r");
  const buf = Buffer.alloc((1 << 20) + 262144 + 16);
  const flows = new Map();
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
      const ts = buf.readUInt32LE(start) * 1e6 + buf.readUInt32LE(start + 4);
      const p = start + 16;
      start += 16 + incl;
      packets++;
      if (incl < 34) continue;
      const type = buf.readUInt16BE(p + 12);
      let a;
      let b;
      let proto;
      let l4;
      if (type === 0x0800) {
        a = buf.readUInt32BE(p + 26);
        b = buf.readUInt32BE(p + 30);
        proto = buf[p + 23];
        l4 = p + 14 + (buf[p + 14] & 15) * 4;
      } else if (type === 0x86dd && incl >= 54) {
        a = buf.toString("hex", p + 22, p + 38);
        b = buf.toString("hex", p + 38, p + 54);
        proto = buf[p + 20];
        l4 = p + 54;
      } else continue;
      let sp = 0;
      let dp = 0;
      if ((proto === 6 || proto === 17) && l4 + 4 <= p + incl) {
        sp = buf.readUInt16BE(l4);
        dp = buf.readUInt16BE(l4 + 2);
      }
      const key =
        a < b || (a === b && sp <= dp) ? `${proto} ${a} ${sp} ${b} ${dp}` : `${proto} ${b} ${dp} ${a} ${sp}`;
      const f = flows.get(key);
      if (f === undefined) flows.set(key, { packets: 1, bytes: incl, first: ts, last: ts });
      else {
        f.packets++;
        f.bytes += incl;
        f.last = ts;
      }
    }
  }
  closeSync(fd);
  return { packets, flows: flows.size };
}

function loopNg() {
  const fd = openSync(file, "r");
  const buf = Buffer.alloc((1 << 20) + 262144 + 64);
  let start = 0;
  let end = 0;
  let packets = 0;
  for (;;) {
    if (start > 0) {
      buf.copy(buf, 0, start, end);
      end -= start;
      start = 0;
    }
    const n = readSync(fd, buf, end, buf.length - end, null);
    if (n === 0) break;
    end += n;
    while (end - start >= 12) {
      const len = buf.readUInt32LE(start + 4);
      if (end - start < len) break;
      if (buf.readUInt32LE(start) === 6) packets++;
      start += len;
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
  // OCS_PCAP_DIST: another build's dist/ (bench/run.ts --baseline), measured side by side.
  const dist = process.env.OCS_PCAP_DIST ?? new URL("../dist", import.meta.url).pathname;
  const { run } = await import(`${dist}/cli/main.js`);
  const sink = new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });
  let stderr = "";
  const code = await run(["analyze", file, "--format", format], {
    stdout: sink,
    stderr: (s) => (stderr += s),
  });
  if (code !== 0) throw new Error(`ocs-pcap exited ${code}: ${stderr}`);
  return null;
}

const t0 = process.hrtime.bigint();
const packets =
  mode === "loop"
    ? loop()
    : mode === "loop-map"
      ? loopMap()
      : mode === "loop-ng"
        ? loopNg()
        : mode === "pcap-parser"
          ? await pcapParser()
          : await ocsPcap();
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
// Peak RSS of this process's own address space. (getrusage's ru_maxrss is kept
// across execve, so a child would report its parent's peak if that was higher.)
function peakRssMB() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}
const maxRssMB = peakRssMB();
process.stdout.write(`${JSON.stringify({ mode, ms, packets, maxRssMB })}\n`);
