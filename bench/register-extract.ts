/**
 * A seeded generator of synthetic register extracts (DREAM-style weekly status codes of the default
 * code book), of any size, written by DuckDB as CSV or Parquet in the wide or the long layout.
 *
 * Each person starts on a benefit (social assistance 55 %, unemployment insurance 25 %, sickness
 * 10 %, rehabilitation 10 %) and leaves it after a geometric number of weeks whose mean depends on
 * the benefit; some relapse for a while, some weeks on social assistance are activation, a few
 * self-supporting weeks carry a one-off benefit week, 6 % start education, 0.5 % emigrate and
 * 0.2 % die. A week without a benefit is an empty cell (long layout: no row), as in DREAM.
 *
 * Randomness is DuckDB's `hash(seed, person, salt)` mapped to [0, 1): the same seed gives the same
 * file for a given DuckDB version, without any state shared between threads.
 *
 * CPR numbers are synthetic: person i gets day 1 + i mod 28, month 1 + (i div 28) mod 12, year
 * (i div 336) mod 100 and serial i div 33600, so every person has a distinct, date-shaped number.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { weekIndex, weekLabel } from "../api/register/iso-week.ts";

export interface ExtractSpec {
  persons: number;
  weeks: number;
  seed: number;
  layout: "wide" | "long";
  format: "csv" | "parquet";
  /** First week of the extract; default 2023-W01. */
  firstYear?: number;
  firstWeek?: number;
}

/** The synthetic CPR number of person i (0-based), ten digits. */
export function syntheticCpr(i: number): string {
  const d = 1 + (i % 28);
  const m = 1 + (Math.floor(i / 28) % 12);
  const y = Math.floor(i / 336) % 100;
  const s = Math.floor(i / 33600);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d)}${two(m)}${two(y)}${String(s).padStart(4, "0")}`;
}

function cprSql(i: string): string {
  return `printf('%02d%02d%02d%04d', 1 + ${i} % 28, 1 + (${i} // 28) % 12, (${i} // 336) % 100, ${i} // 33600)`;
}

/** The week indexes of the extract, first to last. */
export function extractWeeks(spec: ExtractSpec): number[] {
  const first = weekIndex(spec.firstYear ?? 2023, spec.firstWeek ?? 1);
  if (first === null) throw new Error("first week of the extract does not exist");
  return Array.from({ length: spec.weeks }, (_, k) => first + k);
}

/** Writes the extract to `path` with DuckDB. */
export async function writeExtract(connection: DuckDBConnection, path: string, spec: ExtractSpec): Promise<void> {
  const seed = Math.trunc(spec.seed);
  const u = (salt: number, extra = "") => `((hash(${seed}, pid${extra}, ${salt}) % 1000000007) / 1000000007.0)`;
  const geo = (mean: string, salt: number) => `floor(-ln(1 - ${u(salt)}) * ${mean})::INTEGER`;
  const persons = `
    SELECT pid, ${cprSql("pid")} AS cpr,
      CASE WHEN ${u(1)} < 0.55 THEN '130' WHEN ${u(1)} < 0.80 THEN '111' WHEN ${u(1)} < 0.90 THEN '890' ELSE '740' END AS btype,
      CASE WHEN ${u(1)} < 0.55 THEN 60 WHEN ${u(1)} < 0.80 THEN 20 WHEN ${u(1)} < 0.90 THEN 30 ELSE 120 END AS mean_weeks
    FROM range(${Math.trunc(spec.persons)}) t(pid)`;
  const attrs = `
    SELECT *, ${geo("mean_weeks", 2)} AS job,
      ${u(3)} < 0.35 AS relapses, ${geo("40", 4)} AS relapse_gap, 1 + ${geo("10", 5)} AS relapse_len,
      ${u(6)} < 0.06 AS studies, floor(${u(7)} * ${spec.weeks})::INTEGER AS study_start, 20 + floor(${u(8)} * 40)::INTEGER AS study_len,
      CASE WHEN ${u(9)} < 0.005 THEN floor(${u(10)} * ${spec.weeks})::INTEGER END AS emigrates,
      CASE WHEN ${u(11)} < 0.002 THEN floor(${u(12)} * ${spec.weeks})::INTEGER END AS dies
    FROM (${persons})`;
  const cell = (k: string) => `CASE
      WHEN dies IS NOT NULL AND ${k} >= dies THEN '999'
      WHEN emigrates IS NOT NULL AND ${k} >= emigrates THEN '997'
      WHEN studies AND ${k} BETWEEN study_start AND study_start + study_len - 1 THEN '651'
      WHEN ${k} < job OR (relapses AND ${k} BETWEEN job + 4 + relapse_gap AND job + 3 + relapse_gap + relapse_len)
        THEN CASE WHEN btype = '130' AND ${u(20, `, ${k}`)} < 0.15 THEN '521' ELSE btype END
      WHEN ${u(21, `, ${k}`)} < 0.02 THEN '130'
    END`;
  const weeks = extractWeeks(spec);
  let select: string;
  if (spec.layout === "wide") {
    const cols = weeks.map((w, k) => {
      const label = weekLabel(w);
      return `${cell(String(k))} AS "y_${label.slice(0, 4)}_${label.slice(6)}"`;
    });
    select = `SELECT cpr, ${cols.join(", ")} FROM (${attrs}) ORDER BY pid`;
  } else {
    const labels = weeks.map((w) => `'${weekLabel(w)}'`).join(", ");
    select = `SELECT cpr, [${labels}][k + 1] AS week, code FROM (
        SELECT pid, cpr, k, ${cell("k")} AS code FROM (${attrs}), range(${weeks.length}) r(k))
      WHERE code IS NOT NULL ORDER BY pid, k`;
  }
  const options = spec.format === "parquet" ? "(FORMAT parquet, COMPRESSION zstd)" : "(FORMAT csv, HEADER true)";
  await connection.run(`COPY (${select}) TO '${path.replaceAll("'", "''")}' ${options}`);
}
