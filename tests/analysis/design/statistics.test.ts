import { describe, expect, it } from "vitest";
import type { Design, DesignArm } from "../../../protocols/design-schema.ts";
import { allocateAll, convergenceGuessRate, fastStream, Rerandomizer, type DesignParticipant } from "../../../analysis/design/index.ts";
import { pchisqUpper } from "../../../analysis/distributions.ts";
import { ksUniformP } from "./ks.ts";

const arms2: DesignArm[] = [
  { id: "control", ratio: 1, control: true },
  { id: "treat", ratio: 1, control: false },
];

describe("simple randomization", () => {
  it("gives chi-square p-values of the allocation ratio that are uniform over 1,000 trials (live path)", () => {
    const arms: DesignArm[] = [
      { id: "control", ratio: 1, control: true },
      { id: "a", ratio: 1, control: false },
      { id: "b", ratio: 2, control: false },
    ];
    const people: DesignParticipant[] = Array.from({ length: 120 }, (_, i) => ({ id: String(i), site: "101" }));
    const pValues: number[] = [];
    for (let t = 0; t < 1000; t++) {
      const seed = t.toString(16).padStart(64, "0");
      const rows = allocateAll({ arms, design: { type: "simple" } }, seed, people);
      const expected = [30, 30, 60];
      const chisq = arms.reduce((s, a, k) => s + (rows.filter((r) => r.arm === a.id).length - expected[k]) ** 2 / expected[k], 0);
      pValues.push(pchisqUpper(chisq, 2));
    }
    // Counts are discrete, so the p-values come in small lumps; at n = 120 the KS test tolerates
    // them, and the next case shows the same check does reject a wrong ratio.
    expect(ksUniformP(pValues)).toBeGreaterThan(0.01);
  });

  it("the same KS check rejects a sampler with the wrong ratio (the test can fail)", () => {
    const rng = fastStream(1);
    const pValues: number[] = [];
    for (let t = 0; t < 1000; t++) {
      let treated = 0;
      for (let i = 0; i < 120; i++) treated += rng.nextUint32() / 2 ** 32 < 0.56 ? 1 : 0;
      pValues.push(pchisqUpper((treated - 60) ** 2 / 60 + (120 - treated - 60) ** 2 / 60, 1));
    }
    expect(ksUniformP(pValues)).toBeLessThan(0.01);
  });
});

/** Exact convergence-guess rate of one permuted block of 2m (1:1), by enumerating its sequences. */
function exactBlockGuessRate(size: number): number {
  const m = size / 2;
  let total = 0;
  let sequences = 0;
  for (let mask = 0; mask < 1 << size; mask++) {
    let ones = 0;
    for (let i = 0; i < size; i++) ones += (mask >> i) & 1;
    if (ones !== m) continue;
    sequences++;
    let a = 0;
    let b = 0;
    for (let i = 0; i < size; i++) {
      const arm = (mask >> i) & 1;
      total += a === b ? 0.5 : (a < b ? 1 : 0) === arm ? 1 : 0;
      if (arm === 1) a++;
      else b++;
    }
  }
  return total / sequences / size;
}

function guessRate(design: Design, trials = 5000, n = 200, strata?: (i: number) => string): number {
  const people: DesignParticipant[] = Array.from({ length: n }, (_, i) => ({ site: strata ? strata(i) : "101", covariates: { g: strata ? strata(i) : "x" } }));
  const rr = new Rerandomizer({ arms: arms2, design }, people);
  const out = new Int8Array(n);
  const stratumIndex = strata ? Int32Array.from(people, (p) => Number(p.site)) : null;
  const rng = fastStream(2024);
  let sum = 0;
  for (let t = 0; t < trials; t++) {
    rr.draw(rng, out);
    sum += convergenceGuessRate(out, stratumIndex, [1, 1], rng);
  }
  return sum / trials;
}

describe("predictability (Blackwell–Hodges convergence guessing, 5,000 trials of 200)", () => {
  it("knows the exact per-block rates it checks against", () => {
    expect(exactBlockGuessRate(4)).toBeCloseTo((0.5 + 2 / 3 + 2 / 3 + 1) / 4, 12);
  });
  it("simple randomization ≈ 0.500", () => {
    expect(Math.abs(guessRate({ type: "simple" }) - 0.5)).toBeLessThan(0.01);
  });
  it("blocks of 4 ≈ 0.708", () => {
    expect(Math.abs(guessRate({ type: "blocked", block_sizes: [4] }) - exactBlockGuessRate(4))).toBeLessThan(0.01);
  });
  it("blocks of 6 ≈ 0.683", () => {
    expect(exactBlockGuessRate(6)).toBeCloseTo(0.6833, 3);
    expect(Math.abs(guessRate({ type: "blocked", block_sizes: [6] }) - exactBlockGuessRate(6))).toBeLessThan(0.01);
  });
});

