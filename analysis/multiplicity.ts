/**
 * Multiplicity adjustment of a family of p-values, as R's `p.adjust`:
 *
 *   Holm (1979), `p.adjust(p, "holm")`: with p₍₁₎ ≤ … ≤ p₍ₘ₎,
 *       p̃₍ᵢ₎ = min(1, max_{j ≤ i} (m − j + 1) p₍ⱼ₎)                (family-wise error rate)
 *   Benjamini & Hochberg (1995), `p.adjust(p, "BH")`:
 *       p̃₍ᵢ₎ = min(1, min_{j ≥ i} m p₍ⱼ₎ / j)                        (false discovery rate)
 *
 * Adjusted values come back in the input order. Ties keep R's result (the formulas do not depend
 * on how ties are ordered). An empty family gives an empty array.
 *
 * Errors (`AnalysisError`): a p-value that is NaN or outside [0, 1] (its index is named). R drops
 * NAs and adjusts over the rest; here a missing p-value is a mistake upstream and is refused.
 *
 * References:
 * - Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian Journal
 *   of Statistics 6(2), 65–70. https://www.jstor.org/stable/4615733
 * - Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate: a practical and
 *   powerful approach to multiple testing. Journal of the Royal Statistical Society B 57(1),
 *   289–300. doi:10.1111/j.2517-6161.1995.tb02031.x
 *
 * @example
 * holm([0.01, 0.04, 0.03]) // [0.03, 0.06, 0.06]
 * benjaminiHochberg([0.01, 0.04, 0.03]) // [0.03, 0.04, 0.04]
 */
import { AnalysisError } from "./estimate.ts";

function sortedOrder(p: ArrayLike<number>): number[] {
  for (let i = 0; i < p.length; i++) {
    if (!(p[i] >= 0 && p[i] <= 1)) throw new AnalysisError(`p-value ${i} is not in [0, 1]: ${p[i]}`);
  }
  return Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[a] - p[b] || a - b);
}

/** Holm's step-down adjustment, as `p.adjust(p, "holm")`. */
export function holm(p: ArrayLike<number>): number[] {
  const m = p.length;
  const order = sortedOrder(p);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach((idx, i) => {
    running = Math.max(running, (m - i) * p[idx]);
    out[idx] = Math.min(1, running);
  });
  return out;
}

/** Benjamini–Hochberg step-up adjustment, as `p.adjust(p, "BH")`. */
export function benjaminiHochberg(p: ArrayLike<number>): number[] {
  const m = p.length;
  const order = sortedOrder(p);
  const out = new Array<number>(m);
  let running = Infinity;
  for (let i = m - 1; i >= 0; i--) {
    const idx = order[i];
    running = Math.min(running, (m * p[idx]) / (i + 1));
    out[idx] = Math.min(1, running);
  }
  return out;
}
