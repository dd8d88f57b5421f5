/**
 * The content of an evidence package's `evidence.json`: the plan's results (`runPlan`) with the
 * package sections added — CONSORT flow, cost-effectiveness, "for whom" sentences and ratings —
 * and the link to the package it re-analyses. Pure and deterministic: `virker verify` calls this
 * same function on the package's own data and compares every number.
 */
import type { Protocol } from "../../protocols/index.ts";
import { runPlan, type DataSet, type PlanOptions } from "../plan.ts";
import { consortFlow, type ConsortCounts } from "./consort.ts";
import { costEffectiveness } from "./cost-effectiveness.ts";
import { forWhom } from "./for-whom.ts";
import { progressionSection, type ProgressionData } from "./progression.ts";
import { ratings } from "./ratings.ts";
import type { Evidence } from "./schema.ts";

export interface EvidenceOptions extends PlanOptions, ConsortCounts {
  /** Id of the package this one re-analyses (null for the first). */
  predecessor?: string | null;
  /**
   * The randomized participants and their progression measurements in force, for a protocol with
   * a progression instrument: gives the `progression` section. Without them there is none.
   */
  progression?: ProgressionData;
}

export function buildEvidence(protocol: Protocol, data: DataSet, options: EvidenceOptions = {}): Evidence {
  return completeEvidence(protocol, data, runPlan(protocol, data, options), options);
}

/**
 * The package sections added to a plan's results. `buildEvidence` is `runPlan` then this; a caller
 * that computes the randomization draws elsewhere may run the plan without them, fill in
 * `randomization_inference` (`combineRandomizationCounts`) and then call this: the same evidence.
 */
export function completeEvidence(protocol: Protocol, data: DataSet, plan: Evidence, options: EvidenceOptions = {}): Evidence {
  const consort = consortFlow(protocol, data, options);
  return {
    ...plan,
    consort,
    cost_effectiveness: costEffectiveness(protocol, plan),
    for_whom: forWhom(protocol, plan),
    ratings: ratings(protocol, plan, consort),
    ...(protocol.progression && options.progression ? { progression: progressionSection(protocol, options.progression) } : {}),
    predecessor: options.predecessor ?? null,
  };
}
