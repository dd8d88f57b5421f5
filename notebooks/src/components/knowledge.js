// The knowledge bank's arithmetic, shared by the pages: which estimates belong to which
// intervention × outcome, their random-effects pooling (analysis/estimators/meta-analysis.ts,
// imported unchanged), and the jobeffekter.dk-style weighted vote count.
//
// Units of pooling: every site of every trial, as the package reports it in `site_effects`
// (difference in means with the Neyman standard error; for a binary outcome a risk difference).
// An intervention is an arm id compared with its trial's control; a cell is intervention × outcome.
import {metaAnalysis} from "../_lib/analysis.js";

/** Age bands the filter offers; a trial belongs to a band when its age range overlaps it. */
export const AGE_BANDS = [
  {id: "18-29", min: 18, max: 29},
  {id: "30-44", min: 30, max: 44},
  {id: "45-64", min: 45, max: 64}
];

/** Share of weighted votes at which jobeffekter.dk calls an effect established. */
export const ESTABLISHED_SHARE = 0.55;

export function cellKey(arm, outcome) {
  return `${arm}|${outcome}`;
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

/** The overall estimate a package reports for a contrast and outcome (risk difference or difference in means). */
export function mainResult(pkg, outcome, arm) {
  const rows = pkg.results.filter((r) => r.outcome === outcome && r.arm === arm && r.subgroup === null);
  return rows.find((r) => r.estimator === "risk_difference") ?? rows.find((r) => r.estimator === "difference_in_means") ?? null;
}

function isBeneficial(estimate, benefit) {
  return benefit === "lower" ? estimate < 0 : estimate > 0;
}

/**
 * The cells of the knowledge bank for the given packages and filters: the contributing site
 * estimates, the REML pooling with τ² and I² (k ≥ 2), participants, evidence levels and the vote.
 */
export function knowledgeCells(packages, filters = {}) {
  const chosen = filterPackages(packages, filters);
  const cells = new Map();
  for (const pkg of chosen) {
    for (const se of pkg.site_effects) {
      if (filters.outcome && se.outcome !== filters.outcome) continue;
      const outcome = pkg.protocol.outcomes.find((o) => o.id === se.outcome);
      const arm = pkg.protocol.arms.find((a) => a.id === se.arm);
      if (!outcome || !arm) continue;
      const key = cellKey(se.arm, se.outcome);
      let cell = cells.get(key);
      if (!cell) {
        cell = {key, arm: se.arm, armLabel: arm.label, outcome: se.outcome, outcomeLabel: outcome.label, type: outcome.type, benefit: outcome.benefit, trials: [], estimates: [], targetGroups: new Set()};
        cells.set(key, cell);
      }
      const sites = se.sites.filter((x) => !filters.municipality || x.site === filters.municipality);
      if (sites.length === 0) continue;
      for (const g of pkg.protocol.target_groups) cell.targetGroups.add(g);
      const result = mainResult(pkg, se.outcome, se.arm);
      const level = pkg.ratings.find((r) => r.scheme === "danish_evidence_level");
      const weight = pkg.ratings.find((r) => r.scheme === "jobeffekter_weight");
      const alpha = pkg.protocol.alpha;
      cell.trials.push({
        package: pkg.id,
        trial: pkg.trial,
        protocol: pkg.protocol.id,
        n: sites.reduce((s, x) => s + x.n, 0),
        result,
        level: level ? {value: level.value, label: level.label} : null,
        ratings: pkg.ratings,
        weight: weight ? Number(weight.value) : 1,
        positive: result !== null && result.p_value < alpha && isBeneficial(result.estimate, outcome.benefit),
        forWhom: pkg.for_whom.filter((f) => f.outcome === se.outcome && f.contrast === se.contrast)
      });
      for (const x of sites) {
        const siteName = pkg.protocol.sites.find((s) => s.id === x.site)?.name ?? x.site;
        cell.estimates.push({package: pkg.id, trial: pkg.trial, site: x.site, siteName, label: `${pkg.trial} · ${siteName}`, estimate: x.estimate, std_error: x.std_error, ci_lower: x.ci_lower, ci_upper: x.ci_upper, n: x.n});
      }
    }
  }
  const out = [];
  for (const cell of cells.values()) {
    if (cell.estimates.length === 0) continue;
    cell.targetGroups = [...cell.targetGroups].sort();
    cell.participants = cell.trials.reduce((s, t) => s + t.n, 0);
    cell.pooled = cell.estimates.length >= 2 ? pool(cell.estimates) : null;
    const total = cell.trials.reduce((s, t) => s + t.weight, 0);
    const positive = cell.trials.reduce((s, t) => s + (t.positive ? t.weight : 0), 0);
    cell.vote = {positive, total, share: total > 0 ? positive / total : 0, established: total > 0 && positive / total >= ESTABLISHED_SHARE};
    out.push(cell);
  }
  return out.sort((a, b) => (a.armLabel.en + a.outcome).localeCompare(b.armLabel.en + b.outcome));
}

/** REML random-effects pooling of site estimates, z test, as the packages' own site meta-analysis. */
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
