/**
 * Generates a synthetic OCS capture for benchmarks (never committed):
 * `tsx bench/gen.ts OUT.pcap [flows] [packetsPerFlow]`.
 *
 * Flows are interleaved in blocks of 2,000 so that many are active at once,
 * as on a busy pool. The mix: SIP/TLS on 5061 (answered), STUN on 3478/udp,
 * RTP to the Mediation range, unanswered SYNs to 5062, and unknown TCP 8080.
 * Packets are built once per kind and patched per flow (addresses, ports,
 * sequence numbers); checksums are not recomputed, which no stage checks.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { ip, rtp, stunBinding, tcpHeader, udpDatagram } from "../fixtures/lib/packets.js";

const BLOCK = 2000;

interface Template {
  data: Uint8Array;
  fromClient: boolean;
}

function tcpTemplates(dport: number, answered: boolean, perFlow: number): Template[] {
  const seg = (flags: string, fromClient: boolean, payload = 0): Template => ({
    data: ip(
      fromClient ? "10.1.0.1" : "10.0.0.10",
      fromClient ? "10.0.0.10" : "10.1.0.1",
      6,
      tcpHeader({
        sport: fromClient ? 40000 : dport,
        dport: fromClient ? dport : 40000,
        seq: 1,
        ack: 1,
        flags,
        payload: new Uint8Array(payload).fill(0x17),
      }),
    ),
    fromClient,
  });
  if (!answered) return Array.from({ length: perFlow }, () => seg("S", true));
  const out = [seg("S", true), seg("SA", false), seg("A", true)];
  while (out.length < perFlow - 2) out.push(seg("PA", out.length % 2 === 1, 120 + (out.length % 5) * 40));
  out.push(seg("FA", true), seg("FA", false));
  return out.slice(0, perFlow);
}

function udpTemplates(dport: number, payload: (i: number) => Uint8Array, perFlow: number): Template[] {
  return Array.from({ length: perFlow }, (_, i) => {
    const fromClient = i % 2 === 0;
    return {
      data: ip(
        fromClient ? "10.1.0.1" : "10.0.0.20",
        fromClient ? "10.0.0.20" : "10.1.0.1",
        17,
        udpDatagram(fromClient ? 40000 : dport, fromClient ? dport : 40000, payload(i)),
      ),
      fromClient,
    };
  });
}

export function generate(path: string, flows: number, perFlow: number): { packets: number; bytes: number } {
  const kinds: { templates: Template[]; dport: (i: number) => number }[] = [
    { templates: tcpTemplates(5061, true, perFlow), dport: () => 5061 },
    { templates: udpTemplates(3478, (i) => stunBinding(i % 2 === 1, i), perFlow), dport: () => 3478 },
    { templates: udpTemplates(60000, (i) => rtp(i, i * 160, 7), perFlow), dport: (i) => 60000 + (i % 4000) },
    { templates: tcpTemplates(5062, false, perFlow), dport: () => 5062 },
    { templates: tcpTemplates(8080, true, perFlow), dport: () => 8080 },
  ];
  const fd = openSync(path, "w");
  const out = Buffer.alloc(8 << 20);
  let used = 0;
  const flush = () => {
    writeSync(fd, out, 0, used);
    used = 0;
  };
  out.writeUInt32LE(0xa1b2c3d4, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeUInt32LE(262144, 16);
  out.writeUInt32LE(1, 20);
  used = 24;
  let ts = 1_715_677_200_000_000;
  let packets = 0;
  let bytes = 24;
  for (let base = 0; base < flows; base += BLOCK) {
    const end = Math.min(flows, base + BLOCK);
    for (let k = 0; k < perFlow; k++) {
      for (let i = base; i < end; i++) {
        const kind = kinds[i % kinds.length]!;
        const t = kind.templates[k]!;
        const len = t.data.length;
        if (used + 16 + len > out.length) flush();
        out.writeUInt32LE(Math.floor(ts / 1e6), used);
        out.writeUInt32LE(ts % 1e6, used + 4);
        out.writeUInt32LE(len, used + 8);
        out.writeUInt32LE(len, used + 12);
        const at = used + 16;
        out.set(t.data, at);
        // Client address 10.1.x.y and port from the flow number; the server port per kind.
        const clientIp = at + (t.fromClient ? 26 : 30);
        out[clientIp + 2] = (i >>> 8) & 0xff;
        out[clientIp + 3] = i & 0xff;
        out[clientIp + 1] = 1 + (i >>> 16);
        const l4 = at + 34;
        const cport = 20000 + (i % 40000);
        const sport = kind.dport(i);
        out.writeUInt16BE(t.fromClient ? cport : sport, l4);
        out.writeUInt16BE(t.fromClient ? sport : cport, l4 + 2);
        used += 16 + len;
        bytes += 16 + len;
        packets++;
        ts += 7;
      }
    }
  }
  flush();
  closeSync(fd);
  return { packets, bytes };
}

if (process.argv[1]?.endsWith("gen.ts")) {
  const [out, flows = "100000", perFlow = "10"] = process.argv.slice(2);
  if (!out) {
    process.stderr.write("usage: tsx bench/gen.ts OUT.pcap [flows] [packetsPerFlow]\n");
    process.exit(2);
  }
  const r = generate(out, Number(flows), Number(perFlow));
  process.stdout.write(`${out}: ${r.packets} packets, ${r.bytes} bytes\n`);
}
