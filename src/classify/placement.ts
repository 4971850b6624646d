/**
 * Where a topology file puts a flow's endpoints: the catalog rows that apply
 * there (`rowsHere`, shared lists through `subset`), a client's flow to an
 * address in no role (`outside_topology`), and the misdirections only a
 * topology shows:
 * - `role_mismatch`: the server's address belongs to a role whose rows do not
 *   list the port and transport as one it serves (a "connect" row is a port the
 *   role sends to), while another role's rows do, or only "connect" rows list it;
 * - `range_mismatch`: a role's endpoint uses a media port outside that role's
 *   media range (Mediation 60000–64000, Edge 50000–59999, …);
 * - `wrong_direction`: a server role opened a connection to a client network
 *   on a port clients connect to (the catalog's client "connect" rows).
 */
import type { CatalogIndex, CatalogMatch } from "../catalog/index.js";
import { formatPorts } from "../catalog/index.js";
import type { PayloadFamily, Transport } from "../catalog/types.js";
import type { FlowFacts } from "../flow/view.js";
import { endpointText } from "./address.js";
import { isMedia } from "./payload.js";
import { type Reason, reason } from "./reasons.js";
import type { Place, Topology } from "./topology.js";

const subsets = new WeakMap<readonly CatalogMatch[], Map<string, readonly CatalogMatch[]>>();

/**
 * `list` filtered by `keep`, one shared frozen list per (list, key): a topology narrows each flow's
 * rows, and the report's caches (role lists, role table, JSON text) key on a list's identity.
 * `key` must name everything `keep` reads.
 */
export function subset(
  list: readonly CatalogMatch[],
  key: string,
  keep: (m: CatalogMatch) => boolean,
): readonly CatalogMatch[] {
  let byKey = subsets.get(list);
  if (byKey === undefined) {
    byKey = new Map();
    subsets.set(list, byKey);
  }
  let rows = byKey.get(key);
  if (rows === undefined) {
    rows = Object.freeze(list.filter(keep));
    byKey.set(key, rows);
  }
  return rows;
}

/**
 * The rows that apply where the endpoints live: a row when either endpoint lives in its role, a
 * "connect" row (the CWA server's LDAP to a domain controller) only when the originator does, and
 * the client rows (Office Communicator, Live Meeting, Mobile) when an endpoint is in a client network.
 */
export function rowsHere(
  matches: readonly CatalogMatch[],
  orig: Place | null,
  resp: Place | null,
): readonly CatalogMatch[] {
  const clientSide = orig?.kind === "clients" || resp?.kind === "clients";
  const origRole = orig?.role ?? null;
  const respRole = resp?.role ?? null;
  return subset(
    matches,
    `here\n${origRole}\n${respRole}\n${clientSide}`,
    (m) =>
      (m.entry.roleKind === "client" && clientSide) ||
      m.entry.role === origRole ||
      (m.entry.role === respRole && m.entry.portUse !== "connect"),
  );
}

/**
 * The rows a flow's responder serves where the topology places it: its role's rows, "connect" rows
 * left out (a port the role sends to is not one it answers on); all of `matches` when the responder
 * is placed in no role or its role has none of them. A flow is named by where it went, not by its sender.
 */
export function rowsAtResponder(
  matches: readonly CatalogMatch[],
  resp: Place | null,
): readonly CatalogMatch[] {
  const role = resp?.role ?? null;
  if (role === null) return matches;
  const rows = subset(matches, `at\n${role}`, (m) => m.entry.role === role && m.entry.portUse !== "connect");
  return rows.length > 0 ? rows : matches;
}

export function roleNames(matches: readonly CatalogMatch[]): string[] {
  return [...new Set(matches.map((m) => m.entry.role))];
}

/**
 * DCE/RPC's endpoint mapper on 135 answers on every Windows server whatever its role (WMI and DCOM
 * management reach any server there): a flow to it from inside says nothing about the role. From
 * an external network it stays a finding (an Edge's public address should not answer it).
 */
export function windowsManagement(
  port: number,
  orig: Place | null,
  service: readonly CatalogMatch[],
): boolean {
  return port === 135 && orig?.kind !== "external" && service.every((m) => m.entry.protocol === "rpc");
}

export function roleMismatch(
  flow: FlowFacts,
  port: number,
  transport: Transport,
  resp: Place,
  service: readonly CatalogMatch[],
): Reason {
  const serving = service.filter((m) => m.entry.portUse === "listen");
  const details = {
    transport,
    port,
    server: endpointText(flow, false),
    role: resp.role ?? "",
    serving: roleNames(serving),
  };
  // Only "connect" rows (Kerberos, LDAP: the CWA server to a domain controller): no role serves the port.
  return reason(
    "role_mismatch",
    serving.length > 0 ? details : { ...details, connecting: roleNames(service) },
  );
}

/** A server role opening a connection to a client network, on a port clients connect to. */
export function wrongDirection(
  flow: FlowFacts,
  index: CatalogIndex,
  transport: Transport,
  port: number,
  orig: Place | null,
  resp: Place | null,
): Reason | null {
  if (orig?.kind !== "role" || resp?.kind !== "clients") return null;
  const clientRows = index
    .listen(transport, port)
    .filter((m) => m.entry.roleKind === "client" && m.entry.portUse === "connect");
  if (clientRows.length === 0) return null;
  return reason("wrong_direction", {
    transport,
    port,
    server: endpointText(flow, true),
    role: orig.role ?? "",
    client: endpointText(flow, false),
    clientRoles: roleNames(clientRows),
  });
}

/** A role's endpoint using a media port outside the role's media range. */
export function rangeMismatch(
  flow: FlowFacts,
  index: CatalogIndex,
  transport: Transport,
  orig: Place | null,
  resp: Place | null,
): Reason | null {
  // Media in the payload, never a port alone (docs/verdict-rules.md §2).
  if (!isMedia(flow.origApp) && !isMedia(flow.respApp)) return null;
  for (const [isOrig, place] of [
    [true, orig],
    [false, resp],
  ] as const) {
    if (place?.kind !== "role" || place.role === null) continue;
    const rows = index.entries.filter((e) => e.role === place.role && e.transports.includes(transport));
    const ranges = rows
      .filter((e) => e.portUse === "media" && !e.clientRange)
      .flatMap((e) => e.ports.filter((p) => p.first !== p.last));
    if (ranges.length === 0) continue;
    const p = isOrig ? flow.origPort : flow.respPort;
    const inRange = ranges.some((r) => r.first <= p && p <= r.last);
    const servicePort = rows.some((e) => e.ports.some((r) => r.first === r.last && r.first === p));
    if (inRange || servicePort) continue;
    return reason("range_mismatch", {
      role: place.role,
      address: endpointText(flow, isOrig),
      port: p,
      transport,
      ranges: formatPorts(ranges),
    });
  }
  return null;
}

/**
 * A client's flow to an address the topology gives no role, on a port that roles it places serve
 * (`listen` rows), or only connect to (a workstation's Kerberos or LDAP to a domain controller,
 * which the catalog lists for the CWA server): not that port's OCS service here (a browser's HTTPS
 * on 443), or a server the file lacks. Not when the payload is SIP, STUN/TURN or media (OCS's
 * own), nor when the TLS server name is one the topology gives a role: then the server is only
 * missing from the file.
 */
export function outsideTopology(
  flow: FlowFacts,
  topology: Topology,
  listen: readonly CatalogMatch[],
  family: PayloadFamily | null,
  transport: Transport,
  port: number,
): Reason | null {
  if (family === "sip" || family === "stun" || family === "rtp" || family === "dtls") return null;
  const placedWith = (use: "listen" | "connect") =>
    roleNames(
      listen.filter(
        (m) => m.entry.portUse === use && m.entry.roleKind !== "client" && topology.places(m.entry.role),
      ),
    );
  const serving = placedWith("listen");
  // A port only server roles connect to (Kerberos, LDAP to a domain controller), from a client.
  const connecting =
    serving.length === 0 && listen.every((m) => m.entry.portUse === "connect") ? placedWith("connect") : [];
  if (serving.length === 0 && connecting.length === 0) return null;
  if (flow.sni !== null && topology.namesARole(flow.sni)) return null;
  const server = endpointText(flow, false);
  return serving.length > 0
    ? reason("outside_topology", { transport, port, server, roles: serving })
    : reason("outside_topology", { transport, port, server, roles: connecting, connecting: true });
}
