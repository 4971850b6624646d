/**
 * The analyze command's resource limits as commander options, with their
 * defaults from the stages that enforce them; past each, the report says
 * what was cut.
 */
import type { Command } from "commander";
import { DEFAULT_MAX_RECORD_LEN } from "../capture/pcap.js";
import { DEFAULT_MAX_DATAGRAMS } from "../flow/fragments.js";
import { DEFAULT_REASSEMBLY_BYTES } from "../flow/reassembly.js";
import { DEFAULT_MAX_FLOWS } from "../flow/table.js";
import { DEFAULT_MAX_REPORT_FLOWS } from "../report/model.js";

/** Adds --max-record-len, --max-flows, --max-fragments, --max-reassembly and --max-report-flows to `command`. */
export function addLimitOptions(command: Command): Command {
  return command
    .option(
      "--max-record-len <bytes>",
      "largest record accepted before the file is treated as corrupt",
      String(DEFAULT_MAX_RECORD_LEN),
    )
    .option(
      "--max-flows <n>",
      "most flows held in memory at once; past it the longest-idle are ended early (reported)",
      String(DEFAULT_MAX_FLOWS),
    )
    .option(
      "--max-fragments <n>",
      "most fragmented IP datagrams tracked at once; past it the oldest are forgotten (reported)",
      String(DEFAULT_MAX_DATAGRAMS),
    )
    .option(
      "--max-reassembly <bytes>",
      "bytes of each direction of a TLS connection read for its handshake (0: none; all together at most 64 MiB, reported)",
      String(DEFAULT_REASSEMBLY_BYTES),
    )
    .option(
      "--max-report-flows <n>",
      "most flows a report lists (every flow is still counted); findings are listed first (reported)",
      String(DEFAULT_MAX_REPORT_FLOWS),
    );
}
