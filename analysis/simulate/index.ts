/**
 * The trial simulator: seeded synthetic citizens with Danish target-group mixes, effects from the
 * literature with one pre-specified "for whom" modifier, weekly register histories, an enrollment
 * schedule of API request bodies, and the truth written next to the data. Pure: no I/O (the
 * `virker simulate` command writes the files). Identifiers are fake and CPR-shaped (fake-cpr.ts).
 */
export {
  allocate,
  allocationSeed,
  followUpWeeks,
  realize,
  simulatePopulation,
  simulateTrial,
  type ObservedParticipant,
  type Participant,
  type SimulatedData,
  type SimulatedPopulation,
  type SimulatedTrial,
  type SimulateOptions,
} from "./trial.ts";
export { computeTruth, type EffectTruth, type LevelTruth, type SubgroupTruth, type Truth } from "./truth.ts";
export { SCENARIOS, scenarioFor, type Anchor, type CovariateDraw, type DrawContext, type Scenario } from "./scenarios.ts";
export { failureKinds, type Citizen } from "./citizens.ts";
export { bodyOf, type EnrollmentAttempt, type EnrollmentBody } from "./schedule.ts";
export { CODES, CODE_CATEGORY, type Code, type WeekCategory } from "./register-codes.ts";
export { deriveOutcome, endOfObservation, type DerivedValue, type PersonWeeks } from "./register-outcomes.ts";
export { fakeCpr, birthDateForAge } from "./fake-cpr.ts";
export { weekLabel, weekOfDate } from "./weeks.ts";
