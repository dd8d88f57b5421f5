/**
 * Group commit: requests that arrive together are written in one transaction.
 *
 * A store commit (two appender flushes and a synced write-ahead log entry in DuckDB) costs a few
 * milliseconds whether it holds one row or a hundred, so one transaction per request caps enrollment
 * at a few hundred per second (see bench/store.ts). The queue keeps, per key
 * (a trial), a FIFO of waiting items. When no commit for that key is running, it takes up to
 * `maxBatch` waiting items, in arrival order, and hands them to `commit` as one batch; whatever
 * arrives meanwhile waits for the next batch. So under load batches grow by themselves and at low
 * load a request waits for no timer.
 *
 * Guarantees:
 * - A caller's promise settles only after the `commit` call holding its item has settled: it resolves
 *   with that item's result or rejects with the commit's error. A failed commit rejects every caller
 *   in it, and only them; later batches go ahead.
 * - Per key, commits never overlap and items are committed in submission order (allocation order is
 *   arrival order). Different keys commit independently.
 * - Batches hold at most `maxBatch` items; at most `maxQueued` items wait per key, beyond which
 *   `submit` rejects at once with `CommitQueueFullError` (back-pressure rather than unbounded memory).
 *
 * Runtime-neutral: no timers, no Node APIs. In a Durable Object the same queue batches the requests
 * that reach one trial's object while its previous write is in flight.
 */

export interface CommitQueueOptions<I, R> {
  /**
   * Writes one batch of one key atomically and returns one result per item, in the same order.
   * Throwing (or returning the wrong number of results) rejects every item of the batch.
   */
  commit: (key: string, items: I[]) => Promise<R[]>;
  /** Most items per commit (default 256). */
  maxBatch?: number;
  /** Most items waiting per key before `submit` refuses (default 50,000). */
  maxQueued?: number;
  /**
   * The weight of an item (default 1): a batch takes items while their total weight stays within
   * `maxWeight` (a batch always takes at least one item). Lets one item stand for many rows (a chunk
   * of a bulk upload) without one commit growing past what the store accepts.
   */
  weight?: (item: I) => number;
  /** Most total weight per commit (default unlimited: only `maxBatch` counts). */
  maxWeight?: number;
  /**
   * Gathering (default 0 = off): when the key's previous commit held n items and m arrived while it
   * ran, n + m > 1, and fewer than n + m are waiting, wait up to this many milliseconds for n + m to
   * arrive before committing. Under steady load with C clients, the clients answered by one commit
   * send their next requests a moment later; without gathering the first of them would start a
   * commit alone and the rest would wait for it, halving the batch size. After a commit of one item
   * during which nothing arrived there is no wait, so a lone request never waits for a timer.
   */
  gatherMs?: number;
}

export class CommitQueueFullError extends Error {
  readonly key: string;
  constructor(key: string, limit: number) {
    super(`commit queue for ${JSON.stringify(key)} is full; ${limit} items already waiting (køen er fuld; prøv igen)`);
    this.name = "CommitQueueFullError";
    this.key = key;
  }
}

export class CommitQueueClosedError extends Error {
  constructor() {
    super("commit queue is closed");
    this.name = "CommitQueueClosedError";
  }
}

interface Waiting<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

interface Lane<I, R> {
  waiting: Waiting<I, R>[];
  /** Index of the first waiting item not yet taken (avoids O(n) shifts on long queues). */
  head: number;
  running: boolean;
  /** While gathering: how many waiting items end the wait early, and the wake-up. */
  target: number;
  wake: (() => void) | null;
}

export interface CommitQueueStats {
  commits: number;
  items: number;
  failedCommits: number;
  largestBatch: number;
}

export class CommitQueue<I, R> {
  private readonly lanes = new Map<string, Lane<I, R>>();
  private readonly commitBatch: (key: string, items: I[]) => Promise<R[]>;
  readonly maxBatch: number;
  readonly maxQueued: number;
  private readonly weight: ((item: I) => number) | null;
  private readonly maxWeight: number;
  private readonly gatherMs: number;
  /** The last batch size per key (kept after its lane empties), the gathering target. */
  private readonly recent = new Map<string, number>();
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private readonly counters: CommitQueueStats = { commits: 0, items: 0, failedCommits: 0, largestBatch: 0 };

  constructor(options: CommitQueueOptions<I, R>) {
    const maxBatch = options.maxBatch ?? 256;
    const maxQueued = options.maxQueued ?? 50_000;
    if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new RangeError(`invalid maxBatch; not a positive integer: ${maxBatch}`);
    if (!Number.isSafeInteger(maxQueued) || maxQueued < 1) throw new RangeError(`invalid maxQueued; not a positive integer: ${maxQueued}`);
    this.commitBatch = options.commit;
    this.maxBatch = maxBatch;
    this.maxQueued = maxQueued;
    this.weight = options.weight ?? null;
    this.maxWeight = options.maxWeight ?? Infinity;
    if (!(this.maxWeight > 0)) throw new RangeError(`invalid maxWeight; not positive: ${this.maxWeight}`);
    this.gatherMs = options.gatherMs ?? 0;
    if (!(this.gatherMs >= 0)) throw new RangeError(`invalid gatherMs; not a non-negative number: ${this.gatherMs}`);
  }

  /** Queues one item for `key`; settles after the commit that holds it. */
  submit(key: string, item: I): Promise<R> {
    if (this.closed) return Promise.reject(new CommitQueueClosedError());
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      lane = { waiting: [], head: 0, running: false, target: 0, wake: null };
      this.lanes.set(key, lane);
    }
    if (lane.waiting.length - lane.head >= this.maxQueued) return Promise.reject(new CommitQueueFullError(key, this.maxQueued));
    const promise = new Promise<R>((resolve, reject) => lane.waiting.push({ item, resolve, reject }));
    if (lane.wake !== null && lane.waiting.length - lane.head >= lane.target) lane.wake();
    if (!lane.running) {
      lane.running = true;
      // Start on a microtask so that items submitted in the same turn share the first commit.
      queueMicrotask(() => void this.run(key, lane));
    }
    return promise;
  }

  /** Items waiting (not yet in a running commit) for a key. */
  queued(key: string): number {
    const lane = this.lanes.get(key);
    return lane === undefined ? 0 : lane.waiting.length - lane.head;
  }

  stats(): CommitQueueStats {
    return { ...this.counters };
  }

  /** Resolves when no commit is running and nothing is waiting. */
  drain(): Promise<void> {
    if (this.lanes.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Refuses new items; resolves when everything already submitted has been committed or rejected. */
  close(): Promise<void> {
    this.closed = true;
    return this.drain();
  }

  private async run(key: string, lane: Lane<I, R>): Promise<void> {
    while (lane.head < lane.waiting.length) {
      const target = Math.min(this.recent.get(key) ?? 1, this.maxBatch);
      if (this.gatherMs > 0 && target > 1 && lane.waiting.length - lane.head < target) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            lane.wake = null;
            resolve();
          }, this.gatherMs);
          lane.target = target;
          lane.wake = () => {
            clearTimeout(timer);
            lane.wake = null;
            resolve();
          };
        });
      }
      let end = Math.min(lane.waiting.length, lane.head + this.maxBatch);
      if (this.weight !== null) {
        let total = this.weight(lane.waiting[lane.head].item);
        for (let k = lane.head + 1; k < end; k++) {
          total += this.weight(lane.waiting[k].item);
          if (total > this.maxWeight) {
            end = k;
            break;
          }
        }
      }
      const batch = lane.waiting.slice(lane.head, end);
      lane.head = end;
      if (lane.head > 1024 && lane.head * 2 > lane.waiting.length) {
        lane.waiting = lane.waiting.slice(lane.head);
        lane.head = 0;
      }
      this.counters.commits += 1;
      this.counters.items += batch.length;
      this.counters.largestBatch = Math.max(this.counters.largestBatch, batch.length);
      const queuedBefore = lane.waiting.length;
      let results: R[];
      try {
        results = await this.commitBatch(key, batch.map((w) => w.item));
        if (!Array.isArray(results) || results.length !== batch.length) {
          throw new Error(`commit returned ${Array.isArray(results) ? results.length : "no"} results for ${batch.length} items`);
        }
      } catch (error) {
        this.counters.failedCommits += 1;
        this.recent.set(key, batch.length);
        for (const w of batch) w.reject(error);
        continue;
      }
      // The next gathering target: the callers answered now (who tend to come back together) plus
      // those that arrived while this commit ran (already waiting). With the batch size alone, two
      // halves of the clients would alternate, each committing half as many as could share.
      this.recent.set(key, batch.length + (lane.waiting.length - queuedBefore));
      for (let i = 0; i < batch.length; i++) batch[i].resolve(results[i]);
    }
    lane.running = false;
    this.lanes.delete(key);
    if (this.lanes.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
