/**
 * Eligibility and baseline covariates, checked against a protocol at enrollment.
 *
 * `validateCovariates` checks the baseline values themselves (type, range, allowed values,
 * required); `checkEligibility` checks site, target group, age and the inclusion and exclusion
 * rules (the rule language is documented at `ConditionSchema` in schema.ts). Both return every
 * problem, each with a Danish and an English message that names the rule or covariate and the value.
 */
import { categoryLevels, TARGET_GROUPS, type Condition, type Covariate, type Label, type Protocol } from "./schema.ts";

export type CovariateValue = string | number | boolean | null;

export interface EligibilityInput {
  site: string;
  target_group?: string;
  age?: number;
  covariates?: Record<string, CovariateValue | undefined>;
}

export interface EligibilityFailure {
  /** `site`, `target_group`, `age`, or the id of the inclusion / exclusion rule. */
  rule: string;
  kind: "site" | "target_group" | "age" | "inclusion" | "exclusion";
  /** The value(s) the rule looked at. */
  value: unknown;
  message: Label;
}

export interface CovariateProblem {
  covariate: string;
  value: unknown;
  message: Label;
}

const show = (x: unknown): string => (x === undefined ? "(ingen)" : JSON.stringify(x));
const showEn = (x: unknown): string => (x === undefined ? "(none)" : JSON.stringify(x));

/** Booleans arrive as true/false or 0/1 (CSV); anything else is not a boolean. */
function asBoolean(v: unknown): boolean | undefined {
  if (v === true || v === 1 || v === "1" || v === "true") return true;
  if (v === false || v === 0 || v === "0" || v === "false") return false;
  return undefined;
}

/** A covariate problem with its message prefixed by the covariate's id. */
function bad(c: Covariate, v: unknown, da: string, en: string): CovariateProblem {
  return { covariate: c.id, value: v, message: { da: `${c.id}: ${da}`, en: `${c.id}: ${en}` } };
}

/** Checks one covariate value; returns a problem or nothing. Missing values are the caller's. */
function checkValue(c: Covariate, v: CovariateValue, facts: ProtocolFacts): CovariateProblem | undefined {
  switch (c.type) {
    case "number":
    case "integer": {
      if (typeof v !== "number" || !Number.isFinite(v)) return bad(c, v, `forventede et tal, fik ${show(v)}`, `expected a number, got ${showEn(v)}`);
      if (c.type === "integer" && !Number.isInteger(v)) return bad(c, v, `forventede et heltal, fik ${v}`, `expected an integer, got ${v}`);
      if (c.min !== undefined && v < c.min) return bad(c, v, `${v} er under minimum ${c.min}`, `${v} is below the minimum ${c.min}`);
      if (c.max !== undefined && v > c.max) return bad(c, v, `${v} er over maksimum ${c.max}`, `${v} is above the maximum ${c.max}`);
      return undefined;
    }
    case "boolean":
      return asBoolean(v) === undefined ? bad(c, v, `forventede sand/falsk (true/false eller 1/0), fik ${show(v)}`, `expected true/false (or 1/0), got ${showEn(v)}`) : undefined;
    case "category": {
      if (typeof v === "string" && facts.levels.get(c.id)!.has(v)) return undefined;
      const levels = categoryLevels(c).join(", ");
      return bad(c, v, `${show(v)} er ikke en tilladt værdi (${levels})`, `${showEn(v)} is not an allowed value (${levels})`);
    }
    case "date": {
      if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)) || new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) !== v)
        return bad(c, v, `forventede en dato ÅÅÅÅ-MM-DD, fik ${show(v)}`, `expected a date YYYY-MM-DD, got ${showEn(v)}`);
      if (c.min !== undefined && v < c.min) return bad(c, v, `${v} er før ${c.min}`, `${v} is before ${c.min}`);
      if (c.max !== undefined && v > c.max) return bad(c, v, `${v} er efter ${c.max}`, `${v} is after ${c.max}`);
      return undefined;
    }
  }
}

/**
 * What the checks look up in a protocol, worked out once per protocol object: enrollment checks
 * every request against the same protocol, and building these maps per call cost more than the
 * checks themselves. A validated protocol is never changed in place (amendments make new ones).
 */
interface ProtocolFacts {
  declared: ReadonlyMap<string, Covariate>;
  /** Allowed levels per category covariate. */
  levels: ReadonlyMap<string, ReadonlySet<string>>;
  /** Covariates that are not required: a rule on an absent one does not hold. */
  optional: ReadonlySet<string>;
  sites: ReadonlyMap<string, Protocol["sites"][number]>;
  groups: ReadonlySet<string> | null;
}

const factsCache = new WeakMap<Protocol, ProtocolFacts>();

function factsOf(protocol: Protocol): ProtocolFacts {
  let facts = factsCache.get(protocol);
  if (facts === undefined) {
    const levels = new Map<string, ReadonlySet<string>>();
    for (const c of protocol.covariates) if (c.type === "category") levels.set(c.id, new Set(categoryLevels(c)));
    facts = {
      declared: new Map(protocol.covariates.map((c) => [c.id, c])),
      levels,
      optional: new Set(protocol.covariates.filter((c) => !c.required).map((c) => c.id)),
      sites: new Map(protocol.sites.map((s) => [s.id, s])),
      groups: protocol.population.target_groups ? new Set<string>(protocol.population.target_groups) : null,
    };
    factsCache.set(protocol, facts);
  }
  return facts;
}

/**
 * Validates baseline covariates: every required covariate present, every value of the declared
 * type and within range or the allowed values, no undeclared covariates.
 */
export function validateCovariates(protocol: Protocol, values: Record<string, CovariateValue | undefined>): CovariateProblem[] {
  const problems: CovariateProblem[] = [];
  const facts = factsOf(protocol);
  for (const c of protocol.covariates) {
    const v = values[c.id];
    if (v === undefined || v === null || v === "") {
      if (c.required) problems.push({ covariate: c.id, value: v, message: { da: `${c.id}: mangler (påkrævet)`, en: `${c.id}: missing (required)` } });
      continue;
    }
    const problem = checkValue(c, v, facts);
    if (problem) problems.push(problem);
  }
  for (const key in values) {
    const v = values[key];
    if (!facts.declared.has(key) && v !== undefined)
      problems.push({ covariate: key, value: v, message: { da: `${key}: ukendt baggrundsvariabel i denne protokol`, en: `${key}: not a covariate of this protocol` } });
  }
  return problems;
}

/** Three-valued result: undefined = cannot tell (a value is missing). */
type Truth = boolean | undefined;

function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

function equal(a: unknown, b: unknown): boolean {
  const ab = asBoolean(a);
  if (typeof b === "boolean" && ab !== undefined) return ab === b;
  return a === b || String(a) === String(b);
}

/**
 * Evaluates a condition; collects the variables it read into `read` (null: not needed). A
 * comparison on a missing value is unknown, except on an optional covariate (named in `optional`),
 * where it does not hold: an absent optional value neither includes nor excludes anyone.
 */
export function evaluateCondition(cond: Condition, values: Record<string, unknown>, read: Map<string, unknown> | null = new Map(), optional: ReadonlySet<string> = new Set()): Truth {
  if ("all" in cond) return combine(cond.all, false, values, read, optional);
  if ("any" in cond) return combine(cond.any, true, values, read, optional);
  if ("not" in cond) {
    const r = evaluateCondition(cond.not, values, read, optional);
    return r === undefined ? undefined : !r;
  }
  const v = values[cond.covariate];
  read?.set(cond.covariate, v);
  if (v === undefined || v === null || v === "") return optional.has(cond.covariate) ? false : undefined;
  switch (cond.op) {
    case "eq":
      return equal(v, cond.value);
    case "ne":
      return !equal(v, cond.value);
    case "in":
    case "not_in": {
      let found = false;
      for (const x of cond.value) if (equal(v, x)) found = true;
      return cond.op === "in" ? found : !found;
    }
    case "between": {
      const lo = compare(v, cond.value[0]);
      const hi = compare(v, cond.value[1]);
      return lo === undefined || hi === undefined ? false : lo >= 0 && hi <= 0;
    }
    default: {
      const d = compare(v, cond.value);
      if (d === undefined) return false;
      switch (cond.op) {
        case "lt":
          return d < 0;
        case "le":
          return d <= 0;
        case "gt":
          return d > 0;
        case "ge":
          return d >= 0;
      }
    }
  }
}

/**
 * `all` (decided by any false part) or `any` (decided by any true part) in three-valued logic: the
 * deciding value if a part has it, else unknown if a part is unknown, else the other value. Every
 * part is evaluated (not cut short) so that `read` names every value the rule looks at.
 */
function combine(parts: readonly Condition[], deciding: boolean, values: Record<string, unknown>, read: Map<string, unknown> | null, optional: ReadonlySet<string>): Truth {
  let out: Truth = !deciding;
  for (const c of parts) {
    const r = evaluateCondition(c, values, read, optional);
    if (r === deciding) out = deciding;
    else if (r === undefined && out !== deciding) out = undefined;
  }
  return out;
}

/** The values a rule read, for messages: `age=17, diagnosis="x"`. */
function describe(read: Map<string, unknown>, en: boolean): string {
  return [...read].map(([k, v]) => `${k}=${en ? showEn(v) : show(v)}`).join(", ");
}

/**
 * Checks eligibility: the site is one of the protocol's, the target group is allowed, the age is
 * in range, every inclusion rule holds and no exclusion rule does. Returns the failed checks
 * (empty = eligible). A rule that cannot be decided because a value is missing fails.
 */
export function checkEligibility(protocol: Protocol, input: EligibilityInput): EligibilityFailure[] {
  const failures: EligibilityFailure[] = [];
  const facts = factsOf(protocol);
  if (!facts.sites.has(input.site))
    failures.push({ rule: "site", kind: "site", value: input.site, message: { da: `stedet ${show(input.site)} deltager ikke i forsøget`, en: `site ${showEn(input.site)} is not part of the trial` } });
  const groups = protocol.population.target_groups;
  if (groups) {
    const g = input.target_group;
    if (g === undefined || !facts.groups!.has(g)) {
      const name = g !== undefined && g in TARGET_GROUPS ? TARGET_GROUPS[g as keyof typeof TARGET_GROUPS] : undefined;
      failures.push({
        rule: "target_group",
        kind: "target_group",
        value: g,
        message: {
          da: `målgruppen ${name ? name.da : show(g)} er ikke omfattet (tilladt: ${groups.map((x) => TARGET_GROUPS[x].da).join(", ")})`,
          en: `target group ${name ? name.en : showEn(g)} is not included (allowed: ${groups.map((x) => TARGET_GROUPS[x].en).join(", ")})`,
        },
      });
    }
  }
  const range = protocol.population.age;
  const age = input.age ?? (typeof input.covariates?.age === "number" ? input.covariates.age : undefined);
  if (range && (age === undefined || age < range.min || age > range.max))
    failures.push({
      rule: "age",
      kind: "age",
      value: age,
      message: { da: `alderen ${show(age)} er uden for ${range.min}–${range.max} år`, en: `age ${showEn(age)} is outside ${range.min}–${range.max} years` },
    });

  const values: Record<string, unknown> = { ...input.covariates, site: input.site };
  if (input.target_group !== undefined) values.target_group = input.target_group;
  if (input.age !== undefined) values.age = input.age;
  const optional = facts.optional;
  for (const rule of protocol.population.inclusion) {
    const r = evaluateCondition(rule.when, values, null, optional);
    if (r === true) continue;
    // The values the rule read, for the message: only once it has failed.
    const read = new Map<string, unknown>();
    evaluateCondition(rule.when, values, read, optional);
    const why = r === undefined ? ["værdi mangler", "value missing"] : ["ikke opfyldt", "not met"];
    failures.push({
      rule: rule.id,
      kind: "inclusion",
      value: Object.fromEntries(read),
      message: { da: `inklusionskriteriet ${rule.id} (${rule.label.da}) er ${why[0] === "værdi mangler" ? "ikke afgjort: værdi mangler" : why[0]}: ${describe(read, false)}`, en: `inclusion rule ${rule.id} (${rule.label.en}) ${why[1] === "value missing" ? "cannot be decided: value missing" : "is not met"}: ${describe(read, true)}` },
    });
  }
  for (const rule of protocol.population.exclusion) {
    const r = evaluateCondition(rule.when, values, null, optional);
    if (r === false) continue;
    const read = new Map<string, unknown>();
    evaluateCondition(rule.when, values, read, optional);
    failures.push({
      rule: rule.id,
      kind: "exclusion",
      value: Object.fromEntries(read),
      message:
        r === true
          ? { da: `eksklusionskriteriet ${rule.id} (${rule.label.da}) er opfyldt: ${describe(read, false)}`, en: `exclusion rule ${rule.id} (${rule.label.en}) applies: ${describe(read, true)}` }
          : { da: `eksklusionskriteriet ${rule.id} (${rule.label.da}) kan ikke afgøres: værdi mangler: ${describe(read, false)}`, en: `exclusion rule ${rule.id} (${rule.label.en}) cannot be decided: value missing: ${describe(read, true)}` },
    });
  }
  return failures;
}

/** Whether a site takes enrollments on a date (YYYY-MM-DD) given how many it has enrolled. */
export function siteOpen(protocol: Protocol, siteId: string, date: string, enrolled: number): { open: true } | { open: false; message: Label } {
  const site = factsOf(protocol).sites.get(siteId);
  if (!site) return { open: false, message: { da: `stedet ${show(siteId)} deltager ikke i forsøget`, en: `site ${showEn(siteId)} is not part of the trial` } };
  if (date < site.enrollment.from) return { open: false, message: { da: `${site.name} indskriver først fra ${site.enrollment.from}`, en: `${site.name} enrolls from ${site.enrollment.from}` } };
  if (site.enrollment.to !== undefined && date > site.enrollment.to)
    return { open: false, message: { da: `${site.name} sluttede indskrivningen ${site.enrollment.to}`, en: `${site.name} closed enrollment on ${site.enrollment.to}` } };
  if (site.cap !== undefined && enrolled >= site.cap) return { open: false, message: { da: `${site.name} har nået loftet på ${site.cap} deltagere`, en: `${site.name} has reached its cap of ${site.cap} participants` } };
  return { open: true };
}
