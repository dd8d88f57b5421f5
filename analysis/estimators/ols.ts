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
 * Computation: the non-intercept columns are centred at their means before X'X is accumulated
 * (one pass, no per-row objects), which leaves slopes, residuals and leverages unchanged and keeps
 * the normal equations well conditioned; the intercept and its variance are mapped back. The
 * leverages come from z_i = L⁻¹x_i with X'X = LL' (h_ii = |z_i|²), one pass with no hat matrix.
 * Only the requested terms' variances are accumulated (Σ ω_i (a_k'x_i)², a_k = (X'X)⁻¹c_k).
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
import {
  addCrossProducts,
  addLeverages,
  choleskyInverse,
  cholesky,
  forwardSolveInPlace,
  groupCodes,
  inverseSqrtPsd,
  matVec,
  type CholeskyFactor,
} from "../linear-algebra.ts";

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
  warnings: string[];
}

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

  let constant = true;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(y[i])) throw new AnalysisError(`${outcome}: missing or non-finite value at row ${i}: ${y[i]}`);
    if (y[i] !== y[0]) constant = false;
  }
  if (constant && n > 0 && options.allowConstantOutcome !== true) throw new AnalysisError(`${outcome}: the outcome is constant (${y[0]}); standard errors are 0 and tests undefined`);
  const means = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const c = cols[j];
    if (c === null) continue;
    if (c.length !== n) throw new AnalysisError(`${outcome}: column ${names[j]} has ${c.length} values, the outcome ${n}`);
    let s = 0;
    for (let i = 0; i < n; i++) s += c[i];
    if (!Number.isFinite(s)) {
      for (let i = 0; i < n; i++) if (!Number.isFinite(c[i])) throw new AnalysisError(`${outcome}: column ${names[j]} has a missing or non-finite value at row ${i}: ${c[i]}`);
    }
    if (intercept) means[j] = s / n;
  }
  if (options.residualColumns && options.residualColumns.length !== columns.length) {
    throw new AnalysisError(`${outcome}: residual columns must match the regressors`);
  }

  // X'X and X'y of the centred design, row by row through one small buffer. Every column is a
  // Float64Array (the intercept a column of ones) so that the element reads stay monomorphic.
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p);
  const row = new Float64Array(p);
  // The intercept stays a null column (no array of ones is allocated); 0/1 treatment columns
  // may stay Uint8Array.
  const toF64 = (c: ArrayLike<number> | null): Column =>
    c === null ? null : c instanceof Float64Array || c instanceof Uint8Array || c instanceof Int32Array ? c : Float64Array.from(c);
  const X: Column[] = cols.map(toF64);
  const yF = y instanceof Float64Array ? y : Float64Array.from(y);
  accumulateCrossProducts(X, means, yF, xtx, xty);
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) xtx[a * p + b] = xtx[b * p + a];
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

  const R: Column[] = options.residualColumns
    ? (intercept ? [null, ...options.residualColumns] : options.residualColumns).map(toF64)
    : X;
  const beta = coefficients.map((b, j) => (aliased[j] ? 0 : b));
  const residual = (i: number): number => {
    let fit = 0;
    for (let j = 0; j < p; j++) {
      const c = R[j];
      fit += beta[j] * (c === null ? 1 : c[i]);
    }
    return yF[i] - fit;
  };

  const variances = new Float64Array(m);
  const df = new Float64Array(p).fill(NaN);
  if (clustered) {
    const { codes, levels } = groupCodes(options.clusters!);
    if (codes.length !== n) throw new AnalysisError(`${outcome}: ${codes.length} cluster labels for ${n} observations`);
    if (levels.length < 2) throw new AnalysisError(`${outcome}: ${seType} needs at least two clusters, found ${levels.length}`);
    const cr2 = cr2Variance(n, p, codes, levels.length, (i, out) => {
      for (let j = 0; j < p; j++) {
        const c = X[j];
        out[j] = c === null ? 1 : c[i] - means[j];
      }
    }, residual, chol, xtxInv, a, seType === "CR2");
    const G = levels.length;
    const scale = seType === "stata" ? ((n - 1) / (n - rank)) * (G / (G - 1)) : 1;
    for (let k = 0; k < m; k++) {
      variances[k] = cr2.variances[k] * scale;
      df[termIndex[k]] = seType === "CR2" ? cr2.df[k] : G - 1;
    }
  } else {
    const aFlat = new Float64Array(m * p);
    a.forEach((ak, k) => aFlat.set(ak, k * p));
    const betaRes = Float64Array.from(beta);
    const sse = heteroskedasticPass(X, R, means, yF, betaRes, chol, aFlat, m, seType, variances, outcome);
    if (seType === "classical") {
      const sigma2 = sse / (n - rank);
      for (let k = 0; k < m; k++) {
        let s = 0;
        for (let j = 0; j < p; j++) s += contrasts[k][j] * a[k][j];
        variances[k] = sigma2 * s;
      }
    } else if (seType === "HC1") {
      for (let k = 0; k < m; k++) variances[k] *= n / (n - rank);
    }
    for (const k of termIndex) df[k] = n - rank;
  }
  const std_errors = new Float64Array(p).fill(NaN);
  for (let k = 0; k < m; k++) std_errors[termIndex[k]] = Math.sqrt(variances[k]);
  return { names, coefficients, std_errors, df, aliased, n, rank, se_type: seType, warnings };
}

const CHUNK = 256;
/** A design column as the hot loops read it; null is the intercept. */
type Column = Float64Array | Uint8Array | Int32Array | null;

/**
 * X'X and X'y of the centred columns, a column-major chunk of CHUNK rows at a time through the
 * blocked cross-product kernel (y as the last column).
 */
function accumulateCrossProducts(X: Column[], means: Float64Array, y: Float64Array, xtx: Float64Array, xty: Float64Array): void {
  const p = X.length;
  const n = y.length;
  const q = p + 1;
  const buf = new Float64Array(CHUNK * q);
  const G = new Float64Array(q * q);
  for (let start = 0; start < n; start += CHUNK) {
    const m = Math.min(CHUNK, n - start);
    for (let j = 0; j < p; j++) {
      const c = X[j];
      const mu = means[j];
      const o = j * CHUNK;
      if (c === null) for (let r = 0; r < m; r++) buf[o + r] = 1;
      else for (let r = 0; r < m; r++) buf[o + r] = c[start + r] - mu;
    }
    const oy = p * CHUNK;
    for (let r = 0; r < m; r++) buf[oy + r] = y[start + r];
    addCrossProducts(buf, CHUNK, m, q, G);
  }
  for (let a = 0; a < p; a++) {
    xty[a] += G[a * q + p];
    for (let b = a; b < p; b++) xtx[a * p + b] += G[a * q + b];
  }
}

/**
 * One pass for HC0–HC3, CHUNK rows at a time through column-major buffers: residuals from R,
 * leverages h = |L⁻¹x̃|² (X'X = LL') when needed, and the variance Σ ω_i (a_k'x̃_i)² of each
 * requested contrast (a_k stored row-wise in aFlat). Each step is a loop over the rows of the
 * chunk with the coefficients in registers. Returns Σe².
 */
function heteroskedasticPass(
  X: Column[],
  R: Column[],
  means: Float64Array,
  y: Float64Array,
  beta: Float64Array,
  chol: CholeskyFactor,
  aFlat: Float64Array,
  m: number,
  seType: SeType,
  variances: Float64Array,
  outcome: string,
): number {
  const p = X.length;
  const n = y.length;
  const leverage = seType === "HC2" || seType === "HC3";
  const hc3 = seType === "HC3";
  const classical = seType === "classical";
  const buf = new Float64Array(CHUNK * p);
  const Z = new Float64Array(CHUNK * p);
  const res = new Float64Array(CHUNK);
  const w = new Float64Array(CHUNK);
  const h = new Float64Array(CHUNK);
  const u = new Float64Array(CHUNK);
  // Many contrasts: accumulate the p × p middle of the sandwich (p(p + 1)/2 products a row)
  // rather than each contrast's sum (m·p products a row).
  const useMeat = 2 * m > p + 1;
  const meat = new Float64Array(p * p);
  let sse = 0;
  for (let start = 0; start < n; start += CHUNK) {
    const cm = Math.min(CHUNK, n - start);
    for (let r = 0; r < cm; r++) res[r] = y[start + r];
    for (let j = 0; j < p; j++) {
      const c = X[j];
      const mu = means[j];
      const o = j * CHUNK;
      if (c === null) for (let r = 0; r < cm; r++) buf[o + r] = 1;
      else for (let r = 0; r < cm; r++) buf[o + r] = c[start + r] - mu;
      const rc = R[j];
      const bj = beta[j];
      if (bj === 0) continue;
      if (rc === null) for (let r = 0; r < cm; r++) res[r] -= bj;
      else for (let r = 0; r < cm; r++) res[r] -= bj * rc[start + r];
    }
    if (classical) {
      for (let r = 0; r < cm; r++) sse += res[r] * res[r];
      continue;
    }
    if (leverage) {
      h.fill(0);
      addLeverages(chol, buf, Z, CHUNK, cm, h);
    }
    // ω_i (its square root for the sandwich's middle) in one sweep.
    for (let r = 0; r < cm; r++) {
      const e2 = res[r] * res[r];
      sse += e2;
      let v = e2;
      if (leverage) {
        const g = 1 - h[r];
        if (!(g > 1e-10)) throw new AnalysisError(`${outcome}: observation ${start + r} has leverage 1; ${seType} standard errors are undefined`);
        v = hc3 ? e2 / (g * g) : e2 / g;
      }
      w[r] = useMeat ? Math.sqrt(v) : v;
    }
    if (useMeat) {
      // Rows scaled by √ω_i, then Σ ω_i x̃_i x̃_i' with the blocked cross-product kernel.
      for (let j = 0; j < p; j++) {
        const o = j * CHUNK;
        for (let r = 0; r < cm; r++) buf[o + r] *= w[r];
      }
      addCrossProducts(buf, CHUNK, cm, p, meat);
      continue;
    }
    for (let k = 0; k < m; k++) {
      const ko = k * p;
      u.fill(0);
      for (let j = 0; j < p; j++) {
        const akj = aFlat[ko + j];
        if (akj === 0) continue;
        const o = j * CHUNK;
        for (let r = 0; r < cm; r++) u[r] += akj * buf[o + r];
      }
      let v = 0;
      for (let r = 0; r < cm; r++) v += w[r] * u[r] * u[r];
      variances[k] += v;
    }
  }
  if (useMeat && !classical) {
    // a_k' (Σ ω_i x̃_i x̃_i') a_k over the upper triangle.
    for (let k = 0; k < m; k++) {
      const ko = k * p;
      let v = 0;
      for (let i = 0; i < p; i++) {
        const ai = aFlat[ko + i];
        v += ai * ai * meat[i * p + i];
        for (let j = i + 1; j < p; j++) v += 2 * ai * aFlat[ko + j] * meat[i * p + j];
      }
      variances[k] = v;
    }
  }
  return sse;
}

function identity(n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  return out;
}

/** CR2 (or, without the adjustment, CR0) variances and Bell–McCaffrey df of the contrasts whose (X'X)⁻¹c are given in `a`. */
function cr2Variance(
  n: number,
  p: number,
  codes: Int32Array,
  nClusters: number,
  readRow: (i: number, out: Float64Array) => void,
  residual: (i: number) => number,
  chol: CholeskyFactor,
  xtxInv: Float64Array,
  a: Float64Array[],
  adjust: boolean,
): { variances: Float64Array; df: Float64Array } {
  const m = a.length;
  // Rows grouped by cluster (counting sort).
  const start = new Int32Array(nClusters + 1);
  for (let i = 0; i < n; i++) start[codes[i] + 1]++;
  for (let s = 0; s < nClusters; s++) start[s + 1] += start[s];
  const order = new Int32Array(n);
  const fill = start.slice(0, nClusters);
  for (let i = 0; i < n; i++) order[fill[codes[i]]++] = i;

  const variances = new Float64Array(m);
  // For the df: per term, v_s'v_s and w_s = X_s'v_s with v_s = A_s X_s a_k.
  const vv = a.map(() => new Float64Array(nClusters));
  const W = a.map(() => new Float64Array(nClusters * p));
  const row = new Float64Array(p);
  for (let s = 0; s < nClusters; s++) {
    const ns = start[s + 1] - start[s];
    const Xs = new Float64Array(ns * p);
    const Zs = new Float64Array(ns * p);
    const es = new Float64Array(ns);
    for (let r = 0; r < ns; r++) {
      const i = order[start[s] + r];
      readRow(i, row);
      Xs.set(row, r * p);
      forwardSolveInPlace(chol, row);
      Zs.set(row, r * p);
      es[r] = residual(i);
    }
    // I − H_ss with H_ss = Z_s Z_s'.
    const IminusH = new Float64Array(ns * ns);
    for (let r = 0; r < ns; r++) {
      for (let q = r; q < ns; q++) {
        let h = 0;
        for (let j = 0; j < p; j++) h += Zs[r * p + j] * Zs[q * p + j];
        const v = (r === q ? 1 : 0) - h;
        IminusH[r * ns + q] = v;
        IminusH[q * ns + r] = v;
      }
    }
    const As = adjust ? inverseSqrtPsd(IminusH, ns) : identity(ns);
    const Ae = new Float64Array(ns);
    for (let r = 0; r < ns; r++) {
      let t = 0;
      for (let q = 0; q < ns; q++) t += As[r * ns + q] * es[q];
      Ae[r] = t;
    }
    for (let k = 0; k < m; k++) {
      const ak = a[k];
      // a_k' X_s' A_s e_s
      let u = 0;
      const xa = new Float64Array(ns);
      for (let r = 0; r < ns; r++) {
        let t = 0;
        for (let j = 0; j < p; j++) t += Xs[r * p + j] * ak[j];
        xa[r] = t;
        u += t * Ae[r];
      }
      variances[k] += u * u;
      // v_s = A_s X_s a_k, w_s = X_s' v_s
      let vsum = 0;
      const w = W[k];
      for (let r = 0; r < ns; r++) {
        let t = 0;
        for (let q = 0; q < ns; q++) t += As[r * ns + q] * xa[q];
        vsum += t * t;
        for (let j = 0; j < p; j++) w[s * p + j] += Xs[r * p + j] * t;
      }
      vv[k][s] = vsum;
    }
  }
  const df = new Float64Array(m);
  const q = new Float64Array(nClusters * p);
  for (let k = 0; k < m; k++) {
    // q_s = L⁻¹ w_s so that w_s'(X'X)⁻¹w_t = q_s'q_t.
    const w = W[k];
    const tmp = new Float64Array(p);
    for (let s = 0; s < nClusters; s++) {
      for (let j = 0; j < p; j++) tmp[j] = w[s * p + j];
      forwardSolveInPlace(chol, tmp);
      q.set(tmp, s * p);
    }
    let trace = 0, trace2 = 0;
    for (let s = 0; s < nClusters; s++) {
      for (let t = s; t < nClusters; t++) {
        let g = 0;
        for (let j = 0; j < p; j++) g += q[s * p + j] * q[t * p + j];
        g = (s === t ? vv[k][s] : 0) - g;
        if (s === t) { trace += g; trace2 += g * g; } else trace2 += 2 * g * g;
      }
    }
    df[k] = (trace * trace) / trace2;
  }
  void xtxInv;
  return { variances, df };
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
