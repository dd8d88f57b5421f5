/**
 * Minimization balance bounds, derived by hand and checked against the engine.
 *
 * 1. p_preferred = 1, one factor, range imbalance, any arms and integer ratios: at every level the
 *    ratio-adjusted counts v_j = n_j / r_j keep max − min ≤ 1. Induction: if the range is ≤ 1
 *    before, adding the participant to an arm m of smallest v gives a range of at most
 *    max(range, 1/r_m) ≤ 1 (the new minimum is ≥ the old one); the chosen arm's range is no larger.
 * 2. p_preferred = p < 1, two arms 1:1, one factor: at a level, D = n₁ − n₀ moves 0 → ±1 (a tie,
 *    drawn by the ratios) and otherwise towards 0 with probability p, away with 1 − p. The law of
 *    |D| after m participants of the level is computed exactly by dynamic programming over that
 *    birth–death chain and compared with simulated trials.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Design, DesignArm } from "../../../protocols/design-schema.ts";
import { allocateAll, fastStream, Rerandomizer, type DesignParticipant } from "../../../analysis/design/index.ts";
import { pchisqUpper } from "../../../analysis/distributions.ts";

const SEED = "9e3779b97f4a7c15".repeat(4);
const oneFactor = (p: number, imbalance: "range" | "variance" = "range"): Design => ({ type: "minimization", factors: [{ covariate: "site", weight: 1 }], imbalance, p_preferred: p });

describe("minimization with p_preferred = 1 and one factor", () => {
  it("keeps the range of ratio-adjusted counts at every level ≤ 1 after every allocation (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 150 }),
        fc.nat(15),
        (ratios, sites, s) => {
          const arms: DesignArm[] = ratios.map((ratio, i) => ({ id: `a${i}`, ratio, control: i === 0 }));
          const rows = allocateAll({ arms, design: oneFactor(1) }, s.toString(16).repeat(64), sites.map((site, i) => ({ id: String(i), site: String(site) })));
          const counts = new Map<number, number[]>();
          rows.forEach((r, i) => {
            const c = counts.get(sites[i]) ?? ratios.map(() => 0);
            c[Number(r.arm.slice(1))]++;
            counts.set(sites[i], c);
            const v = c.map((n, j) => n / ratios[j]);
            expect(Math.max(...v) - Math.min(...v)).toBeLessThanOrEqual(1 + 1e-12);
          });
        },
      ),
      { numRuns: 120, seed: 31 },
    );
  });
});

/** Exact law of |D| after m steps of the birth–death chain (0 → 1; j → j−1 w.p. p, j+1 w.p. 1−p). */
function exactAbsDifference(m: number, p: number): number[] {
  let dist = new Array(m + 2).fill(0);
  dist[0] = 1;
  for (let t = 0; t < m; t++) {
    const next = new Array(m + 2).fill(0);
    next[1] += dist[0];
    for (let j = 1; j <= m; j++) {
      next[j - 1] += dist[j] * p;
      next[j + 1] += dist[j] * (1 - p);
    }
    dist = next;
  }
  return dist;
}

describe("minimization with p_preferred < 1, two arms 1:1, one factor", () => {
  it("knows the hand-derived long-run law it checks against (p = 0.8: P(|D| ≥ 4) ≈ 1.56% at even counts)", () => {
    const d = exactAbsDifference(200, 0.8);
    // Stationary on even states: weights 1, (1/p)(q/p), (1/p)(q/p)^3, … with q/p = 1/4: total 4/3.
    expect(d[0]).toBeCloseTo(0.75, 6);
    expect(d[2]).toBeCloseTo(0.3125 / (4 / 3), 6);
    expect(d.slice(4).reduce((a, b) => a + b, 0)).toBeCloseTo(1 - 0.75 - 0.234375, 6);
  });

  for (const imbalance of ["range", "variance"] as const) {
    it(`gives each level's |n₁ − n₀| the exact birth–death law (${imbalance}, p = 0.8 and 0.65, 3,000 trials)`, () => {
      // Three sites, interleaved: each level sees 60 participants; the levels are independent.
      const people: DesignParticipant[] = Array.from({ length: 180 }, (_, i) => ({ site: String(i % 3) }));
      const arms: DesignArm[] = [
        { id: "control", ratio: 1, control: true },
        { id: "treat", ratio: 1, control: false },
      ];
      for (const p of [0.8, 0.65]) {
        const rr = new Rerandomizer({ arms, design: oneFactor(p, imbalance) }, people);
        const out = new Int8Array(rr.n);
        const rng = fastStream(Math.round(p * 100));
        const observed = new Array(62).fill(0);
        for (let t = 0; t < 3000; t++) {
          rr.draw(rng, out);
          const diff = [0, 0, 0];
          for (let i = 0; i < rr.n; i++) diff[i % 3] += out[i] === 1 ? 1 : -1;
          for (const d of diff) observed[Math.abs(d)]++;
        }
        const exact = exactAbsDifference(60, p);
        // Chi-square over the even values, pooling the tail so each bin expects ≥ 20.
        const total = 9000;
        let chisq = 0;
        let bins = 0;
        let tailObs = 0;
        let tailExp = 0;
        for (let j = 0; j <= 60; j += 2) {
          const e = exact[j] * total;
          if (e >= 20 && tailExp === 0) {
            chisq += (observed[j] - e) ** 2 / e;
            bins++;
          } else {
            tailObs += observed[j];
            tailExp += e;
          }
        }
        chisq += (tailObs - tailExp) ** 2 / tailExp;
        bins++;
        expect(observed.filter((_, j) => j % 2 === 1).every((c) => c === 0)).toBe(true);
        expect(pchisqUpper(chisq, bins - 1)).toBeGreaterThan(0.001);
      }
    });
  }
});
