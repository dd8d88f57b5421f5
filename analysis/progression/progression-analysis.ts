/**
 * The protocol's progression plan run on the data as they stand: what the evidence package
 * shows about progression. From the protocol's `progression` section (instrument, schedule,
 * analysis settings), the randomized participants and their recorded measurements:
 *
 * - the window assignment's counts (used, outside every window, superseded);
 * - completeness per arm and planned week, for the total (every factor scored);
 * - with `ancova`: the ANCOVA at every planned follow-up week, per factor and for the total, the
 *   factors' p-values adjusted per arm and week (`multiplicity`);
 * - with `mixed_model`: the arm × week mixed model per factor and for the total (`baseline`
 *   constrained or not), the factors' p-values adjusted per arm and week the same way;
 * - with a `milestone`: time to it, ready for the survival estimators;
 * - the primary result: the total's effect at `primary_week` by the first listed estimator.
 *
 * Strata are the participants' `stratum` labels (the design's strata combined into one), used as
 * fixed effects when given. The control arm is the protocol's control; the other arms are
 * reported in protocol order.
 */
import type { Progression } from "../../protocols/progression-schema.ts";
import { AnalysisError } from "../estimate.ts";
import { benjaminiHochberg, holm } from "../multiplicity.ts";
import { progressionAncova } from "./ancova.ts";
import { milestoneTimes, type MilestoneTimes } from "./milestone.ts";
import { progressionMixedModel } from "./mixed-model.ts";
import { buildPanel, completeness, type CompletenessRow, type Measurement, type Participant } from "./panel.ts";
import type { RandomInterceptFit } from "./random-intercept.ts";
import { TOTAL, type ProgressionEffect } from "./result.ts";

export interface ProgressionAnalysis {
  instrument: { id: string; version: number; illustrative: boolean };
  assignment: { rows: number; used: number; outside_window: number; superseded: number };
  completeness: CompletenessRow[];
  ancova: ProgressionEffect[];
  mixed_model: { measure: string; effects: ProgressionEffect[]; fit: Pick<RandomInterceptFit, "sigma" | "sd_intercept" | "theta" | "singular" | "n" | "groups" | "reml_criterion"> }[];
  milestone: MilestoneTimes | null;
  /** The total's effects at the primary week by the first listed estimator (one per non-control arm; none while not estimable). */
  primary: ProgressionEffect[];
  /**
   * What could not be estimated on the measurements as they stand, e.g. in an interim analysis a
   * week nobody (or no one in one arm) has reached yet: ANCOVA skips that week, the mixed model
   * drops its columns (as lmer does) and estimates the rest.
   */
  warnings: string[];
}

/** Adjusts the factors' p-values (not the total's) within each arm and week. */
function adjustOverFactors(effects: ProgressionEffect[], method: "holm" | "bh"): void {
  const adjust = method === "holm" ? holm : benjaminiHochberg;
  const families = new Map<string, ProgressionEffect[]>();
  for (const e of effects) {
    if (e.measure === TOTAL) continue;
    const key = `${e.arm}\u0000${e.week}`;
    const list = families.get(key);
    if (list) list.push(e);
    else families.set(key, [e]);
  }
  for (const family of families.values()) {
    const adjusted = adjust(family.map((e) => e.p_value));
    family.forEach((e, j) => {
      e.p_adjusted = adjusted[j]!;
      e.adjustment = method;
    });
  }
}

/** "what (measure, measure); what" from [what, measure] pairs: a `what` shared by all `measures` measures stands alone. */
function grouped(pairs: [string, string][], measures: number): string {
  const byWhat = new Map<string, string[]>();
  for (const [what, measure] of pairs) byWhat.set(what, [...(byWhat.get(what) ?? []), measure]);
  return [...byWhat].map(([what, ms]) => (ms.length === measures ? what : `${what} (${ms.join(", ")})`)).join("; ");
}

export function analyzeProgression(
  progression: Progression,
  arms: readonly { id: string; control: boolean }[],
  participants: readonly Participant[],
  measurements: readonly Measurement[],
  options: { level?: number } = {},
): ProgressionAnalysis {
  const { instrument, schedule, analysis } = progression;
  const control = arms.find((a) => a.control)?.id;
  if (control === undefined) throw new AnalysisError(`progression: no control arm`);
  const others = arms.filter((a) => !a.control).map((a) => a.id);
  const { panel, assignment } = buildPanel({ participants, measurements, instrument, schedule });
  const followUps = panel.weeks.filter((w) => w !== 0);
  const warnings: string[] = [];
  const ancova: ProgressionEffect[] = [];
  if (analysis.estimators.includes("ancova"))
    for (const week of followUps) {
      try {
        ancova.push(...progressionAncova(panel, { week, control, arms: others, multiplicity: analysis.multiplicity, level: options.level }));
      } catch (error) {
        // An arm nobody has reached the week in yet, or too few completers for the model (a
        // leverage of 1, say): this week only.
        if (!(error instanceof AnalysisError)) throw error;
        warnings.push(`progression ANCOVA, week ${week}: not estimated; ${error.message}`);
      }
    }
  const mixed: ProgressionAnalysis["mixed_model"] = [];
  const dropped: [string, string][] = [];
  if (analysis.estimators.includes("mixed_model")) {
    for (const measure of panel.measures) {
      let model: ReturnType<typeof progressionMixedModel>;
      try {
        model = progressionMixedModel(panel, { control, arms: others, measure, baseline: analysis.baseline, level: options.level });
      } catch (error) {
        // Not enough data for the model yet (everyone measured once, say): this measure only.
        if (!(error instanceof AnalysisError)) throw error;
        warnings.push(`progression mixed model, ${measure}: not estimated; ${error.message}`);
        continue;
      }
      const { fit, effects } = model;
      const { sigma, sd_intercept, theta, singular, n, groups, reml_criterion } = fit;
      mixed.push({ measure, effects, fit: { sigma, sd_intercept, theta, singular, n, groups, reml_criterion } });
      if (fit.dropped.length > 0) dropped.push([fit.dropped.join(", "), measure]);
    }
    if (dropped.length > 0) {
      warnings.push(`progression mixed model: no measurements yet for ${grouped(dropped, panel.measures.length)}; those effects are not estimated (columns dropped, as lmer does)`);
    }
    adjustOverFactors(mixed.flatMap((m) => m.effects), analysis.multiplicity);
  }
  const milestone = analysis.milestone
    ? milestoneTimes({ participants, measurements, instrument, schedule, threshold: analysis.milestone.total_at_least })
    : null;
  const first = analysis.estimators[0];
  const pool = first === "ancova" ? ancova : mixed.find((m) => m.measure === TOTAL)?.effects ?? [];
  return {
    instrument: { id: instrument.id, version: instrument.version, illustrative: instrument.illustrative },
    assignment,
    completeness: completeness(panel),
    ancova,
    mixed_model: mixed,
    milestone,
    primary: pool.filter((e) => e.measure === TOTAL && e.week === analysis.primary_week),
    warnings,
  };
}
