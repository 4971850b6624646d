/**
 * Agreement with tshark on real captures from public projects
 * (../shared/corpus, facts from `capinfos` and `tshark -z conv,tcp -z conv,udp`).
 * Runs only where the corpus exists: `npm run test:corpus`, called by .ci/run.
 *
 * Every difference from tshark's facts is listed in EXPLAINED with the reason,
 * documented in docs/corpus-differences.md, and asserted as the explained value.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeCapture } from "../../src/analyze.js";

const CORPUS = join(import.meta.dirname, "..", "..", "..", "shared", "corpus");

interface Facts {
  path: string;
  fileType: string;
  packets: number | null;
  tcp: number;
  udp: number;
}

function facts(): Facts[] {
  const lines = readFileSync(join(CORPUS, "facts.tsv"), "utf8").trim().split("\n").slice(1);
  return lines.map((line) => {
    const [path = "", , fileType = "", , packets = "", tcp = "0", udp = "0"] = line.split("\t");
    return {
      path,
      fileType,
      packets: /^\d+$/.test(packets) ? Number(packets) : null,
      tcp: Number(tcp),
      udp: Number(udp),
    };
  });
}

/** Where our numbers differ from tshark's, on purpose. See docs/corpus-differences.md. */
const EXPLAINED: Record<string, { packets?: number; tcp?: number; udp?: number; why: string }> = {
  "ntop__nDPI/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap": {
    udp: 5,
    why: "tshark's SDP dissector opens a new conversation on the RTP 5-tuple for every offer (the T.38 re-INVITE); with -o sdp.establish_conversation:FALSE tshark counts 5",
  },
  "sipcapture__heplify/sip_ipv4_tcp.pcap": {
    udp: 2,
    why: "SDP-established RTP/RTCP conversations; tshark with SDP setup off counts 2",
  },
  "sipcapture__heplify/rtp_rtcp_sip_ipv4_udp.pcap": {
    udp: 18,
    why: "SDP-established conversations (tshark with SDP setup off: 20) and two SNMP 5-tuples that tshark's SNMP dissector splits into a request and a response conversation",
  },
  "the-tcpdump-group__tcpdump/edsa.pcap": {
    packets: 10,
    why: "tshark refuses link type 285 (Marvell EDSA) outright; we read all 10 records and count them under skipped.unsupported_link_type.285",
  },
};

/**
 * With the default timeouts (TCP 5 min, UDP 1 min, closed TCP kept 5 s, as
 * Zeek), a 5-tuple idle longer than that starts a new flow; tshark never
 * splits a conversation for idleness. These captures have such idle gaps.
 */
const SPLIT_BY_TIMEOUTS: Record<string, { tcp: number; udp: number }> = {
  "irontec__sngrep/aaa.pcap": { tcp: 4, udp: 118 },
  "irontec__sngrep/ipv6frag.pcap": { tcp: 0, udp: 4 },
  "ntop__nDPI/sip.pcap": { tcp: 0, udp: 8 },
  "ntop__nDPI/skype.pcap": { tcp: 100, udp: 191 },
  "zeek__zeek/sip/wireshark.pcap": { tcp: 0, udp: 9 },
};

const NO_TIMEOUTS = {
  tcpTimeoutMicros: Number.POSITIVE_INFINITY,
  udpTimeoutMicros: Number.POSITIVE_INFINITY,
  closedLingerMicros: Number.POSITIVE_INFINITY,
};

describe.runIf(existsSync(join(CORPUS, "facts.tsv")))("corpus agreement with tshark", () => {
  for (const f of existsSync(join(CORPUS, "facts.tsv")) ? facts() : []) {
    const explained = EXPLAINED[f.path];
    it(`${f.path}: packets and TCP/UDP flows${explained ? " (explained difference)" : ""}`, async () => {
      // tshark's conversation table never ends a conversation for idleness, so
      // compare with idle timeouts off (see SPLIT_BY_TIMEOUTS for the defaults).
      const result = await analyzeCapture(join(CORPUS, f.path), NO_TIMEOUTS);
      const tcp = result.flows.filter((c) => c.transport === "tcp").length;
      const udp = result.flows.filter((c) => c.transport === "udp").length;
      expect(result.capture.packets).toBe(explained?.packets ?? f.packets);
      expect(tcp).toBe(explained?.tcp ?? f.tcp);
      expect(udp).toBe(explained?.udp ?? f.udp);
      const split = SPLIT_BY_TIMEOUTS[f.path];
      const withDefaults = await analyzeCapture(join(CORPUS, f.path));
      const dTcp = withDefaults.flows.filter((c) => c.transport === "tcp").length;
      const dUdp = withDefaults.flows.filter((c) => c.transport === "udp").length;
      expect([dTcp, dUdp], "with default timeouts").toEqual(split ? [split.tcp, split.udp] : [tcp, udp]);
      if (explained) {
        // The explanation must still be needed: tshark's facts really differ.
        const differs =
          (explained.packets !== undefined && explained.packets !== f.packets) ||
          (explained.tcp !== undefined && explained.tcp !== f.tcp) ||
          (explained.udp !== undefined && explained.udp !== f.udp);
        expect(differs).toBe(true);
      }
    });
  }
});
