/**
 * Entry of the standalone executable (Node's single-executable application;
 * `npm run standalone`, README "Quick start"). The executable carries the batch
 * worker's bundled source as an asset, since no `worker.js` sits beside it.
 */
import { getAsset, isSea } from "node:sea";
import { main } from "./main.js";

export const WORKER_ASSET = "worker.cjs";

void main(isSea() ? { workerScript: { source: getAsset(WORKER_ASSET, "utf8") } } : {});
