import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { minimumDetectableEffect, noncentralTUpper, powerAt, requiredSampleSize, simulatePower, standardNormal } from "../../analysis/power.ts";
import { AnalysisError } from "../../analysis/estimate.ts";
import { fastStream, Rerandomizer, shuffle, type DesignParticipant } from "../../analysis/design/index.ts";
import { pnorm, qnorm, twoSidedP } from "../../analysis/distributions.ts";
import type { DesignArm } from "../../protocols/design-schema.ts";

const ref = JSON.parse(readFileSync("tests/reference/power-r/power.json", "utf8"));
const rel = (a: number, b: number, tol: number) => expect(Math.abs(a - b) / Math.abs(b)).toBeLessThanOrEqual(tol);
const continuous = (sd: number) => ({ type: "continuous" as const, sd });

describe("continuous outcomes against R's power.t.test (method noncentral_t)", () => {
  for (const c of ref.power_t_test_power) {
    it(`power, n = ${c.n} per arm, delta = ${c.delta}, sd = ${c.sd}, alpha = ${c["sig.level"]}`, () => {
      const r = powerAt({ outcome: continuous(c.sd), alpha: c["sig.level"] }, 2 * c.n, c.delta, { method: "noncentral_t" });
      expect(Math.abs(r.power - c.r_power)).toBeLessThan(1e-9);
      expect(r.contrasts[0].df).toBe(2 * c.n - 2);
    });
  }
  for (const c of ref.power_t_test_n) {
    it(`n for power ${c.power}, delta = ${c.delta}, alpha = ${c["sig.level"]}`, () => {
      const s = requiredSampleSize({ outcome: continuous(c.sd), alpha: c["sig.level"], power: c.power }, c.delta, { method: "noncentral_t" });
      rel(s.n_exact / 2, c.r_n, 1e-9);
      expect(s.per_arm).toEqual([Math.ceil(c.r_n), Math.ceil(c.r_n)]);
      expect(s.power).toBeGreaterThanOrEqual(c.power);
    });
  }
  it("the MDE inverts power.t.test: power.t.test's delta, and at the MDE the power is the target", () => {
    const m = minimumDetectableEffect({ outcome: continuous(1) }, 2 * ref.t_delta.n, { method: "noncentral_t" });
    rel(m.mde, ref.t_delta.r_delta, 1e-9);
    const p = powerAt({ outcome: continuous(1) }, 128, m.mde, { method: "noncentral_t" });
    expect(Math.abs(p.power - 0.8)).toBeLessThan(1e-9);
  });
  it("the noncentral t with infinite df is the shifted normal", () => {
    expect(noncentralTUpper(1.96, Infinity, 2.8)).toBeCloseTo(1 - pnorm(1.96 - 2.8), 15);
  });
});

describe("the Bloom multiplier (default method)", () => {
  it("is within 0.002 of power.t.test's power (its t-shift approximation of the noncentral t)", () => {
    for (const c of ref.power_t_test_power) {
      const r = powerAt({ outcome: continuous(c.sd), alpha: c["sig.level"] }, 2 * c.n, c.delta);
      expect(Math.abs(r.power - c.r_power)).toBeLessThan(0.002);
    }
  });
  it("tends to z_0.975 + z_0.8 ≈ 2.8 for a large trial", () => {
    const m = minimumDetectableEffect({ outcome: continuous(1) }, 1e7);
    expect(m.multiplier!).toBeCloseTo(qnorm(0.975) + qnorm(0.8), 5);
  });
  for (const c of ref.bloom_cluster) {
    it(`cluster randomization: J = ${c.J}, m = ${c.m}, ICC = ${c.icc}, R² = ${c.r2_1}/${c.r2_2}, g* = ${c.g} (R, Bloom 2005)`, () => {
      const m = minimumDetectableEffect({ outcome: continuous(1), r2: c.r2_1, cluster: { icc: c.icc, size: c.m, r2_cluster: c.r2_2, covariates_cluster: c.g } }, c.J);
      rel(m.mde, c.r_mde, 1e-10);
      rel(m.multiplier!, c.multiplier, 1e-10);
      expect(m.contrasts[0].df).toBe(c.df);
    });
  }
  for (const c of ref.bloom_individual) {
    it(`individual randomization: N = ${c.N}, shares ${c.shares.map((s: number) => s.toFixed(3)).join("/")}, R² = ${c.r2}, K = ${c.K} (R)`, () => {
      const allocation = c.shares.length === 3 ? [1, 1, 1] : c.shares[1] > c.shares[0] ? [1, 2] : [1, 1];
      const m = minimumDetectableEffect({ outcome: continuous(c.sd), allocation, r2: c.r2, covariates: c.K }, c.N);
      rel(m.mde, c.r_mde, 1e-10);
      expect(m.alpha_per_contrast).toBeCloseTo(c.alpha_per_contrast, 15);
      expect(m.contrasts[0].df).toBe(c.df);
    });
  }
  it("three arms: one MDE per contrast, α split over the two contrasts unless told otherwise", () => {
    const bonf = minimumDetectableEffect({ outcome: continuous(1), allocation: [2, 1, 1] }, 400);
    expect(bonf.contrasts).toHaveLength(2);
    expect(bonf.alpha_per_contrast).toBe(0.025);
    // n_arm 100, control 200: SE sqrt(1/100 + 1/200).
    rel(bonf.contrasts[0].std_error, Math.sqrt(1 / 100 + 1 / 200), 1e-12);
    const none = minimumDetectableEffect({ outcome: continuous(1), allocation: [2, 1, 1], multiplicity: "none" }, 400);
    expect(none.alpha_per_contrast).toBe(0.05);
    expect(none.mde).toBeLessThan(bonf.mde);
  });
  it("with ICC 0 and clusters of one, the cluster design is the individual design", () => {
    const a = minimumDetectableEffect({ outcome: continuous(2), r2: 0.2 }, 500);
    const b = minimumDetectableEffect({ outcome: continuous(2), r2: 0.2, cluster: { icc: 0, size: 1 } }, 500);
    rel(b.mde, a.mde, 1e-12);
  });
  it("sample size: the smallest whole number of clusters per arm that reaches the power", () => {
    const design = { outcome: continuous(1), cluster: { icc: 0.1, size: 25 } };
    const s = requiredSampleSize(design, 0.3);
    expect(s.unit).toBe("clusters");
    expect(s.power).toBeGreaterThanOrEqual(0.8);
    expect(powerAt(design, s.n - 2, 0.3).power).toBeLessThan(0.8);
  });
});

describe("binary outcomes against R's power.prop.test", () => {
  for (const c of ref.power_prop_test_power) {
    it(`power, n = ${c.n} per arm, ${c.p1} → ${c.p2}`, () => {
      const r = powerAt({ outcome: { type: "binary", control_rate: c.p1 }, alpha: c["sig.level"] }, 2 * c.n, c.p2 - c.p1);
      expect(Math.abs(r.power - c.r_power)).toBeLessThan(1e-12);
      expect(r.method).toBe("normal_approximation");
    });
  }
  for (const c of ref.power_prop_test_n) {
    it(`n for power ${c.power}, ${c.p1} → ${c.p2}`, () => {
      const s = requiredSampleSize({ outcome: { type: "binary", control_rate: c.p1 }, power: c.power }, c.p2 - c.p1);
      rel(s.n_exact / 2, c.r_n, 1e-9);
    });
  }
  it("the MDE of a decrease mirrors the MDE of an increase at 1 − p", () => {
    const up = minimumDetectableEffect({ outcome: { type: "binary", control_rate: 0.3 } }, 800);
    const down = minimumDetectableEffect({ outcome: { type: "binary", control_rate: 0.7, direction: "decrease" } }, 800);
    rel(down.mde, up.mde, 1e-9);
    // The Danish IPS trial: 46.5 % employed under usual services; MDE for 240 per arm.
    const ips = minimumDetectableEffect({ outcome: { type: "binary", control_rate: 0.465 } }, 480);
    const back = powerAt({ outcome: { type: "binary", control_rate: 0.465 } }, 480, ips.mde);
    expect(Math.abs(back.power - 0.8)).toBeLessThan(1e-9);
  });
  it("an unreachable power is an error for the MDE, not NaN; powerAt still gives the power", () => {
    expect(() => minimumDetectableEffect({ outcome: { type: "binary", control_rate: 0.9 } }, 4)).toThrow(AnalysisError);
    const p = powerAt({ outcome: { type: "binary", control_rate: 0.9 } }, 4, 0.05);
    expect(p.mde).toBeNull();
    expect(p.contrasts[0].mde).toBeNull();
    expect(p.power).toBeGreaterThan(0);
    expect(p.power).toBeLessThan(0.8);
  });
});

describe("bad designs", () => {
  it("names the parameter and value", () => {
    expect(() => minimumDetectableEffect({ outcome: continuous(0) }, 100)).toThrow(/invalid outcome sd; not positive: 0/);
    expect(() => minimumDetectableEffect({ outcome: continuous(1), alpha: 1.2 }, 100)).toThrow(/invalid alpha/);
    expect(() => minimumDetectableEffect({ outcome: continuous(1), allocation: [1] }, 100)).toThrow(/invalid allocation/);
    expect(() => minimumDetectableEffect({ outcome: continuous(1), cluster: { icc: 1.5, size: 10 } }, 100)).toThrow(/invalid icc/);
    expect(() => minimumDetectableEffect({ outcome: continuous(1), cluster: { icc: 0.1, size: 10 } }, 2)).toThrow(/2 clusters leave 0 degrees of freedom/);
    expect(() => requiredSampleSize({ outcome: continuous(1) }, 0)).toThrow(/invalid effect/);
  });
});

/** Welch two-sample t-test p-value of arm 1 against arm 0. */
function welchP(y: Float64Array, arms: Int8Array): number {
  let n1 = 0, s1 = 0, q1 = 0, n0 = 0, s0 = 0, q0 = 0;
  for (let i = 0; i < y.length; i++) {
    if (arms[i] === 1) { n1++; s1 += y[i]; q1 += y[i] * y[i]; } else { n0++; s0 += y[i]; q0 += y[i] * y[i]; }
  }
  const m1 = s1 / n1, m0 = s0 / n0;
  const v1 = (q1 - n1 * m1 * m1) / (n1 - 1) / n1, v0 = (q0 - n0 * m0 * m0) / (n0 - 1) / n0;
  const df = (v1 + v0) ** 2 / (v1 ** 2 / (n1 - 1) + v0 ** 2 / (n0 - 1));
  return twoSidedP((m1 - m0) / Math.sqrt(v1 + v0), df);
}

const normalOutcome = (effect: number) => (arms: Int8Array, rng: ReturnType<typeof fastStream>) => {
  const y = new Float64Array(arms.length);
  for (let i = 0; i < arms.length; i++) y[i] = standardNormal(rng) + (arms[i] === 1 ? effect : 0);
  return y;
};

describe("power by simulation", () => {
  // power.t.test(n = 64, delta = 0.5) = 0.8014596.
  const analytic = powerAt({ outcome: continuous(1) }, 128, 0.5, { method: "noncentral_t" }).power;

  it("complete randomization (64 of 128 treated) agrees with the analytic power within 4 Monte Carlo SEs", () => {
    const base = Int8Array.from({ length: 128 }, (_, i) => (i < 64 ? 1 : 0));
    const buf = new Int8Array(128);
    const sim = simulatePower({
      allocate: (rng) => { buf.set(base); shuffle(rng, buf); return buf; },
      outcome: normalOutcome(0.5),
      analyze: welchP,
      draws: 2000,
      rng: fastStream(7),
    });
    expect(sim.draws).toBe(2000);
    expect(sim.mc_se).toBeCloseTo(Math.sqrt((sim.power * (1 - sim.power)) / 2000), 15);
    expect(Math.abs(sim.power - analytic)).toBeLessThan(4 * sim.mc_se);
  });

  it("through the design engine's re-randomizer (blocks of 4) agrees too, and the null effect gives size α", () => {
    const arms: DesignArm[] = [{ id: "control", ratio: 1, control: true }, { id: "ips", ratio: 1, control: false }];
    const people: DesignParticipant[] = Array.from({ length: 128 }, (_, i) => ({ id: String(i), site: "101" }));
    const rr = new Rerandomizer({ arms, design: { type: "blocked", block_sizes: [4] } }, people);
    const buf = new Int8Array(128);
    const allocate = (rng: ReturnType<typeof fastStream>) => { rr.draw(rng, buf); return buf; };
    const sim = simulatePower({ allocate, outcome: normalOutcome(0.5), analyze: welchP, draws: 2000, rng: fastStream(11) });
    expect(Math.abs(sim.power - analytic)).toBeLessThan(4 * sim.mc_se);
    const size = simulatePower({ allocate, outcome: normalOutcome(0), analyze: welchP, draws: 2000, rng: fastStream(13), alpha: 0.05 });
    expect(Math.abs(size.power - 0.05)).toBeLessThan(4 * Math.sqrt(0.05 * 0.95 / 2000));
  });

  it("a NaN p-value is an error", () => {
    expect(() => simulatePower({ allocate: () => new Int8Array(2), outcome: () => new Float64Array(2), analyze: () => NaN, draws: 1, rng: fastStream(1) })).toThrow(AnalysisError);
    expect(() => simulatePower({ allocate: () => new Int8Array(2), outcome: () => new Float64Array(2), analyze: () => true, draws: 0, rng: fastStream(1) })).toThrow(/invalid draws/);
  });
});

describe("one-sided tests and binary outcomes under cluster randomization", () => {
  it("one-sided power and n as power.t.test / power.prop.test with alternative = \"one.sided\"", () => {
    const o = ref.one_sided;
    expect(Math.abs(powerAt({ outcome: continuous(1), sides: 1 }, 60, 0.6, { method: "noncentral_t" }).power - o.t_power)).toBeLessThan(1e-9);
    rel(requiredSampleSize({ outcome: continuous(1), sides: 1, power: 0.9 }, 0.4, { method: "noncentral_t" }).n_exact / 2, o.t_n, 1e-9);
    expect(Math.abs(powerAt({ outcome: { type: "binary", control_rate: 0.2 }, sides: 1 }, 300, 0.1).power - o.prop_power)).toBeLessThan(1e-12);
  });
  it("binary, 30 clusters of 20, ICC 0.05: variances times the design effect 1.95, t with 28 df (hand computation)", () => {
    const r = powerAt({ outcome: { type: "binary", control_rate: 0.3 }, cluster: { icc: 0.05, size: 20 } }, 30, 0.15);
    // Equal arms of 300 individuals, pbar = (0.45 + 0.3) / 2 = 0.375,
    // se0 = sqrt(deff · pbar (1 − pbar) · 2 / n) under the null.
    const deff = 1 + 19 * 0.05, n = 300;
    const se1 = Math.sqrt(deff * (0.45 * 0.55 / n + 0.3 * 0.7 / n));
    // R: pt((0.15 - qt(0.975, 28) * se0) / se1, 28).
    const expected = 0.7480924525744518;
    expect(r.contrasts[0].df).toBe(28);
    expect(Math.abs(r.power - expected)).toBeLessThan(1e-12);
    rel(r.contrasts[0].std_error, se1, 1e-12);
  });
});
