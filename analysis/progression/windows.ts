/**
 * Assigning recorded measurements to the protocol's planned weeks.
 *
 * Planned week w with window {before, after} holds the measurements taken from day 7(w − before)
 * to day 7(w + after) after enrollment, both ends included (the protocol's windows do not overlap,
 * so a measurement lies in at most one). Per participant and planned week the measurement nearest
 * to day 7w is used; at equal distance the earlier one; on the same day the one given first.
 * A measurement outside every window is not used (`outside_window`); one in a window where a
 * nearer measurement exists is not used either (`superseded`). Corrections must be resolved before
 * (one row per measurement occasion).
 *
 * Errors (`AnalysisError`): a day that is not a finite number (row named), unequal lengths.
 *
 * @example
 * assignToPlannedWeeks(["a", "a", "a"], [90, 95, 200], [{ week: 0, window: { before: 0, after: 1 } }, { week: 13, window: { before: 2, after: 2 } }]).week
 * // Int32Array [1, -1, -1]: day 90 is nearer to day 91 than day 95; day 200 is outside every window
 */
import { AnalysisError } from "../estimate.ts";

export interface PlannedWeekWindow {
  week: number;
  window: { before: number; after: number };
}

export interface WindowAssignment {
  /** Per row: the index (into the schedule) of the planned week it is used for, or −1. */
  week: Int32Array;
  counts: { rows: number; used: number; outside_window: number; superseded: number };
}

export function assignToPlannedWeeks(participants: ArrayLike<string>, days: ArrayLike<number>, schedule: readonly PlannedWeekWindow[]): WindowAssignment {
  const n = participants.length;
  if (days.length !== n) throw new AnalysisError(`progression: ${days.length} days for ${n} measurements`);
  const K = schedule.length;
  const from = schedule.map((s) => 7 * (s.week - s.window.before));
  const to = schedule.map((s) => 7 * (s.week + s.window.after));
  const target = schedule.map((s) => 7 * s.week);
  const best = new Map<string, Int32Array>();
  const inWindow = new Int32Array(n).fill(-1);
  let outside = 0;
  for (let i = 0; i < n; i++) {
    const day = days[i];
    if (!Number.isFinite(day)) throw new AnalysisError(`progression: measurement ${i} (participant ${participants[i]}) has no valid day: ${day}`);
    let k = -1;
    for (let j = 0; j < K; j++) if (day >= from[j] && day <= to[j]) { k = j; break; }
    if (k < 0) {
      outside++;
      continue;
    }
    inWindow[i] = k;
    let slots = best.get(participants[i]);
    if (!slots) {
      slots = new Int32Array(K).fill(-1);
      best.set(participants[i], slots);
    }
    const current = slots[k];
    if (current < 0) {
      slots[k] = i;
      continue;
    }
    const dNew = Math.abs(day - target[k]), dOld = Math.abs(days[current] - target[k]);
    if (dNew < dOld || (dNew === dOld && day < days[current])) slots[k] = i;
  }
  const week = new Int32Array(n).fill(-1);
  let used = 0;
  for (const slots of best.values())
    for (let k = 0; k < K; k++)
      if (slots[k] >= 0) {
        week[slots[k]] = k;
        used++;
      }
  let inside = 0;
  for (let i = 0; i < n; i++) if (inWindow[i] >= 0) inside++;
  return { week, counts: { rows: n, used, outside_window: outside, superseded: inside - used } };
}
