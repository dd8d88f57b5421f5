/**
 * The package sections on hand-computed cases: CONSORT counts, cost-effectiveness (costs, cost per
 * additional person, NNT with Altman's interval, discounted weeks of self-support, net gain),
 * "for whom" sentences that follow the adjusted interaction p, and the four ratings with their rules.
 */
import { describe, expect, it } from "vitest";
import { consortFlow } from "../../../analysis/evidence/consort.ts";
import { costEffectiveness } from "../../../analysis/evidence/cost-effectiveness.ts";
import { forWhom } from "../../../analysis/evidence/for-whom.ts";
import { ratings } from "../../../analysis/evidence/ratings.ts";
import type { AttritionRow, BalanceRow, Consort, ResultRow } from "../../../analysis/evidence/schema.ts";
import { fixtureProtocol } from "./protocol-fixture.ts";

const result = (fields: Partial<ResultRow>): ResultRow => ({
  outcome: "y", contrast: "treat vs control", arm: "treat", control: "control", subgroup: null, estimator: "difference_in_means",
  scale: "", estimate: 0, std_error: 1, ci_lower: -1, ci_upper: 1, p_value: 0.5, df: null, n: 100, se_type: "HC2", warnings: [], ...fields,
});

describe("CONSORT flow", () => {
  it("counts allocated, withdrawn, lost to follow-up and analysed per arm", () => {
    // treat: 4 allocated; one withdrawn with no outcome, one missing outcome (lost), one flagged in error.
    // control: 3 allocated; one withdrawn whose outcome was observed before (analysed).
    const data = {
      rows: 7,
      columns: new Map<string, Float64Array | (string | null)[]>([
        ["arm", ["treat", "treat", "treat", "treat", "control", "control", "control"]],
        ["withdrawn", Float64Array.from([1, 0, 0, 0, 1, 0, 0])],
        ["randomized_in_error", Float64Array.from([0, 0, 1, 0, 0, 0, 0])],
        ["y", Float64Array.from([NaN, NaN, 1, 2, 3, 4, 5])],
      ]),
    };
    const flow = consortFlow(fixtureProtocol(), data, { assessed: 20, eligible: 9 });
    expect(flow).toEqual({
      assessed: 20, eligible: 9, randomized: 7, outcome: "y",
      arms: [
        { arm: "treat", allocated: 4, withdrawn: 1, randomized_in_error: 1, lost_to_follow_up: 1, analysed: 2 },
        { arm: "control", allocated: 3, withdrawn: 1, randomized_in_error: 0, lost_to_follow_up: 0, analysed: 3 },
      ],
    });
  });
});

describe("cost-effectiveness", () => {
  const protocol = fixtureProtocol({
    costs: [20000, 0],
    outcomes: [
      "  - { id: y, label: { da: I job eller uddannelse, en: In work or education }, type: binary, source: { type: site }, role: primary, benefit: higher }",
      "  - { id: weeks, label: { da: Uger, en: Weeks }, type: count, source: { type: register, derivation: weeks_self_supporting, params: { from: 0, to: 52 } }, role: secondary, benefit: higher }",
    ].join("\n"),
    analysisOutcomes: "    y: { estimators: [risk_difference] }\n    weeks: { estimators: [difference_in_means] }",
    economics: "economics: { weekly_benefit_dkk: 2756, discount_rate: 0.035 }",
  });
  it("gives incremental cost, cost per additional person, NNT and the discounted net gain", () => {
    const results = [
      result({ estimator: "risk_difference", estimate: 0.1, ci_lower: 0.02, ci_upper: 0.18 }),
      result({ outcome: "weeks", estimate: 4, ci_lower: 1, ci_upper: 7 }),
    ];
    const [ce] = costEffectiveness(protocol, { results });
    expect(ce.incremental_cost_dkk).toBe(20000);
    expect(ce.cost_per_additional_success_dkk).toBeCloseTo(200000, 6); // 20 000 / 0.1
    expect(ce.number_needed_to_treat!.estimate).toBeCloseTo(10, 9);
    expect(ce.number_needed_to_treat!.ci_lower).toBeCloseTo(5.555556, 5); // 1 / 0.18
    expect(ce.number_needed_to_treat!.ci_upper).toBeCloseTo(50, 9); // 1 / 0.02
    // Middle of weeks 0–52 is week 26 = half a year: factor 1.035^−0.5 = 0.98294637...
    expect(ce.net_gain_per_participant_dkk!.estimate).toBeCloseTo(4 * 2756 * 0.9829463743659807 - 20000, 6);
    expect(ce.net_gain_per_participant_dkk!.ci_lower).toBeCloseTo(1 * 2756 * 0.9829463743659807 - 20000, 6);
    expect(ce.net_gain_per_participant_dkk!.ci_upper).toBeCloseTo(7 * 2756 * 0.9829463743659807 - 20000, 6);
  });
  it("has no NNT interval when the risk difference's CI includes 0, and no cost per person without a gain", () => {
    const [wide] = costEffectiveness(protocol, { results: [result({ estimator: "risk_difference", estimate: 0.05, ci_lower: -0.01, ci_upper: 0.11 })] });
    expect(wide.number_needed_to_treat).toEqual({ estimate: 20, ci_lower: null, ci_upper: null });
    expect(wide.notes.join(" ")).toMatch(/through infinity/);
    const [none] = costEffectiveness(protocol, { results: [result({ estimator: "risk_difference", estimate: -0.02 })] });
    expect(none.cost_per_additional_success_dkk).toBeNull();
    expect(none.number_needed_to_treat).toBeNull();
  });
});

describe("for whom", () => {
  const protocol = fixtureProtocol({
    covariates: "  - { id: g, type: category, levels: [u, v], label: { da: Gruppe, en: Group } }\n  - { id: h, type: boolean, label: { da: Ung, en: Young } }",
    subgroups: "  - { variable: g, levels: [u, v], hypothesis: { da: H, en: H } }\n  - { variable: h, levels: [0, 1], hypothesis: { da: H, en: H } }",
  });
  const results = [
    result({ subgroup: { variable: "g", level: "u" }, estimate: 0.5 }),
    result({ subgroup: { variable: "g", level: "v" }, estimate: 0.1 }),
  ];
  const heterogeneity = [
    { outcome: "y", contrast: "treat vs control", variable: "g", interaction_p_value: 0.01, p_holm: 0.03, p_bh: 0.02 },
    { outcome: "y", contrast: "treat vs control", variable: "h", interaction_p_value: 0.02, p_holm: 0.06, p_bh: 0.02 },
  ];
  it("calls a difference a difference only when the Holm-adjusted interaction survives", () => {
    const [g, h] = forWhom(protocol, { heterogeneity, results });
    expect(g.differs).toBe(true);
    expect(g.text.en).toBe("The effect of Intervention on Y differs by group: largest for g u (interaction, Holm-adjusted p = 0.030).");
    expect(g.text.da).toBe("Effekten af Indsats på Y er forskellig efter gruppe: størst for g u (interaktion, Holm-justeret p = 0,030).");
    expect(h.differs).toBe(false);
    expect(h.text.en).toMatch(/^There is no evidence that the effect of Intervention on Y differs by young \(interaction, Holm-adjusted p = 0.060\)\. The unadjusted p = 0.020 is below 0.05 but does not survive/);
    expect(h.text.da).toMatch(/^Der er ikke belæg for/);
    expect(h.text.en).not.toMatch(/largest|differs by young:/);
  });
  it("names no largest level when a level has no row (its outcome was the same in both arms)", () => {
    const [g] = forWhom(protocol, { heterogeneity, results: results.slice(1) });
    expect(g.differs).toBe(true);
    expect(g.text.en).toBe("The effect of Intervention on Y differs by group (interaction, Holm-adjusted p = 0.030).");
    expect(g.text.da).toBe("Effekten af Indsats på Y er forskellig efter gruppe (interaktion, Holm-justeret p = 0,030).");
  });
});

describe("ratings", () => {
  const protocol = fixtureProtocol();
  const attrition = (overall: number, differential: number, cautiousLow: boolean): AttritionRow => ({
    outcome: "y", contrast: "treat vs control", arm: "treat", control: "control", randomized_treatment: 200, randomized_control: 200,
    observed_treatment: 0, observed_control: 0, attrition_treatment: 0, attrition_control: 0, overall, differential,
    cautious: { max_differential: 0.059, attrition: cautiousLow ? "low" : "high" }, optimistic: { max_differential: 0.106, attrition: "low" }, lee_bounds: null,
  });
  const balance = (g: number, sample = "randomized"): BalanceRow => ({
    covariate: "x", level: null, sample, kind: "continuous", arm: "treat", control: "control", n_treatment: 200, n_control: 200,
    mean_treatment: 0, mean_control: 0, standardized_difference: g, hedges_g: g, band: Math.abs(g) <= 0.05 ? "satisfies" : Math.abs(g) <= 0.25 ? "adjustment_required" : "not_satisfied",
  });
  const consort: Consort = { assessed: null, eligible: null, randomized: 400, outcome: "y", arms: [
    { arm: "treat", allocated: 200, withdrawn: 0, randomized_in_error: 0, lost_to_follow_up: 0, analysed: 200 },
    { arm: "control", allocated: 200, withdrawn: 0, randomized_in_error: 0, lost_to_follow_up: 0, analysed: 200 },
  ] };
  const base = { randomization_inference: [], site_effects: [], warnings: [] };

  it("rates a low-attrition, balanced, significant trial strong", () => {
    // MDES = (1.959964 + 0.841621) × √(1 / (0.25 × 400)) = 0.2802 SD → 4 padlocks; attrition 15 % → 4.
    const r = ratings(protocol, { ...base, results: [result({ estimate: 0.2, p_value: 0.01 })], attrition: [attrition(0.15, 0.02, true)], balance: [balance(0.08)] }, consort);
    expect(r.map((x) => [x.scheme, x.value])).toEqual([["wwc", "meets_without_reservations"], ["eef_padlocks", 4], ["danish_evidence_level", "strong"], ["jobeffekter_weight", 1]]);
    expect(r[1].criteria.find((c) => c.name === "mdes")!.detail).toBe("MDES 0.280 SD: 4");
    expect(r.every((x) => x.rule.da.length > 20 && x.rule.en.length > 20)).toBe(true);
  });

  it("rates high attrition without equivalence as not meeting standards, fewer padlocks, an indication", () => {
    // Attrition 40 % → 2 padlocks; |g| 0.3 > 0.10 → one less: 1. Analytic-sample g 0.3 → not equivalent.
    const r = ratings(protocol, { ...base, results: [result({ estimate: 0.2, p_value: 0.01 })], attrition: [attrition(0.4, 0.1, false)], balance: [balance(0.3), balance(0.3, "analytic:y")] }, consort);
    expect(r.map((x) => x.value)).toEqual(["does_not_meet", 1, "indication", 0.5]);
  });

  it("meets standards with reservations when attrition is high but the analytic sample is equivalent", () => {
    const r = ratings(protocol, { ...base, results: [result({ estimate: 0.2, p_value: 0.2 })], attrition: [attrition(0.4, 0.1, false)], balance: [balance(0.03, "analytic:y")] }, consort);
    expect(r.map((x) => x.value)).toEqual(["meets_with_reservations", 2, "uncertain", 1]);
  });

  it("is conflicting when primary contrasts are significant in opposite directions; a harmful effect is not positive", () => {
    const three = fixtureProtocol();
    three.arms.splice(1, 0, { ...three.arms[0], id: "other" });
    const results = [result({ estimate: 0.2, p_value: 0.01 }), result({ arm: "other", contrast: "other vs control", estimate: -0.2, p_value: 0.01 })];
    const r = ratings(three, { ...base, results, attrition: [attrition(0.05, 0.01, true)], balance: [] }, { ...consort, arms: [...consort.arms, { ...consort.arms[0], arm: "other" }] });
    expect(r[2].value).toBe("conflicting");
    const harmful = ratings(protocol, { ...base, results: [result({ estimate: -0.2, p_value: 0.01 })], attrition: [attrition(0.05, 0.01, true)], balance: [] }, consort);
    expect(harmful[3].label.en).toBe("Weight 1");
  });
});
