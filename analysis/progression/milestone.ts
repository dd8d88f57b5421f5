/**
 * Time to a progression milestone as a time-to-event outcome: the first measurement after the
 * baseline with a total at or above the protocol's `milestone.total_at_least`, in weeks from
 * enrollment (day / 7), for the survival estimators (`kaplanMeier`, `logrank`, `coxPH`).
 *
 * Per participant:
 * - the baseline is the measurement used for week 0 (window assignment as `assignToPlannedWeeks`);
 *   without one, or with a baseline total already at the milestone, the participant is left out
 *   and counted (`no_baseline`, `at_milestone_at_baseline`): the question is who reaches it;
 * - every later measurement counts, planned or not (conversations between planned weeks too);
 *   the event time is the day of the first one whose total is at or above the threshold;
 * - otherwise the time is censored at the day of the last measurement with a total; a participant
 *   with none after the baseline is left out and counted (`no_follow_up`).
 * The milestone is seen at a conversation, so the event time is when it was observed, not when it
 * happened (interval censoring is ignored, as in the usual analysis of visit-based milestones).
 *
 * Errors (`AnalysisError`): those of `buildPanel` and `assignToPlannedWeeks`; a threshold that is
 * not a finite number; no planned week 0.
 *
 * @example
 * // baseline total 2 on day 0; 3.5 on day 91 (not yet 4); 4 on day 182 → event at week 26
 */
import { AnalysisError } from "../estimate.ts";
import { progressionTotal, type InstrumentView, type Measurement, type Participant } from "./panel.ts";
import { assignToPlannedWeeks, type PlannedWeekWindow } from "./windows.ts";

export interface MilestoneTimes {
  participants: string[];
  arm: string[];
  /** Weeks from enrollment to the event or censoring. */
  time: Float64Array;
  /** 1 = reached the milestone, 0 = censored. */
  event: Uint8Array;
  counts: { no_baseline: number; at_milestone_at_baseline: number; no_follow_up: number };
}

export function milestoneTimes(input: {
  participants: readonly Participant[];
  measurements: readonly Measurement[];
  instrument: InstrumentView;
  schedule: readonly PlannedWeekWindow[];
  threshold: number;
}): MilestoneTimes {
  const { participants, measurements, instrument, schedule, threshold } = input;
  if (!Number.isFinite(threshold)) throw new AnalysisError(`progression: the milestone threshold is not a number: ${threshold}`);
  const k0 = schedule.findIndex((s) => s.week === 0);
  if (k0 < 0) throw new AnalysisError(`progression: the milestone needs week 0 (the baseline) among the planned weeks`);
  const assigned = assignToPlannedWeeks(
    measurements.map((m) => m.participant),
    measurements.map((m) => m.day),
    schedule,
  );
  const byParticipant = new Map<string, number[]>();
  measurements.forEach((m, j) => {
    const list = byParticipant.get(m.participant);
    if (list) list.push(j);
    else byParticipant.set(m.participant, [j]);
  });
  const ids: string[] = [], arms: string[] = [], times: number[] = [], events: number[] = [];
  const counts = { no_baseline: 0, at_milestone_at_baseline: 0, no_follow_up: 0 };
  for (const p of participants) {
    const rows = byParticipant.get(p.id) ?? [];
    const base = rows.find((j) => assigned.week[j] === k0);
    const baseTotal = base === undefined ? NaN : progressionTotal(instrument, measurements[base]!.scores);
    if (base === undefined || Number.isNaN(baseTotal)) {
      counts.no_baseline++;
      continue;
    }
    if (baseTotal >= threshold) {
      counts.at_milestone_at_baseline++;
      continue;
    }
    const baseDay = measurements[base]!.day;
    const later = rows
      .filter((j) => measurements[j]!.day > baseDay)
      .map((j) => ({ day: measurements[j]!.day, total: progressionTotal(instrument, measurements[j]!.scores) }))
      .filter((m) => !Number.isNaN(m.total))
      .sort((a, b) => a.day - b.day);
    if (later.length === 0) {
      counts.no_follow_up++;
      continue;
    }
    const hit = later.find((m) => m.total >= threshold);
    ids.push(p.id);
    arms.push(p.arm);
    times.push((hit ?? later[later.length - 1]!).day / 7);
    events.push(hit ? 1 : 0);
  }
  return { participants: ids, arm: arms, time: Float64Array.from(times), event: Uint8Array.from(events), counts };
}
