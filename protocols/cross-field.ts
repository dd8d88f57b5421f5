/**
 * Rules that relate one part of a protocol to another. Each rule is its own function with its
 * own message, and every rule runs on the document as written even when the schema found shape
 * problems elsewhere, so one validation run reports every problem. Rules therefore read the
 * document defensively: a field of the wrong shape is the schema's problem, not a rule's.
 *
 * Messages are Danish, then English: "dansk / English".
 */
import { TARGET_GROUPS, DerivationParamSchemas, DERIVATION_OUTCOME_TYPE, ESTIMATORS_FOR_TYPE, SURVIVAL_BUNDLE, type DerivationName, type OutcomeType } from "./schema.ts";
import { bilingualErrors } from "./zod-messages.ts";

export type PathSegment = string | number;
export interface RuleIssue {
  path: PathSegment[];
  message: string;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
const obj = (x: unknown): Obj => (isObj(x) ? x : {});
const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
const str = (x: unknown): string | undefined => (typeof x === "string" ? x : undefined);
const num = (x: unknown): number | undefined => (typeof x === "number" && Number.isFinite(x) ? x : undefined);
const show = (x: unknown): string => JSON.stringify(x) ?? String(x);
const msg = (da: string, en: string): string => `${da} / ${en}`;

interface CovariateView {
  type: string;
  levels: string[];
}

/** Declared covariates by id (first declaration wins; duplicates are their own problem). */
function covariates(doc: Obj): Map<string, CovariateView> {
  const map = new Map<string, CovariateView>();
  for (const c of arr(doc.covariates)) {
    const id = str(obj(c).id);
    if (id === undefined || map.has(id)) continue;
    const levels = arr(obj(c).levels).map((l) => (isObj(l) ? String(l.value) : String(l)));
    map.set(id, { type: str(obj(c).type) ?? "unknown", levels });
  }
  return map;
}
const siteIds = (doc: Obj): string[] => arr(doc.sites).map((s) => str(obj(s).id)).filter((s): s is string => s !== undefined);

/** Ids that must be unique within a list. */
function uniqueIds(list: unknown, path: string, what: [string, string]): RuleIssue[] {
  const seen = new Set<unknown>();
  const issues: RuleIssue[] = [];
  arr(list).forEach((item, i) => {
    const id = obj(item).id;
    if (id === undefined) return;
    if (seen.has(id)) issues.push({ path: [path, i, "id"], message: msg(`${what[0]} ${show(id)} er angivet mere end én gang`, `${what[1]} ${show(id)} is declared more than once`) });
    seen.add(id);
  });
  return issues;
}

/** Exactly one arm is the control (usual services). */
export function oneControlArm(doc: Obj): RuleIssue[] {
  const arms = arr(doc.arms);
  if (arms.length === 0) return [];
  const controls = arms.filter((a) => obj(a).control === true).length;
  if (controls === 1) return [];
  return [{ path: ["arms"], message: msg(`der skal være præcis én kontrolarm (control: true); fandt ${controls}`, `exactly one arm must be the control (control: true); found ${controls}`) }];
}

/** Allocation ratios are positive integers. */
export function positiveIntegerRatios(doc: Obj): RuleIssue[] {
  const issues: RuleIssue[] = [];
  arr(doc.arms).forEach((a, i) => {
    const r = obj(a).ratio;
    if (r === undefined) return;
    if (typeof r !== "number" || !Number.isInteger(r) || r < 1)
      issues.push({ path: ["arms", i, "ratio"], message: msg(`fordelingsforholdet skal være et positivt heltal: ${show(r)}`, `allocation ratio must be a positive integer: ${show(r)}`) });
  });
  return issues;
}

/** Block sizes are multiples of the sum of the ratios. */
export function blockSizesFitRatios(doc: Obj): RuleIssue[] {
  const ratios = arr(doc.arms).map((a) => obj(a).ratio);
  if (ratios.length === 0 || !ratios.every((r) => typeof r === "number" && Number.isInteger(r) && r > 0)) return [];
  const sum = (ratios as number[]).reduce((s, r) => s + r, 0);
  const issues: RuleIssue[] = [];
  arr(obj(doc.design).block_sizes).forEach((b, j) => {
    if (typeof b === "number" && Number.isInteger(b) && b > 0 && b % sum !== 0)
      issues.push({ path: ["design", "block_sizes", j], message: msg(`blokstørrelsen ${b} er ikke et multiplum af summen af fordelingsforholdene (${sum})`, `block size ${b} is not a multiple of the sum of the allocation ratios (${sum})`) });
  });
  return issues;
}

/** A design variable is `site` or a declared categorical or boolean covariate. */
function designVariable(doc: Obj, name: unknown, path: PathSegment[], role: [string, string]): RuleIssue[] {
  if (typeof name !== "string" || name === "site") return [];
  const c = covariates(doc).get(name);
  if (!c) return [{ path, message: msg(`${role[0]} ${show(name)} er hverken "site" eller en angivet baggrundsvariabel`, `${role[1]} ${show(name)} is neither "site" nor a declared covariate`) }];
  if (c.type !== "category" && c.type !== "boolean")
    return [{ path, message: msg(`${role[0]} ${show(name)} skal være kategorisk eller boolsk; er ${c.type}`, `${role[1]} ${show(name)} must be categorical or boolean; is ${c.type}`) }];
  return [];
}

/** Strata, minimization factors and cluster units name `site` or a fitting covariate. */
export function designVariablesDeclared(doc: Obj): RuleIssue[] {
  const d = obj(doc.design);
  const issues: RuleIssue[] = [];
  arr(d.strata).forEach((s, j) => issues.push(...designVariable(doc, s, ["design", "strata", j], ["stratum", "stratum"])));
  arr(d.factors).forEach((f, j) => issues.push(...designVariable(doc, obj(f).covariate, ["design", "factors", j, "covariate"], ["minimeringsfaktoren", "minimization factor"])));
  if (d.type === "cluster" || d.type === "stepped_wedge") issues.push(...designVariable(doc, d.unit, ["design", "unit"], ["klyngeenheden", "cluster unit"]));
  const twice = (list: unknown[], path: (j: number) => PathSegment[]) => {
    const seen = new Set<unknown>();
    list.forEach((name, j) => {
      if (typeof name === "string" && seen.has(name)) issues.push({ path: path(j), message: msg(`${show(name)} er angivet to gange`, `${show(name)} is listed twice`) });
      seen.add(name);
    });
  };
  twice(arr(d.strata), (j) => ["design", "strata", j]);
  twice(arr(d.factors).map((f) => obj(f).covariate), (j) => ["design", "factors", j, "covariate"]);
  return issues;
}

/** Cluster designs name the randomized unit. */
export function clusterNamesUnit(doc: Obj): RuleIssue[] {
  const d = obj(doc.design);
  if (d.type !== "cluster" || (typeof d.unit === "string" && d.unit.length > 0)) return [];
  return [{ path: ["design", "unit"], message: msg(`et klyngerandomiseret design skal angive den enhed, der randomiseres (unit), f.eks. "site" eller et team`, `a cluster design must name its randomized unit (unit), e.g. "site" or a team`) }];
}

/** Stepped wedge: at least as many periods as steps, and exactly two arms. */
export function steppedWedgeShape(doc: Obj): RuleIssue[] {
  const d = obj(doc.design);
  if (d.type !== "stepped_wedge") return [];
  const issues: RuleIssue[] = [];
  const periods = num(d.periods);
  const steps = num(d.steps);
  if (periods !== undefined && steps !== undefined && periods < steps)
    issues.push({ path: ["design", "periods"], message: msg(`stepped wedge kræver mindst lige så mange perioder som trin: ${periods} perioder, ${steps} trin`, `a stepped wedge needs at least as many periods as steps: ${periods} periods, ${steps} steps`) });
  const unit = typeof d.unit === "string" ? d.unit : "site";
  const units = unit === "site" ? siteIds(doc).length : covariates(doc).get(unit)?.levels.length;
  if (steps !== undefined && units !== undefined && units > 0 && units < steps)
    issues.push({ path: ["design", "steps"], message: msg(`${steps} trin kræver mindst ${steps} enheder (${show(unit)}); der er ${units}`, `${steps} steps need at least ${steps} units (${show(unit)}); there are ${units}`) });
  const arms = arr(doc.arms).length;
  if (arms !== 2) issues.push({ path: ["arms"], message: msg(`stepped wedge kræver præcis to arme (kontrol og indsats); fandt ${arms}`, `a stepped wedge needs exactly two arms (control and intervention); found ${arms}`) });
  return issues;
}

/** Ids of arms, sites, covariates, outcomes and subgroups are unique; site windows are ordered. */
export function uniqueIdsAndSiteWindows(doc: Obj): RuleIssue[] {
  const issues = [
    ...uniqueIds(doc.arms, "arms", ["armen", "arm"]),
    ...uniqueIds(doc.sites, "sites", ["stedet", "site"]),
    ...uniqueIds(doc.covariates, "covariates", ["baggrundsvariablen", "covariate"]),
    ...uniqueIds(doc.outcomes, "outcomes", ["effektmålet", "outcome"]),
  ];
  const reserved = new Set(["site", "target_group", "arm", "id"]);
  arr(doc.covariates).forEach((c, i) => {
    const id = obj(c).id;
    if (typeof id === "string" && reserved.has(id))
      issues.push({ path: ["covariates", i, "id"], message: msg(`${show(id)} er et reserveret navn`, `${show(id)} is a reserved name`) });
    const { min, max } = obj(c);
    if (min !== undefined && max !== undefined && (min as number | string) > (max as number | string))
      issues.push({ path: ["covariates", i, "max"], message: msg(`max (${show(max)}) er mindre end min (${show(min)})`, `max (${show(max)}) is below min (${show(min)})`) });
  });
  arr(doc.sites).forEach((s, i) => {
    const e = obj(obj(s).enrollment);
    if (typeof e.from === "string" && typeof e.to === "string" && e.to < e.from)
      issues.push({ path: ["sites", i, "enrollment", "to"], message: msg(`indskrivningen slutter (${e.to}) før den begynder (${e.from})`, `enrollment ends (${e.to}) before it starts (${e.from})`) });
  });
  const age = obj(obj(doc.population).age);
  if (typeof age.min === "number" && typeof age.max === "number" && age.max < age.min)
    issues.push({ path: ["population", "age", "max"], message: msg(`øvre aldersgrænse (${age.max}) er under den nedre (${age.min})`, `upper age limit (${age.max}) is below the lower (${age.min})`) });
  return issues;
}

/** Subgroup variables are `site` or declared covariates, with levels or cut points that fit. */
export function subgroupVariables(doc: Obj): RuleIssue[] {
  const covs = covariates(doc);
  const sites = siteIds(doc);
  const issues: RuleIssue[] = [];
  const ids = new Set<string>();
  arr(doc.subgroups).forEach((g, i) => {
    const s = obj(g);
    const variable = str(s.variable);
    if (variable === undefined) return;
    const id = str(s.id) ?? variable;
    if (ids.has(id)) issues.push({ path: ["subgroups", i, "id"], message: msg(`undergruppen ${show(id)} er angivet mere end én gang`, `subgroup ${show(id)} is declared more than once`) });
    ids.add(id);
    const at = (...p: PathSegment[]): PathSegment[] => ["subgroups", i, ...p];
    const hasLevels = s.levels !== undefined;
    const hasCuts = s.cuts !== undefined;
    if (hasLevels === hasCuts) {
      issues.push({ path: at(), message: msg(`angiv enten levels eller cuts (præcis ét af dem)`, `give either levels or cuts (exactly one of them)`) });
      return;
    }
    let type: string;
    let allowed: string[] | undefined;
    if (variable === "site") {
      type = "category";
      allowed = sites;
    } else if (variable === "target_group") {
      type = "category";
      const groups = arr(obj(doc.population).target_groups).filter((g): g is string => typeof g === "string");
      allowed = groups.length > 0 ? groups : Object.keys(TARGET_GROUPS);
    } else {
      const c = covs.get(variable);
      if (!c) {
        issues.push({ path: at("variable"), message: msg(`${show(variable)} er hverken "site", "target_group" eller en angivet baggrundsvariabel`, `${show(variable)} is neither "site", "target_group" nor a declared covariate`) });
        return;
      }
      type = c.type;
      allowed = c.type === "category" ? c.levels : c.type === "boolean" ? ["true", "false", "0", "1"] : undefined;
    }
    if (type === "number" || type === "integer") {
      if (hasLevels) issues.push({ path: at("levels"), message: msg(`en numerisk variabel (${show(variable)}) opdeles med cuts, ikke levels`, `a numeric variable (${show(variable)}) is split by cuts, not levels`) });
      const cuts = arr(s.cuts);
      cuts.forEach((c, j) => {
        if (j > 0 && typeof c === "number" && typeof cuts[j - 1] === "number" && c <= (cuts[j - 1] as number))
          issues.push({ path: at("cuts", j), message: msg(`skæringspunkterne skal være stigende: ${show(c)} efter ${show(cuts[j - 1])}`, `cut points must increase: ${show(c)} after ${show(cuts[j - 1])}`) });
      });
      return;
    }
    if (type === "category" || type === "boolean") {
      if (hasCuts) {
        issues.push({ path: at("cuts"), message: msg(`en ${type === "boolean" ? "boolsk" : "kategorisk"} variabel (${show(variable)}) opdeles med levels, ikke cuts`, `a ${type === "boolean" ? "boolean" : "categorical"} variable (${show(variable)}) is split by levels, not cuts`) });
        return;
      }
      arr(s.levels).forEach((l, j) => {
        if (allowed && !allowed.includes(String(l)))
          issues.push({ path: at("levels", j), message: msg(`${show(l)} er ikke en værdi af ${show(variable)} (tilladt: ${allowed.join(", ")})`, `${show(l)} is not a value of ${show(variable)} (allowed: ${allowed.join(", ")})`) });
      });
      return;
    }
    issues.push({ path: at("variable"), message: msg(`en variabel af typen ${type} kan ikke danne undergrupper`, `a variable of type ${type} cannot form subgroups`) });
  });
  return issues;
}

/** The primary outcome exists and is marked primary. */
export function primaryOutcomeExists(doc: Obj): RuleIssue[] {
  const primary = obj(doc.analysis).primary_outcome;
  if (typeof primary !== "string") return [];
  const outcome = arr(doc.outcomes).find((o) => obj(o).id === primary);
  if (!outcome) return [{ path: ["analysis", "primary_outcome"], message: msg(`det primære effektmål ${show(primary)} er ikke blandt outcomes`, `primary outcome ${show(primary)} is not among the outcomes`) }];
  if (obj(outcome).role !== "primary") return [{ path: ["analysis", "primary_outcome"], message: msg(`effektmålet ${show(primary)} har ikke role: primary`, `outcome ${show(primary)} does not have role: primary`) }];
  return [];
}

/** Adjustment covariates are declared. */
export function adjustmentCovariatesDeclared(doc: Obj): RuleIssue[] {
  const covs = covariates(doc);
  const issues: RuleIssue[] = [];
  const check = (list: unknown, path: PathSegment[]) =>
    arr(list).forEach((c, j) => {
      if (typeof c === "string" && !covs.has(c))
        issues.push({ path: [...path, j], message: msg(`justeringsvariablen ${show(c)} er ikke en angivet baggrundsvariabel`, `adjustment covariate ${show(c)} is not a declared covariate`) });
      else if (typeof c === "string" && covs.get(c)?.type === "date")
        issues.push({ path: [...path, j], message: msg(`justeringsvariablen ${show(c)} er en dato`, `adjustment covariate ${show(c)} is a date`) });
    });
  const analysis = obj(doc.analysis);
  check(analysis.adjustment_covariates, ["analysis", "adjustment_covariates"]);
  for (const [id, entry] of Object.entries(obj(analysis.outcomes))) check(obj(entry).covariates, ["analysis", "outcomes", id, "covariates"]);
  return issues;
}

/** Outcome windows are sane, register derivations fit the outcome, columns fit the type. */
export function outcomeDefinitions(doc: Obj): RuleIssue[] {
  const issues: RuleIssue[] = [];
  arr(doc.outcomes).forEach((o, i) => {
    const out = obj(o);
    const at = (...p: PathSegment[]): PathSegment[] => ["outcomes", i, ...p];
    const time = obj(out.time);
    if (typeof time.from === "number" && typeof time.to === "number" && time.to < time.from)
      issues.push({ path: at("time", "to"), message: msg(`vinduet slutter (uge ${time.to}) før det begynder (uge ${time.from})`, `the window ends (week ${time.to}) before it starts (week ${time.from})`) });
    const tte = out.type === "time_to_event";
    if (tte && out.column !== undefined) issues.push({ path: at("column"), message: msg(`et forløbsdata-effektmål angiver columns: {time, event}, ikke column`, `a time-to-event outcome names columns: {time, event}, not column`) });
    if (!tte && out.columns !== undefined) issues.push({ path: at("columns"), message: msg(`kun forløbsdata-effektmål har columns: {time, event}; brug column`, `only time-to-event outcomes have columns: {time, event}; use column`) });
    const source = obj(out.source);
    if (source.type !== "register" || typeof source.derivation !== "string" || !(source.derivation in DerivationParamSchemas)) return;
    const derivation = source.derivation as DerivationName;
    const expected = DERIVATION_OUTCOME_TYPE[derivation];
    if (typeof out.type === "string" && out.type !== expected)
      issues.push({ path: at("type"), message: msg(`afledningen ${derivation} giver et effektmål af typen ${expected}, ikke ${out.type}`, `derivation ${derivation} yields a ${expected} outcome, not ${out.type}`) });
    const params = source.params === undefined ? {} : source.params;
    const parsed = DerivationParamSchemas[derivation].safeParse(params, { error: bilingualErrors });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const keys = issue.code === "unrecognized_keys" ? issue.keys : [undefined];
        for (const key of keys) {
          const path = at("source", "params", ...(issue.path as PathSegment[]), ...(key === undefined ? [] : [key]));
          const detail = key === undefined ? issue.message : `ukendt nøgle ${show(key)} / unknown key ${show(key)}`;
          issues.push({ path, message: `ugyldig parameter til ${derivation} / invalid parameter for ${derivation}: ${detail}` });
        }
      }
      return;
    }
    const p = parsed.data as Obj;
    if (typeof p.from === "number" && typeof p.to === "number" && p.to < p.from)
      issues.push({ path: at("source", "params", "to"), message: msg(`vinduet slutter (uge ${p.to}) før det begynder (uge ${p.from})`, `the window ends (week ${p.to}) before it starts (week ${p.from})`) });
    if (typeof time.week === "number" && typeof p.week === "number" && time.week !== p.week)
      issues.push({ path: at("source", "params", "week"), message: msg(`afledningens uge (${p.week}) er ikke effektmålets tidspunkt (uge ${time.week})`, `the derivation's week (${p.week}) is not the outcome's time point (week ${time.week})`) });
    if (typeof time.from === "number" && typeof p.from === "number" && typeof p.to === "number" && (time.from !== p.from || time.to !== p.to))
      issues.push({ path: at("source", "params"), message: msg(`afledningens vindue (uge ${p.from}–${p.to}) er ikke effektmålets (uge ${time.from}–${time.to})`, `the derivation's window (weeks ${p.from}–${p.to}) is not the outcome's (weeks ${time.from}–${time.to})`) });
  });
  return issues;
}

/** Every outcome has an analysis entry, every entry an outcome, and estimators fit the type. */
export function estimatorsFitOutcomes(doc: Obj): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const outcomes = new Map<string, unknown>();
  arr(doc.outcomes).forEach((o) => {
    const id = str(obj(o).id);
    if (id !== undefined) outcomes.set(id, obj(o).type);
  });
  const analysis = obj(doc.analysis);
  if (!isObj(analysis.outcomes)) return [];
  const entries = analysis.outcomes;
  for (const id of outcomes.keys())
    if (!(id in entries)) issues.push({ path: ["analysis", "outcomes"], message: msg(`effektmålet ${show(id)} mangler en analyse (estimators)`, `outcome ${show(id)} has no analysis (estimators)`) });
  for (const [id, entry] of Object.entries(entries)) {
    const at = (...p: PathSegment[]): PathSegment[] => ["analysis", "outcomes", id, ...p];
    if (!outcomes.has(id)) {
      issues.push({ path: at(), message: msg(`${show(id)} er ikke et angivet effektmål`, `${show(id)} is not a declared outcome`) });
      continue;
    }
    const type = outcomes.get(id) as OutcomeType;
    const fits = ESTIMATORS_FOR_TYPE[type];
    if (!fits) continue;
    const names: string[] = [];
    arr(obj(entry).estimators).forEach((e, j) => {
      if (typeof e !== "string") return;
      const expanded = e === "survival" ? SURVIVAL_BUNDLE : [e];
      names.push(...expanded);
      if (!expanded.every((x) => (fits as readonly string[]).includes(x)))
        issues.push({ path: at("estimators", j), message: msg(`estimatoren ${e} passer ikke til et effektmål af typen ${type} (mulige: ${fits.join(", ")})`, `estimator ${e} does not fit a ${type} outcome (possible: ${fits.join(", ")})`) });
    });
    const e = obj(entry);
    if (names.includes("rmst") && e.rmst_tau === undefined)
      issues.push({ path: at("rmst_tau"), message: msg(`rmst kræver rmst_tau (tidshorisonten)`, `rmst needs rmst_tau (the time horizon)`) });
    if (type !== "time_to_event" && (e.rmst_tau !== undefined || e.time_points !== undefined))
      issues.push({ path: at(), message: msg(`rmst_tau og time_points gælder kun forløbsdata-effektmål`, `rmst_tau and time_points apply only to time-to-event outcomes`) });
    const points = arr(e.time_points);
    points.forEach((t, j) => {
      if (j > 0 && typeof t === "number" && typeof points[j - 1] === "number" && t <= (points[j - 1] as number))
        issues.push({ path: at("time_points", j), message: msg(`tidspunkterne skal være stigende`, `time points must increase`) });
    });
  }
  return issues;
}

const NUMERIC_OPS = new Set(["lt", "le", "gt", "ge", "between"]);
const BUILT_INS: Record<string, CovariateView> = {
  age: { type: "integer", levels: [] },
  site: { type: "category", levels: [] },
  target_group: { type: "category", levels: [] },
};

/** Eligibility rules name declared covariates (or age, site, target_group) with fitting values. */
export function eligibilityRulesTyped(doc: Obj): RuleIssue[] {
  const covs = covariates(doc);
  const issues: RuleIssue[] = [];
  const visit = (cond: unknown, path: PathSegment[]): void => {
    const c = obj(cond);
    for (const key of ["all", "any"] as const) if (Array.isArray(c[key])) (c[key] as unknown[]).forEach((x, j) => visit(x, [...path, key, j]));
    if (c.not !== undefined) visit(c.not, [...path, "not"]);
    const name = str(c.covariate);
    if (name === undefined) return;
    const builtIn = BUILT_INS[name];
    const cov =
      covs.get(name) ??
      (name === "site" ? { type: "category", levels: siteIds(doc) } : name === "target_group" ? { type: "category", levels: Object.keys(TARGET_GROUPS) } : builtIn);
    if (!cov) {
      issues.push({ path: [...path, "covariate"], message: msg(`${show(name)} er ikke en angivet baggrundsvariabel (eller age, site, target_group)`, `${show(name)} is not a declared covariate (nor age, site, target_group)`) });
      return;
    }
    const op = str(c.op);
    if (op && NUMERIC_OPS.has(op) && !["number", "integer", "date"].includes(cov.type))
      issues.push({ path: [...path, "op"], message: msg(`${op} kræver en numerisk variabel eller dato; ${show(name)} er ${cov.type}`, `${op} needs a numeric or date variable; ${show(name)} is ${cov.type}`) });
    if (op === "between" && Array.isArray(c.value) && c.value.length === 2 && typeof c.value[0] === typeof c.value[1] && (c.value[0] as number | string) > (c.value[1] as number | string))
      issues.push({ path: [...path, "value"], message: msg(`between kræver [lav, høj]; fik ${show(c.value)}`, `between needs [low, high]; got ${show(c.value)}`) });
    if (cov.type === "category" && cov.levels.length > 0) {
      const values = Array.isArray(c.value) ? c.value : [c.value];
      values.forEach((v) => {
        if (!cov.levels.includes(String(v)))
          issues.push({ path: [...path, "value"], message: msg(`${show(v)} er ikke en værdi af ${show(name)} (tilladt: ${cov.levels.join(", ")})`, `${show(v)} is not a value of ${show(name)} (allowed: ${cov.levels.join(", ")})`) });
      });
    }
  };
  const population = obj(doc.population);
  for (const kind of ["inclusion", "exclusion"] as const) arr(population[kind]).forEach((r, i) => visit(obj(r).when, ["population", kind, i, "when"]));
  const seen = new Set<unknown>();
  for (const kind of ["inclusion", "exclusion"] as const)
    arr(population[kind]).forEach((r, i) => {
      const id = obj(r).id;
      if (id === undefined) return;
      if (seen.has(id)) issues.push({ path: ["population", kind, i, "id"], message: msg(`reglen ${show(id)} er angivet mere end én gang`, `rule ${show(id)} is declared more than once`) });
      seen.add(id);
    });
  return issues;
}

/** The power claim names an existing outcome, the parameter its type needs, and an ICC for clusters. */
export function powerClaimComplete(doc: Obj): RuleIssue[] {
  const power = doc.power;
  if (!isObj(power)) return [];
  const issues: RuleIssue[] = [];
  const outcomeId = str(power.outcome) ?? str(obj(doc.analysis).primary_outcome);
  const outcome = arr(doc.outcomes).find((o) => obj(o).id === outcomeId);
  if (power.outcome !== undefined && !outcome)
    issues.push({ path: ["power", "outcome"], message: msg(`${show(power.outcome)} er ikke et angivet effektmål`, `${show(power.outcome)} is not a declared outcome`) });
  const type = obj(outcome).type;
  if (type === "binary" && power.control_rate === undefined)
    issues.push({ path: ["power", "control_rate"], message: msg(`et binært effektmål kræver den forventede andel i kontrolgruppen (control_rate)`, `a binary outcome needs the expected control rate (control_rate)`) });
  if ((type === "continuous" || type === "count") && power.control_sd === undefined)
    issues.push({ path: ["power", "control_sd"], message: msg(`et kontinuert effektmål kræver kontrolgruppens standardafvigelse (control_sd)`, `a continuous outcome needs the control standard deviation (control_sd)`) });
  const design = obj(doc.design).type;
  if ((design === "cluster" || design === "stepped_wedge") && power.icc === undefined)
    issues.push({ path: ["power", "icc"], message: msg(`et klyngedesign kræver intraklassekorrelationen (icc)`, `a cluster design needs the intra-cluster correlation (icc)`) });
  return issues;
}

/**
 * Progression: unique factor ids, scales with min < max and anchors on the scale at both ends,
 * a total over declared factors, planned weeks that increase from a baseline at week 0 with
 * windows that do not overlap (so a measurement belongs to at most one planned week), a primary
 * week that is a planned follow-up week, and a milestone inside the total's range.
 */
export function progressionInstrument(doc: Obj): RuleIssue[] {
  if (!isObj(doc.progression)) return [];
  const prog = doc.progression;
  const issues: RuleIssue[] = [];
  const instrument = obj(prog.instrument);
  const at = (...p: PathSegment[]): PathSegment[] => ["progression", ...p];
  const ids = new Set<string>();
  const ranges = new Map<string, { min: number; max: number }>();
  arr(instrument.factors).forEach((f, i) => {
    const factor = obj(f);
    const id = str(factor.id);
    if (id !== undefined) {
      if (ids.has(id)) issues.push({ path: at("instrument", "factors", i, "id"), message: msg(`faktoren ${show(id)} er angivet mere end én gang`, `factor ${show(id)} is declared more than once`) });
      if (id === "total") issues.push({ path: at("instrument", "factors", i, "id"), message: msg(`"total" er et reserveret navn`, `"total" is a reserved name`) });
      ids.add(id);
    }
    const scale = obj(factor.scale);
    const min = num(scale.min);
    const max = num(scale.max);
    if (min === undefined || max === undefined) return;
    if (!(min < max)) {
      issues.push({ path: at("instrument", "factors", i, "scale", "max"), message: msg(`skalaens max (${max}) skal være større end min (${min})`, `the scale's max (${max}) must exceed its min (${min})`) });
      return;
    }
    if (id !== undefined && !ranges.has(id)) ranges.set(id, { min, max });
    const values = new Set<number>();
    arr(scale.anchors).forEach((a, j) => {
      const v = num(obj(a).value);
      if (v === undefined) return;
      if (v < min || v > max) issues.push({ path: at("instrument", "factors", i, "scale", "anchors", j, "value"), message: msg(`ankeret ${v} ligger uden for skalaen ${min}–${max}`, `anchor ${v} is outside the scale ${min}–${max}`) });
      if (values.has(v)) issues.push({ path: at("instrument", "factors", i, "scale", "anchors", j, "value"), message: msg(`ankeret ${v} er angivet to gange`, `anchor ${v} is given twice`) });
      values.add(v);
    });
    if (Array.isArray(scale.anchors) && (!values.has(min) || !values.has(max)))
      issues.push({ path: at("instrument", "factors", i, "scale", "anchors"), message: msg(`skalaens ender (${min} og ${max}) skal begge have et anker`, `both ends of the scale (${min} and ${max}) need an anchor`) });
  });
  const total = obj(instrument.total);
  const seen = new Set<string>();
  arr(total.factors).forEach((f, j) => {
    if (typeof f !== "string") return;
    if (!ids.has(f)) issues.push({ path: at("instrument", "total", "factors", j), message: msg(`${show(f)} er ikke en angivet faktor`, `${show(f)} is not a declared factor`) });
    if (seen.has(f)) issues.push({ path: at("instrument", "total", "factors", j), message: msg(`${show(f)} er angivet to gange`, `${show(f)} is listed twice`) });
    seen.add(f);
  });

  const schedule = arr(prog.schedule);
  const weeks: number[] = [];
  let previous: { week: number; end: number } | undefined;
  schedule.forEach((w, k) => {
    const planned = obj(w);
    const wk = num(planned.week);
    if (wk === undefined) return;
    weeks.push(wk);
    const window = obj(planned.window);
    const before = num(window.before) ?? 0;
    const after = num(window.after) ?? 0;
    if (previous !== undefined) {
      if (wk <= previous.week)
        issues.push({ path: at("schedule", k, "week"), message: msg(`de planlagte uger skal være stigende: uge ${wk} efter uge ${previous.week}`, `planned weeks must increase: week ${wk} after week ${previous.week}`) });
      else if (wk - before <= previous.end)
        issues.push({ path: at("schedule", k, "window", "before"), message: msg(`vinduet om uge ${wk} (fra uge ${wk - before}) overlapper vinduet om uge ${previous.week} (til uge ${previous.end})`, `the window around week ${wk} (from week ${wk - before}) overlaps the window around week ${previous.week} (to week ${previous.end})`) });
    }
    previous = { week: wk, end: wk + after };
  });
  if (schedule.length > 0 && !weeks.includes(0))
    issues.push({ path: at("schedule"), message: msg(`uge 0 (baseline) skal være blandt de planlagte uger`, `week 0 (the baseline) must be among the planned weeks`) });
  const analysis = obj(prog.analysis);
  const primary = num(analysis.primary_week);
  if (primary !== undefined && weeks.length > 0) {
    if (primary === 0) issues.push({ path: at("analysis", "primary_week"), message: msg(`den primære uge skal være en opfølgningsuge, ikke baseline (uge 0)`, `the primary week must be a follow-up week, not the baseline (week 0)`) });
    else if (!weeks.includes(primary))
      issues.push({ path: at("analysis", "primary_week"), message: msg(`uge ${primary} er ikke en planlagt måleuge (planlagt: ${weeks.join(", ")})`, `week ${primary} is not a planned measurement week (planned: ${weeks.join(", ")})`) });
  }
  const threshold = num(obj(analysis.milestone).total_at_least);
  const inTotal = (arr(total.factors).length > 0 ? arr(total.factors).filter((f): f is string => typeof f === "string") : [...ids]).map((f) => ranges.get(f));
  if (threshold !== undefined && inTotal.length > 0 && inTotal.every((r) => r !== undefined)) {
    let lo = inTotal.reduce((s, r) => s + r!.min, 0);
    let hi = inTotal.reduce((s, r) => s + r!.max, 0);
    if (total.method === "mean") [lo, hi] = [lo / inTotal.length, hi / inTotal.length];
    if (!(threshold > lo && threshold <= hi))
      issues.push({ path: at("analysis", "milestone", "total_at_least"), message: msg(`milepælen ${threshold} skal ligge over totalens minimum (${lo}) og højst på dens maksimum (${hi})`, `the milestone ${threshold} must lie above the total's minimum (${lo}) and at most at its maximum (${hi})`) });
  }
  return issues;
}

/** Every cross-field rule, by name, in the order they run. */
export const CROSS_FIELD_RULES: Record<string, (doc: Obj) => RuleIssue[]> = {
  oneControlArm,
  positiveIntegerRatios,
  blockSizesFitRatios,
  designVariablesDeclared,
  clusterNamesUnit,
  steppedWedgeShape,
  uniqueIdsAndSiteWindows,
  subgroupVariables,
  primaryOutcomeExists,
  adjustmentCovariatesDeclared,
  outcomeDefinitions,
  estimatorsFitOutcomes,
  eligibilityRulesTyped,
  powerClaimComplete,
  progressionInstrument,
};

/** Runs every cross-field rule over a document (any shape). */
export function crossFieldIssues(doc: unknown): RuleIssue[] {
  const d = obj(doc);
  return Object.values(CROSS_FIELD_RULES).flatMap((rule) => rule(d));
}
