/**
 * The two passes over the rows behind `olsFit` (ols.ts) for a heteroskedasticity-robust or
 * classical fit: the centred cross-products X̃'X̃ and X̃'y, then residuals, leverages and the middle
 * of the sandwich. Both go CHUNK rows at a time through column-major buffers, so each step is a
 * loop over the rows of the chunk with its coefficients in registers, and nothing is allocated
 * per row. The formulas and references are in ols.ts.
 */
import { AnalysisError } from "../estimate.ts";
import { addCrossProducts, addLeverages } from "../cross-products.ts";
import type { CholeskyFactor } from "../linear-algebra.ts";

export const CHUNK = 256;
/** A design column as the hot loops read it; null is the intercept (no array of ones). */
export type Column = Float64Array | Uint8Array | Int32Array | null;

/** Rows from which each column's provisional centre (the shift) is taken. */
const SHIFT_ROWS = 1024;

export interface CentredCrossProducts {
  /** X̃'X̃ (row-major p × p, both triangles), X̃ the columns minus their means (the intercept stays 1). */
  xtx: Float64Array;
  /** X̃'y. */
  xty: Float64Array;
  /** Column means (0 for the intercept and for every column without an intercept). */
  means: Float64Array;
  /** Σ (x − shift)² per column and Σ y² : not finite when a value is NaN or infinite. */
  check: Float64Array;
}

/**
 * X̃'X̃ and X̃'y in one pass. With an intercept (X[0] === null) each column is first shifted by
 * the mean s of its first SHIFT_ROWS rows; the pass sums (x − s) along with the cross-products
 * (the intercept column's row), and the centring is finished exactly afterwards:
 *
 *     Σ (x_a − x̄_a)(x_b − x̄_b) = Σ (x_a − s_a)(x_b − s_b) − n δ_a δ_b,   δ = x̄ − s
 *     Σ (x_a − x̄_a) y = Σ (x_a − s_a) y − δ_a Σ y
 *
 * (the shifted-data algorithm: s is near x̄, so nothing large cancels). The intercept's row of
 * X̃'X̃ is (n, 0, …, 0) exactly.
 */
export function centredCrossProducts(X: Column[], y: Float64Array): CentredCrossProducts {
  const p = X.length;
  const n = y.length;
  const q = p + 1;
  const intercept = p > 0 && X[0] === null;
  const shift = new Float64Array(p);
  if (intercept) {
    const m = Math.min(n, SHIFT_ROWS);
    for (let j = 1; j < p; j++) {
      const c = X[j]!;
      let s = 0;
      for (let r = 0; r < m; r++) s += c[r];
      shift[j] = Number.isFinite(s) && m > 0 ? s / m : 0;
    }
  }
  const buf = new Float64Array(CHUNK * q);
  const G = new Float64Array(q * q);
  for (let j = 0; j < p; j++) if (X[j] === null) buf.fill(1, j * CHUNK, (j + 1) * CHUNK);
  for (let start = 0; start < n; start += CHUNK) {
    const m = Math.min(CHUNK, n - start);
    for (let j = 0; j < p; j++) {
      const c = X[j];
      if (c === null) continue;
      const s = shift[j];
      const o = j * CHUNK;
      for (let r = 0; r < m; r++) buf[o + r] = c[start + r] - s;
    }
    const oy = p * CHUNK;
    for (let r = 0; r < m; r++) buf[oy + r] = y[start + r];
    addCrossProducts(buf, CHUNK, m, q, G);
  }
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p);
  const means = new Float64Array(p);
  const check = new Float64Array(q);
  for (let a = 0; a < q; a++) check[a] = G[a * q + a];
  if (intercept) {
    const delta = new Float64Array(p);
    for (let j = 1; j < p; j++) {
      delta[j] = G[j] / n;
      means[j] = shift[j] + delta[j];
    }
    const sumY = G[p];
    xtx[0] = n;
    xty[0] = sumY;
    for (let a = 1; a < p; a++) {
      xty[a] = G[a * q + p] - delta[a] * sumY;
      for (let b = a; b < p; b++) xtx[a * p + b] = G[a * q + b] - n * delta[a] * delta[b];
    }
  } else {
    for (let a = 0; a < p; a++) {
      xty[a] = G[a * q + p];
      for (let b = a; b < p; b++) xtx[a * p + b] = G[a * q + b];
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) xtx[a * p + b] = xtx[b * p + a];
  return { xtx, xty, means, check };
}

/**
 * The factor of the non-intercept columns when the intercept's column of X̃'X̃ is (n, 0, …, 0)
 * (L's first column is then (√n, 0, …, 0)): the leverage is 1/n plus the norm of that block's
 * solve, which saves the intercept's sweep in every other column. Null when it does not apply.
 */
function withoutIntercept(chol: CholeskyFactor, intercept: boolean): CholeskyFactor | null {
  const { p, L, kept } = chol;
  if (!intercept || p < 2 || !kept[0]) return null;
  for (let j = 1; j < p; j++) if (L[j * p] !== 0) return null;
  const sub = new Float64Array((p - 1) * (p - 1));
  for (let i = 1; i < p; i++) for (let j = 1; j <= i; j++) sub[(i - 1) * (p - 1) + j - 1] = L[i * p + j];
  return { p: p - 1, L: sub, kept: kept.subarray(1), rank: chol.rank - 1 };
}

export interface SandwichInput {
  X: Column[];
  /** Columns the residuals are computed from (X itself unless two-stage least squares). */
  R: Column[];
  means: Float64Array;
  y: Float64Array;
  /** Coefficients for the residuals (aliased ones 0). */
  beta: Float64Array;
  chol: CholeskyFactor;
  /** a_k = (X̃'X̃)⁻¹c_k of the m requested contrasts, stored row-wise (m × p). */
  aFlat: Float64Array;
  m: number;
  seType: "classical" | "HC0" | "HC1" | "HC2" | "HC3";
  /** The covariances between the contrasts too, not only their variances. */
  full: boolean;
  outcome: string;
}

/**
 * One pass for HC0–HC3 (and Σe² for the classical variance): residuals, leverages h = |L⁻¹x̃|²
 * (X̃'X̃ = LL') when needed, and Σ ω_i (a_k'x̃_i)(a_l'x̃_i) for the requested contrasts, into
 * `covariance` (m × m; only the diagonal unless `full`). Returns Σe².
 */
export function sandwichPass(input: SandwichInput, covariance: Float64Array): number {
  const { X, R, means, y, beta, chol, aFlat, m, seType, full, outcome } = input;
  const p = X.length;
  const n = y.length;
  const leverage = seType === "HC2" || seType === "HC3";
  const hc3 = seType === "HC3";
  const classical = seType === "classical";
  const ownResiduals = R === X;
  const buf = new Float64Array(CHUNK * p);
  const Z = new Float64Array(CHUNK * p);
  const res = new Float64Array(CHUNK);
  const w = new Float64Array(CHUNK);
  const h = new Float64Array(CHUNK);
  const u = new Float64Array(CHUNK);
  for (let j = 0; j < p; j++) if (X[j] === null) buf.fill(1, j * CHUNK, (j + 1) * CHUNK);
  const sub = leverage ? withoutIntercept(chol, X[0] === null) : null;
  const subBuf = sub ? buf.subarray(CHUNK) : buf;
  const subZ = sub ? Z.subarray(CHUNK) : Z;
  const h0 = sub ? 1 / (chol.L[0] * chol.L[0]) : 0;
  // Many contrasts (or their covariances): accumulate the p × p middle of the sandwich
  // (p(p + 1)/2 products a row) rather than each contrast's sum (m·p products a row).
  const useMeat = full || 2 * m > p + 1;
  const meat = new Float64Array(p * p);
  let sse = 0;
  for (let start = 0; start < n; start += CHUNK) {
    const cm = Math.min(CHUNK, n - start);
    for (let r = 0; r < cm; r++) res[r] = y[start + r];
    for (let j = 0; j < p; j++) {
      const c = X[j];
      const bj = beta[j];
      const o = j * CHUNK;
      if (c !== null && ownResiduals) {
        // The centred value for the buffer and the residual from the same read.
        const mu = means[j];
        for (let r = 0; r < cm; r++) {
          const v = c[start + r];
          buf[o + r] = v - mu;
          res[r] -= bj * v;
        }
        continue;
      }
      if (c !== null) {
        const mu = means[j];
        for (let r = 0; r < cm; r++) buf[o + r] = c[start + r] - mu;
      }
      if (bj === 0) continue;
      const rc = R[j];
      if (rc === null) for (let r = 0; r < cm; r++) res[r] -= bj;
      else for (let r = 0; r < cm; r++) res[r] -= bj * rc[start + r];
    }
    if (classical) {
      for (let r = 0; r < cm; r++) sse += res[r] * res[r];
      continue;
    }
    if (leverage) {
      h.fill(h0);
      addLeverages(sub ?? chol, subBuf, subZ, CHUNK, cm, h);
    }
    // ω_i in one sweep.
    for (let r = 0; r < cm; r++) {
      const e2 = res[r] * res[r];
      sse += e2;
      let v = e2;
      if (leverage) {
        const g = 1 - h[r];
        if (!(g > 1e-10)) throw new AnalysisError(`${outcome}: observation ${start + r} has leverage 1; ${seType} standard errors are undefined`);
        v = hc3 ? e2 / (g * g) : e2 / g;
      }
      w[r] = v;
    }
    if (useMeat) {
      // Σ ω_i x̃_i x̃_i' with the blocked, weighted cross-product kernel.
      addCrossProducts(buf, CHUNK, cm, p, meat, w);
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
      covariance[k * m + k] += v;
    }
  }
  if (useMeat && !classical) {
    for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) meat[a * p + b] = meat[b * p + a];
    // a_k' (Σ ω_i x̃_i x̃_i') a_l
    const ma = new Float64Array(p);
    for (let l = 0; l < m; l++) {
      const lo = l * p;
      for (let i = 0; i < p; i++) {
        let s = 0;
        for (let j = 0; j < p; j++) s += meat[i * p + j] * aFlat[lo + j];
        ma[i] = s;
      }
      for (let k = full ? 0 : l; k <= (full ? m - 1 : l); k++) {
        let v = 0;
        for (let i = 0; i < p; i++) v += aFlat[k * p + i] * ma[i];
        covariance[k * m + l] = v;
      }
    }
  }
  return sse;
}
