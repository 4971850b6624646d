/**
 * JSON renderer (contract ocs-pcap/report@1). A pure function of the report
 * model that yields the text in pieces, so a report with 100k flows is never
 * one giant string.
 *
 * Layout: the report's head is indented two spaces; each flow is one compact
 * line, so a report can be read, grepped and diffed flow by flow. Role lists
 * are shared between flows with the same service port, so each distinct list
 * is serialized once (and, for the bytes `analyze` writes, encoded once). Flows are nested into the contract's shape here. Each
 * flow and blocked-looking group carries its Wireshark display filter
 * (report/filter.ts); addresses and fixed vocabularies need no JSON escaping.
 */

import type { Application, Reason } from "../classify/classify.js";
import { isoMicros } from "../format.js";
import { flowFilter, flowsById, groupFilter } from "./filter.js";
import type { FlowRecord, Report, RoleRef, StunRecord, TlsRecord } from "./model.js";
import { reasonText } from "./reason-text.js";

/** The report as text, in pieces (the batch report and tests read it so). */
export function renderJson(report: Report): Generator<string> {
  return renderInto(report, new StringOut());
}

/**
 * The report as UTF-8 bytes, in pieces of about 32 KB: what `analyze -f json`
 * writes. Each piece is a view of one reused buffer, valid only until the
 * next is asked for (the writer writes or copies it at once). Role lists,
 * two thirds of a flow's text, are encoded once per list and copied as bytes.
 */
export function renderJsonBytes(report: Report): Generator<Uint8Array> {
  return renderInto(report, new ByteOut());
}

function* renderInto<T>(report: Report, out: JsonOut<T>): Generator<T> {
  const { flows, blocked, unknown, services: _services, ...rest } = report;
  const byId = flowsById(flows, blocked);
  const head = {
    ...rest,
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
  out.text(`${headText.slice(0, -2)},\n  "flows": [`);
  if (flows.length === 0) {
    out.text("]\n}\n");
    yield out.take();
    return;
  }
  const caches = new JsonCaches();
  for (let i = 0; i < flows.length; i++) {
    out.text(i === 0 ? "\n    " : ",\n    ");
    writeFlow(out, flows[i]!, caches, "");
    if (out.size > 32_768) yield out.take();
  }
  out.text("\n  ]\n}\n");
  yield out.take();
}

/** Text many flows share (a role list), with its UTF-8 bytes made once, when first needed. */
class SharedText {
  bytes: Uint8Array | null = null;
  constructor(readonly text: string) {}
}

/** What one rendering (or one ndjson stream) serializes once and reuses: role lists and applications. */
export class JsonCaches {
  readonly roles = new Map<readonly RoleRef[], SharedText>();
  readonly apps = new Map<Application, string>();
}

/** Where a flow's JSON goes: text, or a shared text whose bytes can be copied. */
interface JsonOut<T> {
  text(s: string): void;
  shared(t: SharedText): void;
  /** What is held now (characters or bytes). */
  readonly size: number;
  /** What is held, handed over; the output starts empty again. */
  take(): T;
}

class StringOut implements JsonOut<string> {
  private s = "";
  text(t: string): void {
    this.s += t;
  }
  shared(t: SharedText): void {
    this.s += t.text;
  }
  get size(): number {
    return this.s.length;
  }
  take(): string {
    const s = this.s;
    this.s = "";
    return s;
  }
}

/** UTF-8 into one buffer, reused from piece to piece (grown for a piece larger than it). */
class ByteOut implements JsonOut<Uint8Array> {
  private buf = Buffer.allocUnsafe(1 << 17);
  private len = 0;
  text(t: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.room(t.length * 3);
    this.len += this.buf.write(t, this.len);
  }
  shared(t: SharedText): void {
    t.bytes ??= Buffer.from(t.text);
    this.room(t.bytes.length);
    this.buf.set(t.bytes, this.len);
    this.len += t.bytes.length;
  }
  get size(): number {
    return this.len;
  }
  take(): Uint8Array {
    const piece = this.buf.subarray(0, this.len);
    this.len = 0;
    return piece;
  }
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
  }
}

const q = JSON.stringify;
/** A string or null, as JSON. */
const qn = (v: string | null): string => (v === null ? "null" : q(v));
/** Application texts kept per rendering. */
const APP_TEXT_MAX = 4096;

/** One flow, compact; key order as in FlowRecord, after `lead` (keys of the caller's own, each ending in a comma). */
export function flowJson(f: FlowRecord, caches: JsonCaches, lead = ""): string {
  const out = new StringOut();
  writeFlow(out, f, caches, lead);
  return out.take();
}

function writeFlow<T>(out: JsonOut<T>, f: FlowRecord, caches: JsonCaches, lead: string): void {
  let roles = caches.roles.get(f.roles);
  if (roles === undefined) {
    roles = new SharedText(q(f.roles));
    caches.roles.set(f.roles, roles);
  }
  let app = caches.apps.get(f.application);
  if (app === undefined) {
    app = q(f.application);
    // Classify's application objects are frozen and shared, so their text repeats; one made
    // elsewhere (a redacted copy, a saved report read back) is one flow's own. Bounded: a scan
    // of distinct server names has as many objects as flows.
    if (Object.isFrozen(f.application) && caches.apps.size < APP_TEXT_MAX)
      caches.apps.set(f.application, app);
  }
  // Transport, verdict, state and history are fixed vocabularies, and the
  // addresses are formatted by report/model.ts (digits, hex, dots, colons):
  // none can hold a character JSON must escape, so they are quoted directly.
  out.text(
    `{${lead}"id":${f.id},"transport":"${f.transport}",` +
      `"client":{"ip":"${f.clientIp}","port":${f.clientPort}},` +
      `"server":{"ip":"${f.serverIp}","port":${f.serverPort}},` +
      `"verdict":"${f.verdict}","application":${app},"roles":`,
  );
  out.shared(roles);
  out.text(
    `,"state":"${f.state}","history":"${f.history}",` +
      `"packets":{"fromClient":${f.packetsFromClient},"fromServer":${f.packetsFromServer}},` +
      `"bytes":{"fromClient":${f.bytesFromClient},"fromServer":${f.bytesFromServer}},` +
      `"firstSeen":"${isoMicros(f.firstSeen)}","lastSeen":"${isoMicros(f.lastSeen)}","firstFrame":${f.firstFrame},` +
      (f.process === undefined ? "" : `"process":${JSON.stringify(f.process)},`) +
      (f.sip === undefined ? "" : `"sip":${JSON.stringify(f.sip)},`) +
      (f.tls === undefined ? "" : `"tls":${tlsJson(f.tls)},`) +
      (f.stun === undefined ? "" : `"stun":${stunJson(f.stun)},`) +
      `"filter":"${flowFilter(f)}",` +
      `"reasons":${f.reasons.length === 0 ? "[]" : reasonsJson(f.reasons)}}`,
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
