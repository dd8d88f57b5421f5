/**
 * Calendar arithmetic for the simulator: dates as `YYYY-MM-DD` (UTC), ISO weeks as one running
 * integer. The week index is the register's (api/register/iso-week.ts): whole weeks from Monday
 * 1970-01-05 (ISO 1970-W02) to the Monday of the week, so "week k after enrollment" is w0 + k and
 * week 53 needs no special case. Kept here because analysis/ does not import api/; a test checks
 * both give the same weeks.
 */

const DAY_MS = 86_400_000;
/** Monday 1970-01-05 as days since the Unix epoch. */
const EPOCH_MONDAY_DAYS = 4;

/** Days since 1970-01-01 of a `YYYY-MM-DD` date. */
export function dayNumber(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (m === null) throw new TypeError(`not a date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS;
}

/** The `YYYY-MM-DD` date of a day number. */
export function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return dateOfDay(dayNumber(date) + days);
}

/** ISO weekday, Monday = 1 ... Sunday = 7. */
export function isoWeekday(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/** Week index of the ISO week holding a date. */
export function weekOfDate(date: string): number {
  return Math.floor((dayNumber(date) - EPOCH_MONDAY_DAYS) / 7);
}

/** The Monday (`YYYY-MM-DD`) of a week index. */
export function mondayOfWeek(index: number): string {
  return dateOfDay(EPOCH_MONDAY_DAYS + index * 7);
}

/** The ISO label of a week index, e.g. `2026-W07`. */
export function weekLabel(index: number): string {
  const monday = EPOCH_MONDAY_DAYS + index * 7;
  const thursday = monday + 3;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  const jan1 = Date.UTC(year, 0, 1) / DAY_MS;
  return `${year}-W${String(Math.floor((thursday - jan1) / 7) + 1).padStart(2, "0")}`;
}

/** Whole years from a birth date to a date (the birthday itself counts), as the CPR age rule. */
export function ageOn(birthDate: string, on: string): number {
  const [by, bm, bd] = birthDate.split("-").map(Number);
  const [y, m, d] = on.split("-").map(Number);
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}
