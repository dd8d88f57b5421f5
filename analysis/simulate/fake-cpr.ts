/**
 * Fake, CPR-shaped identifiers for simulated citizens.
 *
 * The simulator's citizens are not people. Their identifiers are shaped like Danish CPR numbers
 * (DDMMYY-SSSS) only so that a simulated trial goes through the real enrollment path: the API
 * parses the number, reads the date of birth and the century from it, checks the age against the
 * protocol and keys its pseudonym on it, and the register import turns it into the same pseudonym.
 * Every identifier is generated from the simulation seed: a real birth date that gives the
 * citizen's simulated age on the day of enrollment, a 7th digit that puts the year in the right
 * century (CPR office table, see api/cpr.ts), two random digits, and a last digit whose parity is
 * the simulated legal sex (odd = male). No modulus-11 check digit is computed (numbers issued since
 * 2007 need not pass it). A generated number may by chance equal a real person's; nothing links
 * it to anyone, and simulated data must never be mixed with real data.
 */
import { randomInt, type RandomSource } from "../design/random.ts";
import { ageOn, dateOfDay, dayNumber } from "./weeks.ts";

/**
 * A birth date at which a person is exactly `age` whole years old on `on` and was not born on that
 * day of the year (so the age is the same all day, whatever the clock).
 */
export function birthDateForAge(rng: RandomSource, on: string, age: number): string {
  const [y, m, d] = on.split("-").map(Number);
  // Born after `on` minus (age + 1) years and before `on` minus age years.
  const latest = dayNumber(`${y - age}-${String(m).padStart(2, "0")}-${String(Math.min(d, 28)).padStart(2, "0")}`) - 1;
  const earliest = latest - 360;
  const date = dateOfDay(earliest + randomInt(rng, latest - earliest + 1));
  if (ageOn(date, on) !== age) throw new Error(`birth date ${date} does not give age ${age} on ${on}`);
  return date;
}

/** The 7th digit for a birth year: 0–3 for 1900–1999, 4–9 for 2000–2036 (CPR office table). */
function centuryDigit(rng: RandomSource, year: number): number {
  if (year >= 1900 && year <= 1999) return randomInt(rng, 4);
  if (year >= 2000 && year <= 2036) return 4 + randomInt(rng, 6);
  throw new RangeError(`birth year ${year} outside 1900–2036`);
}

/** A CPR-shaped identifier (DDMMYY-SSSS) for a birth date and legal sex; see the module comment. */
export function fakeCpr(rng: RandomSource, birthDate: string, sex: "female" | "male"): string {
  const [y, m, d] = birthDate.split("-");
  const digit7 = centuryDigit(rng, Number(y));
  const middle = String(randomInt(rng, 100)).padStart(2, "0");
  const last = 2 * randomInt(rng, 5) + (sex === "male" ? 1 : 0);
  return `${d}${m}${y.slice(2)}-${digit7}${middle}${last}`;
}
