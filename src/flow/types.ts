/**
 * The flow table's types and constants, shared by its files: the options,
 * end reasons, first-payload kinds and ICMP evidence it exposes, and the
 * internal codes (history letters, sequence slots, row bits) its layers use.
 */
import type { Frame } from "../capture/types.js";
import type { FragmentTracker } from "./fragments.js";
import type { Flow } from "./view.js";

export type LikelyServerPort = (ipProto: number, port: number) => boolean;

/** What the table reads from a capture frame. */
export type FrameStamp = Pick<Frame, "buf" | "tsMicros" | "wireLen" | "index" | "fileOffset" | "process"> &
  Partial<Pick<Frame, "drop" | "direction">>;

/** Why a flow ended. */
export type EndReason = "capture_end" | "idle_timeout" | "closed" | "reused" | "evicted";

export interface FlowTableOptions {
  likelyServerPort: LikelyServerPort;
  /** Receives each flow as it ends; the view is valid only during the call. */
  onFinal: (flow: Flow, reason: EndReason) => void;
  tcpTimeoutMicros?: number;
  udpTimeoutMicros?: number;
  /** ICMP and other protocols. */
  otherTimeoutMicros?: number;
  /** How long a closed TCP connection is kept for late packets (Zeek's tcp_close_delay). */
  closedLingerMicros?: number;
  fragments?: FragmentTracker;
  /** Bytes reassembled at the start of each TCP direction of a TLS flow (64 KiB by default). */
  reassemblyBytes?: number;
  /** Bytes all reassembly buffers together may hold (64 MiB by default). */
  reassemblyBudget?: number;
  /**
   * Most flows held at once. Past it, the longest-idle tenth are ended early
   * (EndReason "evicted"), as Zeek's and nDPI's bounded tables do; the count
   * and the first frame where it happened are kept in `evicted`.
   */
  maxFlows?: number;
}

export const DEFAULT_MAX_FLOWS = 1_000_000;

/**
 * An idle TCP flow ends after 15 minutes: above the 5 minutes of Zeek's tcp_inactivity_timeout, as OCS
 * clients and servers keep a SIP connection with a keep-alive every 300 s (ms-keep-alive,
 * [MS-CONMGMT] §2.2.1), which a 300 s timeout split into pieces without a SYN.
 */
export const DEFAULT_TCP_TIMEOUT_MICROS = 900_000_000;

export const DEFAULT_UDP_TIMEOUT_MICROS = 60_000_000;

export const DEFAULT_CLOSED_LINGER_MICROS = 5_000_000;

/** Capture time between sweeps for ended flows. */
export const SWEEP_INTERVAL_MICROS = 10_000_000;

/** What a flow's first payload from a side looked like (for "request with no answer"). */
export const FirstPayload = {
  None: 0,
  Other: 1,
  StunBindingRequest: 2,
  SipRequest: 3,
} as const;

export type FirstPayload = (typeof FirstPayload)[keyof typeof FirstPayload];

/** An ICMP destination-unreachable message quoting one of this flow's packets. */
export interface IcmpEvidence {
  count: number;
  /** ICMP or ICMPv6 type and code of the last message. */
  v6: boolean;
  type: number;
  code: number;
  /** Who sent it: address words and family. */
  family: number;
  words: [number, number, number, number];
  first: number;
  last: number;
  /** Whether the quoted packet was sent by the flow's lo endpoint (see `isLo`). */
  quotesLo: boolean;
}

/**
 * An ICMP destination unreachable that quotes a packet of no flow in the
 * capture: kept on the ICMP flow between its sender and receiver, naming the
 * 5-tuple it quotes (the first one, when several).
 */
export interface IcmpQuote extends IcmpEvidence {
  proto: number;
  src: [number, number, number, number];
  srcPort: number;
  dst: [number, number, number, number];
  dstPort: number;
}

/** Bits in the sender bitmap: 2^24 (2 MiB), indexed by a hash of the source address. */
export const SENDER_BITS_LOG2 = 24;

// History letter codes, indexes into HISTORY_LETTERS.
export const H_SYN = 0; // s, h share one slot per endpoint (Zeek's HIST_SYN_PKT)

export const H_SYNACK = 1;

export const H_ACK = 2;

export const H_DATA = 3;

export const H_FIN = 4;

export const H_RST = 5;

export const H_MULTI = 6;

export const H_FIN_RST = 7;

export const H_RXMIT = 8;

export const H_ZERO_WINDOW = 9;

export const H_GAP = 10;

export const H_BAD_CHECKSUM = 11;

export const HISTORY_LETTERS = "shadfrqitwgc";

/** HISTORY_LETTERS as character codes (lower case; upper case is 0x20 less). */
export const HISTORY_CODES = Uint16Array.from(HISTORY_LETTERS, (c) => c.charCodeAt(0));

/** Bit set in a history entry when the hi endpoint sent it. */
export const FROM_HI = 0x80;

/** History entries kept inline per flow; longer histories spill into a map (rare). */
export const HIST_INLINE = 16;

/** Distinct history texts kept for sharing; past it each flow gets its own. */
export const HISTORY_INTERN_MAX = 4096;

/** Sequence-mark slots per side: SYN, FIN, RST. */
export const SEQ_SLOT_SYN = 0;

export const SEQ_SLOT_FIN = 1;

export const SEQ_SLOT_RST = 2;

export const SEQ_SLOTS = 3;

/** Logarithmic letters, one counter per side each: c, g, t, w. */
export const LOG_SLOTS = 4;

export const LOG_RXMIT = 0;

export const LOG_ZERO_WINDOW = 1;

export const LOG_GAP = 2;

export const LOG_BAD_CHECKSUM = 3;

/** Zeek's TOO_LARGE_SEQ_DELTA: sequence jumps on SYN/RST larger than this are not trusted. */
export const TOO_LARGE_SEQ_DELTA = 1_048_576;

export const BIT_ORIG_IS_LO = 1;

export const BIT_FLIPPED = 2;
/** The flow had IP fragments (a first fragment with more to come, or a later one joined to it). */
export const BIT_FRAGMENTED = 4;
/**
 * An earlier flow of the capture had (probably: hashed) this flow's 5-tuple: it ended (idle,
 * closed, or a new SYN reused it) and this one took the tuple over. Reports then tell the parts
 * apart by frame number.
 */
export const BIT_KEY_AGAIN = 8;

export const INITIAL_CAPACITY = 1024;

/** Payload-bearing packets per side looked at for identification (UDP needs more to confirm RTP). */
export const IDENTIFY_PACKETS_TCP = 4;

export const IDENTIFY_PACKETS_UDP = 8;

/** RTP packets of one SSRC, with rising sequence numbers, that confirm RTP. */
export const RTP_RUN = 3;

/** Added to a media key's kind (payload-hooks.ts `mediaPairs`): the media was a stream (RTP, ChannelData, DTLS), not RTCP. */
export const MEDIA_STREAM = 0x100000;
/** Added to a media key's kind: an RTCP sender report counting RTP sent (RFC 3550 §6.4.1): its sender says it sends a stream. */
export const MEDIA_SENDER_REPORT = 0x200000;
/** `rtcpFrom` (view.ts): the end's RTCP held a report block on the other end's RTP stream, by its SSRC (RFC 3550 §6.4.2). */
export const RTCP_REPORTED_ON = 1;
/** `rtcpFrom`: the end's RTCP held a sender report with a packet count above 0. */
export const RTCP_SENDER = 2;
