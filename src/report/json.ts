/**
 * JSON renderer (contract ocs-pcap/report@1). A pure function of the report
 * model that yields the text in pieces, so a report with 100k flows is never
 * one giant string.
 *
 * Layout: the report's head is indented two spaces; each flow is one compact
 * line, so a report can be read, grepped and diffed flow by flow. Role lists
 * are shared between flows with the same service port, so each distinct list
 * is serialized once. Flows are nested into the contract's shape here. Each
 * flow and blocked-looking group carries its Wireshark display filter
 * (report/filter.ts); addresses and fixed vocabularies need no JSON escaping.
 */

import type { Application, Reason } from "../classify/classify.js";
import { isoMicros } from "../format.js";
import { flowFilter, flowsById, groupFilter } from "./filter.js";
import type { FlowRecord, Report, RoleRef, StunRecord, TlsRecord } from "./model.js";
import { reasonText } from "./reason-text.js";
import { signInFilter } from "./sign-in.js";

export function* renderJson(report: Report): Generator<string> {
  const { flows, blocked, unknown, services, signIn, ...rest } = report;
  const byId = flowsById(flows, blocked);
  const head = {
    ...rest,
    // Each domain's lookups get their display filter, made from the names as the report holds them.
    ...(signIn === undefined ? {} : { signIn: signIn.map((d) => ({ ...d, filter: signInFilter(d) })) }),
    // Known flows per service port, every flow counted (for `summarize --expect`); a report
    // read back from one written before them has none, and none is made up.
    ...(services === undefined ? {} : { services }),
    blocked: blocked.map((g) => ({
      ...g,
      firstSeen: isoMicros(g.firstSeen),
      lastSeen: isoMicros(g.lastSeen),
      filter: groupFilter(g, byId),
    })),
    unknown,
  };
  const headText = JSON.stringify(head, null, 2);
  // headText ends with "\n}"; reopen it to append the flows array.
  yield `${headText.slice(0, -2)},\n  "flows": [`;
  if (flows.length === 0) {
    yield "]\n}\n";
    return;
  }
  const roleText = new Map<readonly RoleRef[], string>();
  const appText = new Map<Application, string>();
  let batch = "";
  for (let i = 0; i < flows.length; i++) {
    batch += `${i === 0 ? "" : ","}\n    ${flowJson(flows[i]!, roleText, appText)}`;
    if (batch.length > 32_768) {
      yield batch;
      batch = "";
    }
  }
  yield `${batch}\n  ]\n}\n`;
}

const q = JSON.stringify;
/** A string or null, as JSON. */
const qn = (v: string | null): string => (v === null ? "null" : q(v));
/** Application texts kept per rendering. */
const APP_TEXT_MAX = 4096;

/** One flow, compact; key order as in FlowRecord, after `lead` (keys of the caller's own, each ending in a comma). */
export function flowJson(
  f: FlowRecord,
  roleText: Map<readonly RoleRef[], string>,
  appText: Map<Application, string>,
  lead = "",
): string {
  let roles = roleText.get(f.roles);
  if (roles === undefined) {
    roles = q(f.roles);
    roleText.set(f.roles, roles);
  }
  let app = appText.get(f.application);
  if (app === undefined) {
    app = q(f.application);
    // Classify's application objects are frozen and shared, so their text repeats; one made
    // elsewhere (a redacted copy, a saved report read back) is one flow's own. Bounded: a scan
    // of distinct server names has as many objects as flows.
    if (Object.isFrozen(f.application) && appText.size < APP_TEXT_MAX) appText.set(f.application, app);
  }
  // Transport, verdict, state and history are fixed vocabularies, and the
  // addresses are formatted by report/model.ts (digits, hex, dots, colons):
  // none can hold a character JSON must escape, so they are quoted directly.
  return (
    `{${lead}"id":${f.id},"transport":"${f.transport}",` +
    `"client":{"ip":"${f.clientIp}","port":${f.clientPort}},` +
    `"server":{"ip":"${f.serverIp}","port":${f.serverPort}},` +
    `"verdict":"${f.verdict}","application":${app},"roles":${roles},"state":"${f.state}","history":"${f.history}",` +
    `"packets":{"fromClient":${f.packetsFromClient},"fromServer":${f.packetsFromServer}},` +
    `"bytes":{"fromClient":${f.bytesFromClient},"fromServer":${f.bytesFromServer}},` +
    `"firstSeen":"${isoMicros(f.firstSeen)}","lastSeen":"${isoMicros(f.lastSeen)}","firstFrame":${f.firstFrame},` +
    (f.process === undefined ? "" : `"process":${JSON.stringify(f.process)},`) +
    (f.sip === undefined ? "" : `"sip":${JSON.stringify(f.sip)},`) +
    (f.tls === undefined ? "" : `"tls":${tlsJson(f.tls)},`) +
    (f.stun === undefined ? "" : `"stun":${stunJson(f.stun)},`) +
    `"filter":"${flowFilter(f)}",` +
    `"reasons":${f.reasons.length === 0 ? "[]" : reasonsJson(f.reasons)}}`
  );
}

/** The text of reason lists that flows share (classify freezes those it shares), made once each. */
const sharedReasonsText = new WeakMap<readonly Reason[], string>();

/** `[{"code","message","details"}]`: codes are a fixed vocabulary, quoted directly. */
function reasonsJson(reasons: readonly Reason[]): string {
  if (!Object.isFrozen(reasons)) return reasonsText(reasons);
  let text = sharedReasonsText.get(reasons);
  if (text === undefined) {
    text = reasonsText(reasons);
    sharedReasonsText.set(reasons, text);
  }
  return text;
}

function reasonsText(reasons: readonly Reason[]): string {
  let out = "[";
  for (let i = 0; i < reasons.length; i++) {
    const r = reasons[i]!;
    out += `${i === 0 ? "" : ","}{"code":"${r.code}","message":${JSON.stringify(reasonText(r))},"details":${JSON.stringify(r.details)}}`;
  }
  return `${out}]`;
}

/**
 * A flow's STUN record, as JSON.stringify writes the builder's object (the
 * same keys in the same order), without its generic walk: a fifth of a
 * STUN-heavy capture's JSON time went there.
 */
function stunJson(s: StunRecord): string {
  const b = s.binding;
  const a = s.allocate;
  let errors = "[";
  for (let i = 0; i < a.errors.length; i++) {
    const e = a.errors[i]!;
    errors += `${i === 0 ? "" : ","}{"code":${e.code},"count":${e.count}}`;
  }
  return (
    `{"binding":{"requests":${b.requests},"successes":${b.successes},"errors":${b.errors}},` +
    `"allocate":{"requests":${a.requests},"successes":${a.successes},"errors":${errors}]},` +
    `"msVersion":${s.msVersion},"realm":${qn(s.realm)},"relayed":${s.relayed}}`
  );
}

/** A flow's TLS record, as JSON.stringify writes the builder's object (optional keys last, as it adds them). */
function tlsJson(t: TlsRecord): string {
  let alerts = "[";
  for (let i = 0; i < t.alerts.length; i++) {
    const x = t.alerts[i]!;
    alerts += `${i === 0 ? "" : ","}{"from":${q(x.from)},"level":${q(x.level)},"alert":${qn(x.alert)}}`;
  }
  let out =
    `{"version":${qn(t.version)},"cipher":${qn(t.cipher)},"sni":${qn(t.sni)},"complete":${t.complete},` +
    `"certificateRequested":${t.certificateRequested},"clientCertificates":${t.clientCertificates},"alerts":${alerts}]`;
  if (t.partial !== undefined) out += `,"partial":${q(t.partial)}`;
  const c = t.certificate;
  if (c !== undefined)
    out +=
      `,"certificate":{"subject":${q(c.subject)},"issuer":${q(c.issuer)},"dnsNames":${q(c.dnsNames)},` +
      `"notBefore":${q(c.notBefore)},"notAfter":${q(c.notAfter)},"sha256":${q(c.sha256)},` +
      `"selfSigned":${c.selfSigned},"chainLength":${c.chainLength}}`;
  return `${out}}`;
}
