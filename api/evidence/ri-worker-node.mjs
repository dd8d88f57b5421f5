// A worker thread computing one stream of randomization-inference draws (ri-parallel-node.ts).
// Plain JavaScript so it starts under any parent; it compiles the TypeScript sources with tsx.
import { parentPort, workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
const { randomizationCounts } = await import("../../analysis/randomization-inference.ts");
const { protocol, rows, columns, settings, stream } = workerData;
parentPort.postMessage(randomizationCounts(protocol, { rows, columns: new Map(columns) }, settings, stream));
