/**
 * ISO 8601 weeks as one running integer, so that "week k after enrollment" is plain arithmetic and
 * week 53 and year boundaries need no special cases.
 *
 *     week index = whole weeks from Monday 1970-01-05 (ISO 1970-W02) to the Monday of the week
 *
 * The same formula is written in SQL in {@link WEEK_INDEX_SQL} so that DuckDB and TypeScript agree.
 */

const DAY_MS = 86_400_000;
/** Monday 1970-01-05 as days since the Unix epoch. */
const EPOCH_MONDAY_DAYS = 4;

/** Number of ISO weeks in an ISO year (52 or 53): the week holding 28 December is the last. */
export function isoWeeksInYear(year: number): number {
  const dec28 = Date.UTC(year, 11, 28);
  return isoWeekOfDays(Math.floor(dec28 / DAY_MS)).week;
}

/** Week index of ISO year-week, or null when the week does not exist (e.g. 2023-W53). */
export function weekIndex(year: number, week: number): number | null {
  if (!Number.isInteger(year) || !Number.isInteger(week) || year < 1000 || year > 9999) return null;
  if (week < 1 || week > isoWeeksInYear(year)) return null;
  const jan4 = Math.floor(Date.UTC(year, 0, 4) / DAY_MS);
  const mondayWeek1 = jan4 - isoWeekday(jan4) + 1;
  return (mondayWeek1 - EPOCH_MONDAY_DAYS) / 7 + week - 1;
}

/** Week index of the ISO week holding a `YYYY-MM-DD` date. */
export function weekIndexOfDate(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (m === null) throw new TypeError(`not a date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  const days = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS;
  return Math.floor((days - EPOCH_MONDAY_DAYS) / 7);
}

/** The ISO label of a week index, e.g. `2024-W07`. */
export function weekLabel(index: number): string {
  const monday = EPOCH_MONDAY_DAYS + index * 7;
  const { year, week } = isoWeekOfDays(monday);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** ISO year-week text (`2024-W07`, `2024W07`, `2024-07`, `202407`) to a week index; null when malformed. */
export function parseWeekLabel(text: string): number | null {
  const m = WEEK_LABEL_RE.exec(text.trim());
  if (m === null) return null;
  return weekIndex(Number(m[1]), Number(m[2]));
}

/** Year and week in one text value; the same pattern is used in SQL. */
export const WEEK_LABEL_RE = /^(\d{4})[-_]?[Ww]?(\d{1,2})$/;
export const WEEK_LABEL_SQL_RE = "^(\\d{4})[-_]?[Ww]?(\\d{1,2})$";

/**
 * SQL for the week index of integer columns `y` and `w` (no validity check). Monday of week 1 is
 * 4 January minus its ISO weekday plus one.
 */
export function weekIndexSql(y: string, w: string): string {
  return `((date_diff('day', DATE '1970-01-05', make_date(${y}, 1, 4)) - (isodow(make_date(${y}, 1, 4)) - 1)) // 7 + ${w} - 1)`;
}

/** SQL true when integer columns `y`, `w` name an existing ISO week. */
export function validWeekSql(y: string, w: string): string {
  return `(${y} BETWEEN 1000 AND 9999 AND ${w} >= 1 AND ${w} <= week(make_date(${y}, 12, 28)))`;
}

/** SQL for the week index of a DATE expression. */
export function dateWeekIndexSql(date: string): string {
  return `(date_diff('day', DATE '1970-01-05', ${date}) // 7)`;
}

function isoWeekday(days: number): number {
  // 1970-01-01 (day 0) was a Thursday (ISO weekday 4).
  return ((((days + 3) % 7) + 7) % 7) + 1;
}

function isoWeekOfDays(days: number): { year: number; week: number } {
  const thursday = days - isoWeekday(days) + 4;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  const jan1 = Math.floor(Date.UTC(year, 0, 1) / DAY_MS);
  return { year, week: Math.floor((thursday - jan1) / 7) + 1 };
}
