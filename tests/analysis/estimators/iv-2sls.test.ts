import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { iv2sls } from "../../../analysis/estimators/iv-2sls.ts";
import { expectMatchesR, num, readCsv } from "./csv.ts";

const dir = "tests/reference/iv-robust/";
const r = JSON.parse(readFileSync(`${dir}expected.json`, "utf8"));
const d = readCsv(`${dir}data.csv`);
const y = num(d.y), dd = num(d.d), z = num(d.z), x = num(d.x);

describe("2SLS against estimatr::iv_robust", () => {
  it("Wald case, HC2", () => {
    const est = iv2sls(y, dd, z);
    expectMatchesR(est, r.wald);
    // The Wald ratio by hand.
    const mean = (v: Float64Array, t: number) => { let s = 0, k = 0; v.forEach((a, i) => { if (z[i] === t) { s += a; k++; } }); return s / k; };
    expect(est.estimate).toBeCloseTo((mean(y, 1) - mean(y, 0)) / (mean(dd, 1) - mean(dd, 0)), 10);
  });
  it("with a covariate, HC2", () => expectMatchesR(iv2sls(y, dd, z, { covariates: [x] }), r.covariate));
  it("with a covariate, HC0", () => expectMatchesR(iv2sls(y, dd, z, { covariates: [x], seType: "HC0" }), r.covariate_hc0));
  it("with a covariate, classical", () => expectMatchesR(iv2sls(y, dd, z, { covariates: [x], seType: "classical" }), r.covariate_classical));
  it("clustered, CR2", () => expectMatchesR(iv2sls(y, dd, z, { covariates: [x], clusters: d.cl as string[] }), r.clustered));
  it("an instrument that does not move treatment is refused", () => {
    expect(() => iv2sls([1, 2, 3, 4, 5, 6], [0, 1, 0, 1, 0, 1], [1, 1, 1, 1, 1, 1])).toThrow();
  });
});
