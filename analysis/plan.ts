/**
 * Runs a protocol's pre-registered analysis plan on a flat participant data set and returns the
 * contents of `evidence.json`. Pure: the data arrive as columns, nothing is read or written here.
 *
 * The data set has one row per participant: `arm` (the arm ids of the protocol), optionally `site`,
 * the baseline covariates, and one column per outcome (its `column`, default its id); a
 * time-to-event outcome has two columns (`<id>_time` and `<id>_event`, or its declared `columns`).
 *
 * For each outcome and each contrast (every arm against the control arm), the plan's estimators
 * run on the participants with an observed outcome; subgroup effects (difference in means inside
 * each level) and their interaction tests (`lm_robust(y ~ t * g, se_type = "HC2")`) run for every
 * pre-specified subgroup, with Holm and Benjamini–Hochberg over the family of subgroup variables;
 * survival outcomes get Kaplan–Meier curves per arm, the k-arm log-rank test, restricted means and
 * Cox hazard ratios; the primary outcome's contrasts get randomization inference that re-runs the
 * trial's own design.
 */
import {
  outcomeColumns,
  outcomeEstimators,
  subgroupId,
  subgroupLevelOf,
  subgroupLevels,
  type Outcome,
  type Protocol,
} from "../protocols/index.ts";
import { AnalysisError, type EffectEstimate } from "./estimate.ts";
import { coxPH } from "./estimators/cox.ts";
import { differenceInMeans, riskDifference } from "./estimators/difference-in-means.ts";
import { differenceInMeansBlocked } from "./estimators/difference-in-means-blocked.ts";
import { differenceInMeansClustered } from "./estimators/difference-in-means-clustered.ts";
import { subgroupAnalysis } from "./estimators/interaction.ts";
import { kaplanMeier, survivalAt } from "./estimators/kaplan-meier.ts";
import { lmLin, type Covariate } from "./estimators/lm-lin.ts";
import { logrank } from "./estimators/logrank.ts";
import { restrictedMean, rmstDifference } from "./estimators/rmst.ts";
import { riskRatio } from "./estimators/risk-ratio.ts";
import {
  EVIDENCE_SCHEMA_VERSION,
  type Evidence,
  type HeterogeneityRow,
  type AttritionRow,
  type BalanceRow,
  type OutcomeSummary,
  type RandomizationInference,
  type ResultRow,
  type SiteEffects,
  type SurvivalSummary,
} from "./evidence/schema.ts";
import { benjaminiHochberg, holm } from "./multiplicity.ts";
import { combineRandomizationCounts, randomizationCounts, type RandomizationCounts } from "./randomization-inference.ts";
import { attritionRow, balanceRows, outcomeSummaries, siteEffects } from "./evidence/checks.ts";
import { iv2sls } from "./estimators/iv-2sls.ts";

export type DataColumn = Float64Array | readonly (string | null)[];

export interface DataSet {
  rows: number;
  columns: ReadonlyMap<string, DataColumn>;
}

export interface PlanOptions {
  /** The protocol's canonical hash, recorded in the evidence. */
  protocolHash?: string;
  /** SHA-256 of the data file, recorded in the evidence. */
  dataSha256?: string | null;
  /** Seed of the randomization-inference draws (default 1). */
  seed?: number;
  /** Override the plan's number of randomization-inference draws (0 skips it). */
  draws?: number;
  /** Independent streams the draws are split over (default 1; see randomization-inference.ts). */
  riStreams?: number;
  /** The streams' counts, computed elsewhere (in parallel); must match draws, seed and riStreams. */
  riCounts?: RandomizationCounts[];
}

const SCALES: Record<string, string> = {
  difference_in_means: "difference in means",
  lm_lin: "covariate-adjusted difference in means (Lin 2013)",
  risk_difference: "risk difference",
  risk_ratio: "risk ratio",
  rmst_difference: "difference in restricted mean survival time",
  cox_hazard_ratio: "hazard ratio",
  cace_2sls: "complier average causal effect (2SLS)",
};

function numeric(data: DataSet, name: string, what: string): Float64Array {
  const column = data.columns.get(name);
  if (!column) throw new AnalysisError(`${what}: the data have no column ${name}`);
  if (column instanceof Float64Array) return column;
  const out = new Float64Array(data.rows);
  for (let i = 0; i < data.rows; i++) {
    const v = column[i];
    out[i] = v === null || v === "" ? NaN : v === "true" ? 1 : v === "false" ? 0 : Number(v);
    if (v !== null && v !== "" && Number.isNaN(out[i])) throw new AnalysisError(`${what}: column ${name} row ${i + 2} is not a number: ${JSON.stringify(v)}`);
  }
  return out;
}

function text(data: DataSet, name: string): (string | null)[] | null {
  const column = data.columns.get(name);
  if (!column) return null;
  if (column instanceof Float64Array) return Array.from(column, (v) => (Number.isNaN(v) ? null : String(v)));
  return [...column];
}

function value(data: DataSet, name: string, i: number): string | number | null {
  const column = data.columns.get(name);
  if (!column) return null;
  const v = column[i];
  return typeof v === "number" ? (Number.isNaN(v) ? null : v) : v;
}

function row(outcome: string, arm: string, control: string, subgroup: ResultRow["subgroup"], estimator: string, e: EffectEstimate): ResultRow {
  return {
    outcome,
    contrast: `${arm} vs ${control}`,
    arm,
    control,
    subgroup,
    estimator,
    scale: SCALES[estimator] ?? estimator,
    estimate: e.estimate,
    std_error: e.std_error,
    ci_lower: e.ci_lower,
    ci_upper: e.ci_upper,
    p_value: e.p_value,
    df: e.df,
    n: e.n,
    se_type: e.se_type,
    warnings: e.warnings,
  };
}

export function runPlan(protocol: Protocol, data: DataSet, options: PlanOptions = {}): Evidence {
  const warnings: string[] = [];
  const arms = text(data, "arm");
  if (!arms) throw new AnalysisError("the data have no arm column");
  const control = protocol.arms.find((a) => a.control)!.id;
  const armIds = protocol.arms.map((a) => a.id);
  arms.forEach((a, i) => {
    if (a === null || !armIds.includes(a)) throw new AnalysisError(`arm: row ${i + 2} has ${JSON.stringify(a)}, not one of the protocol's arms (${armIds.join(", ")})`);
  });
  const treated = armIds.filter((a) => a !== control);
  for (const a of armIds) if (!arms.includes(a)) throw new AnalysisError(`arm ${a}: no participant in the data`);

  const { blocks, clusters } = designStructure(protocol, data, warnings);

  const results: ResultRow[] = [];
  const heterogeneity: HeterogeneityRow[] = [];
  const survival: SurvivalSummary[] = [];
  const randomization_inference: RandomizationInference[] = [];
  const attritionRows: AttritionRow[] = [];
  const site_effects: SiteEffects[] = [];
  const outcome_summaries: OutcomeSummary[] = [];
  const level = 1 - protocol.analysis.alpha;
  const armIndex = Int8Array.from(arms, (a) => armIds.indexOf(a!));
  const controlIndex = armIds.indexOf(control);
  const siteColumn = text(data, "site");
  const multiSite = siteColumn !== null && new Set(siteColumn.filter((s) => s !== null)).size >= 2;
  // Each participant's level of each subgroup, found once (not per outcome and contrast).
  const subgroupCache = new Map<string, (string | undefined)[]>();
  const subgroupLevelsOf = (subgroup: Protocol["subgroups"][number]) => {
    const id = subgroupId(subgroup);
    let levels = subgroupCache.get(id);
    if (!levels) {
      const column = data.columns.get(subgroup.variable);
      levels = Array.from({ length: data.rows }, (_, i) => {
        const v = column?.[i];
        return subgroupLevelOf(subgroup, typeof v === "number" && Number.isNaN(v) ? null : v);
      });
      subgroupCache.set(id, levels);
    }
    return levels;
  };
  const received = protocol.analysis.compliance ? numeric(data, protocol.analysis.compliance.column, "compliance") : null;

  // Baseline balance over everyone randomized, and over the primary outcome's analytic sample when
  // some are missing (the WWC judges equivalence there when attrition is high).
  const balance: BalanceRow[] = balanceRows(protocol, data.columns, armIndex, armIds, controlIndex, { name: "randomized", include: new Uint8Array(data.rows).fill(1) }, warnings);
  const primary = protocol.outcomes.find((o) => o.id === protocol.analysis.primary_outcome);
  if (primary) {
    const seen = observedOf(primary, data);
    if (seen.includes(0) && seen.includes(1)) balance.push(...balanceRows(protocol, data.columns, armIndex, armIds, controlIndex, { name: `analytic:${primary.id}`, include: seen }, warnings));
  }

  for (const outcome of protocol.outcomes) {
    if (!protocol.analysis.outcomes[outcome.id]) continue;
    const estimators = outcomeEstimators(protocol, outcome.id);
    if (!observedOf(outcome, data).includes(1)) {
      warnings.push(`outcome ${outcome.id}: no participant has a value yet; not analysed`);
      continue;
    }
    if (outcome.type === "time_to_event") {
      attempt(warnings, `outcome ${outcome.id} survival`, () => survival.push(analyseSurvival(protocol, outcome, data, arms, control, treated, estimators, results, warnings)));
      const seen = observedOf(outcome, data);
      for (const arm of treated) attritionRows.push(attritionRow(outcome.id, null, seen, armIndex, armIds, armIds.indexOf(arm), controlIndex, level, warnings));
      continue;
    }
    const columns = outcomeColumns(outcome);
    const y = numeric(data, "value" in columns ? columns.value : outcome.id, `outcome ${outcome.id}`);
    const observed: number[] = [];
    for (let i = 0; i < data.rows; i++) if (!Number.isNaN(y[i])) observed.push(i);
    if (observed.length < data.rows) warnings.push(`outcome ${outcome.id}: ${data.rows - observed.length} of ${data.rows} participants have no value and are left out`);
    const covariateIds = protocol.analysis.outcomes[outcome.id]?.covariates ?? protocol.analysis.adjustment_covariates;
    outcome_summaries.push(...outcomeSummaries(outcome.id, y, armIndex, armIds));
    const seen = Uint8Array.from(y, (v) => (Number.isNaN(v) ? 0 : 1));

    for (const arm of treated) {
      const idx = observed.filter((i) => arms[i] === arm || arms[i] === control);
      const ys = Float64Array.from(idx, (i) => y[i]);
      const zs = Uint8Array.from(idx, (i) => (arms[i] === arm ? 1 : 0));
      const opts = { outcome: outcome.id, term: `${arm} vs ${control}`, level: 1 - protocol.analysis.alpha };
      const bs = blocks && idx.map((i) => blocks[i]);
      const cs = clusters && idx.map((i) => clusters[i]);
      // As the design was randomized: by stratum (estimatr's `blocks =`), by cluster (`clusters =`, CR2).
      const designDim = () =>
        bs ? differenceInMeansBlocked(ys, zs, bs, { ...opts, clusters: cs ?? undefined }) : cs ? differenceInMeansClustered(ys, zs, cs, opts) : null;
      for (const estimator of estimators) {
        // One estimator that cannot run on these data (a constant outcome, no events in an arm)
        // is reported as a warning naming it; the rest of the plan still runs.
        attempt(warnings, `outcome ${outcome.id} (${arm} vs ${control}) ${estimator}`, () => {
        if (estimator === "difference_in_means") results.push(row(outcome.id, arm, control, null, estimator, designDim() ?? differenceInMeans(ys, zs, opts)));
        else if (estimator === "risk_difference") results.push(row(outcome.id, arm, control, null, estimator, designDim() ?? riskDifference(ys, zs, opts)));
        else if (estimator === "risk_ratio") results.push(row(outcome.id, arm, control, null, estimator, riskRatio(ys, zs, opts)));
        else if (estimator === "lm_lin") {
          const covariates: Covariate[] = covariateIds.map((c) => {
            const column = data.columns.get(c);
            if (!column) throw new AnalysisError(`outcome ${outcome.id}: adjustment covariate ${c} is not in the data`);
            return column instanceof Float64Array ? Float64Array.from(idx, (i) => column[i]) : idx.map((i) => column[i] ?? "");
          });
          results.push(row(outcome.id, arm, control, null, estimator, lmLin(ys, zs, covariates, { ...opts, names: covariateIds, clusters: cs ?? undefined })));
        }
        });
      }
      const k = armIds.indexOf(arm);
      attritionRows.push(attritionRow(outcome.id, y, seen, armIndex, armIds, k, controlIndex, level, warnings));
      if (multiSite) {
        const effects = siteEffects(outcome.id, y, armIndex, armIds, k, controlIndex, siteColumn!, protocol.sites.map((s) => s.id), level, warnings);
        if (effects) site_effects.push(effects);
      }
      if (received) {
        // Complier effect: assignment instruments take-up, on those with the outcome and take-up recorded.
        const withD = idx.filter((i) => !Number.isNaN(received[i]));
        if (withD.length < idx.length) warnings.push(`outcome ${outcome.id} (${arm} vs ${control}): take-up is missing for ${idx.length - withD.length} participants, left out of the complier effect`);
        try {
          const cace = iv2sls(
            Float64Array.from(withD, (i) => y[i]),
            Float64Array.from(withD, (i) => received[i]),
            Float64Array.from(withD, (i) => (arms[i] === arm ? 1 : 0)),
            { outcome: outcome.id, term: `${arm} vs ${control}`, level, clusters: clusters ? withD.map((i) => clusters[i]) : undefined },
          );
          results.push(row(outcome.id, arm, control, null, "cace_2sls", cace));
        } catch (error) {
          if (!(error instanceof AnalysisError)) throw error;
          warnings.push(`complier effect not computed: ${error.message}`);
        }
      }
      // "For whom": effects inside each level of each pre-specified subgroup, and the interaction test.
      const family: { variable: string; p: number }[] = [];
      for (const subgroup of protocol.subgroups) {
        const id = subgroupId(subgroup);
        const inLevel: number[] = [];
        const levels: string[] = [];
        const levelOf = subgroupLevelsOf(subgroup);
        for (const i of idx) {
          const level = levelOf[i];
          if (level !== undefined) {
            inLevel.push(i);
            levels.push(level);
          }
        }
        if (inLevel.length === 0) {
          warnings.push(`subgroup ${id}: the data have no values of ${subgroup.variable}; skipped`);
          continue;
        }
        let analysis: ReturnType<typeof subgroupAnalysis>;
        try {
          analysis = subgroupAnalysis(
            Float64Array.from(inLevel, (i) => y[i]),
            Uint8Array.from(inLevel, (i) => (arms[i] === arm ? 1 : 0)),
            levels,
            { variable: id, outcome: outcome.id, level: 1 - protocol.analysis.alpha },
          );
        } catch (error) {
          if (!(error instanceof AnalysisError)) throw error;
          warnings.push(`subgroup ${id} (${arm} vs ${control}): ${error.message}; skipped`);
          continue;
        }
        for (const w of analysis.warnings) warnings.push(`subgroup ${id} (${arm} vs ${control}): ${w}`);
        const order = subgroupLevels(subgroup);
        for (const { level, effect } of [...analysis.levels].sort((a, b) => order.indexOf(String(a.level)) - order.indexOf(String(b.level)))) {
          results.push(row(outcome.id, arm, control, { variable: id, level: String(level) }, "difference_in_means", effect));
        }
        // With more than two levels the effect differs if any level differs: subgroupAnalysis's
        // p is the joint F test of every interaction term (with two, the single t-test's).
        family.push({ variable: id, p: analysis.interaction_p_value });
      }
      const pHolm = holm(family.map((f) => f.p));
      const pBh = benjaminiHochberg(family.map((f) => f.p));
      family.forEach((f, k) =>
        heterogeneity.push({ outcome: outcome.id, contrast: `${arm} vs ${control}`, variable: f.variable, interaction_p_value: f.p, p_holm: pHolm[k], p_bh: pBh[k] }),
      );
    }
    if (outcome.id === protocol.analysis.primary_outcome) {
      const draws = options.draws ?? protocol.analysis.randomization_inference?.draws ?? 0;
      if (draws > 0) {
        const settings = { draws, seed: options.seed ?? 1, streams: options.riStreams ?? 1 };
        const parts = options.riCounts ?? Array.from({ length: settings.streams }, (_, j) => randomizationCounts(protocol, data, settings, j));
        randomization_inference.push(...combineRandomizationCounts(protocol, parts, settings));
      }
    }
  }

  return {
    schema_version: EVIDENCE_SCHEMA_VERSION,
    protocol: { id: protocol.id, version: protocol.version, hash: options.protocolHash ?? "", title: protocol.title.en },
    data: { n: data.rows, sha256: options.dataSha256 ?? null },
    results,
    heterogeneity,
    survival,
    randomization_inference,
    balance,
    attrition: attritionRows,
    site_effects,
    outcome_summaries,
    warnings,
  };
}

/** Runs `fn`; an `AnalysisError` becomes a warning naming `what` (anything else is rethrown). */
function attempt(warnings: string[], what: string, fn: () => void): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof AnalysisError)) throw error;
    warnings.push(`${what}: not estimated: ${error.message}`);
  }
}

/** 1 where a participant's outcome was observed (both columns of a time to event), else 0. */
/**
 * Whether `runPlan` runs randomization inference on this data: for the primary outcome when the
 * plan analyses it as a difference (listed in the plan, not a time to event) and someone has a
 * value. A caller that runs the draws elsewhere (the package writer) asks this first, so that it
 * adds draws exactly where the plan would.
 */
export function randomizationInferenceApplies(protocol: Protocol, data: DataSet): boolean {
  const primary = protocol.outcomes.find((o) => o.id === protocol.analysis.primary_outcome);
  if (!primary || !protocol.analysis.outcomes[primary.id] || primary.type === "time_to_event") return false;
  return observedOf(primary, data).includes(1);
}

function observedOf(outcome: Outcome, data: DataSet): Uint8Array {
  const columns = outcomeColumns(outcome);
  const first = numeric(data, "value" in columns ? columns.value : columns.time, `outcome ${outcome.id}`);
  const second = "event" in columns ? numeric(data, columns.event, `outcome ${outcome.id}`) : null;
  return Uint8Array.from(first, (v, i) => (Number.isNaN(v) || (second !== null && Number.isNaN(second[i])) ? 0 : 1));
}

/**
 * The structure the design randomized within: strata labels (`var=value|var=value`, as the
 * allocator codes them) for stratified designs and cluster designs with strata, and the cluster of
 * each participant for cluster designs. Absent columns are warned about and the structure dropped.
 */
function designStructure(protocol: Protocol, data: DataSet, warnings: string[]): { blocks: string[] | null; clusters: string[] | null } {
  const design = protocol.design;
  const strataVars = design.type === "stratified" || design.type === "cluster" ? design.strata : [];
  const unit = design.type === "cluster" ? design.unit : null;
  const column = (name: string): (string | null)[] | null => {
    const values = text(data, name);
    if (!values) warnings.push(`design: the data have no ${name} column, so the analysis cannot follow the design's ${name === unit ? "clusters" : "strata"}`);
    return values;
  };
  let blocks: string[] | null = null;
  if (strataVars.length > 0) {
    const columns = strataVars.map(column);
    if (columns.every((c) => c !== null)) {
      blocks = Array.from({ length: data.rows }, (_, i) => strataVars.map((v, k) => `${v}=${columns[k]![i] ?? ""}`).join("|"));
    }
  }
  let clusters: string[] | null = null;
  if (unit !== null) {
    const values = column(unit);
    if (values) clusters = values.map((v) => v ?? "");
  }
  if (design.type === "stepped_wedge") warnings.push("design: stepped-wedge trials need a period-adjusted model; the estimates here compare arms as randomized at enrollment only");
  return { blocks, clusters };
}

function analyseSurvival(
  protocol: Protocol,
  outcome: Outcome,
  data: DataSet,
  arms: (string | null)[],
  control: string,
  treated: string[],
  estimators: string[],
  results: ResultRow[],
  warnings: string[],
): SurvivalSummary {
  const columns = outcomeColumns(outcome) as { time: string; event: string };
  const time = numeric(data, columns.time, `outcome ${outcome.id}`);
  const event = numeric(data, columns.event, `outcome ${outcome.id}`);
  const idx: number[] = [];
  for (let i = 0; i < data.rows; i++) if (!Number.isNaN(time[i]) && !Number.isNaN(event[i])) idx.push(i);
  if (idx.length < data.rows) warnings.push(`outcome ${outcome.id}: ${data.rows - idx.length} of ${data.rows} participants have no time or event and are left out`);
  const t = Float64Array.from(idx, (i) => time[i]);
  const d = Float64Array.from(idx, (i) => event[i]);
  const g = idx.map((i) => arms[i]!);
  const levels = protocol.arms.map((a) => a.id);
  const settings = protocol.analysis.outcomes[outcome.id]!;
  const level = 1 - protocol.analysis.alpha;
  const fit = kaplanMeier(t, d, g, { levels, outcome: outcome.id, level });
  const points = settings.time_points ?? [];
  const summary: SurvivalSummary = {
    outcome: outcome.id,
    arms: fit.arms.map((curve) => {
      const at = survivalAt(curve, points);
      const rm = settings.rmst_tau !== undefined && estimators.includes("rmst") ? restrictedMean(curve, settings.rmst_tau) : null;
      return {
        arm: String(curve.arm),
        n: curve.n,
        events: curve.events,
        median: curve.median,
        median_ci_lower: curve.median_lower,
        median_ci_upper: curve.median_upper,
        at: at.time.map((time, k) => ({
          time,
          surv: at.surv[k],
          std_err: Number.isFinite(at.std_err[k]) ? at.std_err[k] : null,
          lower: Number.isFinite(at.lower[k]) ? at.lower[k] : null,
          upper: Number.isFinite(at.upper[k]) ? at.upper[k] : null,
        })),
        rmst: rm ? { tau: rm.tau, estimate: rm.rmean, std_error: rm.std_error } : null,
        curve: { time: Array.from(curve.time), surv: Array.from(curve.surv) },
      };
    }),
    logrank: { chisq: NaN, df: levels.length - 1, p_value: NaN },
  };
  const lr = logrank(t, d, g, { levels, outcome: outcome.id });
  summary.logrank = { chisq: lr.chisq, df: lr.df, p_value: lr.p_value };
  for (const arm of treated) {
    const pair = idx.map((_, k) => k).filter((k) => g[k] === arm || g[k] === control);
    const tp = Float64Array.from(pair, (k) => t[k]);
    const dp = Float64Array.from(pair, (k) => d[k]);
    const gp = pair.map((k) => g[k]);
    if (estimators.includes("rmst") && settings.rmst_tau !== undefined) attempt(warnings, `outcome ${outcome.id} (${arm} vs ${control}) rmst`, () => {
      const diff = rmstDifference(tp, dp, gp, settings.rmst_tau!, { treatment: arm, control, levels: [control, arm], outcome: outcome.id, level });
      results.push(row(outcome.id, arm, control, null, "rmst_difference", diff.difference));
    });
    if (estimators.includes("cox")) attempt(warnings, `outcome ${outcome.id} (${arm} vs ${control}) cox`, () => {
      const cox = coxPH({ time: tp, event: dp, group: gp }, { levels: [control, arm], reference: control, ties: "efron", level, outcome: outcome.id });
      const coef = cox.coefficients[0];
      const hr = cox.hazard_ratios[0];
      results.push({
        ...row(outcome.id, arm, control, null, "cox_hazard_ratio", coef),
        estimate: hr.hr,
        std_error: coef.std_error,
        ci_lower: hr.lower,
        ci_upper: hr.upper,
        warnings: [...coef.warnings, "std_error is that of the log hazard ratio"],
      });
    });
  }
  return summary;
}
