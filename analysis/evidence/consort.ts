/**
 * The CONSORT participant flow (Schulz, Altman & Moher 2010, CONSORT 2010 Statement, BMJ 340:c332,
 * doi:10.1136/bmj.c332): assessed for eligibility → eligible → randomized → allocated per arm →
 * withdrawn / lost to follow-up → analysed, for the primary outcome.
 *
 * Counts from the analysis data set: `allocated` = rows of the arm (everyone randomized stays in
 * the intention-to-treat data); `withdrawn` = `withdrawn` column 1; `randomized_in_error` = that
 * column 1 (kept in the data, flagged); `analysed` = primary outcome observed;
 * `lost_to_follow_up` = primary outcome missing and not withdrawn. A withdrawn participant whose
 * outcome was observed before the withdrawal counts as analysed. `assessed` and `eligible` are
 * not in the data (people found ineligible are never stored); they are null unless given.
 */
import { outcomeColumns, type Protocol } from "../../protocols/index.ts";
import type { DataSet } from "../plan.ts";
import type { Consort } from "./schema.ts";

export interface ConsortCounts {
  assessed?: number | null;
  eligible?: number | null;
}

function numberColumn(data: DataSet, name: string): Float64Array | null {
  const column = data.columns.get(name);
  if (!column) return null;
  if (column instanceof Float64Array) return column;
  return Float64Array.from(column, (v) => (v === null || v === "" ? NaN : v === "true" ? 1 : v === "false" ? 0 : Number(v)));
}

export function consortFlow(protocol: Protocol, data: DataSet, counts: ConsortCounts = {}): Consort {
  const primary = protocol.outcomes.find((o) => o.id === protocol.analysis.primary_outcome)!;
  const columns = outcomeColumns(primary);
  const first = numberColumn(data, "value" in columns ? columns.value : columns.time);
  const second = "event" in columns ? numberColumn(data, columns.event) : null;
  const withdrawn = numberColumn(data, "withdrawn");
  const inError = numberColumn(data, "randomized_in_error");
  const arm = data.columns.get("arm")!;
  const arms = protocol.arms.map((a) => ({ arm: a.id, allocated: 0, withdrawn: 0, randomized_in_error: 0, lost_to_follow_up: 0, analysed: 0 }));
  const byId = new Map(arms.map((a) => [a.arm, a]));
  for (let i = 0; i < data.rows; i++) {
    const a = byId.get(String(arm[i]));
    if (!a) continue;
    a.allocated++;
    const out = withdrawn !== null && withdrawn[i] === 1;
    if (out) a.withdrawn++;
    if (inError !== null && inError[i] === 1) a.randomized_in_error++;
    const seen = first !== null && !Number.isNaN(first[i]) && (second === null || !Number.isNaN(second[i]));
    if (seen) a.analysed++;
    else if (!out) a.lost_to_follow_up++;
  }
  return { assessed: counts.assessed ?? null, eligible: counts.eligible ?? null, randomized: data.rows, outcome: primary.id, arms };
}
