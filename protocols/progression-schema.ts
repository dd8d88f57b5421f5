/**
 * The `progression:` section of a protocol file: a repeated outcome that measures whether a
 * citizen far from the labour market moves closer to work or education, scored by the caseworker
 * and the citizen together at planned conversations.
 *
 * Three parts:
 * - `instrument`: the factors (each on an integer scale with labelled anchors and a direction:
 *   which end is closer to work), and how a total is formed from them. The instrument is written
 *   out in full in the protocol so that the protocol hash covers it; the shipped default lives in
 *   `protocols/instruments/progression-default.yaml` and is copied verbatim into the protocols
 *   that use it (a test keeps the copies equal).
 * - `schedule`: the planned measurement weeks (weeks from enrollment; week 0 is the baseline) and
 *   a window around each. A measurement is used for the planned week whose window holds it.
 * - `analysis`: the primary week and the estimators (ANCOVA at a week, the mixed model over all
 *   weeks), and the multiplicity adjustment over the factors.
 *
 * Rules that relate fields (unique factor ids, anchors on the scale, week 0 present, windows not
 * overlapping, the primary week planned) live in `rules/progression.ts` (`progressionInstrument`).
 */
import { z } from "zod";

const Label = z.strictObject({ da: z.string().min(1), en: z.string().min(1) });
const factorId = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, "forventede en identifikator med små bogstaver (a-z, 0-9 og _, begynder med et bogstav) / expected a lowercase identifier (a-z, 0-9 and _, starting with a letter)");
const week = z.number().int().min(0).max(5200);

/** One point of a scale that carries words: what the value means to the caseworker and citizen. */
export const AnchorSchema = z.strictObject({ value: z.number().int(), label: Label });

/** An integer rating scale from `min` to `max`; both ends (at least) carry an anchor. */
export const ScaleSchema = z.strictObject({
  min: z.number().int(),
  max: z.number().int(),
  anchors: z.array(AnchorSchema).min(2),
});

export const ProgressionFactorSchema = z.strictObject({
  id: factorId,
  label: Label,
  /** The question as asked in the conversation. */
  question: Label.optional(),
  scale: ScaleSchema,
  /** Which end of the scale is closer to work or education. */
  direction: z.enum(["higher", "lower"]),
});
export type ProgressionFactor = z.infer<typeof ProgressionFactorSchema>;

/**
 * The total: the mean or the sum of the factors' scores, each first oriented so that higher is
 * closer to work (a `lower` factor's score x becomes min + max − x). Defined only when every
 * factor in it was scored at that measurement.
 */
export const ProgressionTotalSchema = z.strictObject({
  method: z.enum(["mean", "sum"]),
  label: Label,
  /** The factors the total is formed from; default all, in instrument order. */
  factors: z.array(factorId).min(1).optional(),
});

export const ProgressionInstrumentSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_-]*$/, "forventede en identifikator med små bogstaver / expected a lowercase identifier"),
  version: z.number().int().positive(),
  title: Label,
  /** Where the instrument comes from: a published tool, or an illustrative construction. */
  source: Label,
  /** True when the factors and anchors are not taken from a published, validated tool. */
  illustrative: z.boolean().default(false),
  factors: z.array(ProgressionFactorSchema).min(1),
  total: ProgressionTotalSchema,
});
export type ProgressionInstrument = z.output<typeof ProgressionInstrumentSchema>;

/** A planned measurement week and its window: measurements from week − before to week + after count. */
export const PlannedWeekSchema = z.strictObject({
  week,
  window: z.strictObject({ before: z.number().min(0).max(520), after: z.number().min(0).max(520) }),
});
export type PlannedWeek = z.infer<typeof PlannedWeekSchema>;

export const PROGRESSION_ESTIMATORS = ["ancova", "mixed_model"] as const;
export type ProgressionEstimator = (typeof PROGRESSION_ESTIMATORS)[number];

export const ProgressionAnalysisSchema = z.strictObject({
  /** The planned week at which the effect on the total is the primary progression result. */
  primary_week: week,
  /**
   * `ancova`: follow-up score at a week on arm, adjusted for the baseline score and the design's
   * strata (completers at that week). `mixed_model`: every observed measurement, a random
   * intercept per participant, arm × week fixed effects, REML.
   */
  estimators: z.array(z.enum(PROGRESSION_ESTIMATORS)).min(1).default(["ancova", "mixed_model"]),
  /**
   * Mixed model: `constrained` (default) gives the arms one common mean at week 0, as
   * randomization makes them; `unconstrained` estimates an arm difference at week 0 too.
   */
  baseline: z.enum(["constrained", "unconstrained"]).default("constrained"),
  /** Adjustment over the family of per-factor effects (the total is not in the family). */
  multiplicity: z.enum(["holm", "bh"]).default("holm"),
  /** A milestone for time-to-event analysis: the first measurement with a total at or above this. */
  milestone: z.strictObject({ total_at_least: z.number(), label: Label }).optional(),
});

export const ProgressionSchema = z.strictObject({
  instrument: ProgressionInstrumentSchema,
  schedule: z.array(PlannedWeekSchema).min(2),
  analysis: ProgressionAnalysisSchema,
});
export type Progression = z.output<typeof ProgressionSchema>;

/** The factor ids the total is formed from. */
export function totalFactors(instrument: ProgressionInstrument): string[] {
  return instrument.total.factors ?? instrument.factors.map((f) => f.id);
}

/** The lowest and highest possible total. */
export function totalRange(instrument: ProgressionInstrument): { min: number; max: number } {
  const ids = totalFactors(instrument);
  const fs = instrument.factors.filter((f) => ids.includes(f.id));
  const lo = fs.reduce((s, f) => s + f.scale.min, 0);
  const hi = fs.reduce((s, f) => s + f.scale.max, 0);
  return instrument.total.method === "sum" ? { min: lo, max: hi } : { min: lo / fs.length, max: hi / fs.length };
}
