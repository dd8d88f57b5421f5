/**
 * subgroupAnalysis's test of "the effect differs across the levels" against R
 * (tests/reference/interaction-joint/make.R: lm_robust HC2, the joint F of the z:g terms, the same
 * as car::linearHypothesis(test = "F")), every z:g row, and with two levels the single t-test.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { subgroupAnalysis } from "../../../analysis/estimators/interaction.ts";
import { olsFit } from "../../../analysis/estimators/ols.ts";
import { waldFTest } from "../../../analysis/estimators/wald-test.ts";
import { readTable } from "../../../api/datasets/table.ts";

const table = await readTable("tests/reference/interaction-joint/data.csv");
const expected = JSON.parse(readFileSync("tests/reference/interaction-joint/expected.json", "utf8"));
const y = table.columns.get("y") as Float64Array;
const z = table.columns.get("z") as Float64Array;

describe("the joint interaction test of subgroupAnalysis", () => {
  it("reproduces R's F, df and p for three and four levels, and each z:g row", () => {
    for (const g of ["g3", "g4"]) {
      const s = subgroupAnalysis(y, z, table.columns.get(g) as string[], { variable: g });
      const e = expected[g];
      expect(s.interaction_test.df1).toBe(e.df1);
      expect(s.interaction_test.df2).toBe(e.df2);
      expect(Math.abs(s.interaction_test.F - e.F)).toBeLessThan(1e-9 * Math.max(1, e.F));
      expect(Math.abs(s.interaction_p_value - e.p_value)).toBeLessThan(1e-9);
      expect(s.interactions.map((r) => r.term)).toEqual(Object.keys(e.terms));
      for (const r of s.interactions) {
        const ref = e.terms[r.term];
        expect(Math.abs(r.estimate - ref.estimate)).toBeLessThan(1e-9);
        expect(Math.abs(r.std_error - ref.std_error)).toBeLessThan(1e-9);
        expect(r.df).toBe(ref.df);
        expect(Math.abs(r.p_value - ref.p_value)).toBeLessThan(1e-9);
      }
    }
  });
  it("is the joint test, not the first dummy's t-test (R: F = 0.170353, p = 0.843450 vs z:g3b p = 0.560086)", () => {
    const s = subgroupAnalysis(y, z, table.columns.get("g3") as string[], { variable: "g3" });
    // car::linearHypothesis(lm_robust(y ~ z * g3, se_type = "HC2"), c("z:g3b", "z:g3c"), test = "F")
    expect(s.interaction_test.F).toBeCloseTo(0.17035339338377273, 9);
    expect(s.interaction_p_value).toBeCloseTo(0.84344991095620059, 9);
    expect(s.interactions[0].p_value).toBeCloseTo(0.560085805215795, 9);
  });
  it("with two levels: F = t² and the p of the single interaction t-test", () => {
    const g = (table.columns.get("g3") as string[]).map((v) => (v === "c" ? "c" : "ab"));
    const s = subgroupAnalysis(y, z, g);
    expect(s.interactions.length).toBe(1);
    const t = s.interactions[0].estimate / s.interactions[0].std_error;
    expect(s.interaction_test.F).toBeCloseTo(t * t, 10);
    expect(Math.abs(s.interaction_test.p_value - s.interactions[0].p_value)).toBeLessThan(1e-12);
    expect(s.interaction_p_value).toBe(s.interactions[0].p_value);
  });
  it("names what is missing: a fit without covariance, a term not tested, collinear terms", () => {
    const fit = olsFit(y, [z], { names: ["z"] });
    expect(() => waldFTest(fit, ["z"])).toThrow(/covariance: true/);
    const withV = olsFit(y, [z], { names: ["z"], terms: ["z"], covariance: true });
    expect(() => waldFTest(withV, ["(Intercept)"])).toThrow(/\(Intercept\) is not among the fit's tested terms \(z\)/);
    expect(waldFTest(withV, ["z"]).df2).toBe(y.length - 2);
  });
});
