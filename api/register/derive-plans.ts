/**
 * The SQL of each register derivation (derive.ts): for a derivation and its parameters, the
 * statement that turns the participants' weeks in `register_weeks` into one value (and event and
 * reason) per participant, with the reasons a week is not observed.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { DerivationName, ImportRef } from "./derive.ts";
import { CATEGORY_ID as C, sqlString } from "./schema.ts";

export const INF = 2147483647;
export const BASE = "reg_d_base";
export const PART = "reg_d_part";
export const AGG = "reg_d_agg";

/** Why week `t` (an SQL expression over the base row `b`) is not observed; `cat` is that week's category. */
function weekReasonSql(t: string, cat: string): string {
  return windowReasonSql(t, t, cat);
}

/** Why the window lo..hi is not wholly observed; `gapCat` is the category of its first unobserved week (if any). */
function windowReasonSql(lo: string, hi: string, gapCat: string): string {
  return `CASE WHEN b.person IS NULL THEN 'not_in_extract'
    WHEN ${lo} < b.first_week THEN 'before_extract'
    WHEN b.wd IS NOT NULL AND ${hi} >= b.wd THEN 'withdrawn'
    WHEN b.exit_week IS NOT NULL AND ${hi} >= b.exit_week THEN ${exitNameSql("b.exit_cat")}
    WHEN ${hi} > b.last_week THEN 'after_extract'
    WHEN ${gapCat} = ${C.missing} THEN 'missing_week'
    WHEN ${gapCat} = ${C.unknown} THEN 'unknown_code' END`;
}

function exitNameSql(cat: string): string {
  return `CASE ${cat} WHEN ${C.emigrated} THEN 'emigrated' ELSE 'dead' END`;
}

function int(v: unknown): number {
  return Math.trunc(Number(v));
}

/**
 * One outcome as aggregates over the participant's weeks (`w`, joined to the base row `b`) and a
 * select list over the base row and those aggregates (`a`) giving pseudonym, value, event, reason.
 */
export interface Plan {
  aggregates: string[];
  select: string;
}

export async function plan(connection: DuckDBConnection, name: DerivationName, params: Record<string, unknown>, imp: ImportRef, id: string): Promise<Plan> {
  const gapCats = `(${C.missing}, ${C.unknown})`;
  switch (name) {
    case "self_supporting_at_week":
    case "retention": {
      // Retention with `programme_weeks` reads every participant at the planned end plus
      // `weeks_after`, in every arm alike (an intention-to-treat comparison); without it, at the
      // recorded programme end.
      const planned = name === "retention" && params.programme_weeks !== undefined;
      const t =
        name === "retention"
          ? planned
            ? `(b.w0 + ${int(params.programme_weeks)} + ${int(params.weeks_after)})`
            : `(b.we + ${int(params.weeks_after)})`
          : `(b.w0 + ${int(params.week)})`;
      const cat = `a.${id}cat`;
      const reason =
        name === "retention" && !planned ? `CASE WHEN b.we IS NULL THEN 'no_programme_end' ELSE ${weekReasonSql(t, cat)} END` : weekReasonSql(t, cat);
      return {
        aggregates: [`min(w.category) FILTER (WHERE w.week = ${t}) AS ${id}cat`],
        select: `b.pseudonym, ${reason} AS reason,
          CASE WHEN ${reason} IS NULL THEN (${cat} = ${C.self_supporting})::INTEGER END AS value, NULL::TINYINT AS event`,
      };
    }
    case "weeks_self_supporting":
    case "weeks_on_benefit": {
      const lo = `(b.w0 + ${int(params.from)})`;
      const hi = `(b.w0 + ${int(params.to)})`;
      let counted = `w.category = ${C.self_supporting}`;
      if (name === "weeks_on_benefit") {
        counted = `w.category = ${C.benefit}`;
        const types = params.benefit_types as string[] | undefined;
        if (types) {
          const ids = (
            await connection.runAndReadAll(
              `SELECT code_id FROM register_codes WHERE import_no = ${imp.importNo} AND benefit_type IN (${types.map(sqlString).join(", ")})`,
            )
          ).getRows().map((r) => Number(r[0]));
          counted += ids.length ? ` AND w.code_id IN (${ids.join(", ")})` : " AND false";
        }
      }
      const reason = windowReasonSql(lo, hi, `a.${id}gap`);
      return {
        aggregates: [
          `count(*) FILTER (WHERE w.week BETWEEN ${lo} AND ${hi} AND ${counted}) AS ${id}n`,
          `arg_min(w.category, w.week) FILTER (WHERE w.week BETWEEN ${lo} AND ${hi} AND w.category IN ${gapCats}) AS ${id}gap`,
        ],
        select: `b.pseudonym, ${reason} AS reason, CASE WHEN ${reason} IS NULL THEN a.${id}n END AS value, NULL::TINYINT AS event`,
      };
    }
    case "education_started": {
      const lo = `(b.w0 + ${int(params.from)})`;
      const hi = `(b.w0 + ${int(params.to)})`;
      const inRange = `w.category = ${C.education} AND w.week BETWEEN ${lo} - 1 AND least(${hi}, b.end_obs - 1)`;
      const started = `(coalesce(a.${id}n, 0) > 0 AND NOT (a.${id}mn = ${lo} - 1 AND a.${id}mx - a.${id}mn + 1 = a.${id}n))`;
      const reason = windowReasonSql(lo, hi, `a.${id}gap`);
      return {
        aggregates: [
          `count(*) FILTER (WHERE ${inRange}) AS ${id}n`,
          `min(w.week) FILTER (WHERE ${inRange}) AS ${id}mn`,
          `max(w.week) FILTER (WHERE ${inRange}) AS ${id}mx`,
          `arg_min(w.category, w.week) FILTER (WHERE w.week BETWEEN ${lo} AND ${hi} AND w.category IN ${gapCats}) AS ${id}gap`,
        ],
        select: `b.pseudonym, CASE WHEN ${started} THEN NULL ELSE ${reason} END AS reason,
          CASE WHEN ${started} THEN 1 WHEN ${reason} IS NULL THEN 0 END AS value, NULL::TINYINT AS event`,
      };
    }
    case "time_to_self_support": {
      const m = int(params.min_weeks);
      const f = int(params.from ?? 0);
      const s0 = `(b.w0 + ${f})`;
      const hz = params.horizon === undefined ? `${INF}` : `(b.w0 + ${int(params.horizon)} + ${m})`;
      const gapWeek = `a.${id}gw`;
      const stop = `least(b.end_obs, coalesce(${gapWeek}, ${INF}), ${hz})`;
      // One bit per week of the import, set when self-supporting and observed (before the end of
      // observation and the horizon); the first run of m set bits is the first qualifying spell.
      // A run cannot contain an unknown or missing week, so one that starts before the first such
      // week also ends before it.
      const start = `CASE WHEN a.${id}pos > 0 THEN ${imp.firstWeek} + a.${id}pos - 1 END`;
      const tEvent = `CASE WHEN ${start} < ${stop} THEN ${start} - b.w0 END`;
      const tCens = `(${stop} - ${m} - b.w0)`;
      const cause = `CASE WHEN b.person IS NULL THEN 'not_in_extract'
                 WHEN ${s0} < b.first_week THEN 'before_extract'
                 WHEN ${stop} = ${hz} THEN 'horizon'
                 WHEN ${stop} = b.wd THEN 'withdrawn'
                 WHEN ${stop} = b.exit_week THEN ${exitNameSql("b.exit_cat")}
                 WHEN ${stop} = ${gapWeek} THEN CASE a.${id}gc WHEN ${C.missing} THEN 'missing_week' ELSE 'unknown_code' END
                 ELSE 'end_of_data' END`;
      const unusable = `(b.person IS NULL OR ${s0} < b.first_week)`;
      return {
        aggregates: [
          `min(w.week) FILTER (WHERE w.category IN ${gapCats} AND w.week >= ${s0}) AS ${id}gw`,
          `arg_min(w.category, w.week) FILTER (WHERE w.category IN ${gapCats} AND w.week >= ${s0}) AS ${id}gc`,
          `bit_position('${"1".repeat(m)}'::BIT, bitstring_agg(w.week, ${imp.firstWeek}, ${imp.lastWeek})
             FILTER (WHERE w.category = ${C.self_supporting} AND w.week >= ${s0} AND w.week < least(b.end_obs, ${hz}))) AS ${id}pos`,
        ],
        select: `b.pseudonym,
          CASE WHEN ${unusable} THEN NULL WHEN ${tEvent} IS NOT NULL THEN ${tEvent} WHEN ${tCens} >= ${f} THEN ${tCens} END AS value,
          (CASE WHEN ${unusable} THEN NULL WHEN ${tEvent} IS NOT NULL THEN 1 WHEN ${tCens} >= ${f} THEN 0 END)::TINYINT AS event,
          CASE WHEN ${tEvent} IS NOT NULL AND NOT ${unusable} THEN NULL ELSE ${cause} END AS reason`,
      };
    }
  }
}
