/**
 * The live, stepwise allocator: one participant at a time, in enrollment order, state carried
 * between calls. Participant number `sequence` (1-based) draws from the keyed stream
 * HMAC-SHA-256(seed, "virker/v1|allocation|<sequence>|<block>"), so an allocation depends on the
 * seed, the design and the order of enrollment only. After a restart the state is rebuilt by
 * replaying the trial's history (`Allocator.replay`), which also checks every stored arm, or from
 * the JSON state it saved (`allocator.state()`, `Allocator.restore`).
 */
import { createEngine, MinimizationEngine, SteppedWedgeEngine, type Engine, type EngineState } from "./engine.ts";
import { ParticipantCoder, type CoderState, type DesignParticipant, type TrialDesign } from "./coder.ts";
import { keyedStream, parseSeed, type RandomSource } from "./random.ts";

export interface Allocation {
  arm: string;
  /** The stratum (or unit, or unit and period) label the design used; null when it has none. */
  stratum: string | null;
  /** 1-based position in the trial's allocation order. */
  sequence: number;
}

/**
 * Where the live allocator's randomness comes from. A live trial uses `keyedSources(seed)`, the
 * default; tests and simulations may pass other sources (one shared fast stream, say, to check
 * that the live path and the batch path give the same sequence).
 */
export interface AllocationSources {
  /** The stream that draws a stepped wedge's schedule, once per trial. */
  schedule(): RandomSource;
  /** The stream for participant number `sequence` (1-based). */
  forSequence(sequence: number): RandomSource;
}

/** The keyed cryptographic sources of a live trial: HMAC-SHA-256 keyed by the seed. */
export function keyedSources(seed: Uint8Array): AllocationSources {
  return {
    schedule: () => keyedStream(seed, "stepped-wedge-schedule"),
    forSequence: (sequence) => keyedStream(seed, `allocation|${sequence}`),
  };
}

/** The allocator's state between calls, as JSON: enough to carry on without replaying. */
export interface AllocatorState {
  version: 1;
  /** The design and arms the state belongs to (checked on restore). */
  design: string;
  allocated: number;
  coder: CoderState;
  engine: EngineState;
}

function designKey(trial: TrialDesign): string {
  return JSON.stringify({ arms: trial.arms.map((a) => [a.id, a.ratio, a.control]), design: trial.design });
}

export class Allocator {
  private readonly sources: AllocationSources;
  private readonly engine: Engine;
  private readonly coder: ParticipantCoder;
  private readonly coded = { stratum: 0, levels: [] as number[], levelOffset: 0, unit: 0, period: 0 };
  private count = 0;

  /**
   * @param seedHex the trial's 256-bit seed as 64 hex digits (validated; `SeedError` otherwise).
   * @param options.sources other random sources, for tests and simulation only.
   */
  constructor(
    private readonly trial: TrialDesign,
    seedHex: string,
    options: { sources?: AllocationSources } = {},
  ) {
    const seed = parseSeed(seedHex);
    this.sources = options.sources ?? keyedSources(seed);
    this.coder = new ParticipantCoder(trial);
    this.engine = createEngine({ arms: trial.arms, design: trial.design, factorLevels: this.coder.factorLevelCounts(), units: this.coder.units.size });
    if (this.engine instanceof SteppedWedgeEngine) this.engine.drawSchedule(this.sources.schedule());
  }

  /** How many have been allocated; the next allocation gets sequence number `allocated + 1`. */
  get allocated(): number {
    return this.count;
  }

  /** The stepped wedge's crossover period (0-based) per unit, or null for other designs. */
  schedule(): Map<string, number> | null {
    if (!(this.engine instanceof SteppedWedgeEngine)) return null;
    const crossover = this.engine.schedule()!;
    return new Map([...this.coder.units].map(([unit, i]) => [unit, crossover[i]]));
  }

  /**
   * Allocates the next participant. Throws `DesignInputError` (naming the variable) when the design
   * cannot place them; the allocator's state is then unchanged.
   */
  allocate(participant: DesignParticipant): Allocation {
    const stratum = this.coder.code(participant, this.coded);
    if (this.engine instanceof MinimizationEngine) this.engine.ensureLevels(this.coder.factorLevelCounts());
    const sequence = this.count + 1;
    const armIndex = this.engine.assign(this.sources.forSequence(sequence), this.coded);
    this.count++;
    return { arm: this.trial.arms[armIndex].id, stratum, sequence };
  }

  /** The state carried between calls, as plain JSON (`JSON.stringify` it to store it). */
  state(): AllocatorState {
    return { version: 1, design: designKey(this.trial), allocated: this.count, coder: this.coder.save(), engine: this.engine.save() };
  }

  /**
   * An allocator that carries on from a saved state. The state must belong to the same design and
   * arms; the seed is not in the state and must be the trial's.
   */
  static restore(trial: TrialDesign, seedHex: string, state: AllocatorState, options: { sources?: AllocationSources } = {}): Allocator {
    if (state?.version !== 1) throw new Error("invalid allocator state: unknown version");
    if (state.design !== designKey(trial)) throw new Error("invalid allocator state: saved for another design or other arms");
    if (!Number.isInteger(state.allocated) || state.allocated < 0) throw new Error("invalid allocator state: allocated count");
    const allocator = new Allocator(trial, seedHex, options);
    allocator.coder.load(state.coder);
    allocator.engine.load(state.engine);
    allocator.count = state.allocated;
    return allocator;
  }

  /**
   * Rebuilds an allocator from a trial's history in sequence order, checking each stored arm.
   * @throws if a stored arm differs from the one the seed and design give.
   */
  static replay(trial: TrialDesign, seedHex: string, history: Iterable<DesignParticipant & { arm: string }>): Allocator {
    const allocator = new Allocator(trial, seedHex);
    for (const row of history) {
      const a = allocator.allocate(row);
      if (a.arm !== row.arm) throw new Error(`allocation ${a.sequence} does not replay: stored ${row.arm}, design gives ${a.arm}`);
    }
    return allocator;
  }
}

/**
 * Allocates participants in the given order: what an auditor runs to re-derive a trial's
 * allocations from the revealed seed. Same seed and input give the same output.
 */
export function allocateAll(trial: TrialDesign, seedHex: string, participants: readonly DesignParticipant[]): { id: string; arm: string; stratum: string | null; sequence: number }[] {
  const allocator = new Allocator(trial, seedHex);
  return participants.map((p, i) => {
    const a = allocator.allocate(p);
    return { id: p.id ?? String(i + 1), ...a };
  });
}
