/**
 * Lee (2009) trimming bounds: sharp bounds on the effect of assignment among the participants
 * whose outcome would be observed whichever arm they were in (the "always-observed"), when
 * attrition differs between arms.
 *
 * Assumptions: random assignment and monotonicity (assignment moves observation in one direction
 * only: nobody is observed under control who would be lost under treatment, or the reverse).
 *
 * Estimator. Let q_t, q_c be the observed shares in the two arms. The arm with the larger share,
 * g, holds more than the always-observed; the trimming proportion is
 *
 *     p = (q_g − q_o) / q_g,
 *
 * the share of g's observed outcomes that belong to people who would be lost in the other arm o.
 * Trimming the top p of g's observed outcomes gives the smallest mean the always-observed of g can
 * have, trimming the bottom p the largest. If the treatment arm is trimmed:
 *
 *     lower = mean(y_t | y_t ≤ y_t,(1−p)) − mean(y_c),   upper = mean(y_t | y_t ≥ y_t,(p)) − mean(y_c);
 *
 * if the control arm is trimmed, lower = mean(y_t) − mean(y_c | y_c ≥ y_c,(p)) and
 * upper = mean(y_t) − mean(y_c | y_c ≤ y_c,(1−p)). With p = 0 both bounds are the difference in
 * observed means.
 *
 * Trimming is exact: p·m of the m sorted observed outcomes are removed, the observation at the cut
 * counting with the fractional weight that is left. For continuous outcomes this is Lee's
 * quantile trimming; with ties (binary or discrete outcomes) it removes exactly the share p rather
 * than every tied value, as recommended for discrete outcomes.
 *
 * Standard errors: Lee (2009), Proposition 3, as Lee's own Stata program `trimbound` computes them.
 * For the trimmed arm's mean μ over the kept part (K = (1−p)·m observations, cutoff y*):
 *
 *     V_trim = s²_kept / K + (y* − μ)² p / ((1 − p) m) + ((y* − μ) / (1 − p))² V_p,
 *     V_p    = (1 − p)² ((1 − q_g) / (N_g q_g) + (1 − q_o) / (N_o q_o)),
 *
 * (the trimmed mean's own sampling variance, the variance from estimating the quantile, and the
 * variance from estimating p), plus s²_o / m_o for the untrimmed arm's mean. N_k is the number
 * randomized to arm k, s² are sample variances (n − 1 denominators; the kept part's with K − 1).
 * When the observed shares are equal (p̂ = 0) the bounds coincide but the p term stays, with the
 * extreme observed values as cutoffs, as in `trimbound`: p is estimated, and could as well have
 * come out positive in either direction. The bounds are returned as `EffectEstimate`s with normal reference distributions. The interval
 * for the effect itself is Imbens & Manski's (2004): [lower − C σ_lower, upper + C σ_upper] with C
 * solving Φ(C + (upper − lower) / max(σ_lower, σ_upper)) − Φ(−C) = level; it covers the true
 * effect (not the whole identified set) with the stated probability.
 *
 * No R package in the project's reference set computes these; the tests check a hand-computed
 * case, the symmetry between arms, and the standard errors against the Monte Carlo spread of the
 * bounds.
 *
 * References:
 * - Lee, D. S. (2009). Training, wages, and sample selection: estimating sharp bounds on treatment
 *   effects. Review of Economic Studies 76(3), 1071–1102. doi:10.1111/j.1467-937X.2009.00536.x
 * - Imbens, G. W., & Manski, C. F. (2004). Confidence intervals for partially identified
 *   parameters. Econometrica 72(6), 1845–1857. doi:10.1111/j.1468-0262.2004.00555.x
 *
 * @throws AnalysisError for an arm with no one randomized, an arm with fewer than two observed
 *   outcomes, too few outcomes left after trimming, or a NaN outcome flagged as observed.
 */
import { qnorm, pnorm } from "../distributions.ts";
import { AnalysisError, tBasedEstimate, type EffectEstimate } from "../estimate.ts";

export interface LeeBoundsOptions {
  outcome: string;
  treatment?: number;
  control?: number;
  armNames?: readonly string[];
  /** Which outcomes were observed; default: those that are not NaN. */
  observed?: ArrayLike<number | boolean>;
  level?: number;
}

export interface LeeBounds {
  outcome: string;
  arm: string;
  control: string;
  /** Which arm was trimmed ("none" when the observed shares are equal). */
  trimmed_arm: "treatment" | "control" | "none";
  trimming_proportion: number;
  trimming_proportion_se: number;
  observed_share_treatment: number;
  observed_share_control: number;
  randomized_treatment: number;
  randomized_control: number;
  observed_treatment: number;
  observed_control: number;
  /** The trimmed arm's sample quantiles y_(p) and y_(1−p) where the trimming cuts (null without trimming). */
  lower_cutoff: number | null;
  upper_cutoff: number | null;
  lower: EffectEstimate;
  upper: EffectEstimate;
  /** Imbens–Manski interval for the effect among the always-observed. */
  ci_lower: number;
  ci_upper: number;
  level: number;
}

interface Part { mean: number; variance: number; cutoff: number; kept: number }

/** Mean and variance of the sorted values after removing `drop` of them from the top or bottom (fractionally). */
function trimmedPart(sorted: Float64Array, drop: number, from: "top" | "bottom"): Part {
  const m = sorted.length;
  const kept = m - drop;
  const weight = (i: number) => (from === "top" ? Math.min(1, Math.max(0, kept - i)) : Math.min(1, Math.max(0, i + 1 - drop)));
  let sum = 0;
  for (let i = 0; i < m; i++) sum += weight(i) * sorted[i];
  const mean = sum / kept;
  let ss = 0;
  for (let i = 0; i < m; i++) ss += weight(i) * (sorted[i] - mean) ** 2;
  const cutoff = from === "top" ? sorted[Math.max(0, Math.ceil(kept - 1e-9) - 1)] : sorted[Math.min(m - 1, Math.floor(drop + 1e-9))];
  return { mean, variance: ss / (kept - 1), cutoff, kept };
}

/** Imbens–Manski critical value C for an interval of width `width` with bound SEs sdLower, sdUpper. */
function imbensManskiC(width: number, sdLower: number, sdUpper: number, level: number): number {
  const s = Math.max(sdLower, sdUpper);
  const f = (c: number) => pnorm(c + width / s) - pnorm(-c) - level;
  let lo = qnorm(level), hi = qnorm((1 + level) / 2);
  if (!(width > 0) || !(s > 0)) return hi;
  for (let i = 0; i < 200 && hi - lo > 1e-14; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) < 0) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

export function leeBounds(y: ArrayLike<number>, arm: ArrayLike<number>, options: LeeBoundsOptions): LeeBounds {
  const { outcome } = options;
  const t = options.treatment ?? 1;
  const c = options.control ?? 0;
  const level = options.level ?? 0.95;
  const name = (k: number) => options.armNames?.[k] ?? String(k);
  if (y.length !== arm.length) throw new AnalysisError(`outcome ${outcome}: ${y.length} values for ${arm.length} participants`);
  const observed = options.observed;
  if (observed !== undefined && observed.length !== arm.length) {
    throw new AnalysisError(`outcome ${outcome}: ${observed.length} observation flags for ${arm.length} participants`);
  }
  const values: number[][] = [[], []]; // [treatment, control]
  const randomized = [0, 0];
  for (let i = 0; i < arm.length; i++) {
    const a = arm[i];
    const g = a === t ? 0 : a === c ? 1 : -1;
    if (g < 0) continue;
    randomized[g]++;
    const v = y[i];
    const seen = observed === undefined ? !Number.isNaN(v) : Boolean(observed[i]);
    if (!seen) continue;
    if (Number.isNaN(v)) throw new AnalysisError(`outcome ${outcome}: row ${i} (arm ${name(a)}) is flagged observed but its value is NaN`);
    values[g].push(v);
  }
  const label = [name(t), name(c)];
  for (const g of [0, 1]) {
    if (randomized[g] === 0) throw new AnalysisError(`outcome ${outcome}: arm ${label[g]} has no one randomized; Lee bounds are undefined`);
    if (values[g].length < 2) throw new AnalysisError(`outcome ${outcome}: arm ${label[g]} has ${values[g].length} observed outcome${values[g].length === 1 ? "" : "s"}; need at least 2`);
  }
  const q = [values[0].length / randomized[0], values[1].length / randomized[1]];
  const g = q[0] >= q[1] ? 0 : 1; // the arm to trim
  const o = 1 - g;
  const p = (q[g] - q[o]) / q[g];
  const sorted = Float64Array.from(values[g]).sort();
  const m = sorted.length;
  const drop = p * m;
  if (m - drop < 2) throw new AnalysisError(`outcome ${outcome}: arm ${label[g]} keeps ${(m - drop).toFixed(2)} observed outcomes after trimming ${(p * 100).toFixed(1)} %; need at least 2`);
  const low = trimmedPart(sorted, drop, "top"); // keeps the lowest values
  const high = trimmedPart(sorted, drop, "bottom"); // keeps the highest values
  const other = values[o];
  const otherMean = other.reduce((s, v) => s + v, 0) / other.length;
  const otherVar = other.reduce((s, v) => s + (v - otherMean) ** 2, 0) / (other.length - 1);
  const vp = (1 - p) ** 2 * ((1 - q[g]) / (randomized[g] * q[g]) + (1 - q[o]) / (randomized[o] * q[o]));
  const partVariance = (part: Part) => {
    const gap = part.cutoff - part.mean;
    return part.variance / part.kept + (gap * gap * p) / ((1 - p) * m) + (gap / (1 - p)) ** 2 * vp;
  };
  const otherV = otherVar / other.length;
  // Treatment trimmed: lower uses the low part of treatment. Control trimmed: lower uses the high part of control.
  const lowerPart = g === 0 ? low : high;
  const upperPart = g === 0 ? high : low;
  const effect = (part: Part) => (g === 0 ? part.mean - otherMean : otherMean - part.mean);
  const se = (part: Part) => Math.sqrt(partVariance(part) + otherV);
  const n = values[0].length + values[1].length;
  const term = `${name(t)} vs ${name(c)}`;
  const warnings = p > 0 ? [] : ["equal observed shares: no trimming, both bounds are the difference in observed means"];
  const estimate = (which: "lower" | "upper", part: Part) =>
    tBasedEstimate({ estimator: "lee_bounds", term: `${term}: ${which} bound`, estimate: effect(part), std_error: se(part), df: Infinity, n, se_type: "lee2009", level, warnings });
  const lower = estimate("lower", lowerPart);
  const upper = estimate("upper", upperPart);
  const cim = imbensManskiC(upper.estimate - lower.estimate, lower.std_error, upper.std_error, level);
  return {
    outcome, arm: name(t), control: name(c),
    trimmed_arm: p === 0 ? "none" : g === 0 ? "treatment" : "control",
    trimming_proportion: p,
    trimming_proportion_se: Math.sqrt(vp),
    observed_share_treatment: q[0], observed_share_control: q[1],
    randomized_treatment: randomized[0], randomized_control: randomized[1],
    observed_treatment: values[0].length, observed_control: values[1].length,
    lower_cutoff: p > 0 ? high.cutoff : null, upper_cutoff: p > 0 ? low.cutoff : null,
    lower, upper,
    ci_lower: lower.estimate - cim * lower.std_error,
    ci_upper: upper.estimate + cim * upper.std_error,
    level,
  };
}
