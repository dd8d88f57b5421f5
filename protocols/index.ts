/** The protocol language: its public surface. */
export {
  ProtocolSchema,
  LabelSchema,
  ArmSchema,
  SiteSchema,
  CovariateSchema,
  OutcomeSchema,
  SubgroupSchema,
  AnalysisSchema,
  PowerSchema,
  EconomicsSchema,
  ConditionSchema,
  RuleSchema,
  DerivationParamSchemas,
  TARGET_GROUPS,
  DERIVATION_NAMES,
  DERIVATION_OUTCOME_TYPE,
  ESTIMATORS,
  ESTIMATORS_FOR_TYPE,
  SURVIVAL_BUNDLE,
  OUTCOME_TYPES,
  categoryLevels,
  outcomeColumns,
  outcomeEstimators,
  multiplicityMethods,
  designArms,
  subgroupId,
  subgroupLevels,
  subgroupLevelOf,
} from "./schema.ts";
export type {
  Protocol,
  ProtocolInput,
  Label,
  Arm,
  Site,
  Covariate,
  CovariateType,
  Outcome,
  OutcomeType,
  Subgroup,
  Estimator,
  Condition,
  Rule,
  TargetGroup,
  DerivationName,
} from "./schema.ts";
export {
  ProgressionSchema,
  ProgressionInstrumentSchema,
  ProgressionFactorSchema,
  PlannedWeekSchema,
  PROGRESSION_ESTIMATORS,
  totalFactors,
  totalRange,
  type Progression,
  type ProgressionInstrument,
  type ProgressionFactor,
  type PlannedWeek,
  type ProgressionEstimator,
} from "./progression-schema.ts";
export { DesignSchema, type Design, type DesignType, type DesignArm } from "./design-schema.ts";
export { loadProtocol, validateProtocolData, formatProblem, formatPath, type LoadResult, type ProtocolProblem } from "./load.ts";
export { canonicalJson, protocolHash } from "./canonical.ts";
export { crossFieldIssues, CROSS_FIELD_RULES, type RuleIssue } from "./cross-field.ts";
export {
  checkEligibility,
  validateCovariates,
  evaluateCondition,
  siteOpen,
  type EligibilityInput,
  type EligibilityFailure,
  type CovariateProblem,
  type CovariateValue,
} from "./eligibility.ts";
export { checkOutcomeValue, type OutcomeValueCheck } from "./outcome-values.ts";
export { protocolJsonSchema } from "./json-schema.ts";
