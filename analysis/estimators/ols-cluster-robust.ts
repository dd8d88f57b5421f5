/**
 * The cluster-robust middle of `olsFit`'s sandwich (CR2 with the Bell–McCaffrey adjustment, or CR0)
 * and the Bell–McCaffrey degrees of freedom, cluster by cluster without an N × N hat matrix. The
 * formulas and references are in ols.ts.
 */
import { type CholeskyFactor, forwardSolveInPlace, inverseSqrtPsd } from "../linear-algebra.ts";

function identity(n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  return out;
}

/**
 * CR2 (or, without the adjustment, CR0) covariance (m × m, row-major) and Bell–McCaffrey df of the
 * m contrasts whose (X'X)⁻¹c are given in `a`: Σ_s (a_k'X_s'A_s e_s)(a_l'X_s'A_s e_s).
 */
export function cr2Covariance(
  n: number,
  p: number,
  codes: Int32Array,
  nClusters: number,
  readRow: (i: number, out: Float64Array) => void,
  residual: (i: number) => number,
  chol: CholeskyFactor,
  a: Float64Array[],
  adjust: boolean,
): { covariance: Float64Array; df: Float64Array } {
  const m = a.length;
  const us = new Float64Array(m);
  // Rows grouped by cluster (counting sort).
  const start = new Int32Array(nClusters + 1);
  for (let i = 0; i < n; i++) start[codes[i] + 1]++;
  for (let s = 0; s < nClusters; s++) start[s + 1] += start[s];
  const order = new Int32Array(n);
  const fill = start.slice(0, nClusters);
  for (let i = 0; i < n; i++) order[fill[codes[i]]++] = i;

  const covariance = new Float64Array(m * m);
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
      us[k] = u;
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
    for (let k = 0; k < m; k++) for (let l = 0; l < m; l++) covariance[k * m + l] += us[k] * us[l];
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
  return { covariance, df };
}
