import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { verifyChain } from "../../../api/audit.ts";
import { CommitQueue, CommitQueueClosedError, CommitQueueFullError } from "../../../api/store/commit-queue.ts";
import { openDuckDbStore } from "../../../api/store/duckdb.ts";
import { ALL_SITES, type EnrollmentRecord } from "../../../api/store/store.ts";
import { enrollmentOf } from "./contract.ts";

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending microtask and promise callback run. */
const settle = () => new Promise((r) => setImmediate(r));

describe("CommitQueue", () => {
  it("items submitted together share one commit, in submission order", async () => {
    const commits: number[][] = [];
    const q = new CommitQueue<number, string>({ commit: async (_k, items) => (commits.push(items), items.map((i) => `r${i}`)) });
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => q.submit("t", i)));
    expect(results).toEqual(["r1", "r2", "r3", "r4", "r5"]);
    expect(commits).toEqual([[1, 2, 3, 4, 5]]);
  });

  it("a caller hears nothing before the commit that holds its item has finished", async () => {
    const gates = [deferred(), deferred()];
    const commits: number[][] = [];
    const q = new CommitQueue<number, number>({
      commit: async (_k, items) => {
        const gate = gates[commits.length];
        commits.push(items);
        await gate.promise;
        return items;
      },
    });
    const settled: number[] = [];
    const first = q.submit("t", 1).then((v) => settled.push(v));
    await settle();
    // Arrivals during the first commit wait for the next one.
    const later = [2, 3].map((i) => q.submit("t", i).then((v) => settled.push(v)));
    await settle();
    expect(commits).toEqual([[1]]);
    expect(settled).toEqual([]);
    gates[0].resolve();
    await first;
    await settle();
    expect(settled).toEqual([1]);
    expect(commits).toEqual([[1], [2, 3]]);
    gates[1].resolve();
    await Promise.all(later);
    expect(settled).toEqual([1, 2, 3]);
  });

  it("a failed commit rejects every caller in it, and only them", async () => {
    let n = 0;
    const q = new CommitQueue<number, number>({
      commit: async (_k, items) => {
        n += 1;
        if (n === 2) throw new Error("disk full");
        return items;
      },
      maxBatch: 3,
    });
    const outcomes = await Promise.allSettled([1, 2, 3, 4, 5, 6, 7].map((i) => q.submit("t", i)));
    expect(outcomes.map((o) => o.status)).toEqual([
      "fulfilled", "fulfilled", "fulfilled", "rejected", "rejected", "rejected", "fulfilled",
    ]);
    for (const o of outcomes.slice(3, 6)) expect((o as PromiseRejectedResult).reason.message).toBe("disk full");
    expect(q.stats()).toMatchObject({ commits: 3, failedCommits: 1, items: 7, largestBatch: 3 });
  });

  it("with weights, a batch stays within maxWeight (but always takes one item)", async () => {
    const batches: number[][] = [];
    const q = new CommitQueue<number, number>({
      commit: async (_k, items) => (batches.push(items), items),
      weight: (w) => w,
      maxWeight: 10,
    });
    // Weights 4, 5 | 2, 12 alone (over the limit, still taken) | 3, 3, 3.
    await Promise.all([4, 5, 2, 12, 3, 3, 3].map((w) => q.submit("t", w)));
    expect(batches).toEqual([[4, 5], [2], [12], [3, 3, 3]]);
  });

  it("with gathering, waits for as many items as the previous commit held (and wakes as soon as they are there)", async () => {
    const batches: number[][] = [];
    const q = new CommitQueue<number, number>({ commit: async (_k, items) => (batches.push(items), items), gatherMs: 5000 });
    await Promise.all([1, 2, 3].map((i) => q.submit("t", i)));
    // One item now and two 20 ms later: without gathering, [4] would commit alone.
    const started = Date.now();
    const late = new Promise<number[]>((resolve) => setTimeout(() => resolve(Promise.all([q.submit("t", 5), q.submit("t", 6)])), 20));
    await Promise.all([q.submit("t", 4), late]);
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6]]);
    // Woken by the third item, not by the 5 s timer.
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("with gathering, closed-loop clients that started apart end up sharing each commit instead of alternating in halves", async () => {
    const batches: number[] = [];
    const q = new CommitQueue<number, number>({
      commit: async (_k, items) => {
        batches.push(items.length);
        await new Promise((resolve) => setTimeout(resolve, 15)); // a commit's latency
        return items;
      },
      // Generous, so that a loaded machine's late timers do not split a batch; the wait ends as
      // soon as the target is there.
      gatherMs: 200,
    });
    // 8 clients; half start at once, the other half while the first commit runs. Each sends its next
    // request 1 ms after its answer. Sharing would take 8 per commit; alternating halves take 4.
    const client = async (start: number) => {
      await new Promise((resolve) => setTimeout(resolve, start));
      for (let r = 0; r < 12; r++) {
        await q.submit("t", r);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    };
    await Promise.all([0, 0, 0, 0, 5, 5, 5, 5].map(client));
    const steady = batches.slice(4, 10);
    expect(steady.every((n) => n === 8)).toBe(true);
  });

  it("with gathering, commits what it has after gatherMs", async () => {
    const batches: number[][] = [];
    const q = new CommitQueue<number, number>({ commit: async (_k, items) => (batches.push(items), items), gatherMs: 30 });
    await Promise.all([1, 2].map((i) => q.submit("t", i)));
    await q.submit("t", 3); // waits up to 30 ms for a second item, then commits alone
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it("with gathering, never waits after a commit of one item (a lone request meets no timer)", async () => {
    const batches: number[][] = [];
    // A wait would take 60 s and time the test out.
    const q = new CommitQueue<number, number>({ commit: async (_k, items) => (batches.push(items), items), gatherMs: 60_000 });
    await q.submit("t", 1);
    await q.submit("t", 2);
    await q.submit("t", 3);
    expect(batches).toEqual([[1], [2], [3]]);
  }, 5000);

  it("a commit returning the wrong number of results rejects its batch", async () => {
    const q = new CommitQueue<number, number>({ commit: async (_k, items) => items.slice(1) });
    const outcomes = await Promise.allSettled([1, 2].map((i) => q.submit("t", i)));
    expect(outcomes.every((o) => o.status === "rejected")).toBe(true);
  });

  it("bounds the batch size and commits every item exactly once, in order", async () => {
    const seen: number[] = [];
    const sizes: number[] = [];
    const q = new CommitQueue<number, number>({
      commit: async (_k, items) => {
        sizes.push(items.length);
        seen.push(...items);
        await settle();
        return items.map((i) => i * 2);
      },
      maxBatch: 64,
    });
    const n = 1000;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => q.submit("t", i)));
    expect(results).toEqual(Array.from({ length: n }, (_, i) => i * 2));
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(Math.max(...sizes)).toBe(64);
    expect(sizes.length).toBe(Math.ceil(n / 64));
  });

  it("commits of one key never overlap; different keys may", async () => {
    const running = new Map<string, number>();
    let overlapSameKey = 0;
    let overlapAcrossKeys = 0;
    const q = new CommitQueue<number, number>({
      commit: async (key, items) => {
        if ((running.get(key) ?? 0) > 0) overlapSameKey += 1;
        if ([...running.values()].some((v) => v > 0)) overlapAcrossKeys += 1;
        running.set(key, (running.get(key) ?? 0) + 1);
        await settle();
        running.set(key, running.get(key)! - 1);
        return items;
      },
      maxBatch: 5,
    });
    const all: Promise<number>[] = [];
    for (let round = 0; round < 20; round++) {
      for (const key of ["a", "b", "c"]) all.push(q.submit(key, round));
      if (round % 4 === 0) await settle();
    }
    await Promise.all(all);
    expect(overlapSameKey).toBe(0);
    expect(overlapAcrossKeys).toBeGreaterThan(0);
  });

  it("refuses beyond maxQueued waiting items, and after close", async () => {
    const gate = deferred();
    const q = new CommitQueue<number, number>({ commit: async (_k, items) => (await gate.promise, items), maxBatch: 2, maxQueued: 3 });
    const accepted = [1, 2, 3].map((i) => q.submit("t", i));
    await expect(q.submit("t", 4)).rejects.toBeInstanceOf(CommitQueueFullError);
    await settle(); // the first commit has taken items 1 and 2
    expect(q.queued("t")).toBe(1);
    const more = [q.submit("t", 5), q.submit("t", 6)];
    await expect(q.submit("t", 7)).rejects.toBeInstanceOf(CommitQueueFullError);
    const closing = q.close();
    await expect(q.submit("t", 8)).rejects.toBeInstanceOf(CommitQueueClosedError);
    gate.resolve();
    await expect(Promise.all([...accepted, ...more])).resolves.toEqual([1, 2, 3, 5, 6]);
    await closing;
  });

  it("refuses a non-positive maxBatch", () => {
    expect(() => new CommitQueue({ commit: async () => [], maxBatch: 0 })).toThrow(RangeError);
  });

  it("under any interleaving: exactly once, FIFO per key, no overlap per key, settled after its commit", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.tuple(fc.constantFrom("a", "b"), fc.boolean()), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        async (s, plan, maxBatch) => {
          const committed = new Map<string, number[]>();
          const submitted = new Map<string, number[]>();
          const finished = new Set<number>();
          const inFlight = new Map<string, boolean>();
          let violations = 0;
          const q = new CommitQueue<number, number>({
            maxBatch,
            commit: async (key, items) => {
              if (inFlight.get(key)) violations += 1;
              inFlight.set(key, true);
              const fail = items.some((i) => plan[i][1] && i % 7 === 3);
              await s.schedule(Promise.resolve(), `commit ${key} ${items.join(",")}`);
              inFlight.set(key, false);
              if (fail) throw new Error("fail");
              committed.set(key, [...(committed.get(key) ?? []), ...items]);
              for (const i of items) finished.add(i);
              return items;
            },
          });
          const outcomes = plan.map(([key], i) =>
            s.schedule(Promise.resolve(), `submit ${i}`).then(() => {
              submitted.set(key, [...(submitted.get(key) ?? []), i]);
              return q.submit(key, i).then(
                (r) => {
                  if (!finished.has(i) || r !== i) violations += 1;
                  return "ok";
                },
                () => "failed",
              );
            }),
          );
          await s.waitFor(Promise.all(outcomes));
          expect(violations).toBe(0);
          const results = await Promise.all(outcomes);
          for (const key of ["a", "b"]) {
            // Committed in submission order (failed batches leave gaps), each item at most once.
            const list = committed.get(key) ?? [];
            const done = new Set(list);
            expect(list).toEqual((submitted.get(key) ?? []).filter((i) => done.has(i)));
            expect(done.size).toBe(list.length);
          }
          const ok = results.filter((r) => r === "ok").length;
          expect(ok).toBe([...committed.values()].reduce((n, l) => n + l.length, 0));
        },
      ),
      { seed: 20261123, numRuns: 150 },
    );
  });
});

describe("CommitQueue into the DuckDB store", () => {
  it("500 concurrent enrollments land in far fewer commits, all present, chain intact", async () => {
    const store = await openDuckDbStore({ path: ":memory:" });
    await store.createTrial(
      { id: "t1", seed: "aa".repeat(32), seedCommitment: "bb".repeat(32), protocolHash: "cc".repeat(32), protocolJson: "{}", at: "2027-01-01T00:00:00.000Z" },
      [{ at: "2027-01-01T00:00:00.000Z", tokenId: null, role: "system", action: "trial.create", target: "trial:t1", reason: null }],
    );
    let nextSequence = 0;
    const q = new CommitQueue<number, EnrollmentRecord>({
      maxBatch: 128,
      commit: async (trialId, people) => {
        // Allocation happens inside the serialized commit, so sequence order is commit order.
        const rows = people.map((p) => enrollmentOf(trialId, nextSequence++, ["aarhus", "odense"][p % 2], p));
        try {
          await store.append(trialId, {
            enrollments: rows,
            audit: rows.map((r) => ({
              at: r.enrolledAt, tokenId: "tok-x", role: "municipality" as const, action: "enrollment.create", target: `participant:${r.publicId}`, reason: null,
            })),
          });
        } catch (e) {
          nextSequence -= rows.length;
          throw e;
        }
        return rows;
      },
    });
    const results = await Promise.all(Array.from({ length: 500 }, (_, p) => q.submit("t1", p)));
    expect(new Set(results.map((r) => r.sequence)).size).toBe(500);
    expect(await store.countEnrollments("t1", ALL_SITES)).toBe(500);
    expect(verifyChain(await store.readAudit("t1"))).toMatchObject({ ok: true, count: 501 });
    expect(q.stats().commits).toBeLessThanOrEqual(Math.ceil(500 / 128) + 1);
    await store.close();
  });
});
