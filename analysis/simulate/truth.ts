/**
 * The truth of a simulated trial, written next to its data so that a test (or a reader of an
 * evidence package) can check that an analysis finds what was put in and claims nothing that was
 * not.
 *
 * For every outcome and every contrast (each intervention arm against the control arm):
 * - `effect`: the average over all participants of the individual effect, the difference between
 *   the outcome under the arm and under the control arm, from complete potential histories (no
 *   withdrawal, emigration, death or loss applied). This is the sample average treatment effect;
 *   an intention-to-treat estimate from the observed data should lie within a few standard errors
 *   of it (attrition is independent of arm and outcome, so it only costs precision). For
 *   time-to-event outcomes the scale is the restricted mean survival time up to `tau`
 *   (E min(T, tau), which is what the Kaplan–Meier area estimates for weekly times).
 * - `expected`: the scenario's design value, for the primary outcome (the literature's effect).
 * - `subgroups`: the same average inside each level of each pre-specified subgroup; for the
 *   primary outcome also the design value per level and whether the effect truly differs between
 *   levels (`differs`): true for the scenario's one modifier, false for every other subgroup.
 *   For other outcomes `differs` is null: their effects follow from the primary outcome's spells
 *   and may vary with baseline rates.
 */
import { subgroupId, subgroupLevelOf, subgroupLevels, type Outcome } from "../../protocols/index.ts";
import type { DerivedValue } from "./register-outcomes.ts";
import type { Participant, SimulatedPopulation } from "./trial.ts";

export interface LevelTruth {
  level: string;
  n: number;
  effect: number;
  expected: number | null;
}

export interface SubgroupTruth {
  variable: string;
  differs: boolean | null;
  levels: LevelTruth[];
}

export interface EffectTruth {
  outcome: string;
  contrast: string;
  arm: string;
  control: string;
  scale: "difference in means" | "difference in restricted mean survival time";
  tau: number | null;
  effect: number;
  expected: number | null;
  arm_mean: number;
  control_mean: number;
  subgroups: SubgroupTruth[];
}

export interface Truth {
  protocol: string;
  seed: number;
  participants: number;
  sources: string[];
  primary_outcome: string;
  modifier: { variable: string; outcome: string; relative: Record<string, number> };
  effects: EffectTruth[];
  notes: string[];
}

/** The number an outcome contributes per person on the truth's scale. */
function scalar(outcome: Outcome, v: DerivedValue, tau: number | null): number | null {
  if (v.value === null) return null;
  return outcome.type === "time_to_event" ? Math.min(v.value, tau!) : v.value;
}

function tauOf(population: SimulatedPopulation, outcome: Outcome): number | null {
  if (outcome.type !== "time_to_event") return null;
  const settings = population.protocol.analysis.outcomes[outcome.id];
  if (settings?.rmst_tau !== undefined) return settings.rmst_tau;
  const p = outcome.source.type === "register" ? (outcome.source.params as Record<string, number>) : {};
  return p.horizon ?? (outcome.time && "to" in outcome.time ? outcome.time.to : 52);
}

function value(p: Participant, variable: string): unknown {
  const c = p.citizen;
  return variable === "target_group" ? c.targetGroup : variable === "site" ? c.site : c.covariates[variable];
}

export function computeTruth(population: SimulatedPopulation): Truth {
  const { protocol, scenario, participants } = population;
  const control = protocol.arms.find((a) => a.control)!.id;
  const primary = protocol.analysis.primary_outcome;
  const modifier = scenario.modifier.variable;
  const meanRelative = (() => {
    const sg = protocol.subgroups.find((s) => subgroupId(s) === modifier)!;
    const levels = participants.map((p) => subgroupLevelOf(sg, value(p, sg.variable))!);
    return levels.reduce((s, l) => s + scenario.modifier.relative[l], 0) / levels.length;
  })();
  const effects: EffectTruth[] = [];
  for (const outcome of protocol.outcomes) {
    const tau = tauOf(population, outcome);
    for (const arm of protocol.arms.filter((a) => !a.control).map((a) => a.id)) {
      const diffs: (number | null)[] = [];
      let s1 = 0, s0 = 0, k = 0;
      for (const p of participants) {
        const y1 = scalar(outcome, p.potential[arm].outcomes[outcome.id], tau);
        const y0 = scalar(outcome, p.potential[control].outcomes[outcome.id], tau);
        if (y1 === null || y0 === null) {
          diffs.push(null);
          continue;
        }
        diffs.push(y1 - y0);
        s1 += y1;
        s0 += y0;
        k++;
      }
      const isPrimary = outcome.id === primary;
      const design = scenario.primary.effects[arm] ?? 0;
      const subgroups: SubgroupTruth[] = protocol.subgroups.map((sg) => {
        const id = subgroupId(sg);
        const sums = new Map<string, { n: number; sum: number }>(subgroupLevels(sg).map((l) => [l, { n: 0, sum: 0 }]));
        participants.forEach((p, j) => {
          const level = subgroupLevelOf(sg, value(p, sg.variable));
          const d = diffs[j];
          if (level === undefined || d === null || !sums.has(level)) return;
          const e = sums.get(level)!;
          e.n++;
          e.sum += d;
        });
        return {
          variable: id,
          differs: isPrimary ? id === modifier : null,
          levels: [...sums].map(([level, { n, sum }]) => ({
            level,
            n,
            effect: n > 0 ? sum / n : NaN,
            expected: isPrimary ? (id === modifier ? (design * scenario.modifier.relative[level]) / meanRelative : design) : null,
          })),
        };
      });
      effects.push({
        outcome: outcome.id,
        contrast: `${arm} vs ${control}`,
        arm,
        control,
        scale: outcome.type === "time_to_event" ? "difference in restricted mean survival time" : "difference in means",
        tau,
        effect: (s1 - s0) / k,
        expected: isPrimary ? design : null,
        arm_mean: s1 / k,
        control_mean: s0 / k,
        subgroups,
      });
    }
  }
  return {
    protocol: protocol.id,
    seed: population.seed,
    participants: participants.length,
    sources: scenario.sources,
    primary_outcome: primary,
    modifier: { variable: modifier, outcome: primary, relative: scenario.modifier.relative },
    effects,
    notes: [
      "effect: the average individual effect over all participants, from complete potential outcomes (no withdrawal, emigration, death or loss)",
      "expected: the scenario's design value (primary outcome only)",
      "identifiers in the simulated data are fake and CPR-shaped; they belong to no one",
    ],
  };
}
