declare module "pcap-parser" {
  import type { EventEmitter } from "node:events";
  import type { Readable } from "node:stream";

  interface PacketHeader {
    timestampSeconds: number;
    timestampMicroseconds: number;
    capturedLength: number;
    originalLength: number;
  }
  interface Parser extends EventEmitter {
    on(event: "packet", listener: (packet: { header: PacketHeader; data: Buffer }) => void): this;
    on(
      event: "globalHeader",
      listener: (header: { linkLayerType: number; snapshotLength: number }) => void,
    ): this;
    on(event: "end", listener: () => void): this;
    on(event: "error", listener: (err: Error) => void): this;
  }
  export function parse(input: string | Readable): Parser;
}
