/**
 * Node-only: randomization-inference streams in parallel. Stream 0 runs on this thread while the
 * others run in worker threads (or all in workers, `workerRandomizationCounts`); the counts are the same as running every stream in turn
 * (analysis/randomization-inference.ts), so a package verifies anywhere.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { randomizationCounts, type RandomizationCounts, type RandomizationSettings } from "../../analysis/randomization-inference.ts";
import type { DataSet } from "../../analysis/plan.ts";
import type { Protocol } from "../../protocols/index.ts";

export async function parallelRandomizationCounts(protocol: Protocol, data: DataSet, settings: RandomizationSettings, options: { allInWorkers?: boolean } = {}): Promise<RandomizationCounts[]> {
  const columns = [...data.columns];
  // Stream 0 stays on this thread unless there is a core to spare for it as well.
  const allInWorkers = options.allInWorkers ?? availableParallelism() > settings.streams;
  const first = allInWorkers ? 0 : 1;
  const workers = Array.from({ length: settings.streams - first }, (_, k) =>
    new Promise<RandomizationCounts>((resolve, reject) => {
      const worker = new Worker(new URL("./ri-worker-node.mjs", import.meta.url), { workerData: { protocol, rows: data.rows, columns, settings, stream: k + first } });
      worker.once("message", (m: RandomizationCounts) => {
        resolve(m);
        void worker.terminate();
      });
      worker.once("error", reject);
      worker.once("exit", (code) => code !== 0 && reject(new Error(`randomization-inference worker exited with ${code}`)));
    }),
  );
  if (allInWorkers) return Promise.all(workers);
  // Let the workers start before this thread gets busy.
  await new Promise((r) => setTimeout(r, 0));
  const own = randomizationCounts(protocol, data, settings, 0);
  return [own, ...(await Promise.all(workers))];
}

/** Every stream in a worker thread: for a caller that keeps this thread busy meanwhile (the package writer). */
export const workerRandomizationCounts = (protocol: Protocol, data: DataSet, settings: RandomizationSettings) => parallelRandomizationCounts(protocol, data, settings, { allInWorkers: true });
