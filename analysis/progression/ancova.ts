/**
 * Change at a planned week by ANCOVA: the follow-up score regressed on arm, adjusted for the
 * baseline score (and the design's strata as fixed effects), with HC2 standard errors, as
 *
 *     estimatr::lm_robust(y_w ~ arm + y_0 + factor(stratum), data = completers, se_type = "HC2")
 *
 * where arm is a factor with the control arm as reference, so each non-control arm's coefficient
 * is its effect on the week-w score against the control. OLS, HC2 and df = N − k are those of
 * `olsFit` (analysis/estimators/ols.ts). Adjusting for the baseline score rather than analysing
 * the change y_w − y_0 is the more efficient of the two in a randomized trial (Vickers & Altman
 * 2001; Frison & Pocock 1992), and unbiased whatever the baseline–follow-up correlation.
 *
 * Uses completers: participants scored both at week 0 and at week w (the rest are counted in a
 * warning). `progressionAncova` runs it for every factor and the total of a panel, and adjusts the
 * factors' p-values over the family of factors (Holm by default; per arm contrast), as
 * `p.adjust(p, "holm")`. The total is the primary progression measure and is not in the family.
 *
 * Errors (`AnalysisError`): an arm with no completers, lengths that differ, and those of `olsFit`
 * (a constant outcome, leverage 1 under HC2).
 *
 * References:
 * - Frison, L. & Pocock, S. J. (1992). Repeated measures in clinical trials: analysis using mean
 *   summary statistics and its implications for design. Statistics in Medicine 11(13),
 *   1685–1704. doi:10.1002/sim.4780111304
 * - Vickers, A. J. & Altman, D. G. (2001). Analysing controlled trials with baseline and follow up
 *   measurements. BMJ 323, 1123–1124. doi:10.1136/bmj.323.7321.1123
 * - MacKinnon, J. G. & White, H. (1985). doi:10.1016/0304-4076(85)90158-7 (HC2)
 */
import { AnalysisError, tBasedEstimate } from "../estimate.ts";
import { olsFit } from "../estimators/ols.ts";
import { benjaminiHochberg, holm } from "../multiplicity.ts";
import type { ProgressionPanel } from "./panel.ts";
import { ASSUMPTIONS, TOTAL, type ProgressionEffect } from "./result.ts";

export interface AncovaOptions {
  control: string;
  /** The non-control arms to report, in order; default every other arm in order of appearance. */
  arms?: string[];
  /** The design's stratum per participant: fixed effects when given. */
  strata?: ArrayLike<string>;
  measure?: string;
  week?: number;
  level?: number;
}

export function ancova(followUp: ArrayLike<number>, baseline: ArrayLike<number>, arm: ArrayLike<string>, options: AncovaOptions): ProgressionEffect[] {
  const n = arm.length;
  const measure = options.measure ?? TOTAL;
  const week = options.week ?? NaN;
  const what = `${measure}${Number.isNaN(week) ? "" : `, week ${week}`}`;
  if (followUp.length !== n || baseline.length !== n) throw new AnalysisError(`${what}: ${followUp.length} follow-up and ${baseline.length} baseline scores for ${n} participants`);
  const strata = options.strata;
  if (strata && strata.length !== n) throw new AnalysisError(`${what}: ${strata.length} strata for ${n} participants`);
  const arms = options.arms ?? [...new Set(Array.from(arm))].filter((a) => a !== options.control);
  const code = new Map<string, number>([[options.control, 0], ...arms.map((a, j) => [a, j + 1] as [string, number])]);
  // One pass for the completers and the strata present among them, one to fill the columns.
  let m = 0;
  const levelSet = new Set<string>();
  for (let i = 0; i < n; i++) {
    if (!code.has(arm[i])) throw new AnalysisError(`${what}: arm ${arm[i]} is neither the control nor among the arms to report`);
    if (Number.isFinite(followUp[i]) && Number.isFinite(baseline[i])) {
      m++;
      if (strata) levelSet.add(strata[i]);
    }
  }
  // Strata as R's factor(): levels in sorted order, the first the reference.
  const levels = [...levelSet].sort();
  const levelIndex = new Map(levels.map((l, j) => [l, j]));
  const y = new Float64Array(m);
  const y0 = new Float64Array(m);
  const armColumns = arms.map(() => new Float64Array(m));
  const stratumColumns = levels.slice(1).map(() => new Float64Array(m));
  const seen = new Int32Array(arms.length + 1);
  for (let i = 0, r = 0; i < n; i++) {
    if (!(Number.isFinite(followUp[i]) && Number.isFinite(baseline[i]))) continue;
    y[r] = followUp[i];
    y0[r] = baseline[i];
    const c = code.get(arm[i])!;
    seen[c]++;
    if (c > 0) armColumns[c - 1][r] = 1;
    if (strata) {
      const s = levelIndex.get(strata[i])!;
      if (s > 0) stratumColumns[s - 1][r] = 1;
    }
    r++;
  }
  const unmeasured = [options.control, ...arms].filter((_, c) => seen[c] === 0);
  if (unmeasured.length > 0) {
    throw new AnalysisError(`${what}: no one in ${unmeasured.join(", ")} measured both at baseline and at the week (yet)`);
  }
  const columns = [...armColumns, y0, ...stratumColumns];
  const names = [...arms.map((a) => `arm${a}`), "baseline", ...levels.slice(1).map((l) => `stratum${l}`)];
  const fit = olsFit(y, columns, { names, seType: "HC2", terms: arms.map((_, j) => j + 1), outcome: what });
  const dropped = n - m;
  const warnings = [...fit.warnings];
  if (dropped > 0) warnings.push(`${what}: ${dropped} of ${n} not measured both at baseline and at the week (completers only)`);
  return arms.map((a, j) => ({
    ...tBasedEstimate({
      estimator: "ancova",
      term: `${a} vs ${options.control}`,
      estimate: fit.coefficients[j + 1],
      std_error: fit.std_errors[j + 1],
      df: fit.df[j + 1],
      n: fit.n,
      se_type: "HC2",
      level: options.level,
      warnings,
    }),
    measure,
    week,
    arm: a,
    control: options.control,
    p_adjusted: null,
    adjustment: null,
    assumption: ASSUMPTIONS.ancova,
  }));
}

export interface ProgressionAncovaOptions {
  week: number;
  control: string;
  arms?: string[];
  /** Adjust for the panel's strata (default true when the panel has them). */
  strata?: boolean;
  multiplicity?: "holm" | "bh";
  level?: number;
}

/** ANCOVA at one planned week for every factor and the total; factors' p-values adjusted per arm. */
export function progressionAncova(panel: ProgressionPanel, options: ProgressionAncovaOptions): ProgressionEffect[] {
  const K = panel.weeks.length;
  const k0 = panel.weeks.indexOf(0);
  const kw = panel.weeks.indexOf(options.week);
  if (k0 < 0) throw new AnalysisError(`progression: week 0 (the baseline) is not a planned week`);
  if (kw < 0 || kw === k0) throw new AnalysisError(`progression: week ${options.week} is not a planned follow-up week (planned: ${panel.weeks.join(", ")})`);
  const strata = options.strata === false ? undefined : panel.strata;
  const out: ProgressionEffect[] = [];
  for (const measure of panel.measures) {
    const values = panel.scores[measure];
    const P = panel.participants.length;
    const y = Float64Array.from({ length: P }, (_, i) => values[i * K + kw]);
    const y0 = Float64Array.from({ length: P }, (_, i) => values[i * K + k0]);
    out.push(...ancova(y, y0, panel.arm, { control: options.control, arms: options.arms, strata, measure, week: options.week, level: options.level }));
  }
  const method = options.multiplicity ?? "holm";
  const adjust = method === "holm" ? holm : benjaminiHochberg;
  for (const arm of new Set(out.map((e) => e.arm))) {
    const family = out.filter((e) => e.arm === arm && e.measure !== TOTAL);
    const adjusted = adjust(family.map((e) => e.p_value));
    family.forEach((e, j) => {
      e.p_adjusted = adjusted[j];
      e.adjustment = method;
    });
  }
  return out;
}
