/**
 * Block-randomized difference in means, as
 * `estimatr::difference_in_means(y ~ z, blocks = block, data)` (and with `clusters =`), including
 * its matched-pair case and its degrees-of-freedom rules. With B blocks of N_b people (N in all)
 * and τ̂_b the difference in means inside block b:
 *
 *     τ̂ = Σ_b (N_b / N) τ̂_b
 *
 * "Blocked" (every block has more than two units): SE² = Σ_b (N_b/N)² SE_b², SE_b the Neyman
 * (Welch) SE inside block b; df = N − 2B. Every block needs at least two treated and two control.
 *
 * "Matched-pair" (any block has exactly two units; if other blocks are larger estimatr warns and
 * still uses this, and so does this function, with the same warning):
 *     SE² = 1 / (B (B − 1)) · Σ_b (τ̂_b − τ̂)²,   df = B − 1.
 *
 * With clusters (each cluster inside one block and one arm), counting clusters per block:
 * "Block-clustered": SE_b is the CR2 SE of the block's slope, df = (number of clusters) − 2B;
 * "Matched-pair clustered" (blocks of two clusters):
 *     SE² = B / ((B − 1) N²) · Σ_b (N_b τ̂_b − N τ̂ / B)²,   df = B − 1.
 *
 * Blocks (and clusters) are integer codes or strings. One pass gathers the block sums, one more the
 * within-block sums of squares; no per-row objects.
 *
 * Errors (`AnalysisError`): a block with a single unit (or cluster), a block missing an arm (named),
 * outside matched pairs a block with fewer than two treated or control (named), a cluster in two
 * blocks or two arms, NaN cells, a constant outcome (SE 0). Warning: the mixed pair/larger case.
 *
 * References:
 * - Gerber, A. S. & Green, D. P. (2012). Field Experiments, eq. 3.12 (blocked) and 3.16 (pairs).
 * - Imai, K., King, G. & Nall, C. (2009). The essential role of pair matching in cluster-randomized
 *   experiments. Statistical Science 24(1), 29–53. doi:10.1214/08-STS274
 * - Blair, G., Cooper, J., Coppock, A., Humphreys, M. & Sonnet, L. estimatr: Fast Estimators for
 *   Design-Based Inference, "Mathematical notes". https://declaredesign.org/r/estimatr/
 */
import { AnalysisError, tBasedEstimate, type EffectEstimate } from "../estimate.ts";
import { groupCodes } from "../linear-algebra.ts";
import { checkOutcomeAndTreatment } from "./difference-in-means.ts";
import { clusteredFit } from "./difference-in-means-clustered.ts";

export interface BlockedOptions {
  clusters?: ArrayLike<number | string>;
  level?: number;
  term?: string;
  outcome?: string;
}

export function differenceInMeansBlocked(
  y: ArrayLike<number>,
  z: ArrayLike<number>,
  blocks: ArrayLike<number | string>,
  options: BlockedOptions = {},
): EffectEstimate {
  const outcome = options.outcome ?? "outcome";
  checkOutcomeAndTreatment(y, z, outcome);
  const n = y.length;
  if (blocks.length !== n) throw new AnalysisError(`${outcome}: ${blocks.length} block labels for ${n} people`);
  const { codes, levels } = groupCodes(blocks);
  const B = levels.length;
  const n0 = new Float64Array(B), n1 = new Float64Array(B), s0 = new Float64Array(B), s1 = new Float64Array(B);
  for (let i = 0; i < n; i++) {
    const b = codes[i];
    if (z[i] === 1) { n1[b]++; s1[b] += y[i]; } else { n0[b]++; s0[b] += y[i]; }
  }
  const clusters = options.clusters;
  // Units (or clusters) per block decide the design.
  let perBlock: Float64Array;
  let clusterCodes: Int32Array | undefined;
  if (clusters) {
    if (clusters.length !== n) throw new AnalysisError(`${outcome}: ${clusters.length} cluster labels for ${n} people`);
    const g = groupCodes(clusters);
    clusterCodes = g.codes;
    const blockOf = new Int32Array(g.levels.length).fill(-1);
    perBlock = new Float64Array(B);
    for (let i = 0; i < n; i++) {
      const c = g.codes[i];
      if (blockOf[c] === -1) { blockOf[c] = codes[i]; perBlock[codes[i]]++; }
      else if (blockOf[c] !== codes[i]) throw new AnalysisError(`${outcome}: cluster ${g.levels[c]} lies in blocks ${levels[blockOf[c]]} and ${levels[codes[i]]}; clusters must be contained within blocks`);
    }
  } else {
    perBlock = Float64Array.from(n0, (v, b) => v + n1[b]);
  }
  const unit = clusters ? "clusters" : "units";
  for (let b = 0; b < B; b++) {
    if (perBlock[b] === 1) throw new AnalysisError(`${outcome}: block ${levels[b]} has a single ${unit === "units" ? "unit" : "cluster"}; all blocks must have multiple ${unit}`);
  }
  let anyTwo = false, anyMore = false;
  for (let b = 0; b < B; b++) { if (perBlock[b] === 2) anyTwo = true; else anyMore = true; }
  const pairMatched = anyTwo;
  const warnings: string[] = [];
  if (anyTwo && anyMore) {
    warnings.push(`${outcome}: some blocks have two ${unit} while others have more; the matched-pairs variance estimator is used for all blocks`);
  }
  const tau = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    if (n1[b] === 0 || n0[b] === 0) throw new AnalysisError(`${outcome}: block ${levels[b]} has no ${n1[b] === 0 ? "treated" : "control"} units; every block needs both arms`);
    if (!pairMatched && (n1[b] === 1 || n0[b] === 1)) {
      throw new AnalysisError(`${outcome}: block ${levels[b]} has ${n1[b]} treated and ${n0[b]} control; outside matched pairs every block needs at least two of each`);
    }
    tau[b] = s1[b] / n1[b] - s0[b] / n0[b];
  }
  let estimate = 0;
  for (let b = 0; b < B; b++) estimate += ((n0[b] + n1[b]) / n) * tau[b];

  let variance: number;
  let df: number;
  let seType: string;
  if (pairMatched) {
    if (B < 2) throw new AnalysisError(`${outcome}: a single matched pair has no variance estimate`);
    let ss = 0;
    if (!clusters) {
      for (let b = 0; b < B; b++) ss += (tau[b] - estimate) ** 2;
      variance = ss / (B * (B - 1));
      seType = "matched_pair";
    } else {
      for (let b = 0; b < B; b++) ss += ((n0[b] + n1[b]) * tau[b] - (n * estimate) / B) ** 2;
      variance = (B / ((B - 1) * n * n)) * ss;
      seType = "matched_pair_clustered";
    }
    df = B - 1;
  } else if (!clusters) {
    const m0 = Float64Array.from(s0, (s, b) => s / n0[b]);
    const m1 = Float64Array.from(s1, (s, b) => s / n1[b]);
    const ss0 = new Float64Array(B), ss1 = new Float64Array(B);
    for (let i = 0; i < n; i++) {
      const b = codes[i];
      if (z[i] === 1) { const d = y[i] - m1[b]; ss1[b] += d * d; } else { const d = y[i] - m0[b]; ss0[b] += d * d; }
    }
    variance = 0;
    for (let b = 0; b < B; b++) {
      const w = (n0[b] + n1[b]) / n;
      variance += w * w * (ss1[b] / (n1[b] - 1) / n1[b] + ss0[b] / (n0[b] - 1) / n0[b]);
    }
    df = n - 2 * B;
    seType = "neyman_blocked";
  } else {
    // Block-clustered: the CR2 SE of each block's slope.
    const rows: number[][] = Array.from({ length: B }, () => []);
    for (let i = 0; i < n; i++) rows[codes[i]].push(i);
    variance = 0;
    let nClusters = 0;
    for (let b = 0; b < B; b++) {
      const idx = rows[b];
      const yb = Float64Array.from(idx, (i) => y[i]);
      const zb = Float64Array.from(idx, (i) => z[i]);
      const cb = Int32Array.from(idx, (i) => clusterCodes![i]);
      const { fit, nClusters: k } = clusteredFit(yb, zb, cb, `${outcome} (block ${levels[b]})`);
      nClusters += k;
      const w = idx.length / n;
      variance += w * w * fit.std_errors[1] ** 2;
    }
    df = nClusters - 2 * B;
    seType = "CR2_blocked";
  }
  if (!(variance > 0)) throw new AnalysisError(`${outcome}: the standard error is 0 (a constant outcome within blocks); the test is undefined`);
  return tBasedEstimate({
    estimator: "difference_in_means_blocked",
    term: options.term ?? "treatment vs control",
    estimate,
    std_error: Math.sqrt(variance),
    df,
    n,
    se_type: seType,
    level: options.level,
    warnings,
  });
}
