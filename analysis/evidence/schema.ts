/**
 * The contract of `evidence.json`, the machine-readable heart of an evidence package: what the
 * pre-registered analysis found, one row per outcome × contrast × subgroup level × estimator.
 * Anyone can re-run the analysis from the package's data and compare to these numbers.
 */
import { z } from "zod";
import { ProgressionSectionSchema } from "./progression-schema.ts";

export * from "./progression-schema.ts";

/**
 * 1.1.0 (additive): balance, attrition with Lee bounds, effects by site with the meta-analysis,
 * summaries per outcome and arm; the complier effect (`cace_2sls`) as result rows; and the package
 * sections (CONSORT flow, cost-effectiveness, "for whom", ratings, predecessor). A 1.0.0 file still
 * parses, the new arrays empty.
 */
/**
 * 1.2.0 (additive): the `progression` section (progression-schema.ts) for a protocol with a
 * progression instrument. 1.0.0 and 1.1.0 files still parse.
 */
export const EVIDENCE_SCHEMA_VERSION = "1.2.0";

const nullableNumber = z.number().nullable();

/** One effect: outcome × contrast (arm vs control) × subgroup level (null = everyone) × estimator. */
export const ResultRowSchema = z.object({
  outcome: z.string(),
  /** `<arm> vs <control>`. */
  contrast: z.string(),
  arm: z.string(),
  control: z.string(),
  subgroup: z.object({ variable: z.string(), level: z.string() }).nullable(),
  /** difference_in_means, lm_lin, risk_difference, risk_ratio, rmst_difference, cox_hazard_ratio, ... */
  estimator: z.string(),
  /** What `estimate` measures, e.g. "difference in means", "risk ratio", "hazard ratio". */
  scale: z.string(),
  estimate: z.number(),
  std_error: nullableNumber,
  ci_lower: z.number(),
  ci_upper: z.number(),
  p_value: z.number(),
  /** Degrees of freedom; null when the reference distribution is normal. */
  df: nullableNumber,
  n: z.number().int(),
  se_type: z.string(),
  warnings: z.array(z.string()),
});
export type ResultRow = z.infer<typeof ResultRowSchema>;

/**
 * "For whom": does the effect differ across a subgroup variable's levels? The interaction t-test
 * for two levels; for more, the joint F test of every interaction term (`subgroupAnalysis`, estimators/interaction.ts, by wald-test.ts).
 */
export const HeterogeneityRowSchema = z.object({
  outcome: z.string(),
  contrast: z.string(),
  variable: z.string(),
  interaction_p_value: z.number(),
  p_holm: z.number(),
  p_bh: z.number(),
});
export type HeterogeneityRow = z.infer<typeof HeterogeneityRowSchema>;

export const SurvivalArmSchema = z.object({
  arm: z.string(),
  n: z.number().int(),
  events: z.number().int(),
  median: nullableNumber,
  median_ci_lower: nullableNumber,
  median_ci_upper: nullableNumber,
  /** Survival at the protocol's reporting time points, with the log-type CI. */
  at: z.array(z.object({ time: z.number(), surv: z.number(), std_err: nullableNumber, lower: nullableNumber, upper: nullableNumber })),
  rmst: z.object({ tau: z.number(), estimate: z.number(), std_error: z.number() }).nullable(),
  /** The whole step function, for the Kaplan–Meier plot: S(t) just after each distinct time. */
  curve: z.object({ time: z.array(z.number()), surv: z.array(z.number()) }).optional(),
});

export const SurvivalSummarySchema = z.object({
  outcome: z.string(),
  arms: z.array(SurvivalArmSchema),
  logrank: z.object({ chisq: z.number(), df: z.number().int(), p_value: z.number() }),
});
export type SurvivalSummary = z.infer<typeof SurvivalSummarySchema>;

export const RandomizationInferenceSchema = z.object({
  outcome: z.string(),
  contrast: z.string(),
  /** The statistic re-computed under each re-randomization: the difference in means. */
  statistic: z.string(),
  observed: z.number(),
  p_value: z.number(),
  draws: z.number().int(),
  /** How the trial's design was re-run, e.g. "complete randomization (185 of 445)". */
  design: z.string(),
  seed: z.string(),
});
export type RandomizationInference = z.infer<typeof RandomizationInferenceSchema>;


/** Baseline balance of one covariate (or one level of a category covariate), one arm vs control. */
export const BalanceRowSchema = z.object({
  covariate: z.string(),
  /** The level of a category covariate (compared as 0/1), else null. */
  level: z.string().nullable(),
  /** Who is compared: everyone randomized, or the analytic sample of an outcome. */
  sample: z.string(),
  kind: z.enum(["continuous", "binary"]),
  arm: z.string(),
  control: z.string(),
  n_treatment: z.number().int(),
  n_control: z.number().int(),
  mean_treatment: z.number(),
  mean_control: z.number(),
  standardized_difference: z.number(),
  hedges_g: z.number(),
  /** WWC band on |g|: ≤ 0.05 satisfies, ≤ 0.25 adjustment required, else not satisfied. */
  band: z.enum(["satisfies", "adjustment_required", "not_satisfied"]),
});
export type BalanceRow = z.infer<typeof BalanceRowSchema>;

const BoundSchema = z.object({ estimate: z.number(), std_error: z.number() });
export const LeeBoundsSchema = z.object({
  trimmed_arm: z.enum(["treatment", "control", "none"]),
  trimming_proportion: z.number(),
  lower: BoundSchema,
  upper: BoundSchema,
  /** Imbens–Manski interval for the effect among those observed whichever arm they were in. */
  ci_lower: z.number(),
  ci_upper: z.number(),
});

const AttritionRuleSchema = z.object({ max_differential: nullableNumber, attrition: z.enum(["low", "high"]) });
export const AttritionRowSchema = z.object({
  outcome: z.string(),
  contrast: z.string(),
  arm: z.string(),
  control: z.string(),
  randomized_treatment: z.number().int(),
  randomized_control: z.number().int(),
  observed_treatment: z.number().int(),
  observed_control: z.number().int(),
  attrition_treatment: z.number(),
  attrition_control: z.number(),
  overall: z.number(),
  differential: z.number(),
  cautious: AttritionRuleSchema,
  optimistic: AttritionRuleSchema,
  /** Lee (2009) bounds where the observed shares differ; null otherwise. */
  lee_bounds: LeeBoundsSchema.nullable(),
});
export type AttritionRow = z.infer<typeof AttritionRowSchema>;

export const SiteEffectsSchema = z.object({
  outcome: z.string(),
  contrast: z.string(),
  arm: z.string(),
  control: z.string(),
  /** Difference in means (Neyman SE) at each site with at least two people per arm. */
  sites: z.array(z.object({ site: z.string(), estimate: z.number(), std_error: z.number(), ci_lower: z.number(), ci_upper: z.number(), n: z.number().int() })),
  /** Random-effects meta-analysis over the sites (REML, z test, as metafor::rma); null with fewer than two sites. */
  meta: z
    .object({
      method: z.string(),
      estimate: z.number(),
      std_error: z.number(),
      ci_lower: z.number(),
      ci_upper: z.number(),
      p_value: z.number(),
      tau2: z.number(),
      se_tau2: nullableNumber,
      I2: z.number(),
      H2: z.number(),
      Q: z.number(),
      Q_df: z.number().int(),
      Q_p_value: z.number(),
      prediction_lower: z.number(),
      prediction_upper: z.number(),
    })
    .nullable(),
});
export type SiteEffects = z.infer<typeof SiteEffectsSchema>;

/** Per outcome and arm: how many were randomized, how many have the outcome, its mean and SD. */
export const OutcomeSummarySchema = z.object({
  outcome: z.string(),
  arm: z.string(),
  randomized: z.number().int(),
  observed: z.number().int(),
  mean: nullableNumber,
  sd: nullableNumber,
});
export type OutcomeSummary = z.infer<typeof OutcomeSummarySchema>;

/** CONSORT participant flow (analysis/evidence/consort.ts). Null counts were not recorded. */
export const ConsortSchema = z.object({
  assessed: nullableNumber,
  eligible: nullableNumber,
  randomized: z.number().int(),
  outcome: z.string(),
  arms: z.array(
    z.object({
      arm: z.string(),
      allocated: z.number().int(),
      withdrawn: z.number().int(),
      randomized_in_error: z.number().int(),
      lost_to_follow_up: z.number().int(),
      analysed: z.number().int(),
    }),
  ),
});
export type Consort = z.infer<typeof ConsortSchema>;

const UncertainSchema = z.object({ estimate: z.number(), ci_lower: nullableNumber, ci_upper: nullableNumber });
/** Cost-effectiveness of one arm against control (analysis/evidence/cost-effectiveness.ts). */
export const CostEffectivenessSchema = z.object({
  arm: z.string(),
  control: z.string(),
  cost_per_participant_dkk: z.number(),
  control_cost_per_participant_dkk: z.number(),
  incremental_cost_dkk: z.number(),
  /** The binary outcome "in work or education" used, its risk difference and the cost per extra person. */
  success_outcome: z.string().nullable(),
  risk_difference: UncertainSchema.nullable(),
  cost_per_additional_success_dkk: nullableNumber,
  number_needed_to_treat: UncertainSchema.nullable(),
  /** The weeks-of-self-support outcome, its effect in weeks, valued at the protocol's weekly benefit. */
  weeks_outcome: z.string().nullable(),
  weeks_gained: UncertainSchema.nullable(),
  weekly_benefit_dkk: nullableNumber,
  net_gain_per_participant_dkk: UncertainSchema.nullable(),
  notes: z.array(z.string()),
});
export type CostEffectiveness = z.infer<typeof CostEffectivenessSchema>;

const BilingualSchema = z.object({ da: z.string(), en: z.string() });
export const ForWhomSchema = z.object({
  outcome: z.string(),
  contrast: z.string(),
  variable: z.string(),
  /** The adjusted interaction p-value the verdict rests on, and the method that adjusted it. */
  adjusted_p_value: z.number(),
  method: z.enum(["holm", "bh"]),
  differs: z.boolean(),
  text: BilingualSchema,
});
export type ForWhom = z.infer<typeof ForWhomSchema>;

export const RatingSchema = z.object({
  /** wwc, eef_padlocks, danish_evidence_level, jobeffekter_weight */
  scheme: z.string(),
  value: z.union([z.string(), z.number()]),
  label: BilingualSchema,
  /** The rule that produced the value, and each criterion as it was met or not. */
  rule: BilingualSchema,
  criteria: z.array(z.object({ name: z.string(), met: z.boolean(), detail: z.string() })),
});
export type Rating = z.infer<typeof RatingSchema>;

export const EvidenceSchema = z.object({
  schema_version: z.enum(["1.0.0", "1.1.0", EVIDENCE_SCHEMA_VERSION]),
  protocol: z.object({ id: z.string(), version: z.union([z.string(), z.number()]), hash: z.string(), title: z.string() }),
  data: z.object({ n: z.number().int(), sha256: z.string().nullable() }),
  results: z.array(ResultRowSchema),
  heterogeneity: z.array(HeterogeneityRowSchema),
  survival: z.array(SurvivalSummarySchema),
  randomization_inference: z.array(RandomizationInferenceSchema),
  balance: z.array(BalanceRowSchema).default([]),
  attrition: z.array(AttritionRowSchema).default([]),
  site_effects: z.array(SiteEffectsSchema).default([]),
  outcome_summaries: z.array(OutcomeSummarySchema).default([]),
  /** Package sections, added by `buildEvidencePackage` (analysis/evidence/package.ts). */
  consort: ConsortSchema.optional(),
  cost_effectiveness: z.array(CostEffectivenessSchema).optional(),
  for_whom: z.array(ForWhomSchema).optional(),
  ratings: z.array(RatingSchema).optional(),
  /** Progression towards work or education, when the protocol has a progression instrument (1.2.0). */
  progression: ProgressionSectionSchema.optional(),
  /** The package this re-analysis follows, if any. */
  predecessor: z.string().nullable().optional(),
  warnings: z.array(z.string()),
});
export type Evidence = z.output<typeof EvidenceSchema>;
