/**
 * Difference in means for a cluster-randomized trial (whole clusters assigned to an arm), as
 * `estimatr::difference_in_means(y ~ z, clusters = cluster, data)` (design "Clustered"):
 *
 *     τ̂ = ȳ₁ − ȳ₀ (person-level means), the slope of OLS y = α + τ z + ε
 *     SE: CR2 (Bell & McCaffrey 2002) of that slope,
 *         V = (X'X)⁻¹ Σ_s X_s' (I − H_ss)^{−1/2} e_s e_s' (I − H_ss)^{−1/2} X_s (X'X)⁻¹
 *     df: the Bell–McCaffrey Satterthwaite df of the slope (Pustejovsky & Tipton 2018), which is
 *         what estimatr reports for this design (through `lm_robust_fit(se_type = "CR2")`).
 *
 * The CR2 arithmetic is `olsFit`'s (ols.ts). With `blocks` as well, see
 * difference-in-means-blocked.ts (design "Block-clustered").
 *
 * Errors (`AnalysisError`): a cluster holding both arms (estimatr: "All units within a cluster
 * must have the same treatment condition"), an arm with no one or a single person, fewer than two
 * clusters, NaN cells, and a constant outcome (SE 0).
 *
 * References:
 * - Bell, R. M. & McCaffrey, D. F. (2002). Bias reduction in standard errors for linear regression
 *   with multi-stage samples. Survey Methodology 28(2), 169–181.
 * - Pustejovsky, J. E. & Tipton, E. (2018). Small-sample methods for cluster-robust variance
 *   estimation and hypothesis testing in fixed effects models. Journal of Business & Economic
 *   Statistics 36(4), 672–683. doi:10.1080/07350015.2016.1247004
 * - Imbens, G. W. & Kolesár, M. (2016). Robust standard errors in small samples: some practical
 *   advice. Review of Economics and Statistics 98(4), 701–712. doi:10.1162/REST_a_00552
 */
import { AnalysisError, type EffectEstimate } from "../estimate.ts";
import { groupCodes } from "../linear-algebra.ts";
import { checkOutcomeAndTreatment } from "./difference-in-means.ts";
import { olsFit, olsTerm } from "./ols.ts";

export interface ClusteredOptions {
  level?: number;
  term?: string;
  outcome?: string;
}

/** Refuses a cluster that holds both arms; returns the number of clusters. */
export function checkClustersNested(z: ArrayLike<number>, clusters: ArrayLike<number | string>, outcome: string): number {
  const { codes, levels } = groupCodes(clusters);
  if (codes.length !== z.length) throw new AnalysisError(`${outcome}: ${codes.length} cluster labels for ${z.length} people`);
  const arm = new Int8Array(levels.length).fill(-1);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (arm[c] === -1) arm[c] = z[i];
    else if (arm[c] !== z[i]) throw new AnalysisError(`${outcome}: cluster ${levels[c]} holds both arms; all units within a cluster must have the same treatment`);
  }
  return levels.length;
}

/** The CR2 slope fit behind the clustered difference in means (also used per block). */
export function clusteredFit(y: ArrayLike<number>, z: ArrayLike<number>, clusters: ArrayLike<number | string>, outcome: string) {
  let n1 = 0;
  for (let i = 0; i < z.length; i++) n1 += z[i];
  const n0 = z.length - n1;
  if (n1 < 2 || n0 < 2) {
    throw new AnalysisError(`${outcome}: ${n1} treated and ${n0} control; every arm needs at least two people`);
  }
  const nClusters = checkClustersNested(z, clusters, outcome);
  const fit = olsFit(y, [Float64Array.from(z)], { names: ["z"], seType: "CR2", clusters, terms: ["z"], outcome });
  return { fit, nClusters };
}

export function differenceInMeansClustered(
  y: ArrayLike<number>,
  z: ArrayLike<number>,
  clusters: ArrayLike<number | string>,
  options: ClusteredOptions = {},
): EffectEstimate {
  const outcome = options.outcome ?? "outcome";
  checkOutcomeAndTreatment(y, z, outcome);
  const { fit } = clusteredFit(y, z, clusters, outcome);
  return olsTerm(fit, 1, "difference_in_means_clustered", options.level, options.term ?? "treatment vs control");
}
