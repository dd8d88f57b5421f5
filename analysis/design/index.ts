/**
 * Assignment designs: the public surface.
 *
 * A trial's design (the protocol's `design:` section, protocols/design-schema.ts) is described
 * once, in engine.ts, as a small state machine over integer-coded participants, and driven two ways:
 *
 * - live, by `Allocator`: one participant at a time (`{ site, covariates, enrolled_at? }` in,
 *   `{ arm, stratum, sequence }` out), each draw from HMAC-SHA-256 keyed by the trial's 256-bit
 *   seed over "virker/v1|allocation|<sequence>|<block>". Unpredictable without the seed,
 *   reproducible with it; the published commitment is `seedCommitment(seed)` = SHA-256 of the seed
 *   bytes. The state between calls is JSON (`state()` / `Allocator.restore`) and can also be
 *   rebuilt by replaying the history (`Allocator.replay`), which checks every stored arm.
 *   `allocateAll` is the auditor's re-derivation in file order.
 * - in batch, by `Rerandomizer`: the same engine over the whole realized data set, once per draw,
 *   with a fast seeded generator, writing arm indices into an Int8Array (randomization inference,
 *   power simulation). Fed the same random source, both paths give the same sequence.
 *
 * The designs:
 *
 * - `simple`: every participant independently, arm k with probability ratio_k / Σ ratio. In
 *   re-randomization the default is the conditional version that keeps the realized arm sizes
 *   (complete randomization: a random permutation of the realized assignment), the usual
 *   randomization test for a completed trial.
 * - `blocked`: permuted blocks (Rosenberger & Lachin 2016, ch. 3). Each block holds exactly the
 *   ratio (its size is a multiple of the ratio sum) in random order; with several block sizes each
 *   block's size is drawn at random from the list. Within a sequence, an arm's count never strays
 *   from its ratio share by more than half the largest block (two arms 1:1: |n₁ − n₀| ≤ max/2).
 * - `stratified`: one independent permuted-block sequence per stratum, a stratum being the
 *   combination of the participant's site and/or categorical covariates listed in `strata`.
 * - `minimization`: Pocock & Simon (1975, Biometrics 31:103–115). For each candidate arm, the
 *   imbalance of each factor at the participant's level (range, or variance, of the arms' counts
 *   divided by their ratios, as if the participant joined that arm) is summed with the factors'
 *   weights; the arm with the smallest sum (at random among ties) gets probability `p_preferred`,
 *   the other arms share the rest equally; when every arm ties (the first participant) the draw
 *   follows the ratios. Bounds (tested): with `p_preferred: 1` and one factor, the range of the
 *   ratio-adjusted counts at every level stays ≤ 1, for any number of arms and ratios; with
 *   p < 1 there is no hard bound, but for two arms 1:1 and one factor a level's difference
 *   D = n₁ − n₀ is a birth–death chain (towards 0 with probability p) whose long-run law is
 *   P(|D| = j) ∝ (1/p)((1−p)/p)^(j−1) for j ≥ 1 and ∝ 1 for j = 0: for p = 0.8, |D| ≥ 4 at an even
 *   count has probability ≈ 1.6%. With several factors each marginal is only balanced on average.
 * - `cluster`: the unit (site, or a covariate such as a jobcentre team) is allocated when its first
 *   member arrives, by permuted blocks within strata of units if `block_sizes` is given, else by
 *   simple randomization; members inherit the unit's arm.
 * - `stepped_wedge`: Hussey & Hughes (2007, Contemp Clin Trials 28:182–191). The units are put in
 *   a random order (drawn once, from the seed) and spread evenly over the steps; the units of step
 *   j cross from control to intervention at the start of period `periods − steps + j`. A
 *   participant's arm follows from the period of `enrolled_at`; enrollment outside the periods, or
 *   at a unit not declared up front, is an error.
 *
 * Live allocation of a participant whose stratum, factor or unit variable is missing throws
 * `DesignInputError` naming the variable (Danish and English message); the state is unchanged.
 *
 * Predictability: `convergenceGuessRate` scores a sequence against the convergence strategy of
 * Blackwell & Hodges (1957, Ann Math Stat 28:449–460): guess the arm furthest behind its ratio
 * share in the participant's stratum, at random among ties.
 */
export { allocateAll, Allocator, keyedSources, type Allocation, type AllocationSources, type AllocatorState } from "./allocator.ts";
export { designVariables, DesignInputError, type CoderState, type DesignParticipant, type TrialDesign } from "./coder.ts";
export { Rerandomizer, type RerandomizeOptions } from "./rerandomize.ts";
export { convergenceGuessRate } from "./predictability.ts";
export { fastStream, keyedStream, newSeed, parseSeed, randomInt, SeedError, seedCommitment, shuffle, uniform, type RandomSource } from "./random.ts";
export { createEngine, type CodedParticipant, type Engine, type EngineState } from "./engine.ts";
export { trialDesignOf, type ProtocolDesignView } from "./from-protocol.ts";
