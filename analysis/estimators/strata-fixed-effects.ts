/**
 * Treatment effect with strata fixed effects: OLS of the outcome on treatment (and optional
 * covariates) plus a dummy for every stratum, HC2 standard errors, as
 * `estimatr::lm_robust(y ~ z + x1 + ... + factor(strata), data, se_type = "HC2")` — equivalently
 * `lm_robust(y ~ z + ..., fixed_effects = ~ strata, se_type = "HC2")`. The coefficient of z is a
 * within-stratum comparison weighted by n_s p_s (1 − p_s) (p_s the treated share in stratum s).
 *
 * Computation (Frisch–Waugh–Lovell): z and the covariates are demeaned within strata (X̃), then
 *     β̂ = (X̃'X̃)⁻¹ X̃'y,   e = ỹ − X̃β̂   (the full model's residuals)
 *     h_ii = 1/n_s + x̃_i'(X̃'X̃)⁻¹x̃_i   (the full model's leverage: the dummies' hat matrix
 *                                          is block-wise 1/n_s, orthogonal to X̃)
 *     Var(β̂_z) = Σ_i ω_i (a'x̃_i)²,  a = (X̃'X̃)⁻¹e_z,  ω_i = e_i²/(1 − h_ii) (HC2)
 * which is exactly the sandwich of the dummy-variable regression, without a column per stratum.
 * HC0, HC1, HC3 and classical are offered the same way. df = N − S − rank(X̃) (residual df).
 *
 * Errors (`AnalysisError`): a stratum of one (leverage 1: HC2 undefined; named), treatment constant
 * within every stratum (no within-stratum contrast), NaN cells, a constant outcome (SE 0).
 *
 * References:
 * - Angrist, J. D. & Pischke, J.-S. (2009). Mostly Harmless Econometrics, §3.3.1. Princeton.
 * - Frisch, R. & Waugh, F. V. (1933). Partial time regressions as compared with individual
 *   trends. Econometrica 1(4), 387–401. doi:10.2307/1907330
 * - MacKinnon, J. G. & White, H. (1985). doi:10.1016/0304-4076(85)90158-7 (HC2)
 */
import { AnalysisError, tBasedEstimate, type EffectEstimate } from "../estimate.ts";
import { cholesky, choleskyInverse, forwardSolveInPlace, groupCodes, matVec } from "../linear-algebra.ts";
import { checkOutcomeAndTreatment } from "./difference-in-means.ts";
import type { SeType } from "./ols.ts";

export interface StrataFixedEffectsOptions {
  covariates?: ArrayLike<number>[];
  covariateNames?: string[];
  seType?: Exclude<SeType, "CR2" | "CR0" | "stata">;
  level?: number;
  term?: string;
  outcome?: string;
}

export function strataFixedEffects(
  y: ArrayLike<number>,
  z: ArrayLike<number>,
  strata: ArrayLike<number | string>,
  options: StrataFixedEffectsOptions = {},
): EffectEstimate {
  const outcome = options.outcome ?? "outcome";
  const seType = options.seType ?? "HC2";
  checkOutcomeAndTreatment(y, z, outcome);
  const n = y.length;
  if (strata.length !== n) throw new AnalysisError(`${outcome}: ${strata.length} stratum labels for ${n} people`);
  const { codes, levels } = groupCodes(strata);
  const S = levels.length;
  const covs = options.covariates ?? [];
  const cols: ArrayLike<number>[] = [z, ...covs];
  const names = ["z", ...(options.covariateNames ?? covs.map((_, j) => `x${j + 1}`))];
  const p = cols.length;
  const size = new Float64Array(S);
  const sums = new Float64Array(S * (p + 1));
  for (let i = 0; i < n; i++) {
    const s = codes[i];
    size[s]++;
    sums[s * (p + 1)] += y[i];
    for (let j = 0; j < p; j++) {
      const v = cols[j][i];
      if (!Number.isFinite(v)) throw new AnalysisError(`${outcome}: ${names[j]} is missing or non-finite at row ${i}: ${v}`);
      sums[s * (p + 1) + 1 + j] += v;
    }
  }
  for (let s = 0; s < S; s++) {
    if (size[s] === 1 && seType !== "HC0" && seType !== "HC1" && seType !== "classical") {
      throw new AnalysisError(`${outcome}: stratum ${levels[s]} has a single person (leverage 1); ${seType} standard errors are undefined`);
    }
    for (let j = 0; j <= p; j++) sums[s * (p + 1) + j] /= size[s];
  }
  const means = sums;
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p);
  const row = new Float64Array(p);
  const readRow = (i: number): number => {
    const base = codes[i] * (p + 1);
    for (let j = 0; j < p; j++) row[j] = cols[j][i] - means[base + 1 + j];
    return y[i] - means[base];
  };
  for (let i = 0; i < n; i++) {
    const yi = readRow(i);
    for (let a = 0; a < p; a++) {
      xty[a] += row[a] * yi;
      for (let b = a; b < p; b++) xtx[a * p + b] += row[a] * row[b];
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) xtx[a * p + b] = xtx[b * p + a];
  const chol = cholesky(xtx, p);
  if (!chol.kept[0]) throw new AnalysisError(`${outcome}: treatment is constant within every stratum (or collinear with the covariates); no within-stratum contrast`);
  const inv = choleskyInverse(chol);
  const beta = matVec(inv, xty, p);
  const a = Float64Array.from({ length: p }, (_, j) => inv[j * p]);
  const k = S + chol.rank;
  if (n <= k) throw new AnalysisError(`${outcome}: ${n} people for ${k} coefficients`);
  const zbuf = new Float64Array(p);
  let variance = 0, sse = 0;
  for (let i = 0; i < n; i++) {
    const yi = readRow(i);
    let e = yi;
    for (let j = 0; j < p; j++) e -= beta[j] * row[j];
    let w = e * e;
    sse += w;
    if (seType === "classical") continue;
    if (seType === "HC2" || seType === "HC3") {
      zbuf.set(row);
      forwardSolveInPlace(chol, zbuf);
      let h = 1 / size[codes[i]];
      for (let j = 0; j < p; j++) h += zbuf[j] * zbuf[j];
      if (!(1 - h > 1e-10)) throw new AnalysisError(`${outcome}: observation ${i} has leverage 1; ${seType} standard errors are undefined`);
      w = seType === "HC2" ? w / (1 - h) : w / ((1 - h) * (1 - h));
    }
    let s = 0;
    for (let j = 0; j < p; j++) s += a[j] * row[j];
    variance += w * s * s;
  }
  if (seType === "classical") variance = (sse / (n - k)) * inv[0];
  if (seType === "HC1") variance *= n / (n - k);
  if (!(variance > 0)) throw new AnalysisError(`${outcome}: the standard error is 0 (a constant outcome within strata); the test is undefined`);
  const warnings = chol.rank < p ? [`${outcome}: collinear covariates dropped: ${names.filter((_, j) => !chol.kept[j]).join(", ")}`] : [];
  return tBasedEstimate({
    estimator: "strata_fixed_effects",
    term: options.term ?? "treatment vs control",
    estimate: beta[0],
    std_error: Math.sqrt(variance),
    df: n - k,
    n,
    se_type: seType,
    level: options.level,
    warnings,
  });
}
