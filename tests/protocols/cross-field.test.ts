import { describe, expect, it } from "vitest";
import { baseProtocol, load, problemsOf } from "./fixtures.ts";

/** Loads a mutated base protocol and expects a problem at `path` whose message contains `text`. */
function expectProblem(mutate: (p: Record<string, any>) => void, path: string, text: string) {
  const doc = baseProtocol();
  mutate(doc);
  const { problems } = problemsOf(doc);
  const hit = problems.find((p) => p.path === path && p.message.includes(text));
  expect(hit, `no problem at ${path} containing "${text}"; got:\n${problems.map((p) => `${p.path}: ${p.message}`).join("\n")}`).toBeDefined();
  return problems;
}

describe("cross-field rules", () => {
  it("the base protocol is valid", () => {
    expect(load(baseProtocol()).ok).toBe(true);
  });

  it("exactly one control arm: none", () => {
    expectProblem((p) => (p.arms[1].control = false), "arms", "exactly one arm must be the control (control: true); found 0");
  });
  it("exactly one control arm: two", () => {
    expectProblem((p) => (p.arms[0].control = true), "arms", "found 2");
  });

  it("ratios are positive integers", () => {
    expectProblem((p) => (p.arms[0].ratio = 1.5), "arms[0].ratio", "positive integer: 1.5");
    expectProblem((p) => (p.arms[1].ratio = 0), "arms[1].ratio", "positive integer: 0");
  });

  it("block sizes are multiples of the ratio sum", () => {
    // ratios 2:1 sum to 3; blocks of 2 and 4 are not multiples of 3
    const problems = expectProblem((p) => (p.arms[0].ratio = 2), "design.block_sizes[0]", "block size 2 is not a multiple of the sum of the allocation ratios (3)");
    expect(problems.some((x) => x.path === "design.block_sizes[1]")).toBe(true);
  });

  it("strata are site or categorical/boolean covariates", () => {
    expectProblem((p) => (p.design.strata = ["site", "region"]), "design.strata[1]", `stratum "region" is neither "site" nor a declared covariate`);
    expectProblem((p) => (p.design.strata = ["prior_weeks"]), "design.strata[0]", "must be categorical or boolean; is integer");
  });

  it("minimization factors are site or categorical/boolean covariates", () => {
    expectProblem(
      (p) => (p.design = { type: "minimization", factors: [{ covariate: "site" }, { covariate: "score" }] }),
      "design.factors[1].covariate",
      `minimization factor "score" must be categorical or boolean; is number`,
    );
  });

  it("cluster designs name their unit, and the unit is categorical", () => {
    expectProblem((p) => (p.design = { type: "cluster" }), "design.unit", "a cluster design must name its randomized unit");
    expectProblem((p) => (p.design = { type: "cluster", unit: "" }), "design.unit", "a cluster design must name its randomized unit");
    expectProblem((p) => (p.design = { type: "cluster", unit: "caseworker" }), "design.unit", `cluster unit "caseworker" is neither "site" nor a declared covariate`);
  });

  it("stepped wedge: periods >= steps", () => {
    expectProblem(
      (p) => (p.design = { type: "stepped_wedge", start: "2026-01-05", periods: 3, period_weeks: 13, steps: 4 }),
      "design.periods",
      "at least as many periods as steps: 3 periods, 4 steps",
    );
  });

  it("stepped wedge: exactly two arms", () => {
    expectProblem(
      (p) => {
        p.design = { type: "stepped_wedge", start: "2026-01-05", periods: 5, period_weeks: 13, steps: 4 };
        p.arms.push({ id: "other", label: { da: "A", en: "A" }, ratio: 1, cost: { dkk_per_participant: 1, covers: { da: "A", en: "A" } } });
        p.power.icc = 0.05;
      },
      "arms",
      "exactly two arms (control and intervention); found 3",
    );
  });

  it("cluster and stepped-wedge power claims need an ICC", () => {
    expectProblem((p) => (p.design = { type: "cluster", unit: "site" }), "power.icc", "needs the intra-cluster correlation");
  });

  it("subgroup variables are declared", () => {
    expectProblem((p) => p.subgroups.push({ variable: "region", levels: ["a", "b"], hypothesis: { da: "x", en: "x" } }), "subgroups[2].variable", `"region" is neither`);
  });
  it("subgroups: numeric variables need cut points, categorical ones levels", () => {
    expectProblem((p) => (p.subgroups[1] = { variable: "prior_weeks", levels: [1, 2], hypothesis: { da: "x", en: "x" } }), "subgroups[1].levels", "split by cuts, not levels");
    expectProblem((p) => (p.subgroups[0] = { variable: "gender", cuts: [1], hypothesis: { da: "x", en: "x" } }), "subgroups[0].cuts", "split by levels, not cuts");
    expectProblem((p) => (p.subgroups[0].levels = ["female", "other"]), "subgroups[0].levels[1]", `"other" is not a value of "gender"`);
    expectProblem((p) => (p.subgroups[1].cuts = [26, 13]), "subgroups[1].cuts[1]", "cut points must increase");
    expectProblem((p) => (p.subgroups[1].levels = [1, 2]), "subgroups[1]", "either levels or cuts");
  });
  it("subgroups by site and target group check their levels", () => {
    const ok = baseProtocol();
    ok.subgroups.push({ variable: "site", levels: ["101", "751"], hypothesis: { da: "x", en: "x" } });
    ok.subgroups.push({ variable: "target_group", levels: ["kontanthjaelp_jobparat", "uddannelseshjaelp_uddannelsesparat"], hypothesis: { da: "x", en: "x" } });
    expect(load(ok).ok).toBe(true);
    expectProblem((p) => p.subgroups.push({ variable: "site", levels: ["101", "999"], hypothesis: { da: "x", en: "x" } }), "subgroups[2].levels[1]", `"999" is not a value of "site"`);
    expectProblem((p) => p.subgroups.push({ variable: "target_group", levels: ["kontanthjaelp_jobparat", "dagpenge"], hypothesis: { da: "x", en: "x" } }), "subgroups[2].levels[1]", `"dagpenge" is not a value`);
  });

  it("adjustment covariates are declared", () => {
    expectProblem((p) => p.analysis.adjustment_covariates.push("income"), "analysis.adjustment_covariates[1]", `adjustment covariate "income" is not a declared covariate`);
    expectProblem((p) => (p.analysis.outcomes.earnings.covariates = ["nope"]), "analysis.outcomes.earnings.covariates[0]", `"nope" is not a declared covariate`);
  });

  it("the primary outcome exists and is primary", () => {
    expectProblem((p) => (p.analysis.primary_outcome = "employment"), "analysis.primary_outcome", `primary outcome "employment" is not among the outcomes`);
    expectProblem((p) => (p.analysis.primary_outcome = "earnings"), "analysis.primary_outcome", "does not have role: primary");
  });

  it("outcome windows are sane", () => {
    expectProblem((p) => (p.outcomes[2].time = { from: 10, to: 5 }), "outcomes[2].time.to", "the window ends (week 5) before it starts (week 10)");
    expectProblem((p) => (p.outcomes[0].source.params = { from: 30, to: 20 }), "outcomes[0].source.params.to", "the window ends (week 20) before it starts (week 30)");
    expectProblem((p) => (p.outcomes[0].source.params = { from: 0, to: 26 }), "outcomes[0].source.params", "is not the outcome's (weeks 0–52)");
    expectProblem((p) => (p.outcomes[2].time = { week: -1 }), "outcomes[2].time.week", "");
  });

  it("register derivations have valid parameters and yield the outcome's type", () => {
    expectProblem((p) => (p.outcomes[1].source.params = { min_weeks: 0 }), "outcomes[1].source.params.min_weeks", "invalid parameter for time_to_self_support");
    expectProblem((p) => (p.outcomes[1].source.params = { min_weeks: 4, typo: 1 }), "outcomes[1].source.params.typo", "invalid parameter");
    expectProblem((p) => (p.outcomes[0].type = "count"), "outcomes[0].type", "derivation education_started yields a binary outcome, not count");
  });

  it("columns fit the outcome type", () => {
    expectProblem((p) => (p.outcomes[1].column = "t"), "outcomes[1].column", "names columns: {time, event}, not column");
    expectProblem((p) => (p.outcomes[2].columns = { time: "a", event: "b" }), "outcomes[2].columns", "only time-to-event outcomes");
  });

  it("every outcome has estimators that fit its type", () => {
    expectProblem((p) => delete p.analysis.outcomes.earnings, "analysis.outcomes", `outcome "earnings" has no analysis`);
    expectProblem((p) => (p.analysis.outcomes.ghost = { estimators: ["difference_in_means"] }), "analysis.outcomes.ghost", `"ghost" is not a declared outcome`);
    expectProblem((p) => (p.analysis.outcomes.earnings.estimators = ["risk_ratio"]), "analysis.outcomes.earnings.estimators[0]", "risk_ratio does not fit a continuous outcome");
    expectProblem((p) => (p.analysis.outcomes.time_to_job.estimators = ["lm_lin"]), "analysis.outcomes.time_to_job.estimators[0]", "does not fit a time_to_event outcome");
    expectProblem((p) => delete p.analysis.outcomes.time_to_job.rmst_tau, "analysis.outcomes.time_to_job.rmst_tau", "rmst needs rmst_tau");
  });

  it("site ids are unique and windows ordered", () => {
    expectProblem((p) => (p.sites[1].id = "101"), "sites[1].id", `site "101" is declared more than once`);
    expectProblem((p) => (p.sites[0].enrollment.to = "2025-01-01"), "sites[0].enrollment.to", "enrollment ends (2025-01-01) before it starts (2026-01-01)");
  });

  it("arm, covariate and outcome ids are unique", () => {
    expectProblem((p) => (p.arms[1].id = "mentor"), "arms[1].id", "declared more than once");
    expectProblem((p) => (p.covariates[1].id = "gender"), "covariates[1].id", "declared more than once");
    expectProblem((p) => (p.outcomes[2].id = "time_to_job"), "outcomes[2].id", "declared more than once");
  });

  it("age range is ordered", () => {
    expectProblem((p) => (p.population.age = { min: 30, max: 18 }), "population.age.max", "upper age limit (18) is below the lower (30)");
  });

  it("eligibility rules name declared covariates with fitting operators and values", () => {
    expectProblem((p) => (p.population.inclusion[0].when = { covariate: "income", op: "gt", value: 0 }), "population.inclusion[0].when.covariate", `"income" is not a declared covariate`);
    expectProblem((p) => (p.population.inclusion[0].when = { covariate: "gender", op: "gt", value: 1 }), "population.inclusion[0].when.op", "gt needs a numeric or date variable");
    expectProblem(
      (p) => (p.population.exclusion[0].when = { any: [{ covariate: "education", op: "in", value: ["phd"] }] }),
      "population.exclusion[0].when.any[0].value",
      `"phd" is not a value of "education"`,
    );
  });

  it("the power claim has the parameter its outcome needs", () => {
    expectProblem((p) => delete p.power.control_rate, "power.control_rate", "needs the expected control rate");
    expectProblem((p) => (p.power.outcome = "earnings"), "power.control_sd", "needs the control standard deviation");
  });
});

describe("design variables listed twice", () => {
  it("a stratum or factor named twice is a problem", () => {
    expectProblem((p) => (p.design.strata = ["site", "gender", "site"]), "design.strata[2]", `"site" is listed twice`);
    expectProblem((p) => (p.design = { type: "minimization", factors: [{ covariate: "gender" }, { covariate: "gender" }] }), "design.factors[1].covariate", "listed twice");
  });
});

describe("eligibility rule values", () => {
  it("between needs [low, high]; site and target-group values must exist", () => {
    expectProblem((p) => (p.population.inclusion[0].when = { covariate: "prior_weeks", op: "between", value: [10, 2] }), "population.inclusion[0].when.value", "between needs [low, high]; got [10,2]");
    expectProblem((p) => (p.population.inclusion[0].when = { covariate: "site", op: "in", value: ["101", "102"] }), "population.inclusion[0].when.value", `"102" is not a value of "site"`);
    expectProblem((p) => (p.population.exclusion[0].when = { covariate: "target_group", op: "eq", value: "kontant" }), "population.exclusion[0].when.value", `"kontant" is not a value of "target_group"`);
  });
});

describe("stepped wedge units", () => {
  it("needs at least as many units as steps", () => {
    expectProblem(
      (p) => {
        p.design = { type: "stepped_wedge", start: "2026-01-05", periods: 4, period_weeks: 13, steps: 3 };
        p.power.icc = 0.05;
      },
      "design.steps",
      `3 steps need at least 3 units ("site"); there are 2`,
    );
    const ok = baseProtocol();
    ok.design = { type: "stepped_wedge", start: "2026-01-05", periods: 3, period_weeks: 13, steps: 2 };
    ok.power.icc = 0.05;
    expect(load(ok).ok).toBe(true);
  });
});

describe("block sizes against ratios (property)", () => {
  it("exactly the block sizes that are not multiples of the ratio sum are reported", async () => {
    const fc = (await import("fast-check")).default;
    const { crossFieldIssues } = await import("../../protocols/index.ts");
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 1, maxLength: 5 }), (ratios, blocks) => {
        const doc = baseProtocol();
        doc.arms = ratios.map((r, i) => ({ ...doc.arms[Math.min(i, 1)], id: `arm${i}`, ratio: r, control: i === 0 }));
        doc.design = { type: "blocked", block_sizes: blocks };
        const sum = ratios.reduce((a, b) => a + b, 0);
        const reported = crossFieldIssues(doc)
          .filter((i) => i.path[0] === "design" && i.path[1] === "block_sizes")
          .map((i) => i.path[2]);
        const expected = blocks.flatMap((b, j) => (b % sum === 0 ? [] : [j]));
        expect(reported).toEqual(expected);
      }),
      { seed: 3, numRuns: 200 },
    );
  });
});
