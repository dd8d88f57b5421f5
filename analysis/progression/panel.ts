/**
 * The progression panel: one row per randomized participant, one column per planned week, one
 * matrix per measure (each factor and the total), NaN where nothing was measured. This is what
 * the estimators read; it is built from the recorded measurements by `buildPanel`.
 *
 * Scores are oriented so that higher is closer to work or education: a factor whose direction
 * is `lower` has its score x replaced by min + max − x. The total is the mean or sum of the
 * oriented scores of its factors (protocol `instrument.total`), and is missing unless every one of
 * them was scored at that measurement.
 *
 * Completeness (`completeness`) is counted over the randomized participants (intention to treat):
 * per arm and planned week, how many have a measurement.
 *
 * Errors (`AnalysisError`): a measurement of someone not among the participants, a score that is
 * not an integer on its factor's scale (row, factor and value named), an unknown factor.
 */
import { AnalysisError } from "../estimate.ts";
import { TOTAL } from "./result.ts";
import { assignToPlannedWeeks, type PlannedWeekWindow, type WindowAssignment } from "./windows.ts";

/** What the panel needs of an instrument (protocols' `ProgressionInstrument` fits). */
export interface InstrumentView {
  factors: readonly { id: string; scale: { min: number; max: number }; direction: "higher" | "lower" }[];
  total: { method: "mean" | "sum"; factors?: readonly string[] };
}

export interface Participant {
  id: string;
  arm: string;
  /** The design's stratum (one label per participant; combine several variables into one). */
  stratum?: string;
}

export interface Measurement {
  participant: string;
  /** Days from enrollment (day 0 = the enrollment day). */
  day: number;
  /** Factor id → score as recorded (on the factor's own scale); null or absent = not scored. */
  scores: Readonly<Record<string, number | null | undefined>>;
}

export interface ProgressionPanel {
  participants: string[];
  arm: string[];
  /** Per participant, when the design has strata. */
  strata?: string[];
  /** The planned weeks, in schedule order. */
  weeks: number[];
  /** The factor ids and "total". */
  measures: string[];
  /** Measure → participants × weeks, row-major (participant i, week k at i·K + k); NaN = missing. */
  scores: Record<string, Float64Array>;
}

/** The total of one measurement from its recorded scores; NaN unless every factor in it was scored. */
export function progressionTotal(instrument: InstrumentView, scores: Readonly<Record<string, number | null | undefined>>): number {
  const ids = instrument.total.factors ?? instrument.factors.map((f) => f.id);
  let sum = 0;
  for (const id of ids) {
    const f = instrument.factors.find((x) => x.id === id);
    if (!f) throw new AnalysisError(`progression: the total names an unknown factor ${JSON.stringify(id)}`);
    const v = scores[id];
    if (v === null || v === undefined || !Number.isFinite(v)) return NaN;
    sum += f.direction === "lower" ? f.scale.min + f.scale.max - v : v;
  }
  return instrument.total.method === "mean" ? sum / ids.length : sum;
}

export function buildPanel(input: {
  participants: readonly Participant[];
  measurements: readonly Measurement[];
  instrument: InstrumentView;
  schedule: readonly PlannedWeekWindow[];
}): { panel: ProgressionPanel; assignment: WindowAssignment["counts"] } {
  const { participants, measurements, instrument, schedule } = input;
  const K = schedule.length;
  const P = participants.length;
  const row = new Map<string, number>();
  participants.forEach((p, i) => {
    if (row.has(p.id)) throw new AnalysisError(`progression: participant ${p.id} is listed twice`);
    row.set(p.id, i);
  });
  const measures = [...instrument.factors.map((f) => f.id), TOTAL];
  const scores: Record<string, Float64Array> = {};
  for (const m of measures) scores[m] = new Float64Array(P * K).fill(NaN);
  const factorIds = new Set(instrument.factors.map((f) => f.id));
  measurements.forEach((m, j) => {
    if (!row.has(m.participant)) throw new AnalysisError(`progression: measurement ${j} is of ${m.participant}, who is not among the randomized participants`);
    for (const [id, v] of Object.entries(m.scores)) {
      if (!factorIds.has(id)) throw new AnalysisError(`progression: measurement ${j} scores an unknown factor ${JSON.stringify(id)}`);
      if (v === null || v === undefined) continue;
      const f = instrument.factors.find((x) => x.id === id)!;
      if (!Number.isInteger(v) || v < f.scale.min || v > f.scale.max)
        throw new AnalysisError(`progression: measurement ${j}, factor ${id}: ${v} is not an integer from ${f.scale.min} to ${f.scale.max}`);
    }
  });
  const assignment = assignToPlannedWeeks(
    measurements.map((m) => m.participant),
    measurements.map((m) => m.day),
    schedule,
  );
  measurements.forEach((m, j) => {
    const k = assignment.week[j];
    if (k < 0) return;
    const at = row.get(m.participant)! * K + k;
    for (const f of instrument.factors) {
      const v = m.scores[f.id];
      if (v === null || v === undefined) continue;
      scores[f.id][at] = f.direction === "lower" ? f.scale.min + f.scale.max - v : v;
    }
    scores[TOTAL][at] = progressionTotal(instrument, m.scores);
  });
  const hasStrata = participants.some((p) => p.stratum !== undefined);
  if (hasStrata) {
    const missing = participants.find((p) => p.stratum === undefined);
    if (missing) throw new AnalysisError(`progression: participant ${missing.id} has no stratum`);
  }
  return {
    panel: {
      participants: participants.map((p) => p.id),
      arm: participants.map((p) => p.arm),
      strata: hasStrata ? participants.map((p) => p.stratum!) : undefined,
      weeks: schedule.map((s) => s.week),
      measures,
      scores,
    },
    assignment: assignment.counts,
  };
}

export interface CompletenessRow {
  arm: string;
  week: number;
  randomized: number;
  measured: number;
  /** measured / randomized. */
  share: number;
}

/** Per arm (in order of first appearance) and planned week: how many randomized participants were measured. */
export function completeness(panel: ProgressionPanel, measure: string = TOTAL): CompletenessRow[] {
  const values = panel.scores[measure];
  if (!values) throw new AnalysisError(`progression: unknown measure ${JSON.stringify(measure)}`);
  const K = panel.weeks.length;
  const arms = [...new Set(panel.arm)];
  const out: CompletenessRow[] = [];
  for (const arm of arms) {
    let randomized = 0;
    const measured = new Array<number>(K).fill(0);
    panel.arm.forEach((a, i) => {
      if (a !== arm) return;
      randomized++;
      for (let k = 0; k < K; k++) if (!Number.isNaN(values[i * K + k])) measured[k]++;
    });
    panel.weeks.forEach((week, k) => out.push({ arm, week, randomized, measured: measured[k], share: measured[k] / randomized }));
  }
  return out;
}
