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
