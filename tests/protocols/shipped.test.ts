import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatProblem, loadProtocol, multiplicityMethods, outcomeColumns, outcomeEstimators, type Protocol } from "../../protocols/index.ts";

function loadFile(file: string): Protocol {
  const r = loadProtocol(readFileSync(file, "utf8"), file);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  return r.protocol;
}

const shipped = ["ips-severe-mental-illness", "mentor-youth", "brobygning", "volunteer-mentors"].map((n) => `protocols/${n}.yaml`);

describe("shipped protocols", () => {
  it.each([...shipped, "protocols/examples/nsw-lalonde.yaml", "protocols/examples/veteran.yaml"])("%s is valid", (file) => {
    expect(() => loadFile(file)).not.toThrow();
  });

  it.each(shipped)("%s: every number is cited or marked illustrative, and sites are municipality codes", (file) => {
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/illustrative/);
    const p = loadFile(file);
    for (const site of p.sites) expect(site.id).toMatch(/^\d{3}$/);
    for (const arm of p.arms) expect(arm.cost.dkk_per_participant).toBeGreaterThanOrEqual(0);
  });

  it("IPS: 720 participants, three arms 1:1:1, stratified by site, control rate 46.5%", () => {
    const p = loadFile(shipped[0]!);
    expect(p.arms.map((a) => [a.id, a.ratio, a.control])).toEqual([
      ["ips", 1, false],
      ["ips_e", 1, false],
      ["usual", 1, true],
    ]);
    expect(p.design).toMatchObject({ type: "stratified", strata: ["site"] });
    expect(p.power).toMatchObject({ target_n: 720, control_rate: 0.465 });
    expect(p.outcomes.find((o) => o.id === p.analysis.primary_outcome)).toMatchObject({ type: "binary", time: { week: 78 } });
  });

  it("mentoring: ages 18–29 on kontanthjælp or uddannelseshjælp, minimization by site, age band and education", () => {
    const p = loadFile(shipped[1]!);
    expect(p.population.age).toEqual({ min: 18, max: 29 });
    expect(p.population.target_groups!.every((g) => g.startsWith("kontanthjaelp") || g.startsWith("uddannelseshjaelp"))).toBe(true);
    expect(p.design.type === "minimization" && p.design.factors.map((f) => f.covariate)).toEqual(["site", "age_band", "education"]);
    expect(p.power).toMatchObject({ control_rate: 0.12, mde: 0.04 });
  });

  it("brobygning: cluster-randomized by team; education started by week 25, basic course by 2.5 years", () => {
    const p = loadFile(shipped[2]!);
    expect(p.design).toMatchObject({ type: "cluster", unit: "team" });
    expect(p.outcomes.find((o) => o.id === "education_started_25w")).toMatchObject({ role: "primary", source: { derivation: "education_started", params: { from: 0, to: 25 } } });
    expect(p.outcomes.find((o) => o.id === "basic_course_completed_130w")!.time).toEqual({ week: 130 });
  });

  it("volunteer mentors: a stepped wedge over municipalities with two arms", () => {
    const p = loadFile(shipped[3]!);
    expect(p.design).toMatchObject({ type: "stepped_wedge", unit: "site" });
    expect(p.arms).toHaveLength(2);
  });
});

describe("example protocols for the reference data", () => {
  it("NSW: the columns of lalonde_nsw.csv, the reference estimators, subgroups and inference", () => {
    const p = loadFile("protocols/examples/nsw-lalonde.yaml");
    const header = readFileSync("../shared/reference/lalonde_nsw.csv", "utf8").split("\n")[0]!.replaceAll('"', "").split(",");
    for (const c of p.covariates) expect(header).toContain(c.id);
    for (const o of p.outcomes) expect(header).toContain((outcomeColumns(o) as { value: string }).value);
    expect(p.arms.map((a) => a.id).sort()).toEqual(["control", "training"]);
    expect(p.design).toEqual({ type: "simple" });
    expect(outcomeEstimators(p, "re78")).toEqual(["difference_in_means", "lm_lin"]);
    expect(outcomeEstimators(p, "employed78")).toEqual(["risk_difference"]);
    expect(p.analysis.adjustment_covariates).toEqual(["age", "educ", "black", "hisp", "married", "nodegr", "re74", "re75"]);
    expect(p.subgroups.map((s) => [s.id ?? s.variable, s.levels ?? s.cuts])).toEqual([
      ["nodegr", [0, 1]],
      ["black", [0, 1]],
      ["u75", [0, 1]],
      ["young", [25]],
    ]);
    expect(multiplicityMethods(p)).toEqual(["holm", "bh"]);
    expect(p.analysis.randomization_inference).toEqual({ draws: 10000 });
  });

  it("veteran: time-to-event columns time/status, the survival bundle, tau 365 and the time points", () => {
    const p = loadFile("protocols/examples/veteran.yaml");
    const header = readFileSync("../shared/reference/veteran.csv", "utf8").split("\n")[0]!.replaceAll('"', "").split(",");
    const outcome = p.outcomes[0]!;
    expect(outcomeColumns(outcome)).toEqual({ time: "time", event: "status" });
    for (const c of [...p.covariates.map((c) => c.id), "time", "status", "arm"]) expect(header).toContain(c);
    expect(p.arms.find((a) => a.control)!.id).toBe("standard");
    expect(outcomeEstimators(p, outcome.id)).toEqual(["kaplan_meier", "logrank", "rmst", "cox"]);
    expect(p.analysis.outcomes[outcome.id]).toMatchObject({ rmst_tau: 365, time_points: [30, 90, 180, 365] });
  });
});
