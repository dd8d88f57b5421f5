/** The public analysis API: everything other layers may import from analysis/. */
// Time to event and meta-analysis
export {
  type ArmLabel,
  type KaplanMeierCurve,
  type KaplanMeierFit,
  type SurvivalArms,
  type SurvivalAtTimes,
  type SurvivalOptions,
  curveMedian,
  kaplanMeier,
  kaplanMeierCurve,
  survivalArms,
  survivalAt,
} from "./estimators/kaplan-meier.ts";
export { type LogrankResult, logrank } from "./estimators/logrank.ts";
export { type RestrictedMean, type RmstDifference, restrictedMean, rmstDifference } from "./estimators/rmst.ts";
export { type ChisqTest, type CoxData, type CoxFit, type CoxOptions, type HazardRatio, coxPH } from "./estimators/cox.ts";
export { type MetaAnalysis, type MetaAnalysisOptions, type MetaMethod, metaAnalysis } from "./estimators/meta-analysis.ts";
// Balance, attrition, Lee bounds and power
export {
  type BalanceOptions,
  type CovariateBalance,
  type CovariateKind,
  type WwcEquivalenceBand,
  balanceTable,
  covariateBalance,
  hedgesCorrection,
  wwcEquivalenceBand,
} from "./estimators/balance.ts";
export {
  type AttritionAssumption,
  type AttritionLevel,
  type AttritionOptions,
  type AttritionResult,
  WWC_ATTRITION_BOUNDARY,
  attrition,
  classifyAttrition,
  observedFromValues,
  wwcAttritionBoundary,
} from "./estimators/attrition.ts";
export { type LeeBounds, type LeeBoundsOptions, leeBounds } from "./estimators/lee-bounds.ts";
export {
  type ClusterDesign,
  type ContrastPower,
  type MdeResult,
  type PowerDesign,
  type PowerOptions,
  type PowerOutcome,
  type PowerResult,
  type PowerSimulation,
  type SampleSize,
  type SimulatedPower,
  minimumDetectableEffect,
  noncentralTUpper,
  powerAt,
  requiredSampleSize,
  simulatePower,
  standardNormal,
} from "./power.ts";
// Linear-model estimators, subgroups and multiplicity
export {
  type DifferenceInMeansOptions,
  armMoments,
  checkOutcomeAndTreatment,
  differenceInMeans,
  riskDifference,
} from "./estimators/difference-in-means.ts";
export { type BlockedOptions, differenceInMeansBlocked } from "./estimators/difference-in-means-blocked.ts";
export { type ClusteredOptions, differenceInMeansClustered } from "./estimators/difference-in-means-clustered.ts";
export { type OlsFit, type OlsOptions, type SeType, lmRobust, olsFit, olsTerm } from "./estimators/ols.ts";
export { type Covariate, type LmLinOptions, expandCovariates, lmLin } from "./estimators/lm-lin.ts";
export { type StrataFixedEffectsOptions, strataFixedEffects } from "./estimators/strata-fixed-effects.ts";
export { type RiskRatioOptions, riskRatio } from "./estimators/risk-ratio.ts";
export { type SubgroupAnalysis, type SubgroupOptions, subgroupAnalysis } from "./estimators/interaction.ts";
export { type Iv2slsOptions, iv2sls } from "./estimators/iv-2sls.ts";
export { benjaminiHochberg, holm } from "./multiplicity.ts";
// Progression: a repeated outcome over planned weeks
export {
  type CompletenessRow,
  type InstrumentView,
  type Measurement,
  type Participant as ProgressionParticipant,
  type ProgressionPanel,
  buildPanel,
  completeness,
  progressionTotal,
} from "./progression/panel.ts";
export { type PlannedWeekWindow, type WindowAssignment, assignToPlannedWeeks } from "./progression/windows.ts";
export { type AncovaOptions, type ProgressionAncovaOptions, ancova, progressionAncova } from "./progression/ancova.ts";
export { type RandomInterceptFit, type RandomInterceptOptions, randomInterceptFit, randomInterceptTerm } from "./progression/random-intercept.ts";
export { type MilestoneTimes, milestoneTimes } from "./progression/milestone.ts";
export { type ProgressionAnalysis, analyzeProgression } from "./progression/progression-analysis.ts";
export { type ProgressionMixedModel, type ProgressionMixedModelOptions, progressionMixedModel } from "./progression/mixed-model.ts";
export { type Bilingual, type ProgressionEffect, ASSUMPTIONS as PROGRESSION_ASSUMPTIONS, TOTAL as PROGRESSION_TOTAL } from "./progression/result.ts";
// Trial simulation (synthetic citizens, register histories, enrollment schedule, truth)
export {
  type EffectTruth,
  type EnrollmentAttempt,
  type Scenario,
  type SimulatedPopulation,
  type SimulatedTrial,
  type SimulateOptions,
  type Truth,
  realize,
  scenarioFor,
  simulatePopulation,
  simulateTrial,
} from "./simulate/index.ts";
// The analysis plan and evidence packages (content; signing and files are api/evidence/)
export { type DataColumn, type DataSet, type PlanOptions, runPlan } from "./plan.ts";
export { type RandomizationCounts, type RandomizationSettings, combineRandomizationCounts, randomizationCounts, streamDraws } from "./randomization-inference.ts";
export { type EvidenceOptions, buildEvidence } from "./evidence/package.ts";
export { type ConsortCounts, consortFlow } from "./evidence/consort.ts";
export { costEffectiveness } from "./evidence/cost-effectiveness.ts";
export { forWhom } from "./evidence/for-whom.ts";
export { beneficial, danishEvidenceLevel, eefPadlocks, jobeffekterWeight, primaryEffects, ratings, wwcRating } from "./evidence/ratings.ts";
export { kaplanMeierPlot, siteForestPlot, subgroupForestPlot, trajectoryPlot } from "./evidence/plots.ts";
export { progressionSection } from "./evidence/progression.ts";
export { progressionStatements } from "./evidence/progression-words.ts";
export { progressionTables } from "./evidence/progression-report.ts";
export { type ReportContext, reportHtml } from "./evidence/report.ts";
export { type Cell, type Table, evidenceTables, tableCsv } from "./evidence/tables.ts";
export * from "./evidence/schema.ts";
