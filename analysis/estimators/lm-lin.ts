/**
 * Covariate-adjusted treatment effect by Lin's (2013) estimator, as
 * `estimatr::lm_lin(y ~ z, covariates = ~ x1 + ..., data)` (defaults `se_type = "HC2"`, or
 * `"CR2"` with clusters; `alpha = 0.05`):
 *
 *     y_i = α + τ z_i + β'(x_i − x̄) + γ' z_i (x_i − x̄) + ε_i
 *
 * OLS of the outcome on treatment, the covariates centred at their full-sample means and their
 * interactions with treatment; τ̂ is the coefficient of z. A factor covariate (a column of
 * strings) enters as dummies for every level but the first (levels in sorted order, R's
 * `factor` + `model.matrix` treatment contrasts), each centred like any covariate. Standard error
 * HC2 by default; degrees of freedom N − k with k the rank of the full design (2 + 2·covariates
 * when nothing is collinear), as lm_robust.
 *
 * Computation: the fully interacted model is the same as fitting y on (1, x − x̄) separately in
 * each arm — identical residuals and leverages, block-diagonal sandwich — so without clusters τ̂ is
 * the difference of the two intercepts and its HC0/HC2/HC3 variance the sum of theirs (HC1 scales
 * the HC0 sum by N/(N − k)). That halves the width of every cross-product; both arms' fits take
 * two blocked passes over the rows (`LinArms` below) with no per-arm copy of the data. With
 * clusters or the classical SE the full design goes through `olsFit`.
 *
 * Errors (`AnalysisError`): the cases of `olsFit` (NaN cells named by covariate and row, leverage
 * 1 under HC2 — e.g. a factor level held by a single treated person), an arm with fewer people
 * than coefficients. A covariate that is collinear (e.g. constant within an arm) is dropped with a
 * warning, as lm_robust reports NA for it.
 *
 * References:
 * - Lin, W. (2013). Agnostic notes on regression adjustments to experimental data: Reexamining
 *   Freedman's critique. Annals of Applied Statistics 7(1), 295–318. doi:10.1214/12-AOAS583
 * - Freedman, D. A. (2008). On regression adjustments to experimental data. Advances in Applied
 *   Mathematics 40(2), 180–193. doi:10.1016/j.aam.2006.12.003
 *
 * @example
 * lmLin(y, z, [age, educ], { names: ["age", "educ"] }).estimate
 */
import { AnalysisError, tBasedEstimate, type EffectEstimate } from "../estimate.ts";
import { checkOutcomeAndTreatment } from "./difference-in-means.ts";
import { addCrossProducts, addLeverages } from "../cross-products.ts";
import { cholesky, choleskySolve } from "../linear-algebra.ts";
import { olsFit, olsTerm, type SeType } from "./ols.ts";

/** A numeric covariate column, or a factor as a column of labels. */
export type Covariate = ArrayLike<number> | readonly string[];

export interface LmLinOptions {
  names?: string[];
  seType?: SeType;
  clusters?: ArrayLike<number | string>;
  level?: number;
  outcome?: string;
}

/** Expands factor covariates into treatment-contrast dummies; numeric ones pass through. */
export function expandCovariates(covariates: Covariate[], names: string[]): { columns: ArrayLike<number>[]; names: string[] } {
  const columns: ArrayLike<number>[] = [];
  const out: string[] = [];
  covariates.forEach((c, j) => {
    const name = names[j] ?? `x${j + 1}`;
    if (c.length > 0 && typeof c[0] === "string") {
      const labels = c as readonly string[];
      const levels = [...new Set(labels)].sort();
      for (const level of levels.slice(1)) {
        const d = new Float64Array(labels.length);
        for (let i = 0; i < labels.length; i++) d[i] = labels[i] === level ? 1 : 0;
        columns.push(d);
        out.push(`${name}${level}`);
      }
    } else {
      columns.push(c as ArrayLike<number>);
      out.push(name);
    }
  });
  return { columns, names: out };
}

export function lmLin(
  y: ArrayLike<number>,
  z: ArrayLike<number>,
  covariates: Covariate[],
  options: LmLinOptions = {},
): EffectEstimate {
  const outcome = options.outcome ?? "outcome";
  checkOutcomeAndTreatment(y, z, outcome);
  const n = y.length;
  let constant = true;
  for (let i = 1; i < n && constant; i++) constant = y[i] === y[0];
  if (constant) throw new AnalysisError(`${outcome}: the outcome is constant; the standard error is 0 and the test undefined`);
  const expanded = expandCovariates(covariates, options.names ?? []);
  const q = expanded.columns.length;
  expanded.columns.forEach((c, j) => {
    if (c.length !== n) throw new AnalysisError(`${outcome}: covariate ${expanded.names[j]} has ${c.length} values, the outcome ${n}`);
  });
  const nonFinite = (j: number): AnalysisError => {
    const c = expanded.columns[j];
    for (let i = 0; i < n; i++) if (!Number.isFinite(c[i])) return new AnalysisError(`${outcome}: covariate ${expanded.names[j]} is missing or non-finite at row ${i}: ${c[i]}`);
    return new AnalysisError(`${outcome}: covariate ${expanded.names[j]} overflows`);
  };
  const seType: SeType = options.seType ?? (options.clusters ? "CR2" : "HC2");

  if (options.clusters || seType === "classical") {
    const means = expanded.columns.map((c, j) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += c[i];
      if (!Number.isFinite(s)) throw nonFinite(j);
      return s / n;
    });
    const zc = Float64Array.from(z);
    const centred = expanded.columns.map((c, j) => {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = c[i] - means[j];
      return out;
    });
    const inter = centred.map((c) => {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = zc[i] * c[i];
      return out;
    });
    const fit = olsFit(y, [zc, ...centred, ...inter], {
      names: ["z", ...expanded.names, ...expanded.names.map((nm) => `z:${nm}`)],
      seType,
      clusters: options.clusters,
      terms: ["z"],
      outcome,
    });
    return { ...olsTerm(fit, 1, "lm_lin", options.level, "treatment vs control") };
  }

  // Without clusters: the two per-arm fits, both arms in each pass over the rows.
  const arms = new LinArms(
    y instanceof Float64Array ? y : Float64Array.from(y),
    z,
    expanded.columns.map((c) => (c instanceof Float64Array ? c : Float64Array.from(c))),
  );
  arms.moments();
  const p = arms.p;
  for (let j = 0; j < q; j++) if (!Number.isFinite(arms.M[j * p + j]) || !Number.isFinite(arms.M[p * p + j * p + j])) throw nonFinite(j);
  for (const arm of [0, 1]) {
    const size = arms.count[arm];
    if (size <= q + 1) throw new AnalysisError(`${outcome}: the ${arm === 1 ? "treated" : "control"} arm has ${size} people for ${q + 1} coefficients`);
  }
  const parts = arms.fits(seType === "HC1" ? "HC0" : seType, outcome);
  const [f0, f1] = parts;
  const rank = f0.rank + f1.rank;
  let variance = f0.variance + f1.variance;
  if (seType === "HC1") variance *= n / (n - rank);
  if (!(variance > 0)) throw new AnalysisError(`${outcome}: the standard error is 0; the outcome is constant given the covariates`);
  const warnings: string[] = [];
  for (const [arm, f] of [["control", f0], ["treated", f1]] as const) {
    const dropped = expanded.names.filter((_, j) => f.aliased[j]);
    if (dropped.length) warnings.push(`${outcome}: collinear in the ${arm} arm, dropped: ${dropped.join(", ")}`);
  }
  return tBasedEstimate({
    estimator: "lm_lin",
    term: "treatment vs control",
    estimate: f1.intercept - f0.intercept,
    std_error: Math.sqrt(variance),
    df: n - rank,
    n,
    se_type: seType,
    level: options.level,
    warnings,
  });
}

/** One arm's fit of y on (1, x − x̄): the intercept at x̄, its variance, rank and aliased covariates. */
interface ArmFit {
  intercept: number;
  variance: number;
  rank: number;
  aliased: boolean[];
}

/** Rows per block of a pass; both arms' share of a block fits in cache as column-major buffers. */
const BLOCK = 512;

/**
 * Lin's two per-arm regressions of y on (1, x − x̄) for the variance of the intercept alone, in
 * two passes over the rows. Each pass reads a block of BLOCK rows of every column once, splits it
 * by arm into a column-major buffer (no per-arm copies of the data) and works on the buffer:
 *
 * 1. `moments`: per arm, the means m and the centred cross-products of (x, y): each block's
 *    co-moments about its own means are merged into the running sums (Chan, Golub & LeVeque
 *    1983), as accurate as centring first. Centred, the intercept column is orthogonal to the covariates,
 *    so X'X = diag(n, S); β = S⁻¹X_c'y_c and the intercept at the full-sample means x̄ is
 *    α = ȳ − β'd with d = m − x̄.
 * 2. `fits`: the intercept's contrast in the centred parametrization is (1, −d), so
 *    a = (X'X)⁻¹c = (1/n, −S⁻¹d) and Var(α) = Σ ω_i (1/n − (S⁻¹d)'x_ci)², with ω_i = e_i² (HC0),
 *    e_i²/(1 − h_i) (HC2) or e_i²/(1 − h_i)² (HC3), h_i = 1/n + |L⁻¹x_ci|², S = LL'. No hat matrix
 *    and no full sandwich.
 *
 * A covariate whose centred column is a combination of earlier ones is aliased (zero in β and a),
 * as `olsFit`'s Cholesky drops it.
 */
class LinArms {
  readonly q: number;
  /** Columns of a buffer: the covariates, then y. */
  readonly p: number;
  readonly count = [0, 0];
  /** Means of (x, y): arm 0 at 0, arm 1 at p. */
  readonly mean: Float64Array;
  /** Centred cross-products of (x, y), upper triangle, row-major: arm 0 at 0, arm 1 at p². */
  readonly M: Float64Array;
  private readonly idx = [new Int32Array(BLOCK), new Int32Array(BLOCK)];
  private readonly used = [0, 0];
  private readonly buf: Float64Array;

  constructor(
    private readonly y: Float64Array,
    private readonly z: ArrayLike<number>,
    private readonly columns: Float64Array[],
  ) {
    this.q = columns.length;
    this.p = this.q + 1;
    this.mean = new Float64Array(2 * this.p);
    this.M = new Float64Array(2 * this.p * this.p);
    this.buf = new Float64Array(BLOCK * this.p);
  }

  /** Splits rows start..end by arm into idx (without a branch on z; z is 0/1). */
  private split(start: number, end: number): void {
    const z = this.z;
    const i0 = this.idx[0], i1 = this.idx[1];
    let k0 = 0, k1 = 0;
    for (let i = start; i < end; i++) {
      const t = z[i] | 0;
      i0[k0] = i;
      i1[k1] = i;
      k1 += t;
      k0 += 1 - t;
    }
    this.used[0] = k0;
    this.used[1] = k1;
  }

  /** Copies the arm's rows of the block into buf minus `centre` (p values from `at`), adding their sums to `sums` if given. */
  private gather(arm: number, centre: Float64Array, at: number, sums: Float64Array | null): void {
    const rows = this.idx[arm];
    const k = this.used[arm];
    const buf = this.buf;
    for (let j = 0; j < this.p; j++) {
      const c = j < this.q ? this.columns[j] : this.y;
      const o = j * BLOCK;
      const mu = centre[at + j];
      if (sums !== null) {
        let s = 0;
        for (let r = 0; r < k; r++) {
          const v = c[rows[r]] - mu;
          buf[o + r] = v;
          s += v;
        }
        sums[j] = s;
      } else {
        for (let r = 0; r < k; r++) buf[o + r] = c[rows[r]] - mu;
      }
    }
  }

  /**
   * Pass 1: counts, means and centred cross-products per arm. A block is gathered minus the
   * arm's running means (minus its first row for the first block): the block's co-moments about
   * its own means are then G − k·δδ' with δ the small offset of the block's means, merged into
   * the running sums without a separate centring sweep.
   */
  moments(): void {
    const { p, q, buf, mean, M } = this;
    const n = this.y.length;
    const sums = new Float64Array(p);
    const shift = new Float64Array(p);
    const G = new Float64Array(p * p);
    for (let start = 0; start < n; start += BLOCK) {
      this.split(start, Math.min(n, start + BLOCK));
      for (let arm = 0; arm < 2; arm++) {
        const k = this.used[arm];
        if (k === 0) continue;
        const nA = this.count[arm];
        const om = arm * p;
        const oM = arm * p * p;
        const first = this.idx[arm][0];
        for (let j = 0; j < p; j++) shift[j] = nA > 0 ? mean[om + j] : (j < q ? this.columns[j] : this.y)[first];
        this.gather(arm, shift, 0, sums);
        G.fill(0);
        addCrossProducts(buf, BLOCK, k, p, G);
        // Chan et al.'s merge of (count, means, co-moments) with the block's; sums[j]/k is the
        // block mean's offset from the shift, (shift − running mean) + that offset its offset
        // from the running mean.
        const nAB = nA + k;
        const f = (nA * k) / nAB;
        for (let a = 0; a < p; a++) {
          const oa = sums[a] / k;
          const da = shift[a] - mean[om + a] + oa;
          for (let b = a; b < p; b++) {
            const ob = sums[b] / k;
            M[oM + a * p + b] += G[a * p + b] - k * oa * ob + f * da * (shift[b] - mean[om + b] + ob);
          }
        }
        for (let a = 0; a < p; a++) mean[om + a] += ((shift[a] - mean[om + a] + sums[a] / k) * k) / nAB;
        this.count[arm] = nAB;
      }
    }
  }

  /** Pass 2: both arms' intercepts at the full-sample means and their variances. */
  fits(seType: SeType, outcome: string): [ArmFit, ArmFit] {
    const { p, q, buf, mean, M, count } = this;
    const n = this.y.length;
    const xbar = new Float64Array(q);
    for (let j = 0; j < q; j++) xbar[j] = (count[0] * mean[j] + count[1] * mean[p + j]) / n;
    const arm = [0, 1].map((a) => {
      const S = new Float64Array(q * q);
      const xty = new Float64Array(q);
      const oM = a * p * p;
      for (let i = 0; i < q; i++) {
        xty[i] = M[oM + i * p + q];
        for (let k = i; k < q; k++) S[i * q + k] = S[k * q + i] = M[oM + i * p + k];
      }
      const chol = cholesky(S, q);
      const beta = choleskySolve(chol, xty);
      const d = new Float64Array(q);
      let intercept = mean[a * p + q];
      for (let j = 0; j < q; j++) {
        d[j] = chol.kept[j] ? mean[a * p + j] - xbar[j] : 0;
        intercept -= beta[j] * d[j];
      }
      return { chol, beta, ad: choleskySolve(chol, d), intercept, variance: 0 };
    });
    const leverage = seType === "HC2" || seType === "HC3";
    const hc3 = seType === "HC3";
    const Z = new Float64Array(BLOCK * q);
    const e = new Float64Array(BLOCK);
    const u = new Float64Array(BLOCK);
    const h = new Float64Array(BLOCK);
    for (let start = 0; start < n; start += BLOCK) {
      this.split(start, Math.min(n, start + BLOCK));
      for (let a = 0; a < 2; a++) {
        const k = this.used[a];
        if (k === 0) continue;
        this.gather(a, mean, a * p, null);
        const { beta, ad, chol } = arm[a];
        const inv = 1 / count[a];
        const oy = q * BLOCK;
        for (let r = 0; r < k; r++) {
          e[r] = buf[oy + r];
          u[r] = inv;
          h[r] = inv;
        }
        for (let j = 0; j < q; j++) {
          const bj = beta[j];
          const aj = ad[j];
          if (bj === 0 && aj === 0) continue;
          const o = j * BLOCK;
          for (let r = 0; r < k; r++) {
            const x = buf[o + r];
            e[r] -= bj * x;
            u[r] -= aj * x;
          }
        }
        let v = 0;
        if (leverage) {
          addLeverages(chol, buf, Z, BLOCK, k, h);
          for (let r = 0; r < k; r++) {
            const g = 1 - h[r];
            if (!(g > 1e-10)) throw new AnalysisError(`${outcome}: observation ${this.idx[a][r]} has leverage 1; ${seType} standard errors are undefined`);
            const w = (e[r] * e[r]) / (hc3 ? g * g : g);
            v += w * u[r] * u[r];
          }
        } else {
          for (let r = 0; r < k; r++) v += e[r] * e[r] * u[r] * u[r];
        }
        arm[a].variance += v;
      }
    }
    return [0, 1].map((a): ArmFit => ({
      intercept: arm[a].intercept,
      variance: arm[a].variance,
      rank: arm[a].chol.rank + 1,
      aliased: Array.from(arm[a].chol.kept, (k) => k === 0),
    })) as [ArmFit, ArmFit];
  }
}
