import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { differenceInMeans, riskDifference } from "../../../analysis/estimators/difference-in-means.ts";
import { lmLin } from "../../../analysis/estimators/lm-lin.ts";
import { subgroupAnalysis } from "../../../analysis/estimators/interaction.ts";
import { benjaminiHochberg, holm } from "../../../analysis/multiplicity.ts";
import { expectMatchesR, num, readCsv } from "./csv.ts";

const ref = "../shared/reference/";
const expected = JSON.parse(readFileSync(ref + "expected.json", "utf8"));
const d = readCsv(ref + "lalonde_nsw.csv");
const z = Float64Array.from(d.arm, (a) => (a === "training" ? 1 : 0));
const re78 = num(d.re78);
const young = Float64Array.from(d.age as number[], (a) => (a < 25 ? 1 : 0));

describe("NSW (LaLonde) reference values from estimatr", () => {
  it("re78 difference in means", () => {
    expectMatchesR(differenceInMeans(re78, z), expected.re78_difference_in_means);
  });
  it("employed78 risk difference", () => {
    expectMatchesR(riskDifference(num(d.employed78), z), expected.employed78_risk_difference);
  });
  it("re78 Lin-adjusted (lm_lin, HC2)", () => {
    const covs = ["age", "educ", "black", "hisp", "married", "nodegr", "re74", "re75"];
    const est = lmLin(re78, z, covs.map((c) => num(d[c])), { names: covs });
    expectMatchesR(est, expected.re78_lin_adjusted);
    expect(est.se_type).toBe("HC2");
  });
  it("the same with the full interacted design (classical path off, clusters of one)", () => {
    const covs = ["age", "educ", "black", "hisp", "married", "nodegr", "re74", "re75"];
    // Each person their own cluster: CR2 point estimate equals the HC2 one.
    const est = lmLin(re78, z, covs.map((c) => num(d[c])), { names: covs, clusters: d.id as string[] });
    expect(Math.abs(est.estimate / expected.re78_lin_adjusted.estimate - 1)).toBeLessThan(1e-9);
  });
  const groups: Record<string, Float64Array> = { nodegr: num(d.nodegr), black: num(d.black), u75: num(d.u75), young };
  const pInter: number[] = [];
  for (const g of Object.keys(groups)) {
    it(`re78 by ${g}: subgroup effects and the interaction p`, () => {
      const s = subgroupAnalysis(re78, z, groups[g], { variable: g });
      const e = expected[`re78_by_${g}`];
      expectMatchesR(s.levels[0].effect, e.level_0);
      expectMatchesR(s.levels[1].effect, e.level_1);
      expect(Math.abs(s.interaction_p_value - e.interaction_p_value)).toBeLessThan(1e-6);
      pInter.push(s.interaction_p_value);
    });
  }
  it("Holm and BH over the four interaction p-values", () => {
    const names = Object.keys(groups);
    const p = names.map((g) => subgroupAnalysis(re78, z, groups[g]).interaction_p_value);
    const h = holm(p);
    const b = benjaminiHochberg(p);
    names.forEach((g, i) => {
      expect(Math.abs(h[i] - expected.re78_interaction_p_holm[g])).toBeLessThan(1e-6);
      expect(Math.abs(b[i] - expected.re78_interaction_p_bh[g])).toBeLessThan(1e-6);
    });
  });
});
