/**
 * The live, stepwise allocator: one participant at a time, in enrollment order, state carried
 * between calls. Participant number `sequence` (1-based) draws from the keyed stream
 * HMAC-SHA-256(seed, "virker/v1|allocation|<sequence>|<block>"), so an allocation depends on the
 * seed, the design and the order of enrollment only. After a restart the state is rebuilt by
 * replaying the trial's history (`Allocator.replay`), which also checks every stored arm.
 */
import { createEngine, MinimizationEngine, SteppedWedgeEngine, type Engine } from "./engine.ts";
import { ParticipantCoder, type DesignParticipant, type TrialDesign } from "./coder.ts";
import { keyedStream, parseSeed } from "./random.ts";

export interface Allocation {
  arm: string;
  /** The stratum (or unit, or unit and period) label the design used; null when it has none. */
  stratum: string | null;
  /** 1-based position in the trial's allocation order. */
  sequence: number;
}

export class Allocator {
  private readonly seed: Uint8Array;
  private readonly engine: Engine;
  private readonly coder: ParticipantCoder;
  private readonly coded = { stratum: 0, levels: [] as number[], levelOffset: 0, unit: 0, period: 0 };
  private count = 0;

  constructor(
    private readonly trial: TrialDesign,
    seedHex: string,
  ) {
    this.seed = parseSeed(seedHex);
    this.coder = new ParticipantCoder(trial);
    this.engine = createEngine({ arms: trial.arms, design: trial.design, factorLevels: this.coder.factorLevelCounts(), units: this.coder.units.size });
    if (this.engine instanceof SteppedWedgeEngine) this.engine.drawSchedule(keyedStream(this.seed, "stepped-wedge-schedule"));
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
    const armIndex = this.engine.assign(keyedStream(this.seed, `allocation|${sequence}`), this.coded);
    this.count++;
    return { arm: this.trial.arms[armIndex].id, stratum, sequence };
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
