/**
 * Survival data as the estimators read them: time/event/arm columns validated in one pass and split
 * by arm into sorted typed arrays of event times and censoring times (a counting sort by arm, then
 * a radix sort of each array), with no per-row objects. Shared by Kaplan–Meier, the log-rank test,
 * restricted means and Cox.
 *
 * Arms are ordered as R orders factor levels: ascending numbers, or strings in code-point order
 * (pass `levels` to fix another order).
 */
import { AnalysisError } from "../estimate.ts";

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

/** Work space of `sortNonNegative`, reusable across the sorts of one call (no allocation per sort). */
export interface RadixScratch {
  words: Uint32Array;
  low: Int32Array;
  high: Int32Array;
}

export function radixScratch(n: number): RadixScratch {
  return { words: new Uint32Array(2 * n), low: new Int32Array(65536), high: new Int32Array(65536) };
}

/**
 * Sorts non-negative finite doubles in place. Their IEEE-754 bit patterns order like the numbers
 * when the sign bit is clear, so an LSD radix sort on the high 32 bits (two passes of 16 bits,
 * carrying the low word along; a pass whose digit is the same for all values is skipped) leaves
 * only runs of equal high words to order, which are short (values within 2⁻²⁰ relative of each
 * other): insertion sort for a short run, the built-in sort for a long one. About 3× faster
 * than the built-in sort alone.
 */
export function sortNonNegative(a: Float64Array, scratch?: RadixScratch): void {
  const n = a.length;
  if (n < 512 || !littleEndian) {
    a.sort();
    return;
  }
  const work = scratch ?? radixScratch(n);
  const words = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
  const { low, high } = work;
  low.fill(0);
  high.fill(0);
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1];
    low[hi & 0xffff]++;
    high[hi >>> 16]++;
  }
  if (work.words.length < 2 * n) throw new RangeError(`radix scratch for ${work.words.length / 2} values, sorting ${n}`);
  let src: Uint32Array = words;
  let dst: Uint32Array = work.words.subarray(0, 2 * n);
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
 * Slots and counts of rows from `from` on while each has a valid time and event and an arm label
 * already coded in `dense`; returns the first row that does not (n when all do).
 */
function typedRows(time: Float64Array, event: Float64Array, group: Float64Array, from: number, dense: Int32Array, slotOf: Uint8Array, counts: Int32Array): number {
  const n = time.length;
  const slots = counts.length;
  for (let i = from; i < n; i++) {
    const t = time[i];
    const e = event[i];
    const g = group[i];
    const gi = g | 0;
    const c = g === gi && gi >= 0 && gi < 1024 ? dense[gi] : -1;
    const slot = 2 * c + (e === 1 ? 1 : 0);
    if (!(t >= 0 && t < Infinity && (e === 0 || e === 1) && c >= 0 && slot < slots)) return i;
    slotOf[i] = slot;
    counts[slot]++;
  }
  return n;
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
  // One byte per row while the slots fit (up to 127 arms), four after that.
  let slotOf: Uint8Array | Int32Array = new Uint8Array(n);
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
  // Columns read from a data set (all Float64Array) go through a monomorphic loop that stops at a
  // row it cannot take (a new arm label, bad data); the general loop body takes that row.
  const fast = time instanceof Float64Array && event instanceof Float64Array && group instanceof Float64Array;
  for (let i = 0; i < n; i++) {
    if (fast && slotOf instanceof Uint8Array) {
      i = typedRows(time, event, group, i, dense, slotOf, counts);
      if (i === n) break;
    }
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
      if (slot > 255 && slotOf instanceof Uint8Array) slotOf = Int32Array.from(slotOf);
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
  let longest = 0;
  for (let c = 0; c < k; c++) longest = Math.max(longest, eventTimes[c].length, censorTimes[c].length);
  const scratch = longest >= 512 ? radixScratch(longest) : undefined;
  for (let c = 0; c < k; c++) {
    sortNonNegative(eventTimes[c], scratch);
    sortNonNegative(censorTimes[c], scratch);
  }
  return { levels, eventTimes, censorTimes };
}
