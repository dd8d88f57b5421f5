/**
 * The assignment designs, each described once as a small state machine over integer-coded
 * participants. The live allocator (allocator.ts) drives them one participant at a time with the
 * keyed cryptographic stream; the batch re-randomizer (rerandomize.ts) drives the very same code
 * over a whole data set with a fast generator. Nothing here knows where its randomness comes from.
 *
 * A coded participant has: a stratum index (blocked and stratified designs, and the strata of
 * cluster units), one level index per minimization factor, a unit index (cluster and stepped-wedge
 * designs) and a period index (stepped wedge).
 *
 * References: Pocock SJ, Simon R (1975) Biometrics 31:103–115, doi:10.2307/2529712 (minimization);
 * Hussey MA, Hughes JP (2007) Contemp Clin Trials 28:182–191, doi:10.1016/j.cct.2006.05.007
 * (stepped wedge); Rosenberger WF, Lachin JM, Randomization in Clinical Trials (2nd ed., 2016),
 * chapters 3 (permuted blocks) and 9 (covariate-adaptive designs).
 */
import type { Design, DesignArm } from "../../protocols/design-schema.ts";
import { randomInt, shuffle, uniform, type RandomSource } from "./random.ts";

/** One participant, coded. `levels` holds one index per minimization factor, at `levelOffset`. */
export interface CodedParticipant {
  stratum: number;
  levels: ArrayLike<number>;
  levelOffset: number;
  unit: number;
  period: number;
}

export interface Engine {
  /** Assigns one participant; returns the arm index. */
  assign(rng: RandomSource, p: CodedParticipant): number;
  /** Forgets everything (a new trial). */
  reset(): void;
  /** The state carried between participants, as plain JSON. */
  save(): EngineState;
  /** Restores a state from `save` (of an engine built for the same design). */
  load(state: EngineState): void;
}

/** An engine's state as JSON; its shape belongs to the engine. */
export type EngineState = null | number | string | boolean | EngineState[] | { [key: string]: EngineState };

function invalidState(what: string): Error {
  return new Error(`invalid allocator state: ${what}`);
}

function intArray(value: EngineState, what: string): number[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "number" || !Number.isInteger(v))) throw invalidState(what);
  return value as number[];
}

export interface EngineShape {
  arms: readonly DesignArm[];
  design: Design;
  /** Number of minimization levels per factor, in the design's factor order. */
  factorLevels?: readonly number[];
  /** Number of units (cluster and stepped-wedge designs). */
  units?: number;
}

/** Draws an arm index with probability proportional to its ratio. */
export function drawByRatio(rng: RandomSource, ratios: readonly number[], total: number): number {
  let x = randomInt(rng, total);
  for (let k = 0; k < ratios.length; k++) {
    x -= ratios[k];
    if (x < 0) return k;
  }
  return ratios.length - 1;
}

/** Fills `block` with `size` arm indices in the arms' ratio and shuffles it: one permuted block. */
export function fillBlock(rng: RandomSource, block: Int8Array, size: number, ratios: readonly number[], total: number): void {
  const copies = size / total;
  let i = 0;
  for (let k = 0; k < ratios.length; k++) for (let c = 0; c < ratios[k] * copies; c++) block[i++] = k;
  shuffle(rng, block, size);
}

/** Permuted blocks, one independent sequence per stratum; block sizes drawn from the list. */
export class BlockEngine implements Engine {
  private blocks: Int8Array[] = [];
  private size: number[] = [];
  private position: number[] = [];
  private readonly total: number;
  private readonly largest: number;
  constructor(
    private readonly ratios: readonly number[],
    private readonly blockSizes: readonly number[],
  ) {
    this.total = ratios.reduce((a, b) => a + b, 0);
    this.largest = Math.max(...blockSizes);
    for (const s of blockSizes) {
      if (s % this.total !== 0) throw new Error(`invalid block size; not a multiple of the ratio sum ${this.total}: ${s}`);
    }
  }
  reset(): void {
    this.blocks = [];
    this.size = [];
    this.position = [];
  }
  save(): EngineState {
    return Array.from(this.blocks, (block, s) => (block === undefined ? null : { block: Array.from(block.subarray(0, this.size[s])), position: this.position[s] }));
  }
  load(state: EngineState): void {
    if (!Array.isArray(state)) throw invalidState("blocks");
    this.reset();
    state.forEach((entry, s) => {
      if (entry === null) return;
      if (typeof entry !== "object" || Array.isArray(entry)) throw invalidState("block");
      const block = intArray(entry.block, "block");
      const position = entry.position;
      if (block.length > this.largest || typeof position !== "number" || position < 0 || position > block.length || block.some((a) => a < 0 || a >= this.ratios.length)) throw invalidState("block");
      this.blocks[s] = new Int8Array(this.largest);
      this.blocks[s].set(block);
      this.size[s] = block.length;
      this.position[s] = position;
    });
  }
  assign(rng: RandomSource, p: CodedParticipant): number {
    const s = p.stratum;
    let block = this.blocks[s];
    if (block === undefined) {
      block = this.blocks[s] = new Int8Array(this.largest);
      this.size[s] = 0;
      this.position[s] = 0;
    }
    if (this.position[s] === this.size[s]) {
      const size = this.blockSizes.length === 1 ? this.blockSizes[0] : this.blockSizes[randomInt(rng, this.blockSizes.length)];
      fillBlock(rng, block, size, this.ratios, this.total);
      this.size[s] = size;
      this.position[s] = 0;
    }
    return block[this.position[s]++];
  }
}

/** Simple randomization: each participant independently, with probability proportional to the ratio. */
export class SimpleEngine implements Engine {
  private readonly total: number;
  constructor(private readonly ratios: readonly number[]) {
    this.total = ratios.reduce((a, b) => a + b, 0);
  }
  reset(): void {}
  save(): EngineState {
    return null;
  }
  load(): void {}
  assign(rng: RandomSource): number {
    return drawByRatio(rng, this.ratios, this.total);
  }
}

/**
 * Pocock–Simon minimization. For each candidate arm a, the imbalance of each factor at the
 * participant's level is measured on the counts divided by the arms' ratios (as if a were chosen),
 * by range (max − min) or variance; the weighted sum over factors is G(a). The arm(s) with the
 * smallest G are preferred: one of them (at random, if tied) gets probability `p_preferred`, the
 * other arms share the rest equally. When every arm ties (the first participant, say), the draw
 * follows the ratios.
 */
export class MinimizationEngine implements Engine {
  private counts: Float64Array;
  private readonly offsets: number[];
  private readonly k: number;
  private readonly total: number;
  private readonly g: Float64Array;
  private readonly adjusted: Float64Array;
  private readonly minimizers: Int8Array;
  constructor(
    private readonly ratios: readonly number[],
    private readonly weights: readonly number[],
    factorLevels: readonly number[],
    private readonly variance: boolean,
    private readonly pPreferred: number,
  ) {
    this.k = ratios.length;
    this.total = ratios.reduce((a, b) => a + b, 0);
    this.offsets = [];
    let offset = 0;
    for (const levels of factorLevels) {
      this.offsets.push(offset);
      offset += levels * this.k;
    }
    this.counts = new Float64Array(offset);
    this.g = new Float64Array(this.k);
    this.adjusted = new Float64Array(this.k);
    this.minimizers = new Int8Array(this.k);
  }
  reset(): void {
    this.counts.fill(0);
  }
  /** Grows the count table when the live allocator meets a new factor level. */
  ensureLevels(factorLevels: readonly number[]): void {
    let offset = 0;
    const grown: number[] = [];
    for (const levels of factorLevels) {
      grown.push(offset);
      offset += levels * this.k;
    }
    if (offset <= this.counts.length) return;
    const counts = new Float64Array(offset);
    for (let f = 0; f < this.offsets.length; f++) {
      const end = f + 1 < this.offsets.length ? this.offsets[f + 1] : this.counts.length;
      counts.set(this.counts.subarray(this.offsets[f], end), grown[f]);
    }
    this.counts = counts;
    for (let f = 0; f < grown.length; f++) this.offsets[f] = grown[f];
  }
  save(): EngineState {
    return this.offsets.map((offset, f) => Array.from(this.counts.subarray(offset, f + 1 < this.offsets.length ? this.offsets[f + 1] : this.counts.length)));
  }
  load(state: EngineState): void {
    if (!Array.isArray(state) || state.length !== this.offsets.length) throw invalidState("minimization counts");
    const perFactor = state.map((c) => intArray(c, "minimization counts"));
    if (perFactor.some((c) => c.length % this.k !== 0 || c.some((v) => v < 0))) throw invalidState("minimization counts");
    this.counts = new Float64Array(0);
    this.offsets.fill(0);
    this.ensureLevels(perFactor.map((c) => c.length / this.k));
    perFactor.forEach((c, f) => this.counts.set(c, this.offsets[f]));
  }
  assign(rng: RandomSource, p: CodedParticipant): number {
    const k = this.k;
    const counts = this.counts;
    const ratios = this.ratios;
    const adjusted = this.adjusted;
    const g = this.g;
    const factors = this.weights.length;
    for (let a = 0; a < k; a++) g[a] = 0;
    for (let f = 0; f < factors; f++) {
      const base = this.offsets[f] + p.levels[p.levelOffset + f] * k;
      const weight = this.weights[f];
      for (let j = 0; j < k; j++) adjusted[j] = counts[base + j] / ratios[j];
      // The factor's imbalance at the participant's level if arm a were chosen.
      for (let a = 0; a < k; a++) {
        const saved = adjusted[a];
        adjusted[a] = (counts[base + a] + 1) / ratios[a];
        let min = adjusted[0];
        let max = min;
        let sum = min;
        for (let j = 1; j < k; j++) {
          const v = adjusted[j];
          if (v < min) min = v;
          if (v > max) max = v;
          sum += v;
        }
        let imbalance: number;
        if (this.variance) {
          const mean = sum / k;
          let ss = 0;
          for (let j = 0; j < k; j++) ss += (adjusted[j] - mean) * (adjusted[j] - mean);
          imbalance = ss / (k - 1);
        } else {
          imbalance = max - min;
        }
        adjusted[a] = saved;
        g[a] += weight * imbalance;
      }
    }
    let best = g[0];
    for (let a = 1; a < k; a++) if (g[a] < best) best = g[a];
    // Sums of ratio-adjusted counts are not exact in floating point: equal within 1e-9 is a tie.
    const tolerance = 1e-9 * Math.max(1, best);
    let tied = 0;
    for (let a = 0; a < k; a++) if (g[a] - best <= tolerance) this.minimizers[tied++] = a;
    const arm = chooseMinimizing(rng, this.minimizers, tied, k, this.pPreferred, ratios, this.total);
    for (let f = 0; f < factors; f++) counts[this.offsets[f] + p.levels[p.levelOffset + f] * k + arm] += 1;
    return arm;
  }
}

/**
 * The minimization choice, given the `tied` arms of smallest imbalance in `minimizers`: when all k
 * arms tie (the first participant, say) the draw follows the ratios; otherwise one minimizer, at
 * random among ties, is preferred and gets probability `pPreferred`, the other arms share the rest
 * equally.
 */
export function chooseMinimizing(rng: RandomSource, minimizers: Int8Array, tied: number, k: number, pPreferred: number, ratios: readonly number[], total: number): number {
  if (tied === k) return drawByRatio(rng, ratios, total);
  const preferred = tied === 1 ? minimizers[0] : minimizers[randomInt(rng, tied)];
  if (pPreferred >= 1 || uniform(rng) < pPreferred) return preferred;
  const other = randomInt(rng, k - 1);
  return other >= preferred ? other + 1 : other;
}

/** Cluster randomization: a unit is allocated when its first member arrives; members inherit. */
export class ClusterEngine implements Engine {
  private unitArm: number[] = [];
  constructor(private readonly inner: Engine) {}
  reset(): void {
    this.unitArm = [];
    this.inner.reset();
  }
  save(): EngineState {
    return { units: Array.from(this.unitArm, (a) => (a === undefined ? -1 : a)), inner: this.inner.save() };
  }
  load(state: EngineState): void {
    if (state === null || typeof state !== "object" || Array.isArray(state)) throw invalidState("cluster units");
    const units = intArray(state.units, "cluster units");
    this.inner.load(state.inner);
    this.unitArm = units.map((a) => (a < 0 ? (undefined as unknown as number) : a));
  }
  assign(rng: RandomSource, p: CodedParticipant): number {
    const known = this.unitArm[p.unit];
    if (known !== undefined) return known;
    // The unit's stratum is the participant's stratum (strata of units are unit-level variables).
    const arm = this.inner.assign(rng, p);
    this.unitArm[p.unit] = arm;
    return arm;
  }
}

/**
 * Stepped wedge: the units are put in a random order and spread evenly over the steps (unit at
 * position i of n goes to step ⌊i·steps/n⌋); step j crosses from control to intervention at the
 * start of period `periods − steps + j`. The schedule is drawn once per trial, from the first
 * random source the engine sees (the live allocator passes a dedicated schedule stream).
 */
export class SteppedWedgeEngine implements Engine {
  private crossover: Int32Array | null = null;
  constructor(
    private readonly units: number,
    private readonly periods: number,
    private readonly steps: number,
    private readonly control: number,
    private readonly intervention: number,
  ) {}
  reset(): void {
    this.crossover = null;
  }
  save(): EngineState {
    return this.crossover === null ? null : Array.from(this.crossover);
  }
  load(state: EngineState): void {
    if (state === null) {
      this.crossover = null;
      return;
    }
    const crossover = intArray(state, "stepped-wedge schedule");
    if (crossover.length !== this.units || crossover.some((c) => c < this.periods - this.steps || c >= this.periods)) throw invalidState("stepped-wedge schedule");
    this.crossover = Int32Array.from(crossover);
  }
  /** Draws the schedule: the crossover period of each unit. */
  drawSchedule(rng: RandomSource): Int32Array {
    const order = new Int32Array(this.units);
    for (let i = 0; i < this.units; i++) order[i] = i;
    shuffle(rng, order);
    const crossover = new Int32Array(this.units);
    for (let i = 0; i < this.units; i++) {
      const step = Math.floor((i * this.steps) / this.units);
      crossover[order[i]] = this.periods - this.steps + step;
    }
    this.crossover = crossover;
    return crossover;
  }
  schedule(): Int32Array | null {
    return this.crossover;
  }
  assign(rng: RandomSource, p: CodedParticipant): number {
    const crossover = this.crossover ?? this.drawSchedule(rng);
    return p.period >= crossover[p.unit] ? this.intervention : this.control;
  }
}

/** Builds the engine for a design. */
export function createEngine(shape: EngineShape): Engine {
  const ratios = shape.arms.map((a) => a.ratio);
  const d = shape.design;
  switch (d.type) {
    case "simple":
      return new SimpleEngine(ratios);
    case "blocked":
    case "stratified":
      return new BlockEngine(ratios, d.block_sizes);
    case "minimization":
      return new MinimizationEngine(
        ratios,
        d.factors.map((f) => f.weight),
        shape.factorLevels ?? d.factors.map(() => 0),
        d.imbalance === "variance",
        d.p_preferred,
      );
    case "cluster":
      return new ClusterEngine(d.block_sizes ? new BlockEngine(ratios, d.block_sizes) : new SimpleEngine(ratios));
    case "stepped_wedge": {
      const control = shape.arms.findIndex((a) => a.control);
      if (shape.arms.length !== 2 || control < 0) throw new Error("stepped wedge needs exactly two arms, one of them the control");
      if (!shape.units) throw new Error("stepped wedge needs its list of units (sites) up front");
      return new SteppedWedgeEngine(shape.units, d.periods, d.steps, control, 1 - control);
    }
  }
}
