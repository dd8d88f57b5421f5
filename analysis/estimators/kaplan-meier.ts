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
 * The data are sorted once per arm (event times and censoring times in two typed arrays, native
 * numeric sort) and the curve is built by one merge pass: no per-row objects.
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

export type ArmLabel = string | number;

/** Survival data split by arm: sorted event times and sorted censoring times per arm. */
export interface SurvivalArms {
  levels: ArmLabel[];
  eventTimes: Float64Array[];
  censorTimes: Float64Array[];
}

export interface SurvivalOptions {
  /** Order of the arms (all labels present in the data must be listed); default R's factor order. */
  levels?: readonly ArmLabel[];
  /** Name of the outcome, used in error messages. */
  outcome?: string;
}

function compareLabels(a: ArmLabel, b: ArmLabel): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Sorts non-negative finite doubles in place. Their IEEE-754 bit patterns order like the numbers
 * when the sign bit is clear, so an LSD radix sort on the high 32 bits (two passes of 16 bits,
 * carrying the low word along; a pass whose digit is the same for all values is skipped) leaves
 * only runs of equal high words to order, which are short (values within 2⁻²⁰ relative of each
 * other): insertion sort for a short run, the built-in sort for a long one. About 3× faster
 * than the built-in sort alone.
 */
export function sortNonNegative(a: Float64Array): void {
  const n = a.length;
  if (n < 512 || !littleEndian) {
    a.sort();
    return;
  }
  const words = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
  const low = new Int32Array(65536);
  const high = new Int32Array(65536);
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1];
    low[hi & 0xffff]++;
    high[hi >>> 16]++;
  }
  let src: Uint32Array = words;
  let dst: Uint32Array = new Uint32Array(2 * n);
  for (let pass = 0; pass < 2; pass++) {
    const count = pass === 0 ? low : high;
    const shift = pass * 16;
    if (count[(src[1] >>> shift) & 0xffff] === n) continue;
    let sum = 0;
    for (let b = 0; b < 65536; b++) {
      const c = count[b];
      count[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const lo = src[2 * i];
      const hi = src[2 * i + 1];
      const at = 2 * count[(hi >>> shift) & 0xffff]++;
      dst[at] = lo;
      dst[at + 1] = hi;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== words) words.set(src);
  // Runs of equal high words, by the low word (as doubles: same sign and exponent).
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i < n && words[2 * i + 1] === words[2 * i - 1]) continue;
    if (i - start > 32) a.subarray(start, i).sort();
    else if (i - start > 1) {
      for (let j = start + 1; j < i; j++) {
        const v = a[j];
        let k = j - 1;
        while (k >= start && a[k] > v) {
          a[k + 1] = a[k];
          k--;
        }
        a[k + 1] = v;
      }
    }
    start = i;
  }
}

/**
 * Validates time/event/group columns and splits them by arm into sorted typed arrays. With no
 * group, everyone is in one arm labelled "all".
 */
export function survivalArms(
  time: ArrayLike<number>,
  event: ArrayLike<number | boolean>,
  group?: ArrayLike<ArmLabel> | null,
  options: SurvivalOptions = {},
): SurvivalArms {
  const what = options.outcome ? `outcome ${options.outcome}: ` : "";
  const n = time.length;
  if (event.length !== n) throw new AnalysisError(`${what}time has ${n} values but event has ${event.length}`);
  if (group && group.length !== n) throw new AnalysisError(`${what}time has ${n} values but group has ${group.length}`);
  if (n === 0) throw new AnalysisError(`${what}no observations`);
  // One pass: validate, code the arm in order of first appearance, and count per slot
  // (slot 2c: censorings of arm c, 2c + 1: events).
  const slotOf = new Int32Array(n);
  const seen = new Map<ArmLabel, number>();
  const firstSeen: ArmLabel[] = group ? [] : ["all"];
  // Small non-negative integer labels (the usual 0/1 arm) skip the Map.
  const dense = new Int32Array(1024).fill(-1);
  const code = (g: ArmLabel, i: number): number => {
    const small = typeof g === "number" && (g | 0) === g && g >= 0 && g < 1024;
    let found: number | undefined;
    if (small) found = dense[g as number] >= 0 ? dense[g as number] : undefined;
    else {
      if (g === null || g === undefined || (typeof g === "number" && Number.isNaN(g)) || g === "") {
        throw new AnalysisError(`${what}row ${i + 1}: missing arm`);
      }
      found = seen.get(g);
    }
    if (found === undefined) {
      found = firstSeen.length;
      seen.set(g, found);
      if (small) dense[g as number] = found;
      firstSeen.push(g);
    }
    return found;
  };
  const badRow = (i: number): AnalysisError => {
    const t = time[i];
    if (typeof t !== "number" || Number.isNaN(t)) return new AnalysisError(`${what}row ${i + 1}: time is not a number (${t})`);
    if (!(t >= 0) || t === Infinity) return new AnalysisError(`${what}row ${i + 1}: time must be finite and ≥ 0, got ${t}`);
    return new AnalysisError(`${what}row ${i + 1}: event must be 1 or 0, got ${event[i]}`);
  };
  // Typed arrays hold only numbers, so the per-value type check is needed for plain arrays only.
  const numeric = time instanceof Float64Array || time instanceof Float32Array || time instanceof Int32Array;
  // A typed array of labels holds numbers only: the dense table decides without a branch on
  // the label (arms alternate at random in a trial).
  const typedGroup = group !== null && group !== undefined && ArrayBuffer.isView(group);
  let counts = new Int32Array(8);
  let lastLabel: ArmLabel | undefined;
  let lastCode = 0;
  for (let i = 0; i < n; i++) {
    const t = time[i];
    const e = +event[i];
    if (!(t >= 0 && t < Infinity && (e === 0 || e === 1)) || (!numeric && typeof t !== "number")) throw badRow(i);
    let c = lastCode;
    if (typedGroup) {
      const g = group[i] as number;
      c = g >= 0 && g < 1024 ? dense[g | 0] : -1;
      if (c < 0 || g !== (g | 0)) c = code(g, i);
    } else if (group) {
      const g = group[i];
      if (g !== lastLabel) {
        c = code(g, i);
        lastLabel = g;
        lastCode = c;
      }
    }
    const slot = 2 * c + e;
    if (slot >= counts.length) {
      const grown = new Int32Array(2 * (slot + 1));
      grown.set(counts);
      counts = grown;
    }
    slotOf[i] = slot;
    counts[slot]++;
  }
  let levels: ArmLabel[];
  if (options.levels && group) {
    levels = [...options.levels];
    for (const l of firstSeen) {
      if (!levels.includes(l)) throw new AnalysisError(`${what}arm ${JSON.stringify(l)} is not among the levels ${JSON.stringify(levels)}`);
    }
  } else {
    levels = [...firstSeen].sort(compareLabels);
  }
  const k = levels.length;
  // All times in one buffer, grouped by slot in the order of the levels (a counting sort by
  // slot); each arm's event and censoring times are views of it.
  const start = new Int32Array(2 * firstSeen.length);
  const all = new Float64Array(n);
  const eventTimes: Float64Array[] = [];
  const censorTimes: Float64Array[] = [];
  let offset = 0;
  for (let c = 0; c < k; c++) {
    const f = firstSeen.indexOf(levels[c]);
    if (f < 0) throw new AnalysisError(`${what}arm ${JSON.stringify(levels[c])} has no one`);
    start[2 * f] = offset;
    censorTimes.push(all.subarray(offset, offset + counts[2 * f]));
    offset += counts[2 * f];
    start[2 * f + 1] = offset;
    eventTimes.push(all.subarray(offset, offset + counts[2 * f + 1]));
    offset += counts[2 * f + 1];
  }
  // + 0 turns −0 into 0, so that the bit patterns sort as the numbers.
  for (let i = 0; i < n; i++) all[start[slotOf[i]]++] = time[i] + 0;
  for (let c = 0; c < k; c++) {
    sortNonNegative(eventTimes[c]);
    sortNonNegative(censorTimes[c]);
  }
  return { levels, eventTimes, censorTimes };
}

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
