import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { analyzeProgression } from "../../../analysis/progression/progression-analysis.ts";
import type { Measurement } from "../../../analysis/progression/panel.ts";
import { ProgressionSchema } from "../../../protocols/index.ts";
import { expectClose, expectMatchesR, readCsv } from "../estimators/csv.ts";

const dir = "tests/reference/progression-ancova/";
const r = JSON.parse(readFileSync(`${dir}expected.json`, "utf8"));
const people = readCsv(`${dir}participants.csv`);
const rows = readCsv(`${dir}measurements.csv`);
const factors = ["health", "motivation", "job_seeking", "barriers"];
const label = (x: string) => ({ da: x, en: x });

function progression(estimators: ("ancova" | "mixed_model")[]) {
  return ProgressionSchema.parse({
    instrument: {
      id: "test",
      version: 1,
      title: label("Test"),
      source: label("Test"),
      factors: factors.map((id) => ({
        id,
        label: label(id),
        scale: { min: 1, max: 5, anchors: [{ value: 1, label: label("1") }, { value: 5, label: label("5") }] },
        direction: id === "barriers" ? "lower" : "higher",
      })),
      total: { method: "mean", label: label("Total") },
    },
    schedule: [
      { week: 0, window: { before: 1, after: 2 } },
      { week: 13, window: { before: 4, after: 4 } },
      { week: 26, window: { before: 6, after: 6 } },
      { week: 52, window: { before: 8, after: 8 } },
    ],
    analysis: { primary_week: 52, estimators, milestone: { total_at_least: 4, label: label("Close to work") } },
  });
}
const arms = [{ id: "usual", control: true }, { id: "ips", control: false }, { id: "ips_e", control: false }];
const participants = (people.id as string[]).map((id, i) => ({ id, arm: people.arm![i] as string, stratum: String(people.site![i]) }));
const measurements: Measurement[] = (rows.participant as string[]).map((participant, i) => ({
  participant,
  day: rows.day![i] as number,
  scores: Object.fromEntries(factors.map((f) => [f, rows[f]![i] === "" ? null : (rows[f]![i] as number)])),
}));

describe("the protocol's progression plan on the reference data", () => {
  const out = analyzeProgression(progression(["ancova", "mixed_model"]), arms, participants, measurements);

  it("ANCOVA at every follow-up week; weeks 26 and 52 as R's lm_robust with Holm", () => {
    expect(new Set(out.ancova.map((e) => e.week))).toEqual(new Set([13, 26, 52]));
    for (const [week, key] of [[26, "week26_strata"], [52, "week52_strata"]] as const) {
      const got = out.ancova.filter((e) => e.week === week);
      got.forEach((e, j) => {
        expectMatchesR(e, r[key][j]);
        if (e.measure !== "total") expect(Math.abs(e.p_adjusted! - r[key][j].p_holm)).toBeLessThan(1e-8);
      });
    }
  });

  it("the mixed model per factor and for the total; the total as nlme::lme; factors Holm-adjusted per arm and week", () => {
    expect(out.mixed_model.map((m) => m.measure)).toEqual([...factors, "total"]);
    const total = out.mixed_model.find((m) => m.measure === "total")!;
    total.effects.forEach((e, j) => expectClose(e.estimate, r.mixed_model_total.estimate[6 + j], 1e-8));
    expectClose(total.fit.sigma, r.mixed_model_total.sigma, 1e-8);
    for (const m of out.mixed_model) for (const e of m.effects) expect(e.p_adjusted === null).toBe(m.measure === "total");
    // Holm by hand for one family: the four factors' effects of ips at week 52
    const family = out.mixed_model.filter((m) => m.measure !== "total").map((m) => m.effects.find((e) => e.arm === "ips" && e.week === 52)!);
    const sorted = family.map((e) => e.p_value).sort((a, b) => a - b);
    const smallest = family.find((e) => e.p_value === sorted[0])!;
    expect(smallest.p_adjusted).toBeCloseTo(Math.min(1, 4 * sorted[0]!), 12);
  });

  it("counts, completeness and the milestone come along; the primary result is the first estimator's", () => {
    expect(out.assignment).toEqual(r.counts);
    expect(out.completeness).toHaveLength(12);
    expect(out.milestone!.time.length + out.milestone!.counts.no_baseline + out.milestone!.counts.at_milestone_at_baseline + out.milestone!.counts.no_follow_up).toBe(240);
    expect(out.primary.map((e) => [e.estimator, e.measure, e.week, e.arm])).toEqual([
      ["ancova", "total", 52, "ips"],
      ["ancova", "total", 52, "ips_e"],
    ]);
    const mixedFirst = analyzeProgression(progression(["mixed_model"]), arms, participants, measurements);
    expect(mixedFirst.ancova).toEqual([]);
    expect(mixedFirst.primary.map((e) => [e.estimator, e.week, e.arm])).toEqual([
      ["mixed_model", 52, "ips"],
      ["mixed_model", 52, "ips_e"],
    ]);
    expectClose(mixedFirst.primary[0]!.estimate, r.mixed_model_total.estimate[10], 1e-8);
  });
});

describe("an interim look: nobody at week 52 yet, no one in ips_e measured at week 26", () => {
  // Week windows: 26 ± 6 weeks and 52 ± 8 weeks, in days from enrollment.
  const arm = new Map(participants.map((p) => [p.id, p.arm]));
  const interim = measurements.filter((m) => m.day < 44 * 7 && !(arm.get(m.participant) === "ips_e" && m.day > 20 * 7));
  const out = analyzeProgression(progression(["ancova", "mixed_model"]), arms, participants, interim);
  const full = analyzeProgression(progression(["ancova", "mixed_model"]), arms, participants, measurements);

  it("ANCOVA where every arm has completers (week 13, unchanged), the other weeks named in warnings", () => {
    expect(new Set(out.ancova.map((e) => e.week))).toEqual(new Set([13]));
    expect(out.ancova).toEqual(full.ancova.filter((e) => e.week === 13));
    expect(out.warnings.slice(0, 2)).toEqual([
      "progression ANCOVA, week 26: not estimated; health, week 26: no one in ips_e measured both at baseline and at the week (yet)",
      "progression ANCOVA, week 52: not estimated; health, week 52: no one in usual, ips, ips_e measured both at baseline and at the week (yet)",
    ]);
  });

  it("a week with one completer in an arm (leverage 1, no HC2) is skipped with the reason; the other weeks stand", () => {
    // Give back the week-26 measurement (days 141-307 here) of the first ips_e participant who has one.
    const week26 = (m: Measurement) => m.day > 20 * 7 && m.day < 44 * 7;
    const back = participants.filter((p) => p.arm === "ips_e").map((p) => measurements.filter((m) => m.participant === p.id && week26(m))).find((ms) => ms.length > 0)!;
    const one = [...interim, ...back];
    const out1 = analyzeProgression(progression(["ancova"]), arms, participants, one);
    expect(new Set(out1.ancova.map((e) => e.week))).toEqual(new Set([13]));
    expect(out1.warnings[0]).toMatch(/^progression ANCOVA, week 26: not estimated; .*leverage/);
  });

  it("before anyone is measured twice the mixed model is not estimated, with the reason, and the rest stands", () => {
    const baselines = measurements.filter((m) => m.day <= 2);
    const early = analyzeProgression(progression(["ancova", "mixed_model"]), arms, participants, baselines);
    expect(early.mixed_model).toEqual([]);
    expect(early.warnings.filter((w) => w.startsWith("progression mixed model, total: not estimated; total: every participant has a single measurement"))).toHaveLength(1);
    expect(early.completeness.length).toBeGreaterThan(0);
  });

  it("the mixed model fits the weeks with data and drops the rest, as lmer; no primary result yet", () => {
    const total = out.mixed_model.find((m) => m.measure === "total")!;
    expect(total.effects.map((e) => [e.arm, e.week])).toEqual([["ips", 13], ["ips_e", 13], ["ips", 26]]);
    expect(out.warnings[2]).toBe("progression mixed model: no measurements yet for week52, ips_e:week26, ips:week52, ips_e:week52; those effects are not estimated (columns dropped, as lmer does)");
    expect(out.warnings).toHaveLength(3);
    expect(out.primary).toEqual([]);
    expect(full.warnings).toEqual([]);
  });
});
