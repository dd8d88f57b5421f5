/**
 * Kaplan–Meier (product-limit) survival curves per arm, as R's `survival::survfit(Surv(time,
 * status) ~ arm)` with its defaults (conf.type = "log", conf.int = 0.95).
 *
 * At each distinct time t_j (event or censoring) with n_j at risk and d_j events:
 *
 *     S(t) = Π_{t_j ≤ t} (1 − d_j / n_j)
 *     σ²(t) = Σ_{t_j ≤ t} d_j / (n_j (n_j − d_j))            (Greenwood, on the log scale)
 *     std_err(t) = S(t) σ(t)                                  (as `summary(fit)$std.err`)
 *     CI: exp(log S ± z σ), the upper limit capped at 1       ("log", R's default)
 *
 * When the last person at risk has the event, S = 0, σ = ∞ and R reports the standard error as
 * NaN and the interval as NA; these entries are NaN here too (documented, not silent).
 *
 * Median (as the table of `summary(fit)` / `print(fit)`, survival's `survmean`): the first time the
 * curve is below 0.5 + √ε; if the curve equals 0.5 (within √ε) at that time and drops lower
 * later, the median is the average of that time and the time of the next drop (e.g. 52.5 in the
 * veteran trial's test arm). The median's confidence limits apply the same rule to the lower and
 * the upper confidence curves (rows where a curve is NA are skipped). A median the curve never
 * reaches is null (R's NA).
 *
 * Survival at given times (`survivalAt`, as `summary(fit, times = )`): the curve's value at the
 * last row with time ≤ t (1 before the first row), n_risk at the first row with time ≥ t, events
 * and censorings counted since the previous requested time; times after the last observed time are
 * dropped unless `extend` (R's `extend = FALSE`).
 *
 * Arms are ordered as R orders factor levels: ascending numbers, or strings in code-point order
 * (pass `levels` to fix another order). R treats times within √ε relative of each other as tied
 * (`aeqSurv`); here times are compared exactly.
 *
 * The data are sorted once per arm (event times and censoring times in two typed arrays, radix
 * sort; survival-data.ts) and the curve is built by one merge pass: no per-row objects.
 *
 * References:
 * - Kaplan, E. L., & Meier, P. (1958). Nonparametric estimation from incomplete observations.
 *   JASA 53(282), 457–481. doi:10.1080/01621459.1958.10501452
 * - Greenwood, M. (1926). The natural duration of cancer. Reports on Public Health and Medical
 *   Subjects 33. HMSO.
 * - Therneau, T. M., & Grambsch, P. M. (2000). Modeling Survival Data: Extending the Cox Model.
 *   Springer. doi:10.1007/978-1-4757-3294-8
 *
 * @throws AnalysisError for NaN or negative times, events other than 0/1, unequal lengths, a
 *   missing arm label, or an arm with no one.
 * @example
 * kaplanMeier([1, 2, 2, 3], [1, 1, 0, 1]).arms[0].surv   // Float64Array [0.75, 0.5, 0]
 */
import { AnalysisError } from "../estimate.ts";
import { qnorm } from "../distributions.ts";
import { type ArmLabel, type SurvivalOptions, survivalArms } from "./survival-data.ts";

export {
  type ArmLabel,
  type RadixScratch,
  type SurvivalArms,
  type SurvivalOptions,
  radixScratch,
  sortNonNegative,
  survivalArms,
} from "./survival-data.ts";

/** One arm's Kaplan–Meier curve: columnar, one entry per distinct time (events or censorings). */
export interface KaplanMeierCurve {
  arm: ArmLabel;
  /** Number of people in the arm. */
  n: number;
  /** Number of events in the arm. */
  events: number;
  time: Float64Array;
  n_risk: Float64Array;
  n_event: Float64Array;
  n_censor: Float64Array;
  surv: Float64Array;
  /** Standard error of S(t) (Greenwood), as `summary(fit)$std.err`; NaN where S = 0. */
  std_err: Float64Array;
  /** Greenwood standard error of log S(t), as `fit$std.err`; Infinity where S = 0. */
  std_err_log: Float64Array;
  /** Log-scale confidence limits, NaN where S = 0 (R's NA). */
  lower: Float64Array;
  upper: Float64Array;
  /** Median survival time and its confidence limits; null when not reached (R's NA). */
  median: number | null;
  median_lower: number | null;
  median_upper: number | null;
}

export interface KaplanMeierFit {
  level: number;
  arms: KaplanMeierCurve[];
}

/** R's survmean `minmin`: first time a curve is below 0.5, averaging on an exact 0.5 plateau. */
export function curveMedian(y: ArrayLike<number>, x: ArrayLike<number>): number | null {
  const tol = Math.sqrt(Number.EPSILON);
  const m = y.length;
  let first = -1;
  for (let i = 0; i < m; i++) {
    if (!Number.isNaN(y[i]) && y[i] < 0.5 + tol) {
      first = i;
      break;
    }
  }
  if (first < 0) return null;
  const y1 = y[first];
  if (Math.abs(y1 - 0.5) < tol) {
    for (let i = first + 1; i < m; i++) {
      if (!Number.isNaN(y[i]) && y[i] < y1) return (x[first] + x[i]) / 2;
    }
  }
  return x[first];
}

/** Builds one arm's curve from its sorted event and censoring times. */
export function kaplanMeierCurve(arm: ArmLabel, events: Float64Array, censors: Float64Array, level = 0.95): KaplanMeierCurve {
  const ne = events.length;
  const nc = censors.length;
  // Capacity: distinct event times plus distinct censoring times, at least the distinct times of
  // both (the columns are cut to the rows used).
  let distinct = (ne > 0 ? 1 : 0) + (nc > 0 ? 1 : 0);
  // (Counted without a branch: ties come and go at random.)
  for (let i = 1; i < ne; i++) distinct += events[i] > events[i - 1] ? 1 : 0;
  for (let j = 1; j < nc; j++) distinct += censors[j] > censors[j - 1] ? 1 : 0;
  const total = ne + nc;
  const cap = distinct;
  const time = new Float64Array(cap);
  const nRisk = new Float64Array(cap);
  const nEvent = new Float64Array(cap);
  const nCensor = new Float64Array(cap);
  const surv = new Float64Array(cap);
  const se = new Float64Array(cap);
  const seLog = new Float64Array(cap);
  const lower = new Float64Array(cap);
  const upper = new Float64Array(cap);
  const z = qnorm(1 - (1 - level) / 2);
  let i = 0;
  let j = 0;
  let atRisk = total;
  let s = 1;
  let gw = 0;
  let sl = 0;
  let widen = 1;
  let rows = 0;
  while (i < ne || j < nc) {
    const te = i < ne ? events[i] : Infinity;
    const tc = j < nc ? censors[j] : Infinity;
    const t = te < tc ? te : tc;
    let d = 0;
    while (i < ne && events[i] === t) {
      d++;
      i++;
    }
    let c = 0;
    while (j < nc && censors[j] === t) {
      c++;
      j++;
    }
    if (d > 0) {
      s *= 1 - d / atRisk;
      gw += atRisk > d ? d / (atRisk * (atRisk - d)) : Infinity;
    }
    if (d > 0) {
      sl = Math.sqrt(gw);
      widen = Math.exp(z * sl);
    }
    time[rows] = t;
    nRisk[rows] = atRisk;
    nEvent[rows] = d;
    nCensor[rows] = c;
    surv[rows] = s;
    seLog[rows] = sl;
    if (s === 0) {
      se[rows] = NaN;
      lower[rows] = NaN;
      upper[rows] = NaN;
    } else {
      // exp(log S ± z σ) = S e^{±zσ}
      se[rows] = s * sl;
      lower[rows] = s / widen;
      const u = s * widen;
      upper[rows] = u < 1 ? u : 1;
    }
    rows++;
    atRisk -= d + c;
  }
  const cut = (a: Float64Array) => a.subarray(0, rows);
  const curve: KaplanMeierCurve = {
    arm,
    n: total,
    events: ne,
    time: cut(time),
    n_risk: cut(nRisk),
    n_event: cut(nEvent),
    n_censor: cut(nCensor),
    surv: cut(surv),
    std_err: cut(se),
    std_err_log: cut(seLog),
    lower: cut(lower),
    upper: cut(upper),
    median: null,
    median_lower: null,
    median_upper: null,
  };
  curve.median = curveMedian(curve.surv, curve.time);
  curve.median_lower = curveMedian(curve.lower, curve.time);
  curve.median_upper = curveMedian(curve.upper, curve.time);
  return curve;
}

/**
 * Kaplan–Meier curves per arm (or one curve when `group` is omitted), with Greenwood standard
 * errors, log-scale confidence limits and the median with its confidence limits.
 */
export function kaplanMeier(
  time: ArrayLike<number>,
  event: ArrayLike<number | boolean>,
  group?: ArrayLike<ArmLabel> | null,
  options: SurvivalOptions & { level?: number } = {},
): KaplanMeierFit {
  const level = options.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new AnalysisError(`invalid level; not in (0, 1): ${level}`);
  const data = survivalArms(time, event, group, options);
  return {
    level,
    arms: data.levels.map((arm, c) => kaplanMeierCurve(arm, data.eventTimes[c], data.censorTimes[c], level)),
  };
}

/** A curve read at requested times, as `summary(fit, times = )`. */
export interface SurvivalAtTimes {
  time: number[];
  n_risk: number[];
  n_event: number[];
  n_censor: number[];
  surv: number[];
  std_err: number[];
  lower: number[];
  upper: number[];
}

/**
 * Survival, standard error and confidence limits of a curve at the given times (ascending), as
 * `summary(fit, times = times)` (`extend = FALSE` drops times after the curve's last time).
 */
export function survivalAt(curve: KaplanMeierCurve, times: readonly number[], options: { extend?: boolean } = {}): SurvivalAtTimes {
  const out: SurvivalAtTimes = { time: [], n_risk: [], n_event: [], n_censor: [], surv: [], std_err: [], lower: [], upper: [] };
  const m = curve.time.length;
  const last = m > 0 ? curve.time[m - 1] : -Infinity;
  let row = 0; // first curve row not yet counted
  let previous = -Infinity;
  for (const t of times) {
    if (Number.isNaN(t)) throw new AnalysisError(`survival time point is not a number: ${t}`);
    if (t < previous) throw new AnalysisError(`survival time points must be ascending: ${t} after ${previous}`);
    previous = t;
    if (t > last && !options.extend) continue;
    let d = 0;
    let c = 0;
    while (row < m && curve.time[row] <= t) {
      d += curve.n_event[row];
      c += curve.n_censor[row];
      row++;
    }
    out.time.push(t);
    out.n_event.push(d);
    out.n_censor.push(c);
    out.n_risk.push(row < m ? (curve.time[row - 1] === t ? curve.n_risk[row - 1] : curve.n_risk[row]) : row > 0 && curve.time[row - 1] === t ? curve.n_risk[row - 1] : 0);
    if (row === 0) {
      out.surv.push(1);
      out.std_err.push(0);
      out.lower.push(1);
      out.upper.push(1);
    } else {
      out.surv.push(curve.surv[row - 1]);
      out.std_err.push(curve.std_err[row - 1]);
      out.lower.push(curve.lower[row - 1]);
      out.upper.push(curve.upper[row - 1]);
    }
  }
  return out;
}
