/**
 * report/text.ts: plain-text pieces the renderers share. An unknown group without ports names its
 * transport as people write it ("ICMPv6", not "ICMPV6": UC scenario tester's IPv6 link-local noise).
 */
import { describe, expect, it } from "vitest";
import { unknownGroupLabel } from "../src/report/text.js";

describe("unknownGroupLabel", () => {
  it.each([
    [
      { protocol: "dns", port: 53, transport: "udp", reason: "other_protocol", flows: 12 },
      "DNS 53/udp: 12 flows (other_protocol)",
    ],
    [
      { protocol: "unidentified", port: null, transport: "icmpv6", reason: "not_in_catalog", flows: 7 },
      "unidentified ICMPv6: 7 flows (not_in_catalog)",
    ],
    [
      { protocol: "unidentified", port: null, transport: "icmp", reason: "not_in_catalog", flows: 1 },
      "unidentified ICMP: 1 flow (not_in_catalog)",
    ],
  ])("%o", (g, label) => {
    expect(unknownGroupLabel({ ...g, packets: 1, bytes: 1 })).toBe(label);
  });
});
