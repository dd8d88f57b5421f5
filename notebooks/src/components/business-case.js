// The municipal business case: the knowledge bank's effects of one intervention applied to the
// municipality's own citizens per target group, valued at editable benefit rates, with an
// uncertainty band from the effects' sampling distributions (seeded draws through analysis/'s
// random sources).
//
// Each target group takes the effect of its own cell (intervention × target group × outcome,
// knowledge.js) where the knowledge bank has one, else the all-groups cell; every effect says
// which cell it came from and whether it is such a fallback.
import {fastStream, standardNormal} from "../_lib/analysis.js";
import {ALL, cellEffect, cellKey, knowledgeCells} from "./knowledge.js";

/** Interventions that have a cost-effectiveness section in some package. */
export function interventions(packages) {
  const out = new Map();
  for (const p of packages) {
    for (const ce of p.cost_effectiveness) {
      const arm = p.protocol.arms.find((a) => a.id === ce.arm);
      if (!arm) continue;
      const entry = out.get(ce.arm) ?? {arm: ce.arm, label: arm.label, packages: [], targetGroups: new Set(), success: ce.success_outcome, weeks: ce.weeks_outcome, cost: ce.incremental_cost_dkk, weeklyBenefit: ce.weekly_benefit_dkk ?? p.protocol.economics?.weekly_benefit_dkk ?? null};
      entry.packages.push(p);
      for (const g of p.protocol.target_groups) entry.targetGroups.add(g);
      out.set(ce.arm, entry);
    }
  }
  return [...out.values()].map((e) => ({...e, targetGroups: [...e.targetGroups].sort()}));
}

/** Weeks in an outcome's measurement window (the week itself for a point-in-time outcome), or null. */
export function outcomeWindow(packages, outcome) {
  const def = packages.flatMap((p) => p.protocol.outcomes).find((o) => o.id === outcome);
  if (!def?.time) return null;
  return "week" in def.time && def.time.week !== undefined ? def.time.week : def.time.to - def.time.from;
}

/**
 * The effect of an intervention on an outcome for a target group (null: all groups):
 * {estimate, std_error, k, benefit, window, key, group, fallback}. The group's own cell where one
 * exists; otherwise the all-groups cell, with `fallback` true. `cells` defaults to every cell of
 * the knowledge bank without filters.
 */
export function pooledEffect(packages, arm, outcome, group = null, cells = knowledgeCells(packages)) {
  if (!outcome || !arm) return null;
  const own = group === null ? null : cells.find((c) => c.key === cellKey(arm, group, outcome));
  const cell = own ?? cells.find((c) => c.key === cellKey(arm, ALL, outcome));
  if (!cell) return null;
  return {...cellEffect(cell), benefit: cell.benefit, window: outcomeWindow(packages, outcome), key: cell.key, group: cell.group, fallback: group !== null && own === undefined, cell};
}

/** The effect for each target group (see pooledEffect), as {group: effect | null}. */
export function effectsByGroup(packages, arm, outcome, groups, cells = knowledgeCells(packages)) {
  return Object.fromEntries(groups.map((g) => [g, pooledEffect(packages, arm, outcome, g, cells)]));
}

const gain = (w) => (w && w.window ? ((w.benefit === "lower" ? -1 : 1) * w.estimate) / w.window : 0);

/**
 * Totals for counts per target group over a horizon in weeks, with `success` and `weeks` the
 * effects per target group ({group: {estimate, std_error, benefit, window}}). Weeks of
 * self-support gained scale linearly with the horizon (the effect per week of the measured window
 * is assumed to last).
 */
export function businessCase({counts, rates, cost, horizon, success, weeks}) {
  const groups = Object.keys(counts);
  const count = (g) => counts[g] || 0;
  const n = groups.reduce((s, g) => s + count(g), 0);
  const gpw = Object.fromEntries(groups.map((g) => [g, gain(weeks?.[g])]));
  const value = (rd, gpwBy) => {
    const weeksGained = groups.reduce((s, g) => s + count(g) * gpwBy[g] * horizon, 0);
    const savings = groups.reduce((s, g) => s + count(g) * gpwBy[g] * horizon * (rates[g] || 0), 0);
    const totalCost = n * cost;
    const persons = rd === null ? null : groups.reduce((s, g) => s + count(g) * (rd[g] ?? 0), 0);
    return {persons, weeks: weeksGained, savings, cost: totalCost, net: savings - totalCost, netPerParticipant: n > 0 ? (savings - totalCost) / n : 0};
  };
  const rd = groups.some((g) => success?.[g]) ? Object.fromEntries(groups.map((g) => [g, success[g]?.estimate ?? null])) : null;
  // Savings per week of horizon; the horizon at which they reach the cost is the break-even.
  const savedPerWeek = groups.reduce((s, g) => s + count(g) * gpw[g] * (rates[g] || 0), 0);
  return {
    n,
    gainPerWeek: n > 0 ? groups.reduce((s, g) => s + count(g) * gpw[g], 0) / n : groups.length ? groups.reduce((s, g) => s + gpw[g], 0) / groups.length : 0,
    point: value(rd, gpw),
    value,
    /** Weeks of horizon at which savings equal the cost; null when the effect does not pay back. */
    breakEvenWeeks: savedPerWeek > 0 ? (n * cost) / savedPerWeek : null
  };
}

/**
 * 95 % interval for the extra persons in work or education, Σ count × effect, treating the cells
 * used as independent (a group sharing a cell with another shares its error).
 */
export function personsInterval(counts, success) {
  const byKey = new Map();
  let point = 0;
  for (const [g, c] of Object.entries(counts)) {
    const e = success?.[g];
    if (!e || !c) continue;
    point += c * e.estimate;
    const entry = byKey.get(e.key ?? g) ?? {count: 0, se: e.std_error};
    entry.count += c;
    byKey.set(e.key ?? g, entry);
  }
  const se = Math.sqrt([...byKey.values()].reduce((s, x) => s + (x.count * x.se) ** 2, 0));
  return {lower: point - 1.96 * se, upper: point + 1.96 * se};
}

/**
 * Net gain at each horizon with a 95 % band from `draws` seeded draws of the weeks effects: one
 * standard normal per distinct cell and draw (groups that share a cell share the draw). The net
 * gain is linear in the horizon, h × S − cost with S the savings per week, so the band's bounds
 * are h times the quantiles of S, minus the cost: one sort serves every horizon.
 */
export function uncertaintyBand(input, {seed = 1, draws = 2000, horizons}) {
  const rng = fastStream(seed);
  const {counts, rates, weeks} = input;
  const groups = Object.keys(counts);
  const keyOf = (g) => weeks[g].key ?? g;
  const keys = [...new Set(groups.filter((g) => weeks?.[g]).map(keyOf))].sort();
  const saved = new Float64Array(draws);
  const z = new Map();
  for (let d = 0; d < draws; d++) {
    for (const k of keys) z.set(k, standardNormal(rng));
    let s = 0;
    for (const g of groups) {
      const w = weeks?.[g];
      if (!w || !w.window) continue;
      s += (counts[g] || 0) * (rates[g] || 0) * (((w.benefit === "lower" ? -1 : 1) * (w.estimate + w.std_error * z.get(keyOf(g)))) / w.window);
    }
    saved[d] = s;
  }
  saved.sort();
  const lo = saved[Math.floor(0.025 * draws)];
  const hi = saved[Math.ceil(0.975 * draws) - 1];
  return horizons.map((h) => {
    const point = businessCase({...input, horizon: h}).point;
    return {horizon: h, net: point.net, lower: h * lo - point.cost, upper: h * hi - point.cost};
  });
}
