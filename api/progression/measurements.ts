/**
 * Progression measurements as the store keeps them, and as the analysis reads them.
 *
 * A measurement is an `OutcomeValue` row with `outcome: "progression"` (no protocol outcome may
 * carry that id in the analysis data set; `analysisDataset` skips these rows):
 *
 *   timePoint   the measurement's id (`pm-` and 16 letters)
 *   value       { scores: { <factor>: <integer> }, scored_by, corrects?, reason? }
 *   observedAt  the conversation's day (YYYY-MM-DD)
 *   source      "site"
 *
 * Nothing is updated or deleted: a correction is a new row whose `corrects` names the id of the
 * measurement it replaces, with a reason. A measurement is corrected at most once (the route
 * refuses a second correction of the same row; correct the correction instead), so the
 * measurements in force are the rows no other row corrects: each chain ends in one of them.
 *
 * `progressionInput` turns the stored rows into the arguments of `analyzeProgression`: every
 * randomized participant (intention to treat) with their arm and stratum, each measurement in
 * force as days from the enrollment day, measurements dated after a withdrawal's effective day
 * left out (as `analysisDataset` leaves out such outcomes).
 */
import { analyzeProgression, type ProgressionAnalysis } from "../../analysis/progression/progression-analysis.ts";
import type { Measurement, Participant } from "../../analysis/progression/panel.ts";
import type { Protocol } from "../../protocols/index.ts";
import type { Progression } from "../../protocols/progression-schema.ts";
import { ALL_SITES, type EnrollmentRecord, type JsonValue, type OutcomeValue, type Store, type Withdrawal } from "../store/store.ts";

/** The `outcome` of every progression row. */
export const PROGRESSION_OUTCOME = "progression";

export const SCORED_BY = ["caseworker", "citizen", "together"] as const;
export type ScoredBy = (typeof SCORED_BY)[number];

/** A measurement id: `pm-` and 16 lowercase letters (no digits, so never CPR-shaped). */
export const MEASUREMENT_ID_RE = /^pm-[a-z]{16}$/;

/** The `value` of a progression row. */
export interface ProgressionValue {
  scores: Record<string, number>;
  scored_by: ScoredBy;
  corrects?: string;
  reason?: string;
}

/** One stored measurement, read back. */
export interface StoredMeasurement {
  id: string;
  publicId: string;
  /** The conversation's day, YYYY-MM-DD. */
  date: string;
  scoredBy: ScoredBy;
  scores: Record<string, number>;
  /** The id of the measurement this one corrects, if it is a correction. */
  corrects: string | null;
  reason: string | null;
  recordedAt: string;
}

const DAY_MS = 86_400_000;

/** Days from the enrollment day to `date` (both read as UTC days). */
export function daysFromEnrollment(enrolledAt: string, date: string): number {
  return Math.round((Date.parse(`${date.slice(0, 10)}T00:00:00Z`) - Date.parse(`${enrolledAt.slice(0, 10)}T00:00:00Z`)) / DAY_MS);
}

function isObject(v: JsonValue | undefined): v is { [k: string]: JsonValue } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A progression row read back; null for another outcome's row or a row that is not one of ours. */
export function measurementOf(row: OutcomeValue): StoredMeasurement | null {
  if (row.outcome !== PROGRESSION_OUTCOME || row.timePoint === null || !isObject(row.value)) return null;
  const v = row.value;
  if (!isObject(v.scores) || !(SCORED_BY as readonly unknown[]).includes(v.scored_by)) return null;
  const scores: Record<string, number> = {};
  for (const [k, s] of Object.entries(v.scores)) if (typeof s === "number") scores[k] = s;
  return {
    id: row.timePoint,
    publicId: row.publicId,
    date: row.observedAt.slice(0, 10),
    scoredBy: v.scored_by as ScoredBy,
    scores,
    corrects: typeof v.corrects === "string" ? v.corrects : null,
    reason: typeof v.reason === "string" ? v.reason : null,
    recordedAt: row.recordedAt,
  };
}

/** Every stored measurement, in write order (corrections included). */
export function storedMeasurements(rows: readonly OutcomeValue[]): StoredMeasurement[] {
  const out: StoredMeasurement[] = [];
  for (const r of rows) {
    const m = measurementOf(r);
    if (m !== null) out.push(m);
  }
  return out;
}

/**
 * The measurements in force: the rows no other row corrects, in write order. Should one row have
 * been corrected twice (two corrections sent at the same moment, each checked before the other
 * was written), the later-written correction is in force and the earlier counts as corrected.
 */
export function currentMeasurements(all: readonly StoredMeasurement[]): StoredMeasurement[] {
  const corrected = new Set<string>();
  const latest = new Map<string, string>();
  for (const m of all) {
    if (m.corrects === null) continue;
    corrected.add(m.corrects);
    const earlier = latest.get(m.corrects);
    if (earlier !== undefined) corrected.add(earlier);
    latest.set(m.corrects, m.id);
  }
  return all.filter((m) => !corrected.has(m.id));
}

/** The earliest effective withdrawal day per participant. */
export function withdrawalDays(withdrawals: readonly Withdrawal[]): Map<string, string> {
  const on = new Map<string, string>();
  for (const w of withdrawals) {
    const prior = on.get(w.publicId);
    if (prior === undefined || w.effective < prior) on.set(w.publicId, w.effective);
  }
  return on;
}

export interface ProgressionInput {
  progression: Progression;
  arms: { id: string; control: boolean }[];
  participants: Participant[];
  measurements: Measurement[];
}

/**
 * The arguments of `analyzeProgression` from the stored rows.
 *
 * @throws {Error} if the protocol declares no progression instrument.
 */
export function progressionInput(
  protocol: Protocol,
  enrollments: readonly EnrollmentRecord[],
  withdrawals: readonly Withdrawal[],
  rows: readonly OutcomeValue[],
): ProgressionInput {
  const progression = protocol.progression;
  if (!progression) throw new Error(`protocol ${protocol.id}: no progression instrument`);
  const byId = new Map(enrollments.map((e) => [e.publicId, e]));
  const withdrawn = withdrawalDays(withdrawals);
  const participants: Participant[] = enrollments.map((e) => (e.stratum === null ? { id: e.publicId, arm: e.arm } : { id: e.publicId, arm: e.arm, stratum: e.stratum }));
  const measurements: Measurement[] = [];
  for (const m of currentMeasurements(storedMeasurements(rows))) {
    const e = byId.get(m.publicId);
    if (!e) continue;
    const until = withdrawn.get(m.publicId);
    if (until !== undefined && m.date > until) continue;
    measurements.push({ participant: m.publicId, day: daysFromEnrollment(e.enrolledAt, m.date), scores: m.scores });
  }
  return { progression, arms: protocol.arms.map((a) => ({ id: a.id, control: a.control === true })), participants, measurements };
}

/** The protocol's progression analysis on the trial's recorded measurements, as they stand. */
export async function analyzeRecordedProgression(store: Store, trialId: string, protocol: Protocol, options: { level?: number } = {}): Promise<ProgressionAnalysis> {
  const [enrollments, withdrawals, rows] = await Promise.all([store.listEnrollments(trialId, ALL_SITES), store.listWithdrawals(trialId, ALL_SITES), store.listOutcomes(trialId, ALL_SITES)]);
  const input = progressionInput(protocol, enrollments, withdrawals, rows);
  return analyzeProgression(input.progression, input.arms, input.participants, input.measurements, options);
}
