/**
 * Node-only: randomization-inference streams in parallel, every stream in a worker thread (or
 * stream 0 on this thread, `allInWorkers: false`); the counts are the same as running every stream
 * in turn (analysis/randomization-inference.ts), so a package verifies anywhere. The package
 * writer runs the rest of the analysis on this thread meanwhile, so with the streams in workers
 * that work overlaps the draws instead of preceding stream 0.
 *
 * Worker threads are kept between packages (unreferenced while idle, so they never hold the
 * process open): starting one compiles the analysis code again, which costs more than a few
 * thousand draws, and a server builds many packages.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { randomizationColumns, randomizationCounts, type RandomizationCounts, type RandomizationSettings } from "../../analysis/randomization-inference.ts";
import type { DataColumn, DataSet } from "../../analysis/plan.ts";
import type { Protocol } from "../../protocols/index.ts";

/** What a worker is asked (ri-worker-node.mjs). */
interface Task {
  protocol: Protocol;
  rows: number;
  columns: [string, DataColumn][];
  settings: RandomizationSettings;
  stream: number;
}

const idle: Worker[] = [];

function startWorker(): Worker {
  const worker = new Worker(new URL("./ri-worker-node.mjs", import.meta.url));
  // A worker that dies while idle leaves the pool.
  worker.on("exit", () => {
    const at = idle.indexOf(worker);
    if (at >= 0) idle.splice(at, 1);
  });
  return worker;
}

function inWorker(task: Task): Promise<RandomizationCounts> {
  const worker = idle.pop() ?? startWorker();
  worker.ref();
  return new Promise<RandomizationCounts>((resolve, reject) => {
    const done = () => {
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
    };
    const onMessage = (m: { counts: RandomizationCounts } | { error: string }) => {
      done();
      worker.unref();
      if (idle.length < availableParallelism()) idle.push(worker);
      else void worker.terminate();
      if ("error" in m) reject(new Error(`randomization-inference worker: ${m.error}`));
      else resolve(m.counts);
    };
    const onError = (e: Error) => {
      done();
      void worker.terminate();
      reject(e);
    };
    const onExit = (code: number) => {
      done();
      reject(new Error(`randomization-inference worker exited with ${code}`));
    };
    worker.on("message", onMessage);
    worker.once("error", onError);
    worker.once("exit", onExit);
    worker.postMessage(task);
  });
}

export async function parallelRandomizationCounts(protocol: Protocol, data: DataSet, settings: RandomizationSettings, options: { allInWorkers?: boolean } = {}): Promise<RandomizationCounts[]> {
  // Only the columns the draws read travel to the workers (each is copied).
  const columns = randomizationColumns(protocol).flatMap((name) => (data.columns.has(name) ? [[name, data.columns.get(name)!] as [string, DataColumn]] : []));
  const allInWorkers = options.allInWorkers ?? true;
  const first = allInWorkers ? 0 : 1;
  const workers = Array.from({ length: settings.streams - first }, (_, k) => inWorker({ protocol, rows: data.rows, columns, settings, stream: k + first }));
  if (allInWorkers) return Promise.all(workers);
  // Let the workers start before this thread gets busy.
  await new Promise((r) => setTimeout(r, 0));
  const own = randomizationCounts(protocol, data, settings, 0);
  return [own, ...(await Promise.all(workers))];
}

/** Every stream in a worker thread (the default of `parallelRandomizationCounts`). */
export const workerRandomizationCounts = (protocol: Protocol, data: DataSet, settings: RandomizationSettings) => parallelRandomizationCounts(protocol, data, settings, { allInWorkers: true });
