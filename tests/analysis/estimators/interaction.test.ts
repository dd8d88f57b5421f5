import { describe, expect, it } from "vitest";
import { subgroupAnalysis } from "../../../analysis/estimators/interaction.ts";
import { differenceInMeans } from "../../../analysis/estimators/difference-in-means.ts";

const y = [1, 2, 3, 5, 4, 6, 2, 3, 9, 8, 10, 12];
const z = [0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0];
const g = ["a", "a", "a", "a", "a", "a", "b", "b", "b", "b", "b", "b"];

describe("subgroup effects and the interaction", () => {
  it("the interaction coefficient is the difference of the subgroup effects", () => {
    const s = subgroupAnalysis(y, z, g, { variable: "g" });
    expect(s.levels.map((l) => l.level)).toEqual(["a", "b"]);
    const ea = differenceInMeans(y.slice(0, 6), z.slice(0, 6)).estimate;
    const eb = differenceInMeans(y.slice(6), z.slice(6)).estimate;
    expect(s.interactions[0].estimate).toBeCloseTo(eb - ea, 12);
    // Saturated model: HC2 of the interaction equals the sum of the two Neyman variances.
    const va = differenceInMeans(y.slice(0, 6), z.slice(0, 6)).std_error ** 2;
    const vb = differenceInMeans(y.slice(6), z.slice(6)).std_error ** 2;
    expect(s.interactions[0].std_error).toBeCloseTo(Math.sqrt(va + vb), 12);
    expect(s.interactions[0].df).toBe(8);
  });
  it("three levels give one interaction row per non-reference level", () => {
    const y3 = [...y, 4, 1, 2, 7, 9, 8];
    const z3 = [...z, 0, 0, 0, 1, 1, 1];
    const g3 = [...g, "c", "c", "c", "c", "c", "c"];
    const s = subgroupAnalysis(y3, z3, g3, { variable: "g" });
    expect(s.levels.length).toBe(3);
    expect(s.interactions.map((e) => e.term)).toEqual(["z:gb", "z:gc"]);
    const ea = s.levels[0].effect.estimate;
    expect(s.interactions[1].estimate).toBeCloseTo(s.levels[2].effect.estimate - ea, 12);
  });
  it("a subgroup of one in an arm is named", () => {
    const gg = [...g.slice(0, 11), "c"];
    expect(() => subgroupAnalysis(y, z, gg, { variable: "site", outcome: "re78" })).toThrow(/re78: subgroup site = c has 0 treated and 1 control/);
  });
  it("a level where the outcome is constant in both arms: no effect row, a warning with the difference, still in the interaction test (as R)", () => {
    // Nobody in level a reached the outcome, in either arm. R (estimatr 1.0):
    //   d <- data.frame(y = c(0,0,0,0,0,0, 1,0,1,1,0,1,0,0), z = c(1,1,1,0,0,0, 1,1,1,1,0,0,0,0), g = c(rep("a",6), rep("b",8)))
    //   difference_in_means(y ~ z, subset(d, g == "a"))   # estimate 0, SE 0, t and p NaN
    //   difference_in_means(y ~ z, subset(d, g == "b"))   # 0.5, SE 0.353553390593274, p 0.20703125
    //   lm_robust(y ~ z * g, d, se_type = "HC2")           # z:gb 0.5, SE 0.353553390593274, p 0.187669870869603
    const s = subgroupAnalysis([0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0], [1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0], ["a", "a", "a", "a", "a", "a", "b", "b", "b", "b", "b", "b", "b", "b"], { variable: "g", outcome: "job" });
    expect(s.levels.map((l) => l.level)).toEqual(["b"]);
    expect(s.levels[0].effect.std_error).toBeCloseTo(0.353553390593274, 12);
    expect(s.levels[0].effect.p_value).toBeCloseTo(0.20703125, 12);
    expect(s.interactions[0].estimate).toBeCloseTo(0.5, 12);
    expect(s.interactions[0].std_error).toBeCloseTo(0.353553390593274, 12);
    expect(s.interaction_p_value).toBeCloseTo(0.187669870869603, 12);
    expect(s.warnings).toEqual([
      "job: subgroup g = a: the outcome is 0 for everyone treated and 0 for everyone in control (difference 0); no standard error, so no effect row for this level (it still counts in the interaction test)",
    ]);
    expect(subgroupAnalysis(y, z, g, { variable: "g" }).warnings).toEqual([]);
    // Values are written with six significant digits: no long run of digits in a warning.
    const earnings = subgroupAnalysis([1234.5678901234, 1234.5678901234, 0, 0, 5, 7, 1, 2], [1, 1, 0, 0, 1, 1, 0, 0], ["a", "a", "a", "a", "b", "b", "b", "b"], { variable: "g", outcome: "re78" });
    expect(earnings.warnings[0]).toMatch(/^re78: subgroup g = a: the outcome is 1234\.57 for everyone treated and 0 for everyone in control \(difference 1234\.57\)/);
  });

  it("a single level is named", () => {
    expect(() => subgroupAnalysis(y, z, y.map(() => 1), { variable: "young" })).toThrow(/young has a single level/);
  });
});
