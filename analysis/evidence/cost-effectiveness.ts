/**
 * Cost-effectiveness of each arm against control, from the protocol's costs and economics and the
 * plan's effect estimates (the intention-to-treat effects, subgroup null).
 *
 * - Cost per participant per arm: the protocol's `cost.dkk_per_participant`; incremental cost
 *   ΔC = C_arm − C_control (known, not estimated: no uncertainty from costs).
 * - "In work or education": the primary outcome if it is binary with `benefit: higher`, else the
 *   first such binary outcome. Its risk difference RD (the plan's `risk_difference`, else its
 *   `difference_in_means`) with CI. Incremental cost per additional person: ΔC / RD, only when RD
 *   > 0 (otherwise there is no additional person to pay for; null with a note).
 * - Number needed to treat NNT = 1 / RD, with the interval [1 / RD_upper, 1 / RD_lower] when the
 *   CI of RD excludes 0 (Altman 1998, BMJ 317:1309, doi:10.1136/bmj.317.7168.1309); when it
 *   includes 0 the NNT interval runs through infinity and is reported as null with a note.
 * - Weeks of self-support: the first outcome derived as `weeks_self_supporting`, its difference in
 *   means Δw with CI, valued at the protocol's `economics.weekly_benefit_dkk` B and discounted to
 *   the time of enrollment at the yearly rate r from the middle of the outcome's window
 *   (m weeks): factor f = (1 + r)^(−m/52).
 * - Net gain per participant: Δw · B · f − ΔC, with the interval from Δw's CI (costs are known).
 *   It counts the benefit saved by the public purse only, not taxes paid or wellbeing.
 */
import type { Protocol } from "../../protocols/index.ts";
import type { CostEffectiveness, Evidence, ResultRow } from "./schema.ts";

function effect(evidence: Pick<Evidence, "results">, outcome: string, arm: string, estimators: string[]): ResultRow | null {
  for (const estimator of estimators) {
    const row = evidence.results.find((r) => r.outcome === outcome && r.arm === arm && r.subgroup === null && r.estimator === estimator);
    if (row) return row;
  }
  return null;
}

export function costEffectiveness(protocol: Protocol, evidence: Pick<Evidence, "results">): CostEffectiveness[] {
  const control = protocol.arms.find((a) => a.control)!;
  const primary = protocol.outcomes.find((o) => o.id === protocol.analysis.primary_outcome);
  const binary = (o: Protocol["outcomes"][number]) => o.type === "binary" && o.benefit === "higher";
  const success = primary && binary(primary) ? primary : protocol.outcomes.find(binary) ?? null;
  const weeks = protocol.outcomes.find((o) => o.source.type === "register" && o.source.derivation === "weeks_self_supporting") ?? null;
  const economics = protocol.economics;
  return protocol.arms
    .filter((a) => !a.control)
    .map((arm) => {
      const notes: string[] = [];
      const cost = arm.cost.dkk_per_participant;
      const controlCost = control.cost.dkk_per_participant;
      const delta = cost - controlCost;
      let rd: CostEffectiveness["risk_difference"] = null;
      let perSuccess: number | null = null;
      let nnt: CostEffectiveness["number_needed_to_treat"] = null;
      if (success) {
        const row = effect(evidence, success.id, arm.id, ["risk_difference", "difference_in_means"]);
        if (row) {
          rd = { estimate: row.estimate, ci_lower: row.ci_lower, ci_upper: row.ci_upper };
          if (row.estimate > 0) {
            perSuccess = delta / row.estimate;
            const excludesZero = row.ci_lower > 0 || row.ci_upper < 0;
            nnt = { estimate: 1 / row.estimate, ci_lower: excludesZero ? 1 / row.ci_upper : null, ci_upper: excludesZero ? 1 / row.ci_lower : null };
            if (!excludesZero) notes.push(`${success.id}: the interval of the risk difference includes 0, so the NNT interval runs through infinity`);
          } else notes.push(`${success.id}: no additional person in work or education (risk difference ${row.estimate.toFixed(4)} ≤ 0); no cost per additional person`);
        } else notes.push(`${success.id}: no effect estimate for ${arm.id}`);
      } else notes.push("no binary outcome of work or education with benefit: higher");
      let gained: CostEffectiveness["weeks_gained"] = null;
      let net: CostEffectiveness["net_gain_per_participant_dkk"] = null;
      if (weeks && economics) {
        const row = effect(evidence, weeks.id, arm.id, ["difference_in_means", "lm_lin"]);
        if (row) {
          gained = { estimate: row.estimate, ci_lower: row.ci_lower, ci_upper: row.ci_upper };
          const params = weeks.source.type === "register" ? (weeks.source.params as { from?: number; to?: number }) : {};
          const middle = ((params.from ?? 0) + (params.to ?? 0)) / 2;
          const f = (1 + economics.discount_rate) ** (-middle / 52);
          const value = (w: number) => w * economics.weekly_benefit_dkk * f - delta;
          net = { estimate: value(row.estimate), ci_lower: value(row.ci_lower), ci_upper: value(row.ci_upper) };
        } else notes.push(`${weeks.id}: no effect estimate for ${arm.id}`);
      } else if (!weeks) notes.push("no outcome of weeks self-supporting; no net gain");
      else notes.push("the protocol has no economics section (weekly benefit rate); no net gain");
      return {
        arm: arm.id,
        control: control.id,
        cost_per_participant_dkk: cost,
        control_cost_per_participant_dkk: controlCost,
        incremental_cost_dkk: delta,
        success_outcome: success?.id ?? null,
        risk_difference: rd,
        cost_per_additional_success_dkk: perSuccess,
        number_needed_to_treat: nnt,
        weeks_outcome: weeks?.id ?? null,
        weeks_gained: gained,
        weekly_benefit_dkk: economics?.weekly_benefit_dkk ?? null,
        net_gain_per_participant_dkk: net,
        notes,
      };
    });
}
