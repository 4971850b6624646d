/**
 * Generates a synthetic OCS capture for benchmarks (never committed):
 * `tsx bench/gen.ts OUT.pcap [flows] [packetsPerFlow]`.
 *
 * Flows are interleaved in blocks of 2,000 so that many are active at once,
 * as on a busy pool. The mix: TLS sessions on 5061 (handshake, then data), STUN on 3478/udp,
 * RTP to the Mediation range, unanswered SYNs to 5062, and unknown TCP 8080.
 * Packets are built once per kind and patched per flow (addresses, ports,
 * sequence numbers); checksums are not recomputed, which no stage checks.
 */
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import {
  ip,
  rtp,
  stunBinding,
  tcpHeader,
  tlsClientHello,
  tlsServerHello,
  udpDatagram,
} from "../fixtures/lib/packets.js";

const BLOCK = 2000;

interface Template {
  data: Uint8Array;
  fromClient: boolean;
}

/**
 * One TCP conversation's packets. With `tls`, the payloads are a TLS 1.2
 * session: ClientHello, ServerHello and ChangeCipherSpec, the client's
 * ChangeCipherSpec, then application data records; sequence numbers advance
 * from each side's SYN, so the handshake is reassembled and read as on a
 * real network, and released once it completes.
 */
function tcpTemplates(dport: number, answered: boolean, perFlow: number, tls = false): Template[] {
  const next = { client: 1, server: 1 };
  const seg = (flags: string, fromClient: boolean, payload: Uint8Array = new Uint8Array(0)): Template => {
    const side = fromClient ? "client" : "server";
    const seq = flags.includes("S") ? 0 : next[side];
    next[side] = seq + payload.length + (flags.includes("S") || flags.includes("F") ? 1 : 0);
    return {
      data: ip(
        fromClient ? "10.1.0.1" : "10.0.0.10",
        fromClient ? "10.0.0.10" : "10.1.0.1",
        6,
        tcpHeader({
          sport: fromClient ? 40000 : dport,
          dport: fromClient ? dport : 40000,
          seq,
          ack: flags.includes("A") ? next[fromClient ? "server" : "client"] : 0,
          flags,
          payload,
        }),
      ),
      fromClient,
    };
  };
  const record = (type: number, length: number) =>
    Uint8Array.from([type, 3, 3, length >> 8, length & 0xff, ...new Array<number>(length).fill(0x17)]);
  const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
  if (!answered) return Array.from({ length: perFlow }, () => seg("S", true));
  const out = [seg("S", true), seg("SA", false), seg("A", true)];
  let sent = 0;
  while (out.length < perFlow - 2) {
    const fromClient = out.length % 2 === 1;
    const size = 120 + (out.length % 5) * 40;
    let payload: Uint8Array = new Uint8Array(size).fill(0x17);
    if (tls && sent === 0) payload = tlsClientHello("pool.contoso.test");
    else if (tls && sent === 1) payload = concat(tlsServerHello(), record(20, 1));
    else if (tls && sent === 2) payload = concat(record(20, 1), record(23, size));
    else if (tls) payload = record(23, size);
    out.push(seg("PA", fromClient, payload));
    sent++;
  }
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

/**
 * `mix`: "even" gives each of the five kinds a fifth of the flows; "media"
 * (the race benchmark's realistic OCS mix) gives RTP to the Mediation range
 * five ninths, and one ninth each to SIP/TLS, STUN, unanswered SYNs and
 * unknown TCP.
 */
export function generate(
  path: string,
  flows: number,
  perFlow: number,
  mix: "even" | "media" = "even",
): { packets: number; bytes: number } {
  const media = {
    templates: udpTemplates(60000, (i) => rtp(i, i * 160, 7), perFlow),
    dport: (i: number) => 60000 + (i % 4000),
  };
  const kinds: { templates: Template[]; dport: (i: number) => number }[] = [
    { templates: tcpTemplates(5061, true, perFlow, true), dport: () => 5061 },
    { templates: udpTemplates(3478, (i) => stunBinding(i % 2 === 1, i), perFlow), dport: () => 3478 },
    media,
    { templates: tcpTemplates(5062, false, perFlow), dport: () => 5062 },
    { templates: tcpTemplates(8080, true, perFlow), dport: () => 8080 },
  ];
  if (mix === "media") kinds.push(media, media, media, media);
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

/**
 * Rewrites a little-endian microsecond pcap as pcapng (one SHB, one Ethernet
 * IDB, one Enhanced Packet Block per record), streaming.
 */
export function pcapToPcapng(pcapPath: string, outPath: string): void {
  const input = readFileSync(pcapPath);
  const fd = openSync(outPath, "w");
  const out = Buffer.alloc(8 << 20);
  let used = 0;
  const flush = () => {
    writeSync(fd, out, 0, used);
    used = 0;
  };
  // SHB: type, length 28, byte-order magic, version 1.0, section length -1, length.
  out.writeUInt32LE(0x0a0d0d0a, 0);
  out.writeUInt32LE(28, 4);
  out.writeUInt32LE(0x1a2b3c4d, 8);
  out.writeUInt16LE(1, 12);
  out.writeUInt16LE(0, 14);
  out.writeBigInt64LE(-1n, 16);
  out.writeUInt32LE(28, 24);
  // IDB: Ethernet, snaplen 262144, no options.
  out.writeUInt32LE(1, 28);
  out.writeUInt32LE(20, 32);
  out.writeUInt16LE(1, 36);
  out.writeUInt16LE(0, 38);
  out.writeUInt32LE(262144, 40);
  out.writeUInt32LE(20, 44);
  used = 48;
  for (let at = 24; at + 16 <= input.length; ) {
    const sec = input.readUInt32LE(at);
    const usec = input.readUInt32LE(at + 4);
    const incl = input.readUInt32LE(at + 8);
    const orig = input.readUInt32LE(at + 12);
    const padded = (incl + 3) & ~3;
    const len = 32 + padded;
    if (used + len > out.length) flush();
    const ts = BigInt(sec) * 1_000_000n + BigInt(usec);
    out.writeUInt32LE(6, used);
    out.writeUInt32LE(len, used + 4);
    out.writeUInt32LE(0, used + 8);
    out.writeUInt32LE(Number(ts >> 32n), used + 12);
    out.writeUInt32LE(Number(ts & 0xffffffffn), used + 16);
    out.writeUInt32LE(incl, used + 20);
    out.writeUInt32LE(orig, used + 24);
    input.copy(out, used + 28, at + 16, at + 16 + incl);
    out.fill(0, used + 28 + incl, used + 28 + padded);
    out.writeUInt32LE(len, used + 28 + padded);
    used += len;
    at += 16 + incl;
  }
  flush();
  closeSync(fd);
}
