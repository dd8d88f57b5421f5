/**
 * One result shape for every estimator, as estimatr returns the same fields from each of its
 * estimators. The evidence package and the API use this same shape (its zod schema is in
 * evidence/schema.ts; the estimators themselves carry no schema library).
 */
import { qt, twoSidedP } from "./distributions.ts";

export interface EffectEstimate {
  /** Which estimator produced it, e.g. "difference_in_means", "lm_lin", "cox". */
  estimator: string;
  /** The term or contrast, e.g. "training vs control" or a coefficient name. */
  term: string;
  estimate: number;
  std_error: number;
  /** t (or z, when df is Infinity / null) statistic. */
  statistic: number;
  /** Degrees of freedom; null means a normal reference distribution. */
  df: number | null;
  p_value: number;
  ci_lower: number;
  ci_upper: number;
  /** Confidence level of the interval, e.g. 0.95. */
  level: number;
  /** Number of observations used. */
  n: number;
  /** Standard-error type, e.g. "HC2", "CR2", "neyman", "greenwood". */
  se_type: string;
  /** Anything the reader must know: dropped rows, degenerate variances. */
  warnings: string[];
}

/**
 * Builds a t-based (or normal, with df = Infinity) estimate from a point estimate, its standard
 * error and degrees of freedom: statistic = estimate / se, two-sided p, CI estimate ± q·se.
 */
export function tBasedEstimate(fields: {
  estimator: string;
  term: string;
  estimate: number;
  std_error: number;
  df: number;
  n: number;
  se_type: string;
  level?: number;
  warnings?: string[];
}): EffectEstimate {
  const level = fields.level ?? 0.95;
  const statistic = fields.estimate / fields.std_error;
  const q = qt(1 - (1 - level) / 2, fields.df);
  return {
    estimator: fields.estimator,
    term: fields.term,
    estimate: fields.estimate,
    std_error: fields.std_error,
    statistic,
    df: Number.isFinite(fields.df) ? fields.df : null,
    p_value: twoSidedP(statistic, fields.df),
    ci_lower: fields.estimate - q * fields.std_error,
    ci_upper: fields.estimate + q * fields.std_error,
    level,
    n: fields.n,
    se_type: fields.se_type,
    warnings: fields.warnings ?? [],
  };
}

/** An error the analysis raises for bad data: names the outcome, arm or block concerned. */
export class AnalysisError extends Error {
  override name = "AnalysisError";
}
