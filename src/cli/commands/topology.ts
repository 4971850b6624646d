/**
 * `ocs-pcap topology`: prints a commented example topology file, or checks
 * one and lists the roles it places.
 */
import { CatalogIndex } from "../../catalog/index.js";
import { TOPOLOGY_EXAMPLE } from "../../classify/topology.js";
import { EXIT, UsageError } from "../exit.js";
import type { Io } from "../io.js";
import { loadTopology } from "../options.js";
import { writeToStream } from "../output.js";

export interface TopologyCliOptions {
  example?: boolean;
  check?: string;
}

export async function topologyCommand(opts: TopologyCliOptions, io: Io): Promise<number> {
  if (opts.check !== undefined) {
    const topology = loadTopology(opts.check, new CatalogIndex()).topology;
    await writeToStream(io.stdout, [
      `${opts.check}: valid; roles placed: ${topology.roles().join(", ") || "none"}\n`,
    ]);
    return EXIT.OK;
  }
  if (!opts.example) throw new UsageError("topology needs --example or --check FILE");
  await writeToStream(io.stdout, [TOPOLOGY_EXAMPLE]);
  return EXIT.OK;
}
