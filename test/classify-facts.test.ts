/**
 * Verdict rules on plain `FlowFacts` objects (issue 13, item 6): no packets,
 * no flow table. Table-driven from the README's reason table: each row is a
 * flow as the table would describe it, with the verdict and reason code the
 * README gives it. Every code in `REASON_CODES` has a row (a test below keeps
 * it so), and some codes have a "near miss": the same flow changed in one
 * fact so the rule no longer applies.
 *
 * A row's code is checked first in `c.reasons` (the reason the verdict rests
 * on) unless the README calls it evidence or information kept beside another
 * verdict (`midstream` on a `known` flow, an `icmp_unreachable` the server
 * answered): then it only has to be listed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CatalogIndex } from "../src/catalog/index.js";
import { productCatalog } from "../src/catalog/products.js";
import { type ClassifyContext, classifyFlow, type Verdict } from "../src/classify/classify.js";
import {
  type IcmpCategory,
  portReasons,
  REASON_CODES,
  REASON_GUIDANCE,
  type ReasonCode,
} from "../src/classify/reasons.js";
import { parseTopology } from "../src/classify/topology.js";
import { App } from "../src/decode/apps.js";
import {
  TCP_ACK as ACK,
  TCP_FIN as FIN,
  ICMP_UNREACHABLE,
  ICMPV6_UNREACHABLE,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  TCP_PSH as PSH,
  TCP_RST as RST,
  TCP_SYN as SYN,
} from "../src/decode/constants.js";
import { STUN_BINDING_REQUEST } from "../src/decode/signatures-media.js";
import type { CertificateFacts } from "../src/decode/x509.js";
import { type ConnState, EndpointState } from "../src/flow/tcp.js";
import type { TlsOutcome } from "../src/flow/tls-outcome.js";
import {
  FirstPayload,
  type IcmpEvidence,
  type IcmpQuote,
  RTCP_REPORTED_ON,
  RTCP_SENDER,
} from "../src/flow/types.js";
import type { FlowFacts } from "../src/flow/view.js";
import { reasonBrief, reasonText } from "../src/report/reason-text.js";

const T0 = 1_715_677_200_000_000;
const S = 1_000_000;
const CAPTURE_END = T0 + 60 * S;

const ipWord = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0) | 0;
const ipWords = (ip: string): [number, number, number, number] => [0, 0, 0, ipWord(ip)];

const CLIENT = "10.1.0.20";
const FRONT_END = "10.0.0.10";
const MEDIATION = "10.0.0.20";
const EDGE = "10.0.0.30";
const FIREWALL = "10.0.0.254";

type Options = Partial<FlowFacts> & {
  /** Zeek history letters. */
  historyText?: string;
  /** Zeek conn_state. */
  state?: ConnState;
  /** The originator's address (CLIENT unless given). */
  from?: string;
};

/** A flow's facts: a flow from `from` (CLIENT):50000 to `server`:`port`, overridden per row. */
function facts(proto: "tcp" | "udp" | "icmp", server: string, port: number, o: Options = {}): FlowFacts {
  const { historyText = "", state = "OTH", from = CLIENT, ...rest } = o;
  const base: FlowFacts = {
    id: 0,
    ipProto: proto === "tcp" ? IPPROTO_TCP : proto === "udp" ? IPPROTO_UDP : IPPROTO_ICMP,
    family: 4,
    flipped: false,
    addrWord: (orig: boolean, w: number) => (w < 3 ? 0 : ipWord(orig ? from : server)),
    first: T0,
    last: T0 + 3 * S,
    firstFrame: 1,
    process: -1,
    sip: null,
    drop: null,
    tls: null,
    stun: null,
    origPort: proto === "icmp" ? 0 : 50000,
    respPort: port,
    origPackets: 1,
    respPackets: 0,
    origBytes: 60,
    respBytes: 0,
    origPayload: 0,
    respPayload: 0,
    origIpBytes: 46,
    respIpBytes: 0,
    origSyns: 0,
    origFlags: 0,
    respFlags: 0,
    origFirstPayload: FirstPayload.None,
    origApp: App.None,
    respApp: App.None,
    appDetail: () => 0,
    sni: null,
    icmp: null,
    icmpQuotesOriginator: true,
    icmpQuote: null,
    mediaFrom: () => false,
    rtcpFrom: () => 0,
    rtpSsrc: () => null,
    peerSent: () => false,
    mediaWorked: () => false,
    earlyMedia: () => false,
    kerberosError: null,
    toGroupAddress: false,
    fragmented: false,
    tcpStates: [EndpointState.Inactive, EndpointState.Inactive],
    history: () => historyText,
    connState: () => state,
  };
  return Object.assign(base, rest);
}

/** An ICMP destination unreachable (type 3) with `code`, sent by `sender`. */
function unreachable(sender: string, code: number): IcmpEvidence {
  return {
    count: 1,
    v6: false,
    type: ICMP_UNREACHABLE,
    code,
    family: 4,
    words: ipWords(sender),
    first: T0 + S / 10,
    last: T0 + S / 10,
    quotesLo: true,
  };
}

// --- The flows, each a function so a near miss can change one fact -----------------------

/** Three SYNs over 3 s to the Edge's 5062/tcp, nothing back (S0). */
const synsToEdge = (o: Options = {}) =>
  facts("tcp", EDGE, 5062, {
    origPackets: 3,
    origSyns: 3,
    origFlags: SYN,
    historyText: "S",
    state: "S0",
    ...o,
  });

/** A SYN to the Front End's 5061/tcp answered by SYN+ACK; the client never ACKs, retransmitting its SYN. */
const synAckLost = (o: Options = {}) =>
  facts("tcp", FRONT_END, 5061, {
    origPackets: 3,
    origSyns: 3,
    origFlags: SYN,
    respPackets: 3,
    respFlags: SYN | ACK,
    historyText: "Sh",
    state: "S1",
    ...o,
  });

/** A STUN binding request to the Edge's 3478/udp, nothing back from the Edge. */
const stunToEdge = (o: Options = {}) =>
  facts("udp", EDGE, 3478, {
    origPayload: 20,
    origApp: App.Stun,
    appDetail: (orig: boolean) => (orig ? STUN_BINDING_REQUEST : 0),
    origFirstPayload: FirstPayload.StunBindingRequest,
    last: T0,
    historyText: "D",
    state: "S0",
    ...o,
  });

/** `requests` Binding requests over 2 s, `checks` of them with USERNAME (ICE connectivity checks), to a peer's 50010/udp, no answer. */
const iceChecks = (requests: number, checks: number, o: Options = {}) =>
  stunToEdge({
    respPort: 50010,
    origPackets: requests,
    last: T0 + 2 * S,
    stun: {
      bindingRequests: requests,
      checks,
      bindingSuccesses: 0,
      bindingErrors: 0,
      allocateRequests: 0,
      allocateSuccesses: 0,
      allocateErrors: [],
      msVersion: null,
      realm: null,
      relayed: 0,
      peers: [],
    },
    ...o,
  });

/** Two Allocate requests to the Edge's 3478/udp, answered with `errors` and no success. */
const allocatesRefused = (errors: { code: number; count: number }[]) =>
  facts("udp", EDGE, 3478, {
    origPackets: 2,
    respPackets: 2,
    origPayload: 200,
    respPayload: 160,
    origApp: App.Stun,
    respApp: App.Stun,
    historyText: "Dd",
    state: "SF",
    stun: {
      bindingRequests: 0,
      checks: 0,
      bindingSuccesses: 0,
      bindingErrors: 0,
      allocateRequests: 2,
      allocateSuccesses: 0,
      allocateErrors: errors,
      msVersion: null,
      realm: "contoso.test",
      relayed: 0,
      peers: [],
    },
  });

/** A TLS connection to the Front End's 443/tcp: handshake, data both ways, closed (SF). */
const tlsToFrontEnd = (o: Options = {}) =>
  facts("tcp", FRONT_END, 443, {
    origPackets: 8,
    respPackets: 8,
    origSyns: 1,
    origFlags: SYN | ACK | PSH | FIN,
    respFlags: SYN | ACK | PSH | FIN,
    origPayload: 600,
    respPayload: 4000,
    origApp: App.Tls,
    respApp: App.Tls,
    historyText: "ShADadFf",
    state: "SF",
    ...o,
  });

/** Two UDP packets over 2 s to the Edge's STUN port, unidentified, nothing back. */
const udpToEdge = (o: Options = {}) =>
  facts("udp", EDGE, 3478, {
    origPackets: 2,
    origPayload: 40,
    last: T0 + 2 * S,
    historyText: "D",
    state: "S0",
    ...o,
  });

/** RTP for 5 s from a client to the Front End's media range (50010/udp), nothing back on this 5-tuple. */
const rtpToFrontEnd = (o: Options = {}) =>
  facts("udp", FRONT_END, 50010, {
    origPackets: 250,
    origPayload: 250 * 172,
    origApp: App.Rtp,
    last: T0 + 5 * S,
    historyText: "D",
    state: "S0",
    ...o,
  });

/** The Front End (responder) is seen elsewhere in the capture; it sent no media to the client. */
const responderSeen = { peerSent: (orig: boolean) => !orig };

/** Handshake to the Front End's 5061/tcp, the client's TLS ClientHello, then the server's RST (RSTR). */
const helloReset = (o: Options = {}) =>
  facts("tcp", FRONT_END, 5061, {
    origPackets: 3,
    respPackets: 2,
    origSyns: 1,
    origFlags: SYN | ACK | PSH,
    respFlags: SYN | ACK | RST,
    origPayload: 517,
    origApp: App.Tls,
    historyText: "ShADr",
    state: "RSTR",
    ...o,
  });

/** A TLS outcome: a TLS 1.2 handshake to `fe.contoso.test` that completed, with a valid CA-issued certificate. */
const tlsOutcome = (o: Partial<TlsOutcome> = {}): TlsOutcome => ({
  clientHello: true,
  serverHello: true,
  sni: "fe.contoso.test",
  version: 0x0303,
  cipher: 0xc030,
  certificates: [certificate()],
  chainLength: 2,
  certificateRequested: false,
  clientCertificates: null,
  alerts: [],
  clientChangeCipherSpec: true,
  serverChangeCipherSpec: true,
  clientAppData: 1,
  serverAppData: 1,
  partial: null,
  ...o,
});

/** A certificate for fe.contoso.test, issued by a CA, valid a year around the flows' time. */
const certificate = (o: Partial<CertificateFacts> = {}): CertificateFacts => ({
  subject: "CN=fe.contoso.test",
  issuer: "CN=Contoso Issuing CA",
  dnsNames: ["fe.contoso.test", "pool.contoso.test"],
  cn: "fe.contoso.test",
  notBeforeMicros: T0 - 180 * 86_400_000_000,
  notAfterMicros: T0 + 180 * 86_400_000_000,
  sha256: "00:11",
  selfSigned: false,
  ...o,
});

/** TLS over TCP to the Front End's 5061, the connection closed cleanly (SF), with this handshake. */
const tlsHandshake = (tls: TlsOutcome, o: Options = {}) =>
  facts("tcp", FRONT_END, 5061, {
    origPackets: 6,
    respPackets: 5,
    origSyns: 1,
    origFlags: SYN | ACK | PSH | FIN,
    respFlags: SYN | ACK | PSH | FIN,
    origPayload: 700,
    respPayload: 2400,
    origApp: App.Tls,
    respApp: App.Tls,
    historyText: "ShADadFf",
    state: "SF",
    tls,
    ...o,
  });

/** A plain SIP conversation over TCP to the Front End's 5060, closed cleanly (SF), with these final responses. */
/** The server's answers unless `by` says otherwise. */
const sipOn5060 = (
  responses: { method: string; code: number; count: number; by?: "server" | "client" }[],
  o: Options = {},
) =>
  facts("tcp", FRONT_END, 5060, {
    origPackets: 5,
    respPackets: 4,
    origSyns: 1,
    origFlags: SYN | ACK | PSH | FIN,
    respFlags: SYN | ACK | PSH | FIN,
    origPayload: 600,
    respPayload: 500,
    origApp: App.Sip,
    respApp: App.Sip,
    historyText: "ShADadFf",
    state: "SF",
    sip: {
      requests: responses.length,
      responses: responses.map((r) => ({ by: "server" as const, ...r })),
      diagnostics: responses.map(() => null),
      noAnswer: 0,
    },
    ...o,
  });

/** SIP in the clear over TCP to the Front End's 5061 (MTLS), handshake completed, server ACKed. */
const sipToMtls = (o: Options = {}) =>
  facts("tcp", FRONT_END, 5061, {
    origPackets: 3,
    respPackets: 2,
    origSyns: 1,
    origFlags: SYN | ACK | PSH,
    respFlags: SYN | ACK,
    origPayload: 400,
    origApp: App.Sip,
    historyText: "ShADa",
    state: "S1",
    ...o,
  });

/** A client's connection (handshake completed) to `server`:5062/tcp. */
const connectTo5062 = (server: string) =>
  facts("tcp", server, 5062, {
    origPackets: 2,
    respPackets: 1,
    origSyns: 1,
    origFlags: SYN | ACK,
    respFlags: SYN | ACK,
    historyText: "ShA",
    state: "S1",
  });

/** RTP both ways for 5 s between a client and `server`:`port`/udp. */
const rtpBothWays = (server: string, port: number, o: Options = {}) =>
  facts("udp", server, port, {
    origPackets: 250,
    respPackets: 250,
    origPayload: 250 * 172,
    respPayload: 250 * 172,
    origApp: App.Rtp,
    respApp: App.Rtp,
    last: T0 + 5 * S,
    historyText: "Dd",
    state: "SF",
    ...o,
  });

/** A TCP connection with a completed handshake and TLS from `from` to `server`:5061. */
const tlsTo5061 = (from: string, server: string) =>
  facts("tcp", server, 5061, {
    from,
    origPackets: 4,
    respPackets: 3,
    origSyns: 1,
    origFlags: SYN | ACK | PSH,
    respFlags: SYN | ACK | PSH,
    origPayload: 517,
    respPayload: 1400,
    origApp: App.Tls,
    respApp: App.Tls,
    historyText: "ShADd",
    state: "S1",
  });

/** UDP both ways between the client and another client's 20000/udp (only the clients' range covers it). */
const clientToClient = (o: Options = {}) =>
  facts("udp", "10.1.0.99", 20000, {
    origPackets: 100,
    respPackets: 100,
    origPayload: 100 * 160,
    respPayload: 100 * 160,
    last: T0 + 4 * S,
    historyText: "Dd",
    state: "SF",
    ...o,
  });

/** TLS records both ways to the Front End's 5061/tcp, no SYN or SYN+ACK seen (capture began mid-connection). */
const tlsMidstream = (o: Options = {}) =>
  facts("tcp", FRONT_END, 5061, {
    origPackets: 4,
    respPackets: 4,
    origFlags: ACK | PSH,
    respFlags: ACK | PSH,
    origPayload: 800,
    respPayload: 900,
    origApp: App.Tls,
    respApp: App.Tls,
    historyText: "Dd",
    state: "OTH",
    ...o,
  });

/** UDP both ways to the Front End's 50010 (its media range), payload unidentified. */
const unidentifiedToFrontEndMedia = (o: Options = {}) =>
  facts("udp", FRONT_END, 50010, {
    origPackets: 20,
    respPackets: 20,
    origPayload: 20 * 100,
    respPayload: 20 * 100,
    historyText: "Dd",
    state: "SF",
    ...o,
  });

/** An ICMP flow from a firewall to the client: a "filtered by policy" unreachable quoting a SYN to the Edge's 5062. */
const icmpToClient = (o: Options = {}) => {
  const quote: IcmpQuote = {
    ...unreachable(FIREWALL, 13),
    proto: IPPROTO_TCP,
    src: ipWords(CLIENT),
    srcPort: 50000,
    dst: ipWords(EDGE),
    dstPort: 5062,
  };
  return facts("icmp", CLIENT, 0, { from: FIREWALL, origBytes: 70, icmpQuote: quote, ...o });
};

// --- Rows ----------------------------------------------------------------------------------

interface Row {
  name: string;
  flow: FlowFacts;
  verdict: Verdict;
  /** The first reason's code; null: none. */
  code: ReasonCode | null;
  /**
   * "first": the reason the verdict rests on (the default); "listed": evidence or
   * information the README keeps beside another verdict, anywhere in `c.reasons`.
   */
  at?: "first" | "listed";
  /** Classified with TOPOLOGY in the context. */
  topology?: boolean;
  /** The code disagrees with the README on this flow (see the comment on the row). */
  fails?: boolean;
}

const ROWS: Row[] = [
  // blocked
  {
    name: "three SYNs to the Edge's 5062/tcp, never answered",
    flow: synsToEdge(),
    verdict: "blocked",
    code: "syn_no_reply",
  },
  {
    name: "a SYN to the Edge's 5062/tcp, then the client's RST, nothing from the server (RSTOS0)",
    flow: synsToEdge({
      origPackets: 2,
      origSyns: 1,
      origFlags: SYN | RST,
      historyText: "SR",
      state: "RSTOS0",
    }),
    verdict: "blocked",
    code: "syn_no_reply",
  },
  {
    name: "a SYN answered by a reset",
    flow: facts("tcp", FRONT_END, 5065, {
      origSyns: 1,
      origFlags: SYN,
      respPackets: 1,
      respFlags: RST | ACK,
      historyText: "Sr",
      state: "REJ",
    }),
    verdict: "blocked",
    code: "syn_rejected",
  },
  {
    name: "the Front End's SYN+ACK never ACKed, the client retransmitting its SYN twice",
    flow: synAckLost(),
    verdict: "blocked",
    code: "handshake_incomplete",
  },
  {
    // nDPI's synscan.pcap, flow to 64.13.134.52:80: one SYN, four SYN+ACKs, never an ACK.
    name: "one SYN, the server retransmitting its SYN+ACK three times, never acknowledged (it saw no ACK either)",
    flow: synAckLost({ origPackets: 1, origSyns: 1, respPackets: 4 }),
    verdict: "blocked",
    code: "handshake_incomplete",
  },
  {
    name: "one SYN, two SYN+ACKs, then the client's reset: the SYN+ACK reached it",
    flow: synAckLost({ origPackets: 2, origSyns: 1, respPackets: 2, origFlags: SYN | RST }),
    verdict: "known",
    code: null,
  },
  {
    name: "one SYN, one SYN+ACK, then the server's reset: no SYN+ACK was sent again",
    flow: synAckLost({ origPackets: 1, origSyns: 1, respPackets: 2, respFlags: SYN | ACK | RST }),
    verdict: "known",
    code: null,
  },
  {
    name: "one SYN answered by SYN+ACK, an ICMP host unreachable quoting the SYN+ACK (return path)",
    flow: synAckLost({
      origPackets: 1,
      origSyns: 1,
      respPackets: 1,
      icmp: unreachable(FIREWALL, 1),
      icmpQuotesOriginator: false,
    }),
    verdict: "blocked",
    code: "handshake_incomplete",
  },
  {
    name: "a STUN binding request to the Edge's 3478/udp, no reply, an ICMP 'filtered by policy' quoting it",
    flow: stunToEdge({ icmp: unreachable(FIREWALL, 13) }),
    verdict: "blocked",
    code: "icmp_unreachable",
  },
  {
    name: "one SYN answered by SYN+ACK, an ICMP 'filtered by policy' quoting the SYN+ACK (the server's packet): evidence only",
    flow: synAckLost({
      origPackets: 1,
      origSyns: 1,
      respPackets: 1,
      icmp: unreachable(FIREWALL, 13),
      icmpQuotesOriginator: false,
    }),
    verdict: "blocked",
    code: "icmp_unreachable",
    at: "listed",
  },
  {
    name: "a TLS connection to the Front End's 443 that the server answered, an ICMP 'fragmentation needed' quoting the client: evidence only",
    flow: tlsToFrontEnd({ icmp: unreachable(FIREWALL, 4) }),
    verdict: "known",
    code: "icmp_unreachable",
    at: "listed",
  },
  {
    name: "two UDP packets over 2 s to the Edge's STUN port, nothing back",
    flow: udpToEdge(),
    verdict: "blocked",
    code: "udp_no_reply",
  },
  {
    name: "one STUN binding request to the Edge's 3478/udp, no answer",
    flow: stunToEdge(),
    verdict: "blocked",
    code: "udp_no_reply",
  },
  {
    name: "Kerberos to a DC's 88/udp answered with KRB_AP_ERR_SKEW (the client's clock)",
    flow: facts("udp", "10.0.0.5", 88, {
      respPackets: 1,
      origPayload: 300,
      respPayload: 120,
      origApp: App.Kerberos,
      respApp: App.Kerberos,
      historyText: "Dd",
      state: "SF",
      kerberosError: { code: 37, count: 1 },
    }),
    verdict: "known",
    code: "kerberos_error",
  },
  {
    name: "RTP for 5 s to the Front End's media port, nothing back, from a port a SIP 18x announced for a call no 2xx answered: early media",
    flow: rtpToFrontEnd({ ...responderSeen, earlyMedia: (orig: boolean) => orig }),
    verdict: "known",
    code: "early_media",
  },
  {
    name: "RTP for 5 s to the Front End's media port, nothing back on it, the peer's only media back RTCP whose report blocks name this stream, no sender report: it receives and sends no RTP (information)",
    flow: rtpToFrontEnd({
      ...responderSeen,
      mediaFrom: (orig: boolean, kind?: string) => !orig && kind !== "stream",
      rtcpFrom: (orig: boolean) => (orig ? 0 : RTCP_REPORTED_ON),
      rtpSsrc: (orig: boolean) => (orig ? 0x3333 : null),
    }),
    verdict: "known",
    code: "peer_receive_only",
  },
  {
    name: "the same, the peer's RTCP naming no block on this stream (it hears nothing, or another call's): nothing to say",
    flow: rtpToFrontEnd({
      ...responderSeen,
      mediaFrom: (orig: boolean, kind?: string) => !orig && kind !== "stream",
      rtpSsrc: (orig: boolean) => (orig ? 0x3333 : null),
    }),
    verdict: "known",
    code: null,
  },
  {
    name: "the same, the peer's RTCP holding sender reports (it says it sends RTP, none arrived): blocked, one_way_media",
    flow: rtpToFrontEnd({
      ...responderSeen,
      mediaFrom: (orig: boolean, kind?: string) => !orig && kind !== "stream",
      rtcpFrom: (orig: boolean) => (orig ? 0 : RTCP_REPORTED_ON | RTCP_SENDER),
      rtpSsrc: (orig: boolean) => (orig ? 0x3333 : null),
    }),
    verdict: "blocked",
    code: "one_way_media",
  },
  {
    name: "ICE connectivity checks (Binding requests with USERNAME), no answer, the client's media path working within a minute: information",
    flow: iceChecks(3, 3, { mediaWorked: (orig: boolean) => orig }),
    verdict: "known",
    code: "ice_check_unanswered",
  },
  {
    name: "ICE connectivity checks, no answer, no working media path for the client around then",
    flow: iceChecks(3, 3),
    verdict: "blocked",
    code: "udp_no_reply",
  },
  {
    name: "Binding requests without USERNAME (a STUN server's, not ICE checks), no answer, the client's media working",
    flow: iceChecks(3, 0, { mediaWorked: (orig: boolean) => orig }),
    verdict: "blocked",
    code: "udp_no_reply",
  },
  {
    name: "ICE checks mixed with a plain Binding request, no answer, the client's media working",
    flow: iceChecks(3, 2, { mediaWorked: (orig: boolean) => orig }),
    verdict: "blocked",
    code: "udp_no_reply",
  },
  {
    name: "RTP for 5 s to the Front End's media port, nothing back, the Front End seen elsewhere in the capture",
    flow: rtpToFrontEnd(responderSeen),
    verdict: "blocked",
    code: "one_way_media",
  },
  {
    name: "handshake to the Front End's 5061, the client's ClientHello, then the server's reset having sent nothing (RSTR)",
    flow: helloReset(),
    verdict: "blocked",
    code: "reset_after_handshake",
  },
  {
    name: "plain SIP to 5060: a REGISTER refused with 403, never accepted",
    flow: sipOn5060([{ method: "REGISTER", code: 403, count: 2 }]),
    verdict: "blocked",
    code: "sip_error",
  },
  {
    name: "plain SIP to 5060: a REGISTER challenged with 401 three times, never accepted (credentials refused)",
    flow: sipOn5060([{ method: "REGISTER", code: 401, count: 3 }]),
    verdict: "blocked",
    code: "sip_error",
  },
  {
    name: "plain SIP to 5060: an INVITE answered 488, then accepted on a retry (not an error)",
    flow: sipOn5060([
      { method: "INVITE", code: 488, count: 1 },
      { method: "INVITE", code: 200, count: 1 },
    ]),
    verdict: "known",
    code: "sip_error",
    fails: true,
  },
  {
    name: "a SYN to the Front End's 5061 that the capturing host (pktmon) dropped inbound: SYN unanswered and dropped",
    flow: facts("tcp", FRONT_END, 5061, {
      origPackets: 1,
      origSyns: 1,
      origFlags: SYN,
      historyText: "S",
      state: "S0",
      drop: {
        origPackets: 1,
        respPackets: 0,
        firstFrame: 1,
        reason: "INET: transport endpoint was not found",
        direction: 1,
      },
    }),
    verdict: "blocked",
    code: "host_dropped",
  },
  {
    name: "SIP to 5060 answered both ways, one server packet dropped by the capturing host: information",
    flow: sipOn5060([{ method: "REGISTER", code: 200, count: 1 }], {
      drop: { origPackets: 0, respPackets: 1, firstFrame: 7, reason: "Filtered", direction: 2 },
    }),
    verdict: "known",
    code: "host_dropped",
    at: "listed",
  },
  {
    name: "TLS to 5061: the server's fatal alert (handshake_failure) ended the handshake",
    flow: tlsHandshake(
      tlsOutcome({
        alerts: [{ fromClient: false, level: 2, description: 40 }],
        clientChangeCipherSpec: false,
        serverChangeCipherSpec: false,
        clientAppData: 0,
        serverAppData: 0,
      }),
    ),
    verdict: "blocked",
    code: "tls_alert",
  },
  {
    name: "TLS to 5061: a ClientHello, and the server sent nothing back before the client gave up (FIN)",
    flow: tlsHandshake(
      tlsOutcome({
        serverHello: false,
        version: null,
        cipher: null,
        certificates: [],
        chainLength: 0,
        clientChangeCipherSpec: false,
        serverChangeCipherSpec: false,
        clientAppData: 0,
        serverAppData: 0,
      }),
      { respPayload: 0, respFlags: SYN | ACK, historyText: "ShADF", state: "S2" },
    ),
    verdict: "blocked",
    code: "tls_handshake_incomplete",
  },
  {
    name: "TLS to 5061: MTLS asked for a client certificate, the client sent an empty list, the server reset",
    flow: tlsHandshake(
      tlsOutcome({
        certificateRequested: true,
        clientCertificates: 0,
        clientChangeCipherSpec: false,
        serverChangeCipherSpec: false,
        clientAppData: 0,
        serverAppData: 0,
      }),
      { respFlags: SYN | ACK | PSH | RST, historyText: "ShADadR", state: "RSTR" },
    ),
    verdict: "blocked",
    code: "tls_client_certificate_missing",
  },
  {
    name: "MTLS to 5061 seen whole: the client's certificate, keys and ChangeCipherSpec, then the server's reset and no ChangeCipherSpec of its own (UC scenario tester)",
    flow: tlsHandshake(
      tlsOutcome({
        certificateRequested: true,
        clientCertificates: 1,
        serverChangeCipherSpec: false,
        clientAppData: 0,
        serverAppData: 0,
      }),
      { respFlags: SYN | ACK | PSH | RST, historyText: "ShADdaR", state: "RSTR" },
    ),
    verdict: "blocked",
    code: "tls_handshake_incomplete",
  },
  {
    name: "MTLS to 5061: the server reset right after its ServerHelloDone, the client had not answered: the handshake, not the client's certificate (UC scenario tester)",
    flow: tlsHandshake(
      tlsOutcome({
        certificateRequested: true,
        clientChangeCipherSpec: false,
        serverChangeCipherSpec: false,
        clientAppData: 0,
        serverAppData: 0,
      }),
      { respFlags: SYN | ACK | PSH | RST, historyText: "ShADdR", state: "RSTR" },
    ),
    verdict: "blocked",
    code: "tls_handshake_incomplete",
  },
  {
    name: "TLS to 443: the server's certificate, then the client's reset, no keys, no alert: information tls_client_closed (UC scenario tester: a remote client distrusting the Edge's certificate)",
    flow: tlsHandshake(
      tlsOutcome({
        clientChangeCipherSpec: false,
        serverChangeCipherSpec: false,
        clientAppData: 0,
        serverAppData: 0,
      }),
      { historyText: "ShADdR", state: "RSTO" },
    ),
    verdict: "known",
    code: "tls_client_closed",
  },
  {
    name: "TLS to 5061, completed, with a certificate that expired before the connection",
    flow: tlsHandshake(tlsOutcome({ certificates: [certificate({ notAfterMicros: T0 - 86_400_000_000 })] })),
    verdict: "known",
    code: "tls_certificate_expired",
  },
  {
    name: "TLS to 5061, completed, with a certificate valid only from a later date",
    flow: tlsHandshake(tlsOutcome({ certificates: [certificate({ notBeforeMicros: T0 + 86_400_000_000 })] })),
    verdict: "known",
    code: "tls_certificate_not_yet_valid",
  },
  {
    name: "TLS to 5061, completed, the client asking for a name the certificate does not carry",
    flow: tlsHandshake(tlsOutcome({ sni: "sip.contoso.test" })),
    verdict: "known",
    code: "tls_name_mismatch",
  },
  {
    // Office Communicator on Windows XP sends no SNI: the topology's names for the role are the check.
    name: "TLS to 5061 without SNI, the certificate naming none of the names the topology gives Front End Servers",
    flow: tlsHandshake(
      tlsOutcome({ sni: null, certificates: [certificate({ dnsNames: ["other.contoso.test"] })] }),
    ),
    verdict: "known",
    code: "tls_name_mismatch",
    topology: true,
  },
  {
    name: "TLS to 5061, completed, with a self-signed certificate",
    flow: tlsHandshake(
      tlsOutcome({ certificates: [certificate({ issuer: "CN=fe.contoso.test", selfSigned: true })] }),
    ),
    verdict: "known",
    code: "tls_self_signed",
  },
  {
    name: "TLS to 5061, completed in TLS 1.1 (no deployment's default)",
    flow: tlsHandshake(tlsOutcome({ version: 0x0302, cipher: 0x002f })),
    verdict: "known",
    code: "tls_deprecated_version",
  },
  {
    name: "STUN/TURN to the Edge's 3478/udp: two Allocate requests, each challenged with 401, none accepted",
    flow: allocatesRefused([{ code: 401, count: 2 }]),
    verdict: "blocked",
    code: "turn_allocate_failed",
  },
  {
    name: "STUN/TURN to the Edge's 3478/udp: an Allocate challenged with 401, the retry refused with 438 Stale Nonce, none accepted",
    flow: allocatesRefused([
      { code: 401, count: 1 },
      { code: 438, count: 1 },
    ]),
    verdict: "blocked",
    code: "turn_allocate_failed",
  },
  // misdirected
  {
    name: "SIP over UDP to 5061, catalogued only for TCP",
    flow: facts("udp", FRONT_END, 5061, {
      origPayload: 400,
      origApp: App.Sip,
      historyText: "D",
      state: "S0",
    }),
    verdict: "misdirected",
    code: "transport_mismatch",
  },
  {
    name: "SIP in the clear to the Front End's MTLS port 5061/tcp",
    flow: sipToMtls(),
    verdict: "misdirected",
    code: "protocol_mismatch",
  },
  {
    name: "a client connecting to 5062/tcp on the Mediation Server (Front End and Edge rows list 5062)",
    flow: connectTo5062(MEDIATION),
    verdict: "misdirected",
    code: "role_mismatch",
    topology: true,
  },
  {
    name: "RTP between a client and the Mediation Server's 50010/udp, outside its range 60000-64000",
    flow: rtpBothWays(MEDIATION, 50010),
    verdict: "misdirected",
    code: "range_mismatch",
    topology: true,
  },
  {
    name: "the Front End opening 5061/tcp to a client",
    flow: tlsTo5061(FRONT_END, CLIENT),
    verdict: "misdirected",
    code: "wrong_direction",
    topology: true,
  },
  // known
  {
    name: "RTP both ways between two clients on 20000/udp (only the clients' range covers it)",
    flow: clientToClient({ origApp: App.Rtp, respApp: App.Rtp }),
    verdict: "known",
    code: "client_media",
  },
  {
    name: "plain SIP to 5060: a REGISTER challenged with 401, then accepted",
    flow: sipOn5060([
      { method: "REGISTER", code: 401, count: 1 },
      { method: "REGISTER", code: 200, count: 1 },
    ]),
    verdict: "known",
    code: "sip_auth",
  },
  {
    name: "unidentified UDP both ways between two addresses a topology puts in client networks",
    flow: clientToClient(),
    verdict: "known",
    code: "client_media",
    topology: true,
  },
  {
    name: "TLS both ways to the Front End's 5061, no SYN seen: the port works, midstream is information",
    flow: tlsMidstream(),
    verdict: "known",
    code: "midstream",
    at: "listed",
  },
  // inconclusive
  {
    name: "TLS from the client to the Front End's 5061, no SYN seen, nothing from the server",
    flow: tlsMidstream({ respPackets: 0, respFlags: 0, respPayload: 0, respApp: App.None, historyText: "D" }),
    verdict: "inconclusive",
    code: "midstream",
  },
  {
    name: "data from the client to the Front End's 5061, no SYN seen, answered only by a lone RST (RSTRH)",
    flow: tlsMidstream({
      respPackets: 1,
      respFlags: RST,
      respPayload: 0,
      respApp: App.None,
      historyText: "Dr",
      state: "RSTRH",
    }),
    verdict: "inconclusive",
    code: "midstream",
  },
  {
    name: "a lone RST from the client to the Front End's 5061, nothing else",
    flow: tlsMidstream({
      origPackets: 1,
      respPackets: 0,
      origFlags: RST,
      respFlags: 0,
      origPayload: 0,
      respPayload: 0,
      origApp: App.None,
      respApp: App.None,
      historyText: "R",
    }),
    verdict: "inconclusive",
    code: "midstream",
  },
  {
    name: "a SYN in the last 3 s of the capture, not yet answered",
    flow: synsToEdge({ origPackets: 1, origSyns: 1, first: T0 + 59 * S, last: T0 + 59 * S }),
    verdict: "inconclusive",
    code: "near_capture_end",
  },
  {
    name: "a STUN binding request in the last 3 s of the capture, not yet answered",
    flow: stunToEdge({ first: T0 + 58 * S, last: T0 + 58 * S }),
    verdict: "inconclusive",
    code: "near_capture_end",
  },
  {
    name: "three SYNs to the Edge's 5062/tcp, then the client ACKs and sends data, nothing from the server captured",
    flow: synsToEdge({
      origPackets: 5,
      origFlags: SYN | ACK | PSH,
      origPayload: 517,
      origApp: App.Tls,
      historyText: "SAD",
    }),
    verdict: "inconclusive",
    code: "one_sided_capture",
  },
  {
    name: "RTP for 5 s to the Front End's media port, nothing back, no packet at all from the Front End in the capture",
    flow: rtpToFrontEnd(),
    verdict: "inconclusive",
    code: "one_sided_capture",
  },
  // unknown
  {
    name: "SSH on 22/tcp: other traffic, whatever the port",
    flow: facts("tcp", "10.0.0.1", 22, {
      origPackets: 2,
      respPackets: 2,
      origPayload: 30,
      respPayload: 30,
      origApp: App.Ssh,
      respApp: App.Ssh,
      historyText: "ShAd",
      state: "S1",
    }),
    verdict: "unknown",
    code: "other_protocol",
  },
  {
    name: "QUIC to the Edge's 3478/udp: other traffic on an OCS port",
    flow: udpToEdge({ origApp: App.Quic, respApp: App.Quic, respPackets: 2, historyText: "Dd", state: "SF" }),
    verdict: "unknown",
    code: "other_protocol",
  },
  {
    name: "TLS to the Front End's 135/tcp, whose rows take only DCE/RPC",
    flow: sipToMtls({ respPort: 135, origApp: App.Tls, origPayload: 517 }),
    verdict: "unknown",
    code: "other_protocol",
  },
  {
    name: "unidentified UDP both ways to the Front End's 50010 (a server media range), no topology",
    flow: unidentifiedToFrontEndMedia(),
    verdict: "unknown",
    code: "media_range_only",
  },
  {
    name: "unidentified TCP both ways to the Edge's 50010/tcp (its media range), no topology",
    flow: facts("tcp", EDGE, 50010, {
      origPackets: 5,
      respPackets: 4,
      origSyns: 1,
      origFlags: SYN | ACK | PSH,
      respFlags: SYN | ACK | PSH,
      origPayload: 300,
      respPayload: 300,
      historyText: "ShADd",
      state: "S1",
    }),
    verdict: "unknown",
    code: "media_range_only",
  },
  {
    name: "TCP to 3389 on a client: only the clients' media range covers it, no media",
    flow: answeredTcp("10.1.0.99", 3389),
    verdict: "unknown",
    code: "client_range_only",
  },
  {
    name: "a client's TLS to 443 on an Internet address the topology gives no role, the Front End placed elsewhere",
    flow: tlsToFrontEnd({
      addrWord: (orig: boolean, w: number) => (w < 3 ? 0 : ipWord(orig ? CLIENT : "204.79.197.200")),
    }),
    verdict: "unknown",
    code: "outside_topology",
    topology: true,
  },
  {
    name: "unidentified UDP both ways between two clients on 20000/udp, no topology",
    flow: clientToClient(),
    verdict: "unknown",
    code: "client_range_only",
  },
  {
    name: "a port no catalog row lists (161/udp, no payload identified)",
    flow: facts("udp", "10.0.0.1", 161, { origPayload: 40, historyText: "D", state: "S0" }),
    verdict: "unknown",
    code: "not_in_catalog",
  },
  {
    name: "an ICMP echo request: not TCP or UDP",
    flow: facts("icmp", "10.0.0.1", 0, { origBytes: 98 }),
    verdict: "unknown",
    code: "not_in_catalog",
  },
  {
    name: "an ICMP 'filtered by policy' quoting a SYN to the Edge's 5062 that the capture does not hold",
    flow: icmpToClient(),
    verdict: "unknown",
    code: "icmp_unmatched",
  },
];

/** The same flows changed in one fact, so the rule no longer applies: `absent` is not in `c.reasons`. */
const NEAR_MISSES: {
  name: string;
  flow: FlowFacts;
  verdict: Verdict;
  absent: ReasonCode;
  topology?: boolean;
}[] = [
  {
    name: "TLS to 5061, completed in TLS 1.0 (OCS 2007 R2's default, so not called deprecated)",
    flow: tlsHandshake(tlsOutcome({ version: 0x0301, cipher: 0x002f })),
    verdict: "known",
    absent: "tls_deprecated_version",
  },
  {
    // The server name is one the topology gives the Front End: a pool address the file lacks.
    name: "a client's TLS to 443 on an address in no role, with the Front End's name pool.contoso.test",
    flow: tlsToFrontEnd({
      addrWord: (orig: boolean, w: number) => (w < 3 ? 0 : ipWord(orig ? CLIENT : "10.0.0.99")),
      sni: "pool.contoso.test",
    }),
    verdict: "known",
    absent: "outside_topology",
    topology: true,
  },
  {
    // SIP is OCS's own: a server the file lacks, not other traffic.
    name: "a client's SIP to 5060 on an address in no role",
    flow: facts("tcp", "10.0.0.99", 5060, {
      origPackets: 4,
      respPackets: 3,
      origPayload: 300,
      respPayload: 200,
      origApp: App.Sip,
      respApp: App.Sip,
      historyText: "ShADadFf",
      state: "SF",
    }),
    verdict: "known",
    absent: "outside_topology",
    topology: true,
  },
  {
    // The topology places the Front End at this very address: its 443.
    name: "a client's TLS to the Front End's 443, where the topology places it",
    flow: tlsToFrontEnd(),
    verdict: "known",
    absent: "outside_topology",
    topology: true,
  },
  {
    // 300 Try Alternate sends the client to another Edge: a redirection, not a refusal.
    name: "an Allocate challenged with 401, then redirected with 300 Try Alternate",
    flow: allocatesRefused([
      { code: 401, count: 1 },
      { code: 300, count: 1 },
    ]),
    verdict: "known",
    absent: "turn_allocate_failed",
  },
  {
    // The client ended the handshake itself (the server's certificate expired): it never reached its Certificate.
    name: "MTLS asked for a client certificate, and the client answered the server's certificate with a fatal certificate_expired",
    flow: tlsHandshake(
      tlsOutcome({
        certificateRequested: true,
        clientCertificates: null,
        alerts: [{ fromClient: true, level: 2, description: 45 }],
        clientChangeCipherSpec: false,
        serverChangeCipherSpec: false,
        clientAppData: 0,
        serverAppData: 0,
      }),
      { historyText: "ShADadFf", state: "SF" },
    ),
    verdict: "blocked",
    absent: "tls_client_certificate_missing",
  },
  {
    // WMI/DCOM management reaches every Windows server on 135, whatever its role.
    name: "a DCE/RPC bind from an admin PC to 135/tcp on the Mediation Server (only Front End, Monitoring and Archiving rows list 135)",
    flow: facts("tcp", MEDIATION, 135, {
      origPackets: 4,
      respPackets: 3,
      origPayload: 72,
      respPayload: 60,
      origApp: App.DceRpc,
      respApp: App.DceRpc,
      historyText: "ShADdaFf",
      state: "SF",
    }),
    verdict: "known",
    absent: "role_mismatch",
    topology: true,
  },
  {
    // README: udp_no_reply is not for SNMP traps or flow export, which only ever send one way.
    name: "two SNMP traps over 2 s to a manager's 162/udp, nothing back",
    flow: facts("udp", "10.0.0.1", 162, {
      origPackets: 2,
      origPayload: 2 * 90,
      origApp: App.Snmp,
      last: T0 + 2 * S,
      historyText: "D",
      state: "S0",
    }),
    verdict: "unknown",
    absent: "udp_no_reply",
  },
  {
    name: "three SYNs to the Edge's 5062/tcp, the client then ACKing: a reply reached it",
    flow: synsToEdge({ origFlags: SYN | ACK, historyText: "SA" }),
    verdict: "inconclusive",
    absent: "syn_no_reply",
  },
  {
    name: "the Front End's SYN+ACK not ACKed, but the client sent its SYN only once",
    flow: synAckLost({ origPackets: 1, origSyns: 1, respPackets: 1 }),
    verdict: "known",
    absent: "handshake_incomplete",
  },
  {
    name: "the STUN binding request to the Edge's 3478/udp, no reply, no ICMP error",
    flow: stunToEdge(),
    verdict: "blocked",
    absent: "icmp_unreachable",
  },
  {
    name: "only 1 UDP packet to the Edge's STUN port, no STUN request in it",
    flow: udpToEdge({ origPackets: 1, last: T0 }),
    verdict: "known",
    absent: "udp_no_reply",
  },
  {
    name: "two UDP packets to the Edge's STUN port over 0.5 s only",
    flow: udpToEdge({ last: T0 + S / 2 }),
    verdict: "known",
    absent: "udp_no_reply",
  },
  {
    name: "RTP for 5 s to the Front End's media port, the Front End sending its media on another 5-tuple",
    flow: rtpToFrontEnd({ ...responderSeen, mediaFrom: (orig: boolean) => !orig }),
    verdict: "known",
    absent: "one_way_media",
  },
  {
    name: "handshake, the client's ClientHello, the server's data, then its reset",
    flow: helloReset({ respPackets: 3, respPayload: 1400, historyText: "ShADdr" }),
    verdict: "known",
    absent: "reset_after_handshake",
  },
  {
    name: "TLS, not SIP in the clear, to the Front End's MTLS port 5061/tcp",
    flow: sipToMtls({ origApp: App.Tls }),
    verdict: "known",
    absent: "protocol_mismatch",
  },
  {
    name: "STUN over TCP to the Edge's 443, whose rows allow STUN/TCP beside TLS",
    flow: facts("tcp", EDGE, 443, {
      origPackets: 3,
      respPackets: 2,
      origSyns: 1,
      origFlags: SYN | ACK | PSH,
      respFlags: SYN | ACK | PSH,
      origPayload: 100,
      respPayload: 100,
      origApp: App.Stun,
      respApp: App.Stun,
      historyText: "ShADd",
      state: "S1",
    }),
    verdict: "known",
    absent: "protocol_mismatch",
  },
  {
    name: "a client connecting to 5062/tcp on the Front End",
    flow: connectTo5062(FRONT_END),
    verdict: "known",
    absent: "role_mismatch",
    topology: true,
  },
  {
    name: "RTP between a client and the Mediation Server's 60010/udp, inside its range",
    flow: rtpBothWays(MEDIATION, 60010),
    verdict: "known",
    absent: "range_mismatch",
    topology: true,
  },
  {
    name: "a client opening 5061/tcp to the Front End",
    flow: tlsTo5061(CLIENT, FRONT_END),
    verdict: "known",
    absent: "wrong_direction",
    topology: true,
  },
  {
    name: "TLS both ways to the Front End's 5061, the handshake seen",
    flow: tlsMidstream({
      origSyns: 1,
      origFlags: SYN | ACK | PSH,
      respFlags: SYN | ACK | PSH,
      historyText: "ShADd",
      state: "S1",
    }),
    verdict: "known",
    absent: "midstream",
  },
  {
    name: "a SYN 4 s before the capture's end, not answered",
    flow: synsToEdge({ origPackets: 1, origSyns: 1, first: T0 + 56 * S, last: T0 + 56 * S }),
    verdict: "blocked",
    absent: "near_capture_end",
  },
  {
    name: "RTP both ways to the Front End's 50010/udp (its media range)",
    flow: unidentifiedToFrontEndMedia({ origApp: App.Rtp, respApp: App.Rtp }),
    verdict: "known",
    absent: "media_range_only",
  },
  {
    name: "unidentified UDP both ways to the Front End's 50010/udp, a topology placing the Front End",
    flow: unidentifiedToFrontEndMedia(),
    verdict: "known",
    absent: "media_range_only",
    topology: true,
  },
  {
    // Hostile review: a user who declines an incoming call is no network failure.
    name: "plain SIP to 5060: the client accepted, then declined the server's INVITE with 480 (an incoming call)",
    flow: sipOn5060([
      { method: "REGISTER", code: 200, count: 1 },
      { method: "INVITE", code: 480, count: 1, by: "client" },
    ]),
    verdict: "known",
    absent: "sip_error",
  },
  {
    name: "plain SIP to 5060: a REGISTER challenged twice with 401 (NTLM's two legs), the capture ending there",
    flow: sipOn5060([{ method: "REGISTER", code: 401, count: 2 }]),
    verdict: "known",
    absent: "sip_error",
  },
  {
    name: "TLS to 5061 whose certificate names the SNI through a wildcard",
    flow: tlsHandshake(
      tlsOutcome({ sni: "web.contoso.test", certificates: [certificate({ dnsNames: ["*.contoso.test"] })] }),
    ),
    verdict: "known",
    absent: "tls_name_mismatch",
  },
  {
    name: "TLS to 5061 without SNI, its certificate naming one of the names the topology gives Front End Servers",
    flow: tlsHandshake(
      tlsOutcome({ sni: null, certificates: [certificate({ dnsNames: ["pool.contoso.test"] })] }),
    ),
    verdict: "known",
    absent: "tls_name_mismatch",
    topology: true,
  },
  {
    name: "TLS to 5061 without SNI and without a topology: no name to check the certificate against",
    flow: tlsHandshake(
      tlsOutcome({ sni: null, certificates: [certificate({ dnsNames: ["other.contoso.test"] })] }),
    ),
    verdict: "known",
    absent: "tls_name_mismatch",
  },
  {
    name: "TLS to 5061: MTLS asked, no certificate sent, but the handshake completed (optional client authentication)",
    flow: tlsHandshake(tlsOutcome({ certificateRequested: true, clientCertificates: 0 })),
    verdict: "known",
    absent: "tls_alert",
  },
  {
    name: "TLS to 5061: the server answered (ServerHello) and the client closed without an alert: not the server's failure",
    flow: tlsHandshake(
      tlsOutcome({
        clientChangeCipherSpec: false,
        serverChangeCipherSpec: false,
        clientAppData: 0,
        serverAppData: 0,
      }),
    ),
    verdict: "known",
    absent: "tls_handshake_incomplete",
  },
  {
    name: "an ICMP echo request between the firewall and the client: no quoted flow",
    flow: icmpToClient({ icmpQuote: null }),
    verdict: "unknown",
    absent: "icmp_unmatched",
  },
];

const index = new CatalogIndex();
const TOPOLOGY = parseTopology(
  [
    "roles:",
    `  Front End Servers: [${FRONT_END}]`,
    `  Mediation Server: [${MEDIATION}]`,
    `  Edge Server: [${EDGE}]`,
    "clients: [10.1.0.0/16]",
    "names:",
    "  Front End Servers: [pool.contoso.test]",
    "",
  ].join("\n"),
  "classify-facts.yaml",
  index.roles(),
);
const context = (topology: boolean | undefined): ClassifyContext => ({
  captureEnd: CAPTURE_END,
  topology: topology ? TOPOLOGY : null,
});

/** The README's reason table: code → verdict. */
function readmeReasonRows(): RegExpMatchArray[] {
  const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");
  const start = readme.indexOf("| reason code | verdict | meaning |");
  const table = readme.slice(start, readme.indexOf("\n\n", start));
  return [...table.matchAll(/^\| `([a-z_]+)` \| ([a-z]+) \| .* \| ([^|]+) \|$/gm)];
}

function readmeVerdicts(): Map<string, string> {
  return new Map(readmeReasonRows().map((m) => [m[1]!, m[2]!]));
}

describe("classification on plain FlowFacts objects", () => {
  for (const row of ROWS) {
    const at = row.at ?? "first";
    const test = row.fails ? it.fails : it;
    test(`${row.name}: ${row.verdict}, ${row.code}${at === "listed" ? " (listed)" : ""}`, () => {
      const c = classifyFlow(row.flow, index, context(row.topology));
      if (at === "first") {
        expect([c.verdict, c.reasons[0]?.code ?? null]).toEqual([row.verdict, row.code]);
      } else {
        expect(c.verdict).toBe(row.verdict);
        expect(c.reasons.map((r) => r.code)).toContain(row.code);
      }
    });
  }

  it("has a row for every code in REASON_CODES", () => {
    const covered = new Set(ROWS.map((r) => r.code));
    expect(REASON_CODES.filter((code) => !covered.has(code))).toEqual([]);
  });

  it("gives every code, in some row where it comes first, the verdict of the README's reason table", () => {
    const readme = readmeVerdicts();
    expect([...readme.keys()].sort()).toEqual([...REASON_CODES].sort());
    const missing = REASON_CODES.filter(
      (code) =>
        !ROWS.some(
          (r) =>
            r.code === code && (r.at ?? "first") === "first" && !r.fails && r.verdict === readme.get(code),
        ),
    );
    expect(missing).toEqual([]);
  });

  it("has the README's 'what to check' column as the guidance every human format prints", () => {
    const readme = new Map(readmeReasonRows().map((m) => [m[1]!, m[3]!]));
    expect(Object.fromEntries(readme)).toEqual(REASON_GUIDANCE);
  });
});

describe("near misses: one fact changed, the rule no longer applies", () => {
  for (const row of NEAR_MISSES) {
    it(`${row.name}: ${row.verdict}, no ${row.absent}`, () => {
      const c = classifyFlow(row.flow, index, context(row.topology));
      expect(c.verdict).toBe(row.verdict);
      expect(c.reasons.map((r) => r.code)).not.toContain(row.absent);
    });
  }

  it("covers at least 4 codes", () => {
    expect(new Set(NEAR_MISSES.map((r) => r.absent)).size).toBeGreaterThanOrEqual(4);
  });
});

/**
 * What the README's `icmp_unreachable` row names an ICMP code: "filtered by policy (ICMP codes
 * 9, 10, 13; ICMPv6 1), closed port (ICMP 3; ICMPv6 4), or no route (the rest)".
 */
const ICMP_CATEGORIES: { v6: boolean; code: number; category: IcmpCategory; fails?: boolean }[] = [
  { v6: false, code: 0, category: "no_route" },
  { v6: false, code: 1, category: "no_route" },
  { v6: false, code: 2, category: "closed" },
  { v6: false, code: 3, category: "closed" },
  { v6: false, code: 4, category: "too_big" },
  { v6: false, code: 9, category: "filtered" },
  { v6: false, code: 10, category: "filtered" },
  { v6: false, code: 13, category: "filtered" },
  { v6: true, code: 0, category: "no_route" },
  { v6: true, code: 1, category: "filtered" },
  { v6: true, code: 3, category: "no_route" },
  { v6: true, code: 4, category: "closed" },
];

describe("the category an icmp_unreachable names, as the README's row gives it", () => {
  for (const row of ICMP_CATEGORIES) {
    const test = row.fails ? it.fails : it;
    test(`${row.v6 ? "ICMPv6" : "ICMP"} unreachable code ${row.code}: ${row.category}`, () => {
      const icmp: IcmpEvidence = {
        ...unreachable(FIREWALL, row.code),
        ...(row.v6 ? { v6: true, type: ICMPV6_UNREACHABLE, family: 6 } : {}),
      };
      const c = classifyFlow(stunToEdge({ family: row.v6 ? 6 : 4, icmp }), index, context(false));
      const r = c.reasons[0];
      expect([c.verdict, r?.code === "icmp_unreachable" ? r.details.category : r?.code]).toEqual([
        "blocked",
        row.category,
      ]);
    });
  }
});

describe("reason lists shared between flows (portReasons)", () => {
  const unknownTo = (port: number, o: Options = {}) =>
    facts("udp", "10.0.0.1", port, { origPayload: 40, historyText: "D", state: "S0", ...o });

  it("one frozen list for flows with the same facts, another where a fact differs", () => {
    const a = classifyFlow(unknownTo(161), index, context(false));
    const b = classifyFlow(unknownTo(161, { origPort: 40001 }), index, context(false));
    const other = classifyFlow(unknownTo(162), index, context(false));
    expect([a.reasons[0]?.code, other.reasons[0]?.code]).toEqual(["not_in_catalog", "not_in_catalog"]);
    expect(b.reasons).toBe(a.reasons);
    expect(
      Object.isFrozen(a.reasons) && Object.isFrozen(a.reasons[0]) && Object.isFrozen(a.reasons[0]?.details),
    ).toBe(true);
    expect(other.reasons).not.toBe(a.reasons);
    expect(other.reasons[0]?.details).toEqual({ transport: "udp", port: 162 });
    // Evidence beside the reason makes a list of the flow's own, which starts with the shared reason.
    const late = classifyFlow(
      unknownTo(161, { first: CAPTURE_END - S, last: CAPTURE_END - S }),
      index,
      context(false),
    );
    expect(late.reasons.length === 1 ? late.reasons : late.reasons.slice(0, 1)).toEqual(a.reasons);
  });

  it("past the cache's 4,096 lists it starts again, and a list made then is shared too", () => {
    let last = portReasons("not_in_catalog", "", "udp", 0);
    for (let port = 1; port <= 5000; port++) {
      const list = portReasons("not_in_catalog", "", "udp", port);
      expect(portReasons("not_in_catalog", "", "udp", port)).toBe(list);
      expect(list[0]?.details).toEqual({ transport: "udp", port });
      last = list;
    }
    expect(portReasons("not_in_catalog", "", "udp", 5000)).toBe(last);
    expect(portReasons("other_protocol", "ssh", "udp", 5000)[0]).toEqual({
      code: "other_protocol",
      details: { protocol: "ssh", transport: "udp", port: 5000 },
    });
  });

  it("the client range in the list comes from the run's catalog, not an earlier one's", () => {
    const flow = () => answeredTcp("10.0.0.1", 8080);
    const builtIn = classifyFlow(flow(), index, context(false));
    expect(builtIn.reasons[0]?.code).toBe("client_range_only");
    const narrower = new CatalogIndex(
      index.entries.map((e) =>
        e.clientRange && e.ports.some((p) => p.first <= 8080 && p.last >= 8080)
          ? { ...e, ports: [{ first: 8000, last: 9000 }] }
          : e,
      ),
    );
    const custom = classifyFlow(flow(), narrower, context(false));
    expect(custom.reasons[0]?.code).toBe("client_range_only");
    // The built-in catalog's client range for 8080/tcp (seed rows of the clients' own ports).
    expect([builtIn.reasons[0]?.details, custom.reasons[0]?.details]).toEqual([
      { transport: "tcp", port: 8080, range: "1024-65535" },
      { transport: "tcp", port: 8080, range: "8000-9000" },
    ]);
  });
});

/** A TCP connection both sides answered (three packets and two, the handshake seen), no payload identified. */
function answeredTcp(server: string, port: number): FlowFacts {
  return facts("tcp", server, port, {
    origPackets: 3,
    respPackets: 2,
    origSyns: 1,
    origFlags: SYN | ACK,
    respFlags: SYN | ACK,
    historyText: "ShADd",
    state: "S1",
  });
}

describe("wrong_direction reads only the ports clients connect to (portUse connect)", () => {
  const sfb = new CatalogIndex(productCatalog(["sfb2019"]));
  const topology = parseTopology(
    ["roles:", `  Front End Servers: [${FRONT_END}]`, "clients: [10.1.0.0/16]", ""].join("\n"),
    "sfb.yaml",
    sfb.roles(),
  );
  const at = { captureEnd: CAPTURE_END, topology };
  it("a DHCP answer from a Front End to a client's own port 68/udp (a client listen row) is not wrong_direction", () => {
    const c = classifyFlow(facts("udp", CLIENT, 68, { from: FRONT_END, origPort: 67 }), sfb, at);
    expect(c.reasons.map((r) => r.code)).not.toContain("wrong_direction");
    expect(c.verdict).toBe("known");
  });
  it("a Front End opening the clients' 5061/tcp (a client connect row) is", () => {
    const c = classifyFlow(
      facts("tcp", CLIENT, 5061, { from: FRONT_END, historyText: "S", state: "S0" }),
      sfb,
      at,
    );
    expect([c.verdict, c.reasons[0]?.code]).toEqual(["misdirected", "wrong_direction"]);
  });
});

describe("a 'closed port' ICMP error says who sent it", () => {
  const text = (sender: string) => {
    const c = classifyFlow(stunToEdge({ icmp: unreachable(sender, 3) }), index, context(false));
    expect([c.verdict, c.reasons[0]?.code]).toEqual(["blocked", "icmp_unreachable"]);
    return reasonText(c.reasons[0]!);
  };
  it("from the server itself: nothing listens there", () => {
    expect(text(EDGE)).toMatch(/from 10\.0\.0\.30: closed port \(nothing listens there\)$/);
  });
  it("from a firewall (iptables' REJECT answers with port unreachable): rejected on the way", () => {
    expect(text(FIREWALL)).toMatch(
      /from 10\.0\.0\.254: rejected on the way: the sender is not the destination, so a firewall or router answers for the port/,
    );
    // The terminal's one-line form says the same.
    const c = classifyFlow(stunToEdge({ icmp: unreachable(FIREWALL, 3) }), index, context(false));
    expect(reasonBrief(c.reasons[0]!)).toBe("ICMP 3/3 from 10.0.0.254: rejected on the way");
  });
});

describe("x.x.x.255 is a broadcast address unless the topology says it is a host", () => {
  const topology = parseTopology(
    [
      "roles:",
      "  Edge Server: [10.0.1.255]",
      "  Mediation Server: [10.2.0.0/16]",
      "clients: [10.1.0.0/16]",
      "",
    ].join("\n"),
    "hosts.yaml",
    index.roles(),
  );
  /** STUN requests from the client to `to`:50010, never answered; `to` ends in .255. */
  const checksTo = (to: string) =>
    stunToEdge({
      addrWord: (orig: boolean, w: number) => (w < 3 ? 0 : ipWord(orig ? CLIENT : to)),
      respPort: 50010,
      toGroupAddress: true,
    });
  const unanswered = (to: string, withTopology: boolean) =>
    classifyFlow(checksTo(to), index, { captureEnd: CAPTURE_END, topology: withTopology ? topology : null })
      .reasons.map((r) => r.code)
      .includes("udp_no_reply");
  it("without a topology every x.x.x.255 is taken for a /24's broadcast", () => {
    expect(unanswered("10.0.1.255", false)).toBe(false);
  });
  it("an address the topology lists for a role, or one inside a role's network, is a host", () => {
    expect([unanswered("10.0.1.255", true), unanswered("10.2.3.255", true)]).toEqual([true, true]);
  });
  it("a role network's last address, and any x.x.x.255 of a client network (a summary of /24s), stay broadcasts", () => {
    expect([unanswered("10.2.255.255", true), unanswered("10.1.3.255", true)]).toEqual([false, false]);
  });
});

describe("tls_client_certificate_missing after the client's own alert", () => {
  it("stays when the client gave up with handshake_failure (40), not a certificate alert", () => {
    const flow = tlsHandshake(
      tlsOutcome({
        certificateRequested: true,
        clientCertificates: null,
        alerts: [{ fromClient: true, level: 2, description: 40 }],
        clientChangeCipherSpec: false,
        serverChangeCipherSpec: false,
        clientAppData: 0,
        serverAppData: 0,
      }),
      { historyText: "ShADadFf", state: "SF" },
    );
    const c = classifyFlow(flow, index, context(false));
    expect(c.reasons.map((r) => r.code)).toEqual(
      expect.arrayContaining(["tls_alert", "tls_client_certificate_missing"]),
    );
  });
});

describe("role_mismatch on 135 (DCE/RPC)", () => {
  const topology = parseTopology(
    ["roles:", `  Edge Server: [${EDGE}]`, "clients: [10.1.0.0/16]", "external: [198.51.100.0/24]", ""].join(
      "\n",
    ),
    "rpc.yaml",
    index.roles(),
  );
  const bind = (from: string) =>
    facts("tcp", EDGE, 135, {
      from,
      origPackets: 4,
      respPackets: 3,
      origPayload: 72,
      respPayload: 60,
      origApp: App.DceRpc,
      respApp: App.DceRpc,
      historyText: "ShADdaFf",
      state: "SF",
    });
  const codes = (from: string) =>
    classifyFlow(bind(from), index, { captureEnd: CAPTURE_END, topology }).reasons.map((r) => r.code);
  it("none from an admin PC inside (WMI and DCOM reach every Windows server on 135)", () => {
    expect(codes(CLIENT)).not.toContain("role_mismatch");
  });
  it("still from an external network to the Edge", () => {
    expect(codes("198.51.100.77")).toContain("role_mismatch");
  });
});
