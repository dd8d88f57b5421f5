import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { randomInterceptFit, randomInterceptTerm } from "../../../analysis/progression/random-intercept.ts";
import { AnalysisError } from "../../../analysis/estimate.ts";
import { expectClose, readCsv } from "../estimators/csv.ts";

const dir = "tests/reference/progression-mixed-model/";
const r = JSON.parse(readFileSync(`${dir}expected.json`, "utf8"));
const d = readCsv(`${dir}data.csv`);
const week = d.week as number[], arm = d.arm as string[], site = d.site!.map(String);

/** The indicator column R's script builds for a name (w13, site751, ips_e_w26) over the given rows. */
function column(name: string, rows: number[]): Float64Array {
  return Float64Array.from(rows, (i) => {
    const w = week[i];
    let m = /^w(\d+)$/.exec(name);
    if (m) return w === +m[1]! ? 1 : 0;
    m = /^site(\d+)$/.exec(name);
    if (m) return site[i] === m[1] ? 1 : 0;
    m = /^(.*)_w(\d+)$/.exec(name)!;
    return arm[i] === m[1] && w === +m[2]! ? 1 : 0;
  });
}

const closeAll = (got: ArrayLike<number>, want: number[], rel: number) => want.forEach((x, j) => expectClose(got[j]!, x, rel));

const allRows = week.map((_, i) => i);
// The script's interim look: nobody at week 52 yet, no one in ips_e measured at week 26. The model
// asks for every column; lmer drops the four without data and fits the rest.
const interimRows = allRows.filter((i) => week[i] !== 52 && !(arm[i] === "ips_e" && week[i] === 26));
const interimColumns = ["w13", "w26", "w52", "site751", "site851", "ips_w13", "ips_e_w13", "ips_w26", "ips_e_w26", "ips_w52", "ips_e_w52"];

describe.each([
  { key: "constrained", rows: allRows, columns: null },
  { key: "constrained_strata", rows: allRows, columns: null },
  { key: "unconstrained_strata", rows: allRows, columns: null },
  { key: "interim", rows: interimRows, columns: interimColumns },
])("random intercept, REML, against lme4::lmer and nlme::lme: $key", ({ key, rows, columns }) => {
  const ref = r[key];
  const names: string[] = columns ?? ref.names.slice(1);
  const pick = <T>(xs: T[]) => rows.map((i) => xs[i]!);
  const fit = randomInterceptFit(pick(d.total as number[]), names.map((name) => column(name, rows)), pick(d.id as string[]), { names, dropAliased: true });

  it("estimates, standard errors and variance components as nlme::lme (1e-8) and lme4::lmer (1e-6)", () => {
    expect(fit.names).toEqual(ref.names);
    expect(fit.dropped).toEqual(ref.dropped);
    closeAll(fit.coefficients, ref.lme.estimate, 1e-8);
    closeAll(fit.std_errors, ref.lme.std_error, 1e-8);
    expectClose(fit.sigma, ref.lme.sigma, 1e-8);
    expectClose(fit.sd_intercept, ref.lme.sd_intercept, 1e-8);
    closeAll(fit.coefficients, ref.lmer.estimate, 1e-6);
    closeAll(fit.std_errors, ref.lmer.std_error, 1e-6);
    expectClose(fit.sigma, ref.lmer.sigma, 1e-6);
    expectClose(fit.sd_intercept, ref.lmer.sd_intercept, 1e-6);
    expectClose(fit.theta, ref.lmer.theta, 1e-6);
    expect(fit.n).toBe(ref.lmer.n);
    expect(fit.groups).toBe(ref.lmer.groups);
  });

  it("the REML criterion is lme4's REMLcrit and −2 × nlme's logLik", () => {
    expectClose(fit.reml_criterion, ref.lmer.reml_criterion, 1e-9);
    expectClose(fit.reml_criterion, -2 * ref.lme.logLik, 1e-9);
  });

  it("df, p-values and 95% CIs as summary(lme)$tTable (between/within df)", () => {
    expect(Array.from(fit.df)).toEqual(ref.lme.df);
    fit.names.forEach((_, j) => {
      const e = randomInterceptTerm(fit, j);
      expect(Math.abs(e.p_value - ref.lme.p_value[j])).toBeLessThan(1e-8);
      expectClose(e.ci_lower, ref.lme.ci_lower[j], 1e-8);
      expectClose(e.ci_upper, ref.lme.ci_upper[j], 1e-8);
    });
  });
});

describe("random intercept: hand-computed one-way cases", () => {
  // Balanced one-way layout, G groups of m: REML equals the ANOVA estimators when MSB > MSW:
  // σ̂² = MSW, σ̂_b² = (MSB − MSW)/m, and the mean's SE is sqrt(MSB/(G m)).
  it("balanced, MSB > MSW: σ² = MSW, σ_b² = (MSB − MSW)/m", () => {
    const groups = [[1, 2, 3], [4, 6, 5], [9, 7, 8], [2, 2, 5]];
    // group means 2, 5, 8, 3; grand mean 4.5; SSW = 2 + 2 + 2 + 6 = 12; SSB = 3·(6.25 + 0.25 + 12.25 + 2.25) = 63
    const MSW = 12 / 8, MSB = 63 / 3;
    const y = groups.flat();
    const ids = groups.flatMap((g, i) => g.map(() => `g${i}`));
    const fit = randomInterceptFit(y, [], ids);
    expectClose(fit.coefficients[0]!, 4.5, 1e-12);
    expectClose(fit.sigma ** 2, MSW, 1e-9);
    expectClose(fit.sd_intercept ** 2, (MSB - MSW) / 3, 1e-9);
    expectClose(fit.std_errors[0]!, Math.sqrt(MSB / 12), 1e-9);
    expect(fit.df[0]).toBe(12 - 4); // N − G: the intercept gets the larger df
    expect(fit.singular).toBe(false);
  });

  it("balanced, MSB < MSW: the boundary θ = 0 and σ² = SST/(N − 1)", () => {
    const groups = [[1, 5, 3], [2, 4, 3.5], [5, 1, 2.5]];
    // group means 3, 3.1667, 2.8333: little between-group spread
    const y = groups.flat();
    const ids = groups.flatMap((g, i) => g.map(() => i));
    const mean = y.reduce((s, v) => s + v, 0) / y.length;
    const sst = y.reduce((s, v) => s + (v - mean) ** 2, 0);
    const fit = randomInterceptFit(y, [], ids);
    expect(fit.theta).toBe(0);
    expect(fit.singular).toBe(true);
    expect(fit.warnings.join()).toMatch(/estimated at 0/);
    expectClose(fit.sigma ** 2, sst / 8, 1e-12);
  });

  it("the doc comment's example: a within-participant contrast", () => {
    expectClose(randomInterceptFit([1, 2, 2, 4], [[0, 1, 0, 1]], ["a", "a", "b", "b"], { names: ["t"] }).coefficients[1]!, 1.5, 1e-9);
  });

  it("with dropAliased, columns without data do not count against the rows: four rows fit an intercept and one contrast", () => {
    const zero = [0, 0, 0, 0];
    const y = [1, 2, 2, 4], columns = [[0, 1, 0, 1], zero, zero, zero], ids = ["a", "a", "b", "b"], names = ["t", "w26", "w39", "w52"];
    const fit = randomInterceptFit(y, columns, ids, { names, dropAliased: true });
    expect(fit.dropped).toEqual(["w26", "w39", "w52"]);
    expect(fit.coefficients[1]).toBeCloseTo(1.5, 12); // the module comment's example, with the empty columns dropped
    expect(() => randomInterceptFit(y, columns, ids, { names })).toThrow(/4 rows for 5 coefficients/);
  });

  it("a column that cannot be estimated is named; a missing value is named with its row", () => {
    expect(() => randomInterceptFit([1, 2, 3, 4, 5], [[0, 0, 0, 0, 0]], [1, 1, 2, 2, 3], { names: ["ips:week52"] })).toThrow(/ips:week52 is a linear combination/);
    expect(() => randomInterceptFit([1, NaN, 3, 4, 5], [[0, 1, 0, 1, 0]], [1, 1, 2, 2, 3])).toThrow(AnalysisError);
    expect(() => randomInterceptFit([1, 2, 3, 4, 5], [[0, 1, 0, Infinity, 0]], [1, 1, 2, 2, 3], { names: ["t"] })).toThrow(/column t .* row 3/);
  });
});

it("one measurement per participant is refused: σ_b and σ are not identified", () => {
  expect(() => randomInterceptFit([1, 2, 3, 4], [[0, 1, 0, 1]], ["a", "b", "c", "d"])).toThrow(/every participant has a single measurement/);
});

it("the order of the rows does not matter (a seeded shuffle of the reference data)", () => {
  const names: string[] = r.constrained_strata.names.slice(1);
  const n = week.length;
  const order = Array.from({ length: n }, (_, i) => i);
  let state = 12345;
  for (let i = n - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const cols = names.map((name) => column(name, allRows));
  const ids = d.id as string[];
  const y = d.total as number[];
  const shuffled = randomInterceptFit(order.map((i) => y[i]!), cols.map((c) => Float64Array.from(order, (i) => c[i]!)), order.map((i) => ids[i]!), { names });
  closeAll(shuffled.coefficients, r.constrained_strata.lme.estimate, 1e-8);
  closeAll(shuffled.std_errors, r.constrained_strata.lme.std_error, 1e-8);
  expect(Array.from(shuffled.df)).toEqual(r.constrained_strata.lme.df);
});

describe("random intercept: the closed form against dense algebra", () => {
  // A small unbalanced data set from a seeded generator: 12 participants with 1–4 rows.
  let state = 99;
  const u = () => ((state = (state * 48271) % 2147483647) / 2147483647);
  const ids: number[] = [], x1: number[] = [], x2: number[] = [], y: number[] = [];
  for (let g = 0; g < 12; g++) {
    const b = u() * 2 - 1;
    const rows = 1 + Math.floor(u() * 4);
    for (let k = 0; k < rows; k++) {
      ids.push(g);
      x1.push(k);
      x2.push(g % 3 === 0 ? 1 : 0);
      y.push(1 + 0.5 * k + 0.3 * (g % 3 === 0 ? 1 : 0) + b + (u() - 0.5));
    }
  }
  const fit = randomInterceptFit(y, [x1, x2], ids);

  /** Inverse and log-determinant of a small positive-definite matrix by Gauss–Jordan elimination. */
  function invert(A: number[][]): { inv: number[][]; logDet: number } {
    const n = A.length;
    const M = A.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
    let logDet = 0;
    for (let c = 0; c < n; c++) {
      let piv = c;
      for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[piv]![c]!)) piv = r;
      [M[c], M[piv]] = [M[piv]!, M[c]!];
      const d = M[c]![c]!;
      logDet += Math.log(Math.abs(d));
      for (let j = 0; j < 2 * n; j++) M[c]![j]! /= d;
      for (let r = 0; r < n; r++) {
        if (r === c) continue;
        const f = M[r]![c]!;
        for (let j = 0; j < 2 * n; j++) M[r]![j]! -= f * M[c]![j]!;
      }
    }
    return { inv: M.map((row) => row.slice(n)), logDet };
  }

  /** GLS at γ with every V_i = I + γJ inverted densely, and the REML criterion (lme4's REMLcrit). */
  function dense(gamma: number) {
    const XtVX = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
    const XtVy = [0, 0, 0];
    let logDetV = 0;
    const blocks: { rows: number[]; W: number[][] }[] = [];
    for (let g = 0; g < 12; g++) {
      const rows = ids.map((id, i) => (id === g ? i : -1)).filter((i) => i >= 0);
      const { inv: W, logDet } = invert(rows.map((_, a) => rows.map((_, b) => (a === b ? 1 : 0) + gamma)));
      logDetV += logDet;
      blocks.push({ rows, W });
      const X = rows.map((i) => [1, x1[i]!, x2[i]!]);
      for (let a = 0; a < rows.length; a++)
        for (let b = 0; b < rows.length; b++)
          for (let j = 0; j < 3; j++) {
            XtVy[j] += X[a]![j]! * W[a]![b]! * y[rows[b]!]!;
            for (let k = 0; k < 3; k++) XtVX[j]![k] += X[a]![j]! * W[a]![b]! * X[b]![k]!;
          }
    }
    const { inv, logDet: logDetM } = invert(XtVX);
    const beta = inv.map((row) => row.reduce((s, v, k) => s + v * XtVy[k]!, 0));
    const e = y.map((v, i) => v - beta[0]! - beta[1]! * x1[i]! - beta[2]! * x2[i]!);
    let r = 0;
    for (const { rows, W } of blocks) for (let a = 0; a < rows.length; a++) for (let b = 0; b < rows.length; b++) r += e[rows[a]!]! * W[a]![b]! * e[rows[b]!]!;
    const N = y.length, p = 3;
    const crit = logDetV + logDetM + (N - p) * (1 + Math.log((2 * Math.PI * r) / (N - p)));
    return { beta, inv, sigma2: r / (N - p), crit };
  }

  it("β̂ = (Σ X_i'V_i⁻¹X_i)⁻¹ Σ X_i'V_i⁻¹y_i and Var(β̂) = σ̂²(Σ X_i'V_i⁻¹X_i)⁻¹ with V_i⁻¹ inverted densely", () => {
    const at = dense(fit.theta ** 2);
    at.beta.forEach((b, j) => expectClose(fit.coefficients[j]!, b, 1e-10));
    expectClose(fit.sigma ** 2, at.sigma2, 1e-10);
    for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) expectClose(fit.vcov[j * 3 + k]!, at.sigma2 * at.inv[j]![k]!, 1e-10);
  });

  it("the reported criterion is the dense REML criterion at θ̂, and θ̂ minimizes it", () => {
    expect(fit.theta).toBeGreaterThan(0);
    const at = dense(fit.theta ** 2).crit;
    expectClose(fit.reml_criterion, at, 1e-10);
    for (const f of [0.9, 0.99, 0.999, 1.001, 1.01, 1.1]) expect(dense((f * fit.theta) ** 2).crit).toBeGreaterThan(at);
  });
});
