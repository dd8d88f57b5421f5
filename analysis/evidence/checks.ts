/**
 * The checks an evidence package reports next to the effects, run per outcome and contrast by
 * `runPlan`: baseline balance (WWC Hedges' g bands), attrition (WWC boundary, cautious and
 * optimistic) with Lee (2009) bounds where the arms' observed shares differ, effects by site with
 * the random-effects meta-analysis (REML, z test: `metafor::rma(yi, sei = sei)`), and the
 * summaries per outcome and arm that the CONSORT flow and the cost-effectiveness read.
 *
 * A check that cannot be computed on these data (a constant covariate, a site with one person in
 * an arm) does not stop the analysis: it is skipped with a warning naming the covariate, site or
 * outcome, and the warning reaches `evidence.json`.
 */
import type { Protocol } from "../../protocols/index.ts";
import { AnalysisError } from "../estimate.ts";
import { attrition } from "../estimators/attrition.ts";
import { covariateBalance } from "../estimators/balance.ts";
import { differenceInMeans } from "../estimators/difference-in-means.ts";
import { leeBounds } from "../estimators/lee-bounds.ts";
import { metaAnalysis } from "../estimators/meta-analysis.ts";
import type { AttritionRow, BalanceRow, OutcomeSummary, SiteEffects } from "./schema.ts";

/** Why a check was skipped: the analysis error's message, anything else rethrown. */
function skipped(error: unknown): string {
  if (error instanceof AnalysisError) return error.message;
  throw error;
}

/**
 * Balance of every numeric, integer and boolean covariate, and of every level of a category
 * covariate (as a 0/1 indicator), each arm against control, over the participants in `sample`
 * (1 = included) whose covariate value is present.
 */
export function balanceRows(
  protocol: Protocol,
  columns: ReadonlyMap<string, Float64Array | readonly (string | null)[]>,
  armIndex: Int8Array,
  armIds: readonly string[],
  control: number,
  sample: { name: string; include: Uint8Array },
  warnings: string[],
): BalanceRow[] {
  const rows: BalanceRow[] = [];
  const n = armIndex.length;
  const run = (covariate: string, level: string | null, x: Float64Array, kind: "continuous" | "binary" | "auto") => {
    const include = new Uint8Array(n);
    let missing = 0;
    for (let i = 0; i < n; i++) {
      if (!sample.include[i]) continue;
      if (Number.isNaN(x[i])) missing++;
      else include[i] = 1;
    }
    const name = level === null ? covariate : `${covariate}=${level}`;
    if (missing > 0 && level === null) warnings.push(`balance (${sample.name}): covariate ${covariate} is missing for ${missing} participants, left out of its balance check`);
    for (let k = 0; k < armIds.length; k++) {
      if (k === control) continue;
      try {
        const b = covariateBalance(x, armIndex, { covariate: name, treatment: k, control, armNames: armIds, kind, sample: include });
        rows.push({
          covariate, level, sample: sample.name, kind: b.kind, arm: b.arm, control: b.control,
          n_treatment: b.n_treatment, n_control: b.n_control, mean_treatment: b.mean_treatment, mean_control: b.mean_control,
          standardized_difference: b.standardized_difference, hedges_g: b.hedges_g, band: b.band,
        });
      } catch (error) {
        warnings.push(`balance (${sample.name}): ${skipped(error)}; not checked`);
      }
    }
  };
  for (const c of protocol.covariates) {
    const column = columns.get(c.id);
    if (!column) continue;
    if (c.type === "number" || c.type === "integer" || c.type === "boolean") {
      const x = column instanceof Float64Array ? column : Float64Array.from(column, (v) => (v === null || v === "" ? NaN : v === "true" ? 1 : v === "false" ? 0 : Number(v)));
      run(c.id, null, x, c.type === "boolean" ? "binary" : "auto");
    } else if (c.type === "category") {
      const values = column instanceof Float64Array ? Array.from(column, (v) => (Number.isNaN(v) ? null : String(v))) : column;
      const levels = c.levels.map((l) => (typeof l === "string" ? l : l.value));
      for (const level of levels) {
        run(c.id, level, Float64Array.from(values, (v) => (v === null || v === "" ? NaN : v === level ? 1 : 0)), "binary");
      }
    }
  }
  return rows;
}

/**
 * Attrition of one outcome for one arm against control, with Lee bounds when the observed shares
 * differ (and the outcome has values, not a time to event).
 */
export function attritionRow(
  outcome: string,
  y: Float64Array | null,
  observed: Uint8Array,
  armIndex: Int8Array,
  armIds: readonly string[],
  arm: number,
  control: number,
  level: number,
  warnings: string[],
): AttritionRow {
  const a = attrition(observed, armIndex, { outcome, treatment: arm, control, armNames: armIds });
  let lee: AttritionRow["lee_bounds"] = null;
  if (y !== null && a.differential > 0) {
    try {
      const b = leeBounds(y, armIndex, { outcome, treatment: arm, control, armNames: armIds, level });
      lee = {
        trimmed_arm: b.trimmed_arm,
        trimming_proportion: b.trimming_proportion,
        lower: { estimate: b.lower.estimate, std_error: b.lower.std_error },
        upper: { estimate: b.upper.estimate, std_error: b.upper.std_error },
        ci_lower: b.ci_lower,
        ci_upper: b.ci_upper,
      };
    } catch (error) {
      warnings.push(`Lee bounds: ${skipped(error)}; not computed`);
    }
  }
  return {
    outcome, contrast: `${a.arm} vs ${a.control}`, arm: a.arm, control: a.control,
    randomized_treatment: a.randomized_treatment, randomized_control: a.randomized_control,
    observed_treatment: a.observed_treatment, observed_control: a.observed_control,
    attrition_treatment: a.attrition_treatment, attrition_control: a.attrition_control,
    overall: a.overall, differential: a.differential, cautious: a.cautious, optimistic: a.optimistic,
    lee_bounds: lee,
  };
}

/**
 * The difference in means at each site (participants with an observed outcome), pooled by REML
 * random effects. Sites with fewer than two people in an arm, or a constant outcome, are left out
 * with a warning; with fewer than two sites left there is no meta-analysis.
 */
export function siteEffects(
  outcome: string,
  y: Float64Array,
  armIndex: Int8Array,
  armIds: readonly string[],
  arm: number,
  control: number,
  site: readonly (string | null)[],
  siteOrder: readonly string[],
  level: number,
  warnings: string[],
): SiteEffects | null {
  const bySite = new Map<string, number[]>();
  for (let i = 0; i < y.length; i++) {
    if (Number.isNaN(y[i]) || (armIndex[i] !== arm && armIndex[i] !== control)) continue;
    const s = site[i];
    if (s === null) continue;
    let list = bySite.get(s);
    if (!list) bySite.set(s, (list = []));
    list.push(i);
  }
  if (bySite.size < 2) return null;
  const order = [...siteOrder.filter((s) => bySite.has(s)), ...[...bySite.keys()].filter((s) => !siteOrder.includes(s)).sort()];
  const contrast = `${armIds[arm]} vs ${armIds[control]}`;
  const sites: SiteEffects["sites"] = [];
  for (const s of order) {
    const idx = bySite.get(s)!;
    try {
      const e = differenceInMeans(
        Float64Array.from(idx, (i) => y[i]),
        Uint8Array.from(idx, (i) => (armIndex[i] === arm ? 1 : 0)),
        { outcome: `${outcome} at site ${s}`, term: contrast, level },
      );
      sites.push({ site: s, estimate: e.estimate, std_error: e.std_error, ci_lower: e.ci_lower, ci_upper: e.ci_upper, n: e.n });
    } catch (error) {
      warnings.push(`effects by site (${contrast}): ${skipped(error)}; site left out`);
    }
  }
  let meta: SiteEffects["meta"] = null;
  if (sites.length >= 2) {
    try {
      const m = metaAnalysis(sites.map((s) => s.estimate), sites.map((s) => s.std_error ** 2), { method: "REML", level, term: contrast, labels: sites.map((s) => s.site) });
      meta = {
        method: "REML", estimate: m.pooled.estimate, std_error: m.pooled.std_error, ci_lower: m.pooled.ci_lower, ci_upper: m.pooled.ci_upper,
        p_value: m.pooled.p_value, tau2: m.tau2, se_tau2: m.se_tau2, I2: m.I2, H2: m.H2, Q: m.Q, Q_df: m.Q_df, Q_p_value: m.Q_p_value,
        prediction_lower: m.prediction_lower, prediction_upper: m.prediction_upper,
      };
      for (const w of m.pooled.warnings) warnings.push(`effects by site (${outcome}, ${contrast}): ${w}`);
    } catch (error) {
      warnings.push(`effects by site (${outcome}, ${contrast}): ${skipped(error)}`);
    }
  }
  return { outcome, contrast, arm: armIds[arm], control: armIds[control], sites, meta };
}

/** Randomized, observed, mean and SD (n − 1) of an outcome in each arm. */
export function outcomeSummaries(outcome: string, y: Float64Array, armIndex: Int8Array, armIds: readonly string[]): OutcomeSummary[] {
  return armIds.map((arm, k) => {
    let randomized = 0, observed = 0, sum = 0;
    for (let i = 0; i < y.length; i++) {
      if (armIndex[i] !== k) continue;
      randomized++;
      if (!Number.isNaN(y[i])) (observed++, (sum += y[i]));
    }
    const mean = observed > 0 ? sum / observed : null;
    let ss = 0;
    if (mean !== null) for (let i = 0; i < y.length; i++) if (armIndex[i] === k && !Number.isNaN(y[i])) ss += (y[i] - mean) ** 2;
    return { outcome, arm, randomized, observed, mean, sd: observed > 1 ? Math.sqrt(ss / (observed - 1)) : null };
  });
}
