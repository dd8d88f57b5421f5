/**
 * The live path (Allocator, one participant at a time) and the batch path (Rerandomizer, a whole
 * data set per draw) run the same design code: fed the same random source they must give the same
 * allocation sequence, for every design. Also: the allocator's JSON state carries a trial on
 * exactly as an uninterrupted allocator would.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Design, DesignArm } from "../../../protocols/design-schema.ts";
import { allocateAll, Allocator, DesignInputError, fastStream, Rerandomizer, type AllocationSources, type DesignParticipant, type TrialDesign } from "../../../analysis/design/index.ts";

const SEED = "c0ffee00".repeat(8);
const SITES = ["101", "147", "151", "153", "155"];
const START = Date.parse("2026-01-05T00:00:00Z");
const WEEK = 7 * 86_400_000;

/** A random trial (arms, and a design of any type that fits them) plus its participants. */
const trialArb: fc.Arbitrary<{ trial: TrialDesign; people: DesignParticipant[] }> = fc
  .record({
    ratios: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 4 }),
    kind: fc.constantFrom("simple", "blocked", "stratified", "minimization", "cluster", "stepped_wedge"),
    multiples: fc.subarray([1, 2, 3], { minLength: 1 }),
    strata: fc.constantFrom(["site"], ["g"], ["site", "g"]),
    factors: fc.subarray(["site", "g", "h"], { minLength: 1 }),
    weights: fc.array(fc.constantFrom(0.5, 1, 2), { minLength: 3, maxLength: 3 }),
    imbalance: fc.constantFrom("range" as const, "variance" as const),
    p: fc.constantFrom(0.7, 0.8, 1),
    clusterBlocks: fc.boolean(),
    steps: fc.integer({ min: 1, max: 5 }),
    extraPeriods: fc.integer({ min: 0, max: 2 }),
    n: fc.integer({ min: 1, max: 150 }),
    salt: fc.nat(1000),
  })
  .map((r) => {
    const ratios = r.kind === "stepped_wedge" ? r.ratios.slice(0, 2) : r.ratios;
    const arms: DesignArm[] = ratios.map((ratio, i) => ({ id: `arm${i}`, ratio, control: i === 0 }));
    const total = ratios.reduce((a, b) => a + b, 0);
    const blockSizes = r.multiples.map((m) => m * total);
    const periods = r.steps + r.extraPeriods;
    let design: Design;
    switch (r.kind) {
      case "simple":
        design = { type: "simple" };
        break;
      case "blocked":
        design = { type: "blocked", block_sizes: blockSizes };
        break;
      case "stratified":
        design = { type: "stratified", strata: [...r.strata], block_sizes: blockSizes };
        break;
      case "minimization":
        design = { type: "minimization", factors: r.factors.map((covariate, i) => ({ covariate, weight: r.weights[i] })), imbalance: r.imbalance, p_preferred: r.p };
        break;
      case "cluster":
        design = { type: "cluster", unit: "team", strata: r.clusterBlocks ? ["site"] : [], block_sizes: r.clusterBlocks ? blockSizes : undefined };
        break;
      default:
        design = { type: "stepped_wedge", unit: "site", start: "2026-01-05", periods, period_weeks: 4, steps: r.steps };
    }
    const people = Array.from({ length: r.n }, (_, i) => {
      const x = (i * 7919 + r.salt * 104729) % 1_000_003;
      const team = x % 12;
      return {
        id: `P${i + 1}`,
        // A team belongs to one site, so the strata of cluster units are unit-level.
        site: SITES[team % SITES.length],
        covariates: { g: `g${x % 3}`, h: x % 5 === 0, team: `T${team}` },
        enrolled_at: new Date(START + Math.floor(((x % 997) / 997) * periods * 4 * WEEK)).toISOString(),
      };
    });
    return { trial: { arms, design, sites: SITES }, people };
  });

/** Sources that hand out one shared fast stream, as the batch re-randomizer uses one. */
function shared(seed: number): AllocationSources {
  const rng = fastStream(seed);
  return { schedule: () => rng, forSequence: () => rng };
}

describe("live and batch paths", () => {
  it("give the same allocation sequence from the same random source, for every design (property)", () => {
    fc.assert(
      fc.property(trialArb, fc.nat(), ({ trial, people }, seed) => {
        const live = new Allocator(trial, SEED, { sources: shared(seed) });
        const liveArms = people.map((p) => {
          const { arm } = live.allocate(p);
          return trial.arms.findIndex((a) => a.id === arm);
        });
        const batch = new Rerandomizer(trial, people);
        const out = new Int8Array(batch.n);
        batch.draw(fastStream(seed), out);
        expect(Array.from(out)).toEqual(liveArms);
        // A second draw starts afresh (new schedule, new blocks) rather than carrying state over.
        const again = new Int8Array(batch.n);
        const rng = fastStream(seed);
        batch.draw(rng, again);
        expect(again).toEqual(out);
      }),
      { numRuns: 150, seed: 20261123 },
    );
  });
});

describe("allocator state", () => {
  it("carries on from its JSON state exactly as an uninterrupted allocator, for every design (property)", () => {
    fc.assert(
      fc.property(trialArb, fc.integer({ min: 0, max: 100 }), ({ trial, people }, cut) => {
        const k = Math.min(cut, people.length);
        const all = allocateAll(trial, SEED, people);
        const first = new Allocator(trial, SEED);
        people.slice(0, k).forEach((p) => first.allocate(p));
        const stored = JSON.parse(JSON.stringify(first.state()));
        const resumed = Allocator.restore(trial, SEED, stored);
        expect(resumed.allocated).toBe(k);
        const rest = people.slice(k).map((p) => resumed.allocate(p));
        expect(rest).toEqual(all.slice(k).map(({ arm, stratum, sequence }) => ({ arm, stratum, sequence })));
        // Replaying the history gives the same state as the one saved along the way.
        const replayed = Allocator.replay(trial, SEED, people.slice(0, k).map((p, i) => ({ ...p, arm: all[i].arm })));
        expect(replayed.state()).toEqual(stored);
      }),
      { numRuns: 100, seed: 4242 },
    );
  });

  it("refuses a state saved for another design or other arms", () => {
    const arms: DesignArm[] = [
      { id: "control", ratio: 1, control: true },
      { id: "treat", ratio: 1, control: false },
    ];
    const a = new Allocator({ arms, design: { type: "blocked", block_sizes: [4] } }, SEED);
    a.allocate({ site: "101" });
    const state = a.state();
    expect(() => Allocator.restore({ arms, design: { type: "blocked", block_sizes: [6] } }, SEED, state)).toThrow(/another design/);
    expect(() => Allocator.restore({ arms: [arms[0], { ...arms[1], ratio: 2 }], design: { type: "blocked", block_sizes: [4] } }, SEED, state)).toThrow(/another design/);
  });

  it("is unchanged by a participant the design cannot place, and names the missing covariate", () => {
    const arms: DesignArm[] = [
      { id: "control", ratio: 1, control: true },
      { id: "treat", ratio: 1, control: false },
    ];
    const trial: TrialDesign = { arms, design: { type: "minimization", factors: [{ covariate: "age_band", weight: 1 }, { covariate: "education", weight: 1 }], imbalance: "range", p_preferred: 0.8 } };
    const a = new Allocator(trial, SEED);
    a.allocate({ site: "101", covariates: { age_band: "18-24", education: "none" } });
    const before = JSON.stringify(a.state());
    // A new age band is seen before the missing education is: it must not be recorded.
    let error: unknown;
    try {
      a.allocate({ site: "101", covariates: { age_band: "25-29" } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DesignInputError);
    expect((error as DesignInputError).variable).toBe("education");
    expect((error as Error).message).toMatch(/education.*mangler/);
    expect(JSON.stringify(a.state())).toBe(before);
    const stratified = new Allocator({ arms, design: { type: "stratified", strata: ["site", "target_group"], block_sizes: [4] } }, SEED);
    expect(() => stratified.allocate({ site: "101", covariates: { target_group: "" } })).toThrow(/target_group/);
  });
});
