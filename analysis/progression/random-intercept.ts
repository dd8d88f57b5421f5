/**
 * Linear mixed model with a random intercept per participant, fitted by REML, as
 * `lme4::lmer(y ~ x1 + ... + (1 | id), REML = TRUE)` and `nlme::lme(y ~ x1 + ..., random = ~ 1 | id,
 * method = "REML")`.
 *
 *     y_i = X_i β + 1 b_i + ε_i,   b_i ~ N(0, σ_b²),   ε_i ~ N(0, σ² I)       (participant i, n_i rows)
 *     V_i = σ² (I + γ J),   γ = σ_b²/σ² = θ²   (θ is lme4's relative covariance factor)
 *
 * Compound symmetry per participant gives the inverse in closed form (Sherman–Morrison):
 *     V_i⁻¹ = σ⁻² H_i,   H_i = I − c_i J,   c_i = γ / (1 + n_i γ),   |I + γJ| = 1 + n_i γ.
 * For a given γ the fixed effects and σ² are generalized least squares:
 *     M(γ) = Σ X_i'H_i X_i,   β̂(γ) = M⁻¹ Σ X_i'H_i y_i,   r(γ) = Σ (y_i − X_iβ̂)'H_i(y_i − X_iβ̂),
 *     σ̂² = r / (N − p)
 * and the profiled REML criterion (−2 × restricted log-likelihood; lme4's `REMLcrit`) is
 *     d(θ) = Σ_i log(1 + n_i θ²) + log|M(θ²)| + (N − p)(1 + log(2π r(θ²)/(N − p))).
 * Because c_i depends on n_i alone, every sum splits into X'X, X'y, y'y and, per distinct cluster
 * size m, S_m = Σ s_i s_i', t_m = Σ s_i (1'y_i), u_m = Σ (1'y_i)² with s_i = X_i'1; after one pass
 * over the data each evaluation of d costs O(K p³) for K distinct sizes, whatever N is.
 * d is minimized over θ ∈ [0, 10⁴] by a log-spaced grid and Brent's method (golden section with
 * parabolic steps) on the bracket around the best grid point; θ = 0 is taken when d(0) is no
 * larger (a boundary, "singular" fit, as lme4 reports it).
 *
 * Standard errors: Var(β̂) = σ̂² M(γ̂)⁻¹ (lme4's and nlme's `vcov`, conditional on γ̂).
 * Variance components: σ̂ (residual SD) and σ̂_b = θ̂ σ̂ (SD of the random intercept).
 *
 * Degrees of freedom: nlme's between/within ("containment") rule (Pinheiro & Bates 2000, §2.4.2):
 * a column that varies within at least one participant is estimated at the residual level with
 * df = N − G − (number of such columns); a column constant within every participant (arm, strata)
 * at the participant level with df = G − 1 − (number of such columns); the intercept gets the
 * larger of the two. t statistics, p-values and CIs use these df, as `summary(lme(...))$tTable`
 * and `intervals(lme(...))`. (lme4 reports no df.)
 *
 * A column that is a linear combination of the earlier ones (no data to estimate it: an arm not yet
 * measured at a week) is an error by default; with `dropAliased` it is dropped and the rest fitted,
 * as lmer's default `check.rankX = "message+drop.cols"` does (R's pivoted QR, tol 1e-7, keeps the
 * earlier of two dependent columns; so does the Cholesky here), and `dropped` names it.
 *
 * Errors (`AnalysisError`): unequal lengths, a missing or non-finite value (column and row named),
 * an aliased column (named; unless `dropAliased`), fewer rows than coefficients + 1, every
 * participant measured once (σ_b and σ are then not identified; lme4 refuses it too).
 *
 * References:
 * - Laird, N. M. & Ware, J. H. (1982). Random-effects models for longitudinal data. Biometrics
 *   38(4), 963–974. doi:10.2307/2529876
 * - Pinheiro, J. C. & Bates, D. M. (2000). Mixed-Effects Models in S and S-PLUS, §2.2 and §2.4.2.
 *   Springer. doi:10.1007/b98882
 * - Bates, D., Mächler, M., Bolker, B. & Walker, S. (2015). Fitting linear mixed-effects models
 *   using lme4. Journal of Statistical Software 67(1), 1–48. doi:10.18637/jss.v067.i01 (eq. 41)
 * - Brent, R. P. (1973). Algorithms for Minimization without Derivatives, ch. 5. Prentice-Hall.
 *
 * @example
 * // two participants, two rows each, a within-participant contrast
 * randomInterceptFit([1, 2, 2, 4], [[0, 1, 0, 1]], ["a", "a", "b", "b"], { names: ["t"] }).coefficients[1] // 1.5
 */
import { AnalysisError, tBasedEstimate, type EffectEstimate } from "../estimate.ts";
import { brentMinimize } from "../brent-minimize.ts";
import { cholesky, choleskyInverse, choleskySolve, groupCodes } from "../linear-algebra.ts";

export interface RandomInterceptOptions {
  /** Names of the columns (the intercept "(Intercept)" is added first), default x1, x2, … */
  names?: string[];
  /** Name of the outcome, for messages. */
  outcome?: string;
  level?: number;
  /** Drop columns that are linear combinations of earlier ones and fit the rest (lmer's default), instead of refusing. */
  dropAliased?: boolean;
}

export interface RandomInterceptFit {
  names: string[];
  coefficients: Float64Array;
  std_errors: Float64Array;
  /** nlme's between/within df per coefficient. */
  df: Float64Array;
  /** Whether each column is estimated at the residual (within-participant) level. */
  within: boolean[];
  /** Var(β̂), row-major p × p. */
  vcov: Float64Array;
  /** Residual SD σ̂. */
  sigma: number;
  /** SD of the random intercept σ̂_b. */
  sd_intercept: number;
  /** θ̂ = σ̂_b / σ̂ (lme4's `getME(fit, "theta")`). */
  theta: number;
  /** −2 × restricted log-likelihood at the optimum (lme4's `REMLcrit`). */
  reml_criterion: number;
  /** Rows and participants used. */
  n: number;
  groups: number;
  /** θ̂ = 0: the random intercept's variance is estimated at zero. */
  singular: boolean;
  /** Columns dropped as linear combinations of earlier ones (`dropAliased`); not in `names`. */
  dropped: string[];
  /** Criterion evaluations. */
  evaluations: number;
  warnings: string[];
}

interface Sufficient {
  p: number;
  n: number;
  A: Float64Array;
  bx: Float64Array;
  yy: number;
  /** Distinct cluster sizes and their counts, and per size S_m (p × p), t_m (p), u_m. */
  sizes: number[];
  counts: number[];
  S: Float64Array[];
  t: Float64Array[];
  u: number[];
}

/** One pass over the data: the sufficient statistics of the criterion, and which columns vary within. */
function sufficient(y: ArrayLike<number>, cols: ArrayLike<number>[], codes: Int32Array, G: number, names: string[], outcome: string): { suff: Sufficient; within: boolean[] } {
  const n = y.length;
  const p = cols.length + 1;
  const A = new Float64Array(p * p);
  const bx = new Float64Array(p);
  const s = new Float64Array(G * p);
  const ty = new Float64Array(G);
  const size = new Int32Array(G);
  const first = new Float64Array(G * p);
  const within = new Array<boolean>(p).fill(false);
  const row = new Float64Array(p);
  row[0] = 1;
  let yy = 0;
  for (let i = 0; i < n; i++) {
    const yi = y[i];
    if (!Number.isFinite(yi)) throw new AnalysisError(`${outcome}: missing or non-finite value at row ${i}: ${yi}`);
    for (let j = 1; j < p; j++) {
      const v = cols[j - 1][i];
      if (!Number.isFinite(v)) throw new AnalysisError(`${outcome}: column ${names[j]} has a missing or non-finite value at row ${i}: ${v}`);
      row[j] = v;
    }
    const g = codes[i];
    const base = g * p;
    if (size[g] === 0) for (let j = 1; j < p; j++) first[base + j] = row[j];
    else for (let j = 1; j < p; j++) if (row[j] !== first[base + j]) within[j] = true;
    size[g]++;
    ty[g] += yi;
    yy += yi * yi;
    for (let a = 0; a < p; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      s[base + a] += ra;
      bx[a] += ra * yi;
      for (let b = a; b < p; b++) A[a * p + b] += ra * row[b];
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) A[a * p + b] = A[b * p + a];
  const index = new Map<number, number>();
  const sizes: number[] = [], counts: number[] = [], S: Float64Array[] = [], t: Float64Array[] = [], u: number[] = [];
  for (let g = 0; g < G; g++) {
    let k = index.get(size[g]);
    if (k === undefined) {
      k = sizes.length;
      index.set(size[g], k);
      sizes.push(size[g]);
      counts.push(0);
      S.push(new Float64Array(p * p));
      t.push(new Float64Array(p));
      u.push(0);
    }
    counts[k]++;
    const Sk = S[k], tk = t[k], base = g * p, tg = ty[g];
    u[k] += tg * tg;
    for (let a = 0; a < p; a++) {
      const sa = s[base + a];
      if (sa === 0) continue;
      tk[a] += sa * tg;
      for (let b = a; b < p; b++) Sk[a * p + b] += sa * s[base + b];
    }
  }
  for (const Sk of S) for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) Sk[a * p + b] = Sk[b * p + a];
  return { suff: { p, n, A, bx, yy, sizes, counts, S, t, u }, within };
}

interface Evaluation {
  criterion: number;
  beta: Float64Array;
  M: Float64Array;
  r: number;
}

/** "outcome: column(s) … is (are) a linear combination(s) of the others (no data to estimate it (them)", to be closed by the caller. */
function aliased(outcome: string, dropped: string[]): string {
  const many = dropped.length > 1;
  return `${outcome}: column${many ? "s" : ""} ${dropped.join(", ")} ${many ? "are linear combinations" : "is a linear combination"} of the others (no data to estimate ${many ? "them" : "it"}`;
}

/**
 * The profiled REML criterion d(θ) and the GLS quantities at θ. M(γ) has full rank for every
 * finite γ when X has; a loss of rank at an extreme θ of the search grid is rounding, and such a
 * point is skipped (`strict` false) rather than reported.
 */
function evaluate(suff: Sufficient, theta: number, names: string[], outcome: string, strict = true): Evaluation {
  const { p, n, A, bx, sizes, counts, S, t, u } = suff;
  const gamma = theta * theta;
  const M = Float64Array.from(A);
  const b = Float64Array.from(bx);
  let q = suff.yy;
  let logDetV = 0;
  for (let k = 0; k < sizes.length; k++) {
    const c = gamma / (1 + sizes[k] * gamma);
    logDetV += counts[k] * Math.log1p(sizes[k] * gamma);
    if (c === 0) continue;
    const Sk = S[k], tk = t[k];
    for (let a = 0; a < p * p; a++) M[a] -= c * Sk[a];
    for (let a = 0; a < p; a++) b[a] -= c * tk[a];
    q -= c * u[k];
  }
  const chol = cholesky(M, p);
  if (chol.rank < p && !strict) return { criterion: Infinity, beta: new Float64Array(p), M, r: NaN };
  if (chol.rank < p) throw new AnalysisError(`${aliased(outcome, names.filter((_, j) => !chol.kept[j]))}?)`);
  const beta = choleskySolve(chol, b);
  let r = q;
  for (let a = 0; a < p; a++) r -= b[a] * beta[a];
  let logDetM = 0;
  for (let a = 0; a < p; a++) logDetM += 2 * Math.log(chol.L[a * p + a]);
  const dfr = n - p;
  const criterion = logDetV + logDetM + dfr * (1 + Math.log((2 * Math.PI * r) / dfr));
  return { criterion, beta, M, r };
}

/**
 * The derivative of the criterion in γ = θ², in closed form (c_m' = 1/(1 + mγ)²):
 *     d'(γ) = Σ_m count_m m/(1 + mγ) − Σ_m c_m' tr(M⁻¹S_m) + (N − p) r'/r,
 *     r'(γ) = −Σ_m c_m' (u_m − 2β̂'t_m + β̂'S_mβ̂).
 */
function derivative(suff: Sufficient, gamma: number, names: string[], outcome: string): number {
  const { p, n, sizes, counts, S, t, u } = suff;
  const at = evaluate(suff, Math.sqrt(gamma), names, outcome);
  const Minv = choleskyInverse(cholesky(at.M, p));
  const beta = at.beta;
  let g = 0, dr = 0;
  for (let k = 0; k < sizes.length; k++) {
    const m = sizes[k];
    const c1 = 1 / ((1 + m * gamma) * (1 + m * gamma));
    g += (counts[k] * m) / (1 + m * gamma);
    const Sk = S[k], tk = t[k];
    let trace = 0, quad = 0, lin = 0;
    for (let a = 0; a < p; a++) {
      lin += beta[a] * tk[a];
      for (let b = 0; b < p; b++) {
        trace += Minv[a * p + b] * Sk[b * p + a];
        quad += beta[a] * Sk[a * p + b] * beta[b];
      }
    }
    g -= c1 * trace;
    dr -= c1 * (u[k] - 2 * lin + quad);
  }
  return g + ((n - p) * dr) / at.r;
}

/**
 * Brent's minimum is limited by rounding in d itself (about √ε in θ); a few secant steps on the
 * closed-form derivative, kept inside the bracket, bring θ to the root of d'.
 */
function polish(suff: Sufficient, theta: number, lo: number, hi: number, names: string[], outcome: string): number {
  let g0 = theta * theta;
  let d0 = derivative(suff, g0, names, outcome);
  let g1 = g0 * (1 + 1e-6);
  let d1 = derivative(suff, g1, names, outcome);
  for (let iter = 0; iter < 8 && d1 !== d0; iter++) {
    const next = g1 - (d1 * (g1 - g0)) / (d1 - d0);
    if (!(next > lo * lo && next < hi * hi)) break;
    g0 = g1; d0 = d1;
    g1 = next;
    d1 = derivative(suff, g1, names, outcome);
    if (Math.abs(g1 - g0) <= 1e-15 * g1) break;
  }
  return Math.sqrt(Math.abs(d1) <= Math.abs(d0) ? g1 : g0);
}

/** Fits the model; `columns` are the fixed-effect regressors without the intercept. */
export function randomInterceptFit(
  y: ArrayLike<number>,
  columns: ArrayLike<number>[],
  groups: ArrayLike<number | string>,
  options: RandomInterceptOptions = {},
): RandomInterceptFit {
  const outcome = options.outcome ?? "outcome";
  const n = y.length;
  const names = ["(Intercept)", ...(options.names ?? columns.map((_, j) => `x${j + 1}`))];
  if (names.length !== columns.length + 1) throw new AnalysisError(`${outcome}: ${names.length - 1} names for ${columns.length} columns`);
  if (groups.length !== n) throw new AnalysisError(`${outcome}: ${groups.length} participant ids for ${n} rows`);
  columns.forEach((c, j) => {
    if (c.length !== n) throw new AnalysisError(`${outcome}: column ${names[j + 1]} has ${c.length} values, the outcome ${n}`);
  });
  const p = names.length;
  // With dropAliased the count that matters is the columns kept (checked in the fit without the others).
  if (n <= p && !options.dropAliased) throw new AnalysisError(`${outcome}: ${n} rows for ${p} coefficients`);
  const { codes, levels } = groupCodes(groups);
  const G = levels.length;
  if (G === n) throw new AnalysisError(`${outcome}: every participant has a single measurement; the random intercept cannot be told apart from the residual`);
  const { suff, within } = sufficient(y, columns, codes, G, names, outcome);
  const rankX = cholesky(suff.A, p);
  if (rankX.rank < p) {
    const dropped = names.filter((_, j) => !rankX.kept[j]);
    if (!options.dropAliased || !rankX.kept[0]) throw new AnalysisError(`${aliased(outcome, dropped)}?)`);
    const keep = (_: unknown, j: number) => rankX.kept[j + 1] === 1;
    const fit = randomInterceptFit(y, columns.filter(keep), groups, { ...options, names: names.slice(1).filter(keep), dropAliased: false });
    fit.dropped = dropped;
    fit.warnings.push(`${aliased(outcome, dropped)}); dropped from the model`);
    return fit;
  }
  if (n <= p) throw new AnalysisError(`${outcome}: ${n} rows for ${p} coefficients`);
  let evaluations = 0;
  const d = (theta: number) => {
    evaluations++;
    return evaluate(suff, theta, names, outcome, false).criterion;
  };

  // Bracket on a log grid, then Brent inside the bracket.
  const grid = [0];
  for (let e = -4; e <= 4; e += 0.25) grid.push(10 ** e);
  const values = grid.map(d);
  let best = 0;
  for (let k = 1; k < grid.length; k++) if (values[k] < values[best]) best = k;
  const lo = grid[Math.max(0, best - 1)], hi = grid[Math.min(grid.length - 1, best + 1)];
  let theta = 0;
  if (best > 0 || values[1] < values[0]) {
    const found = brentMinimize(d, lo, hi, 1e-12 * Math.max(1, grid[best]));
    theta = found.fx < values[0] ? found.x : 0;
    if (theta > 0) theta = polish(suff, theta, lo, hi, names, outcome);
  }
  const at = evaluate(suff, theta, names, outcome);
  const dfr = n - p;
  const sigma2 = at.r / dfr;
  const Minv = choleskyInverse(cholesky(at.M, p));
  const vcov = Minv.map((v) => v * sigma2);
  const std_errors = Float64Array.from({ length: p }, (_, j) => Math.sqrt(vcov[j * p + j]));
  const nWithin = within.filter((w, j) => j > 0 && w).length;
  const nBetween = p - 1 - nWithin;
  const dfWithin = n - G - nWithin;
  const dfBetween = G - 1 - nBetween;
  const df = Float64Array.from({ length: p }, (_, j) => (j === 0 ? Math.max(dfWithin, dfBetween) : within[j] ? dfWithin : dfBetween));
  const warnings: string[] = [];
  const singular = theta === 0;
  if (singular) warnings.push(`${outcome}: the random intercept's variance is estimated at 0 (boundary fit): no correlation between a participant's measurements beyond the fixed effects`);
  return {
    names,
    coefficients: at.beta,
    std_errors,
    df,
    within,
    vcov,
    sigma: Math.sqrt(sigma2),
    sd_intercept: theta * Math.sqrt(sigma2),
    theta,
    reml_criterion: at.criterion,
    n,
    groups: G,
    singular,
    dropped: [],
    evaluations,
    warnings,
  };
}

/** One coefficient of a fit as an `EffectEstimate` (t with nlme's df). */
export function randomInterceptTerm(fit: RandomInterceptFit, j: number, estimator = "lmer", level?: number, term?: string): EffectEstimate {
  return tBasedEstimate({
    estimator,
    term: term ?? fit.names[j]!,
    estimate: fit.coefficients[j]!,
    std_error: fit.std_errors[j]!,
    df: fit.df[j]!,
    n: fit.n,
    se_type: "REML model-based",
    level,
    warnings: fit.warnings,
  });
}
