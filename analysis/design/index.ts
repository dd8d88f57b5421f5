/** Assignment designs: the public surface. */
export { allocateAll, Allocator, type Allocation } from "./allocator.ts";
export { DesignInputError, type DesignParticipant, type TrialDesign } from "./coder.ts";
export { Rerandomizer, type RerandomizeOptions } from "./rerandomize.ts";
export { convergenceGuessRate } from "./predictability.ts";
export { fastStream, keyedStream, newSeed, parseSeed, randomInt, SeedError, seedCommitment, shuffle, uniform, type RandomSource } from "./random.ts";
export { createEngine, type CodedParticipant, type Engine } from "./engine.ts";
export { trialDesignOf } from "./from-protocol.ts";
