/**
 * Rules that relate one part of a protocol to another. Each rule is its own function with its
 * own message, and every rule runs on the document as written even when the schema found shape
 * problems elsewhere, so one validation run reports every problem. Rules therefore read the
 * document defensively: a field of the wrong shape is the schema's problem, not a rule's.
 *
 * Messages are Danish, then English: "dansk / English".
 */
import { obj, type Obj, type RuleIssue } from "./rules/document.ts";
import { adjustmentCovariatesDeclared, eligibilityRulesTyped, estimatorsFitOutcomes, outcomeDefinitions, powerClaimComplete, primaryOutcomeExists, subgroupVariables } from "./rules/outcomes.ts";
import { progressionInstrument } from "./rules/progression.ts";
import { blockSizesFitRatios, clusterNamesUnit, designVariablesDeclared, oneControlArm, positiveIntegerRatios, steppedWedgeShape, uniqueIdsAndSiteWindows } from "./rules/structure.ts";

export type { PathSegment, RuleIssue } from "./rules/document.ts";

/** Every cross-field rule, by name, in the order they run. */
export const CROSS_FIELD_RULES: Record<string, (doc: Obj) => RuleIssue[]> = {
  oneControlArm,
  positiveIntegerRatios,
  blockSizesFitRatios,
  designVariablesDeclared,
  clusterNamesUnit,
  steppedWedgeShape,
  uniqueIdsAndSiteWindows,
  subgroupVariables,
  primaryOutcomeExists,
  adjustmentCovariatesDeclared,
  outcomeDefinitions,
  estimatorsFitOutcomes,
  eligibilityRulesTyped,
  powerClaimComplete,
  progressionInstrument,
};

/** Runs every cross-field rule over a document (any shape). */
export function crossFieldIssues(doc: unknown): RuleIssue[] {
  const d = obj(doc);
  return Object.values(CROSS_FIELD_RULES).flatMap((rule) => rule(d));
}
