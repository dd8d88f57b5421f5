/**
 * Draws from the simulator's seeded streams: every one takes a `RandomSource`
 * (analysis/design/random.ts), so a simulation is a function of its seed.
 */
import { randomInt, uniform, type RandomSource } from "../design/random.ts";

export { randomInt, uniform };

/** True with probability p. */
export function bernoulli(rng: RandomSource, p: number): boolean {
  return uniform(rng) < p;
}

/** A standard normal draw (Box–Muller; two uniforms per draw, so the stream's use is fixed). */
export function normal(rng: RandomSource, mean = 0, sd = 1): number {
  const u1 = 1 - uniform(rng);
  const u2 = uniform(rng);
  return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** A key drawn with probability proportional to its weight (weights ≥ 0, not all 0). */
export function weighted<K extends string>(rng: RandomSource, weights: Partial<Record<K, number>>): K {
  const entries = Object.entries(weights) as [K, number][];
  const total = entries.reduce((s, [, w]) => s + w, 0);
  if (!(total > 0)) throw new RangeError(`weights sum to ${total}: ${JSON.stringify(weights)}`);
  let u = uniform(rng) * total;
  for (const [k, w] of entries) {
    if (u < w) return k;
    u -= w;
  }
  return entries[entries.length - 1][0];
}

/** A uniform integer in [lo, hi]. */
export function between(rng: RandomSource, lo: number, hi: number): number {
  return lo + randomInt(rng, hi - lo + 1);
}

export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** A geometric number of weeks ≥ 0 with the given mean, from one uniform (inverse CDF). */
export function geometricFrom(u: number, mean: number): number {
  if (mean <= 0) return 0;
  const p = 1 / (1 + mean);
  return Math.floor(Math.log(1 - u) / Math.log(1 - p));
}

/** A seed for a sub-stream: the next 32-bit word of a parent stream. */
export function childSeed(rng: RandomSource): number {
  return rng.nextUint32() | 0;
}
