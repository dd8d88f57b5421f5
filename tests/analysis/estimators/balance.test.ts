import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { balanceTable, covariateBalance, hedgesCorrection, wwcEquivalenceBand } from "../../../analysis/estimators/balance.ts";
import { AnalysisError } from "../../../analysis/estimate.ts";

function readCsv(path: string): Record<string, string[]> {
  const [head, ...rows] = readFileSync(path, "utf8").trim().split("\n");
  const names = head.split(",").map((s) => s.replaceAll('"', ""));
  const cols: Record<string, string[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const row of rows) row.split(",").forEach((v, j) => cols[names[j]].push(v.replaceAll('"', "")));
  return cols;
}

const close = (a: number, b: number, rel = 1e-10) => expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(b)));

describe("covariateBalance: hand-computed cases", () => {
  it("continuous: pooled SD, standardized difference and WWC's ω", () => {
    // treatment 2,3,4,5 and control 1,2,3,4: difference 1, both variances 5/3, pooled SD sqrt(5/3).
    const r = covariateBalance([1, 2, 3, 4, 2, 3, 4, 5], [0, 0, 0, 0, 1, 1, 1, 1], { covariate: "age" });
    expect(r.kind).toBe("continuous");
    close(r.sd_pooled!, Math.sqrt(5 / 3));
    close(r.standardized_difference, 1 / Math.sqrt(5 / 3));
    close(r.correction, 1 - 3 / (4 * 8 - 9));
    close(r.hedges_g, (20 / 23) / Math.sqrt(5 / 3));
    expect(r.band).toBe("not_satisfied");
  });

  it("binary: the Cox index, ln odds difference / 1.65, with the same correction", () => {
    // treatment 2 of 4 (odds 1), control 1 of 4 (odds 1/3): ln 3 / 1.65.
    const r = covariateBalance([1, 0, 0, 0, 1, 1, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1], { covariate: "married" });
    expect(r.kind).toBe("binary");
    expect(r.sd_pooled).toBeNull();
    close(r.standardized_difference, Math.log(3) / 1.65);
    close(r.hedges_g, (20 / 23) * Math.log(3) / 1.65);
  });

  it("a binary-looking covariate can be declared continuous", () => {
    const r = covariateBalance([1, 0, 0, 0, 1, 1, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1], { covariate: "x", kind: "continuous" });
    // means 0.5 and 0.25, variances 1/3 and 1/4: pooled sqrt(7/24).
    close(r.standardized_difference, 0.25 / Math.sqrt(7 / 24));
  });

  it("restricted to a sample (e.g. an outcome's analytic sample)", () => {
    // Dropping the last row of each arm leaves treatment 2,3,4 and control 1,2,3: d = 1 / 1.
    const r = covariateBalance([1, 2, 3, 4, 2, 3, 4, 5], [0, 0, 0, 0, 1, 1, 1, 1], { covariate: "age", sample: [1, 1, 1, 0, 1, 1, 1, 0] });
    expect(r.n_treatment).toBe(3);
    close(r.standardized_difference, 1);
    close(r.hedges_g, 1 - 3 / (4 * 6 - 9));
  });

  it("hedgesCorrection is 1 − 3/(4N − 9)", () => {
    expect(hedgesCorrection(100)).toBeCloseTo(1 - 3 / 391, 15);
  });
});

describe("WWC band edges", () => {
  it("≤ 0.05 satisfies, ≤ 0.25 needs adjustment, above does not satisfy, by absolute value", () => {
    expect(wwcEquivalenceBand(0)).toBe("satisfies");
    expect(wwcEquivalenceBand(0.05)).toBe("satisfies");
    expect(wwcEquivalenceBand(-0.05)).toBe("satisfies");
    expect(wwcEquivalenceBand(0.0500001)).toBe("adjustment_required");
    expect(wwcEquivalenceBand(-0.25)).toBe("adjustment_required");
    expect(wwcEquivalenceBand(0.2500001)).toBe("not_satisfied");
    expect(() => wwcEquivalenceBand(NaN)).toThrow(AnalysisError);
  });
});

describe("NSW (LaLonde) covariates against a hand computation in R", () => {
  const ref = JSON.parse(readFileSync("tests/reference/balance-lalonde/balance.json", "utf8"));
  const data = readCsv("../shared/reference/lalonde_nsw.csv");
  const arm = Int8Array.from(data.arm, (a) => (a === "training" ? 1 : 0));
  for (const row of ref.rows) {
    it(`${row.covariate} (${row.kind})`, () => {
      const r = covariateBalance(data[row.covariate].map(Number), arm, { covariate: row.covariate, armNames: ["control", "training"] });
      expect(r.kind).toBe(row.kind);
      expect(r.n_treatment).toBe(row.n_treatment);
      expect(r.n_control).toBe(row.n_control);
      close(r.mean_treatment, row.mean_treatment);
      close(r.standardized_difference, row.standardized_difference);
      close(r.hedges_g, row.hedges_g);
      if (row.sd_pooled !== null) close(r.sd_pooled!, row.sd_pooled);
      expect(r.band).toBe(wwcEquivalenceBand(row.hedges_g));
    });
  }
});

describe("balanceTable", () => {
  it("one row per covariate and non-control arm, each arm against control", () => {
    const arm = [0, 0, 0, 1, 1, 1, 2, 2, 2];
    const x = [1, 2, 3, 2, 3, 4, 1, 2, 3];
    const rows = balanceTable({ x }, arm, { arms: 3, armNames: ["c", "a", "b"] });
    expect(rows.map((r) => `${r.covariate}:${r.arm}:${r.control}`)).toEqual(["x:a:c", "x:b:c"]);
    close(rows[0].standardized_difference, 1); // pooled SD 1
    expect(rows[1].standardized_difference).toBe(0);
    expect(rows[1].band).toBe("satisfies");
  });
});

describe("bad data names the covariate and arm", () => {
  const arm = [0, 0, 1, 1];
  it("an arm with fewer than two people", () => {
    expect(() => covariateBalance([1, 2, 3], [0, 0, 1], { covariate: "age", armNames: ["control", "ips"] })).toThrow(/age: arm ips has 1 participant/);
    expect(() => covariateBalance([1, 2], [0, 0], { covariate: "age" })).toThrow(/arm 1 has 0 participants/);
  });
  it("NaN values", () => {
    expect(() => covariateBalance([1, NaN, 3, 4], arm, { covariate: "educ" })).toThrow(/educ: missing \(NaN\) value at row 1/);
  });
  it("zero variance", () => {
    expect(() => covariateBalance([5, 5, 5, 5], arm, { covariate: "site_size", kind: "continuous" })).toThrow(/site_size: zero variance/);
  });
  it("a proportion of 0 or 1 makes the Cox index undefined", () => {
    expect(() => covariateBalance([0, 1, 1, 1], arm, { covariate: "female", armNames: ["control", "ips"] })).toThrow(/female: proportion 1 in arm ips/);
  });
  it("a declared binary covariate with other values", () => {
    expect(() => covariateBalance([0, 1, 2, 1], arm, { covariate: "kids", kind: "binary" })).toThrow(/kids: declared binary/);
  });
});
