/**
 * Small dense linear algebra on Float64Array for the linear-model estimators: a Cholesky
 * factorization that drops (aliases) columns that are linear combinations of earlier ones, the
 * solves and inverse built on it, and a Jacobi eigen-decomposition for the small symmetric
 * matrices of CR2. The per-row kernels (cross-products, leverages) are in cross-products.ts.
 *
 * Matrices are row-major, `p × p` in a Float64Array of length p². Column dropping follows R's
 * `lm` in spirit: a column whose residual norm after projecting out the earlier kept columns is
 * below `tol` times its own norm is aliased (R's `dqrdc2` uses tol = 1e-7 on the same ratio), and
 * later columns keep their order.
 */

/** A Cholesky factor A = L L' over the kept columns; aliased columns have zero rows and columns. */
export interface CholeskyFactor {
  p: number;
  /** Row-major lower triangle, p × p. */
  L: Float64Array;
  /** 1 for a kept column, 0 for an aliased one. */
  kept: Uint8Array;
  rank: number;
}

/**
 * Cholesky factorization of a symmetric positive semi-definite matrix, dropping a column whose
 * pivot falls below tol² times its diagonal entry (a near-exact linear dependence).
 */
export function cholesky(A: Float64Array, p: number, tol = 1e-7): CholeskyFactor {
  const L = new Float64Array(p * p);
  const kept = new Uint8Array(p);
  let rank = 0;
  for (let j = 0; j < p; j++) {
    let d = A[j * p + j];
    for (let k = 0; k < j; k++) d -= L[j * p + k] * L[j * p + k];
    if (!(d > tol * tol * A[j * p + j]) || !(d > 0)) continue;
    const ljj = Math.sqrt(d);
    L[j * p + j] = ljj;
    kept[j] = 1;
    rank++;
    for (let i = j + 1; i < p; i++) {
      let s = A[i * p + j];
      for (let k = 0; k < j; k++) s -= L[i * p + k] * L[j * p + k];
      L[i * p + j] = s / ljj;
    }
  }
  return { p, L, kept, rank };
}

/** Solves L z = v in place (aliased entries become 0). */
export function forwardSolveInPlace(f: CholeskyFactor, v: Float64Array): void {
  const { p, L, kept } = f;
  for (let i = 0; i < p; i++) {
    if (!kept[i]) {
      v[i] = 0;
      continue;
    }
    let s = v[i];
    const row = i * p;
    for (let k = 0; k < i; k++) s -= L[row + k] * v[k];
    v[i] = s / L[row + i];
  }
}

/** Solves L' x = z in place (aliased entries become 0). */
export function backSolveInPlace(f: CholeskyFactor, v: Float64Array): void {
  const { p, L, kept } = f;
  for (let i = p - 1; i >= 0; i--) {
    if (!kept[i]) {
      v[i] = 0;
      continue;
    }
    let s = v[i];
    for (let k = i + 1; k < p; k++) s -= L[k * p + i] * v[k];
    v[i] = s / L[i * p + i];
  }
}

/** Solves A x = b with A = L L' (aliased coefficients are 0). */
export function choleskySolve(f: CholeskyFactor, b: ArrayLike<number>): Float64Array {
  const v = Float64Array.from(b);
  forwardSolveInPlace(f, v);
  backSolveInPlace(f, v);
  return v;
}

/** The inverse of A = L L' over the kept columns, zeros in aliased rows and columns. */
export function choleskyInverse(f: CholeskyFactor): Float64Array {
  const { p } = f;
  const inv = new Float64Array(p * p);
  const e = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    e.fill(0);
    e[j] = 1;
    forwardSolveInPlace(f, e);
    backSolveInPlace(f, e);
    for (let i = 0; i < p; i++) inv[i * p + j] = f.kept[j] ? e[i] : 0;
  }
  return inv;
}

/** Symmetric matrix–vector product y = A x (row-major p × p). */
export function matVec(A: Float64Array, x: ArrayLike<number>, p: number): Float64Array {
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = 0;
    for (let k = 0; k < p; k++) s += A[i * p + k] * x[k];
    y[i] = s;
  }
  return y;
}

/**
 * Eigen-decomposition of a symmetric n × n matrix by cyclic Jacobi rotations: A = V diag(λ) V'.
 * Returns the eigenvalues and the eigenvectors as the columns of V (row-major). Meant for small
 * matrices (cluster blocks of a CR2 variance).
 */
export function symmetricEigen(A: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(A);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const x = a[i * n + j] * a[i * n + j];
        total += x;
        if (i !== j) off += x;
      }
    }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p];
        const aqq = a[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  return { values, vectors: v };
}

/**
 * The symmetric inverse square root of a positive semi-definite matrix, B = V diag(λ^{-1/2}) V'
 * over the eigenvalues above `tol` times the largest (a generalized inverse for the rest), as
 * estimatr's CR2 does for I − H_ss.
 */
export function inverseSqrtPsd(A: Float64Array, n: number, tol = 1e-12): Float64Array {
  if (n === 1) return Float64Array.of(A[0] > tol ? 1 / Math.sqrt(A[0]) : 0);
  const { values, vectors } = symmetricEigen(A, n);
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, values[i]);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    if (!(values[k] > tol * max)) continue;
    const w = 1 / Math.sqrt(values[k]);
    for (let i = 0; i < n; i++) {
      const vik = vectors[i * n + k] * w;
      if (vik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += vik * vectors[j * n + k];
    }
  }
  return out;
}

/**
 * Dense integer codes 0..k−1 for group labels (blocks, clusters, strata), in order of first
 * appearance; `levels[c]` is the label of code c.
 */
export function groupCodes(labels: ArrayLike<number | string>): { codes: Int32Array; levels: (number | string)[] } {
  const n = labels.length;
  const codes = new Int32Array(n);
  const index = new Map<number | string, number>();
  const levels: (number | string)[] = [];
  let lastLabel: number | string | undefined;
  let lastCode = -1;
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (label === lastLabel) {
      codes[i] = lastCode;
      continue;
    }
    let c = index.get(label);
    if (c === undefined) {
      c = levels.length;
      index.set(label, c);
      levels.push(label);
    }
    codes[i] = c;
    lastLabel = label;
    lastCode = c;
  }
  return { codes, levels };
}
