/**
 * The batch re-randomizer: re-runs a trial's own design over its realized participants, many times,
 * for randomization inference and power simulation. Participants are coded once; each draw runs the
 * same engine as live allocation (engine.ts) with a fast generator and writes arm indices into a
 * caller's Int8Array, with no per-row objects. Permuted blocks with a fast stream take the same
 * draws in one tight loop instead (`BlockBatch`); tests/analysis/design/paths.test.ts holds every
 * design's batch draws to the live allocator's.
 *
 * For a `simple` design the default is the conditional test: keep the realized arm sizes and draw a
 * random permutation of the realized assignment (complete randomization), the usual randomization
 * test for a completed trial (Rosenberger & Lachin 2016, ch. 6).
 */
import { createEngine, SteppedWedgeEngine, type Engine } from "./engine.ts";
import { ParticipantCoder, type DesignParticipant, type TrialDesign } from "./coder.ts";
import { fastBelow, fastState, shuffle, type RandomSource } from "./random.ts";

/**
 * Permuted blocks (the blocked and stratified designs) over a whole data set with a fast stream:
 * the same words, in the same order, as `BlockEngine.assign` one participant at a time (draw the
 * block size if there are several, lay out the ratio, Fisher–Yates from the end), with the
 * generator stepped inline and every stratum's block in one buffer, so that a draw allocates
 * nothing and calls nothing per participant. Randomization inference spends its time here.
 */
class BlockBatch {
  /** Per block size, the unshuffled block: arm k repeated ratio_k · size / Σ ratio times. */
  private readonly layouts: Int8Array[];
  private readonly largest: number;
  private readonly blocks: Int8Array;
  private readonly size: Int32Array;
  private readonly position: Int32Array;
  constructor(ratios: readonly number[], blockSizes: readonly number[], strata: number) {
    const total = ratios.reduce((a, b) => a + b, 0);
    this.layouts = blockSizes.map((size) => Int8Array.from(ratios.flatMap((r, k) => Array<number>((r * size) / total).fill(k))));
    this.largest = Math.max(...blockSizes);
    this.blocks = new Int8Array(strata * this.largest);
    this.size = new Int32Array(strata);
    this.position = new Int32Array(strata);
  }
  draw(s: Int32Array, stratum: Int32Array, out: Int8Array): void {
    const { blocks, size, position, layouts, largest } = this;
    const choices = layouts.length;
    size.fill(0);
    position.fill(0);
    for (let i = 0; i < stratum.length; i++) {
      const t = stratum[i];
      const base = t * largest;
      let at = position[t];
      if (at === size[t]) {
        const layout = choices === 1 ? layouts[0] : layouts[fastBelow(s, choices)];
        const n = layout.length;
        for (let k = 0; k < n; k++) blocks[base + k] = layout[k];
        for (let k = n - 1; k > 0; k--) {
          const j = base + fastBelow(s, k + 1);
          const v = blocks[base + k];
          blocks[base + k] = blocks[j];
          blocks[j] = v;
        }
        size[t] = n;
        at = 0;
      }
      out[i] = blocks[base + at];
      position[t] = at + 1;
    }
  }
}

export interface RerandomizeOptions {
  /** The realized arm index of each participant (needed for the conditional simple design). */
  realized?: ArrayLike<number>;
  /** For `simple` designs: keep the realized arm sizes (default true when `realized` is given). */
  conditionOnArmSizes?: boolean;
}

export class Rerandomizer {
  readonly n: number;
  private readonly engine: Engine;
  /** Each participant's stratum index (in order of first appearance), as coded for the design. */
  readonly stratum: Int32Array;
  private readonly levels: Int32Array;
  private readonly unit: Int32Array;
  private readonly period: Int32Array;
  private readonly factors: number;
  private readonly permute: Int8Array | null;
  private readonly blocks: BlockBatch | null;
  /** Describes what one draw does, for the evidence package. */
  readonly description: string;

  /** `participants` in their original allocation order. */
  constructor(trial: TrialDesign, participants: readonly DesignParticipant[], options: RerandomizeOptions = {}) {
    const n = (this.n = participants.length);
    const coder = new ParticipantCoder(trial);
    this.factors = coder.factorVars.length;
    this.stratum = new Int32Array(n);
    this.levels = new Int32Array(n * this.factors);
    this.unit = new Int32Array(n);
    this.period = new Int32Array(n);
    const coded = { stratum: 0, levels: this.levels, levelOffset: 0, unit: 0, period: 0 };
    for (let i = 0; i < n; i++) {
      coded.levelOffset = i * this.factors;
      coder.code(participants[i], coded);
      this.stratum[i] = coded.stratum;
      this.unit[i] = coded.unit;
      this.period[i] = coded.period;
    }
    this.engine = createEngine({ arms: trial.arms, design: trial.design, factorLevels: coder.factorLevelCounts(), units: coder.units.size });
    const d = trial.design;
    this.blocks = d.type === "blocked" || d.type === "stratified" ? new BlockBatch(trial.arms.map((a) => a.ratio), d.block_sizes, Math.max(1, coder.strata.size)) : null;
    if (options.conditionOnArmSizes === true && trial.design.type !== "simple") {
      throw new Error(`conditionOnArmSizes applies to the simple design only; a ${trial.design.type} design is re-run as it was`);
    }
    if (options.conditionOnArmSizes === true && options.realized === undefined) throw new Error("conditionOnArmSizes needs the realized arms (option realized)");
    const condition = trial.design.type === "simple" && options.realized !== undefined && options.conditionOnArmSizes !== false;
    if (condition) {
      if (options.realized!.length !== n) throw new Error(`realized arms: ${options.realized!.length} values for ${n} participants`);
      this.permute = Int8Array.from(options.realized!);
      if (this.permute.some((a) => a < 0 || a >= trial.arms.length)) throw new Error(`realized arms: values must be arm indices 0..${trial.arms.length - 1}`);
      const sizes = trial.arms.map((_, k) => this.permute!.reduce((c, a) => c + (a === k ? 1 : 0), 0));
      this.description = `complete randomization keeping the realized arm sizes (${sizes.join(" / ")} of ${n})`;
    } else {
      this.permute = null;
      this.description = `the protocol's ${trial.design.type.replace("_", " ")} design re-run over the ${n} participants in enrollment order`;
    }
  }

  /** One re-randomization: fills `out` (length n) with arm indices. */
  draw(rng: RandomSource, out: Int8Array): void {
    if (this.permute) {
      out.set(this.permute);
      shuffle(rng, out);
      return;
    }
    const fast = this.blocks && fastState(rng);
    if (fast) {
      this.blocks!.draw(fast, this.stratum, out);
      return;
    }
    this.engine.reset();
    if (this.engine instanceof SteppedWedgeEngine) this.engine.drawSchedule(rng);
    const p = { stratum: 0, levels: this.levels as ArrayLike<number>, levelOffset: 0, unit: 0, period: 0 };
    for (let i = 0; i < this.n; i++) {
      p.stratum = this.stratum[i];
      p.levelOffset = i * this.factors;
      p.unit = this.unit[i];
      p.period = this.period[i];
      out[i] = this.engine.assign(rng, p);
    }
  }
}
