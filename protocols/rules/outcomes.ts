/** Cross-field rules of what a trial measures and for whom: subgroups, outcomes and their estimators, eligibility, the power claim. */
import { TARGET_GROUPS, DerivationParamSchemas, DERIVATION_OUTCOME_TYPE, ESTIMATORS_FOR_TYPE, SURVIVAL_BUNDLE, type DerivationName, type OutcomeType } from "../schema.ts";
import { bilingualErrors } from "../zod-messages.ts";
import { arr, covariates, isObj, msg, obj, show, siteIds, str, type CovariateView, type Obj, type PathSegment, type RuleIssue } from "./document.ts";

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
