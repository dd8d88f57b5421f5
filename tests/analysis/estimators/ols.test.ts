import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lmRobust, olsFit, type SeType } from "../../../analysis/estimators/ols.ts";
import { expectMatchesR, num, readCsv } from "./csv.ts";

const dir = "tests/reference/lm-robust-se-types/";
const r = JSON.parse(readFileSync(`${dir}expected.json`, "utf8"));
const d = readCsv(`${dir}data.csv`);
const y = num(d.y);
const cols = ["z", "x1", "x2", "x3"].map((c) => num(d[c]));
const names = ["z", "x1", "x2", "x3"];

describe("lm_robust(y ~ z + x1 + x2 + x3) against estimatr, every coefficient", () => {
  for (const se of ["HC0", "HC1", "HC2", "HC3", "classical"] as SeType[]) {
    it(se, () => {
      const rows = lmRobust(y, cols, { names, seType: se });
      expect(rows.map((e) => e.term)).toEqual(Object.keys(r[se]));
      for (const e of rows) expectMatchesR(e, r[se][e.term]);
    });
  }
  it("CR2 with Bell-McCaffrey df per coefficient", () => {
    const rows = lmRobust(y, cols, { names, clusters: d.cl as string[] });
    for (const e of rows) {
      expect(e.se_type).toBe("CR2");
      expectMatchesR(e, r.CR2[e.term]);
    }
  });
  for (const se of ["CR0", "stata"] as SeType[]) {
    it(`${se} with G - 1 df`, () => {
      const rows = lmRobust(y, cols, { names, clusters: d.cl as string[], seType: se });
      for (const e of rows) expectMatchesR(e, r[se][e.term]);
    });
  }
  it("interaction y ~ z * x1 with HC2", () => {
    const z = cols[0], x1 = cols[1];
    const rows = lmRobust(y, [z, x1, z.map((v, i) => v * x1[i])], { names: ["z", "x1", "z:x1"] });
    for (const e of rows) expectMatchesR(e, r.interaction_HC2[e.term]);
  });
});

describe("olsFit edge cases", () => {
  it("hand computation: y on a 0/1 dummy is the difference in means; HC2 is the Neyman SE", () => {
    const yy = [1, 3, 2, 5, 4, 6];
    const fit = olsFit(yy, [[0, 0, 0, 1, 1, 1]]);
    expect(fit.coefficients[1]).toBeCloseTo(3, 12);
    // s0² = s1² = 1, Neyman SE = sqrt(1/3 + 1/3)
    expect(fit.std_errors[1]).toBeCloseTo(Math.sqrt(2 / 3), 12);
    expect(fit.df[1]).toBe(4);
  });
  it("a collinear column is aliased with a warning, the rest unchanged", () => {
    const x2 = cols[1].map((v) => 2 * v);
    const fit = olsFit(y, [...cols, x2], { names: [...names, "x1_twice"] });
    expect(fit.aliased).toEqual([false, false, false, false, false, true]);
    expect(fit.warnings.join()).toMatch(/x1_twice/);
    expect(Math.abs(fit.std_errors[1] / r.HC2.z.std_error - 1)).toBeLessThan(1e-6);
    expect(() => olsFit(y, [...cols, x2], { terms: ["x5"] })).toThrow(/aliased/);
  });
  it("NaN cells are named", () => {
    expect(() => olsFit([1, 2, 3, 4], [[0, NaN, 1, 1]], { names: ["z"] })).toThrow(/column z .* row 1/);
    expect(() => olsFit([1, NaN, 3, 4], [[0, 0, 1, 1]])).toThrow(/row 1/);
  });
  it("leverage 1 under HC2 is an error, not NaN", () => {
    expect(() => olsFit([1, 2, 3, 4], [[0, 0, 0, 1]])).toThrow(/leverage 1/);
  });
  it("a constant outcome gives a clear error from lmRobust", () => {
    expect(() => lmRobust([2, 2, 2, 2, 2], [[0, 1, 0, 1, 1]])).toThrow(/outcome is constant/);
  });
});

describe("olsFit centring and covariances", () => {
  it("a regressor far from zero gives the same slopes and standard errors (translation invariance)", () => {
    const far = cols.map((c, j) => (j === 1 ? c.map((v) => v + 1e6) : c));
    for (const se of ["HC2", "classical"] as SeType[]) {
      const near = olsFit(y, cols, { names, seType: se });
      const shifted = olsFit(y, far, { names, seType: se });
      for (let j = 1; j < near.names.length; j++) {
        expect(Math.abs(shifted.coefficients[j] / near.coefficients[j] - 1)).toBeLessThan(1e-9);
        expect(Math.abs(shifted.std_errors[j] / near.std_errors[j] - 1)).toBeLessThan(1e-9);
      }
      // Only the intercept moves, by −1e6 times the x1 slope.
      expect(shifted.coefficients[0] - near.coefficients[0]).toBeCloseTo(-1e6 * near.coefficients[2], 3);
    }
  });
  it("covariance: symmetric, its diagonal the squared standard errors, for every se_type", () => {
    for (const se of ["HC0", "HC1", "HC2", "HC3", "classical", "CR2", "CR0", "stata"] as SeType[]) {
      const clusters = se.startsWith("C") || se === "stata" ? (d.cl as string[]) : undefined;
      const fit = olsFit(y, cols, { names, seType: se, clusters, terms: ["z", "x1", "x2"], covariance: true });
      const V = fit.covariance!;
      expect(fit.terms).toEqual([1, 2, 3]);
      for (let k = 0; k < 3; k++) {
        expect(Math.abs(Math.sqrt(V[k * 3 + k]) / fit.std_errors[fit.terms[k]] - 1)).toBeLessThan(1e-14);
        for (let l = 0; l < 3; l++) expect(Math.abs(V[k * 3 + l] - V[l * 3 + k])).toBeLessThan(1e-12 * Math.sqrt(V[k * 3 + k] * V[l * 3 + l]));
      }
      // Cauchy–Schwarz: a proper covariance has |V_kl| ≤ √(V_kk V_ll), and these are not zero.
      expect(Math.abs(V[1]) / Math.sqrt(V[0] * V[4])).toBeLessThan(1);
      expect(V[1]).not.toBe(0);
    }
  });
});
