/**
 * Synthetic citizens for a protocol: where and when they come to the jobcentre, their target
 * group, age, sex, fake CPR-shaped identifier (fake-cpr.ts), baseline covariates of exactly the
 * protocol's types and levels, consent, and whether the protocol's rules let them in.
 *
 * Eligible citizens are drawn from the scenario and, where a draw breaks an inclusion or
 * exclusion rule, the rule's covariates are redrawn from their allowed values until it holds.
 * Ineligible citizens are made to fail one check on purpose, the kinds taking turns: the target
 * group, the age, each inclusion rule, each exclusion rule. Every citizen's covariates pass
 * `validateCovariates`; `checkEligibility` (the enrollment path's own check) decides the result.
 *
 * Covariates a scenario does not draw get defaults by what they are: an age band (`"18-29"`
 * levels) from the age, `gender`/`female`/`male` from the sex, a `team` from the teams whose id
 * starts with the citizen's site, otherwise uniform over the levels or the range.
 */
import {
  categoryLevels,
  checkEligibility,
  evaluateCondition,
  TARGET_GROUPS,
  type Condition,
  type Covariate,
  type CovariateValue,
  type Protocol,
} from "../../protocols/index.ts";
import type { RandomSource } from "../design/random.ts";
import { bernoulli, between, randomInt, uniform, weighted } from "./draws.ts";
import { birthDateForAge, fakeCpr } from "./fake-cpr.ts";
import type { DrawContext, Scenario } from "./scenarios.ts";

export interface Citizen {
  /** Position in the simulated population (0-based). */
  index: number;
  /** Fake, CPR-shaped: see fake-cpr.ts. Never a real person's number by intent. */
  cpr: string;
  birthDate: string;
  sex: "female" | "male";
  /** Whole years on the day of the (first) enrollment attempt. */
  age: number;
  site: string;
  targetGroup: string | undefined;
  covariates: Record<string, CovariateValue>;
  consent: boolean;
  /** ISO timestamp (UTC) of the (first) enrollment attempt. */
  at: string;
  /** The check this citizen was made to fail; null for an eligible citizen. */
  madeToFail: string | null;
  /** Rule ids that `checkEligibility` reports (empty = eligible). */
  failures: string[];
}

/**
 * The checks a citizen can be made to fail, in the order the kinds take turns: a rule no allowed
 * covariate values can break (an inclusion rule listing every level, say) is left out.
 */
export function failureKinds(protocol: Protocol): string[] {
  const kinds: string[] = [];
  const groups = protocol.population.target_groups;
  if (groups && groups.length < Object.keys(TARGET_GROUPS).length) kinds.push("target_group");
  if (protocol.population.age) kinds.push("age");
  for (const r of protocol.population.inclusion) if (canBe(protocol, r.when, false)) kinds.push(r.id);
  for (const r of protocol.population.exclusion) if (canBe(protocol, r.when, true)) kinds.push(r.id);
  return kinds;
}

/** Whether some combination of allowed values of the covariates a condition reads gives `want`. */
function canBe(protocol: Protocol, condition: Condition, want: boolean): boolean {
  const declared = [...covariatesRead(condition)].map((id) => protocol.covariates.find((c) => c.id === id)).filter((c): c is Covariate => c !== undefined);
  const options = declared.map((c) => candidates(c, condition));
  let combos = 1;
  for (const o of options) combos *= Math.max(1, o.length);
  for (let k = 0; k < Math.min(combos, 100_000); k++) {
    const values: Record<string, unknown> = {};
    let rest = k;
    declared.forEach((c, i) => {
      const o = options[i];
      if (o.length === 0) return;
      values[c.id] = o[rest % o.length];
      rest = Math.floor(rest / o.length);
    });
    if (evaluateCondition(condition, values, new Map(), optionalOf(protocol)) === want) return true;
  }
  return false;
}

const optionalCache = new WeakMap<Protocol, ReadonlySet<string>>();
function optionalOf(protocol: Protocol): ReadonlySet<string> {
  let set = optionalCache.get(protocol);
  if (!set) optionalCache.set(protocol, (set = new Set(protocol.covariates.filter((c) => !c.required).map((c) => c.id))));
  return set;
}

/** Level of an age-band category for an age: the band holding it, else the nearest. */
function ageBand(levels: string[], age: number): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const level of levels) {
    const m = /^(\d+)\s*[-–]\s*(\d+)$/.exec(level) ?? /^(\d+)\+$/.exec(level);
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? Infinity : Number(m[2]);
    const distance = age < lo ? lo - age : age > hi ? age - hi : 0;
    if (distance < bestDistance) (best = level), (bestDistance = distance);
  }
  return best;
}

/** The default draw of a covariate (see the module comment). */
function defaultDraw(c: Covariate, ctx: DrawContext): CovariateValue | undefined {
  const { rng } = ctx;
  switch (c.type) {
    case "category": {
      const levels = categoryLevels(c);
      const band = ageBand(levels, ctx.age);
      if (band !== undefined) return band;
      if (levels.includes("female") && levels.includes("male")) return ctx.sex;
      if (c.id === "team") {
        const own = levels.filter((l) => l.startsWith(`${ctx.site}-`));
        if (own.length > 0) return own[randomInt(rng, own.length)];
      }
      return levels[randomInt(rng, levels.length)];
    }
    case "boolean":
      if (c.id === "female") return ctx.sex === "female";
      if (c.id === "male") return ctx.sex === "male";
      return bernoulli(rng, 0.5);
    case "integer":
      return between(rng, c.min ?? 0, c.max ?? (c.min ?? 0) + 10);
    case "number": {
      const lo = c.min ?? 0;
      const hi = c.max ?? lo + 10;
      return Math.round((lo + uniform(rng) * (hi - lo)) * 10) / 10;
    }
    case "date":
      return c.required ? (c.min ?? "2000-01-01") : undefined;
  }
}

/** Values a covariate may take that a rule can tell apart. */
function candidates(c: Covariate, condition: Condition): CovariateValue[] {
  switch (c.type) {
    case "category":
      return categoryLevels(c);
    case "boolean":
      return [true, false];
    case "integer":
    case "number": {
      const lo = c.min ?? 0;
      const hi = c.max ?? lo + 100;
      const around: number[] = [lo, hi];
      const visit = (x: Condition): void => {
        if ("all" in x) x.all.forEach(visit);
        else if ("any" in x) x.any.forEach(visit);
        else if ("not" in x) visit(x.not);
        else if (x.covariate === c.id) for (const v of [x.value].flat()) if (typeof v === "number") around.push(v - 1, v, v + 1, v + 5);
      };
      visit(condition);
      return around.filter((v) => v >= lo && v <= hi && (c.type === "number" || Number.isInteger(v)));
    }
    case "date":
      return [];
  }
}

function covariatesRead(condition: Condition, out = new Set<string>()): Set<string> {
  if ("all" in condition) condition.all.forEach((x) => covariatesRead(x, out));
  else if ("any" in condition) condition.any.forEach((x) => covariatesRead(x, out));
  else if ("not" in condition) covariatesRead(condition.not, out);
  else out.add(condition.covariate);
  return out;
}

/**
 * Redraws the covariates a condition reads, from values the protocol allows, until the condition
 * evaluates to `want`. Returns false when a bounded search finds no such values.
 */
function solve(protocol: Protocol, condition: Condition, citizen: Citizen, want: boolean, rng: RandomSource): boolean {
  const optional = optionalOf(protocol);
  const values = () => ({ ...citizen.covariates, site: citizen.site, target_group: citizen.targetGroup, age: citizen.age });
  if (evaluateCondition(condition, values(), new Map(), optional) === want) return true;
  const declared = [...covariatesRead(condition)].map((id) => protocol.covariates.find((c) => c.id === id)).filter((c): c is Covariate => c !== undefined);
  for (let attempt = 0; attempt < 200; attempt++) {
    for (const c of declared) {
      if (attempt > 0 && bernoulli(rng, 0.5)) continue;
      const options = candidates(c, condition);
      if (options.length > 0) citizen.covariates[c.id] = options[randomInt(rng, options.length)];
    }
    if (evaluateCondition(condition, values(), new Map(), optional) === want) return true;
  }
  return false;
}

export interface CitizenPlan {
  index: number;
  site: string;
  at: string;
  /** The check to fail; null = eligible. */
  fail: string | null;
}

/** Draws one citizen; see the module comment. */
export function drawCitizen(protocol: Protocol, scenario: Scenario, plan: CitizenPlan, rng: RandomSource, takenCprs: Set<string>): Citizen {
  const allowed = protocol.population.target_groups;
  let targetGroup: string | undefined = allowed ? weighted(rng, Object.fromEntries(allowed.map((g) => [g, scenario.targetGroups[g] ?? 0.01]))) : undefined;
  if (plan.fail === "target_group") {
    const others = Object.keys(TARGET_GROUPS).filter((g) => !(allowed as string[]).includes(g));
    targetGroup = others[randomInt(rng, others.length)];
  }
  let age = scenario.age(rng, targetGroup);
  const range = protocol.population.age;
  if (range) age = Math.min(range.max, Math.max(range.min, age));
  if (plan.fail === "age" && range) age = bernoulli(rng, 0.5) && range.min > 16 ? range.min - between(rng, 1, 2) : range.max + between(rng, 1, 4);
  const sex = bernoulli(rng, scenario.femaleShare) ? "female" : "male";
  const day = plan.at.slice(0, 10);
  const birthDate = birthDateForAge(rng, day, age);
  let cpr = fakeCpr(rng, birthDate, sex);
  while (takenCprs.has(cpr)) cpr = fakeCpr(rng, birthDate, sex);
  takenCprs.add(cpr);

  const citizen: Citizen = {
    index: plan.index,
    cpr,
    birthDate,
    sex,
    age,
    site: plan.site,
    targetGroup,
    covariates: {},
    consent: true,
    at: plan.at,
    madeToFail: plan.fail,
    failures: [],
  };
  for (const c of protocol.covariates) {
    const ctx: DrawContext = { rng, age, sex, site: plan.site, targetGroup, covariates: citizen.covariates };
    const draw = scenario.covariates[c.id];
    const v = draw ? draw(ctx) : defaultDraw(c, ctx);
    if (v !== undefined) citizen.covariates[c.id] = v;
  }
  // Make every rule hold, then break the one this citizen is to fail.
  for (let pass = 0, settled = false; pass < 5 && !settled; pass++) {
    settled = true;
    for (const r of protocol.population.inclusion) settled = solve(protocol, r.when, citizen, true, rng) && settled;
    for (const r of protocol.population.exclusion) settled = solve(protocol, r.when, citizen, false, rng) && settled;
  }
  const inclusion = protocol.population.inclusion.find((r) => r.id === plan.fail);
  const exclusion = protocol.population.exclusion.find((r) => r.id === plan.fail);
  if (inclusion && !solve(protocol, inclusion.when, citizen, false, rng)) throw new Error(`cannot make inclusion rule ${inclusion.id} fail`);
  if (exclusion && !solve(protocol, exclusion.when, citizen, true, rng)) throw new Error(`cannot make exclusion rule ${exclusion.id} apply`);
  citizen.failures = checkEligibility(protocol, { site: citizen.site, target_group: targetGroup, age, covariates: citizen.covariates }).map((f) => f.rule);
  if (plan.fail === null && citizen.failures.length > 0) throw new Error(`simulated citizen ${plan.index} should be eligible but fails ${citizen.failures.join(", ")}`);
  return citizen;
}
