/**
 * TCP connection state in Zeek's terms.
 *
 * Each endpoint walks Zeek's endpoint states (INACTIVE, SYN_SENT,
 * SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET) as its own packets
 * arrive; `connState` then maps the pair to a conn.log `conn_state`. The rules
 * are Zeek's, restated from the conn.log documentation and the `conn_state`
 * function in `base/protocols/conn/main.zeek`, and from the endpoint
 * transitions of Zeek's TCP session adapter:
 *
 * - An inactive endpoint that sends a SYN becomes SYN_SENT (SYN_ACK_SENT if
 *   the originator sends SYN+ACK). A responder's SYN+ACK establishes both
 *   sides when the originator is in SYN_SENT.
 * - FIN closes the sender (CLOSED); RST resets it (RESET). A FIN answering a
 *   peer that sent FIN then RST turns that peer back to CLOSED.
 * - An inactive endpoint that sends anything else becomes PARTIAL, except a
 *   pure ACK answering an established peer (the SYN was missed), which
 *   establishes it, and an empty responder packet while the originator is in
 *   SYN_SENT, which changes nothing.
 */

import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from "../decode/constants.js";

export enum EndpointState {
  Inactive = 0,
  SynSent = 1,
  SynAckSent = 2,
  Partial = 3,
  Established = 4,
  Closed = 5,
  Reset = 6,
}

/**
 * An endpoint is packed into one small integer, so a flow holds no endpoint
 * objects: bits 0–3 the current state, bits 4–7 the previous one.
 */
export type PackedEndpoint = number;

export const INACTIVE_ENDPOINT: PackedEndpoint = EndpointState.Inactive;

export function endpointState(ep: PackedEndpoint): EndpointState {
  return (ep & 0x0f) as EndpointState;
}

function set(ep: PackedEndpoint, next: EndpointState): PackedEndpoint {
  return ((ep & 0x0f) << 4) | next;
}

/** Result of `updateTcpState`: the sender's new endpoint in bits 0–7, the peer's in bits 8–15. */
export function packPair(ep: PackedEndpoint, peer: PackedEndpoint): number {
  return ep | (peer << 8);
}

/**
 * Advances the sender's endpoint (and, for a SYN+ACK or a FIN after the
 * peer's FIN+RST, the peer's) for one segment. `fromOrig` is relative to the
 * current roles; `origState` is the originator's current state.
 */
export function updateTcpState(
  ep: PackedEndpoint,
  peer: PackedEndpoint,
  origState: EndpointState,
  fromOrig: boolean,
  flags: number,
  payloadLen: number,
): number {
  const state = ep & 0x0f;
  const peerState = peer & 0x0f;
  switch (state) {
    case EndpointState.Inactive: {
      if (flags & TCP_SYN) {
        if (fromOrig) {
          ep = set(ep, flags & TCP_ACK ? EndpointState.SynAckSent : EndpointState.SynSent);
        } else {
          if (peerState === EndpointState.SynSent) peer = set(peer, EndpointState.Established);
          ep = set(ep, EndpointState.Established);
        }
      }
      if (flags & TCP_FIN) ep = set(ep, EndpointState.Closed);
      if (flags & TCP_RST) ep = set(ep, EndpointState.Reset);
      if ((ep & 0x0f) === EndpointState.Inactive) {
        if (!fromOrig && payloadLen === 0 && origState === EndpointState.SynSent) {
          // An early ACK of the SYN before the SYN+ACK: not a partial connection.
        } else if (flags & TCP_ACK && (peer & 0x0f) === EndpointState.Established) {
          ep = set(ep, EndpointState.Established);
        } else {
          ep = set(ep, EndpointState.Partial);
        }
      }
      break;
    }
    case EndpointState.SynSent:
    case EndpointState.SynAckSent:
      if (flags & TCP_FIN) ep = set(ep, EndpointState.Closed);
      if (flags & TCP_RST) ep = set(ep, EndpointState.Reset);
      break;
    case EndpointState.Established:
    case EndpointState.Partial:
      if (
        flags & TCP_SYN &&
        state === EndpointState.Partial &&
        peerState === EndpointState.Inactive &&
        !(flags & TCP_ACK)
      ) {
        ep = set(ep, EndpointState.SynSent);
      }
      if (flags & TCP_FIN && !(flags & TCP_RST)) {
        ep = set(ep, EndpointState.Closed);
        if (peerState === EndpointState.Reset && peer >> 4 === EndpointState.Closed)
          peer = set(peer, EndpointState.Closed);
      }
      if (flags & TCP_RST) ep = set(ep, EndpointState.Reset);
      break;
    case EndpointState.Closed:
      if (flags & TCP_RST && peerState !== EndpointState.Closed) ep = set(ep, EndpointState.Reset);
      break;
    default:
      break;
  }
  return packPair(ep, peer);
}

export type ConnState =
  | "S0"
  | "S1"
  | "SF"
  | "REJ"
  | "S2"
  | "S3"
  | "RSTO"
  | "RSTR"
  | "RSTOS0"
  | "RSTRH"
  | "SH"
  | "SHR"
  | "OTH";

/** Zeek's "originator sent SYN then RST, nothing from the responder but maybe a pure ACK" history. */
const RSTOS0_HISTORY = /^\^?S[^HAFGIQ]*R/;

/**
 * conn.log `conn_state` for a TCP connection (Zeek `Conn::conn_state`, tcp
 * branch). Sizes are payload bytes sent by each side.
 */
export function tcpConnState(
  orig: PackedEndpoint,
  resp: PackedEndpoint,
  origSize: number,
  respSize: number,
  history: string,
): ConnState {
  const os = orig & 0x0f;
  const rs = resp & 0x0f;
  const oInactive = os === EndpointState.Inactive || os === EndpointState.Partial;
  const rInactive = rs === EndpointState.Inactive || rs === EndpointState.Partial;
  if (rs === EndpointState.Reset) {
    if (
      os === EndpointState.SynSent ||
      os === EndpointState.SynAckSent ||
      (os === EndpointState.Reset && origSize === 0 && respSize === 0)
    ) {
      return "REJ";
    }
    return oInactive ? "RSTRH" : "RSTR";
  }
  if (os === EndpointState.Reset) {
    if (rInactive) return RSTOS0_HISTORY.test(history) ? "RSTOS0" : "OTH";
    return "RSTO";
  }
  if (rs === EndpointState.Closed && os === EndpointState.Closed) return "SF";
  if (os === EndpointState.Closed) return rInactive ? "SH" : "S2";
  if (rs === EndpointState.Closed) return oInactive ? "SHR" : "S3";
  if (os === EndpointState.SynSent && rs === EndpointState.Inactive) return "S0";
  if (os === EndpointState.Established && rs === EndpointState.Established) return "S1";
  return "OTH";
}

/** conn.log `conn_state` for UDP: who sent anything. */
export function udpConnState(origPackets: number, respPackets: number): ConnState {
  if (origPackets > 0) return respPackets > 0 ? "SF" : "S0";
  return respPackets > 0 ? "SHR" : "OTH";
}
