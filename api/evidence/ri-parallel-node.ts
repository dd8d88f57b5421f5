/**
 * Node-only: randomization-inference streams in parallel. Stream 0 runs on this thread while the
 * others run in worker threads; the counts are the same as running every stream in turn
 * (analysis/randomization-inference.ts), so a package verifies anywhere.
 */
import { Worker } from "node:worker_threads";
import { randomizationCounts, type RandomizationCounts, type RandomizationSettings } from "../../analysis/randomization-inference.ts";
import type { DataSet } from "../../analysis/plan.ts";
import type { Protocol } from "../../protocols/index.ts";

export async function parallelRandomizationCounts(protocol: Protocol, data: DataSet, settings: RandomizationSettings): Promise<RandomizationCounts[]> {
  const columns = [...data.columns];
  const others = Array.from({ length: settings.streams - 1 }, (_, k) =>
    new Promise<RandomizationCounts>((resolve, reject) => {
      const worker = new Worker(new URL("./ri-worker-node.mjs", import.meta.url), { workerData: { protocol, rows: data.rows, columns, settings, stream: k + 1 } });
      worker.once("message", (m: RandomizationCounts) => {
        resolve(m);
        void worker.terminate();
      });
      worker.once("error", reject);
      worker.once("exit", (code) => code !== 0 && reject(new Error(`randomization-inference worker exited with ${code}`)));
    }),
  );
  // Let the workers start before this thread gets busy.
  await new Promise((r) => setTimeout(r, 0));
  const first = randomizationCounts(protocol, data, settings, 0);
  return [first, ...(await Promise.all(others))];
}
