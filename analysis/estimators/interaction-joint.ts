/**
 * Does the treatment effect differ across the L levels of a subgroup variable? The joint test of
 * all L − 1 interaction terms of `lm_robust(y ~ z * g, se_type = "HC2")`:
 *
 *     X = (1, z, d_2..d_L, z·d_2..z·d_L),   d_l = 1{g = level l} (levels sorted, the first the base)
 *     β̂ = (X'X)⁻¹X'y,   e = y − Xβ̂,   h_ii = x_i'(X'X)⁻¹x_i
 *     V = (X'X)⁻¹ [Σ x_i x_i' e_i² / (1 − h_ii)] (X'X)⁻¹           (HC2)
 *     W = b_I' V_I⁻¹ b_I over the q = L − 1 interaction coefficients,   F = W / q
 *     p = P(F_{q, N − 2L} > F)
 *
 * as R's `car::linearHypothesis(fit, <the z:g terms> = 0, test = "F")` on that `lm_robust` fit, or
 * by hand `pf(t(b) %*% solve(V) %*% b / q, q, fit$df.residual, lower.tail = FALSE)` (the script in
 * tests/reference/interaction-joint/). With two levels (q = 1) F = t² and p is the t-test's.
 *
 * References:
 * - Wooldridge, J. M. (2010). Econometric Analysis of Cross Section and Panel Data, 2nd ed.,
 *   §4.2.3 (robust Wald tests). MIT Press.
 * - MacKinnon, J. G., & White, H. (1985). Some heteroskedasticity-consistent covariance matrix
 *   estimators with improved finite sample properties. Journal of Econometrics 29(3), 305–325.
 *   doi:10.1016/0304-4076(85)90158-7 (HC2)
 *
 * @throws AnalysisError for unequal lengths, NaN cells, fewer than two levels, a level without
 *   both arms, or collinear columns.
 */
import { pfUpper } from "../distributions.ts";
import { AnalysisError } from "../estimate.ts";
import { cholesky, choleskyInverse } from "../linear-algebra.ts";

export interface JointInteractionTest {
  variable: string;
  levels: string[];
  /** Numerator and denominator degrees of freedom. */
  df1: number;
  df2: number;
  F: number;
  p_value: number;
}

export function jointInteractionTest(y: ArrayLike<number>, z: ArrayLike<number>, g: readonly string[], options: { variable?: string; outcome?: string } = {}): JointInteractionTest {
  const variable = options.variable ?? "g";
  const outcome = options.outcome ?? "outcome";
  const n = y.length;
  if (z.length !== n || g.length !== n) throw new AnalysisError(`${outcome}: subgroup ${variable}: ${n} outcomes, ${z.length} assignments, ${g.length} levels`);
  const levels = [...new Set(g)].sort();
  if (levels.length < 2) throw new AnalysisError(`${outcome}: subgroup ${variable} has a single level (${levels[0]})`);
  const L = levels.length;
  const code = new Int32Array(n);
  const index = new Map(levels.map((l, k) => [l, k]));
  const seen = new Uint8Array(2 * L);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(y[i]) || (z[i] !== 0 && z[i] !== 1)) throw new AnalysisError(`${outcome}: subgroup ${variable}: row ${i} has outcome ${y[i]} and assignment ${z[i]}`);
    code[i] = index.get(g[i])!;
    seen[2 * code[i] + z[i]] = 1;
  }
  levels.forEach((l, k) => {
    if (!seen[2 * k] || !seen[2 * k + 1]) throw new AnalysisError(`${outcome}: subgroup ${variable} = ${l} lacks one of the arms`);
  });
  const p = 2 * L;
  // Row i of X, written into `x`: 1, z, d_2..d_L, z·d_2..z·d_L.
  const x = new Float64Array(p);
  const row = (i: number) => {
    x.fill(0);
    x[0] = 1;
    x[1] = z[i];
    if (code[i] > 0) {
      x[1 + code[i]] = 1;
      x[L + code[i]] = z[i];
    }
  };
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    row(i);
    for (let a = 0; a < p; a++) {
      if (x[a] === 0) continue;
      xty[a] += x[a] * y[i];
      for (let b = 0; b < p; b++) xtx[a * p + b] += x[a] * x[b];
    }
  }
  const factor = cholesky(xtx, p);
  if (factor.rank < p) throw new AnalysisError(`${outcome}: subgroup ${variable}: the interaction model's columns are collinear`);
  const A = choleskyInverse(factor);
  const beta = new Float64Array(p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) beta[a] += A[a * p + b] * xty[b];
  const meat = new Float64Array(p * p);
  const ax = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    row(i);
    let fit = 0;
    for (let a = 0; a < p; a++) fit += x[a] * beta[a];
    const e = y[i] - fit;
    let h = 0;
    for (let a = 0; a < p; a++) {
      let s = 0;
      for (let b = 0; b < p; b++) s += A[a * p + b] * x[b];
      ax[a] = s;
      h += x[a] * s;
    }
    const w = (e * e) / (1 - h);
    for (let a = 0; a < p; a++) if (x[a] !== 0) for (let b = 0; b < p; b++) meat[a * p + b] += w * x[a] * x[b];
  }
  // V = A · meat · A, only the interaction block (indices L+1 .. 2L−1).
  const q = L - 1;
  const idx = Array.from({ length: q }, (_, k) => L + 1 + k);
  const am = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    let s = 0;
    for (let c = 0; c < p; c++) s += A[a * p + c] * meat[c * p + b];
    am[a * p + b] = s;
  }
  const V = new Float64Array(q * q);
  idx.forEach((r, i) => idx.forEach((c, j) => {
    let s = 0;
    for (let k = 0; k < p; k++) s += am[r * p + k] * A[k * p + c];
    V[i * q + j] = s;
  }));
  const vf = cholesky(V, q, 0);
  if (vf.rank < q) throw new AnalysisError(`${outcome}: subgroup ${variable}: the interaction covariance is singular`);
  const Vinv = choleskyInverse(vf);
  let W = 0;
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) W += beta[idx[i]] * Vinv[i * q + j] * beta[idx[j]];
  const F = W / q;
  const df2 = n - p;
  return { variable, levels, df1: q, df2, F, p_value: pfUpper(F, q, df2) };
}
