/**
 * Attrition per outcome: overall and differential attrition and the What Works Clearinghouse
 * (WWC) attrition standard, for each arm against the control arm.
 *
 * Definitions (WWC Procedures and Standards Handbook v5.0, randomized controlled trials):
 *
 *     attrition in an arm    a_k = 1 − (randomized in arm k with the outcome observed) / (randomized in arm k)
 *     overall attrition      o   = 1 − (observed in both arms) / (randomized in both arms)
 *     differential attrition δ   = |a_t − a_c|
 *
 * "Randomized" is everyone assigned, whatever happened later (the ITT sample): the denominators
 * never drop anyone. Overall attrition is computed over the two arms of the contrast only, as the
 * WWC does for a two-group comparison.
 *
 * The boundary. The WWC's model of attrition bias (Deke & Chiang 2017) gives, for each overall
 * attrition rate, the highest differential attrition at which the expected bias stays below 0.05
 * standard deviations, under two assumptions about how strongly attrition is related to the
 * outcome: *optimistic* (attrition is unlikely to be related to the intervention, the usual case
 * when outcomes come from administrative registers) and *cautious* (the intervention may itself
 * change who leaves). A review protocol picks one assumption in advance; both are reported here.
 * `WWC_ATTRITION_BOUNDARY` transcribes the WWC's table of these pairs (What Works Clearinghouse
 * Standards Handbook Version 4.1, Table II.1, "highest differential attrition for a sample to
 * maintain low attrition, by overall attrition, under optimistic and cautious assumptions"; the
 * boundary is unchanged in Version 5.0): overall attrition in whole percent 0–65, the boundary in
 * percentage points. Beyond the table (cautious: overall ≥ 58 %; optimistic: overall > 65 %)
 * attrition is high whatever the differential.
 *
 * Convention for the look-up: overall attrition is rounded to the nearest whole percent (the
 * table's resolution, half away from zero) to find the row; the differential is compared
 * unrounded, low when δ ≤ boundary (a value on the boundary is low). The raw rates are returned
 * so a reader can apply another convention.
 *
 * References:
 * - What Works Clearinghouse (2020). Standards Handbook, Version 4.1, Table II.1; (2022)
 *   Procedures and Standards Handbook, Version 5.0. U.S. Department of Education, Institute of
 *   Education Sciences. https://ies.ed.gov/ncee/wwc/Handbooks
 * - Deke, J., & Chiang, H. (2017). The WWC attrition standard: sensitivity to assumptions and
 *   opportunities for refining and adapting to new contexts. Evaluation Review 41(2), 130–154.
 *   doi:10.1177/0193841X16670047
 *
 * @throws AnalysisError for an arm with no one randomized, or a length mismatch.
 * @example
 * attrition([1, 1, 1, 0, 1, 1, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1], { outcome: "employed_w52" })
 * // overall 0.375, attrition control 0.25, treatment 0.5, differential 0.25 → high under both
 */
import { AnalysisError } from "../estimate.ts";

export type AttritionAssumption = "cautious" | "optimistic";
export type AttritionLevel = "low" | "high";

/**
 * The WWC attrition boundary: row i is overall attrition i % (0–65); `cautious` and `optimistic`
 * are the highest differential attrition (percentage points) still counted as low; null = no
 * differential is low at that overall rate.
 */
export const WWC_ATTRITION_BOUNDARY: readonly { overall: number; cautious: number | null; optimistic: number }[] = (() => {
  // prettier-ignore
  const cautious = [
    5.7, 5.8, 5.9, 5.9, 6.0, 6.1, 6.2, 6.3, 6.3, 6.3, 6.3, 6.2, 6.2, 6.1, 6.0, 5.9, 5.9, 5.8, 5.7, 5.5, // 0–19
    5.4, 5.3, 5.2, 5.1, 4.9, 4.8, 4.7, 4.5, 4.4, 4.3, 4.1, 4.0, 3.8, 3.6, 3.5, 3.3, 3.2, 3.1, 2.9, 2.8, // 20–39
    2.6, 2.5, 2.3, 2.1, 2.0, 1.8, 1.6, 1.5, 1.3, 1.2, 1.0, 0.9, 0.7, 0.6, 0.4, 0.3, 0.2, 0.0, //          40–57
  ];
  // prettier-ignore
  const optimistic = [
    10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.7, 10.8, 10.9, 10.9, 10.9, 10.9, 10.9, 10.8, 10.8, 10.7, 10.6, 10.5, 10.3, 10.2, // 0–19
    10.0, 9.9, 9.7, 9.5, 9.4, 9.2, 9.0, 8.8, 8.6, 8.4, 8.2, 8.0, 7.8, 7.6, 7.4, 7.2, 7.0, 6.7, 6.5, 6.3, //                     20–39
    6.0, 5.8, 5.6, 5.3, 5.1, 4.9, 4.6, 4.4, 4.2, 3.9, 3.7, 3.5, 3.2, 3.0, 2.8, 2.6, 2.3, 2.1, 1.9, 1.6, //                      40–59
    1.4, 1.1, 0.9, 0.7, 0.5, 0.3, //                                                                                             60–65
  ];
  return Object.freeze(optimistic.map((o, i) => Object.freeze({ overall: i, cautious: i < cautious.length ? cautious[i] : null, optimistic: o })));
})();

/**
 * The highest differential attrition (as a proportion) that is still low at this overall attrition
 * (a proportion), or null when none is.
 */
export function wwcAttritionBoundary(overall: number, assumption: AttritionAssumption): number | null {
  if (!(overall >= 0 && overall <= 1)) throw new AnalysisError(`invalid overall attrition; not a proportion in [0, 1]: ${overall}`);
  // The small offset keeps e.g. 0.575 (57.49999… in floating point) in the 58 % row.
  const row = WWC_ATTRITION_BOUNDARY[Math.round(overall * 100 + 1e-9)];
  if (row === undefined) return null;
  const pp = row[assumption];
  return pp === null ? null : pp / 100;
}

/** Low or high attrition under one assumption; both rates are proportions. */
export function classifyAttrition(overall: number, differential: number, assumption: AttritionAssumption): AttritionLevel {
  if (!(differential >= 0 && differential <= 1)) throw new AnalysisError(`invalid differential attrition; not a proportion in [0, 1]: ${differential}`);
  const boundary = wwcAttritionBoundary(overall, assumption);
  // The tolerance keeps a differential exactly on the boundary (e.g. 0.057 vs 5.7 / 100) low.
  return boundary !== null && differential <= boundary + 1e-12 ? "low" : "high";
}

export interface AttritionResult {
  outcome: string;
  arm: string;
  control: string;
  randomized_treatment: number;
  randomized_control: number;
  observed_treatment: number;
  observed_control: number;
  attrition_treatment: number;
  attrition_control: number;
  overall: number;
  differential: number;
  cautious: { max_differential: number | null; attrition: AttritionLevel };
  optimistic: { max_differential: number | null; attrition: AttritionLevel };
}

export interface AttritionOptions {
  outcome: string;
  treatment?: number;
  control?: number;
  armNames?: readonly string[];
}

/**
 * Attrition of one outcome for one arm against control. `observed[i]` is truthy (1 / true) when
 * participant i's outcome was measured; a number array of outcome values may be passed through
 * `observedFromValues` first (NaN = missing).
 */
export function attrition(observed: ArrayLike<number | boolean>, arm: ArrayLike<number>, options: AttritionOptions): AttritionResult {
  const t = options.treatment ?? 1;
  const c = options.control ?? 0;
  const name = (k: number) => options.armNames?.[k] ?? String(k);
  if (observed.length !== arm.length) {
    throw new AnalysisError(`outcome ${options.outcome}: ${observed.length} observation flags for ${arm.length} participants`);
  }
  let n1 = 0, o1 = 0, n0 = 0, o0 = 0;
  for (let i = 0; i < arm.length; i++) {
    const a = arm[i];
    const seen = observed[i] ? 1 : 0;
    if (a === t) { n1++; o1 += seen; } else if (a === c) { n0++; o0 += seen; }
  }
  for (const [k, n] of [[t, n1], [c, n0]] as const) {
    if (n === 0) throw new AnalysisError(`outcome ${options.outcome}: arm ${name(k)} has no one randomized; attrition is undefined`);
  }
  const a1 = 1 - o1 / n1, a0 = 1 - o0 / n0;
  const overall = 1 - (o1 + o0) / (n1 + n0);
  const differential = Math.abs(a1 - a0);
  const rule = (assumption: AttritionAssumption) => ({
    max_differential: wwcAttritionBoundary(overall, assumption),
    attrition: classifyAttrition(overall, differential, assumption),
  });
  return {
    outcome: options.outcome, arm: name(t), control: name(c),
    randomized_treatment: n1, randomized_control: n0, observed_treatment: o1, observed_control: o0,
    attrition_treatment: a1, attrition_control: a0, overall, differential,
    cautious: rule("cautious"), optimistic: rule("optimistic"),
  };
}

/** Observation flags from outcome values: 1 where the value is a number, 0 where it is NaN. */
export function observedFromValues(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Number.isNaN(values[i]) ? 0 : 1;
  return out;
}
