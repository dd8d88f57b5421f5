/**
 * The `progression` section of `evidence.json` (schema 1.2.0): whether participants moved closer
 * to work or education, from the repeated measurements of the protocol's progression instrument.
 * Built by `progressionSection` (progression.ts) from the existing progression analysis
 * (analysis/progression/); `virker verify` re-runs it from the package's `progression.csv`.
 */
import { z } from "zod";

const nullableNumber = z.number().nullable();
const Bilingual = z.object({ da: z.string(), en: z.string() });

/** Mean score of one measure (a factor or the total) in one arm at one planned week. */
export const TrajectoryPointSchema = z.object({
  measure: z.string(),
  arm: z.string(),
  week: z.number(),
  /** Participants with a score for the measure at the week. */
  n: z.number().int(),
  mean: nullableNumber,
  sd: nullableNumber,
  /** t interval of the mean (df n − 1); null with fewer than two scores. */
  ci_lower: nullableNumber,
  ci_upper: nullableNumber,
});
export type TrajectoryPoint = z.infer<typeof TrajectoryPointSchema>;

/** Per arm and planned week: randomized participants (expected) and those with a total (measured). */
export const CompletenessSchema = z.object({
  arm: z.string(),
  week: z.number(),
  expected: z.number().int(),
  measured: z.number().int(),
  share: z.number(),
});
export type ProgressionCompleteness = z.infer<typeof CompletenessSchema>;

/** One progression effect (analysis/progression/result.ts `ProgressionEffect`). */
export const ProgressionEffectSchema = z.object({
  estimator: z.string(),
  term: z.string(),
  measure: z.string(),
  week: z.number(),
  arm: z.string(),
  control: z.string(),
  estimate: z.number(),
  std_error: z.number(),
  statistic: z.number(),
  df: nullableNumber,
  p_value: z.number(),
  /** Holm- or BH-adjusted over the factors (same arm and week); null for the total. */
  p_adjusted: nullableNumber,
  adjustment: z.enum(["holm", "bh"]).nullable(),
  ci_lower: z.number(),
  ci_upper: z.number(),
  level: z.number(),
  n: z.number().int(),
  se_type: z.string(),
  warnings: z.array(z.string()),
  /** What the estimate assumes about missing measurements. */
  assumption: Bilingual,
});
export type ProgressionEffectRow = z.infer<typeof ProgressionEffectSchema>;

const SurvivalCurveArmSchema = z.object({
  arm: z.string(),
  n: z.number().int(),
  events: z.number().int(),
  median: nullableNumber,
  median_ci_lower: nullableNumber,
  median_ci_upper: nullableNumber,
  curve: z.object({ time: z.array(z.number()), surv: z.array(z.number()) }),
});

/** Time to the protocol's progression milestone (weeks), Kaplan–Meier per arm and log-rank. */
export const MilestoneSchema = z.object({
  label: Bilingual,
  total_at_least: z.number(),
  /** Participants left out: no baseline, at the milestone already at baseline, nothing after baseline. */
  counts: z.object({ no_baseline: z.number().int(), at_milestone_at_baseline: z.number().int(), no_follow_up: z.number().int() }),
  arms: z.array(SurvivalCurveArmSchema),
  logrank: z.object({ chisq: z.number(), df: z.number().int(), p_value: z.number() }).nullable(),
});

/** A sentence for readers. `kind` says what it rests on; only `caveat` may speak of jobs (to say progression is not one). */
export const ProgressionStatementSchema = z.object({
  kind: z.enum(["total", "factors", "milestone", "caveat"]),
  arm: z.string().nullable(),
  text: Bilingual,
});
export type ProgressionStatement = z.infer<typeof ProgressionStatementSchema>;

export const ProgressionSectionSchema = z.object({
  instrument: z.object({ id: z.string(), version: z.number().int(), illustrative: z.boolean() }),
  level: z.number(),
  primary_week: z.number(),
  multiplicity: z.enum(["holm", "bh"]),
  /** The measurements as assigned to planned weeks (used, outside every window, superseded). */
  assignment: z.object({ rows: z.number().int(), used: z.number().int(), outside_window: z.number().int(), superseded: z.number().int() }),
  trajectories: z.array(TrajectoryPointSchema),
  completeness: z.array(CompletenessSchema),
  /** ANCOVA at the primary week, each factor and the total (completers). */
  ancova: z.array(ProgressionEffectSchema),
  /** The mixed model's arm × week effects, each factor and the total (every observed measurement). */
  mixed_model: z.array(ProgressionEffectSchema),
  /** The total's effect at the primary week by the protocol's first listed estimator. */
  primary: z.array(ProgressionEffectSchema),
  milestone: MilestoneSchema.nullable(),
  /** The assumption behind each estimator, as stated in the report. */
  assumptions: z.record(z.string(), Bilingual),
  statements: z.array(ProgressionStatementSchema),
  warnings: z.array(z.string()),
});
export type ProgressionSection = z.infer<typeof ProgressionSectionSchema>;
