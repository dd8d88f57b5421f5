/**
 * The upper tail of the noncentral t distribution, P(T' > c) with T' = (Z + δ) / sqrt(V / df),
 * as ∫ φ(x − δ) F_χ²_df(df x² / c²) dx over x > 0 with the library's chi-square CDF and 20-point
 * Gauss–Legendre quadrature on panels over δ ± 9. What R's `power.t.test` needs (`pt(q, df, ncp,
 * lower = FALSE)`); used by power.ts.
 */
import { pchisqUpper, pnorm } from "./distributions.ts";
import { AnalysisError } from "./estimate.ts";

/** P(T' > c) for the noncentral t with df degrees of freedom and noncentrality delta (c > 0). */
export function noncentralTUpper(c: number, df: number, delta: number): number {
  if (df === Infinity) return 1 - pnorm(c - delta);
  if (!(c > 0)) throw new AnalysisError(`noncentral t: critical value must be positive: ${c}`);
  // ∫ φ(x − δ) P(χ²_df < df x² / c²) dx over x > 0; φ is below 1e-18 beyond |x − δ| = 9.
  const a = Math.max(0, delta - 9), b = delta + 9;
  // The chi-square factor rises from 0 to 1 over a width of about c·sqrt(2 / df) around x = c: panels narrow with df.
  const panels = Math.ceil((b - a) / Math.min(0.5, c / Math.sqrt(df)));
  const h = (b - a) / panels;
  let sum = 0;
  for (let k = 0; k < panels; k++) {
    const mid = a + (k + 0.5) * h;
    for (let j = 0; j < GL_NODES.length; j++) {
      const x = mid + (h / 2) * GL_NODES[j];
      const z = x - delta;
      sum += (h / 2) * GL_WEIGHTS[j] * Math.exp(-0.5 * z * z) * (1 - pchisqUpper((df * x * x) / (c * c), df));
    }
  }
  return sum / Math.sqrt(2 * Math.PI);
}

/** 20-point Gauss–Legendre nodes and weights on [−1, 1] (Newton's method on P_20). */
const [GL_NODES, GL_WEIGHTS] = (() => {
  const n = 20;
  const nodes = new Float64Array(n), weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1, p1 = x;
      for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k];
      dp = (n * (x * p1 - p0)) / (x * x - 1);
      const dx = p1 / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    nodes[i] = x;
    weights[i] = 2 / ((1 - x * x) * dp * dp);
  }
  return [nodes, weights];
})();
