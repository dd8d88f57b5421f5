/**
 * Danish CPR numbers: parsing, the century rule and the normalized form.
 *
 * Accepted input is `DDMMYY-SSSS` or ten digits `DDMMYYSSSS`, with surrounding whitespace ignored.
 * The date must exist; the century comes from the 7th digit (the first digit of the serial) and the
 * two-digit year, following the CPR office's table:
 *
 * | 7th digit | YY 00–36 | YY 37–57 | YY 58–99 |
 * | --------- | -------- | -------- | -------- |
 * | 0–3       | 19YY     | 19YY     | 19YY     |
 * | 4, 9      | 20YY     | 19YY     | 19YY     |
 * | 5–8       | 20YY     | 20YY     | 18YY     |
 *
 * The modulus-11 check is deliberately NOT applied: since 2007 the CPR office issues numbers that
 * fail it (Personnummer, CPR-kontoret: "Personnummre uden kontrolciffer", 2007).
 *
 * Error messages are given in Danish and English and never contain the input or any of its digits,
 * so they can be logged and returned to a client without leaking the number.
 *
 * Runtime-neutral: no I/O, no Node APIs.
 */

/** A parsed CPR number. Hold it only as long as needed to compute the pseudonym. */
export interface Cpr {
  /** Ten digits, no separator: `DDMMYYSSSS`. The only form ever passed on to the pseudonym. */
  readonly normalized: string;
  /** Date of birth as `YYYY-MM-DD`. */
  readonly birthDate: string;
  /** Legal sex as recorded by the CPR office: the last digit odd = male, even = female. */
  readonly sex: "male" | "female";
}

export type CprErrorCode = "cpr_type" | "cpr_format" | "cpr_date" | "cpr_future";

const MESSAGES: Record<CprErrorCode, { da: string; en: string }> = {
  cpr_type: {
    da: "CPR-nummeret skal være en tekst",
    en: "the CPR number must be a string",
  },
  cpr_format: {
    da: "CPR-nummeret skal have formen DDMMÅÅ-SSSS eller være ti cifre",
    en: "the CPR number must be DDMMYY-SSSS or ten digits",
  },
  cpr_date: {
    da: "CPR-nummerets fødselsdato findes ikke i kalenderen",
    en: "the CPR number's date of birth is not a real calendar date",
  },
  cpr_future: {
    da: "CPR-nummerets fødselsdato ligger i fremtiden",
    en: "the CPR number's date of birth is in the future",
  },
};

/** A CPR number was refused. `message` is `"<Danish> / <English>"`; neither part echoes the input. */
export class CprError extends Error {
  readonly code: CprErrorCode;
  readonly da: string;
  readonly en: string;
  constructor(code: CprErrorCode) {
    const { da, en } = MESSAGES[code];
    super(`${da} / ${en}`);
    this.name = "CprError";
    this.code = code;
    this.da = da;
    this.en = en;
  }
}

export type CprResult = { ok: true; cpr: Cpr } | { ok: false; error: CprError };

const SHAPE = /^(\d{2})(\d{2})(\d{2})-?(\d)(\d{3})$/;

/**
 * The four-digit year of birth from the two-digit year and the 7th digit of the CPR number.
 * @example centuryYear(85, 3) // 1985
 * @example centuryYear(12, 4) // 2012
 * @example centuryYear(70, 5) // 1870
 */
export function centuryYear(yy: number, seventhDigit: number): number {
  if (seventhDigit <= 3) return 1900 + yy;
  if (seventhDigit === 4 || seventhDigit === 9) return yy <= 36 ? 2000 + yy : 1900 + yy;
  return yy <= 57 ? 2000 + yy : 1800 + yy;
}

function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return day <= days;
}

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

/**
 * Parses a CPR number without throwing.
 *
 * @param input `DDMMYY-SSSS` or `DDMMYYSSSS`; leading and trailing whitespace is ignored.
 * @param options.today when given, a date of birth after this day (UTC) is refused.
 * @example parseCpr("010203-4005") // { ok: true, cpr: { normalized: "0102034005", birthDate: "2003-02-01", sex: "male" } }
 */
export function parseCpr(input: unknown, options: { today?: Date } = {}): CprResult {
  if (typeof input !== "string") return { ok: false, error: new CprError("cpr_type") };
  const m = SHAPE.exec(input.trim());
  if (m === null) return { ok: false, error: new CprError("cpr_format") };
  const [, dd, mm, yy, s7, rest] = m;
  const day = Number(dd);
  const month = Number(mm);
  const year = centuryYear(Number(yy), Number(s7));
  if (!isRealDate(year, month, day)) return { ok: false, error: new CprError("cpr_date") };
  const birthDate = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
  if (options.today !== undefined && birthDate > options.today.toISOString().slice(0, 10)) {
    return { ok: false, error: new CprError("cpr_future") };
  }
  const normalized = `${dd}${mm}${yy}${s7}${rest}`;
  const sex = Number(normalized[9]) % 2 === 1 ? "male" : "female";
  return { ok: true, cpr: { normalized, birthDate, sex } };
}

/**
 * Parses a CPR number and returns its normalized ten-digit form.
 * @throws {CprError} when the input is not a valid CPR number; the message never contains the input.
 * @example normalizeCpr(" 010203-4005 ") // "0102034005"
 */
export function normalizeCpr(input: unknown, options: { today?: Date } = {}): string {
  const result = parseCpr(input, options);
  if (!result.ok) throw result.error;
  return result.cpr.normalized;
}

/**
 * Age in completed years on a given day (UTC), from a `YYYY-MM-DD` date of birth. Someone born on
 * 29 February turns a year older on 1 March in common years.
 * @example ageOn("2000-02-29", new Date("2019-02-28T12:00:00Z")) // 18
 */
export function ageOn(birthDate: string, on: Date): number {
  const by = Number(birthDate.slice(0, 4));
  const bm = Number(birthDate.slice(5, 7));
  const bd = Number(birthDate.slice(8, 10));
  const y = on.getUTCFullYear();
  const m = on.getUTCMonth() + 1;
  const d = on.getUTCDate();
  let age = y - by;
  if (m < bm || (m === bm && d < bd)) age -= 1;
  return age;
}
