/**
 * Difference in means between a treated arm (z = 1) and a control arm (z = 0), unblocked and
 * unclustered, with the Neyman (Welch) standard error and Welch–Satterthwaite degrees of freedom:
 *
 *     τ̂  = ȳ₁ − ȳ₀
 *     SE = sqrt(s₁²/n₁ + s₀²/n₀)                      (s² with denominator n − 1, as R's `var`)
 *     df = (s₁²/n₁ + s₀²/n₀)² / ((s₁²/n₁)²/(n₁ − 1) + (s₀²/n₀)²/(n₀ − 1))
 *
 * with a t-based two-sided p-value and CI τ̂ ± t_{df, 1−α/2} SE. This is what
 * `estimatr::difference_in_means(y ~ z, data)` returns (design "Standard", defaults
 * `alpha = 0.05`). For a 0/1 outcome it is the risk difference (`riskDifference`).
 *
 * Errors (`AnalysisError`): outcome and treatment of different lengths, a NaN or infinite outcome
 * (the index is named), a treatment value other than 0/1, an arm with fewer than two people (the
 * variance is undefined), and an outcome constant within both arms (SE = 0, so t and p are
 * undefined). No warnings are raised.
 *
 * References:
 * - Neyman, J. (1923/1990). On the application of probability theory to agricultural experiments.
 *   Statistical Science 5(4), 465–472. doi:10.1214/ss/1177012031
 * - Welch, B. L. (1947). The generalization of "Student's" problem when several different
 *   population variances are involved. Biometrika 34(1–2), 28–35. doi:10.1093/biomet/34.1-2.28
 * - Gerber, A. S. & Green, D. P. (2012). Field Experiments: Design, Analysis, and Interpretation.
 *   Norton. (eq. 3.6)
 *
 * @example
 * differenceInMeans([1, 2, 3, 4, 6, 8], [0, 0, 0, 1, 1, 1]).estimate // 4
 */
import { AnalysisError, tBasedEstimate, type EffectEstimate } from "../estimate.ts";

export interface DifferenceInMeansOptions {
  /** Confidence level, default 0.95. */
  level?: number;
  /** Name of the contrast in the result, default "treatment vs control". */
  term?: string;
  /** Name of the outcome, used in error messages. */
  outcome?: string;
}

/** Checks that y is finite everywhere and z is 0/1 of the same length; names the bad index. */
export function checkOutcomeAndTreatment(
  y: ArrayLike<number>,
  z: ArrayLike<number>,
  outcome = "outcome",
): void {
  if (y.length !== z.length) {
    throw new AnalysisError(`${outcome}: outcome has ${y.length} values but treatment has ${z.length}`);
  }
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i])) throw new AnalysisError(`${outcome}: missing or non-finite value at row ${i}: ${y[i]}`);
    const t = z[i];
    if (t !== 0 && t !== 1) throw new AnalysisError(`${outcome}: treatment must be 0 or 1, row ${i} has ${t}`);
  }
}

/** Per-arm count, mean and sum of squared deviations (two passes for accuracy). */
export function armMoments(y: ArrayLike<number>, z: ArrayLike<number>) {
  let n0 = 0, n1 = 0, s0 = 0, s1 = 0;
  const n = y.length;
  for (let i = 0; i < n; i++) {
    if (z[i] === 1) { n1++; s1 += y[i]; } else { n0++; s0 += y[i]; }
  }
  const m0 = s0 / n0, m1 = s1 / n1;
  let ss0 = 0, ss1 = 0;
  for (let i = 0; i < n; i++) {
    if (z[i] === 1) { const d = y[i] - m1; ss1 += d * d; } else { const d = y[i] - m0; ss0 += d * d; }
  }
  return { n0, n1, m0, m1, ss0, ss1 };
}

export function differenceInMeans(
  y: ArrayLike<number>,
  z: ArrayLike<number>,
  options: DifferenceInMeansOptions = {},
): EffectEstimate {
  const outcome = options.outcome ?? "outcome";
  checkOutcomeAndTreatment(y, z, outcome);
  const { n0, n1, m0, m1, ss0, ss1 } = armMoments(y, z);
  if (n1 < 2) throw new AnalysisError(`${outcome}: the treated arm has ${n1} ${n1 === 1 ? "person" : "people"}; need at least 2`);
  if (n0 < 2) throw new AnalysisError(`${outcome}: the control arm has ${n0} ${n0 === 1 ? "person" : "people"}; need at least 2`);
  const v1 = ss1 / (n1 - 1) / n1;
  const v0 = ss0 / (n0 - 1) / n0;
  const variance = v1 + v0;
  if (!(variance > 0)) {
    throw new AnalysisError(`${outcome}: the outcome is constant within both arms; the standard error is 0 and the test undefined`);
  }
  const df = (variance * variance) / ((v1 * v1) / (n1 - 1) + (v0 * v0) / (n0 - 1));
  return tBasedEstimate({
    estimator: "difference_in_means",
    term: options.term ?? "treatment vs control",
    estimate: m1 - m0,
    std_error: Math.sqrt(variance),
    df,
    n: n0 + n1,
    se_type: "neyman",
    level: options.level,
  });
}

/** Risk difference of a 0/1 outcome: the difference in means, with its Welch SE and df. */
export function riskDifference(
  y: ArrayLike<number>,
  z: ArrayLike<number>,
  options: DifferenceInMeansOptions = {},
): EffectEstimate {
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1) {
      throw new AnalysisError(`${options.outcome ?? "outcome"}: a risk difference needs a 0/1 outcome, row ${i} has ${y[i]}`);
    }
  }
  return { ...differenceInMeans(y, z, options), estimator: "risk_difference" };
}
