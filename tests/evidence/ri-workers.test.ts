/**
 * The randomization-inference worker pool (api/evidence/ri-parallel-node.ts): stream 0 on this
 * thread or in a worker gives the counts of running every stream in turn; workers are kept and
 * serve the next package; a stream that fails in a worker rejects with its message and leaves
 * the pool working.
 */
import { describe, expect, it } from "vitest";
import { randomizationCounts } from "../../analysis/randomization-inference.ts";
import { parallelRandomizationCounts } from "../../api/evidence/ri-parallel-node.ts";
import type { Protocol } from "../../protocols/index.ts";
import { syntheticIpsTrial } from "./synthetic-trial.ts";

describe("randomization-inference workers", () => {
  const trial = syntheticIpsTrial({ n: 180, draws: 0 });
  const settings = { draws: 240, seed: 17, streams: 2 };
  const inTurn = [0, 1].map((j) => randomizationCounts(trial.protocol, trial.data, settings, j));

  it("give the in-turn counts with stream 0 on this thread and with every stream in a worker, again and again", async () => {
    expect(await parallelRandomizationCounts(trial.protocol, trial.data, settings, { allInWorkers: false })).toEqual(inTurn);
    for (let round = 0; round < 3; round++) expect(await parallelRandomizationCounts(trial.protocol, trial.data, settings)).toEqual(inTurn);
  }, 60_000);

  it("reject a stream that fails with the worker's message, and still serve the next one", async () => {
    const survival = trial.protocol.outcomes.find((o) => o.type === "time_to_event")!;
    const broken: Protocol = { ...trial.protocol, analysis: { ...trial.protocol.analysis, primary_outcome: survival.id } };
    await expect(parallelRandomizationCounts(broken, trial.data, settings)).rejects.toThrow(/randomization-inference worker: .*primary outcome with values/);
    expect(await parallelRandomizationCounts(trial.protocol, trial.data, settings)).toEqual(inTurn);
  }, 60_000);
});
