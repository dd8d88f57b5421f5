/**
 * The cross-product kernel against a plain double loop, for every width that takes a different
 * path (the generic tiles, the one-sweep kernel for four and five columns, the weighted tiles),
 * with and without weights and with a block shorter than the stride.
 */
import { describe, expect, it } from "vitest";
import { addCrossProducts } from "../../analysis/cross-products.ts";

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

describe("addCrossProducts", () => {
  for (const p of [1, 2, 3, 4, 5, 6, 7, 11, 13]) {
    for (const weighted of [false, true]) {
      it(`${p} columns${weighted ? ", weighted" : ""}`, () => {
        const rand = lcg(p * 7 + (weighted ? 1 : 0));
        const stride = 40;
        const m = 37;
        const B = Float64Array.from({ length: stride * p }, rand);
        const w = weighted ? Float64Array.from({ length: stride }, () => 1 + rand()) : null;
        const G = new Float64Array(p * p).fill(0.5);
        addCrossProducts(B, stride, m, p, G, w);
        for (let a = 0; a < p; a++) {
          for (let b = 0; b < p; b++) {
            let s = 0;
            for (let r = 0; r < m; r++) s += (w ? w[r] : 1) * B[a * stride + r] * B[b * stride + r];
            // Upper triangle: 0.5 plus the sum; the lower triangle is left as it was.
            expect(G[a * p + b]).toBeCloseTo(b >= a ? 0.5 + s : 0.5, 12);
          }
        }
      });
    }
  }
});
