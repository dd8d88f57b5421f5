/**
 * Ordinary least squares with heteroskedasticity- and cluster-robust standard errors, as
 * `estimatr::lm_robust(y ~ x1 + ..., data, se_type = ...)`.
 *
 *     β̂ = (X'X)⁻¹ X'y,   e = y − Xβ̂,   h_ii = x_i'(X'X)⁻¹x_i
 *     V  = (X'X)⁻¹ X' Ω X (X'X)⁻¹, with Ω diagonal:
 *       HC0: e_i²          HC1: e_i² · N/(N − k)
 *       HC2: e_i²/(1 − h_ii)   (estimatr's default without clusters)
 *       HC3: e_i²/(1 − h_ii)²
 *     classical: V = σ̂²(X'X)⁻¹, σ̂² = Σe²/(N − k)
 *     CR2 (estimatr's default with clusters; Bell & McCaffrey 2002, Pustejovsky & Tipton 2018):
 *       V = (X'X)⁻¹ Σ_s X_s' A_s e_s e_s' A_s X_s (X'X)⁻¹,  A_s = (I − H_ss)^{−1/2}
 *       (symmetric inverse square root; a generalized one when I − H_ss is singular).
 *
 *     CR0: the same with A_s = I; "stata" (CR1): CR0 × (N − 1)/(N − k) · G/(G − 1); both with
 *       df = G − 1 (G clusters), as lm_robust.
 *
 * Degrees of freedom: N − k (k = rank of X) for classical and HC0–HC3, as lm_robust; for CR2 the
 * Bell–McCaffrey Satterthwaite df of each coefficient c'β̂: with G = (I − H)[g_1 … g_S],
 * g_s = A_s X_s (X'X)⁻¹ c placed on cluster s, df = tr(G'G)² / tr((G'G)²) — lm_robust's CR2 df.
 * It is computed without forming the N × N hat matrix: G'G = diag(g_s'g_s) − W'(X'X)⁻¹W with
 * the columns of W being X_s'g_s. CIs and p-values are t-based with those df.
 *
 * Computation (two passes over the rows, no per-row objects; ols-sandwich.ts): the non-intercept
 * columns are centred at their means, which leaves slopes, residuals and leverages unchanged and
 * keeps the normal equations well conditioned; the intercept and its variance are mapped back.
 * The first pass accumulates the centred X'X and X'y (and the means, by the shifted-data
 * algorithm), the second the residuals, the leverages h_ii = |L⁻¹x_i|² (X'X = LL', no hat matrix)
 * and only what the requested terms need (Σ ω_i (a_k'x_i)², a_k = (X'X)⁻¹c_k). With
 * `covariance: true` the covariances between the requested terms come too (for joint Wald tests).
 * The cluster-robust middle is in ols-cluster-robust.ts.
 * Columns that are linear combinations of earlier ones are aliased (coefficient NaN, listed in
 * `aliased`, a warning), as lm_robust reports NA for them.
 *
 * Errors (`AnalysisError`): columns of unequal length, a NaN or infinite value (column and row
 * named), a constant outcome, fewer observations than coefficients, a requested term that is aliased, a leverage of 1
 * under HC2/HC3 (the variance is undefined), a CR2 fit with one cluster.
 *
 * References:
 * - White, H. (1980). A heteroskedasticity-consistent covariance matrix estimator. Econometrica
 *   48(4), 817–838. doi:10.2307/1912934
 * - MacKinnon, J. G. & White, H. (1985). Some heteroskedasticity-consistent covariance matrix
 *   estimators with improved finite sample properties. Journal of Econometrics 29(3), 305–325.
 *   doi:10.1016/0304-4076(85)90158-7
 * - Bell, R. M. & McCaffrey, D. F. (2002). Bias reduction in standard errors for linear regression
 *   with multi-stage samples. Survey Methodology 28(2), 169–181.
 * - Pustejovsky, J. E. & Tipton, E. (2018). Small-sample methods for cluster-robust variance
 *   estimation and hypothesis testing in fixed effects models. Journal of Business & Economic
 *   Statistics 36(4), 672–683. doi:10.1080/07350015.2016.1247004
 *
 * @example
 * lmRobust([1, 3, 2, 5, 4, 6], [[0, 0, 0, 1, 1, 1]], { names: ["t"], seType: "HC2" })[1].estimate // 3
 */
import { AnalysisError, tBasedEstimate, type EffectEstimate } from "../estimate.ts";
import { choleskyInverse, cholesky, groupCodes, matVec } from "../linear-algebra.ts";
import { cr2Covariance } from "./ols-cluster-robust.ts";
import { type Column, centredCrossProducts, sandwichPass } from "./ols-sandwich.ts";

export type SeType = "classical" | "HC0" | "HC1" | "HC2" | "HC3" | "CR0" | "stata" | "CR2";

export interface OlsOptions {
  /** Names of the columns (without the intercept), default x1, x2, … */
  names?: string[];
  /** Include an intercept named "(Intercept)", default true. */
  intercept?: boolean;
  /** Default "HC2", or "CR2" when clusters are given (lm_robust's defaults). */
  seType?: SeType;
  clusters?: ArrayLike<number | string>;
  /** Names (or indices, counting the intercept) of the coefficients that need a standard error; default all. */
  terms?: (string | number)[];
  /** Also return the covariance matrix of the requested terms (`OlsFit.covariance`). */
  covariance?: boolean;
  level?: number;
  /** Name of the outcome, used in error messages. */
  outcome?: string;
  /**
   * Columns from which the residuals are computed instead of the regressors (same order and
   * count): two-stage least squares uses the fitted first stage as regressors and the
   * endogenous variables here.
   */
  residualColumns?: ArrayLike<number>[];
  /** Fit a constant outcome without an error (one arm of a larger model may be constant). */
  allowConstantOutcome?: boolean;
}

export interface OlsFit {
  names: string[];
  coefficients: Float64Array;
  /** Standard error of each coefficient; NaN for coefficients not requested or aliased. */
  std_errors: Float64Array;
  /** Degrees of freedom per coefficient. */
  df: Float64Array;
  aliased: boolean[];
  n: number;
  rank: number;
  se_type: SeType;
  /** Indices of the requested terms, in the order of `covariance`. */
  terms: number[];
  /** With `covariance: true`: the covariance of the requested terms, row-major m × m. */
  covariance: Float64Array | null;
  warnings: string[];
}

const toColumn = (c: ArrayLike<number> | null): Column =>
  c === null ? null : c instanceof Float64Array || c instanceof Uint8Array || c instanceof Int32Array ? c : Float64Array.from(c);

export function olsFit(y: ArrayLike<number>, columns: ArrayLike<number>[], options: OlsOptions = {}): OlsFit {
  const outcome = options.outcome ?? "outcome";
  const n = y.length;
  const intercept = options.intercept ?? true;
  const userNames = options.names ?? columns.map((_, j) => `x${j + 1}`);
  const names = intercept ? ["(Intercept)", ...userNames] : [...userNames];
  const cols: (ArrayLike<number> | null)[] = intercept ? [null, ...columns] : [...columns];
  const p = cols.length;
  const seType: SeType = options.seType ?? (options.clusters ? "CR2" : "HC2");
  const warnings: string[] = [];
  const clustered = seType === "CR2" || seType === "CR0" || seType === "stata";
  if (clustered && !options.clusters) throw new AnalysisError(`${outcome}: ${seType} standard errors need clusters`);
  if (!clustered && options.clusters) throw new AnalysisError(`${outcome}: clusters were given with se_type ${seType}; use CR2, CR0 or stata`);
  for (let j = 0; j < p; j++) {
    const c = cols[j];
    if (c !== null && c.length !== n) throw new AnalysisError(`${outcome}: column ${names[j]} has ${c.length} values, the outcome ${n}`);
  }
  if (options.residualColumns && options.residualColumns.length !== columns.length) {
    throw new AnalysisError(`${outcome}: residual columns must match the regressors`);
  }

  // X'X and X'y of the centred design in one pass; a NaN or infinite value makes its column's
  // sum of squares non-finite, and only then are the rows searched for it.
  const X: Column[] = cols.map(toColumn);
  const yF = y instanceof Float64Array ? y : Float64Array.from(y);
  const { xtx, xty, means, check } = centredCrossProducts(X, yF);
  if (!Number.isFinite(check[p])) {
    for (let i = 0; i < n; i++) if (!Number.isFinite(y[i])) throw new AnalysisError(`${outcome}: missing or non-finite value at row ${i}: ${y[i]}`);
  }
  let constant = true;
  for (let i = 1; i < n && constant; i++) if (yF[i] !== yF[0]) constant = false;
  if (constant && n > 0 && options.allowConstantOutcome !== true) throw new AnalysisError(`${outcome}: the outcome is constant (${y[0]}); standard errors are 0 and tests undefined`);
  for (let j = 0; j < p; j++) {
    const c = cols[j];
    if (c === null || Number.isFinite(check[j])) continue;
    for (let i = 0; i < n; i++) if (!Number.isFinite(c[i])) throw new AnalysisError(`${outcome}: column ${names[j]} has a missing or non-finite value at row ${i}: ${c[i]}`);
  }
  const chol = cholesky(xtx, p);
  const rank = chol.rank;
  if (n <= rank) throw new AnalysisError(`${outcome}: ${n} observations for ${rank} coefficients; the residual variance is undefined`);
  const xtxInv = choleskyInverse(chol);
  const betaCentred = matVec(xtxInv, xty, p);
  const aliased = Array.from(chol.kept, (k) => k === 0);
  const coefficients = Float64Array.from(betaCentred);
  if (intercept) for (let j = 1; j < p; j++) if (!aliased[j]) coefficients[0] -= means[j] * betaCentred[j];
  for (let j = 0; j < p; j++) if (aliased[j]) coefficients[j] = NaN;
  if (aliased.some(Boolean)) warnings.push(`${outcome}: aliased (collinear) terms dropped: ${names.filter((_, j) => aliased[j]).join(", ")}`);

  // The requested terms, as contrasts c_k in the centred parametrization.
  const termIndex = (options.terms ?? names.map((_, j) => j).filter((j) => !aliased[j])).map((t) => {
    const k = typeof t === "number" ? t : names.indexOf(t);
    if (k < 0 || k >= p) throw new AnalysisError(`${outcome}: unknown term ${t}; terms are ${names.join(", ")}`);
    if (aliased[k]) throw new AnalysisError(`${outcome}: term ${names[k]} is aliased (collinear with earlier terms)`);
    return k;
  });
  const m = termIndex.length;
  const contrasts = termIndex.map((k) => {
    const c = new Float64Array(p);
    c[k] = 1;
    if (intercept && k === 0) for (let j = 1; j < p; j++) c[j] = aliased[j] ? 0 : -means[j];
    return c;
  });
  const a = contrasts.map((c) => matVec(xtxInv, c, p)); // a_k = (X'X)⁻¹ c_k

  const R: Column[] = options.residualColumns ? (intercept ? [null, ...options.residualColumns] : options.residualColumns).map(toColumn) : X;
  const beta = coefficients.map((b, j) => (aliased[j] ? 0 : b));
  const full = options.covariance === true;
  const covariance = new Float64Array(m * m);
  const df = new Float64Array(p).fill(NaN);
  if (clustered) {
    const { codes, levels } = groupCodes(options.clusters!);
    if (codes.length !== n) throw new AnalysisError(`${outcome}: ${codes.length} cluster labels for ${n} observations`);
    if (levels.length < 2) throw new AnalysisError(`${outcome}: ${seType} needs at least two clusters, found ${levels.length}`);
    const readRow = (i: number, out: Float64Array) => {
      for (let j = 0; j < p; j++) {
        const c = X[j];
        out[j] = c === null ? 1 : c[i] - means[j];
      }
    };
    const residual = (i: number): number => {
      let fit = 0;
      for (let j = 0; j < p; j++) {
        const c = R[j];
        fit += beta[j] * (c === null ? 1 : c[i]);
      }
      return yF[i] - fit;
    };
    const cr2 = cr2Covariance(n, p, codes, levels.length, readRow, residual, chol, a, seType === "CR2");
    const G = levels.length;
    const scale = seType === "stata" ? ((n - 1) / (n - rank)) * (G / (G - 1)) : 1;
    for (let k = 0; k < m * m; k++) covariance[k] = cr2.covariance[k] * scale;
    for (let k = 0; k < m; k++) df[termIndex[k]] = seType === "CR2" ? cr2.df[k] : G - 1;
  } else {
    const aFlat = new Float64Array(m * p);
    a.forEach((ak, k) => aFlat.set(ak, k * p));
    const sse = sandwichPass({ X, R, means, y: yF, beta, chol, aFlat, m, seType, full, outcome }, covariance);
    if (seType === "classical") {
      const sigma2 = sse / (n - rank);
      for (let k = 0; k < m; k++) {
        for (let l = 0; l < m; l++) {
          if (!full && l !== k) continue;
          let s = 0;
          for (let j = 0; j < p; j++) s += contrasts[k][j] * a[l][j];
          covariance[k * m + l] = sigma2 * s;
        }
      }
    } else if (seType === "HC1") {
      for (let k = 0; k < m * m; k++) covariance[k] *= n / (n - rank);
    }
    for (const k of termIndex) df[k] = n - rank;
  }
  const std_errors = new Float64Array(p).fill(NaN);
  for (let k = 0; k < m; k++) std_errors[termIndex[k]] = Math.sqrt(covariance[k * m + k]);
  return { names, coefficients, std_errors, df, aliased, n, rank, se_type: seType, terms: termIndex, covariance: full ? covariance : null, warnings };
}

/** lm_robust's coefficient table as one `EffectEstimate` per requested, non-aliased term. */
export function lmRobust(y: ArrayLike<number>, columns: ArrayLike<number>[], options: OlsOptions = {}): EffectEstimate[] {
  const fit = olsFit(y, columns, options);
  const out: EffectEstimate[] = [];
  for (let j = 0; j < fit.names.length; j++) {
    if (fit.aliased[j] || Number.isNaN(fit.std_errors[j])) continue;
    out.push(olsTerm(fit, j, "lm_robust", options.level));
  }
  return out;
}

/** One coefficient of a fit as an `EffectEstimate`. */
export function olsTerm(fit: OlsFit, j: number, estimator: string, level?: number, term?: string): EffectEstimate {
  if (!(fit.std_errors[j] > 0)) {
    throw new AnalysisError(`${fit.names[j]}: the standard error is ${fit.std_errors[j]}; the test is undefined (a constant outcome?)`);
  }
  return tBasedEstimate({
    estimator,
    term: term ?? fit.names[j],
    estimate: fit.coefficients[j],
    std_error: fit.std_errors[j],
    df: fit.df[j],
    n: fit.n,
    se_type: fit.se_type,
    level,
    warnings: fit.warnings,
  });
}
