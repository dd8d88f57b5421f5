/**
 * The per-row kernels of the linear-model estimators, over column-major blocks of rows (column j
 * of a block at offset j·stride) so that each loop runs over the rows with its sums in registers
 * and nothing is allocated per row: cross-products (optionally weighted, for a sandwich's middle)
 * and leverages through a Cholesky factor.
 */
import type { CholeskyFactor } from "./linear-algebra.ts";

/**
 * Adds the upper triangle (a ≤ b) of B'B, or of B'WB with W = diag(w) when weights are given, to
 * the row-major p × p matrix G, where B is a column-major block of m rows (column j at offset
 * j·stride). Tiles of two columns a by four columns b: six loads feed eight products, and each of
 * the eight sums stays in a register for the whole block. Four or five columns (a treatment-by-
 * modifier model, with its outcome) take one sweep with every sum in a register.
 */
export function addCrossProducts(B: Float64Array, stride: number, m: number, p: number, G: Float64Array, w: Float64Array | null = null): void {
  if (p === 4 || p === 5) {
    addSmallCrossProducts(B, stride, m, p, G, w ?? ones(m));
    return;
  }
  if (w !== null) {
    addWeightedCrossProducts(B, stride, m, p, G, w);
    return;
  }
  let a = 0;
  for (; a + 1 < p; a += 2) {
    const oa = a * stride;
    const oa1 = oa + stride;
    {
      let s00 = 0, s01 = 0, s11 = 0;
      for (let r = 0; r < m; r++) {
        const x = B[oa + r];
        const y = B[oa1 + r];
        s00 += x * x;
        s01 += x * y;
        s11 += y * y;
      }
      G[a * p + a] += s00;
      G[a * p + a + 1] += s01;
      G[(a + 1) * p + a + 1] += s11;
    }
    let b = a + 2;
    for (; b + 3 < p; b += 4) {
      const o0 = b * stride, o1 = o0 + stride, o2 = o1 + stride, o3 = o2 + stride;
      let t0 = 0, t1 = 0, t2 = 0, t3 = 0, u0 = 0, u1 = 0, u2 = 0, u3 = 0;
      for (let r = 0; r < m; r++) {
        const x = B[oa + r];
        const y = B[oa1 + r];
        const b0 = B[o0 + r], b1 = B[o1 + r], b2 = B[o2 + r], b3 = B[o3 + r];
        t0 += x * b0;
        t1 += x * b1;
        t2 += x * b2;
        t3 += x * b3;
        u0 += y * b0;
        u1 += y * b1;
        u2 += y * b2;
        u3 += y * b3;
      }
      const g = a * p + b;
      const g1 = g + p;
      G[g] += t0;
      G[g + 1] += t1;
      G[g + 2] += t2;
      G[g + 3] += t3;
      G[g1] += u0;
      G[g1 + 1] += u1;
      G[g1 + 2] += u2;
      G[g1 + 3] += u3;
    }
    for (; b < p; b++) {
      const ob = b * stride;
      let t0 = 0, u0 = 0;
      for (let r = 0; r < m; r++) {
        const c = B[ob + r];
        t0 += B[oa + r] * c;
        u0 += B[oa1 + r] * c;
      }
      G[a * p + b] += t0;
      G[(a + 1) * p + b] += u0;
    }
  }
  if (a < p) {
    const oa = a * stride;
    let t0 = 0;
    for (let r = 0; r < m; r++) t0 += B[oa + r] * B[oa + r];
    G[a * p + a] += t0;
  }
}

/**
 * The weighted case of `addCrossProducts`: tiles of two columns a, a + 1 (scaled by the weight) by
 * four columns b ≥ a, eight sums in registers per sweep. A tile that runs past the last column
 * re-reads column b for the missing ones and drops their sums.
 */
function addWeightedCrossProducts(B: Float64Array, stride: number, m: number, p: number, G: Float64Array, w: Float64Array): void {
  for (let a = 0; a < p; a += 2) {
    const pair = a + 1 < p;
    const oa = a * stride;
    const oa1 = pair ? oa + stride : oa;
    for (let b = a; b < p; b += 4) {
      const width = p - b < 4 ? p - b : 4;
      const o0 = b * stride;
      const o1 = width > 1 ? o0 + stride : o0;
      const o2 = width > 2 ? o0 + 2 * stride : o0;
      const o3 = width > 3 ? o0 + 3 * stride : o0;
      let t0 = 0, t1 = 0, t2 = 0, t3 = 0, u0 = 0, u1 = 0, u2 = 0, u3 = 0;
      {
        for (let r = 0; r < m; r++) {
          const wr = w[r];
          const x = B[oa + r] * wr;
          const y = B[oa1 + r] * wr;
          const b0 = B[o0 + r], b1 = B[o1 + r], b2 = B[o2 + r], b3 = B[o3 + r];
          t0 += x * b0;
          t1 += x * b1;
          t2 += x * b2;
          t3 += x * b3;
          u0 += y * b0;
          u1 += y * b1;
          u2 += y * b2;
          u3 += y * b3;
        }
      }
      const g = a * p + b;
      G[g] += t0;
      if (width > 1) G[g + 1] += t1;
      if (width > 2) G[g + 2] += t2;
      if (width > 3) G[g + 3] += t3;
      if (!pair) continue;
      // Row a + 1 from column a + 1 on (its product with column a is the lower triangle).
      const g1 = g + p;
      if (b > a) G[g1] += u0;
      if (width > 1) G[g1 + 1] += u1;
      if (width > 2) G[g1 + 2] += u2;
      if (width > 3) G[g1 + 3] += u3;
    }
  }
}

let onesBuffer = new Float64Array(0);
function ones(m: number): Float64Array {
  if (onesBuffer.length < m) onesBuffer = new Float64Array(m).fill(1);
  return onesBuffer;
}

/**
 * `addCrossProducts` for four or five columns (a model with a treatment-by-modifier interaction
 * and its outcome): every product in one sweep over the rows, each sum in a register. The fifth
 * column of a four-column block re-reads the fourth and its sums are dropped.
 */
function addSmallCrossProducts(B: Float64Array, stride: number, m: number, p: number, G: Float64Array, w: Float64Array): void {
  const o1 = stride, o2 = 2 * stride, o3 = 3 * stride, o4 = p === 5 ? 4 * stride : 3 * stride;
  let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s04 = 0, s11 = 0, s12 = 0, s13 = 0, s14 = 0;
  let s22 = 0, s23 = 0, s24 = 0, s33 = 0, s34 = 0, s44 = 0;
  if (p === 4) {
    for (let r = 0; r < m; r++) {
      const x0 = B[r], x1 = B[o1 + r], x2 = B[o2 + r], x3 = B[o3 + r];
      const wr = w[r];
      const v0 = wr * x0, v1 = wr * x1, v2 = wr * x2, v3 = wr * x3;
      s00 += v0 * x0;
      s01 += v0 * x1;
      s02 += v0 * x2;
      s03 += v0 * x3;
      s11 += v1 * x1;
      s12 += v1 * x2;
      s13 += v1 * x3;
      s22 += v2 * x2;
      s23 += v2 * x3;
      s33 += v3 * x3;
    }
  } else {
    for (let r = 0; r < m; r++) {
      const x0 = B[r], x1 = B[o1 + r], x2 = B[o2 + r], x3 = B[o3 + r], x4 = B[o4 + r];
      const wr = w[r];
      const v0 = wr * x0, v1 = wr * x1, v2 = wr * x2, v3 = wr * x3;
      s00 += v0 * x0;
      s01 += v0 * x1;
      s02 += v0 * x2;
      s03 += v0 * x3;
      s04 += v0 * x4;
      s11 += v1 * x1;
      s12 += v1 * x2;
      s13 += v1 * x3;
      s14 += v1 * x4;
      s22 += v2 * x2;
      s23 += v2 * x3;
      s24 += v2 * x4;
      s33 += v3 * x3;
      s34 += v3 * x4;
      s44 += wr * x4 * x4;
    }
  }
  G[0] += s00;
  G[1] += s01;
  G[2] += s02;
  G[3] += s03;
  G[p + 1] += s11;
  G[p + 2] += s12;
  G[p + 3] += s13;
  G[2 * p + 2] += s22;
  G[2 * p + 3] += s23;
  G[3 * p + 3] += s33;
  if (p === 5) {
    G[4] += s04;
    G[p + 4] += s14;
    G[2 * p + 4] += s24;
    G[3 * p + 4] += s34;
    G[4 * p + 4] += s44;
  }
}

/**
 * Adds the squared norms |L⁻¹x_r|² (leverages x_r'A⁻¹x_r over the kept columns, A = LL') of the
 * m rows of a column-major block X to h, using Z (same shape as X) for L⁻¹x. Each column of Z
 * takes its earlier columns four at a time, the first sweep reading X and the last one (one to
 * four columns) dividing by the pivot and adding the square to h: one to three sweeps over the
 * rows per column for up to a dozen columns. Aliased columns are
 * skipped (their rows and columns of L are zero), as `forwardSolveInPlace` zeroes them.
 */
export function addLeverages(f: CholeskyFactor, X: Float64Array, Z: Float64Array, stride: number, m: number, h: Float64Array): void {
  const { p, L, kept } = f;
  for (let j = 0; j < p; j++) {
    if (!kept[j]) continue;
    if (j > 0 && j + 1 < p && kept[j + 1]) {
      addLeveragePair(f, X, Z, stride, m, h, j);
      j++;
      continue;
    }
    const oj = j * stride;
    const inv = 1 / L[j * p + j];
    if (j === 0) {
      for (let r = 0; r < m; r++) {
        const v = X[oj + r] * inv;
        Z[oj + r] = v;
        h[r] += v * v;
      }
      continue;
    }
    for (let k = 0; k < j; k += 4) {
      const src = k === 0 ? X : Z;
      const o0 = k * stride;
      const l0 = L[j * p + k];
      if (k + 4 < j) {
        const l1 = L[j * p + k + 1], l2 = L[j * p + k + 2], l3 = L[j * p + k + 3];
        const o1 = o0 + stride, o2 = o1 + stride, o3 = o2 + stride;
        for (let r = 0; r < m; r++) Z[oj + r] = src[oj + r] - (l0 * Z[o0 + r] + l1 * Z[o1 + r] + l2 * Z[o2 + r] + l3 * Z[o3 + r]);
        continue;
      }
      // The last group (one to four earlier columns) also divides by the pivot and adds the square.
      const left = j - k;
      if (left === 1) {
        for (let r = 0; r < m; r++) {
          const v = (src[oj + r] - l0 * Z[o0 + r]) * inv;
          Z[oj + r] = v;
          h[r] += v * v;
        }
      } else if (left === 2) {
        const l1 = L[j * p + k + 1];
        const o1 = o0 + stride;
        for (let r = 0; r < m; r++) {
          const v = (src[oj + r] - (l0 * Z[o0 + r] + l1 * Z[o1 + r])) * inv;
          Z[oj + r] = v;
          h[r] += v * v;
        }
      } else if (left === 3) {
        const l1 = L[j * p + k + 1], l2 = L[j * p + k + 2];
        const o1 = o0 + stride, o2 = o1 + stride;
        for (let r = 0; r < m; r++) {
          const v = (src[oj + r] - (l0 * Z[o0 + r] + l1 * Z[o1 + r] + l2 * Z[o2 + r])) * inv;
          Z[oj + r] = v;
          h[r] += v * v;
        }
      } else {
        const l1 = L[j * p + k + 1], l2 = L[j * p + k + 2], l3 = L[j * p + k + 3];
        const o1 = o0 + stride, o2 = o1 + stride, o3 = o2 + stride;
        for (let r = 0; r < m; r++) {
          const v = (src[oj + r] - (l0 * Z[o0 + r] + l1 * Z[o1 + r] + l2 * Z[o2 + r] + l3 * Z[o3 + r])) * inv;
          Z[oj + r] = v;
          h[r] += v * v;
        }
      }
    }
  }
}

/**
 * Columns j and j + 1 of `addLeverages` together: each sweep reads three earlier columns of Z once
 * for both, and the last one also solves j + 1's dependence on j, divides by the pivots and adds
 * both squares to h. Missing columns of a short last group have coefficient 0.
 */
function addLeveragePair(f: CholeskyFactor, X: Float64Array, Z: Float64Array, stride: number, m: number, h: Float64Array, j: number): void {
  const { p, L } = f;
  const ra = j * p;
  const rb = ra + p;
  const oa = j * stride;
  const ob = oa + stride;
  const invA = 1 / L[ra + j];
  const invB = 1 / L[rb + j + 1];
  const lba = L[rb + j];
  for (let k = 0; k < j; k += 3) {
    const src = k === 0 ? X : Z;
    const w = j - k < 3 ? j - k : 3;
    const o0 = k * stride;
    const o1 = w > 1 ? o0 + stride : o0;
    const o2 = w > 2 ? o0 + 2 * stride : o0;
    const a0 = L[ra + k], a1 = w > 1 ? L[ra + k + 1] : 0, a2 = w > 2 ? L[ra + k + 2] : 0;
    const b0 = L[rb + k], b1 = w > 1 ? L[rb + k + 1] : 0, b2 = w > 2 ? L[rb + k + 2] : 0;
    if (k + 3 < j) {
      for (let r = 0; r < m; r++) {
        const z0 = Z[o0 + r], z1 = Z[o1 + r], z2 = Z[o2 + r];
        Z[oa + r] = src[oa + r] - (a0 * z0 + a1 * z1 + a2 * z2);
        Z[ob + r] = src[ob + r] - (b0 * z0 + b1 * z1 + b2 * z2);
      }
      continue;
    }
    for (let r = 0; r < m; r++) {
      const z0 = Z[o0 + r], z1 = Z[o1 + r], z2 = Z[o2 + r];
      const va = (src[oa + r] - (a0 * z0 + a1 * z1 + a2 * z2)) * invA;
      const vb = (src[ob + r] - (b0 * z0 + b1 * z1 + b2 * z2) - lba * va) * invB;
      Z[oa + r] = va;
      Z[ob + r] = vb;
      h[r] += va * va + vb * vb;
    }
  }
}
