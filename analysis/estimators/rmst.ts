/**
 * Restricted mean survival time (RMST) to a horizon τ, per arm, and the difference between two
 * arms, as R's `print(survfit(Surv(time, status) ~ arm), rmean = tau)` (survival's `survmean`).
 *
 * With the Kaplan–Meier rows t_1 < … < t_m ≤ τ (events and censorings), t_0 = 0 and S(t_0) = 1:
 *
 *     RMST(τ) = Σ_{j=1}^{m+1} (t_j − t_{j−1}) S(t_{j−1}),     t_{m+1} = τ
 *     Var     = Σ_{j=1}^{m} A_j² d_j / (n_j (n_j − d_j)),    A_j = ∫_{t_j}^{τ} S(u) du
 *
 * (terms with n_j = d_j are 0, as survmean). When τ is past an arm's last time the curve is
 * extended flat, as R does; a warning says so.
 *
 * The difference between two arms (treatment − control) has SE √(SE_t² + SE_c²) (independent
 * arms) and a normal-based CI and p (`tBasedEstimate` with df = ∞).
 *
 * References:
 * - Royston, P., & Parmar, M. K. B. (2013). Restricted mean survival time: an alternative to the
 *   hazard ratio for the design and analysis of randomized trials with a time-to-event outcome.
 *   BMC Medical Research Methodology 13, 152. doi:10.1186/1471-2288-13-152
 * - Klein, J. P., & Moeschberger, M. L. (2003). Survival Analysis, 2nd ed., §4.5. Springer.
 *   doi:10.1007/b97377
 *
 * @throws AnalysisError for τ not > 0, bad data (see `survivalArms`), or an unknown arm.
 */
import { AnalysisError, type EffectEstimate, tBasedEstimate } from "../estimate.ts";
import { type ArmLabel, type KaplanMeierCurve, type SurvivalOptions, kaplanMeier } from "./kaplan-meier.ts";

export interface RestrictedMean {
  arm: ArmLabel;
  tau: number;
  rmean: number;
  std_error: number;
  /** True when τ is after the arm's last observed time (the curve is extended flat). */
  extended: boolean;
}

/** RMST of one Kaplan–Meier curve to τ, with its standard error. */
export function restrictedMean(curve: KaplanMeierCurve, tau: number): RestrictedMean {
  if (!(tau > 0) || !Number.isFinite(tau)) throw new AnalysisError(`invalid tau; must be finite and > 0: ${tau}`);
  const { time, surv, n_risk, n_event } = curve;
  let m = 0;
  while (m < time.length && time[m] <= tau) m++;
  // Areas of the rectangles after each row: area[j] = (t_{j+1} − t_j) S(t_j), t_{m} := τ.
  let mean = 0;
  let prevT = 0;
  let prevS = 1;
  for (let j = 0; j < m; j++) {
    mean += (time[j] - prevT) * prevS;
    prevT = time[j];
    prevS = surv[j];
  }
  mean += (tau - prevT) * prevS;
  let variance = 0;
  let tail = 0; // ∫ from t_j to τ
  let nextT = tau;
  for (let j = m - 1; j >= 0; j--) {
    tail += (nextT - time[j]) * surv[j];
    nextT = time[j];
    const n = n_risk[j];
    const d = n_event[j];
    if (d > 0 && n > d) variance += (tail * tail * d) / (n * (n - d));
  }
  const last = time.length > 0 ? time[time.length - 1] : 0;
  return { arm: curve.arm, tau, rmean: mean, std_error: Math.sqrt(variance), extended: tau > last };
}

export interface RmstDifference {
  arms: RestrictedMean[];
  /** treatment − control. */
  difference: EffectEstimate;
}

/**
 * RMST per arm to τ and the difference `treatment − control` (default: the second arm minus the
 * first, in factor order).
 */
export function rmstDifference(
  time: ArrayLike<number>,
  event: ArrayLike<number | boolean>,
  group: ArrayLike<ArmLabel>,
  tau: number,
  options: SurvivalOptions & { treatment?: ArmLabel; control?: ArmLabel; level?: number } = {},
): RmstDifference {
  const fit = kaplanMeier(time, event, group, options);
  const arms = fit.arms.map((c) => restrictedMean(c, tau));
  const find = (label: ArmLabel | undefined, fallback: number): RestrictedMean => {
    if (label === undefined) {
      if (fallback >= arms.length) throw new AnalysisError(`the RMST difference needs two arms, got ${arms.length}`);
      return arms[fallback];
    }
    const a = arms.find((r) => r.arm === label);
    if (!a) throw new AnalysisError(`arm ${JSON.stringify(label)} not found among ${JSON.stringify(arms.map((r) => r.arm))}`);
    return a;
  };
  const control = find(options.control, 0);
  const treatment =
    options.treatment !== undefined ? find(options.treatment, 1) : arms.find((a) => a.arm !== control.arm) ?? find(undefined, arms.length);
  const warnings: string[] = [];
  for (const a of [treatment, control]) {
    if (a.extended) warnings.push(`tau = ${tau} is after the last observed time in arm ${String(a.arm)}; its curve is extended flat`);
  }
  const n = fit.arms.filter((c) => c.arm === treatment.arm || c.arm === control.arm).reduce((s, c) => s + c.n, 0);
  return {
    arms,
    difference: tBasedEstimate({
      estimator: "rmst",
      term: `${String(treatment.arm)} vs ${String(control.arm)}`,
      estimate: treatment.rmean - control.rmean,
      std_error: Math.sqrt(treatment.std_error ** 2 + control.std_error ** 2),
      df: Infinity,
      n,
      se_type: "greenwood",
      level: options.level,
      warnings,
    }),
  };
}
