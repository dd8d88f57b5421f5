/**
 * Covariate-adjusted treatment effect by Lin's (2013) estimator, as
 * `estimatr::lm_lin(y ~ z, covariates = ~ x1 + ..., data)` (defaults `se_type = "HC2"`, or
 * `"CR2"` with clusters; `alpha = 0.05`):
 *
 *     y_i = α + τ z_i + β'(x_i − x̄) + γ' z_i (x_i − x̄) + ε_i
 *
 * OLS of the outcome on treatment, the covariates centred at their full-sample means and their
 * interactions with treatment; τ̂ is the coefficient of z. A factor covariate (a column of
 * strings) enters as dummies for every level but the first (levels in sorted order, R's
 * `factor` + `model.matrix` treatment contrasts), each centred like any covariate. Standard error
 * HC2 by default; degrees of freedom N − k with k the rank of the full design (2 + 2·covariates
 * when nothing is collinear), as lm_robust.
 *
 * Computation: the fully interacted model is the same as fitting y on (1, x − x̄) separately in
 * each arm — identical residuals and leverages, block-diagonal sandwich — so without clusters τ̂ is
 * the difference of the two intercepts and its HC0/HC2/HC3 variance the sum of theirs (HC1 scales
 * the HC0 sum by N/(N − k)). That halves the width of every cross-product. With clusters or the
 * classical SE the full design goes through `olsFit`.
 *
 * Errors (`AnalysisError`): the cases of `olsFit` (NaN cells named by covariate and row, leverage
 * 1 under HC2 — e.g. a factor level held by a single treated person), an arm with fewer people
 * than coefficients. A covariate that is collinear (e.g. constant within an arm) is dropped with a
 * warning, as lm_robust reports NA for it.
 *
 * References:
 * - Lin, W. (2013). Agnostic notes on regression adjustments to experimental data: Reexamining
 *   Freedman's critique. Annals of Applied Statistics 7(1), 295–318. doi:10.1214/12-AOAS583
 * - Freedman, D. A. (2008). On regression adjustments to experimental data. Advances in Applied
 *   Mathematics 40(2), 180–193. doi:10.1016/j.aam.2006.12.003
 *
 * @example
 * lmLin(y, z, [age, educ], { names: ["age", "educ"] }).estimate
 */
import { AnalysisError, tBasedEstimate, type EffectEstimate } from "../estimate.ts";
import { checkOutcomeAndTreatment } from "./difference-in-means.ts";
import { olsFit, olsTerm, type SeType } from "./ols.ts";

/** A numeric covariate column, or a factor as a column of labels. */
export type Covariate = ArrayLike<number> | readonly string[];

export interface LmLinOptions {
  names?: string[];
  seType?: SeType;
  clusters?: ArrayLike<number | string>;
  level?: number;
  outcome?: string;
}

/** Expands factor covariates into treatment-contrast dummies; numeric ones pass through. */
export function expandCovariates(covariates: Covariate[], names: string[]): { columns: ArrayLike<number>[]; names: string[] } {
  const columns: ArrayLike<number>[] = [];
  const out: string[] = [];
  covariates.forEach((c, j) => {
    const name = names[j] ?? `x${j + 1}`;
    if (c.length > 0 && typeof c[0] === "string") {
      const labels = c as readonly string[];
      const levels = [...new Set(labels)].sort();
      for (const level of levels.slice(1)) {
        const d = new Float64Array(labels.length);
        for (let i = 0; i < labels.length; i++) d[i] = labels[i] === level ? 1 : 0;
        columns.push(d);
        out.push(`${name}${level}`);
      }
    } else {
      columns.push(c as ArrayLike<number>);
      out.push(name);
    }
  });
  return { columns, names: out };
}

export function lmLin(
  y: ArrayLike<number>,
  z: ArrayLike<number>,
  covariates: Covariate[],
  options: LmLinOptions = {},
): EffectEstimate {
  const outcome = options.outcome ?? "outcome";
  checkOutcomeAndTreatment(y, z, outcome);
  const n = y.length;
  let constant = true;
  for (let i = 1; i < n && constant; i++) constant = y[i] === y[0];
  if (constant) throw new AnalysisError(`${outcome}: the outcome is constant; the standard error is 0 and the test undefined`);
  const expanded = expandCovariates(covariates, options.names ?? []);
  const q = expanded.columns.length;
  const means = expanded.columns.map((c, j) => {
    if (c.length !== n) throw new AnalysisError(`${outcome}: covariate ${expanded.names[j]} has ${c.length} values, the outcome ${n}`);
    let s = 0;
    for (let i = 0; i < n; i++) s += c[i];
    if (!Number.isFinite(s)) {
      for (let i = 0; i < n; i++) if (!Number.isFinite(c[i])) throw new AnalysisError(`${outcome}: covariate ${expanded.names[j]} is missing or non-finite at row ${i}: ${c[i]}`);
    }
    return s / n;
  });
  const centre = (j: number): Float64Array => {
    const c = expanded.columns[j];
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = c[i] - means[j];
    return out;
  };
  const seType: SeType = options.seType ?? (options.clusters ? "CR2" : "HC2");

  if (options.clusters || seType === "classical") {
    const zc = Float64Array.from(z);
    const centred = expanded.columns.map((_, j) => centre(j));
    const inter = centred.map((c) => {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = zc[i] * c[i];
      return out;
    });
    const fit = olsFit(y, [zc, ...centred, ...inter], {
      names: ["z", ...expanded.names, ...expanded.names.map((nm) => `z:${nm}`)],
      seType,
      clusters: options.clusters,
      terms: ["z"],
      outcome,
    });
    return { ...olsTerm(fit, 1, "lm_lin", options.level, "treatment vs control") };
  }

  let n1 = 0;
  for (let i = 0; i < n; i++) n1 += z[i];
  const n0 = n - n1;
  const armSe: SeType = seType === "HC1" ? "HC0" : seType;
  const parts = [0, 1].map((arm) => {
    const size = arm === 1 ? n1 : n0;
    if (size <= q + 1) throw new AnalysisError(`${outcome}: the ${arm === 1 ? "treated" : "control"} arm has ${size} people for ${q + 1} coefficients`);
    const ya = new Float64Array(size);
    const rows = new Int32Array(size);
    let r = 0;
    for (let i = 0; i < n; i++) {
      if (z[i] !== arm) continue;
      ya[r] = y[i];
      rows[r++] = i;
    }
    const xa = expanded.columns.map((c, j) => {
      const out = new Float64Array(size);
      const mu = means[j];
      for (let k = 0; k < size; k++) out[k] = c[rows[k]] - mu;
      return out;
    });
    return olsFit(ya, xa, { names: expanded.names, seType: armSe, terms: [0], outcome, allowConstantOutcome: true });
  });
  const [f0, f1] = parts;
  const rank = f0.rank + f1.rank;
  let variance = f0.std_errors[0] ** 2 + f1.std_errors[0] ** 2;
  if (seType === "HC1") variance *= n / (n - rank);
  if (!(variance > 0)) throw new AnalysisError(`${outcome}: the standard error is 0; the outcome is constant given the covariates`);
  const warnings: string[] = [];
  for (const [arm, f] of [["control", f0], ["treated", f1]] as const) {
    const dropped = f.names.filter((_, j) => f.aliased[j]);
    if (dropped.length) warnings.push(`${outcome}: collinear in the ${arm} arm, dropped: ${dropped.join(", ")}`);
  }
  return tBasedEstimate({
    estimator: "lm_lin",
    term: "treatment vs control",
    estimate: f1.coefficients[0] - f0.coefficients[0],
    std_error: Math.sqrt(variance),
    df: n - rank,
    n,
    se_type: seType,
    level: options.level,
    warnings,
  });
}
