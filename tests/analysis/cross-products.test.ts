/**
 * The cross-product kernel against a plain double loop, for every width that takes a different
 * path (the generic tiles, the one-sweep kernel for four and five columns, the weighted tiles),
 * with and without weights and with a block shorter than the stride.
 */
import { describe, expect, it } from "vitest";
import { addCrossProducts, addLeverages } from "../../analysis/cross-products.ts";
import { cholesky, forwardSolveInPlace } from "../../analysis/linear-algebra.ts";

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

describe("addLeverages", () => {
  for (const p of [1, 2, 3, 4, 5, 7, 8, 11, 12]) {
    it(`${p} columns, with and without an aliased column: |L⁻¹x|² row by row`, () => {
      const rand = lcg(100 + p);
      const stride = 24;
      const m = 21;
      const n = 200;
      // A data set whose X'X is factored, and a block of its rows.
      const rows = Array.from({ length: n }, () => Array.from({ length: p }, rand));
      if (p >= 4) for (const r of rows) r[2] = r[0] + 2 * r[1]; // column 2 aliased
      const A = new Float64Array(p * p);
      for (const r of rows) for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) A[a * p + b] += r[a] * r[b];
      const f = cholesky(A, p);
      expect(f.rank).toBe(p >= 4 ? p - 1 : p);
      const X = new Float64Array(stride * p);
      for (let r = 0; r < m; r++) for (let j = 0; j < p; j++) X[j * stride + r] = rows[r][j];
      const h = new Float64Array(stride).fill(0.25);
      addLeverages(f, X, new Float64Array(stride * p), stride, m, h);
      for (let r = 0; r < m; r++) {
        const v = Float64Array.from(rows[r]);
        forwardSolveInPlace(f, v);
        let want = 0.25;
        for (const x of v) want += x * x;
        expect(h[r]).toBeCloseTo(want, 12);
      }
    });
  }
});
