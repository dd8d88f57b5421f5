/**
 * The checks runPlan adds in evidence schema 1.1.0, against outside numbers: balance against the
 * R hand computation in tests/reference/balance-lalonde, effects by site and the REML
 * meta-analysis against estimatr + metafor in tests/reference/meta-multisite, the complier effect
 * against estimatr::iv_robust in tests/reference/iv-robust, and attrition with Lee bounds on a
 * case computed by hand below. Bad data end as warnings naming the thing, in evidence.json.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EvidenceSchema } from "../../../analysis/evidence/schema.ts";
import { runPlan, type DataSet } from "../../../analysis/plan.ts";
import { readTable } from "../../../api/datasets/table.ts";
import { loadProtocol } from "../../../protocols/index.ts";
import { fixtureProtocol } from "./protocol-fixture.ts";

const rel = (a: number | null | undefined, b: number, tol = 1e-6) => {
  expect(a).not.toBeNull();
  expect(Math.abs(a! - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));
};

function dataset(columns: Record<string, Float64Array | (string | null)[]>): DataSet {
  const map = new Map(Object.entries(columns));
  return { rows: [...map.values()][0].length, columns: map };
}

describe("baseline balance", () => {
  it("gives Hedges' g of every NSW covariate as the R hand computation, with the WWC band", async () => {
    const file = "protocols/examples/nsw-lalonde.yaml";
    const loaded = loadProtocol(readFileSync(file, "utf8"), file);
    if (!loaded.ok) throw new Error("protocol");
    const table = await readTable("../shared/reference/lalonde_nsw.csv");
    const ev = EvidenceSchema.parse(runPlan(loaded.protocol, table, { draws: 0 }));
    expect(ev.schema_version).toBe("1.2.0");
    const ref = JSON.parse(readFileSync("tests/reference/balance-lalonde/balance.json", "utf8")).rows as { covariate: string; hedges_g: number; kind: string }[];
    expect(ref.length).toBeGreaterThan(5);
    for (const r of ref) {
      const row = ev.balance.find((b) => b.covariate === r.covariate && b.sample === "randomized");
      expect(row, r.covariate).toBeDefined();
      rel(row!.hedges_g, r.hedges_g, 1e-9);
      expect(row!.kind).toBe(r.kind);
      const a = Math.abs(r.hedges_g);
      expect(row!.band).toBe(a <= 0.05 ? "satisfies" : a <= 0.25 ? "adjustment_required" : "not_satisfied");
    }
    // No outcome is missing in NSW: no analytic-sample rows, attrition 0, no Lee bounds.
    expect(ev.balance.every((b) => b.sample === "randomized")).toBe(true);
    const att = ev.attrition.find((a) => a.outcome === "re78")!;
    expect([att.overall, att.differential, att.lee_bounds]).toEqual([0, 0, null]);
    expect(att.cautious.attrition).toBe("low");
  });
});

describe("effects by site", () => {
  it("reproduces estimatr's site effects and metafor::rma REML over eight jobcentres", async () => {
    const table = await readTable("tests/reference/meta-multisite/data.csv");
    const expected = JSON.parse(readFileSync("tests/reference/meta-multisite/expected.json", "utf8"));
    const sites = Array.from({ length: 8 }, (_, i) => `jc0${i + 1}`);
    const protocol = fixtureProtocol({ sites });
    const t = table.columns.get("t") as Float64Array;
    const data = dataset({ arm: Array.from(t, (v) => (v === 1 ? "treat" : "control")), site: table.columns.get("site") as (string | null)[], y: table.columns.get("y") as Float64Array });
    const ev = runPlan(protocol, data, { draws: 0 });
    const s = ev.site_effects.find((e) => e.outcome === "y")!;
    expect(s.sites.map((x) => x.site)).toEqual(sites);
    s.sites.forEach((x, i) => {
      rel(x.estimate, expected.site_estimates[i]);
      rel(x.std_error, expected.site_se[i]);
    });
    const r = expected.REML;
    const m = s.meta!;
    rel(m.estimate, r.estimate);
    rel(m.std_error, r.se);
    rel(m.ci_lower, r.ci_lower);
    rel(m.ci_upper, r.ci_upper);
    rel(m.tau2, r.tau2);
    rel(m.se_tau2, r.se_tau2);
    rel(m.I2, r.I2);
    rel(m.Q, r.Q);
    rel(m.Q_p_value, r.Q_p_value);
    rel(m.prediction_lower, r.pi_lower);
    expect(Math.abs(m.p_value - r.p_value)).toBeLessThan(1e-6);
  });
});

describe("complier effect", () => {
  it("is estimatr::iv_robust(y ~ d | z) when the protocol declares the take-up column", async () => {
    const table = await readTable("tests/reference/iv-robust/data.csv");
    const expected = JSON.parse(readFileSync("tests/reference/iv-robust/expected.json", "utf8")).wald;
    const protocol = fixtureProtocol({ extraAnalysis: "  compliance: { column: d }" });
    const z = table.columns.get("z") as Float64Array;
    const data = dataset({ arm: Array.from(z, (v) => (v === 1 ? "treat" : "control")), d: table.columns.get("d") as Float64Array, y: table.columns.get("y") as Float64Array });
    const row = runPlan(protocol, data, { draws: 0 }).results.find((r) => r.estimator === "cace_2sls")!;
    rel(row.estimate, expected.estimate);
    rel(row.std_error, expected.std_error);
    rel(row.ci_lower, expected.ci_lower);
    rel(row.ci_upper, expected.ci_upper);
    rel(row.df, expected.df);
    expect(row.se_type).toBe("HC2");
  });
});

describe("attrition and Lee bounds", () => {
  // Control: 4 randomized, all observed, y = 1, 2, 3, 4. Treatment: 6 randomized, 3 observed, y = 1, 2, 6.
  // Attrition: treatment 3/6 = 0.5, control 0; overall 1 − 7/10 = 0.3; differential 0.5 → high
  // under both WWC assumptions (the boundary at 30 % is 4.1 / 8.2 points).
  // Lee: observed shares 0.5 and 1, so the control arm is trimmed by p = (1 − 0.5)/1 = 0.5, two of
  // its four outcomes: lower = 3 − mean(3, 4) = −0.5, upper = 3 − mean(1, 2) = 1.5.
  const data = dataset({
    arm: ["control", "control", "control", "control", "treat", "treat", "treat", "treat", "treat", "treat"],
    y: Float64Array.from([1, 2, 3, 4, 1, 2, 6, NaN, NaN, NaN]),
  });
  it("classifies attrition by the WWC boundary and trims the better-observed arm", () => {
    const ev = runPlan(fixtureProtocol(), data, { draws: 0 });
    const a = ev.attrition[0];
    expect(a.contrast).toBe("treat vs control");
    rel(a.attrition_treatment, 0.5, 1e-12);
    rel(a.attrition_control, 0, 1e-12);
    rel(a.overall, 0.3, 1e-12);
    rel(a.differential, 0.5, 1e-12);
    rel(a.cautious.max_differential, 0.041, 1e-12);
    rel(a.optimistic.max_differential, 0.082, 1e-12);
    expect([a.cautious.attrition, a.optimistic.attrition]).toEqual(["high", "high"]);
    expect(a.lee_bounds!.trimmed_arm).toBe("control");
    rel(a.lee_bounds!.trimming_proportion, 0.5, 1e-12);
    rel(a.lee_bounds!.lower.estimate, -0.5, 1e-12);
    rel(a.lee_bounds!.upper.estimate, 1.5, 1e-12);
    expect(ev.warnings).toContain("outcome y: 3 of 10 participants have no value and are left out");
    // The primary outcome is missing for some: balance is also reported on its analytic sample.
    const s = ev.outcome_summaries.find((o) => o.arm === "treat")!;
    expect([s.randomized, s.observed, s.mean]).toEqual([6, 3, 3]);
  });
});

describe("bad data end as warnings in evidence.json", () => {
  it("names the subgroup level, the site and the covariate that could not be checked", () => {
    const protocol = fixtureProtocol({
      sites: ["a", "b"],
      covariates: "  - { id: x, type: number, label: { da: X, en: X } }\n  - { id: g, type: category, levels: [u, v, w], label: { da: G, en: G } }",
      subgroups: "  - { variable: g, levels: [u, v], hypothesis: { da: H, en: H } }",
    });
    // Site b has one treated person; level v of g has one control; x is constant.
    const data = dataset({
      arm: ["treat", "treat", "treat", "control", "control", "control", "treat", "control"],
      site: ["a", "a", "a", "a", "a", "b", "b", "b"],
      x: Float64Array.from([5, 5, 5, 5, 5, 5, 5, 5]),
      g: ["u", "u", "v", "u", "u", "v", "u", "u"],
      y: Float64Array.from([3, 4, 5, 1, 2, 2, 6, 1]),
    });
    const ev = EvidenceSchema.parse(JSON.parse(JSON.stringify(runPlan(protocol, data, { draws: 0 }))));
    const text = ev.warnings.join("\n");
    expect(text).toMatch(/subgroup g \(treat vs control\): .*g = v has 1 treated and 1 control/);
    expect(text).toMatch(/effects by site \(treat vs control\): y at site b: the treated arm has 1 person/);
    expect(text).toMatch(/balance \(randomized\): covariate x: zero variance/);
    expect(text).toMatch(/balance \(randomized\): covariate g=w: proportion 0 in arm treat/);
  });
});

describe("an estimator that cannot run", () => {
  it("becomes a warning naming outcome, contrast and estimator while the rest of the plan runs", () => {
    const protocol = fixtureProtocol({
      outcomes: [
        "  - { id: y, label: { da: Y, en: Y }, type: continuous, source: { type: site }, role: primary, benefit: higher }",
        "  - { id: job, label: { da: Job, en: Job }, type: binary, source: { type: site }, role: secondary, benefit: higher }",
      ].join("\n"),
      analysisOutcomes: "    y: { estimators: [difference_in_means] }\n    job: { estimators: [risk_difference, risk_ratio] }",
    });
    // Nobody in the control arm has a job: the risk ratio's log is undefined, the risk difference is not.
    const data = dataset({
      arm: ["treat", "treat", "treat", "treat", "control", "control", "control", "control"],
      y: Float64Array.from([3, 4, 5, 6, 1, 2, 2, 3]),
      job: Float64Array.from([1, 0, 1, 1, 0, 0, 0, 0]),
    });
    const ev = runPlan(protocol, data, { draws: 0 });
    expect(ev.results.map((r) => `${r.outcome} ${r.estimator}`)).toEqual(["y difference_in_means", "job risk_difference"]);
    expect(ev.warnings.find((w) => w.startsWith("outcome job (treat vs control) risk_ratio: not estimated: "))).toBeDefined();
  });
});

describe("a subgroup variable with three levels", () => {
  it("is tested as a whole: the joint F test of R's reference case", async () => {
    const table = await readTable("tests/reference/interaction-joint/data.csv");
    const expected = JSON.parse(readFileSync("tests/reference/interaction-joint/expected.json", "utf8")).g3;
    const protocol = fixtureProtocol({
      covariates: "  - { id: g3, type: category, levels: [a, b, c], label: { da: G, en: G } }",
      subgroups: "  - { variable: g3, levels: [a, b, c], hypothesis: { da: H, en: H } }",
    });
    const z = table.columns.get("z") as Float64Array;
    const data = dataset({ arm: Array.from(z, (v) => (v === 1 ? "treat" : "control")), g3: table.columns.get("g3") as (string | null)[], y: table.columns.get("y") as Float64Array });
    const [h] = runPlan(protocol, data, { draws: 0 }).heterogeneity;
    expect(h.variable).toBe("g3");
    expect(Math.abs(h.interaction_p_value - expected.p_value)).toBeLessThan(1e-9);
  });
});
