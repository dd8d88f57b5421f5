/**
 * The joint Wald test that several coefficients of a linear model are all zero, from the fit's
 * robust covariance, as an F test:
 *
 *     W = b' V⁻¹ b over the q tested coefficients b (V their covariance from `olsFit`),
 *     F = W / q,   p = P(F_{q, N − k} > F)        (N − k the fit's residual degrees of freedom)
 *
 * This is R's `car::linearHypothesis(fit, <terms> = 0, test = "F")` on an `estimatr::lm_robust`
 * fit, or by hand `pf(t(b) %*% solve(vcov(fit)[i, i]) %*% b / q, q, fit$df.residual,
 * lower.tail = FALSE)`; the script in tests/reference/interaction-joint/ checks that both agree.
 * With q = 1 it is the t-test (F = t²) and its p-value is the t-test's.
 *
 * Used by `subgroupAnalysis` for "does the effect differ across the L levels of a subgroup?": the
 * L − 1 `z:g` terms of `lm_robust(y ~ z * g, se_type = "HC2")` at once.
 *
 * References:
 * - Wooldridge, J. M. (2010). Econometric Analysis of Cross Section and Panel Data, 2nd ed.,
 *   §4.2.3 (robust Wald tests). MIT Press.
 * - MacKinnon, J. G., & White, H. (1985). Some heteroskedasticity-consistent covariance matrix
 *   estimators with improved finite sample properties. Journal of Econometrics 29(3), 305–325.
 *   doi:10.1016/0304-4076(85)90158-7 (HC2)
 *
 * @throws AnalysisError when the fit has no covariance (`olsFit(..., { covariance: true })`), a
 *   term was not requested from the fit, or the tested terms' covariance is singular.
 */
import { pfUpper } from "../distributions.ts";
import { AnalysisError } from "../estimate.ts";
import { cholesky, choleskySolve } from "../linear-algebra.ts";
import type { OlsFit } from "./ols.ts";

export interface WaldFTest {
  /** Numerator (q) and denominator (N − k) degrees of freedom. */
  df1: number;
  df2: number;
  F: number;
  p_value: number;
}

export function waldFTest(fit: OlsFit, terms: readonly string[], outcome = "outcome"): WaldFTest {
  if (!fit.covariance) throw new AnalysisError(`${outcome}: the Wald test needs the fit's covariance (olsFit with covariance: true)`);
  const m = fit.terms.length;
  const at = terms.map((name) => {
    const k = fit.terms.indexOf(fit.names.indexOf(name));
    if (k < 0) throw new AnalysisError(`${outcome}: term ${name} is not among the fit's tested terms (${fit.terms.map((j) => fit.names[j]).join(", ")})`);
    return k;
  });
  const q = at.length;
  const V = new Float64Array(q * q);
  const b = new Float64Array(q);
  for (let i = 0; i < q; i++) {
    b[i] = fit.coefficients[fit.terms[at[i]]];
    for (let j = 0; j < q; j++) V[i * q + j] = fit.covariance[at[i] * m + at[j]];
  }
  const factor = cholesky(V, q, 0);
  if (factor.rank < q) throw new AnalysisError(`${outcome}: the covariance of ${terms.join(", ")} is singular; the joint test is undefined`);
  const x = choleskySolve(factor, b);
  let W = 0;
  for (let i = 0; i < q; i++) W += b[i] * x[i];
  const F = W / q;
  const df2 = fit.df[fit.terms[at[0]]];
  return { df1: q, df2, F, p_value: pfUpper(F, q, df2) };
}
