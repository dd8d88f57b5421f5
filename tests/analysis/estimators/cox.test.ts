import { describe, expect, it } from "vitest";
import { coxPH } from "../../../analysis/estimators/cox.ts";
import { close, readCsv, readJson, root } from "./reference-data.ts";

const v = readCsv(`${root}../shared/reference/veteran.csv`);
const expected = readJson(`${root}../shared/reference/expected.json`).veteran_cox_hr_test_vs_standard;

describe("Cox PH against survival::coxph", () => {
  it("veteran trial, Efron ties: HR test vs standard and SE of log HR", () => {
    const fit = coxPH({ time: v.time as number[], event: v.status as number[], group: v.arm as string[] });
    expect(fit.terms).toEqual(["test vs standard"]);
    expect(close(fit.hazard_ratios[0].hr, expected.hr)).toBe(true);
    expect(close(fit.coefficients[0].std_error, expected.se_log_hr)).toBe(true);
    expect(fit.converged).toBe(true);
  });

  it("one binary covariate without ties: the score test equals the log-rank statistic", () => {
    // With no ties the Cox score test for a two-arm indicator is the log-rank test.
    const time = [1, 2, 3, 4, 5, 6, 7, 8];
    const event = [1, 1, 0, 1, 1, 1, 0, 1];
    const x = [0, 1, 0, 1, 1, 0, 1, 0];
    const fit = coxPH({ time, event, covariates: { x } });
    // Hand computation of U(0) and I(0): at each event time, x − mean of x over the risk set.
    let u = 0, info = 0;
    for (let i = 0; i < time.length; i++) {
      if (!event[i]) continue;
      const risk = x.filter((_, j) => time[j] >= time[i]);
      const m = risk.reduce((a, b) => a + b, 0) / risk.length;
      u += x[i] - m;
      info += m * (1 - m);
    }
    expect(fit.tests.score.statistic).toBeCloseTo((u * u) / info, 12);
  });

  it("bad data", () => {
    expect(() => coxPH({ time: [1, 2], event: [0, 0], covariates: { x: [0, 1] } })).toThrow(/no events/);
    expect(() => coxPH({ time: [1, 2], event: [1, 1] })).toThrow(/at least one covariate/);
    expect(() => coxPH({ time: [1, 2, 3], event: [1, 1, 1], covariates: { x: [1, 1, 1] } })).toThrow(/singular/);
    expect(() => coxPH({ time: [1, 2], event: [1, 1], covariates: { x: [0, NaN] } })).toThrow(/row 2: covariate x/);
  });
});

describe("Cox options", () => {
  it("another reference level flips the sign of the log hazard ratio", () => {
    const v2 = { time: v.time as number[], event: v.status as number[], group: v.arm as string[] };
    const a = coxPH(v2).coefficients[0];
    const b = coxPH(v2, { reference: "test" }).coefficients[0];
    expect(b.term).toBe("standard vs test");
    expect(b.estimate).toBeCloseTo(-a.estimate, 10);
    expect(b.std_error).toBeCloseTo(a.std_error, 10);
  });

  it("warns when a group level has no events", () => {
    const fit = coxPH({ time: [1, 2, 3, 4, 5, 6], event: [1, 1, 1, 0, 0, 0], group: ["a", "a", "a", "b", "b", "b"] });
    expect(fit.coefficients[0].warnings.join(" ")).toMatch(/no events in group level\(s\) "b"/);
  });
});
