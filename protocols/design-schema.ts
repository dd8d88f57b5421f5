/**
 * The `design:` section of a protocol file: how participants (or clusters of them) are assigned
 * to arms. This is the contract between the protocol language (protocols/schema.ts) and the
 * assignment designs (analysis/design/), which implement each variant.
 *
 * Strata, minimization factors and cluster units name either `site` or a declared baseline
 * covariate; the protocol schema checks that they exist and have a fitting type.
 */
import { z } from "zod";

const positiveInt = z.number().int().positive();

/** Block sizes: one entry is a fixed block size; several are drawn at random per block. */
const BlockSizes = z.array(positiveInt).min(1).describe("Each a multiple of the sum of the arms' ratios.");

export const SimpleDesignSchema = z.strictObject({
  type: z.literal("simple"),
});

export const BlockedDesignSchema = z.strictObject({
  type: z.literal("blocked"),
  block_sizes: BlockSizes,
});

export const StratifiedDesignSchema = z.strictObject({
  type: z.literal("stratified"),
  /** `site` and/or categorical or boolean covariate ids; one block sequence per combination. */
  strata: z.array(z.string()).min(1),
  block_sizes: BlockSizes,
});

export const MinimizationDesignSchema = z.strictObject({
  type: z.literal("minimization"),
  /** Pocock–Simon factors: `site` or categorical/boolean covariates, each with a weight. */
  factors: z.array(z.strictObject({ covariate: z.string(), weight: z.number().positive().default(1) })).min(1),
  /** How imbalance over a factor level's arm counts (divided by the arm ratios) is measured. */
  imbalance: z.enum(["range", "variance"]).default("range"),
  /** Probability of assigning the arm that minimizes imbalance (ties broken at random). */
  p_preferred: z.number().gt(0).max(1).default(0.8),
});

export const ClusterDesignSchema = z.strictObject({
  type: z.literal("cluster"),
  /** The randomized unit: `site` or a categorical covariate such as a jobcentre team or caseworker. */
  unit: z.string(),
  /** Optional strata of units (e.g. `site`, when teams are randomized within municipalities). */
  strata: z.array(z.string()).default([]),
  /** Optional blocks of units; without them units are allocated by simple randomization. */
  block_sizes: BlockSizes.optional(),
});

export const SteppedWedgeDesignSchema = z.strictObject({
  type: z.literal("stepped_wedge"),
  /** The unit that crosses over; sites by default. */
  unit: z.string().default("site"),
  /** Start of the first period (ISO date). */
  start: z.iso.date(),
  /** Number of periods and their length in weeks. */
  periods: positiveInt,
  period_weeks: positiveInt,
  /**
   * Number of steps (crossover groups). Units are spread evenly over the steps in a randomized
   * order; the units of step j (0-based) cross from control to intervention at the start of
   * period `periods - steps + j`, so with `periods = steps + 1` the first period is all control.
   */
  steps: positiveInt,
});

export const DesignSchema = z.discriminatedUnion("type", [
  SimpleDesignSchema,
  BlockedDesignSchema,
  StratifiedDesignSchema,
  MinimizationDesignSchema,
  ClusterDesignSchema,
  SteppedWedgeDesignSchema,
]);

export type Design = z.infer<typeof DesignSchema>;
export type DesignType = Design["type"];

/** What the designs need to know about arms: id, integer ratio and which one is the control. */
export interface DesignArm {
  id: string;
  ratio: number;
  control: boolean;
}
