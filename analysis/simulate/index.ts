/**
 * The trial simulator: seeded synthetic citizens with Danish target-group mixes, effects from the
 * literature with one pre-specified "for whom" modifier, weekly register histories, an enrollment
 * schedule of API request bodies, and the truth written next to the data. Pure: no I/O (the
 * `virker simulate` command writes the files). Identifiers are fake and CPR-shaped (fake-cpr.ts).
 *
 * Through the API (a demonstration):
 *
 *   const population = simulatePopulation(protocol, { n: 600, seed: 1 });
 *   // for each attempt of population.schedule, in order, with the clock at attempt.at:
 *   //   POST /v1/trials/{trial}/enrollments with attempt.body and the token of attempt.site;
 *   //   the answer is 201 / 200 / 422 as attempt.expect says; keep body.cpr → answer.arm
 *   const data = realize(population, armsByCpr);  // withdrawals: data.observed[i].withdrawnOn
 *   data.registerRows();                           // the extract: person (fake CPR), week, code
 *   population.truth;                              // what the evidence package should find
 *
 * Standalone: `simulateTrial(protocol, { n, seed })` allocates with the protocol's own design.
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
