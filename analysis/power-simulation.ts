/** Power by simulation through any allocator (power.ts has the analytic MDE, power and sample size). */
import { uniform, type RandomSource } from "./design/random.ts";
import { AnalysisError } from "./estimate.ts";

export interface PowerSimulation {
  /** Draws one assignment: arm index per participant (any design: e.g. a Rerandomizer's draw). */
  allocate: (rng: RandomSource) => Int8Array;
  /** Simulates the outcomes of one trial given its assignment. */
  outcome: (arms: Int8Array, rng: RandomSource) => Float64Array;
  /** Analyses one simulated trial: a p-value (rejects when < alpha) or the rejection itself. */
  analyze: (y: Float64Array, arms: Int8Array) => number | boolean;
  draws: number;
  rng: RandomSource;
  alpha?: number;
}

export interface SimulatedPower {
  power: number;
  /** Monte Carlo standard error sqrt(power (1 − power) / draws). */
  mc_se: number;
  draws: number;
  rejections: number;
}

/**
 * Power by simulation: draws an assignment, simulates outcomes, analyses, `draws` times; power is
 * the share of rejections, with its binomial Monte Carlo standard error. The allocator is design
 * agnostic, so the simulation runs the trial's own design (blocks, strata, minimization,
 * clusters) when given the design engine's re-randomizer.
 */
export function simulatePower(sim: PowerSimulation): SimulatedPower {
  if (!(Number.isInteger(sim.draws) && sim.draws > 0)) throw new AnalysisError(`invalid draws; not a positive integer: ${sim.draws}`);
  const alpha = sim.alpha ?? 0.05;
  let rejections = 0;
  for (let d = 0; d < sim.draws; d++) {
    const arms = sim.allocate(sim.rng);
    const y = sim.outcome(arms, sim.rng);
    const result = sim.analyze(y, arms);
    if (typeof result === "boolean" ? result : result < alpha) rejections++;
    else if (typeof result === "number" && Number.isNaN(result)) throw new AnalysisError(`simulation draw ${d}: the analysis returned a NaN p-value`);
  }
  const power = rejections / sim.draws;
  return { power, mc_se: Math.sqrt((power * (1 - power)) / sim.draws), draws: sim.draws, rejections };
}

/** A standard normal draw (Box–Muller) from a random source, for outcome models. */
export function standardNormal(rng: RandomSource): number {
  const u = 1 - uniform(rng); // (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform(rng));
}
