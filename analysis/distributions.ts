/**
 * The probability distributions the estimators need, taken from @stdlib (a well-kept library)
 * rather than written by hand. Two-sided p-values and critical values follow R: `2 * pt(-|t|, df)`
 * and `qt(1 - alpha / 2, df)`; an infinite df means the normal distribution.
 */
import chisquareCdf from "@stdlib/stats-base-dists-chisquare-cdf";
import chisquareQuantile from "@stdlib/stats-base-dists-chisquare-quantile";
import fCdf from "@stdlib/stats-base-dists-f-cdf";
import normalCdf from "@stdlib/stats-base-dists-normal-cdf";
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import tCdf from "@stdlib/stats-base-dists-t-cdf";
import tQuantile from "@stdlib/stats-base-dists-t-quantile";

/** Cumulative t distribution; df = Infinity gives the standard normal. */
export function pt(x: number, df: number): number {
  return df === Infinity ? normalCdf(x, 0, 1) : tCdf(x, df);
}

/** Quantile of the t distribution; df = Infinity gives the standard normal. */
export function qt(p: number, df: number): number {
  return df === Infinity ? normalQuantile(p, 0, 1) : tQuantile(p, df);
}

/** Standard normal CDF and quantile. */
export function pnorm(x: number): number {
  return normalCdf(x, 0, 1);
}
export function qnorm(p: number): number {
  return normalQuantile(p, 0, 1);
}

/** Upper tail of the chi-square distribution, as R's `pchisq(x, df, lower.tail = FALSE)`. */
export function pchisqUpper(x: number, df: number): number {
  return 1 - chisquareCdf(x, df);
}
export function qchisq(p: number, df: number): number {
  return chisquareQuantile(p, df);
}

/** Upper tail of the F distribution, as R's `pf(x, df1, df2, lower.tail = FALSE)`. */
export function pfUpper(x: number, df1: number, df2: number): number {
  return 1 - fCdf(x, df1, df2);
}

/** Two-sided p-value of a t (or, with df = Infinity, z) statistic. */
export function twoSidedP(statistic: number, df: number): number {
  return 2 * pt(-Math.abs(statistic), df);
}
