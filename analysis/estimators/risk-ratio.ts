/**
 * Risk ratio of a 0/1 outcome between a treated arm (z = 1) and a control arm (z = 0), with a
 * Wald interval on the log scale (the "log method"):
 *
 *     RR = p̂₁ / p̂₀,   p̂_a = events_a / n_a
 *     SE(log RR) = sqrt(1/a − 1/n₁ + 1/c − 1/n₀)       (a, c = events in treated, control)
 *     CI = exp(log RR ± z_{1−α/2} SE),  z = log RR / SE,  p = 2 Φ(−|z|)   (normal, df = null)
 *
 * This is the maximum-likelihood fit of the log-binomial model
 * `glm(y ~ z, family = binomial(link = "log"))`: `exp(coef)[["z"]]`, its `Std. Error` and
 * `Pr(>|z|)`, and `exp(confint.default(fit)["z", ])` — also `epitools::riskratio.wald` without
 * its continuity options. In the result `estimate`, `ci_lower` and `ci_upper` are on the ratio
 * scale while `std_error` and `statistic` are those of log RR (`se_type` "log_wald").
 *
 * The risk difference, the other contrast of a binary outcome, is the difference in means
 * (`riskDifference` in difference-in-means.ts).
 *
 * Errors (`AnalysisError`): an outcome value other than 0/1, an empty arm, no events in an arm
 * (log RR is ±∞), events for everyone in both arms (SE 0), NaN cells.
 *
 * References:
 * - Katz, D., Baptista, J., Azen, S. P. & Pike, M. C. (1978). Obtaining confidence intervals for
 *   the risk ratio in cohort studies. Biometrics 34(3), 469–474. doi:10.2307/2530610
 * - Rothman, K. J., Greenland, S. & Lash, T. L. (2008). Modern Epidemiology, 3rd ed., ch. 14.
 *
 * @example
 * riskRatio([1, 1, 0, 0, 1, 0, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0]).estimate // 2
 */
import { qnorm, twoSidedP } from "../distributions.ts";
import { AnalysisError, type EffectEstimate } from "../estimate.ts";
import { checkOutcomeAndTreatment } from "./difference-in-means.ts";

export interface RiskRatioOptions {
  level?: number;
  term?: string;
  outcome?: string;
}

export function riskRatio(y: ArrayLike<number>, z: ArrayLike<number>, options: RiskRatioOptions = {}): EffectEstimate {
  const outcome = options.outcome ?? "outcome";
  const level = options.level ?? 0.95;
  checkOutcomeAndTreatment(y, z, outcome);
  let n1 = 0, n0 = 0, a = 0, c = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1) throw new AnalysisError(`${outcome}: a risk ratio needs a 0/1 outcome, row ${i} has ${y[i]}`);
    if (z[i] === 1) { n1++; a += y[i]; } else { n0++; c += y[i]; }
  }
  if (n1 === 0) throw new AnalysisError(`${outcome}: the treated arm has no one`);
  if (n0 === 0) throw new AnalysisError(`${outcome}: the control arm has no one`);
  if (a === 0) throw new AnalysisError(`${outcome}: no events in the treated arm; the log risk ratio is -Infinity`);
  if (c === 0) throw new AnalysisError(`${outcome}: no events in the control arm; the risk ratio is Infinity`);
  const logRr = Math.log(a / n1) - Math.log(c / n0);
  const se = Math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0);
  if (!(se > 0)) throw new AnalysisError(`${outcome}: everyone has the event in both arms; the standard error is 0`);
  const q = qnorm(1 - (1 - level) / 2);
  const statistic = logRr / se;
  return {
    estimator: "risk_ratio",
    term: options.term ?? "treatment vs control",
    estimate: Math.exp(logRr),
    std_error: se,
    statistic,
    df: null,
    p_value: twoSidedP(statistic, Infinity),
    ci_lower: Math.exp(logRr - q * se),
    ci_upper: Math.exp(logRr + q * se),
    level,
    n: n0 + n1,
    se_type: "log_wald",
    warnings: [],
  };
}
