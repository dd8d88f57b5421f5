/**
 * "For whom": the treatment effect inside each level of a pre-specified subgroup variable, and the
 * test of whether the effect differs between the levels.
 *
 * Subgroup effects: `differenceInMeans` (Neyman SE, Welch df) on the people of each level, as
 * `estimatr::difference_in_means(y ~ z, data = subset(d, g == level))`.
 *
 * Interaction test: OLS `y = β₀ + β₁ z + β₂ g + β₃ z·g + ε` with HC2 standard errors, the
 * `z:g` coefficient β₃ tested with N − 4 degrees of freedom, as
 * `estimatr::lm_robust(y ~ z * g, data, se_type = "HC2")` and its `z:g` row. β₃ is the difference
 * of the two subgroup effects. A subgroup variable with L > 2 levels enters as dummies for every
 * level but the first (sorted), each `z:g<level>` row is returned, and the test of "the effect
 * differs between the levels" is the joint Wald F test of all L − 1 interaction terms on
 * (L − 1, N − 2L) degrees of freedom (`waldFTest`; R: `car::linearHypothesis(fit, <z:g terms>,
 * test = "F")`), not any single row's t-test: its p-value is `interaction_p_value`, the one value
 * per subgroup variable that enters the Holm/BH family. With two levels it is the t-test's p.
 *
 * A level where the outcome is the same for everyone in each arm (a binary outcome nobody in a
 * small level reached, say) has a difference but no standard error: R reports it with SE 0 and no
 * test; here it is left out of `levels` with a warning that gives the difference. It still counts
 * in the interaction model, as in R.
 *
 * Errors (`AnalysisError`): a subgroup level with fewer than two people in an arm (its effect has
 * no variance — "a subgroup of one"), a subgroup variable with a single level, NaN cells, and the
 * errors of the estimators used (a singular interaction covariance: every level constant).
 *
 * References:
 * - Gerber, A. S. & Green, D. P. (2012). Field Experiments, ch. 9 (heterogeneous effects). Norton.
 * - Wang, R., Lagakos, S. W., Ware, J. H., Hunter, D. J. & Drazen, J. M. (2007). Statistics in
 *   medicine — reporting of subgroup analyses in clinical trials. New England Journal of Medicine
 *   357, 2189–2194. doi:10.1056/NEJMsr077003
 */
import { AnalysisError, type EffectEstimate } from "../estimate.ts";
import { checkOutcomeAndTreatment, differenceInMeans } from "./difference-in-means.ts";
import { olsFit, olsTerm } from "./ols.ts";
import { type WaldFTest, waldFTest } from "./wald-test.ts";

export interface SubgroupOptions {
  /** Name of the subgroup variable, used in terms and messages. */
  variable?: string;
  outcome?: string;
  level?: number;
}

export interface SubgroupAnalysis {
  variable: string;
  /** One effect per level, in sorted level order; a level without a standard error is left out (see `warnings`). */
  levels: { level: number | string; effect: EffectEstimate }[];
  /** The z:g interaction rows (one for a binary subgroup variable). */
  interactions: EffectEstimate[];
  /** The joint F test of every z:g row (with two levels F = t²). */
  interaction_test: WaldFTest;
  /** p-value of that joint test (with two levels the z:g t-test's): the one that enters the Holm/BH family. */
  interaction_p_value: number;
  /** Levels left out of `levels`, and why. */
  warnings: string[];
}

function sortedLevels(g: ArrayLike<number | string>): (number | string)[] {
  const set = [...new Set(Array.from(g))];
  return set.every((v) => typeof v === "number") ? (set as number[]).sort((a, b) => a - b) : set.map(String).sort();
}

export function subgroupAnalysis(
  y: ArrayLike<number>,
  z: ArrayLike<number>,
  g: ArrayLike<number | string>,
  options: SubgroupOptions = {},
): SubgroupAnalysis {
  const variable = options.variable ?? "g";
  const outcome = options.outcome ?? "outcome";
  checkOutcomeAndTreatment(y, z, outcome);
  if (g.length !== y.length) throw new AnalysisError(`${outcome}: subgroup ${variable} has ${g.length} values, the outcome ${y.length}`);
  for (let i = 0; i < g.length; i++) {
    const v = g[i];
    if (v === null || v === undefined || (typeof v === "number" && !Number.isFinite(v)) || v === "") {
      throw new AnalysisError(`${outcome}: subgroup ${variable} is missing at row ${i}`);
    }
  }
  const levels = sortedLevels(g);
  if (levels.length < 2) throw new AnalysisError(`${outcome}: subgroup ${variable} has a single level (${levels[0]})`);
  const warnings: string[] = [];
  const byLevel: SubgroupAnalysis["levels"] = [];
  for (const level of levels) {
    const idx: number[] = [];
    for (let i = 0; i < g.length; i++) if (g[i] === level) idx.push(i);
    const yl = Float64Array.from(idx, (i) => y[i]);
    const zl = Float64Array.from(idx, (i) => z[i]);
    let n1 = 0;
    for (const t of zl) n1 += t;
    const n0 = zl.length - n1;
    if (n1 < 2 || n0 < 2) {
      throw new AnalysisError(`${outcome}: subgroup ${variable} = ${level} has ${n1} treated and ${n0} control; need at least 2 in each arm`);
    }
    const constant = constantWithinArms(yl, zl);
    if (constant !== null) {
      warnings.push(
        `${outcome}: subgroup ${variable} = ${level}: the outcome is ${short(constant.treated)} for everyone treated and ${short(constant.control)} for everyone in control ` +
          `(difference ${short(constant.treated - constant.control)}); no standard error, so no effect row for this level (it still counts in the interaction test)`,
      );
      continue;
    }
    byLevel.push({ level, effect: differenceInMeans(yl, zl, { outcome, level: options.level, term: `treatment vs control | ${variable} = ${level}` }) });
  }
  const zc = Float64Array.from(z as ArrayLike<number>);
  const dummies = levels.slice(1).map((level) => Float64Array.from({ length: g.length }, (_, i) => (g[i] === level ? 1 : 0)));
  const names = levels.length === 2 ? [variable] : levels.slice(1).map((l) => `${variable}${l}`);
  const inter = dummies.map((d) => Float64Array.from(d, (v, i) => v * zc[i]));
  const interNames = names.map((nm) => `z:${nm}`);
  const fit = olsFit(y, [zc, ...dummies, ...inter], {
    names: ["z", ...names, ...interNames],
    seType: "HC2",
    terms: interNames,
    covariance: true,
    outcome,
  });
  const interactions = interNames.map((nm) => olsTerm(fit, fit.names.indexOf(nm), "lm_robust", options.level));
  const test = waldFTest(fit, interNames, `${outcome}: subgroup ${variable}`);
  const p = interactions.length === 1 ? interactions[0].p_value : test.p_value;
  return { variable, levels: byLevel, interactions, interaction_test: test, interaction_p_value: p, warnings };
}

/** Six significant digits, never a long run of digits (a warning is text people and privacy scanners read). */
const short = (x: number): string => (Math.abs(x) < 1e6 ? String(Number(x.toPrecision(6))) : x.toPrecision(6));

/** The outcome's one value in each arm when it is constant within both, else null. */
function constantWithinArms(y: ArrayLike<number>, z: ArrayLike<number>): { treated: number; control: number } | null {
  const first: [number, number] = [NaN, NaN];
  for (let i = 0; i < y.length; i++) {
    const arm = z[i] === 1 ? 0 : 1;
    if (Number.isNaN(first[arm])) first[arm] = y[i];
    else if (y[i] !== first[arm]) return null;
  }
  return { treated: first[0], control: first[1] };
}
