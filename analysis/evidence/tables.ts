/**
 * Every table of the report, as data: the report renders these same objects as HTML, and the
 * package writes each as `tables/<name>.csv`, so the two never disagree. Numbers are kept at full
 * precision in the CSV; the report rounds them for reading.
 */
import type { Protocol } from "../../protocols/index.ts";
import { progressionTables } from "./progression-report.ts";
import type { Evidence } from "./schema.ts";

export type Cell = string | number | null;

export interface Table {
  /** File name without `.csv`. */
  name: string;
  title: { da: string; en: string };
  columns: string[];
  rows: Cell[][];
}

export function evidenceTables(protocol: Protocol, evidence: Evidence): Table[] {
  const tables: Table[] = [];
  const push = (name: string, da: string, en: string, columns: string[], rows: Cell[][]) => {
    if (rows.length > 0) tables.push({ name, title: { da, en }, columns, rows });
  };
  const armLabel = (id: string) => protocol.arms.find((a) => a.id === id)?.label.en ?? id;
  if (evidence.consort) {
    const c = evidence.consort;
    push("consort", "Deltagerflow (CONSORT)", "Participant flow (CONSORT)",
      ["arm", "allocated", "withdrawn", "randomized_in_error", "lost_to_follow_up", "analysed"],
      c.arms.map((a) => [a.arm, a.allocated, a.withdrawn, a.randomized_in_error, a.lost_to_follow_up, a.analysed]));
  }
  push("effects", "Effekter", "Effects",
    ["outcome", "contrast", "estimator", "scale", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "df", "n", "se_type"],
    evidence.results.filter((r) => r.subgroup === null).map((r) => [r.outcome, r.contrast, r.estimator, r.scale, r.estimate, r.std_error, r.ci_lower, r.ci_upper, r.p_value, r.df, r.n, r.se_type]));
  push("subgroups", "Undergrupper", "Subgroups",
    ["outcome", "contrast", "variable", "level", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n"],
    evidence.results.filter((r) => r.subgroup !== null).map((r) => [r.outcome, r.contrast, r.subgroup!.variable, r.subgroup!.level, r.estimate, r.std_error, r.ci_lower, r.ci_upper, r.p_value, r.n]));
  push("heterogeneity", "Interaktionstest", "Interaction tests",
    ["outcome", "contrast", "variable", "interaction_p_value", "p_holm", "p_bh"],
    evidence.heterogeneity.map((h) => [h.outcome, h.contrast, h.variable, h.interaction_p_value, h.p_holm, h.p_bh]));
  push("randomization-inference", "Randomiseringsinferens", "Randomization inference",
    ["outcome", "contrast", "statistic", "observed", "p_value", "draws", "design", "seed"],
    evidence.randomization_inference.map((r) => [r.outcome, r.contrast, r.statistic, r.observed, r.p_value, r.draws, r.design, r.seed]));
  push("survival", "Overlevelse (Kaplan–Meier)", "Survival (Kaplan–Meier)",
    ["outcome", "arm", "n", "events", "median", "median_ci_lower", "median_ci_upper", "rmst_tau", "rmst", "rmst_std_error", "logrank_chisq", "logrank_df", "logrank_p_value"],
    evidence.survival.flatMap((s) => s.arms.map((a) => [s.outcome, a.arm, a.n, a.events, a.median, a.median_ci_lower, a.median_ci_upper, a.rmst?.tau ?? null, a.rmst?.estimate ?? null, a.rmst?.std_error ?? null, s.logrank.chisq, s.logrank.df, s.logrank.p_value])));
  push("survival-at", "Overlevelse på tidspunkter", "Survival at time points",
    ["outcome", "arm", "time", "surv", "std_err", "lower", "upper"],
    evidence.survival.flatMap((s) => s.arms.flatMap((a) => a.at.map((p) => [s.outcome, a.arm, p.time, p.surv, p.std_err, p.lower, p.upper]))));
  push("balance", "Balance ved baseline", "Baseline balance",
    ["sample", "covariate", "level", "kind", "arm", "control", "n_treatment", "n_control", "mean_treatment", "mean_control", "hedges_g", "band"],
    evidence.balance.map((b) => [b.sample, b.covariate, b.level, b.kind, b.arm, b.control, b.n_treatment, b.n_control, b.mean_treatment, b.mean_control, b.hedges_g, b.band]));
  push("attrition", "Frafald", "Attrition",
    ["outcome", "contrast", "attrition_treatment", "attrition_control", "overall", "differential", "cautious", "optimistic", "lee_lower", "lee_upper", "lee_ci_lower", "lee_ci_upper"],
    evidence.attrition.map((a) => [a.outcome, a.contrast, a.attrition_treatment, a.attrition_control, a.overall, a.differential, a.cautious.attrition, a.optimistic.attrition,
      a.lee_bounds?.lower.estimate ?? null, a.lee_bounds?.upper.estimate ?? null, a.lee_bounds?.ci_lower ?? null, a.lee_bounds?.ci_upper ?? null]));
  push("sites", "Effekter efter sted", "Effects by site",
    ["outcome", "contrast", "site", "estimate", "std_error", "ci_lower", "ci_upper", "n"],
    evidence.site_effects.flatMap((s) => s.sites.map((x) => [s.outcome, s.contrast, x.site, x.estimate, x.std_error, x.ci_lower, x.ci_upper, x.n])));
  push("meta-analysis", "Metaanalyse over steder", "Meta-analysis across sites",
    ["outcome", "contrast", "method", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "tau2", "I2", "Q", "Q_df", "Q_p_value", "prediction_lower", "prediction_upper"],
    evidence.site_effects.filter((s) => s.meta).map((s) => { const m = s.meta!; return [s.outcome, s.contrast, m.method, m.estimate, m.std_error, m.ci_lower, m.ci_upper, m.p_value, m.tau2, m.I2, m.Q, m.Q_df, m.Q_p_value, m.prediction_lower, m.prediction_upper]; }));
  push("cost-effectiveness", "Omkostningseffektivitet", "Cost-effectiveness",
    ["arm", "cost_per_participant_dkk", "control_cost_per_participant_dkk", "incremental_cost_dkk", "risk_difference", "cost_per_additional_success_dkk", "nnt", "nnt_ci_lower", "nnt_ci_upper", "weeks_gained", "net_gain_per_participant_dkk", "net_gain_ci_lower", "net_gain_ci_upper"],
    (evidence.cost_effectiveness ?? []).map((c) => [armLabel(c.arm), c.cost_per_participant_dkk, c.control_cost_per_participant_dkk, c.incremental_cost_dkk, c.risk_difference?.estimate ?? null, c.cost_per_additional_success_dkk,
      c.number_needed_to_treat?.estimate ?? null, c.number_needed_to_treat?.ci_lower ?? null, c.number_needed_to_treat?.ci_upper ?? null, c.weeks_gained?.estimate ?? null,
      c.net_gain_per_participant_dkk?.estimate ?? null, c.net_gain_per_participant_dkk?.ci_lower ?? null, c.net_gain_per_participant_dkk?.ci_upper ?? null]));
  push("ratings", "Vurderinger", "Ratings",
    ["scheme", "value", "label_da", "label_en", "rule_en"],
    (evidence.ratings ?? []).map((r) => [r.scheme, r.value, r.label.da, r.label.en, r.rule.en]));
  if (evidence.progression) tables.push(...progressionTables(evidence.progression));
  return tables;
}

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/** A table as CSV: header row, `\n` line ends, numbers as JavaScript prints them, missing empty. */
export function tableCsv(table: Table): string {
  const cell = (v: Cell) => (v === null ? "" : typeof v === "number" ? (Number.isFinite(v) ? String(v) : "") : NEEDS_QUOTES.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  return [table.columns, ...table.rows].map((r) => r.map(cell).join(",")).join("\n") + "\n";
}
