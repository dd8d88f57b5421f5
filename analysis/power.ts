/**
 * Power: the minimum detectable effect (MDE), the power at a given effect and the sample size
 * that reaches a target power, analytically; and power by simulation through any allocator.
 *
 * Design. Arms are given by allocation ratios, control first (default [1, 1]); every other arm is
 * compared with control. With shares s_k = r_k / Σr and N individuals, arm k has n_k = s_k N.
 * For a contrast of arm k with control the standard error of the difference in means is
 *
 *     SE = σ sqrt(f (1/n_k + 1/n_0)),
 *
 * where f is the variance factor of the design:
 * - individual randomization: f = 1 − R² (R² = outcome variance explained by baseline covariates);
 * - cluster randomization with clusters of m individuals and intraclass correlation ρ
 *   (Bloom 2005, eq. for the MDE of a cluster-randomized design, written per individual):
 *   f = ρ (1 − R²_2) m + (1 − ρ)(1 − R²_1), i.e. SE² = σ² [ρ(1 − R²_2)/J_k + (1 − ρ)(1 − R²_1)/(J_k m)]
 *   summed over the two arms, with J_k clusters in arm k (n_k = J_k m). Without covariates
 *   f = 1 + (m − 1)ρ, the familiar design effect.
 *
 * Degrees of freedom: individual N − A − K (A arms, K individual covariates; two arms and no
 * covariates give power.t.test's 2n − 2); cluster J − A − g* (J clusters in all, g* cluster-level
 * covariates; Bloom's J − 2 for two arms).
 *
 * Several arms: each arm-vs-control contrast is tested at α' = α / (A − 1) under the default
 * `multiplicity: "bonferroni"`, which keeps the family-wise error over the A − 1 contrasts at or
 * below α (conservative: Dunnett's test is sharper when the contrasts share the control). With
 * `"none"` every contrast is tested at α, appropriate when each contrast is its own pre-specified
 * primary hypothesis. The reported MDE is the largest over the contrasts (the least powered one);
 * the sample size is the smallest N at which every contrast reaches the target power.
 *
 * Continuous outcomes (σ = the outcome SD):
 * - `method: "bloom"` (default): MDE = M · SE with the multiplier M = t_{1−α'/2, df} + t_{power, df}
 *   (one-sided: t_{1−α', df}); power = 1 − T_df(t_crit − δ/SE) (Bloom 1995, 2005; the convention of
 *   PowerUp! and Optimal Design).
 * - `method: "noncentral_t"`: power = P(T'_{df, δ/SE} > t_crit) with T' the noncentral t, exactly
 *   what R's `power.t.test` computes (two-sided with `strict = FALSE`: the far tail is ignored);
 *   MDE and sample size solve that equation. For two equal arms it reproduces `power.t.test`.
 *   The noncentral t probability is computed as ∫ φ(x − δ) F_χ²_df(df x² / t_crit²) dx over x > 0
 *   (the definition T' = (Z + δ) / sqrt(V / df)), with the library's chi-square CDF and 20-point
 *   Gauss–Legendre quadrature on panels over δ ± 9 (no wider than t_crit / sqrt(df)): noncentral-t.ts.
 *
 * Binary outcomes (control rate p_c, effect δ = p_t − p_c as a risk difference): the normal
 * approximation of R's `power.prop.test` (Fleiss, without continuity correction), extended to
 * unequal arms and the design factor f:
 *
 *     power = P( Z > (z_crit sqrt(f p̄(1 − p̄)(1/n_k + 1/n_0)) − |δ|) / sqrt(f (p_t(1 − p_t)/n_k + p_c(1 − p_c)/n_0)) ),
 *
 * p̄ = (n_k p_t + n_0 p_c) / (n_k + n_0). For two equal arms with f = 1 this is `power.prop.test`.
 * Under cluster randomization the reference distribution is t with J − A − g* df instead of the
 * normal. The MDE is the smallest increase (or, with `direction: "decrease"`, decrease) of the
 * control rate that reaches the target power.
 *
 * References:
 * - Bloom, H. S. (1995). Minimum detectable effects: a simple way to report the statistical power
 *   of experimental designs. Evaluation Review 19(5), 547–556. doi:10.1177/0193841X9501900504
 * - Bloom, H. S. (2005). Randomizing groups to evaluate place-based programs. In H. S. Bloom (ed.),
 *   Learning More from Social Experiments, 115–172. Russell Sage Foundation.
 * - Bloom, H. S., Richburg-Hayes, L., & Black, A. R. (2007). Using covariates to improve precision
 *   for studies that randomize schools. Educational Evaluation and Policy Analysis 29(1), 30–59.
 *   doi:10.3102/0162373707299550
 * - Fleiss, J. L., Levin, B., & Paik, M. C. (2003). Statistical Methods for Rates and Proportions,
 *   3rd ed., ch. 4. Wiley. doi:10.1002/0471445428
 * - R: `stats::power.t.test`, `stats::power.prop.test`.
 *
 * @example
 * minimumDetectableEffect({ outcome: { type: "continuous", sd: 1 } }, 128, { method: "noncentral_t" }).mde
 * // 0.4990697882… (R: power.t.test(n = 64, power = 0.8, tol = 1e-12)$delta)
 */
import { pt, qt } from "./distributions.ts";
import { AnalysisError } from "./estimate.ts";
import { noncentralTUpper } from "./noncentral-t.ts";

export type PowerOutcome =
  | { type: "continuous"; sd: number }
  | { type: "binary"; control_rate: number; direction?: "increase" | "decrease" };

export interface ClusterDesign {
  /** Intraclass correlation ρ. */
  icc: number;
  /** Individuals per cluster, m. */
  size: number;
  /** Share of the between-cluster variance explained by cluster-level covariates (R²_2). */
  r2_cluster?: number;
  /** Number of cluster-level covariates g* (degrees of freedom). */
  covariates_cluster?: number;
}

export interface PowerDesign {
  outcome: PowerOutcome;
  /** Allocation ratios, control first; default [1, 1]. */
  allocation?: readonly number[];
  alpha?: number;
  /** Target power, default 0.8. */
  power?: number;
  sides?: 1 | 2;
  multiplicity?: "bonferroni" | "none";
  /** Individual-level R² (R²_1 under cluster randomization). */
  r2?: number;
  /** Number of individual-level covariates K (degrees of freedom, individual randomization). */
  covariates?: number;
  cluster?: ClusterDesign;
}

export interface PowerOptions {
  method?: "bloom" | "noncentral_t";
}

export interface ContrastPower {
  /** Index of the arm compared with control (index 0). */
  arm: number;
  /** Individuals in the arm and in control (for cluster designs: clusters × size). */
  n_arm: number;
  n_control: number;
  /** Continuous: SE of the difference in outcome units; binary: SE under the alternative. */
  std_error: number;
  df: number;
  /** Minimum detectable effect (outcome units; binary: risk difference); null when no effect reaches the power. */
  mde: number | null;
  /** Power at the requested effect (powerAt) or at the MDE (= the target). */
  power: number;
}

export interface PowerResult {
  contrasts: ContrastPower[];
  /** The largest MDE and the smallest power over the contrasts (MDE null: some contrast has none). */
  mde: number | null;
  power: number;
  /** Significance level each contrast is tested at. */
  alpha_per_contrast: number;
  /** Bloom's multiplier M (continuous, method "bloom"); null otherwise. */
  multiplier: number | null;
  /** Total sample: individuals, or clusters for a cluster design. */
  n: number;
  method: "bloom" | "noncentral_t" | "normal_approximation";
}

/** The MDE result: every contrast has one (otherwise minimumDetectableEffect throws). */
export interface MdeResult extends PowerResult {
  contrasts: (ContrastPower & { mde: number })[];
  mde: number;
}

interface Resolved {
  shares: number[];
  arms: number;
  alpha: number;
  alphaPerContrast: number;
  target: number;
  sides: 1 | 2;
  factor: number;
  /** Individuals per unit of n (1, or the cluster size). */
  perUnit: number;
  dfLoss: number;
  outcome: PowerOutcome;
}

function inUnit(name: string, v: number, lo: number, hi: number, openLo = false) {
  if (!(Number.isFinite(v) && (openLo ? v > lo : v >= lo) && v < hi)) throw new AnalysisError(`invalid ${name}; not in ${openLo ? "(" : "["}${lo}, ${hi}): ${v}`);
}

function resolve(design: PowerDesign): Resolved {
  const allocation = design.allocation ?? [1, 1];
  if (allocation.length < 2) throw new AnalysisError(`invalid allocation; need a control and at least one arm: [${allocation.join(", ")}]`);
  allocation.forEach((r, k) => { if (!(r > 0 && Number.isFinite(r))) throw new AnalysisError(`invalid allocation ratio for arm ${k}; not positive: ${r}`); });
  const total = allocation.reduce((a, b) => a + b, 0);
  const alpha = design.alpha ?? 0.05;
  inUnit("alpha", alpha, 0, 1, true);
  const target = design.power ?? 0.8;
  inUnit("power", target, 0, 1, true);
  const r2 = design.r2 ?? 0;
  inUnit("r2", r2, 0, 1);
  const arms = allocation.length;
  const multiplicity = design.multiplicity ?? "bonferroni";
  const alphaPerContrast = multiplicity === "bonferroni" ? alpha / (arms - 1) : alpha;
  let factor = 1 - r2, perUnit = 1, dfLoss = arms + (design.covariates ?? 0);
  if (design.cluster) {
    const { icc, size } = design.cluster;
    const r2c = design.cluster.r2_cluster ?? 0;
    inUnit("icc", icc, 0, 1);
    inUnit("r2_cluster", r2c, 0, 1);
    if (!(Number.isFinite(size) && size >= 1)) throw new AnalysisError(`invalid cluster size; not ≥ 1: ${size}`);
    factor = icc * (1 - r2c) * size + (1 - icc) * (1 - r2);
    perUnit = size;
    dfLoss = arms + (design.cluster.covariates_cluster ?? 0);
  }
  const o = design.outcome;
  if (o.type === "continuous") {
    if (!(o.sd > 0 && Number.isFinite(o.sd))) throw new AnalysisError(`invalid outcome sd; not positive: ${o.sd}`);
  } else {
    inUnit("control_rate", o.control_rate, 0, 1, true);
  }
  return { shares: allocation.map((r) => r / total), arms, alpha, alphaPerContrast, target, sides: design.sides ?? 2, factor, perUnit, dfLoss, outcome: o };
}

/** Monotone root of f on [lo, hi] by bisection (f(lo) < 0 < f(hi)). */
function bisect(f: (x: number) => number, lo: number, hi: number): number {
  for (let i = 0; i < 300 && hi - lo > 1e-12 * Math.max(1, Math.abs(hi)); i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) < 0) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

interface ContrastCore { nArm: number; nControl: number; df: number; crit: number }

function contrasts(r: Resolved, n: number): ContrastCore[] {
  const df = r.outcome.type === "binary" && r.perUnit === 1 ? Infinity : n - r.dfLoss;
  if (!(df > 0)) throw new AnalysisError(`sample too small: ${n} ${r.perUnit > 1 ? "clusters" : "participants"} leave ${df} degrees of freedom for ${r.arms} arms`);
  const q = r.sides === 2 ? 1 - r.alphaPerContrast / 2 : 1 - r.alphaPerContrast;
  const crit = qt(q, df);
  const out: ContrastCore[] = [];
  for (let k = 1; k < r.arms; k++) out.push({ nArm: r.shares[k] * n * r.perUnit, nControl: r.shares[0] * n * r.perUnit, df, crit });
  return out;
}

function continuousSE(r: Resolved, c: ContrastCore): number {
  const sd = (r.outcome as { sd: number }).sd;
  return sd * Math.sqrt(r.factor * (1 / c.nArm + 1 / c.nControl));
}

function binaryRates(r: Resolved, effect: number): [number, number] {
  const o = r.outcome as { control_rate: number; direction?: "increase" | "decrease" };
  const pt1 = o.direction === "decrease" ? o.control_rate - effect : o.control_rate + effect;
  return [pt1, o.control_rate];
}

function contrastPower(r: Resolved, c: ContrastCore, effect: number, method: "bloom" | "noncentral_t"): { power: number; se: number } {
  if (r.outcome.type === "continuous") {
    const se = continuousSE(r, c);
    const ncp = Math.abs(effect) / se;
    const power = method === "noncentral_t" ? noncentralTUpper(c.crit, c.df, ncp) : 1 - pt(c.crit - ncp, c.df);
    return { power, se };
  }
  const [p1, p0] = binaryRates(r, effect);
  if (!(p1 > 0 && p1 < 1)) throw new AnalysisError(`binary outcome: control rate ${p0} with effect ${effect} gives a rate outside (0, 1): ${p1}`);
  const pbar = (c.nArm * p1 + c.nControl * p0) / (c.nArm + c.nControl);
  const se0 = Math.sqrt(r.factor * pbar * (1 - pbar) * (1 / c.nArm + 1 / c.nControl));
  const se1 = Math.sqrt(r.factor * (p1 * (1 - p1) / c.nArm + p0 * (1 - p0) / c.nControl));
  return { power: pt((Math.abs(effect) - c.crit * se0) / se1, c.df), se: se1 };
}

function contrastMde(r: Resolved, c: ContrastCore, method: "bloom" | "noncentral_t"): { mde: number; multiplier: number | null } {
  if (r.outcome.type === "continuous") {
    const se = continuousSE(r, c);
    const multiplier = c.crit + qt(r.target, c.df);
    if (method === "bloom") return { mde: multiplier * se, multiplier };
    let hi = multiplier * se * 2;
    while (noncentralTUpper(c.crit, c.df, hi / se) < r.target) hi *= 2;
    return { mde: bisect((d) => noncentralTUpper(c.crit, c.df, d / se) - r.target, 0, hi), multiplier: null };
  }
  const o = r.outcome;
  const room = o.direction === "decrease" ? o.control_rate : 1 - o.control_rate;
  const max = room * (1 - 1e-12);
  if (contrastPower(r, c, max, method).power < r.target) {
    throw new AnalysisError(`binary outcome: no ${o.direction ?? "increase"} of the control rate ${o.control_rate} reaches power ${r.target} with ${c.nArm + c.nControl} participants in the contrast`);
  }
  return { mde: bisect((d) => contrastPower(r, c, d, method).power - r.target, 0, max), multiplier: null };
}

function methodName(r: Resolved, method: "bloom" | "noncentral_t"): PowerResult["method"] {
  return r.outcome.type === "binary" ? "normal_approximation" : method;
}

/**
 * MDE with `n` in total: individuals, or clusters for a cluster design (then each cluster holds
 * `cluster.size` individuals). Shares need not give whole numbers per arm.
 */
export function minimumDetectableEffect(design: PowerDesign, n: number, options: PowerOptions = {}): MdeResult {
  const r = resolve(design);
  const method = options.method ?? "bloom";
  const cs = contrasts(r, n);
  let multiplier: number | null = null;
  const rows = cs.map((c, i) => {
    const m = contrastMde(r, c, method);
    multiplier = m.multiplier;
    return { arm: i + 1, n_arm: c.nArm, n_control: c.nControl, std_error: contrastPower(r, c, m.mde, method).se, df: c.df, mde: m.mde, power: r.target };
  });
  return { contrasts: rows, mde: Math.max(...rows.map((x) => x.mde)), power: r.target, alpha_per_contrast: r.alphaPerContrast, multiplier, n, method: methodName(r, method) };
}

/** Power of each contrast at `effect` (outcome units; binary: risk difference) with `n` in total. */
export function powerAt(design: PowerDesign, n: number, effect: number, options: PowerOptions = {}): PowerResult {
  const r = resolve(design);
  const method = options.method ?? "bloom";
  const rows = contrasts(r, n).map((c, i) => {
    const p = contrastPower(r, c, effect, method);
    let mde: number | null;
    try {
      mde = contrastMde(r, c, method).mde;
    } catch (e) {
      if (!(e instanceof AnalysisError)) throw e;
      mde = null; // a binary outcome whose rate has no room for an effect with this power
    }
    return { arm: i + 1, n_arm: c.nArm, n_control: c.nControl, std_error: p.se, df: c.df, mde, power: p.power };
  });
  const mdes = rows.map((x) => x.mde);
  return {
    contrasts: rows,
    mde: mdes.includes(null) ? null : Math.max(...(mdes as number[])),
    power: Math.min(...rows.map((x) => x.power)),
    alpha_per_contrast: r.alphaPerContrast, multiplier: null, n, method: methodName(r, method),
  };
}

export interface SampleSize {
  /** The exact (real-valued) total that reaches the target power, as power.t.test's `n` per arm × arms. */
  n_exact: number;
  /** Whole units per arm (individuals, or clusters), each rounded up, control first. */
  per_arm: number[];
  /** Sum of per_arm. */
  n: number;
  /** Power of the least powered contrast with per_arm. */
  power: number;
  unit: "participants" | "clusters";
}

/** Smallest total (individuals, or clusters) at which every contrast detects `effect` with the target power. */
export function requiredSampleSize(design: PowerDesign, effect: number, options: PowerOptions = {}): SampleSize {
  const r = resolve(design);
  const method = options.method ?? "bloom";
  if (!(Number.isFinite(effect) && effect !== 0)) throw new AnalysisError(`invalid effect; not a finite non-zero number: ${effect}`);
  const gap = (n: number) => Math.min(...contrasts(r, n).map((c) => contrastPower(r, c, effect, method).power)) - r.target;
  // Smallest n with positive df and at least a fraction of a unit in every arm.
  let lo = r.dfLoss + 1, hi = 2 * lo;
  if (r.outcome.type === "binary" && r.perUnit === 1) lo = 1e-9;
  if (gap(lo) >= 0) hi = lo;
  while (gap(hi) < 0) {
    lo = hi;
    hi *= 2;
    if (hi > 1e12) throw new AnalysisError(`no sample size up to 10^12 reaches power ${r.target} for effect ${effect}`);
  }
  const exact = hi === lo ? lo : bisect(gap, lo, hi);
  const perArm = r.shares.map((s) => Math.ceil(s * exact - 1e-9));
  const total = perArm.reduce((a, b) => a + b, 0);
  // Power with the rounded arms: every arm at least its exact share, so no contrast loses power.
  const rounded: Resolved = { ...r, shares: perArm.map((k) => k / total) };
  const power = Math.min(...contrasts(rounded, total).map((c) => contrastPower(rounded, c, effect, method).power));
  return { n_exact: exact, per_arm: perArm, n: total, power, unit: r.perUnit > 1 ? "clusters" : "participants" };
}

export { noncentralTUpper } from "./noncentral-t.ts";
export { simulatePower, standardNormal, type PowerSimulation, type SimulatedPower } from "./power-simulation.ts";
