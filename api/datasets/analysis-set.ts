/**
 * The pseudonymized analysis data set of a trial: one row per participant, in allocation order,
 * in the column layout that `analysis/plan.ts` reads (see its header comment) and that the export
 * route writes as CSV or Parquet.
 *
 * Columns, in this order:
 *
 *   participant_id       the per-trial public id (never the CPR, never the pseudonym)
 *   arm, site, stratum   the allocation as made (stratum null for unstratified designs)
 *   sequence             position in the allocation order (1, 2, ...)
 *   protocol_version     the protocol version in force at allocation
 *   enrolled_at          ISO time of the allocation (the stepped wedge reads it)
 *   target_group         the benefit group given at enrollment (null if none)
 *   <covariate>...       each protocol covariate, baseline corrections applied (the latest wins)
 *   withdrawn            1 if withdrawn, else 0; the participant stays in the data (ITT)
 *   withdrawn_on         the withdrawal's effective day, YYYY-MM-DD, or null
 *   randomized_in_error  1 if flagged as randomized in error, else 0 (flags are never deleted)
 *   <outcome>...         each protocol outcome: its `column` (default its id), or for a
 *                        time-to-event outcome its `columns` (default `<id>_time`, `<id>_event`)
 *
 * Types: numbers, integers, booleans (0/1), binary outcomes (0/1), counts and times are numeric
 * columns (`Float64Array`, missing = NaN); categories, dates, ids and times of day are text
 * (missing = null). That is also what DuckDB reads back from the exported CSV, so an analysis of the
 * export equals an analysis of this set.
 *
 * Outcome values: site-recorded values come from the store, the latest recorded value per
 * participant and outcome winning (a re-recorded value corrects the earlier one), values observed
 * after a withdrawal's effective day left out. Register outcomes come from the register module's
 * derived values through the server's register backend (`options.registerOutcomes`); values the
 * store holds with `source: register` are the fallback.
 *
 * Note on covariates: the allocation saw the values as entered; the corrected values are what the
 * analysis adjusts for. `stratum` keeps the allocation's own stratum.
 */
import type { DataColumn, DataSet } from "../../analysis/plan.ts";
import { outcomeColumns, type Protocol } from "../../protocols/index.ts";
import { PROGRESSION_OUTCOME } from "../progression/measurements.ts";
import type { RegisterOutcomeRow } from "../register/derive.ts";
import type { JsonValue, ReadScope, Store } from "../store/store.ts";

/** One cell of the row view: text, a number, or missing. */
export type Cell = string | number | null;

export interface AnalysisDataSet extends DataSet {
  rows: number;
  columns: Map<string, DataColumn>;
  /** Column names in order (the export's header). */
  names: string[];
  /** Which columns are numeric (Float64Array), for typed export. */
  numeric: ReadonlySet<string>;
  /** The same data as row objects, NaN shown as null, for export. */
  records: Record<string, Cell>[];
}

export interface AnalysisDataSetOptions {
  /**
   * Reads the derived values of a register outcome (by outcome id): `registerOutcomeReader` of the
   * server's register backend. Without it, register outcomes are missing (NaN).
   */
  registerOutcomes?: (outcomeId: string) => Promise<RegisterOutcomeRow[] | null>;
}

/** The fixed columns before the covariates, and the ones after them. */
export const LEADING_COLUMNS = ["participant_id", "arm", "site", "stratum", "sequence", "protocol_version", "enrolled_at", "target_group"] as const;
export const STATUS_COLUMNS = ["withdrawn", "withdrawn_on", "randomized_in_error"] as const;

const asNumber = (v: JsonValue | undefined): number => {
  if (v === true) return 1;
  if (v === false) return 0;
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "") {
    if (v === "true") return 1;
    if (v === "false") return 0;
    const n = Number(v);
    return Number.isFinite(n) ? n : NaN;
  }
  return NaN;
};
const asText = (v: JsonValue | undefined): string | null => (v === undefined || v === null || v === "" ? null : typeof v === "object" ? JSON.stringify(v) : String(v));

/**
 * Builds the analysis data set of `trialId` under `protocol` (normally the trial's current
 * version), seeing only the participants `scope` allows.
 * @throws {Error} if a covariate or outcome column's name collides with another column.
 */
export async function analysisDataset(
  store: Store,
  trialId: string,
  protocol: Protocol,
  scope: ReadScope,
  options: AnalysisDataSetOptions = {},
): Promise<AnalysisDataSet> {
  const [enrollments, corrections, withdrawals, flags, outcomes] = await Promise.all([
    store.listEnrollments(trialId, scope),
    store.listBaselineCorrections(trialId, scope),
    store.listWithdrawals(trialId, scope),
    store.listErrorFlags(trialId, scope),
    store.listOutcomes(trialId, scope),
  ]);
  const n = enrollments.length;
  const index = new Map<string, number>();
  enrollments.forEach((e, i) => index.set(e.publicId, i));
  const pseudonymIndex = new Map<string, number>();
  enrollments.forEach((e, i) => pseudonymIndex.set(e.pseudonym, i));

  const names: string[] = [];
  const columns = new Map<string, DataColumn>();
  const numeric = new Set<string>();
  const add = (name: string, column: DataColumn) => {
    if (columns.has(name)) throw new Error(`analysis data set of ${trialId}: two columns are called ${name}; rename the covariate or outcome column`);
    names.push(name);
    columns.set(name, column);
    if (column instanceof Float64Array) numeric.add(name);
  };

  add("participant_id", enrollments.map((e) => e.publicId));
  add("arm", enrollments.map((e) => e.arm));
  add("site", enrollments.map((e) => e.site));
  add("stratum", enrollments.map((e) => e.stratum));
  add("sequence", Float64Array.from(enrollments, (e) => e.sequence));
  add("protocol_version", Float64Array.from(enrollments, (e) => e.protocolVersion));
  add("enrolled_at", enrollments.map((e) => e.enrolledAt));

  // Baseline as entered, then every correction in the order it was made: the latest wins per field.
  const baseline = enrollments.map((e) => ({ ...e.baseline }));
  for (const c of corrections) {
    const i = index.get(c.publicId);
    if (i !== undefined) Object.assign(baseline[i], c.baseline);
  }
  add("target_group", baseline.map((b) => asText(b.target_group)));
  for (const c of protocol.covariates) {
    if (c.type === "number" || c.type === "integer" || c.type === "boolean") add(c.id, Float64Array.from(baseline, (b) => asNumber(b[c.id])));
    else add(c.id, baseline.map((b) => asText(b[c.id])));
  }

  const withdrawn = new Float64Array(n);
  const withdrawnOn: (string | null)[] = new Array(n).fill(null);
  for (const w of withdrawals) {
    const i = index.get(w.publicId);
    if (i === undefined) continue;
    withdrawn[i] = 1;
    // A participant withdrawn twice keeps the earliest effective day: outcomes stop from then on.
    if (withdrawnOn[i] === null || w.effective < withdrawnOn[i]!) withdrawnOn[i] = w.effective;
  }
  add("withdrawn", withdrawn);
  add("withdrawn_on", withdrawnOn);
  const inError = new Float64Array(n);
  for (const f of flags) {
    const i = index.get(f.publicId);
    if (i !== undefined) inError[i] = 1;
  }
  add("randomized_in_error", inError);

  // Recorded values, the latest recorded per participant and outcome (rows arrive in write order).
  // A value observed after the withdrawal's effective day (recorded before a withdrawal that was
  // dated back) is left out: the withdrawal stops outcomes from that day on.
  const recorded = new Map<string, { value: JsonValue; source: "site" | "register" }[]>();
  for (const o of outcomes) {
    // Progression measurements share the outcome rows (api/progression/measurements.ts); they are
    // a repeated outcome of their own and never a column here, whatever a protocol's outcomes are called.
    if (o.outcome === PROGRESSION_OUTCOME) continue;
    const i = index.get(o.publicId);
    if (i === undefined) continue;
    if (withdrawnOn[i] !== null && o.observedAt.slice(0, 10) > withdrawnOn[i]!) continue;
    let values = recorded.get(o.outcome);
    if (!values) recorded.set(o.outcome, (values = new Array(n)));
    values[i] = { value: o.value, source: o.source };
  }
  const readRegister = options.registerOutcomes;

  for (const outcome of protocol.outcomes) {
    const cols = outcomeColumns(outcome);
    const first = new Float64Array(n).fill(NaN);
    const second = "time" in cols ? new Float64Array(n).fill(NaN) : null;
    const values = recorded.get(outcome.id);
    if (values) {
      for (let i = 0; i < n; i++) {
        const v = values[i]?.value;
        if (v === undefined || v === null) continue;
        if (second !== null) {
          const t = v as { time?: JsonValue; event?: JsonValue };
          if (typeof t === "object" && !Array.isArray(t)) {
            first[i] = asNumber(t.time);
            second[i] = asNumber(t.event);
          }
        } else first[i] = asNumber(v);
      }
    }
    if (outcome.source.type === "register" && readRegister) {
      const derived = await readRegister(outcome.id);
      for (const r of derived ?? []) {
        const i = pseudonymIndex.get(r.pseudonym);
        if (i === undefined) continue;
        first[i] = r.value ?? NaN;
        if (second !== null) second[i] = r.event ?? NaN;
      }
    }
    if ("time" in cols) {
      add(cols.time, first);
      add(cols.event, second!);
    } else add(cols.value, first);
  }

  const records: Record<string, Cell>[] = new Array(n);
  const cols = names.map((name) => [name, columns.get(name)!] as const);
  for (let i = 0; i < n; i++) {
    const r: Record<string, Cell> = {};
    for (const [name, column] of cols) {
      const v = column[i];
      r[name] = typeof v === "number" ? (Number.isNaN(v) ? null : v) : (v ?? null);
    }
    records[i] = r;
  }
  return { rows: n, columns, names, numeric, records };
}
