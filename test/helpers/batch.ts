/** The batch the format and worker tests run: captures, an unreadable one, and a directory walked by magic bytes. */
export const BATCH = [
  "fixtures/ocs-sample.pcap",
  "fixtures/malformed/short-header.pcap",
  "fixtures/recorded", // a directory: walked for captures by magic bytes
  "fixtures/blocked-cases.pcap",
  "fixtures/ocs-sample.pcapng.gz",
];
