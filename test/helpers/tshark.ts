/** tshark, as the tests ask it: frames a display filter keeps. */
import { execFile } from "node:child_process";

/** Frames tshark's display filter keeps. */
export function tsharkCount(file: string, filter: string): Promise<number> {
  return new Promise((resolve, reject) =>
    execFile(
      "tshark",
      ["-n", "-r", file, "-Y", filter, "-T", "fields", "-e", "frame.number"],
      { encoding: "utf8", maxBuffer: 1 << 26 },
      (err, stdout, stderr) => {
        // tshark exits 2 on a capture cut mid-packet, after writing every frame it read.
        if (err !== null && stdout === "") return reject(new Error(`tshark -Y '${filter}': ${stderr}`));
        resolve(stdout.split("\n").filter((l) => l !== "").length);
      },
    ),
  );
}
