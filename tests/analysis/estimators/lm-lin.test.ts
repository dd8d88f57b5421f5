import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lmLin } from "../../../analysis/estimators/lm-lin.ts";
import { expectMatchesR, num, readCsv } from "./csv.ts";

const dir = "tests/reference/lm-lin-factor/";
const r = JSON.parse(readFileSync(`${dir}expected.json`, "utf8"));
const d = readCsv(`${dir}data.csv`);
const y = num(d.y), z = num(d.z);
const covs = [num(d.age), d.region as string[]];

describe("lm_lin with a numeric and a factor covariate against estimatr", () => {
  it("HC2 (default)", () => expectMatchesR(lmLin(y, z, covs, { names: ["age", "region"] }), r.hc2));
  it("HC1", () => expectMatchesR(lmLin(y, z, covs, { seType: "HC1" }), r.hc1));
  it("classical", () => expectMatchesR(lmLin(y, z, covs, { seType: "classical" }), r.classical));
  it("CR2 with clusters", () => {
    const est = lmLin(y, z, covs, { clusters: d.cl as string[] });
    expect(est.se_type).toBe("CR2");
    expectMatchesR(est, r.cr2);
  });
  it("a covariate constant in one arm is dropped with a warning", () => {
    const x = Float64Array.from(z, (t, i) => (t === 1 ? 1 : i % 3));
    const est = lmLin(y, z, [num(d.age), x], { names: ["age", "x"] });
    expect(est.warnings.join()).toMatch(/treated arm.*x/);
    expect(est.df).toBe(y.length - 5);
  });
  it("NaN in a covariate is named", () => {
    const age = num(d.age);
    age[7] = NaN;
    expect(() => lmLin(y, z, [age], { names: ["age"] })).toThrow(/covariate age .* row 7/);
  });
});

describe("lm_lin edge cases", () => {
  it("an outcome constant in one arm only still has a standard error", () => {
    const yy = Float64Array.from(z, (t, i) => (t === 1 ? 3 : y[i]));
    const est = lmLin(yy, z, [num(d.age)]);
    expect(est.std_error).toBeGreaterThan(0);
  });
  it("a constant outcome is an error", () => {
    expect(() => lmLin(Float64Array.from(z, () => 1), z, [num(d.age)])).toThrow(/standard error is 0/);
  });
});
