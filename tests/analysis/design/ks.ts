/**
 * One-sample Kolmogorov–Smirnov test against U(0,1) with the exact null distribution of D_n, by
 * the matrix method of Marsaglia, Tsang & Wang (2003), "Evaluating Kolmogorov's distribution",
 * J Stat Softw 8(18), doi:10.18637/jss.v008.i18 (the method R's ks.test(exact = TRUE) uses).
 */

/** The statistic D_n = sup |F_n(x) − x| of a sample from U(0,1). */
export function ksStatistic(values: readonly number[]): number {
  const x = [...values].sort((a, b) => a - b);
  const n = x.length;
  let d = 0;
  x.forEach((v, i) => (d = Math.max(d, (i + 1) / n - v, v - i / n)));
  return d;
}

/** Multiplies two m×m matrices (row-major). */
function multiply(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const c = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k];
      if (aik === 0) continue;
      for (let j = 0; j < m; j++) c[i * m + j] += aik * b[k * m + j];
    }
  }
  return c;
}

/** H^n with a decimal exponent kept aside against overflow. */
function power(h: Float64Array, m: number, n: number): { q: Float64Array; e: number } {
  if (n === 1) return { q: Float64Array.from(h), e: 0 };
  const half = power(h, m, Math.floor(n / 2));
  let q = multiply(half.q, half.q, m);
  let e = 2 * half.e;
  if (n % 2 === 1) q = multiply(h, q, m);
  const centre = Math.floor(m / 2);
  if (q[centre * m + centre] > 1e140) {
    for (let i = 0; i < q.length; i++) q[i] *= 1e-140;
    e += 140;
  }
  return { q, e };
}

/** P(D_n < d) exactly. */
export function kolmogorovCdf(n: number, d: number): number {
  if (d <= 0) return 0;
  if (d >= 1) return 1;
  // Far in the tail (p below about 1e-6) the paper's own quick approximation is accurate to about
  // seven digits of the CDF and saves the large matrix power.
  const s0 = d * d * n;
  if (s0 > 7.24 || (s0 > 3.76 && n > 99)) return 1 - 2 * Math.exp(-(2.000071 + 0.331 / Math.sqrt(n) + 1.409 / n) * s0);
  const k = Math.floor(n * d) + 1;
  const m = 2 * k - 1;
  const h = k - n * d;
  const H = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) H[i * m + j] = i - j + 1 < 0 ? 0 : 1;
  for (let i = 0; i < m; i++) {
    H[i * m] -= h ** (i + 1);
    H[(m - 1) * m + i] -= h ** (m - i);
  }
  H[(m - 1) * m] += 2 * h - 1 > 0 ? (2 * h - 1) ** m : 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      if (i - j + 1 > 0) for (let g = 1; g <= i - j + 1; g++) H[i * m + j] /= g;
    }
  }
  const { q, e } = power(H, m, n);
  let s = q[(k - 1) * m + (k - 1)];
  let exponent = e;
  for (let i = 1; i <= n; i++) {
    s = (s * i) / n;
    if (s < 1e-140) {
      s *= 1e140;
      exponent -= 140;
    }
  }
  return s * 10 ** exponent;
}

/** The KS p-value of a sample against U(0,1): P(D_n ≥ d) under the null. */
export function ksUniformP(values: readonly number[]): number {
  return Math.min(1, Math.max(0, 1 - kolmogorovCdf(values.length, ksStatistic(values))));
}
