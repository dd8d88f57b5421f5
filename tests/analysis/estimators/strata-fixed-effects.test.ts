import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { strataFixedEffects } from "../../../analysis/estimators/strata-fixed-effects.ts";
import { lmRobust } from "../../../analysis/estimators/ols.ts";
import { expectMatchesR, num, readCsv } from "./csv.ts";

const dir = "tests/reference/strata-fixed-effects/";
const r = JSON.parse(readFileSync(`${dir}expected.json`, "utf8"));
const d = readCsv(`${dir}data.csv`);
const y = num(d.y), z = num(d.z), s = d.s as string[];

describe("strata fixed effects against lm_robust(y ~ z + factor(s))", () => {
  it("HC2, also equal to fixed_effects = ~ s", () => {
    const est = strataFixedEffects(y, z, s);
    expectMatchesR(est, r.hc2);
    expectMatchesR(est, r.hc2_fixed_effects);
  });
  it("HC2 with a covariate", () => expectMatchesR(strataFixedEffects(y, z, s, { covariates: [num(d.x)] }), r.hc2_covariate));
  it("HC3, HC1, classical", () => {
    expectMatchesR(strataFixedEffects(y, z, s, { seType: "HC3" }), r.hc3);
    expectMatchesR(strataFixedEffects(y, z, s, { seType: "HC1" }), r.hc1);
    expectMatchesR(strataFixedEffects(y, z, s, { seType: "classical" }), r.classical);
  });
  it("equals the explicit dummy regression through olsFit", () => {
    const levels = [...new Set(s)].sort().slice(1);
    const dummies = levels.map((l) => Float64Array.from(s, (v) => (v === l ? 1 : 0)));
    const row = lmRobust(y, [z, ...dummies], { terms: [1] })[0];
    expect(Math.abs(row.std_error / strataFixedEffects(y, z, s).std_error - 1)).toBeLessThan(1e-9);
  });
  it("a stratum of one is named", () => {
    expect(() => strataFixedEffects([1, 2, 3, 4, 5], [0, 1, 0, 1, 1], ["a", "a", "a", "a", "b"])).toThrow(/stratum b has a single person/);
  });
});
