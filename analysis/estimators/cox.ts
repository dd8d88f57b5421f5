/**
 * Cox proportional-hazards regression, as R's `survival::coxph(Surv(time, status) ~ x, ties =
 * "efron")` with its defaults (iter.max = 20, eps = 1e-9, beta starts at 0).
 *
 * Partial log-likelihood with Efron's handling of ties: at a time with d events, risk-set sums
 * S0 = Σ_{R} e^{η}, S1 = Σ_{R} x e^{η}, S2 = Σ_{R} x x' e^{η}, and the same sums D0, D1, D2 over the
 * d people with the event,
 *
 *     ℓ(β) += Σ_{events} η − Σ_{r=0}^{d−1} log(S0 − (r/d) D0)
 *     U    += Σ_{events} x − Σ_r (S1 − (r/d) D1) / (S0 − (r/d) D0)
 *     I    += Σ_r [ (S2 − (r/d) D2) / s0_r − m_r m_r' ],   m_r = (S1 − (r/d) D1) / s0_r
 *
 * Breslow's approximation sets r/d to 0. Covariates are centred (as coxph) for numerical
 * stability; that changes neither β nor ℓ.
 *
 * Newton–Raphson as coxph's `coxfit6`: from β = 0, step β ← β + I⁻¹U; converged when
 * |1 − ℓ_old / ℓ_new| ≤ eps; a step that lowers ℓ is halved. The model-based variance is I⁻¹ at the
 * final β; hazard ratios exp(β) with CI exp(β ± z SE); Wald z tests per coefficient. Global tests
 * on p degrees of freedom: likelihood ratio 2(ℓ(β̂) − ℓ(0)), Wald β̂' I β̂, score U(0)' I(0)⁻¹ U(0).
 *
 * A `group` column becomes treatment-coded dummies (reference = the first level, R's factor order,
 * or `reference`), one coefficient per other level, named "<level> vs <reference>".
 *
 * References:
 * - Cox, D. R. (1972). Regression models and life-tables. JRSS B 34(2), 187–220.
 *   doi:10.1111/j.2517-6161.1972.tb00899.x
 * - Efron, B. (1977). The efficiency of Cox's likelihood function for censored data. JASA 72(359),
 *   557–565. doi:10.1080/01621459.1977.10480613
 * - Breslow, N. (1974). Covariance analysis of censored survival data. Biometrics 30(1), 89–99.
 *   doi:10.2307/2529620
 * - Therneau, T. M., & Grambsch, P. M. (2000). Modeling Survival Data. Springer.
 *   doi:10.1007/978-1-4757-3294-8
 *
 * @throws AnalysisError for bad time/event data, NaN covariates, no covariates, no events, a
 *   group level with no one, or collinear covariates.
 */
import { AnalysisError, type EffectEstimate, tBasedEstimate } from "../estimate.ts";
import { pchisqUpper, qnorm } from "../distributions.ts";
import { cholesky, choleskyInverse, choleskySolve } from "../linear-algebra.ts";
import type { ArmLabel } from "./survival-data.ts";

export interface CoxData {
  time: ArrayLike<number>;
  event: ArrayLike<number | boolean>;
  /** A factor (e.g. the arm): dummy-coded against the reference level. */
  group?: ArrayLike<ArmLabel>;
  /** Numeric covariates by name. */
  covariates?: Record<string, ArrayLike<number>>;
}

export interface CoxOptions {
  ties?: "efron" | "breslow";
  level?: number;
  /** Level order of `group`; default ascending numbers or code-point order of strings. */
  levels?: readonly ArmLabel[];
  /** Reference level of `group`; default the first level. */
  reference?: ArmLabel;
  maxIterations?: number;
  eps?: number;
  outcome?: string;
}

export interface ChisqTest {
  statistic: number;
  df: number;
  p_value: number;
}

export interface HazardRatio {
  term: string;
  hr: number;
  lower: number;
  upper: number;
}

export interface CoxFit {
  ties: "efron" | "breslow";
  terms: string[];
  /** Log hazard ratios with model-based SE, Wald z test and normal CI. */
  coefficients: EffectEstimate[];
  hazard_ratios: HazardRatio[];
  /** Variance–covariance matrix of the coefficients, row-major p × p. */
  vcov: Float64Array;
  /** Partial log-likelihood at β = 0 and at β̂. */
  loglik: [number, number];
  iterations: number;
  converged: boolean;
  n: number;
  events: number;
  tests: { likelihood_ratio: ChisqTest; wald: ChisqTest; score: ChisqTest };
}

interface Design {
  terms: string[];
  /** Per term: a warning when the coefficient is bound to be infinite. */
  notes: string[][];
  p: number;
  /** Centred covariates, row-major n × p, in ascending time order. */
  x: Float64Array;
  time: Float64Array;
  status: Uint8Array;
}

function buildDesign(data: CoxData, options: CoxOptions): Design {
  const what = options.outcome ? `outcome ${options.outcome}: ` : "";
  const n = data.time.length;
  if (n === 0) throw new AnalysisError(`${what}no observations`);
  if (data.event.length !== n) throw new AnalysisError(`${what}time has ${n} values but event has ${data.event.length}`);
  const columns: { name: string; values: Float64Array }[] = [];
  const zeroEventLevels: ArmLabel[] = [];
  if (data.group) {
    const g = data.group;
    if (g.length !== n) throw new AnalysisError(`${what}time has ${n} values but group has ${g.length}`);
    const present = new Set<ArmLabel>();
    for (let i = 0; i < n; i++) {
      const v = g[i];
      if (v === null || v === undefined || v === "" || (typeof v === "number" && Number.isNaN(v))) throw new AnalysisError(`${what}row ${i + 1}: missing group`);
      present.add(v);
    }
    const levels = options.levels
      ? [...options.levels]
      : [...present].sort((a, b) => (typeof a === "number" && typeof b === "number" ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
    for (const l of present) if (!levels.includes(l)) throw new AnalysisError(`${what}group ${JSON.stringify(l)} is not among the levels ${JSON.stringify(levels)}`);
    for (const l of levels) if (!present.has(l)) throw new AnalysisError(`${what}group level ${JSON.stringify(l)} has no one`);
    const reference = options.reference ?? levels[0];
    if (!levels.includes(reference)) throw new AnalysisError(`${what}reference level ${JSON.stringify(reference)} is not among ${JSON.stringify(levels)}`);
    const eventsByLevel = new Map<ArmLabel, number>(levels.map((l) => [l, 0]));
    for (let i = 0; i < n; i++) if (+data.event[i] === 1) eventsByLevel.set(g[i], (eventsByLevel.get(g[i]) ?? 0) + 1);
    for (const l of levels) {
      if (eventsByLevel.get(l) === 0) zeroEventLevels.push(l);
    }
    for (const l of levels) {
      if (l === reference) continue;
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = g[i] === l ? 1 : 0;
      columns.push({ name: `${String(l)} vs ${String(reference)}`, values });
    }
  }
  for (const [name, col] of Object.entries(data.covariates ?? {})) {
    if (col.length !== n) throw new AnalysisError(`${what}covariate ${name} has ${col.length} values, expected ${n}`);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = col[i];
      if (typeof v !== "number" || !Number.isFinite(v)) throw new AnalysisError(`${what}row ${i + 1}: covariate ${name} is not a finite number (${v})`);
      values[i] = v;
    }
    columns.push({ name, values });
  }
  const p = columns.length;
  if (p === 0) throw new AnalysisError(`${what}the Cox model needs at least one covariate or a group`);
  const order = new Uint32Array(n);
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ti = data.time[i];
    if (typeof ti !== "number" || !(ti >= 0) || ti === Infinity) throw new AnalysisError(`${what}row ${i + 1}: time must be finite and ≥ 0, got ${ti}`);
    const e = +data.event[i];
    if (e !== 0 && e !== 1) throw new AnalysisError(`${what}row ${i + 1}: event must be 1 or 0, got ${data.event[i]}`);
    t[i] = ti;
    order[i] = i;
  }
  order.sort((a, b) => t[a] - t[b]);
  const x = new Float64Array(n * p);
  const time = new Float64Array(n);
  const status = new Uint8Array(n);
  for (let j = 0; j < p; j++) {
    const v = columns[j].values;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += v[i];
    mean /= n;
    for (let r = 0; r < n; r++) x[r * p + j] = v[order[r]] - mean;
  }
  let events = 0;
  for (let r = 0; r < n; r++) {
    time[r] = t[order[r]];
    status[r] = +data.event[order[r]];
    events += status[r];
  }
  if (events === 0) throw new AnalysisError(`${what}no events: the Cox model is undefined`);
  const notes = columns.map(() => [] as string[]);
  if (zeroEventLevels.length > 0) {
    const note = `no events in group level(s) ${zeroEventLevels.map((l) => JSON.stringify(l)).join(", ")}: the hazard ratio is not finite (coxph warns likewise)`;
    for (const m of notes.slice(0, columns.length - Object.keys(data.covariates ?? {}).length)) m.push(note);
  }
  return { terms: columns.map((c) => c.name), notes, p, x, time, status };
}

interface Evaluation {
  loglik: number;
  u: Float64Array;
  imat: Float64Array;
}

function evaluate(d: Design, beta: Float64Array, efron: boolean): Evaluation {
  const { p, x, time, status } = d;
  const n = time.length;
  const u = new Float64Array(p);
  const imat = new Float64Array(p * p);
  const s1 = new Float64Array(p);
  const s2 = new Float64Array(p * p);
  const d1 = new Float64Array(p);
  const d2 = new Float64Array(p * p);
  const m = new Float64Array(p);
  let s0 = 0;
  let loglik = 0;
  let r = n - 1;
  while (r >= 0) {
    const t = time[r];
    let d0 = 0;
    let nd = 0;
    d1.fill(0);
    d2.fill(0);
    while (r >= 0 && time[r] === t) {
      const row = r * p;
      let eta = 0;
      for (let j = 0; j < p; j++) eta += beta[j] * x[row + j];
      const risk = Math.exp(eta);
      s0 += risk;
      for (let j = 0; j < p; j++) {
        const xr = x[row + j] * risk;
        s1[j] += xr;
        for (let k = 0; k <= j; k++) s2[j * p + k] += xr * x[row + k];
      }
      if (status[r] === 1) {
        nd++;
        d0 += risk;
        loglik += eta;
        for (let j = 0; j < p; j++) {
          const xr = x[row + j] * risk;
          u[j] += x[row + j];
          d1[j] += xr;
          for (let k = 0; k <= j; k++) d2[j * p + k] += xr * x[row + k];
        }
      }
      r--;
    }
    for (let q = 0; q < nd; q++) {
      const f = efron ? q / nd : 0;
      const denom = s0 - f * d0;
      loglik -= Math.log(denom);
      for (let j = 0; j < p; j++) {
        m[j] = (s1[j] - f * d1[j]) / denom;
        u[j] -= m[j];
      }
      for (let j = 0; j < p; j++) {
        for (let k = 0; k <= j; k++) imat[j * p + k] += (s2[j * p + k] - f * d2[j * p + k]) / denom - m[j] * m[k];
      }
    }
  }
  for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) imat[k * p + j] = imat[j * p + k];
  return { loglik, u, imat };
}

function factor(imat: Float64Array, p: number, terms: string[], what: string) {
  const f = cholesky(imat, p);
  if (f.rank < p) {
    const dropped = terms.filter((_, j) => !f.kept[j]);
    throw new AnalysisError(`${what}the Cox model's information matrix is singular (collinear or constant: ${dropped.join(", ")})`);
  }
  return f;
}

/** Fits a Cox proportional-hazards model by Newton–Raphson, as coxph. */
export function coxPH(data: CoxData, options: CoxOptions = {}): CoxFit {
  const what = options.outcome ? `outcome ${options.outcome}: ` : "";
  const ties = options.ties ?? "efron";
  const efron = ties === "efron";
  const level = options.level ?? 0.95;
  const maxIter = options.maxIterations ?? 20;
  const eps = options.eps ?? 1e-9;
  const d = buildDesign(data, options);
  const { p, terms } = d;
  let beta = new Float64Array(p);
  const first = evaluate(d, beta, efron);
  const loglik0 = first.loglik;
  let f = factor(first.imat, p, terms, what);
  let step = choleskySolve(f, first.u);
  let score = 0;
  for (let j = 0; j < p; j++) score += step[j] * first.u[j];
  let newBeta = beta.map((b, j) => b + step[j]);
  let oldLoglik = loglik0;
  let halving = false;
  let converged = false;
  let iterations = 0;
  let current = first;
  for (let iter = 1; iter <= maxIter; iter++) {
    iterations = iter;
    current = evaluate(d, newBeta, efron);
    f = factor(current.imat, p, terms, what);
    if (Math.abs(1 - oldLoglik / current.loglik) <= eps && !halving) {
      converged = true;
      break;
    }
    if (iter === maxIter) break;
    if (current.loglik < oldLoglik) {
      halving = true;
      newBeta = newBeta.map((b, j) => (b + beta[j]) / 2);
    } else {
      halving = false;
      oldLoglik = current.loglik;
      step = choleskySolve(f, current.u);
      beta = newBeta;
      newBeta = newBeta.map((b, j) => b + step[j]);
    }
  }
  const vcov = choleskyInverse(f);
  const coefficients = newBeta;
  const n = d.time.length;
  let events = 0;
  for (let r = 0; r < n; r++) events += d.status[r];
  const warnings: string[] = [];
  if (!converged) warnings.push(`Newton–Raphson did not converge in ${maxIter} iterations; a coefficient may be infinite`);
  const z = qnorm(1 - (1 - level) / 2);
  const estimates = terms.map((term, j) =>
    tBasedEstimate({
      estimator: "cox",
      term,
      estimate: coefficients[j],
      std_error: Math.sqrt(vcov[j * p + j]),
      df: Infinity,
      n,
      se_type: "model",
      level,
      warnings: [...warnings, ...d.notes[j]],
    }),
  );
  let wald = 0;
  for (let j = 0; j < p; j++) for (let k = 0; k < p; k++) wald += coefficients[j] * current.imat[j * p + k] * coefficients[k];
  const lr = 2 * (current.loglik - loglik0);
  const test = (statistic: number): ChisqTest => ({ statistic, df: p, p_value: pchisqUpper(statistic, p) });
  return {
    ties,
    terms,
    coefficients: estimates,
    hazard_ratios: estimates.map((e) => ({
      term: e.term,
      hr: Math.exp(e.estimate),
      lower: Math.exp(e.estimate - z * e.std_error),
      upper: Math.exp(e.estimate + z * e.std_error),
    })),
    vcov,
    loglik: [loglik0, current.loglik],
    iterations,
    converged,
    n,
    events,
    tests: { likelihood_ratio: test(lr), wald: test(wald), score: test(score) },
  };
}
