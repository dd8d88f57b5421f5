// The municipal business case: pooled effects of one intervention applied to the municipality's own
// citizens, valued at editable benefit rates, with an uncertainty band from the pooled estimates'
// sampling distributions (seeded draws through analysis/'s random sources).
import {fastStream, standardNormal} from "../_lib/analysis.js";
import {cellKey, knowledgeCells} from "./knowledge.js";

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

/** The pooled (or single-site) effect of an intervention on an outcome: {estimate, std_error, k, window}. */
export function pooledEffect(packages, arm, outcome) {
  if (!outcome) return null;
  const cell = knowledgeCells(packages, {outcome}).find((c) => c.key === cellKey(arm, outcome));
  if (!cell) return null;
  const est = cell.pooled ? cell.pooled.pooled : cell.estimates[0];
  const def = packages.flatMap((p) => p.protocol.outcomes).find((o) => o.id === outcome);
  const window = def?.time ? ("week" in def.time && def.time.week !== undefined ? def.time.week : def.time.to - def.time.from) : null;
  return {estimate: est.estimate, std_error: est.std_error, k: cell.estimates.length, benefit: cell.benefit, window, cell};
}

/**
 * Totals for counts per target group over a horizon in weeks. Weeks of self-support gained scale
 * linearly with the horizon (the effect per week of the measured window is assumed to last).
 */
export function businessCase({counts, rates, cost, horizon, success, weeks}) {
  const groups = Object.keys(counts);
  const n = groups.reduce((s, g) => s + (counts[g] || 0), 0);
  const gainPerWeek = weeks ? ((weeks.benefit === "lower" ? -1 : 1) * weeks.estimate) / weeks.window : 0;
  const value = (rd, gpw) => {
    const weeksGained = groups.reduce((s, g) => s + (counts[g] || 0) * gpw * horizon, 0);
    const savings = groups.reduce((s, g) => s + (counts[g] || 0) * gpw * horizon * (rates[g] || 0), 0);
    const totalCost = n * cost;
    return {persons: rd === null ? null : n * rd, weeks: weeksGained, savings, cost: totalCost, net: savings - totalCost, netPerParticipant: n > 0 ? (savings - totalCost) / n : 0};
  };
  const meanRate = n > 0 ? groups.reduce((s, g) => s + (counts[g] || 0) * (rates[g] || 0), 0) / n : 0;
  return {
    n,
    gainPerWeek,
    point: value(success ? success.estimate : null, gainPerWeek),
    value,
    /** Weeks of horizon at which savings equal the cost; null when the effect does not pay back. */
    breakEvenWeeks: gainPerWeek > 0 && meanRate > 0 ? cost / (gainPerWeek * meanRate) : null
  };
}

/** Net gain at each horizon with a 95 % band from `draws` seeded draws of the pooled effects. */
export function uncertaintyBand(input, {seed = 1, draws = 2000, horizons}) {
  const rng = fastStream(seed);
  const {weeks} = input;
  const sign = weeks && weeks.benefit === "lower" ? -1 : 1;
  const gpws = new Float64Array(draws);
  for (let d = 0; d < draws; d++) gpws[d] = weeks ? (sign * (weeks.estimate + weeks.std_error * standardNormal(rng))) / weeks.window : 0;
  return horizons.map((h) => {
    const nets = Array.from(gpws, (g) => businessCase({...input, horizon: h}).value(null, g).net).sort((a, b) => a - b);
    return {horizon: h, net: businessCase({...input, horizon: h}).point.net, lower: nets[Math.floor(0.025 * draws)], upper: nets[Math.ceil(0.975 * draws) - 1]};
  });
}
