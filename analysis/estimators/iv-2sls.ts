/**
 * Complier average causal effect (CACE / LATE) by two-stage least squares, as
 * `estimatr::iv_robust(y ~ d + x1 + ... | z + x1 + ..., data)` with its defaults
 * (`se_type = "HC2"`, or `"CR2"` with clusters; `alpha = 0.05`). Typical use: z = offered the
 * intervention (randomized), d = actually received it (e.g. met the IPS consultant).
 *
 *     first stage:  d̂ = fitted values of OLS of d on (1, z, x)
 *     second stage: β̂ = (X̂'X̂)⁻¹ X̂'y with X̂ = (1, d̂, x)
 *     residuals:    e = y − Xβ̂ with the actual X = (1, d, x)  (not y − X̂β̂)
 *     HC2:          V = (X̂'X̂)⁻¹ Σ_i x̂_i x̂_i' e_i²/(1 − ĥ_ii) (X̂'X̂)⁻¹,  ĥ_ii = x̂_i'(X̂'X̂)⁻¹x̂_i
 *     df = N − k (k columns of X), t-based CI and p-value.
 *
 * With one binary instrument and no covariates β̂_d is the Wald estimator
 * (ȳ_{z=1} − ȳ_{z=0}) / (d̄_{z=1} − d̄_{z=0}). The sandwich is `olsFit`'s with the residuals taken
 * from the actual regressors (`residualColumns`).
 *
 * Errors (`AnalysisError`): an instrument that does not move the treatment (the first stage gives
 * d̂ collinear with the rest: "weak or irrelevant instrument"), NaN cells, the errors of `olsFit`.
 * The first-stage F is not computed.
 *
 * References:
 * - Angrist, J. D., Imbens, G. W. & Rubin, D. B. (1996). Identification of causal effects using
 *   instrumental variables. Journal of the American Statistical Association 91(434), 444–455.
 *   doi:10.1080/01621459.1996.10476902
 * - Wooldridge, J. M. (2010). Econometric Analysis of Cross Section and Panel Data, 2nd ed., §5.2.
 *   MIT Press.
 */
import { AnalysisError, type EffectEstimate } from "../estimate.ts";
import { olsFit, olsTerm, type SeType } from "./ols.ts";

export interface Iv2slsOptions {
  /** Exogenous covariates, in both stages. */
  covariates?: ArrayLike<number>[];
  covariateNames?: string[];
  seType?: SeType;
  clusters?: ArrayLike<number | string>;
  level?: number;
  term?: string;
  outcome?: string;
}

/**
 * The CACE of receiving treatment `d` instrumented by assignment `z` (one column or several).
 */
export function iv2sls(
  y: ArrayLike<number>,
  d: ArrayLike<number>,
  z: ArrayLike<number> | ArrayLike<number>[],
  options: Iv2slsOptions = {},
): EffectEstimate {
  const outcome = options.outcome ?? "outcome";
  const instruments = isColumnList(z) ? z : [z];
  const covs = options.covariates ?? [];
  const covNames = options.covariateNames ?? covs.map((_, j) => `x${j + 1}`);
  const n = y.length;
  for (const col of [d, ...instruments]) {
    if (col.length !== n) throw new AnalysisError(`${outcome}: treatment received and instruments must have ${n} values`);
  }
  for (let i = 0; i < n; i++) if (!Number.isFinite(d[i])) throw new AnalysisError(`${outcome}: treatment received is missing or non-finite at row ${i}: ${d[i]}`);
  const first = olsFit(d, [...instruments, ...covs], {
    names: [...instruments.map((_, j) => `z${j + 1}`), ...covNames],
    seType: "HC0",
    terms: [],
    outcome: `${outcome} (first stage)`,
  });
  const dHat = new Float64Array(n);
  const cols = [...instruments, ...covs];
  const b = first.coefficients.map((v, j) => (first.aliased[j] ? 0 : v));
  for (let i = 0; i < n; i++) {
    let f = b[0];
    for (let j = 0; j < cols.length; j++) f += b[j + 1] * cols[j][i];
    dHat[i] = f;
  }
  if (instruments.every((_, j) => first.aliased[j + 1])) throw new AnalysisError(`${outcome}: the instruments are collinear with the covariates`);
  const fit = olsFit(y, [dHat, ...covs], {
    names: ["d", ...covNames],
    seType: options.seType,
    clusters: options.clusters,
    terms: ["d"],
    outcome,
    residualColumns: [d, ...covs],
  });
  if (fit.aliased[1]) throw new AnalysisError(`${outcome}: the instrument does not move the treatment received (weak or irrelevant instrument)`);
  return olsTerm(fit, 1, "iv_2sls", options.level, options.term ?? "complier effect (CACE)");
}

function isColumnList(z: ArrayLike<number> | ArrayLike<number>[]): z is ArrayLike<number>[] {
  return z.length > 0 && typeof (z as ArrayLike<unknown>)[0] === "object";
}
