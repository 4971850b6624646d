/**
 * The decoded view of one frame, filled in place by the decoders.
 *
 * One instance is reused for every frame: decoders write numbers into it and
 * never allocate. Addresses are four 32-bit words, held as signed int32 so
 * V8 keeps them unboxed (format with `>>> 0`); IPv4 uses only `*3` (the
 * others are 0) and `family` tells the two apart.
 */
export class Packet {
  /** Outermost 802.1Q/802.1ad VLAN id, or -1 when untagged. */
  vlan = -1;
  /**
   * The EtherType the link decoder found (its protocol field mapped to one
   * for link types without EtherTypes); 0 means "read the IP version nibble"
   * (raw IP, and what follows an MPLS label stack).
   */
  etherType = 0;
  /** 4, 6, or 0 when the frame carries no IP. */
  family = 0;
  /** IP protocol number of the transport header (after IPv6 extension headers). */
  ipProto = -1;
  ipOffset = 0;
  /** IP total length from the header (what was on the wire, not what was captured). */
  ipLen = 0;
  s0 = 0;
  s1 = 0;
  s2 = 0;
  s3 = 0;
  d0 = 0;
  d1 = 0;
  d2 = 0;
  d3 = 0;
  /** A later fragment of a datagram: no transport header in this frame. */
  laterFragment = false;
  /** More fragments follow (IPv4 MF, IPv6 M flag). */
  moreFragments = false;
  /** Fragment identification: IPv4's 16-bit id, IPv6's 32-bit one (as int32); meaningful when fragmented. */
  fragId = 0;
  srcPort = 0;
  dstPort = 0;
  /** TCP flag bits (FIN 0x01 … CWR 0x80), 0 for other transports. */
  tcpFlags = 0;
  seq = 0;
  ack = 0;
  window = 0;
  /** Offset of the transport header in the frame's buffer. */
  transportOffset = 0;
  /** End of the IP datagram's bytes in the buffer: the smaller of what was captured and its total length (Ethernet pads). */
  transportEnd = 0;
  /** Where the IP datagram ends on the wire (its header's total length), which may lie past the captured bytes. */
  wireEnd = 0;
  /** Offset of the transport payload in the frame's buffer. */
  payloadOffset = 0;
  /** Transport payload length according to the headers (may exceed what was captured). */
  payloadLen = 0;
  /** Payload bytes actually present in the capture. */
  payloadCaptured = 0;
  icmpType = -1;
  icmpCode = -1;
  /**
   * For ICMP/ICMPv6 destination unreachable: the quoted (offending) packet's
   * family, addresses, protocol and ports; `quoted` is false when the quote
   * is missing or cut. The quote's sender is the original packet's sender.
   */
  quoted = false;
  qFamily = 0;
  qs0 = 0;
  qs1 = 0;
  qs2 = 0;
  qs3 = 0;
  qd0 = 0;
  qd1 = 0;
  qd2 = 0;
  qd3 = 0;
  qProto = -1;
  qSrcPort = 0;
  qDstPort = 0;

  reset(): void {
    this.vlan = -1;
    this.etherType = 0;
    this.family = 0;
    this.ipProto = -1;
    this.ipOffset = 0;
    this.ipLen = 0;
    this.s0 = this.s1 = this.s2 = this.s3 = 0;
    this.d0 = this.d1 = this.d2 = this.d3 = 0;
    this.laterFragment = false;
    this.moreFragments = false;
    this.fragId = 0;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.seq = 0;
    this.ack = 0;
    this.window = 0;
    this.transportOffset = this.transportEnd = this.wireEnd = 0;
    this.payloadOffset = 0;
    this.payloadLen = 0;
    this.payloadCaptured = 0;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.quoted = false;
  }
}
