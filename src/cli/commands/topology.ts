/**
 * `ocs-pcap topology`: prints a commented example topology file, or checks
 * one and lists the roles it places.
 */
import { TOPOLOGY_EXAMPLE } from "../../classify/topology.js";
import { EXIT, UsageError } from "../exit.js";
import type { Io } from "../io.js";
import { loadCatalog, loadTopology } from "../options.js";
import { writeToStream } from "../output.js";

export interface TopologyCliOptions {
  example?: boolean;
  check?: string;
  /** The products whose role names the file may use (`--product`, as for analyze). */
  product?: string;
}

export async function topologyCommand(opts: TopologyCliOptions, io: Io): Promise<number> {
  if (opts.check !== undefined) {
    const topology = loadTopology(opts.check, loadCatalog(undefined, undefined, opts.product).index).topology;
    const named = topology.roles().flatMap((r) => {
      const n = topology.namesOf(r);
      return n === null ? [] : [`${r} (${n.names.join(", ")})`];
    });
    await writeToStream(io.stdout, [
      `${opts.check}: valid; roles placed: ${topology.roles().join(", ") || "none"}${named.length > 0 ? `; names: ${named.join("; ")}` : ""}\n`,
    ]);
    return EXIT.OK;
  }
  if (!opts.example) throw new UsageError("topology needs --example or --check FILE");
  await writeToStream(io.stdout, [TOPOLOGY_EXAMPLE]);
  return EXIT.OK;
}
