// The knowledge bank's arithmetic, shared by the pages: which estimates belong to which
// intervention × target group × outcome, their random-effects pooling
// (analysis/estimators/meta-analysis.ts, imported unchanged), and the jobeffekter.dk-style
// weighted vote count.
//
// An intervention is an arm id compared with its trial's control. A cell is intervention ×
// target group × outcome, and the grouping rule never claims a group difference a package did
// not state:
// - A trial whose protocol has one target group contributes its site estimates (`site_effects`:
//   difference in means with the Neyman standard error; for a binary outcome a risk difference)
//   to that group's cell.
// - A trial with several target groups contributes to a group's cell only through what its
//   package states per group: the pre-specified subgroup results by target group (result rows
//   whose subgroup is the protocol's `target_group` subgroup), one trial-wide estimate per level,
//   shown beside the package's heterogeneity row (interaction p, Holm and BH adjusted) and its
//   "for whom" sentence. Groups the package reports no level for get nothing from that trial.
// - Otherwise (no subgroup results by target group for that outcome and contrast, or a
//   municipality filter, since subgroup results are trial-wide and cannot be cut by site) its site
//   estimates go to the intervention's "mixed target groups" cell (MIXED).
// - The all-groups cell (ALL) pools every site of every trial, whatever its groups, as before:
//   it is shown when no target-group filter is set, and the business case falls back to it.
// The vote count uses each trial's overall result as its package reports it; subgroup estimates
// never vote (they are not tests the package corrected for multiplicity).
import {metaAnalysis} from "../_lib/meta-analysis.js";

/** Age bands the filter offers; a trial belongs to a band when its age range overlaps it. */
export const AGE_BANDS = [
  {id: "18-29", min: 18, max: 29},
  {id: "30-44", min: 30, max: 44},
  {id: "45-64", min: 45, max: 64}
];

/** Share of weighted votes at which jobeffekter.dk calls an effect established. */
export const ESTABLISHED_SHARE = 0.55;

/** The pseudo target groups of the cells that are not one group. */
export const ALL = "all";
export const MIXED = "mixed";

/** The protocol's subgroup variable for target groups, as the simulator and the register name it. */
export const TARGET_GROUP_VARIABLE = "target_group";

export function cellKey(arm, group, outcome) {
  return `${arm}|${group}|${outcome}`;
}

function overlaps(age, band) {
  const min = age?.min ?? 0;
  const max = age?.max ?? 200;
  return min <= band.max && max >= band.min;
}

/** Packages that pass the filters (target group, age band, municipality). */
export function filterPackages(packages, {targetGroup = null, ageBand = null, municipality = null} = {}) {
  const band = AGE_BANDS.find((b) => b.id === ageBand);
  return packages.filter(
    (p) =>
      (!targetGroup || p.protocol.target_groups.includes(targetGroup)) &&
      (!band || overlaps(p.protocol.age, band)) &&
      (!municipality || p.site_effects.some((s) => s.sites.some((x) => x.site === municipality)))
  );
}

/** The estimate on the pooling scale among rows of one contrast: risk difference, else difference in means. */
function onPoolingScale(rows) {
  return rows.find((r) => r.estimator === "risk_difference") ?? rows.find((r) => r.estimator === "difference_in_means") ?? null;
}

/** The overall estimate a package reports for a contrast and outcome (risk difference or difference in means). */
export function mainResult(pkg, outcome, arm) {
  return onPoolingScale(pkg.results.filter((r) => r.outcome === outcome && r.arm === arm && r.subgroup === null));
}

/**
 * The package's own statement by target group for one outcome and contrast, or null: one estimate
 * per reported level (with a standard error), its heterogeneity row and its "for whom" sentence.
 */
export function targetGroupFindings(pkg, outcome, contrast) {
  const ids = (pkg.protocol.subgroups ?? []).filter((s) => s.variable === TARGET_GROUP_VARIABLE).map((s) => s.id);
  for (const id of ids) {
    const rows = pkg.results.filter((r) => r.outcome === outcome && r.contrast === contrast && r.subgroup?.variable === id);
    const levels = [...new Set(rows.map((r) => r.subgroup.level))].sort();
    const estimates = levels.map((level) => onPoolingScale(rows.filter((r) => r.subgroup.level === level))).filter((r) => r !== null && Number.isFinite(r.std_error) && r.std_error > 0);
    if (estimates.length === 0) continue;
    const heterogeneity = pkg.heterogeneity?.find((h) => h.outcome === outcome && h.contrast === contrast && h.variable === id) ?? null;
    const forWhom = pkg.for_whom.find((f) => f.outcome === outcome && f.contrast === contrast && f.variable === id) ?? null;
    return {variable: id, estimates, heterogeneity, forWhom};
  }
  return null;
}

function isBeneficial(estimate, benefit) {
  return benefit === "lower" ? estimate < 0 : estimate > 0;
}

/** One trial's contributions to cells for one site_effects entry: [{group, source, n, estimates, findings}]. */
export function contributions(pkg, se, {targetGroup = null, municipality = null} = {}) {
  const sites = se.sites.filter((x) => !municipality || x.site === municipality);
  if (sites.length === 0) return [];
  const siteEstimates = sites.map((x) => {
    const siteName = pkg.protocol.sites.find((s) => s.id === x.site)?.name ?? x.site;
    return {package: pkg.id, trial: pkg.trial, site: x.site, siteName, level: null, label: `${pkg.trial} · ${siteName}`, estimate: x.estimate, std_error: x.std_error, ci_lower: x.ci_lower, ci_upper: x.ci_upper, n: x.n};
  });
  const n = sites.reduce((s, x) => s + x.n, 0);
  const out = [];
  if (!targetGroup) out.push({group: ALL, source: "sites", n, estimates: siteEstimates, findings: null});
  const groups = pkg.protocol.target_groups;
  if (groups.length === 1) {
    if (!targetGroup || targetGroup === groups[0]) out.push({group: groups[0], source: "sites", n, estimates: siteEstimates, findings: null});
    return out;
  }
  const findings = municipality ? null : targetGroupFindings(pkg, se.outcome, se.contrast);
  if (!findings) {
    out.push({group: MIXED, source: "sites", n, estimates: siteEstimates, findings: null});
    return out;
  }
  for (const r of findings.estimates) {
    if (targetGroup && r.subgroup.level !== targetGroup) continue;
    const label = `${pkg.trial} · hele forsøget / whole trial`;
    out.push({
      group: r.subgroup.level,
      source: "subgroup",
      n: r.n,
      estimates: [{package: pkg.id, trial: pkg.trial, site: null, siteName: null, level: r.subgroup.level, label, estimate: r.estimate, std_error: r.std_error, ci_lower: r.ci_lower, ci_upper: r.ci_upper, n: r.n}],
      findings
    });
  }
  return out;
}

/**
 * The cells of the knowledge bank for the given packages and filters: the contributing estimates,
 * the REML pooling with τ² and I² (k ≥ 2), participants, evidence levels and the vote.
 */
export function knowledgeCells(packages, filters = {}) {
  const cells = new Map();
  for (const pkg of filterPackages(packages, filters)) {
    const level = pkg.ratings.find((r) => r.scheme === "danish_evidence_level");
    const weight = pkg.ratings.find((r) => r.scheme === "jobeffekter_weight");
    for (const se of pkg.site_effects) {
      if (filters.outcome && se.outcome !== filters.outcome) continue;
      const outcome = pkg.protocol.outcomes.find((o) => o.id === se.outcome);
      const arm = pkg.protocol.arms.find((a) => a.id === se.arm);
      if (!outcome || !arm) continue;
      const result = mainResult(pkg, se.outcome, se.arm);
      for (const c of contributions(pkg, se, filters)) {
        const key = cellKey(se.arm, c.group, se.outcome);
        let cell = cells.get(key);
        if (!cell) {
          cell = {key, arm: se.arm, armLabel: arm.label, group: c.group, outcome: se.outcome, outcomeLabel: outcome.label, type: outcome.type, benefit: outcome.benefit, trials: [], estimates: [], targetGroups: new Set()};
          cells.set(key, cell);
        }
        for (const g of pkg.protocol.target_groups) cell.targetGroups.add(g);
        cell.trials.push({
          package: pkg.id,
          trial: pkg.trial,
          protocol: pkg.protocol.id,
          source: c.source,
          n: c.n,
          result,
          level: level ? {value: level.value, label: level.label} : null,
          ratings: pkg.ratings,
          weight: weight ? Number(weight.value) : 1,
          positive: result !== null && result.p_value < pkg.protocol.alpha && isBeneficial(result.estimate, outcome.benefit),
          heterogeneity: c.findings?.heterogeneity ?? null,
          groupFinding: c.findings?.forWhom ?? null,
          forWhom: pkg.for_whom.filter((f) => f.outcome === se.outcome && f.contrast === se.contrast)
        });
        cell.estimates.push(...c.estimates);
      }
    }
  }
  const order = (g) => (g === ALL ? 0 : g === MIXED ? 2 : 1);
  const out = [];
  for (const cell of cells.values()) {
    cell.targetGroups = [...cell.targetGroups].sort();
    cell.participants = cell.trials.reduce((s, t) => s + t.n, 0);
    cell.pooled = cell.estimates.length >= 2 ? pool(cell.estimates) : null;
    const total = cell.trials.reduce((s, t) => s + t.weight, 0);
    const positive = cell.trials.reduce((s, t) => s + (t.positive ? t.weight : 0), 0);
    cell.vote = {positive, total, share: total > 0 ? positive / total : 0, established: total > 0 && positive / total >= ESTABLISHED_SHARE};
    out.push(cell);
  }
  return out.sort((a, b) => (a.armLabel.en + a.outcome).localeCompare(b.armLabel.en + b.outcome) || order(a.group) - order(b.group) || a.group.localeCompare(b.group));
}

/** The cell's effect: the pooled one (k ≥ 2) or its single estimate, with the standard error. */
export function cellEffect(cell) {
  const est = cell.pooled ? cell.pooled.pooled : cell.estimates[0];
  return {estimate: est.estimate, std_error: est.std_error, ci_lower: est.ci_lower, ci_upper: est.ci_upper, k: cell.estimates.length};
}

/** REML random-effects pooling of the estimates, z test, as the packages' own site meta-analysis. */
export function pool(estimates) {
  return metaAnalysis(
    estimates.map((e) => e.estimate),
    estimates.map((e) => e.std_error ** 2),
    {method: "REML", labels: estimates.map((e) => e.label)}
  );
}

/** Every target group, outcome and municipality named in the packages, for the filters. */
export function filterChoices(packages) {
  const groups = new Set();
  const outcomes = new Map();
  const municipalities = new Map();
  for (const p of packages) {
    for (const g of p.protocol.target_groups) groups.add(g);
    for (const o of p.protocol.outcomes) if (p.site_effects.some((s) => s.outcome === o.id)) outcomes.set(o.id, o.label);
    for (const s of p.protocol.sites) if (p.site_effects.some((x) => x.sites.some((y) => y.site === s.id))) municipalities.set(s.id, s.name);
  }
  return {
    targetGroups: [...groups].sort(),
    outcomes: [...outcomes].sort((a, b) => a[0].localeCompare(b[0])),
    municipalities: [...municipalities].sort((a, b) => a[1].localeCompare(b[1], "da"))
  };
}
