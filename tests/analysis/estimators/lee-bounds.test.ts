import { describe, expect, it } from "vitest";
import { leeBounds } from "../../../analysis/estimators/lee-bounds.ts";
import { AnalysisError } from "../../../analysis/estimate.ts";
import { fastStream, uniform } from "../../../analysis/design/random.ts";
import { qnorm } from "../../../analysis/distributions.ts";

const close = (a: number, b: number, tol = 1e-12) => expect(Math.abs(a - b)).toBeLessThanOrEqual(tol);

describe("Lee bounds: hand-computed cases", () => {
  // Treatment: 5 randomized, all observed (1..5). Control: 5 randomized, 4 observed (2, 2, 4, 4).
  const y = [1, 2, 3, 4, 5, 2, 2, 4, 4, NaN];
  const arm = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
  const r = leeBounds(y, arm, { outcome: "hourly_wage", armNames: ["control", "ips"] });

  it("trims p = (1 − 0.8) / 1 = 0.2 of the treatment arm", () => {
    expect(r.trimmed_arm).toBe("treatment");
    close(r.trimming_proportion, 0.2);
    expect(r.observed_share_treatment).toBe(1);
    expect(r.observed_share_control).toBe(0.8);
    expect(r.lower_cutoff).toBe(2);
    expect(r.upper_cutoff).toBe(4);
  });

  it("bounds: mean(1..4) − 3 and mean(2..5) − 3", () => {
    close(r.lower.estimate, -0.5);
    close(r.upper.estimate, 0.5);
  });

  it("standard errors from Lee's Proposition 3, term by term", () => {
    // kept part variance 5/3 over 4; quantile term 1.5²·0.2/(0.8·5); p term (1.5/0.8)²·V_p with
    // V_p = 0.8²·(0/(5·1) + 0.2/(5·0.8)) = 0.032; control mean variance (4/3)/4.
    const v = 5 / 3 / 4 + (2.25 * 0.2) / (0.8 * 5) + (1.5 / 0.8) ** 2 * 0.032 + 4 / 3 / 4;
    close(r.trimming_proportion_se, Math.sqrt(0.032));
    close(r.lower.std_error, Math.sqrt(v));
    close(r.upper.std_error, Math.sqrt(v));
    expect(r.lower.se_type).toBe("lee2009");
    expect(r.lower.df).toBeNull();
    expect(r.lower.term).toBe("ips vs control: lower bound");
  });

  it("fractional trimming when p·m is not a whole number", () => {
    // Treatment 1..4 all observed; control 5 randomized, 4 observed: p = 0.2, drop 0.8 of 4.
    const f = leeBounds([1, 2, 3, 4, 0, 0, 0, 0, NaN], [1, 1, 1, 1, 0, 0, 0, 0, 0], { outcome: "y" });
    close(f.lower.estimate, (1 + 2 + 3 + 0.2 * 4) / 3.2);
    close(f.upper.estimate, (0.2 * 1 + 2 + 3 + 4) / 3.2);
  });

  it("a binary outcome: exactly the share p is trimmed, not every tied value", () => {
    // Treatment: 10 randomized, all observed, six 1s. Control: 10 randomized, 8 observed. p = 0.2,
    // 2 of 10 trimmed: the lower bound drops two 1s (4/8), the upper two 0s (6/8).
    const yt = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0];
    const yc = [1, 1, 1, 1, 0, 0, 0, 0, NaN, NaN];
    const b = leeBounds([...yt, ...yc], [...yt.map(() => 1), ...yc.map(() => 0)], { outcome: "employed" });
    close(b.trimming_proportion, 0.2);
    close(b.lower.estimate, 4 / 8 - 0.5);
    close(b.upper.estimate, 6 / 8 - 0.5);
  });

  it("the same data with the arms swapped trims the control arm and mirrors the bounds", () => {
    const s = leeBounds(y, arm, { outcome: "hourly_wage", treatment: 0, control: 1 });
    expect(s.trimmed_arm).toBe("control");
    close(s.lower.estimate, -r.upper.estimate);
    close(s.upper.estimate, -r.lower.estimate);
    close(s.lower.std_error, r.upper.std_error);
    close(s.upper.std_error, r.lower.std_error);
  });

  it("without differential attrition both bounds are the difference in means; p's sampling variance still counts", () => {
    const e = leeBounds([1, 3, NaN, 2, 6, NaN], [1, 1, 1, 0, 0, 0], { outcome: "y" });
    expect(e.trimmed_arm).toBe("none");
    close(e.lower.estimate, -2);
    close(e.upper.estimate, -2);
    // Neyman part 2/2 + 8/2, plus the p term: (3 − 2)² · V_p, V_p = (1/3)/(3 · 2/3) · 2 = 1/3.
    close(e.lower.std_error, Math.sqrt(2 / 2 + 8 / 2 + 1 / 3));
    close(e.upper.std_error, Math.sqrt(2 / 2 + 8 / 2 + 1 / 3));
    // Zero width: the Imbens–Manski interval is the usual two-sided one.
    close(e.ci_lower, -2 - qnorm(0.975) * e.lower.std_error, 1e-9);
  });
});

describe("Lee bounds: standard errors against the Monte Carlo spread", () => {
  it("SE of each bound is within 10 % of the SD of the bound over 400 simulated trials", () => {
    // Monotone selection: treatment observes a person when u < 0.9, control when u < 0.7; the
    // outcome rises with u, so attrition is selective. 2,000 per arm.
    const rng = fastStream(20260523);
    const n = 4000;
    const arm = new Int8Array(n).map((_, i) => (i < n / 2 ? 1 : 0));
    const y = new Float64Array(n);
    const lows: number[] = [], highs: number[] = [], seLow: number[] = [], seHigh: number[] = [];
    for (let rep = 0; rep < 400; rep++) {
      for (let i = 0; i < n; i++) {
        const u = uniform(rng);
        const e = Math.sqrt(-2 * Math.log(1 - uniform(rng))) * Math.cos(2 * Math.PI * uniform(rng));
        const seen = arm[i] === 1 ? u < 0.9 : u < 0.7;
        y[i] = seen ? 2 * u + e + (arm[i] === 1 ? 0.3 : 0) : NaN;
      }
      const r = leeBounds(y, arm, { outcome: "y" });
      lows.push(r.lower.estimate); highs.push(r.upper.estimate);
      seLow.push(r.lower.std_error); seHigh.push(r.upper.std_error);
    }
    const sd = (v: number[]) => { const m = v.reduce((a, b) => a + b) / v.length; return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)); };
    const mean = (v: number[]) => v.reduce((a, b) => a + b) / v.length;
    // With 400 draws the SD itself is uncertain by about 1/sqrt(800) ≈ 3.5 %.
    expect(mean(seLow) / sd(lows)).toBeGreaterThan(0.9);
    expect(mean(seLow) / sd(lows)).toBeLessThan(1.1);
    expect(mean(seHigh) / sd(highs)).toBeGreaterThan(0.9);
    expect(mean(seHigh) / sd(highs)).toBeLessThan(1.1);
    // The true bounds contain the true effect among the always-observed (0.3).
    expect(mean(lows)).toBeLessThan(0.3);
    expect(mean(highs)).toBeGreaterThan(0.3);
  });
});

describe("Imbens–Manski interval", () => {
  it("lies between the one-sided and two-sided critical values", () => {
    const y = [1, 2, 3, 4, 5, 6, 7, 8, 2, 3, 4, NaN, NaN, 5, 6, 7];
    const arm = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    const r = leeBounds(y, arm, { outcome: "y" });
    const cLow = (r.lower.estimate - r.ci_lower) / r.lower.std_error;
    expect(cLow).toBeGreaterThan(qnorm(0.95));
    expect(cLow).toBeLessThan(qnorm(0.975));
  });
});

describe("bad data", () => {
  it("an arm with no one randomized", () => {
    expect(() => leeBounds([1, 2], [0, 0], { outcome: "wage", armNames: ["control", "ips"] })).toThrow(/wage: arm ips has no one randomized/);
  });
  it("an arm with fewer than two observed outcomes", () => {
    expect(() => leeBounds([1, NaN, 2, 3], [1, 1, 0, 0], { outcome: "wage" })).toThrow(/arm 1 has 1 observed outcome;/);
  });
  it("too few outcomes left after trimming", () => {
    expect(() => leeBounds([1, 2, 3, 1, 2, NaN, NaN], [1, 1, 1, 0, 0, 0, 0], { outcome: "wage" })).toThrow(AnalysisError);
  });
  it("an outcome flagged observed but NaN", () => {
    expect(() => leeBounds([1, NaN, 2, 3], [1, 1, 0, 0], { outcome: "wage", observed: [1, 1, 1, 1] })).toThrow(/row 1 .* flagged observed/);
  });
});
