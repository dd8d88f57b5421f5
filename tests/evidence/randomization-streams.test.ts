/**
 * Randomization inference split over streams: the same numbers in worker threads as in turn on one
 * thread; one stream is exactly the single-stream draws (stream 0 seeded with the seed); the
 * pooled p is the pooled share of extreme draws.
 */
import { describe, expect, it } from "vitest";
import { combineRandomizationCounts, randomizationCounts, streamDraws } from "../../analysis/randomization-inference.ts";
import { assemblePackage } from "../../api/evidence/package.ts";
import { parallelRandomizationCounts, workerRandomizationCounts } from "../../api/evidence/ri-parallel-node.ts";
import { generateSigningJwk, signerFromJwk } from "../../api/evidence/signing.ts";
import { syntheticIpsTrial } from "./synthetic-trial.ts";

describe("randomization-inference streams", () => {
  const trial = syntheticIpsTrial({ n: 240, draws: 0 });
  it("splits the draws ⌈D/S⌉, ⌊D/S⌋ and pools the extreme counts", () => {
    expect([0, 1, 2].map((j) => streamDraws({ draws: 1001, seed: 1, streams: 3 }, j))).toEqual([334, 334, 333]);
    const settings = { draws: 300, seed: 9, streams: 2 };
    const parts = [0, 1].map((j) => randomizationCounts(trial.protocol, trial.data, settings, j));
    const rows = combineRandomizationCounts(trial.protocol, parts, settings);
    expect(rows.map((r) => r.contrast)).toEqual(["ips vs usual", "ips_e vs usual"]);
    rows.forEach((r, t) => expect(r.p_value).toBe((parts[0].extreme[t] + parts[1].extreme[t]) / 300));
    expect(rows[0].seed).toBe("9 (2 streams: seeds 9..10)");
    // Stream 0 of one stream is the whole single-stream run.
    const single = randomizationCounts(trial.protocol, trial.data, { draws: 300, seed: 9, streams: 1 }, 0);
    const first150 = randomizationCounts(trial.protocol, trial.data, { draws: 150, seed: 9, streams: 1 }, 0);
    expect(single.draws).toBe(300);
    expect(first150.extreme.every((e, t) => e <= single.extreme[t])).toBe(true);
  });
  it("gives the same counts in worker threads as in turn", async () => {
    const settings = { draws: 400, seed: 3, streams: 3 };
    const parallel = await parallelRandomizationCounts(trial.protocol, trial.data, settings);
    const inTurn = [0, 1, 2].map((j) => randomizationCounts(trial.protocol, trial.data, settings, j));
    expect(parallel).toEqual(inTurn);
  }, 60_000);
  it("gives a package byte for byte the same with the draws in workers as without", async () => {
    const signer = await signerFromJwk(await generateSigningJwk());
    const make = (riRunner?: typeof workerRandomizationCounts) =>
      assemblePackage({ trialId: "ips", protocol: trial.protocol, protocolJson: trial.protocolJson, protocolHash: trial.protocolHash, data: trial.data, allocations: trial.allocations,
        seedCommitment: trial.seedCommitment, seed: trial.seed, predecessor: null, createdAt: "2027-01-01T00:00:00.000Z", signer, draws: 500, riRunner });
    const [inWorkers, inTurn] = [await make(workerRandomizationCounts), await make()];
    expect(inWorkers.id).toBe(inTurn.id);
    expect([...inWorkers.files.keys()]).toEqual([...inTurn.files.keys()]);
    for (const [path, bytes] of inTurn.files) expect(Buffer.from(inWorkers.files.get(path)!).equals(Buffer.from(bytes)), path).toBe(true);
    expect(inTurn.evidence.randomization_inference).toHaveLength(2);
  }, 60_000);
});
