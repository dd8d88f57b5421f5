/**
 * The enrollment schedule: who comes to which jobcentre when, as the request bodies of
 * `POST /v1/trials/{trial}/enrollments` (api/routes/enrollments.ts `EnrollBody`), in time order.
 *
 * Eligible citizens are spread over the protocol's sites by their caps (equally when no site has
 * one; never above a cap while the caps hold everyone) and over each site's enrollment window,
 * on weekdays between 08:00 and 16:00 UTC. Mixed in: ineligible citizens (the API answers 422
 * naming the failed rule), citizens who do not consent (422), and repeat enrollments of citizens
 * already enrolled (the API answers 200 with the original arm, never a new one).
 */
import type { Protocol } from "../../protocols/index.ts";
import type { RandomSource } from "../design/random.ts";
import { between, randomInt, weighted } from "./draws.ts";
import type { Citizen, CitizenPlan } from "./citizens.ts";
import { addDays, dayNumber, isoWeekday } from "./weeks.ts";

export interface EnrollmentBody {
  /** Fake, CPR-shaped (analysis/simulate/fake-cpr.ts). */
  cpr: string;
  site: string;
  target_group?: string;
  covariates: Record<string, string | number | boolean | null>;
  consent: boolean;
}

export interface EnrollmentAttempt {
  /** ISO timestamp (UTC): when the caseworker sends the request. */
  at: string;
  site: string;
  /** Index of the citizen in the population. */
  citizen: number;
  body: EnrollmentBody;
  /** What the API should answer: 201 enrolled, 200 repeat, 422 ineligible or no consent. */
  expect: "enrolled" | "repeat" | "ineligible" | "no_consent";
  /** Failed eligibility rules (`ineligible`). */
  failures: string[];
}

/** A weekday time in a site's window: `YYYY-MM-DDTHH:MM:00.000Z`. */
function timeIn(rng: RandomSource, from: string, to: string): string {
  const lo = dayNumber(from);
  const hi = dayNumber(to);
  for (;;) {
    const day = lo + randomInt(rng, hi - lo + 1);
    if (isoWeekday(day) <= 5) {
      const minute = between(rng, 8 * 60, 16 * 60 - 1);
      return `${addDays("1970-01-01", day)}T${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}:00.000Z`;
    }
  }
}

function window(protocol: Protocol, site: string): [string, string] {
  const s = protocol.sites.find((x) => x.id === site)!;
  return [s.enrollment.from, s.enrollment.to ?? addDays(s.enrollment.from, 364)];
}

/**
 * Plans the citizens: `n` eligible, `ineligible` made to fail (the kinds taking turns), and
 * `noConsent` who will not consent; each with a site and a time.
 */
export function planCitizens(protocol: Protocol, rng: RandomSource, counts: { eligible: number; ineligible: number; noConsent: number }, kinds: string[]): CitizenPlan[] {
  const caps = protocol.sites.map((s) => s.cap);
  const capped = caps.every((c) => c !== undefined) && counts.eligible <= caps.reduce((a, c) => a! + c!, 0)!;
  const weights = Object.fromEntries(protocol.sites.map((s) => [s.id, s.cap ?? 1]));
  const left = new Map(protocol.sites.map((s) => [s.id, s.cap ?? Infinity]));
  const plans: CitizenPlan[] = [];
  const total = counts.eligible + counts.ineligible + counts.noConsent;
  const offset = kinds.length ? randomInt(rng, kinds.length) : 0;
  for (let i = 0; i < total; i++) {
    const eligible = i < counts.eligible || i >= counts.eligible + counts.ineligible;
    let site: string;
    if (eligible && capped) {
      site = weighted(rng, Object.fromEntries([...left].filter(([, n]) => n > 0).map(([id, n]) => [id, Math.min(n, weights[id])])));
    } else site = weighted(rng, weights);
    if (i < counts.eligible) left.set(site, left.get(site)! - 1);
    const [from, to] = window(protocol, site);
    const fail = i >= counts.eligible && i < counts.eligible + counts.ineligible && kinds.length ? kinds[(i - counts.eligible + offset) % kinds.length] : null;
    plans.push({ index: i, site, at: timeIn(rng, from, to), fail });
  }
  return plans;
}

export function bodyOf(c: Citizen): EnrollmentBody {
  const body: EnrollmentBody = { cpr: c.cpr, site: c.site, covariates: { ...c.covariates }, consent: c.consent };
  if (c.targetGroup !== undefined) body.target_group = c.targetGroup;
  return body;
}

/**
 * The schedule in time order; `duplicates` enrolled citizens come back 1–30 days later (within
 * their site's window where it allows, else an hour later).
 */
export function buildSchedule(protocol: Protocol, citizens: readonly Citizen[], rng: RandomSource, duplicates: number): EnrollmentAttempt[] {
  const attempts: EnrollmentAttempt[] = citizens.map((c) => ({
    at: c.at,
    site: c.site,
    citizen: c.index,
    body: bodyOf(c),
    expect: !c.consent ? "no_consent" : c.failures.length > 0 ? "ineligible" : "enrolled",
    failures: c.failures,
  }));
  const enrolled = attempts.filter((a) => a.expect === "enrolled");
  for (let k = 0; k < duplicates && enrolled.length > 0; k++) {
    const original = enrolled[randomInt(rng, enrolled.length)];
    const [, to] = window(protocol, original.site);
    const day = addDays(original.at.slice(0, 10), between(rng, 1, 30));
    const at = day <= to && isoWeekday(dayNumber(day)) <= 5 ? `${day}${original.at.slice(10)}` : new Date(Date.parse(original.at) + 3_600_000).toISOString();
    attempts.push({ ...original, at, body: { ...original.body, covariates: { ...original.body.covariates } }, expect: "repeat" });
  }
  return attempts.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.citizen - b.citizen || (a.expect === "repeat" ? 1 : -1)));
}
