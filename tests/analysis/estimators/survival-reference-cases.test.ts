/**
 * The survival estimators on the reference cases in tests/reference/ (R's survival 3.5 output made
 * by the make.R next to each data file): a three-arm trial (colon) and heavily tied times.
 */
import { describe, expect, it } from "vitest";
import { coxPH } from "../../../analysis/estimators/cox.ts";
import { kaplanMeier, survivalAt } from "../../../analysis/estimators/kaplan-meier.ts";
import { logrank } from "../../../analysis/estimators/logrank.ts";
import { restrictedMean } from "../../../analysis/estimators/rmst.ts";
import { close, readCsv, readJson, root } from "./reference-data.ts";

function same(actual: number | null, expected: number | string | null, what: string) {
  if (expected === "NA" || expected === null) {
    expect(actual, what).toBeNull();
    return;
  }
  expect(actual, what).not.toBeNull();
  expect(close(actual as number, expected as number), `${what}: ${actual} vs ${expected}`).toBe(true);
}

function sameArray(actual: ArrayLike<number>, expected: (number | string)[], what: string) {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] === "NA" || expected[i] === "NaN") expect(Number.isNaN(actual[i]), `${what}[${i}]`).toBe(true);
    else same(actual[i], expected[i], `${what}[${i}]`);
  }
}

describe("three-arm trial: survival::colon (etype 1), arms Obs, Lev, Lev+5FU", () => {
  const dir = `${root}tests/reference/survival-colon-three-arm/`;
  const d = readCsv(`${dir}data.csv`);
  const want = readJson(`${dir}expected.json`);
  const levels = ["Obs", "Lev", "Lev+5FU"];
  const time = d.time as number[];
  const status = d.status as number[];
  const rx = d.rx as string[];
  const fit = kaplanMeier(time, status, rx, { levels });

  it("medians with CI (not reached → null), RMST to 5 years with SE", () => {
    for (const arm of fit.arms) {
      const w = want.arms[arm.arm];
      expect(arm.n).toBe(w.n);
      expect(arm.events).toBe(w.events);
      same(arm.median, w.median, `${arm.arm} median`);
      same(arm.median_lower, w.median_lower, `${arm.arm} median_lower`);
      same(arm.median_upper, w.median_upper, `${arm.arm} median_upper`);
      const r = restrictedMean(arm, want.tau);
      same(r.rmean, w.rmean, `${arm.arm} rmean`);
      same(r.std_error, w.rmean_se, `${arm.arm} se(rmean)`);
    }
  });

  it("survival at 1, 2, 3, 5, 7 years as summary(fit, times =)", () => {
    for (const arm of fit.arms) {
      const w = want.survival_at[arm.arm];
      const s = survivalAt(arm, want.times);
      expect(s.time).toEqual(w.time);
      expect(s.n_risk).toEqual(w.n_risk);
      expect(s.n_event).toEqual(w.n_event);
      sameArray(s.surv, w.surv, "surv");
      sameArray(s.std_err, w.std_err, "std_err");
      sameArray(s.lower, w.lower, "lower");
      sameArray(s.upper, w.upper, "upper");
    }
  });

  it("log-rank with three arms", () => {
    const lr = logrank(time, status, rx, { levels });
    same(lr.chisq, want.logrank.chisq, "chisq");
    expect(lr.df).toBe(2);
    expect(Math.abs(lr.p_value - want.logrank.p_value)).toBeLessThan(1e-6);
    sameArray(lr.observed, want.logrank.observed, "observed");
    sameArray(lr.expected, want.logrank.expected, "expected");
  });

  for (const [key, ties, covariates] of [
    ["cox_rx_efron", "efron", false],
    ["cox_rx_breslow", "breslow", false],
    ["cox_rx_age_sex_efron", "efron", true],
  ] as const) {
    it(`Cox with the three-level factor (${key})`, () => {
      const w = want[key];
      const cx = coxPH(
        { time, event: status, group: rx, covariates: covariates ? { age: d.age as number[], sex: d.sex as number[] } : undefined },
        { levels, ties },
      );
      expect(cx.terms.slice(0, 2)).toEqual(["Lev vs Obs", "Lev+5FU vs Obs"]);
      sameArray(cx.coefficients.map((c) => c.estimate), w.coef, "coef");
      sameArray(cx.coefficients.map((c) => c.std_error), w.se, "se");
      sameArray(cx.hazard_ratios.map((h) => h.lower), w.hr_lower, "hr_lower");
      sameArray(cx.hazard_ratios.map((h) => h.upper), w.hr_upper, "hr_upper");
      cx.coefficients.forEach((c, j) => expect(Math.abs(c.p_value - w.p[j])).toBeLessThan(1e-6));
      sameArray(cx.loglik, w.loglik, "loglik");
      same(cx.tests.likelihood_ratio.statistic, w.lrt, "lrt");
      same(cx.tests.wald.statistic, w.wald, "wald");
      same(cx.tests.score.statistic, w.score, "score");
      expect(Math.abs(cx.tests.likelihood_ratio.p_value - w.lrt_p)).toBeLessThan(1e-6);
      expect(Math.abs(cx.tests.wald.p_value - w.wald_p)).toBeLessThan(1e-6);
      expect(Math.abs(cx.tests.score.p_value - w.score_p)).toBeLessThan(1e-6);
    });
  }
});

describe("heavy ties: whole-month times, three arms, and an exact 0.5 plateau", () => {
  const dir = `${root}tests/reference/survival-heavy-ties/`;
  const d = readCsv(`${dir}data.csv`);
  const want = readJson(`${dir}expected.json`);
  const time = d.time as number[];
  const status = d.status as number[];
  const arm = d.arm as string[];

  it("full curves, medians (2.5 on the plateau) and RMST to 4 and to 10 (past the end)", () => {
    const fit = kaplanMeier(time, status, arm);
    expect(fit.arms.map((a) => a.arm)).toEqual(Object.keys(want.arms));
    for (const a of fit.arms) {
      const w = want.arms[a.arm];
      sameArray(a.time, w.time, "time");
      sameArray(a.n_risk, w.n_risk, "n_risk");
      sameArray(a.n_event, w.n_event, "n_event");
      sameArray(a.n_censor, w.n_censor, "n_censor");
      sameArray(a.surv, w.surv, "surv");
      sameArray(a.std_err, w.std_err, "std_err");
      sameArray(a.lower, w.lower, "lower");
      sameArray(a.upper, w.upper, "upper");
      same(a.median, w.median, `${a.arm} median`);
      same(a.median_lower, w.median_lower, `${a.arm} median_lower`);
      same(a.median_upper, w.median_upper, `${a.arm} median_upper`);
      same(restrictedMean(a, 4).rmean, w.rmean_4, "rmean 4");
      same(restrictedMean(a, 4).std_error, w.rmean_4_se, "se(rmean) 4");
      same(restrictedMean(a, 10).rmean, w.rmean_10, "rmean 10");
      same(restrictedMean(a, 10).std_error, w.rmean_10_se, "se(rmean) 10");
    }
  });

  const abc = arm.map((a, i) => (a === "plateau" ? -1 : i)).filter((i) => i >= 0);
  const pick = <T,>(col: T[]) => abc.map((i) => col[i]);

  it("log-rank on the three tied arms", () => {
    const lr = logrank(pick(time), pick(status), pick(arm));
    same(lr.chisq, want.logrank_abc.chisq, "chisq");
    expect(Math.abs(lr.p_value - want.logrank_abc.p_value)).toBeLessThan(1e-6);
    sameArray(lr.expected, want.logrank_abc.expected, "expected");
  });

  for (const ties of ["efron", "breslow"] as const) {
    it(`Cox, ${ties} ties, arm factor and a covariate`, () => {
      const w = want[`cox_${ties}`];
      const cx = coxPH({ time: pick(time), event: pick(status), group: pick(arm), covariates: { x: pick(d.x as number[]) } }, { ties });
      sameArray(cx.coefficients.map((c) => c.estimate), w.coef, "coef");
      sameArray(cx.coefficients.map((c) => c.std_error), w.se, "se");
      sameArray(cx.loglik, w.loglik, "loglik");
      same(cx.tests.likelihood_ratio.statistic, w.lrt, "lrt");
      same(cx.tests.wald.statistic, w.wald, "wald");
      same(cx.tests.score.statistic, w.score, "score");
    });
  }
});
