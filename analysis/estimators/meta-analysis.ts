/**
 * Fixed- and random-effects meta-analysis of k estimates y_i with sampling variances v_i (e.g. the
 * effect at each site of a multi-site trial), as R's `metafor::rma(yi, vi, method = …, test = …)`
 * without moderators.
 *
 * Heterogeneity (always from the fixed-effect weights w_i = 1/v_i):
 *
 *     Q = Σ w_i (y_i − ȳ_w)²,  df = k − 1,  p = P(χ²_{k−1} > Q)
 *     typical within-study variance  ṽ = (k − 1) / (Σw − Σw²/Σw)
 *     random effects: I² = 100 τ² / (ṽ + τ²),  H² = τ²/ṽ + 1
 *     fixed effect:   I² = max(0, 100 (Q − (k − 1)) / Q),  H² = Q / (k − 1)
 *
 * Between-site variance τ²:
 * - "DL" (DerSimonian–Laird): τ² = max(0, (Q − (k − 1)) / (Σw − Σw²/Σw)).
 * - "REML": Fisher scoring exactly as metafor: start from the Hedges (HE) estimate
 *   max(0, (Σ(y − ȳ)² − (k−1)/k Σv) / (k − 1)); with W = diag(1/(v + τ²)) and
 *   P = W − W11'W / 1'W1, step τ² += (y'PPy − tr P) / tr(PP), halved while it would go below 0,
 *   until the change is ≤ 1e-5 (metafor's `threshold`, so τ² matches metafor's, not the exact
 *   optimum), at most 100 iterations; then metafor's check that the likelihood at τ² = 0 is not
 *   higher (else τ² = 0). SE(τ²) = √(2 / tr(PP)).
 * - "FE" (fixed/equal effects): τ² = 0.
 *
 * Pooled estimate with w*_i = 1/(v_i + τ²): μ = Σ w* y / Σ w*, SE = √(1/Σ w*), z test and normal
 * CI. With `test: "knha"` (Knapp–Hartung), SE is multiplied by √s², s² = Σ w*(y − μ)² / (k − 1)
 * (not truncated at 1, as metafor's "knha"; s² = 0 when that sum is ≤ machine epsilon), and the
 * test and CI use t with k − 1 df. Prediction interval μ ± crit √(SE² + τ²) as `predict.rma`.
 *
 * References:
 * - DerSimonian, R., & Laird, N. (1986). Meta-analysis in clinical trials. Controlled Clinical
 *   Trials 7(3), 177–188. doi:10.1016/0197-2456(86)90046-2
 * - Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators in the
 *   random-effects model. JEBS 30(3), 261–293. doi:10.3102/10769986030003261
 * - Knapp, G., & Hartung, J. (2003). Improved tests for a random effects meta-regression with a
 *   single covariate. Statistics in Medicine 22(17), 2693–2710. doi:10.1002/sim.1482
 * - Higgins, J. P. T., & Thompson, S. G. (2002). Quantifying heterogeneity in a meta-analysis.
 *   Statistics in Medicine 21(11), 1539–1558. doi:10.1002/sim.1186
 * - Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. Journal of
 *   Statistical Software 36(3). doi:10.18637/jss.v036.i03
 *
 * @throws AnalysisError for fewer than two estimates, NaN or infinite values, variances ≤ 0,
 *   unequal lengths, or Fisher scoring that does not converge.
 */
import { AnalysisError, type EffectEstimate, tBasedEstimate } from "../estimate.ts";
import { pchisqUpper, qt } from "../distributions.ts";

export type MetaMethod = "REML" | "DL" | "FE";

export interface MetaAnalysisOptions {
  method?: MetaMethod;
  test?: "z" | "knha";
  level?: number;
  /** Name of the pooled effect, e.g. "training vs control". */
  term?: string;
  /** Names of the estimates (sites), used in error messages. */
  labels?: readonly string[];
}

export interface MetaAnalysis {
  method: MetaMethod;
  test: "z" | "knha";
  k: number;
  /** Pooled effect (statistic z, or t with k − 1 df under Knapp–Hartung). */
  pooled: EffectEstimate;
  tau2: number;
  /** Standard error of τ² (REML, DL); null for the fixed-effect model. */
  se_tau2: number | null;
  I2: number;
  H2: number;
  Q: number;
  Q_df: number;
  Q_p_value: number;
  /** Knapp–Hartung scale factor s² (1 under the z test). */
  s2w: number;
  /** Prediction interval for the effect in a new site (equals the CI for the fixed-effect model). */
  prediction_lower: number;
  prediction_upper: number;
  /** Fisher-scoring iterations (REML), 0 otherwise. */
  iterations: number;
  /** Weights in percent, as `weights(fit)`. */
  weights: number[];
}

interface Weighted {
  sw: number;
  mu: number;
  /** Σ w² (y − μ)² = y'PPy, Σ w (y − μ)² = y'Py. */
  yPPy: number;
  yPy: number;
  trP: number;
  trPP: number;
}

function weighted(y: Float64Array, v: Float64Array, tau2: number): Weighted {
  const k = y.length;
  let sw = 0;
  let swy = 0;
  let sw2 = 0;
  let sw3 = 0;
  for (let i = 0; i < k; i++) {
    const w = 1 / (v[i] + tau2);
    sw += w;
    swy += w * y[i];
    sw2 += w * w;
    sw3 += w * w * w;
  }
  const mu = swy / sw;
  let yPPy = 0;
  let yPy = 0;
  for (let i = 0; i < k; i++) {
    const w = 1 / (v[i] + tau2);
    const r = y[i] - mu;
    yPPy += w * w * r * r;
    yPy += w * r * r;
  }
  return { sw, mu, yPPy, yPy, trP: sw - sw2 / sw, trPP: sw2 - (2 * sw3) / sw + (sw2 * sw2) / (sw * sw) };
}

/** REML log-likelihood (up to the constant shared by all τ²), as metafor's ll0check uses it. */
function remlLoglik(y: Float64Array, v: Float64Array, tau2: number): number {
  const w = weighted(y, v, tau2);
  let logdet = 0;
  for (let i = 0; i < y.length; i++) logdet += Math.log(v[i] + tau2);
  return -0.5 * logdet - 0.5 * Math.log(w.sw) - 0.5 * w.yPy;
}

/**
 * Meta-analysis of estimates `yi` with sampling variances `vi` (give `sei` as `vi = sei²`).
 */
export function metaAnalysis(yi: ArrayLike<number>, vi: ArrayLike<number>, options: MetaAnalysisOptions = {}): MetaAnalysis {
  const method = options.method ?? "REML";
  const test = options.test ?? "z";
  const level = options.level ?? 0.95;
  const k = yi.length;
  const name = (i: number) => (options.labels?.[i] !== undefined ? `estimate ${options.labels[i]}` : `estimate ${i + 1}`);
  if (vi.length !== k) throw new AnalysisError(`meta-analysis: ${k} estimates but ${vi.length} variances`);
  if (k < 2) throw new AnalysisError(`meta-analysis needs at least two estimates, got ${k}`);
  if (!["REML", "DL", "FE"].includes(method)) throw new AnalysisError(`meta-analysis: unknown method ${method}`);
  const y = new Float64Array(k);
  const v = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    if (!Number.isFinite(yi[i])) throw new AnalysisError(`meta-analysis: ${name(i)} is not a finite number (${yi[i]})`);
    if (!Number.isFinite(vi[i]) || !(vi[i] > 0)) throw new AnalysisError(`meta-analysis: ${name(i)} has sampling variance ${vi[i]}; must be finite and > 0`);
    y[i] = yi[i];
    v[i] = vi[i];
  }
  const fe = weighted(y, v, 0);
  const Q = Math.max(0, fe.yPy);
  const vt = (k - 1) / fe.trP;
  let tau2 = 0;
  let seTau2: number | null = null;
  let iterations = 0;
  if (method === "DL") {
    tau2 = Math.max(0, (Q - (k - 1)) / fe.trP);
    seTau2 = Math.sqrt((2 * (k - 1) + 4 * tau2 * fe.trP + 2 * tau2 * tau2 * fe.trPP) / (fe.trP * fe.trP));
  } else if (method === "REML") {
    let ybar = 0;
    let sv = 0;
    for (let i = 0; i < k; i++) {
      ybar += y[i];
      sv += v[i];
    }
    ybar /= k;
    let rss = 0;
    for (let i = 0; i < k; i++) rss += (y[i] - ybar) ** 2;
    tau2 = Math.max(0, (rss - (sv - sv / k)) / (k - 1));
    let change = Infinity;
    while (change > 1e-5) {
      iterations++;
      const old = tau2;
      const w = weighted(y, v, tau2);
      let adj = (w.yPPy - w.trP) / w.trPP;
      if (Number.isNaN(adj)) adj = 0;
      while (tau2 + adj < 0) adj /= 2;
      tau2 += adj;
      change = Math.abs(old - tau2);
      if (iterations > 100) throw new AnalysisError("meta-analysis: REML Fisher scoring did not converge in 100 iterations");
    }
    if (remlLoglik(y, v, 0) - remlLoglik(y, v, tau2) > Number.EPSILON ** 0.25 && tau2 > 1e-5) tau2 = 0;
    tau2 = Math.max(0, tau2);
    seTau2 = Math.sqrt(2 / weighted(y, v, tau2).trPP);
  }
  const re = weighted(y, v, tau2);
  let s2w = 1;
  if (test === "knha") s2w = re.yPy <= Number.EPSILON ? 0 : re.yPy / (k - 1);
  const se = Math.sqrt(s2w / re.sw);
  const df = test === "knha" ? k - 1 : Infinity;
  const warnings: string[] = [];
  if (s2w === 0) warnings.push("Knapp–Hartung: the estimates agree exactly; the standard error is 0");
  const pooled = tBasedEstimate({
    estimator: `meta_${method.toLowerCase()}`,
    term: options.term ?? "pooled",
    estimate: re.mu,
    std_error: se,
    df,
    n: k,
    se_type: test === "knha" ? "knapp_hartung" : "inverse_variance",
    level,
    warnings,
  });
  const crit = qt(1 - (1 - level) / 2, df);
  const sePred = Math.sqrt(se * se + tau2);
  const weights: number[] = [];
  for (let i = 0; i < k; i++) weights.push((100 / (v[i] + tau2)) / re.sw);
  return {
    method,
    test,
    k,
    pooled,
    tau2,
    se_tau2: seTau2,
    I2: method === "FE" ? (Q > 0 ? Math.max(0, (100 * (Q - (k - 1))) / Q) : 0) : (100 * tau2) / (vt + tau2),
    H2: method === "FE" ? Q / (k - 1) : tau2 / vt + 1,
    Q,
    Q_df: k - 1,
    Q_p_value: pchisqUpper(Q, k - 1),
    s2w,
    prediction_lower: re.mu - crit * sePred,
    prediction_upper: re.mu + crit * sePred,
    iterations,
    weights,
  };
}
