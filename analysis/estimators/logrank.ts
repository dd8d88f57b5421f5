/**
 * The log-rank test for k arms, as R's `survival::survdiff(Surv(time, status) ~ arm)` with its
 * default rho = 0.
 *
 * At each distinct event time t with n at risk (n_g in arm g) and d events (d_g in arm g):
 *
 *     O_g = Σ_t d_g,      E_g = Σ_t d n_g / n
 *     V_gh = Σ_t d (n − d) / (n − 1) · (n_g / n) (δ_gh − n_h / n)      (terms with n = 1 are 0)
 *     χ² = (O − E)' V⁻ (O − E),  df = (number of arms with E_g > 0) − 1
 *
 * where, as survdiff, the arms with E_g = 0 are dropped and then the first remaining arm, so V⁻ is
 * the inverse of the remaining block. p = P(χ²_df > χ²).
 *
 * Each arm's event and censoring times are sorted once (typed arrays) and merged in one pass.
 *
 * References:
 * - Mantel, N. (1966). Evaluation of survival data and two new rank order statistics arising in
 *   its consideration. Cancer Chemotherapy Reports 50(3), 163–170.
 * - Peto, R., & Peto, J. (1972). Asymptotically efficient rank invariant test procedures. JRSS A
 *   135(2), 185–207. doi:10.2307/2344317
 * - Harrington, D. P., & Fleming, T. R. (1982). A class of rank test procedures for censored
 *   survival data. Biometrika 69(3), 553–566. doi:10.1093/biomet/69.3.553
 *
 * @throws AnalysisError for bad data (see `survivalArms`), fewer than two arms, or no events.
 * @example
 * logrank([1, 2, 3, 4], [1, 1, 1, 1], ["a", "b", "a", "b"]).chisq
 */
import { AnalysisError } from "../estimate.ts";
import { pchisqUpper } from "../distributions.ts";
import { cholesky, choleskySolve } from "../linear-algebra.ts";
import { type ArmLabel, type SurvivalOptions, survivalArms } from "./survival-data.ts";

export interface LogrankResult {
  levels: ArmLabel[];
  /** People per arm. */
  n: number[];
  observed: number[];
  expected: number[];
  /** The k × k variance matrix of O − E, row-major. */
  variance: Float64Array;
  chisq: number;
  df: number;
  p_value: number;
}

export function logrank(
  time: ArrayLike<number>,
  event: ArrayLike<number | boolean>,
  group: ArrayLike<ArmLabel>,
  options: SurvivalOptions = {},
): LogrankResult {
  const data = survivalArms(time, event, group, options);
  const what = options.outcome ? `outcome ${options.outcome}: ` : "";
  const k = data.levels.length;
  if (k < 2) throw new AnalysisError(`${what}the log-rank test needs at least two arms, got ${k}`);
  const E = data.eventTimes;
  const C = data.censorTimes;
  const pe = new Int32Array(k);
  const pc = new Int32Array(k);
  const nRisk = new Float64Array(k);
  const dg = new Float64Array(k);
  const observed = new Float64Array(k);
  const expected = new Float64Array(k);
  const V = new Float64Array(k * k);
  if (k === 2) twoArms(E, C, observed, expected, V);
  else {
    for (;;) {
      let t = Infinity;
      for (let g = 0; g < k; g++) if (pe[g] < E[g].length && E[g][pe[g]] < t) t = E[g][pe[g]];
      if (t === Infinity) break;
      let n = 0;
      let d = 0;
      for (let g = 0; g < k; g++) {
        const cg = C[g];
        let j = pc[g];
        while (j < cg.length && cg[j] < t) j++;
        pc[g] = j;
        const eg = E[g];
        let i = pe[g];
        const ng = eg.length - i + cg.length - j;
        let dd = 0;
        while (i < eg.length && eg[i] === t) {
          dd++;
          i++;
        }
        pe[g] = i;
        nRisk[g] = ng;
        dg[g] = dd;
        n += ng;
        d += dd;
      }
      const f = n > 1 ? (d * (n - d)) / (n - 1) : 0;
      for (let g = 0; g < k; g++) {
        observed[g] += dg[g];
        const pg = nRisk[g] / n;
        expected[g] += d * pg;
        if (f === 0 || pg === 0) continue;
        for (let h = 0; h < k; h++) {
          V[g * k + h] += f * pg * ((g === h ? 1 : 0) - nRisk[h] / n);
        }
      }
    }
  }
  const used: number[] = [];
  for (let g = 0; g < k; g++) if (expected[g] > 0) used.push(g);
  if (used.length === 0) throw new AnalysisError(`${what}no events: the log-rank test is undefined`);
  const df = used.length - 1;
  let chisq = 0;
  if (df > 0) {
    const keep = used.slice(1);
    const m = keep.length;
    const A = new Float64Array(m * m);
    const b = new Float64Array(m);
    for (let a = 0; a < m; a++) {
      b[a] = observed[keep[a]] - expected[keep[a]];
      for (let c = 0; c < m; c++) A[a * m + c] = V[keep[a] * k + keep[c]];
    }
    const x = choleskySolve(cholesky(A, m), b);
    for (let a = 0; a < m; a++) chisq += x[a] * b[a];
  } else {
    throw new AnalysisError(`${what}only one arm has people at risk at the event times: the log-rank test is undefined`);
  }
  return {
    levels: data.levels,
    n: data.levels.map((_, g) => E[g].length + C[g].length),
    observed: Array.from(observed),
    expected: Array.from(expected),
    variance: V,
    chisq,
    df,
    p_value: pchisqUpper(chisq, df),
  };
}

/**
 * The merge pass of `logrank` for two arms with the per-arm state in locals (the common case);
 * the same sums, term by term, as the k-arm loop.
 */
function twoArms(E: Float64Array[], C: Float64Array[], observed: Float64Array, expected: Float64Array, V: Float64Array): void {
  const e0 = E[0], e1 = E[1], c0 = C[0], c1 = C[1];
  const ne0 = e0.length, ne1 = e1.length, nc0 = c0.length, nc1 = c1.length;
  let i0 = 0, i1 = 0, j0 = 0, j1 = 0;
  let o0 = 0, o1 = 0, x0 = 0, x1 = 0, v00 = 0, v01 = 0, v10 = 0, v11 = 0;
  while (i0 < ne0 || i1 < ne1) {
    const t = i1 >= ne1 || (i0 < ne0 && e0[i0] <= e1[i1]) ? e0[i0] : e1[i1];
    while (j0 < nc0 && c0[j0] < t) j0++;
    while (j1 < nc1 && c1[j1] < t) j1++;
    const n0 = ne0 - i0 + nc0 - j0;
    const n1 = ne1 - i1 + nc1 - j1;
    let d0 = 0;
    while (i0 < ne0 && e0[i0] === t) {
      d0++;
      i0++;
    }
    let d1 = 0;
    while (i1 < ne1 && e1[i1] === t) {
      d1++;
      i1++;
    }
    const n = n0 + n1;
    const d = d0 + d1;
    const f = n > 1 ? (d * (n - d)) / (n - 1) : 0;
    const p0 = n0 / n;
    const p1 = n1 / n;
    o0 += d0;
    o1 += d1;
    x0 += d * p0;
    x1 += d * p1;
    if (f !== 0 && p0 !== 0) {
      v00 += f * p0 * (1 - n0 / n);
      v01 += f * p0 * (0 - n1 / n);
    }
    if (f !== 0 && p1 !== 0) {
      v10 += f * p1 * (0 - n0 / n);
      v11 += f * p1 * (1 - n1 / n);
    }
  }
  observed[0] = o0;
  observed[1] = o1;
  expected[0] = x0;
  expected[1] = x1;
  V[0] = v00;
  V[1] = v01;
  V[2] = v10;
  V[3] = v11;
}
