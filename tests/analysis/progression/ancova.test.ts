import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ancova, progressionAncova } from "../../../analysis/progression/ancova.ts";
import { progressionMixedModel } from "../../../analysis/progression/mixed-model.ts";
import { buildPanel, completeness, type InstrumentView, type Measurement } from "../../../analysis/progression/panel.ts";
import { expectClose, expectMatchesR, readCsv } from "../estimators/csv.ts";
import { benjaminiHochberg } from "../../../analysis/multiplicity.ts";

const dir = "tests/reference/progression-ancova/";
const r = JSON.parse(readFileSync(`${dir}expected.json`, "utf8"));
const people = readCsv(`${dir}participants.csv`);
const rows = readCsv(`${dir}measurements.csv`);
const factors = ["health", "motivation", "job_seeking", "barriers"];
const scale = { min: 1, max: 5 };
const instrument: InstrumentView = {
  factors: factors.map((id) => ({ id, scale, direction: id === "barriers" ? "lower" : "higher" })),
  total: { method: "mean" },
};
const schedule = [
  { week: 0, window: { before: 1, after: 2 } },
  { week: 13, window: { before: 4, after: 4 } },
  { week: 26, window: { before: 6, after: 6 } },
  { week: 52, window: { before: 8, after: 8 } },
];
const participants = (people.id as string[]).map((id, i) => ({ id, arm: people.arm![i] as string, stratum: String(people.site![i]) }));
const measurements: Measurement[] = (rows.participant as string[]).map((participant, i) => ({
  participant,
  day: rows.day![i] as number,
  scores: Object.fromEntries(factors.map((f) => [f, rows[f]![i] === "" ? null : (rows[f]![i] as number)])),
}));
const { panel, assignment } = buildPanel({ participants, measurements, instrument, schedule });

interface RRow { measure: string; arm: string; estimate: number; std_error: number; p_value: number; ci_lower: number; ci_upper: number; df: number; n: number; p_holm: number }

function expectAsR(got: ReturnType<typeof progressionAncova>, want: RRow[]) {
  expect(got.map((e) => `${e.measure}/${e.arm}`)).toEqual(want.map((w) => `${w.measure}/${w.arm}`));
  got.forEach((e, j) => {
    const w = want[j]!;
    expectMatchesR(e, w);
    expect(e.n).toBe(w.n);
    if (w.measure === "total") expect(e.p_adjusted).toBeNull();
    else expect(Math.abs(e.p_adjusted! - w.p_holm)).toBeLessThan(1e-8);
  });
}

describe("progression panel and ANCOVA against R (window assignment, lm_robust HC2, p.adjust holm)", () => {
  it("assigns measurements to planned weeks as the R script does: used, outside every window, superseded", () => {
    expect(assignment).toEqual(r.counts);
  });

  it("completeness per arm and week (the total: every factor scored)", () => {
    const got = completeness(panel).map(({ arm, week, randomized, measured }) => ({ arm, week, randomized, measured }));
    const order = (x: { arm: string; week: number }) => `${x.arm}/${String(x.week).padStart(3, "0")}`;
    expect([...got].sort((a, b) => order(a).localeCompare(order(b)))).toEqual([...r.completeness].sort((a: any, b: any) => order(a).localeCompare(order(b))));
  });

  it("week 26 with site strata: every factor and the total, Holm over the factors per arm", () => {
    expectAsR(progressionAncova(panel, { week: 26, control: "usual", arms: ["ips", "ips_e"] }), r.week26_strata);
  });

  it("week 52 with and without strata", () => {
    expectAsR(progressionAncova(panel, { week: 52, control: "usual", arms: ["ips", "ips_e"] }), r.week52_strata);
    expectAsR(progressionAncova(panel, { week: 52, control: "usual", arms: ["ips", "ips_e"], strata: false }), r.week52_no_strata);
  });

  it("multiplicity bh: Benjamini–Hochberg over the same family (the factors, per arm)", () => {
    const got = progressionAncova(panel, { week: 52, control: "usual", arms: ["ips", "ips_e"], multiplicity: "bh" });
    for (const arm of ["ips", "ips_e"]) {
      const family = got.filter((e) => e.arm === arm && e.measure !== "total");
      const want = benjaminiHochberg(family.map((e) => e.p_value));
      family.forEach((e, j) => {
        expect(e.adjustment).toBe("bh");
        expect(e.p_adjusted).toBe(want[j]);
      });
      // BH never exceeds Holm
      const holmRows = (r.week52_strata as RRow[]).filter((w) => w.arm === arm && w.measure !== "total");
      family.forEach((e, j) => expect(e.p_adjusted!).toBeLessThanOrEqual(holmRows[j]!.p_holm + 1e-12));
    }
  });

  it("states the completers assumption and counts who was left out", () => {
    const e = progressionAncova(panel, { week: 52, control: "usual", arms: ["ips", "ips_e"] }).find((x) => x.measure === "total")!;
    expect(e.assumption.en).toMatch(/completers/);
    expect(e.assumption.da).toMatch(/fuldførere/);
    expect(e.warnings.join()).toMatch(new RegExp(`${240 - e.n} of 240 not measured both at baseline and at the week`));
  });

  it("the mixed model on the panel's total matches nlme::lme (constrained baseline, strata)", () => {
    const { fit, effects } = progressionMixedModel(panel, { control: "usual", arms: ["ips", "ips_e"] });
    const ref = r.mixed_model_total;
    expect(fit.n).toBe(ref.n);
    ref.estimate.forEach((x: number, j: number) => expectClose(fit.coefficients[j]!, x, 1e-8));
    ref.std_error.forEach((x: number, j: number) => expectClose(fit.std_errors[j]!, x, 1e-8));
    expect(Array.from(fit.df)).toEqual(ref.df);
    expectClose(fit.sigma, ref.sigma, 1e-8);
    expectClose(fit.sd_intercept, ref.sd_intercept, 1e-8);
    expect(effects.map((e) => `${e.arm}@${e.week}`)).toEqual(["ips@13", "ips_e@13", "ips@26", "ips_e@26", "ips@52", "ips_e@52"]);
    effects.forEach((e, j) => {
      expectClose(e.estimate, ref.estimate[6 + j], 1e-8);
      expect(Math.abs(e.p_value - ref.p_value[6 + j])).toBeLessThan(1e-8);
    });
    expect(effects[0]!.assumption.en).toMatch(/every observed measurement/);
  });
});

describe("ancova: small cases", () => {
  it("equals lm_robust on the completers by hand: two arms, no strata", () => {
    const y = [3, 4, 5, 4, 2, 3, NaN];
    const y0 = [2, 3, 3, 2, 2, 3, 1];
    const arm = ["t", "t", "t", "c", "c", "c", "t"];
    const [e] = ancova(y, y0, arm, { control: "c" });
    expect(e!.n).toBe(6);
    expect(e!.warnings.join()).toMatch(/1 of 7 not measured/);
    // OLS by hand on the six completers, centred: t = ±.5; y0 − 2.5 = [−.5, .5, .5, −.5, −.5, .5];
    // y − 3.5 = [−.5, .5, 1.5, .5, −1.5, −.5]. S_tt = S_00 = 1.5, S_t0 = .5, S_ty = S_0y = 1.5, so
    // [1.5 .5; .5 1.5][b; c] = [1.5; 1.5] gives b = c = 0.75.
    expectClose(e!.estimate, 0.75, 1e-12);
  });

  it("names an arm without completers", () => {
    expect(() => ancova([1, 2, NaN], [1, 2, 3], ["c", "c", "t"], { control: "c" })).toThrow(/no one in t measured both at baseline and at the week/);
    expect(() => ancova([1, 2, 3], [1, 2, 3], ["c", "t", "u"], { control: "c", arms: ["t"] })).toThrow(/arm u is neither the control nor among the arms/);
  });
});
