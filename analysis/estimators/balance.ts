/**
 * Baseline balance: the standardized difference and Hedges' g of each baseline covariate, arm by
 * arm against the control arm, with the What Works Clearinghouse (WWC) baseline-equivalence band.
 *
 * Continuous covariate (WWC Procedures and Standards Handbook v5.0, effect sizes for continuous
 * measures):
 *
 *     s_pooled = sqrt(((n_t − 1) s_t² + (n_c − 1) s_c²) / (n_t + n_c − 2))
 *     d        = (x̄_t − x̄_c) / s_pooled                      (the standardized difference)
 *     ω        = 1 − 3 / (4 N − 9),   N = n_t + n_c           (small-sample correction)
 *     g        = ω d                                           (Hedges' g)
 *
 * with s² the sample variance (denominator n − 1), as R's `var`.
 *
 * Binary covariate (0/1): the Cox index, the difference in log odds rescaled by 1.65 so that it is
 * comparable with a standardized mean difference, with the same correction:
 *
 *     d_cox = (ln(p_t / (1 − p_t)) − ln(p_c / (1 − p_c))) / 1.65,    g = ω d_cox
 *
 * The Cox index is undefined when a proportion is 0 or 1 (an infinite log odds); that raises an
 * `AnalysisError` naming the covariate and the arm rather than returning ±Infinity.
 *
 * WWC band on |g| (the handbook's baseline-equivalence rule):
 *   |g| ≤ 0.05          "satisfies"             — equivalence holds without adjustment;
 *   0.05 < |g| ≤ 0.25   "adjustment_required"   — equivalence holds only if the impact analysis
 *                                                  adjusts for this covariate;
 *   |g| > 0.25          "not_satisfied".
 *
 * Matches a hand computation in R (`mean`, `var`, the formulas above), see
 * tests/reference/balance-lalonde/.
 *
 * References:
 * - What Works Clearinghouse (2022). Procedures and Standards Handbook, Version 5.0. U.S.
 *   Department of Education, Institute of Education Sciences. https://ies.ed.gov/ncee/wwc/Handbooks
 * - Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and related
 *   estimators. Journal of Educational Statistics 6(2), 107–128. doi:10.3102/10769986006002107
 * - Sánchez-Meca, J., Marín-Martínez, F., & Chacón-Moscoso, S. (2003). Effect-size indices for
 *   dichotomized outcomes in meta-analysis. Psychological Methods 8(4), 448–467.
 *   doi:10.1037/1082-989X.8.4.448 (the Cox index)
 *
 * @throws AnalysisError for an arm with fewer than two people, a NaN covariate value, a
 *   continuous covariate with zero pooled variance, a binary covariate that is not 0/1 or whose
 *   proportion is 0 or 1 in an arm.
 * @example
 * covariateBalance([1, 2, 3, 4, 2, 3, 4, 5], [0, 0, 0, 0, 1, 1, 1, 1], { covariate: "age" }).hedges_g
 * // 0.7745966692414834 * (1 - 3 / 23)
 */
import { AnalysisError } from "../estimate.ts";

export type CovariateKind = "continuous" | "binary";
export type WwcEquivalenceBand = "satisfies" | "adjustment_required" | "not_satisfied";

export interface CovariateBalance {
  covariate: string;
  kind: CovariateKind;
  /** Arm label (or index as text) of the compared arm and of the control arm. */
  arm: string;
  control: string;
  n_treatment: number;
  n_control: number;
  mean_treatment: number;
  mean_control: number;
  /** Sample SDs (n − 1); for a binary covariate the SD of the 0/1 values. */
  sd_treatment: number;
  sd_control: number;
  /** Continuous: the pooled SD; binary: null (the Cox index does not use it). */
  sd_pooled: number | null;
  /** Continuous: mean difference / pooled SD; binary: the uncorrected Cox index. */
  standardized_difference: number;
  /** Small-sample correction ω = 1 − 3 / (4N − 9). */
  correction: number;
  /** ω × standardized_difference: WWC's Hedges' g (or corrected Cox index). */
  hedges_g: number;
  band: WwcEquivalenceBand;
}

export interface BalanceOptions {
  /** Covariate name, used in every message. */
  covariate: string;
  /** Arm index of the compared arm (default 1) and of the control arm (default 0). */
  treatment?: number;
  control?: number;
  /** Arm labels by index, for the result and messages. */
  armNames?: readonly string[];
  /** "auto" (default) treats a covariate whose values are all 0 or 1 as binary. */
  kind?: CovariateKind | "auto";
  /**
   * Rows to include (truthy), e.g. the analytic sample of an outcome: the WWC assesses baseline
   * equivalence on the analytic sample when attrition is high. Default: everyone.
   */
  sample?: ArrayLike<number | boolean>;
}

/** The WWC baseline-equivalence band of an effect size (on its absolute value). */
export function wwcEquivalenceBand(g: number): WwcEquivalenceBand {
  if (Number.isNaN(g)) throw new AnalysisError("invalid effect size for the WWC band; NaN");
  const a = Math.abs(g);
  if (a <= 0.05) return "satisfies";
  if (a <= 0.25) return "adjustment_required";
  return "not_satisfied";
}

/** WWC's small-sample correction ω = 1 − 3 / (4N − 9) for a total sample N. */
export function hedgesCorrection(nTotal: number): number {
  return 1 - 3 / (4 * nTotal - 9);
}

/** Balance of one covariate for one arm against the control arm. */
export function covariateBalance(x: ArrayLike<number>, arm: ArrayLike<number>, options: BalanceOptions): CovariateBalance {
  const { covariate } = options;
  const t = options.treatment ?? 1;
  const c = options.control ?? 0;
  const name = (k: number) => options.armNames?.[k] ?? String(k);
  if (x.length !== arm.length) {
    throw new AnalysisError(`covariate ${covariate}: ${x.length} values for ${arm.length} arm assignments`);
  }
  const sample = options.sample;
  if (sample !== undefined && sample.length !== arm.length) {
    throw new AnalysisError(`covariate ${covariate}: ${sample.length} sample flags for ${arm.length} participants`);
  }
  const group = (i: number) => (sample !== undefined && !sample[i] ? -1 : arm[i] === t ? 1 : arm[i] === c ? 0 : -1);
  let n1 = 0, s1 = 0, n0 = 0, s0 = 0;
  let binary = true;
  for (let i = 0; i < x.length; i++) {
    const a = arm[i];
    if (group(i) < 0) continue;
    const v = x[i];
    if (Number.isNaN(v)) throw new AnalysisError(`covariate ${covariate}: missing (NaN) value at row ${i} (arm ${name(a)})`);
    if (v !== 0 && v !== 1) binary = false;
    if (a === t) { n1++; s1 += v; } else { n0++; s0 += v; }
  }
  for (const [k, n] of [[t, n1], [c, n0]] as const) {
    if (n < 2) throw new AnalysisError(`covariate ${covariate}: arm ${name(k)} has ${n} participant${n === 1 ? "" : "s"}; need at least 2`);
  }
  const kind: CovariateKind = options.kind === undefined || options.kind === "auto" ? (binary ? "binary" : "continuous") : options.kind;
  if (kind === "binary" && !binary) throw new AnalysisError(`covariate ${covariate}: declared binary but has values other than 0 and 1`);
  const m1 = s1 / n1, m0 = s0 / n0;
  // Second pass for the variances (centred sums: stable for large values such as earnings).
  let q1 = 0, q0 = 0;
  for (let i = 0; i < x.length; i++) {
    const g = group(i);
    if (g === 1) q1 += (x[i] - m1) ** 2;
    else if (g === 0) q0 += (x[i] - m0) ** 2;
  }
  const v1 = q1 / (n1 - 1), v0 = q0 / (n0 - 1);
  const omega = hedgesCorrection(n1 + n0);
  let sdPooled: number | null = null;
  let d: number;
  if (kind === "continuous") {
    sdPooled = Math.sqrt((q1 + q0) / (n1 + n0 - 2));
    if (!(sdPooled > 0)) throw new AnalysisError(`covariate ${covariate}: zero variance in arms ${name(t)} and ${name(c)}; the standardized difference is undefined`);
    d = (m1 - m0) / sdPooled;
  } else {
    for (const [k, p] of [[t, m1], [c, m0]] as const) {
      if (p === 0 || p === 1) {
        throw new AnalysisError(`covariate ${covariate}: proportion ${p} in arm ${name(k)}; the Cox index (log odds) is undefined`);
      }
    }
    d = (Math.log(m1 / (1 - m1)) - Math.log(m0 / (1 - m0))) / 1.65;
  }
  const g = omega * d;
  return {
    covariate, kind, arm: name(t), control: name(c),
    n_treatment: n1, n_control: n0, mean_treatment: m1, mean_control: m0,
    sd_treatment: Math.sqrt(v1), sd_control: Math.sqrt(v0), sd_pooled: sdPooled,
    standardized_difference: d, correction: omega, hedges_g: g, band: wwcEquivalenceBand(g),
  };
}

/**
 * Balance table: every covariate × every non-control arm against the control arm, in the order
 * of the covariates and then of the arms.
 */
export function balanceTable(
  covariates: Readonly<Record<string, ArrayLike<number>>>,
  arm: ArrayLike<number>,
  options: { arms: number; control?: number; armNames?: readonly string[]; kinds?: Readonly<Record<string, CovariateKind>>; sample?: ArrayLike<number | boolean> },
): CovariateBalance[] {
  const control = options.control ?? 0;
  const rows: CovariateBalance[] = [];
  for (const [covariate, x] of Object.entries(covariates)) {
    for (let k = 0; k < options.arms; k++) {
      if (k === control) continue;
      rows.push(covariateBalance(x, arm, { covariate, treatment: k, control, armNames: options.armNames, kind: options.kinds?.[covariate] ?? "auto", sample: options.sample }));
    }
  }
  return rows;
}
