/** Cross-field rules of a trial's structure: arms and their ratios, the design's variables and shape, unique ids and site windows. */
import { arr, covariates, msg, num, obj, show, siteIds, uniqueIds, type Obj, type PathSegment, type RuleIssue } from "./document.ts";

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
