/**
 * Progression over all planned weeks at once: a linear mixed model of every observed measurement
 * with a random intercept per participant and arm × week fixed effects, fitted by REML
 * (`randomInterceptFit`, matching lme4::lmer and nlme::lme):
 *
 *     y_ik = μ + Σ_{k'≠first} ω_k' [k = k'] + Σ_s φ_s [stratum_i = s] + Σ_{a≠control} Σ_{k∈E} δ_ak [arm_i = a][k] + b_i + ε_ik
 *
 * δ_ak is arm a's effect at planned week k against the control. With `baseline: "constrained"`
 * (the default) E is every week but week 0: the arms share one mean at baseline, as randomization
 * makes them, which adjusts every later contrast for the baseline (constrained longitudinal data
 * analysis, Liang & Zeger 2000; Lu 2010). With `"unconstrained"` E holds week 0 too and δ at week
 * 0 is the (chance) baseline difference. Strata are additive fixed effects (levels in sorted
 * order, the first the reference), as R's `factor(stratum)`.
 *
 * The R call it matches, with the same indicator columns:
 *     lmer(y ~ w13 + w26 + ... + s2 + ... + a_w13 + ... + (1 | id), REML = TRUE)
 *     lme(y ~ w13 + w26 + ... + s2 + ... + a_w13 + ..., random = ~ 1 | id, method = "REML")
 * Estimates, SEs and variance components as both; df, p-values and CIs as nlme's between/within
 * rule (δ_ak varies within participants: df = N − G − number of within-participant columns).
 *
 * Uses every observed measurement (missing at random given the observed ones); participants with
 * only some measurements contribute what they have.
 *
 * A week or an arm × week without measurements (a trial not yet that far, or an arm nobody in which
 * has reached the week) has no data for its column: the column is dropped and the rest fitted, as
 * lmer does by default, and its effect is left out (`fit.dropped` names it).
 *
 * Errors (`AnalysisError`): those of `randomInterceptFit`.
 *
 * References:
 * - Liang, K.-Y. & Zeger, S. L. (2000). Longitudinal data analysis of continuous and discrete
 *   responses for pre-post designs. Sankhyā B 62(1), 134–148.
 * - Lu, K. (2010). On efficiency of constrained longitudinal data analysis versus longitudinal
 *   analysis of covariance. Biometrics 66(3), 891–896. doi:10.1111/j.1541-0420.2009.01332.x
 */
import { AnalysisError } from "../estimate.ts";
import type { ProgressionPanel } from "./panel.ts";
import { randomInterceptFit, randomInterceptTerm, type RandomInterceptFit } from "./random-intercept.ts";
import { ASSUMPTIONS, TOTAL, type ProgressionEffect } from "./result.ts";

export interface ProgressionMixedModelOptions {
  control: string;
  arms?: string[];
  measure?: string;
  baseline?: "constrained" | "unconstrained";
  /** Adjust for the panel's strata (default true when the panel has them). */
  strata?: boolean;
  level?: number;
}

export interface ProgressionMixedModel {
  fit: RandomInterceptFit;
  /** One per non-control arm and effect week with data, weeks in schedule order, arms within a week. */
  effects: ProgressionEffect[];
}

export function progressionMixedModel(panel: ProgressionPanel, options: ProgressionMixedModelOptions): ProgressionMixedModel {
  const measure = options.measure ?? TOTAL;
  const values = panel.scores[measure];
  if (!values) throw new AnalysisError(`progression: unknown measure ${JSON.stringify(measure)}`);
  const baseline = options.baseline ?? "constrained";
  const K = panel.weeks.length;
  const P = panel.participants.length;
  const arms = options.arms ?? [...new Set(panel.arm)].filter((a) => a !== options.control);
  if (!panel.arm.includes(options.control)) throw new AnalysisError(`${measure}: no participant in the control arm ${options.control}`);
  const k0 = panel.weeks.indexOf(0);
  if (baseline === "constrained" && k0 < 0) throw new AnalysisError(`${measure}: a constrained baseline needs week 0 among the planned weeks`);
  const effectWeeks = panel.weeks.map((_, k) => k).filter((k) => baseline === "unconstrained" || k !== k0);
  const armIndex = new Map(arms.map((a, j) => [a, j]));
  const stray = panel.arm.find((a) => a !== options.control && !armIndex.has(a));
  if (stray !== undefined) throw new AnalysisError(`${measure}: arm ${stray} is neither the control nor among the arms to report`);
  const strata = options.strata === false ? undefined : panel.strata;
  const levels = strata ? [...new Set(strata)].sort() : [];
  const stratumIndex = new Map(levels.map((l, j) => [l, j]));

  let N = 0;
  for (let t = 0; t < P * K; t++) if (!Number.isNaN(values[t])) N++;
  const y = new Float64Array(N);
  const ids = new Array<string>(N);
  const weekCols = Array.from({ length: K - 1 }, () => new Float64Array(N));
  const stratumCols = Array.from({ length: Math.max(0, levels.length - 1) }, () => new Float64Array(N));
  const effectCols = Array.from({ length: effectWeeks.length * arms.length }, () => new Float64Array(N));
  const effectSlot = new Int32Array(K).fill(-1);
  effectWeeks.forEach((k, e) => (effectSlot[k] = e));
  let r = 0;
  for (let i = 0; i < P; i++) {
    const a = armIndex.get(panel.arm[i]);
    const s = strata ? stratumIndex.get(strata[i])! : 0;
    for (let k = 0; k < K; k++) {
      const v = values[i * K + k];
      if (Number.isNaN(v)) continue;
      y[r] = v;
      ids[r] = panel.participants[i];
      if (k > 0) weekCols[k - 1][r] = 1;
      if (s > 0) stratumCols[s - 1][r] = 1;
      if (a !== undefined && effectSlot[k] >= 0) effectCols[effectSlot[k] * arms.length + a][r] = 1;
      r++;
    }
  }
  const names = [
    ...panel.weeks.slice(1).map((w) => `week${w}`),
    ...levels.slice(1).map((l) => `stratum${l}`),
    ...effectWeeks.flatMap((k) => arms.map((a) => `${a}:week${panel.weeks[k]}`)),
  ];
  const fit = randomInterceptFit(y, [...weekCols, ...stratumCols, ...effectCols], ids, { names, outcome: measure, level: options.level, dropAliased: true });
  const column = new Map(fit.names.map((name, j) => [name, j]));
  const effects: ProgressionEffect[] = [];
  for (const k of effectWeeks)
    for (const a of arms) {
      const j = column.get(`${a}:week${panel.weeks[k]}`);
      if (j === undefined) continue;
      const est = randomInterceptTerm(fit, j, "mixed_model", options.level, `${a} vs ${options.control}, week ${panel.weeks[k]}`);
      effects.push({ ...est, measure, week: panel.weeks[k], arm: a, control: options.control, p_adjusted: null, adjustment: null, assumption: ASSUMPTIONS.mixed_model });
    }
  return { fit, effects };
}
