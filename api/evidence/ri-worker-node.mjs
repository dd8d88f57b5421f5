// A worker thread computing streams of randomization-inference draws, one per message, for as
// long as ri-parallel-node.ts keeps it. Plain JavaScript so it starts under any parent; it
// compiles the TypeScript sources with tsx.
import { parentPort } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
const { randomizationCounts } = await import("../../analysis/randomization-inference.ts");
parentPort.on("message", ({ protocol, rows, columns, settings, stream }) => {
  let reply;
  try {
    reply = { counts: randomizationCounts(protocol, { rows, columns: new Map(columns) }, settings, stream) };
  } catch (e) {
    reply = { error: e instanceof Error ? e.message : String(e) };
  }
  parentPort.postMessage(reply);
});
