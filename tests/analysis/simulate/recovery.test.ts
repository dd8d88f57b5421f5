/**
 * The analysis finds what the simulator put in: on a large simulated trial of each shipped
 * protocol, every effect `runPlan` estimates (overall, and inside each level of each subgroup of
 * the primary outcome) lies within four standard errors of the truth written next to the data.
 * Seeds are pinned; a miss by chance has a probability of about 1e-4 per comparison (a little
 * more with the 12 clusters of the cluster-randomized trial), so a failure means the simulator,
 * its truth or the analysis is wrong. For the cluster-randomized trial the standard error is the
 * cluster-robust one (the plan's difference in means does not yet account for clustering).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runPlan } from "../../../analysis/plan.ts";
import { simulateTrial, type SimulatedTrial } from "../../../analysis/simulate/index.ts";
import { loadProtocol, subgroupLevelOf, type Protocol } from "../../../protocols/index.ts";

function protocol(id: string): Protocol {
  const loaded = loadProtocol(readFileSync(`protocols/${id}.yaml`, "utf8"), id);
  if (!loaded.ok) throw new Error(id);
  return loaded.protocol;
}

const K = 4;

/**
 * Cluster-robust (CR1) standard error of the difference in means of an outcome column, over the rows
 * `keep` selects: per arm, the sum over clusters of the squared sum of residuals from the arm mean,
 * over n², times G / (G − 1).
 */
function clusteredSe(sim: SimulatedTrial, column: string, arm: string, control: string, cluster: string, keep: (i: number) => boolean = () => true): number {
  const y = sim.dataSet.columns.get(column) as Float64Array;
  const clusters = sim.dataSet.columns.get(cluster) as string[];
  let variance = 0;
  const labels = new Set<string>();
  for (const a of [arm, control]) {
    const idx: number[] = [];
    for (let i = 0; i < sim.dataSet.rows; i++) if (!Number.isNaN(y[i]) && sim.arms[i] === a && keep(i)) idx.push(i);
    const mean = idx.reduce((s, i) => s + y[i], 0) / idx.length;
    const sums = new Map<string, number>();
    for (const i of idx) sums.set(clusters[i], (sums.get(clusters[i]) ?? 0) + y[i] - mean);
    for (const [g, s] of sums) (variance += (s * s) / (idx.length * idx.length)), labels.add(g);
  }
  return Math.sqrt((variance * labels.size) / (labels.size - 1));
}

/**
 * `literature`: the primary outcome's rates per arm as published, written here by hand (not read
 * from the simulator): Christensen et al. JAMA Psychiatry 2019 (IPS 59.9%, IPS-E 59.1%, usual
 * 46.5%); the national mentor trial (16% vs 12%); brobygning about +15 points on a 30% base
 * (illustrative); volunteer mentors +5 points on a mean of 45 (illustrative).
 */
const CASES: { id: string; n: number; seed: number; cluster?: string; literature: Record<string, number> | null }[] = [
  { id: "ips-severe-mental-illness", n: 3000, seed: 101, literature: { ips: 0.599, ips_e: 0.591, usual: 0.465 } },
  { id: "mentor-youth", n: 6000, seed: 102, literature: { mentor: 0.16, usual: 0.12 } },
  { id: "brobygning", n: 3000, seed: 103, cluster: "team", literature: { brobygning: 0.45, usual: 0.3 } },
  { id: "volunteer-mentors", n: 2000, seed: 104, literature: null },
];

describe.each(CASES)("$id: the plan recovers the truth", ({ id, n, seed, cluster, literature }) => {
  const p = protocol(id);
  const sim = simulateTrial(p, { n, seed });
  const evidence = runPlan(p, sim.dataSet, { draws: 0 });
  const primary = p.analysis.primary_outcome;

  it("puts in the literature's effect on the primary outcome (the sample truth is near the design value)", () => {
    for (const t of sim.truth.effects.filter((e) => e.outcome === primary)) {
      expect(t.expected).not.toBeNull();
      // Individual effects are 0/1 (binary) or the effect plus clamping (continuous): their mean is
      // within a few binomial standard errors of the design value.
      const binary = p.outcomes.find((o) => o.id === primary)!.type === "binary";
      const sd = binary ? Math.sqrt(Math.abs(t.expected!) * (1 - Math.abs(t.expected!))) : 1;
      expect(Math.abs(t.effect - t.expected!)).toBeLessThan(K * (sd / Math.sqrt(n)) + 1e-9);
      if (!literature) continue;
      // The participants' rates under each arm are the published ones, up to binomial error.
      const rates = literature;
      for (const [mean, rate] of [[t.arm_mean, rates[t.arm]], [t.control_mean, rates[t.control]]])
        expect(Math.abs(mean - rate), `${t.contrast}: ${mean} vs ${rate}`).toBeLessThan(K * Math.sqrt((rate * (1 - rate)) / n));
    }
  });

  it("estimates every outcome's effect within four standard errors of the truth", () => {
    let checked = 0;
    for (const t of sim.truth.effects) {
      const outcome = p.outcomes.find((o) => o.id === t.outcome)!;
      const estimator = outcome.type === "time_to_event" ? "rmst_difference" : "difference_in_means";
      const rows = evidence.results.filter((r) => r.outcome === t.outcome && r.contrast === t.contrast && r.subgroup === null);
      const row = rows.find((r) => r.estimator === estimator) ?? rows.find((r) => r.estimator === "risk_difference");
      if (!row) continue; // the plan does not estimate this outcome on this scale
      expect(row.std_error, `${row.outcome} ${row.contrast}: no standard error`).not.toBeNull();
      let se = row.std_error!;
      if (cluster && outcome.type !== "time_to_event") se = Math.max(se, clusteredSe(sim, outcome.column ?? outcome.id, t.arm, t.control, cluster));
      expect(Math.abs(row.estimate - t.effect), `${t.outcome} ${t.contrast}: estimate ${row.estimate}, truth ${t.effect}, se ${se}`).toBeLessThan(K * se);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(p.outcomes.length - 1);
  });

  it("estimates the primary outcome's effect inside every subgroup level within four standard errors of the truth", () => {
    let checked = 0;
    const outcome = p.outcomes.find((o) => o.id === primary)!;
    for (const t of sim.truth.effects.filter((e) => e.outcome === primary)) {
      for (const sg of t.subgroups) {
        const subgroup = p.subgroups.find((s) => (s.id ?? s.variable) === sg.variable)!;
        for (const level of sg.levels) {
          const row = evidence.results.find((r) => r.outcome === primary && r.contrast === t.contrast && r.subgroup?.variable === sg.variable && r.subgroup.level === level.level);
          if (!row || level.n < 50) continue;
          expect(row.std_error, `${row.outcome} ${row.contrast}: no standard error`).not.toBeNull();
      let se = row.std_error!;
          if (cluster) {
            const values = sim.dataSet.columns.get(subgroup.variable) as ArrayLike<unknown>;
            const keep = (i: number) => subgroupLevelOf(subgroup, values[i]) === level.level;
            se = Math.max(se, clusteredSe(sim, outcome.column ?? outcome.id, t.arm, t.control, cluster, keep));
          }
          expect(Math.abs(row.estimate - level.effect), `${sg.variable}=${level.level} ${t.contrast}: estimate ${row.estimate}, truth ${level.effect}, se ${se}`).toBeLessThan(K * se);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(p.subgroups.length);
  });

  it("says which subgroup truly differs: the scenario's modifier on the primary outcome, and no other", () => {
    for (const t of sim.truth.effects.filter((e) => e.outcome === primary)) {
      for (const sg of t.subgroups) {
        expect(sg.differs).toBe(sg.variable === sim.truth.modifier.variable);
        const expected = sg.levels.map((l) => l.expected!);
        const spread = Math.max(...expected) - Math.min(...expected);
        if (sg.differs) expect(spread).toBeGreaterThan(Math.abs(t.expected!) * 0.5);
        else expect(spread).toBe(0);
      }
    }
    for (const t of sim.truth.effects.filter((e) => e.outcome !== primary)) for (const sg of t.subgroups) expect(sg.differs).toBeNull();
  });
});
