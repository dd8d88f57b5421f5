/**
 * The shared result shape of the progression estimators: the engine's one effect estimate
 * (`EffectEstimate`, as estimatr's fields) plus what a progression effect is about — which measure
 * (a factor or the total), at which planned week, which arm against the control — the adjusted
 * p-value over the family of factors, and the assumption the estimate makes about missing
 * measurements, in Danish and English for the evidence package.
 */
import type { EffectEstimate } from "../estimate.ts";

export interface Bilingual {
  da: string;
  en: string;
}

export interface ProgressionEffect extends EffectEstimate {
  /** A factor id, or "total". */
  measure: string;
  /** The planned week (weeks from enrollment). */
  week: number;
  arm: string;
  control: string;
  /** Holm- or BH-adjusted p-value over the factors (same week, same arm); null for the total. */
  p_adjusted: number | null;
  /** The adjustment behind `p_adjusted`, or null. */
  adjustment: "holm" | "bh" | null;
  assumption: Bilingual;
}

/** The measure id of the total. */
export const TOTAL = "total";

export const ASSUMPTIONS = {
  ancova: {
    da: "Bruger dem, der er målt både ved baseline og i ugen (fuldførere); forudsætter at manglende målinger ikke hænger sammen med udfaldet, givet arm, baseline og strata.",
    en: "Uses those measured both at baseline and in the week (completers); assumes missing measurements are unrelated to the outcome given arm, baseline and strata.",
  },
  mixed_model: {
    da: "Bruger hver observeret måling; forudsætter at det, der mangler, kun afhænger af det observerede (missing at random).",
    en: "Uses every observed measurement; assumes that what is missing depends only on what was observed (missing at random).",
  },
} as const satisfies Record<string, Bilingual>;
