/**
 * The contract of `evidence.json`, the machine-readable heart of an evidence package: what the
 * pre-registered analysis found, one row per outcome × contrast × subgroup level × estimator.
 * Anyone can re-run the analysis from the package's data and compare to these numbers.
 */
import { z } from "zod";

export const EVIDENCE_SCHEMA_VERSION = "1.0.0";

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

/** "For whom": does the effect differ across a subgroup variable's levels? */
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

export const EvidenceSchema = z.object({
  schema_version: z.literal(EVIDENCE_SCHEMA_VERSION),
  protocol: z.object({ id: z.string(), version: z.union([z.string(), z.number()]), hash: z.string(), title: z.string() }),
  data: z.object({ n: z.number().int(), sha256: z.string().nullable() }),
  results: z.array(ResultRowSchema),
  heterogeneity: z.array(HeterogeneityRowSchema),
  survival: z.array(SurvivalSummarySchema),
  randomization_inference: z.array(RandomizationInferenceSchema),
  warnings: z.array(z.string()),
});
export type Evidence = z.infer<typeof EvidenceSchema>;
