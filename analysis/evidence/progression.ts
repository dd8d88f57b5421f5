/**
 * The evidence package's `progression` section from the randomized participants and their
 * progression measurements (as `progression.csv` holds them), for a protocol with a progression
 * instrument. Every estimate is the existing progression analysis's (`analyzeProgression`:
 * ANCOVA with HC2 and the factors Holm- or BH-adjusted, the arm × week mixed model, the milestone
 * times); this module adds only what a reader needs beside them:
 *
 * - mean trajectories: per measure, arm and planned week, the mean of the oriented scores
 *   (higher = closer to work) of those measured, with a t interval (df n − 1) at the protocol's
 *   level — descriptive, over whoever was measured, so the completeness table belongs beside it;
 * - completeness per arm and week (`completeness` of the panel: those with a total, out of the
 *   randomized);
 * - ANCOVA at the primary week only (the other weeks are in the mixed model);
 * - time to the milestone, if the protocol defines one, through the survival code (Kaplan–Meier
 *   per arm, log-rank);
 * - the assumption of each estimator, and plain words (progression-words.ts).
 *
 * When the effects cannot be estimated yet (no measurements, an arm without completers at the
 * primary week, ...) the section keeps the trajectories and completeness, leaves the effects
 * empty and says why in `warnings`: a package of a trial that is still measuring must not fail.
 */
import type { Protocol } from "../../protocols/index.ts";
import { qt } from "../distributions.ts";
import { AnalysisError } from "../estimate.ts";
import { kaplanMeier } from "../estimators/kaplan-meier.ts";
import { logrank } from "../estimators/logrank.ts";
import { milestoneTimes, type MilestoneTimes } from "../progression/milestone.ts";
import { buildPanel, completeness, type Measurement, type Participant } from "../progression/panel.ts";
import { analyzeProgression, type ProgressionAnalysis } from "../progression/progression-analysis.ts";
import { ASSUMPTIONS, type ProgressionEffect } from "../progression/result.ts";
import type { ProgressionEffectRow, ProgressionSection, TrajectoryPoint } from "./progression-schema.ts";
import { progressionStatements } from "./progression-words.ts";

export interface ProgressionData {
  participants: readonly Participant[];
  measurements: readonly Measurement[];
}

const effectRow = (e: ProgressionEffect): ProgressionEffectRow => ({
  estimator: e.estimator, term: e.term, measure: e.measure, week: e.week, arm: e.arm, control: e.control,
  estimate: e.estimate, std_error: e.std_error, statistic: e.statistic, df: e.df, p_value: e.p_value,
  p_adjusted: e.p_adjusted, adjustment: e.adjustment, ci_lower: e.ci_lower, ci_upper: e.ci_upper, level: e.level,
  n: e.n, se_type: e.se_type, warnings: [...e.warnings], assumption: { ...e.assumption },
});

/** Mean, SD and t interval of the finite values; nulls where they are not defined. */
export function meanWithInterval(values: readonly number[], level: number): Omit<TrajectoryPoint, "measure" | "arm" | "week"> {
  const n = values.length;
  if (n === 0) return { n, mean: null, sd: null, ci_lower: null, ci_upper: null };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  if (n === 1) return { n, mean, sd: null, ci_lower: null, ci_upper: null };
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  const half = qt(1 - (1 - level) / 2, n - 1) * (sd / Math.sqrt(n));
  return { n, mean, sd, ci_lower: mean - half, ci_upper: mean + half };
}

function milestoneSection(protocol: Protocol, times: MilestoneTimes, warnings: string[]): ProgressionSection["milestone"] {
  const settings = protocol.progression!.analysis.milestone!;
  const present = protocol.arms.map((a) => a.id).filter((id) => times.arm.includes(id));
  const level = 1 - protocol.analysis.alpha;
  const fit = present.length > 0 ? kaplanMeier(times.time, times.event, times.arm, { levels: present, outcome: "progression milestone", level }) : { arms: [] };
  let test: { chisq: number; df: number; p_value: number } | null = null;
  if (present.length > 1) {
    try {
      const lr = logrank(times.time, times.event, times.arm, { levels: present, outcome: "progression milestone" });
      test = { chisq: lr.chisq, df: lr.df, p_value: lr.p_value };
    } catch (error) {
      if (!(error instanceof AnalysisError)) throw error;
      warnings.push(`progression milestone: log-rank test not computed: ${error.message}`);
    }
  }
  return {
    label: { ...settings.label },
    total_at_least: settings.total_at_least,
    counts: { ...times.counts },
    arms: fit.arms.map((c) => ({
      arm: String(c.arm), n: c.n, events: c.events, median: c.median, median_ci_lower: c.median_lower, median_ci_upper: c.median_upper,
      curve: { time: Array.from(c.time), surv: Array.from(c.surv) },
    })),
    logrank: test && Number.isFinite(test.p_value) ? test : null,
  };
}

export function progressionSection(protocol: Protocol, data: ProgressionData, options: { level?: number } = {}): ProgressionSection {
  const progression = protocol.progression;
  if (!progression) throw new AnalysisError(`protocol ${protocol.id}: no progression instrument`);
  const { instrument, schedule, analysis } = progression;
  const level = options.level ?? 1 - protocol.analysis.alpha;
  const { participants, measurements } = data;
  const armOrder = protocol.arms.map((a) => a.id);
  const { panel, assignment } = buildPanel({ participants, measurements, instrument, schedule });

  const K = panel.weeks.length;
  const trajectories: TrajectoryPoint[] = [];
  for (const measure of panel.measures) {
    const scores = panel.scores[measure]!;
    for (const arm of armOrder) {
      const rows: number[] = [];
      panel.arm.forEach((a, i) => a === arm && rows.push(i));
      if (rows.length === 0) continue;
      panel.weeks.forEach((week, k) => {
        const values = rows.map((i) => scores[i * K + k]!).filter((v) => !Number.isNaN(v));
        trajectories.push({ measure, arm, week, ...meanWithInterval(values, level) });
      });
    }
  }
  const rank = (arm: string) => armOrder.indexOf(arm);
  const complete = completeness(panel)
    .map((c) => ({ arm: c.arm, week: c.week, expected: c.randomized, measured: c.measured, share: c.share }))
    .sort((a, b) => rank(a.arm) - rank(b.arm));

  const warnings: string[] = [];
  let result: ProgressionAnalysis | null = null;
  if (measurements.length === 0) warnings.push("progression: no measurements recorded yet; effects not estimated");
  else {
    try {
      result = analyzeProgression(progression, protocol.arms.map((a) => ({ id: a.id, control: a.control === true })), participants, measurements, { level });
    } catch (error) {
      if (!(error instanceof AnalysisError)) throw error;
      warnings.push(`progression: the effects cannot be estimated on the measurements as they stand: ${error.message}`);
    }
  }
  warnings.push(...(result?.warnings ?? []));
  for (const m of result?.mixed_model ?? []) if (m.fit.singular) warnings.push(`progression ${m.measure}: the mixed model's random-intercept variance is estimated at zero (singular fit)`);

  let milestone: ProgressionSection["milestone"] = null;
  if (analysis.milestone) {
    let times: MilestoneTimes | null = result?.milestone ?? null;
    if (times === null) {
      try {
        times = milestoneTimes({ participants, measurements, instrument, schedule, threshold: analysis.milestone.total_at_least });
      } catch (error) {
        if (!(error instanceof AnalysisError)) throw error;
        warnings.push(`progression milestone: ${error.message}`);
      }
    }
    if (times) milestone = milestoneSection(protocol, times, warnings);
  }

  const section: ProgressionSection = {
    instrument: { id: instrument.id, version: instrument.version, illustrative: instrument.illustrative },
    level,
    primary_week: analysis.primary_week,
    multiplicity: analysis.multiplicity,
    assignment: { ...assignment },
    trajectories,
    completeness: complete,
    ancova: (result?.ancova ?? []).filter((e) => e.week === analysis.primary_week).map(effectRow),
    mixed_model: (result?.mixed_model ?? []).flatMap((m) => m.effects).map(effectRow),
    primary: (result?.primary ?? []).map(effectRow),
    milestone,
    assumptions: Object.fromEntries(analysis.estimators.map((e) => [e, { ...ASSUMPTIONS[e] }])),
    statements: [],
    warnings,
  };
  section.statements = progressionStatements(protocol, section);
  return section;
}
