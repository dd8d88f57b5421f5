/**
 * Predictability of an allocation sequence: the share of correct guesses by a recruiter who knows
 * every past assignment and uses the convergence strategy of Blackwell & Hodges (1957, Ann Math
 * Stat 28:449–460, doi:10.1214/aoms/1177706973): guess the arm that is furthest behind its ratio
 * share within the participant's stratum, at random among ties. Simple randomization gives 1/k;
 * permuted blocks of 4 (1:1) give (1/2 + 2/3 + 2/3 + 1)/4 ≈ 0.708.
 */
import { randomInt, type RandomSource } from "./random.ts";

/** Share of correct convergence guesses over one trial's sequence of arm indices. */
export function convergenceGuessRate(arms: ArrayLike<number>, strata: ArrayLike<number> | null, ratios: readonly number[], rng: RandomSource): number {
  const k = ratios.length;
  const counts = new Map<number, Float64Array>();
  const behind = new Int8Array(k);
  let correct = 0;
  for (let i = 0; i < arms.length; i++) {
    const s = strata ? strata[i] : 0;
    let c = counts.get(s);
    if (!c) counts.set(s, (c = new Float64Array(k)));
    let min = Infinity;
    for (let j = 0; j < k; j++) min = Math.min(min, c[j] / ratios[j]);
    let tied = 0;
    for (let j = 0; j < k; j++) if (c[j] / ratios[j] === min) behind[tied++] = j;
    const guess = behind[randomInt(rng, tied)];
    if (guess === arms[i]) correct++;
    c[arms[i]] += 1;
  }
  return correct / arms.length;
}
