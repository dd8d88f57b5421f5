/**
 * Randomization inference against a straightforward reference, draw for draw: each draw re-runs
 * the trial through the live allocator (one participant at a time, the engine's `assign`) fed by
 * pure-rand's xoroshiro128+ — or, for the simple design, a Fisher–Yates permutation of the realized
 * arms written out here — and re-runs the difference-in-means estimator on the permuted data. The
 * fast path (coded participants, inlined generator, one pass for every arm's mean) must give the
 * same extreme counts, for several designs, seeds and stream splits.
 */
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { describe, expect, it } from "vitest";
import { Allocator, randomInt, trialDesignOf, type RandomSource } from "../../analysis/design/index.ts";
import { differenceInMeans } from "../../analysis/estimators/difference-in-means.ts";
import { combineRandomizationCounts, randomizationCounts, streamDraws, type RandomizationSettings } from "../../analysis/randomization-inference.ts";
import type { Design } from "../../protocols/design-schema.ts";
import type { Protocol } from "../../protocols/index.ts";
import { syntheticIpsTrial } from "../evidence/synthetic-trial.ts";

const trial = syntheticIpsTrial({ n: 240, draws: 0 });
const text = (name: string) => trial.data.columns.get(name) as (string | null)[];
const arms = trial.protocol.arms.map((a) => a.id);
const control = trial.protocol.arms.find((a) => a.control)!.id;
const primary = trial.protocol.analysis.primary_outcome;
const binary = trial.data.columns.get(primary) as Float64Array;
/** The data with a real-valued primary outcome (the 0/1 outcome plus seeded noise; missing stays missing). */
const noisy = (() => {
  const rng = referenceStream(99);
  const values = binary.map((v) => v + rng.nextUint32() / 2 ** 32 - 0.5);
  return { ...trial.data, columns: new Map([...trial.data.columns].map(([name, column]) => [name, name === primary ? values : column])) };
})();
let y = binary;

/** pure-rand's generator as the previous implementation used it. */
function referenceStream(seed: number): RandomSource {
  const g = xoroshiro128plus(seed | 0);
  return { nextUint32: () => g.next() >>> 0 };
}

/** One re-randomization, the slow way: arm ids per participant. */
function referenceDraw(protocol: Protocol, rng: RandomSource): string[] {
  const realized = text("arm");
  if (protocol.design.type === "simple") {
    const permuted = [...realized] as string[];
    for (let i = permuted.length - 1; i > 0; i--) {
      const j = randomInt(rng, i + 1);
      [permuted[i], permuted[j]] = [permuted[j], permuted[i]];
    }
    return permuted;
  }
  const allocator = new Allocator(trialDesignOf(protocol), "5eed".repeat(16), { sources: { schedule: () => rng, forSequence: () => rng } });
  const site = text("site");
  const diagnosis = text("diagnosis");
  return site.map((s, i) => allocator.allocate({ site: s!, covariates: { diagnosis: diagnosis[i] } }).arm);
}

/** The difference in means of the observed outcomes, treated arm vs control, by the estimator. */
function estimate(assigned: readonly (string | null)[], arm: string): number {
  const rows = assigned.map((a, i) => i).filter((i) => (assigned[i] === arm || assigned[i] === control) && !Number.isNaN(y[i]));
  return differenceInMeans(rows.map((i) => y[i]), rows.map((i) => (assigned[i] === arm ? 1 : 0))).estimate;
}

function referenceCounts(protocol: Protocol, settings: RandomizationSettings) {
  const treated = arms.filter((a) => a !== control);
  const observed = treated.map((a) => estimate(text("arm"), a));
  return Array.from({ length: settings.streams }, (_, stream) => {
    const rng = referenceStream(settings.seed + stream);
    const extreme = treated.map(() => 0);
    for (let d = 0; d < streamDraws(settings, stream); d++) {
      const assigned = referenceDraw(protocol, rng);
      treated.forEach((a, t) => {
        const o = Math.abs(observed[t]);
        if (Math.abs(estimate(assigned, a)) >= o - 1e-9 * Math.max(1, o)) extreme[t]++;
      });
    }
    return { observed, extreme };
  });
}

const withDesign = (design: Design): Protocol => ({ ...trial.protocol, design });

describe("randomization inference", () => {
  const cases: [string, Design, RandomizationSettings][] = [
    ["the protocol's stratified design (blocks of 3 or 6 by site)", trial.protocol.design, { draws: 301, seed: 11, streams: 2 }],
    ["blocked, one block size", { type: "blocked", block_sizes: [6] }, { draws: 200, seed: 4, streams: 1 }],
    ["stratified, a real-valued outcome (sums in participant order)", trial.protocol.design, { draws: 200, seed: 21, streams: 2 }],
    ["stratified by site and diagnosis", { type: "stratified", strata: ["site", "diagnosis"], block_sizes: [3, 9] }, { draws: 150, seed: 2_000_000_000, streams: 3 }],
    ["simple (complete randomization keeping the arm sizes)", { type: "simple" }, { draws: 200, seed: 5, streams: 2 }],
    ["minimization on site and diagnosis", { type: "minimization", factors: [{ covariate: "site", weight: 1 }, { covariate: "diagnosis", weight: 2 }], imbalance: "range", p_preferred: 0.8 }, { draws: 120, seed: 8, streams: 2 }],
  ];
  it.each(cases)("counts the same extreme draws as re-running the estimator per draw: %s", (name, design, settings) => {
    const protocol = withDesign(design);
    const data = name.includes("real-valued") ? noisy : trial.data;
    y = data.columns.get(primary) as Float64Array;
    const reference = referenceCounts(protocol, settings);
    const fast = Array.from({ length: settings.streams }, (_, j) => randomizationCounts(protocol, data, settings, j));
    fast.forEach((part, j) => {
      expect(part.draws).toBe(streamDraws(settings, j));
      expect(part.extreme).toEqual(reference[j].extreme);
      part.observed.forEach((o, t) => expect(o).toBeCloseTo(reference[j].observed[t], 12));
    });
    // A p-value strictly between 0 and 1 for at least one contrast, so the comparison has teeth.
    const rows = combineRandomizationCounts(protocol, fast, settings);
    expect(rows.some((r) => r.p_value > 0 && r.p_value < 1)).toBe(true);
  });
});
