import { describe, expect, it } from "vitest";
import { assignToPlannedWeeks } from "../../../analysis/progression/windows.ts";
import { buildPanel, completeness, progressionTotal, type InstrumentView } from "../../../analysis/progression/panel.ts";
import { progressionMixedModel } from "../../../analysis/progression/mixed-model.ts";
import { AnalysisError } from "../../../analysis/estimate.ts";
import { milestoneTimes } from "../../../analysis/progression/milestone.ts";
import { kaplanMeier } from "../../../analysis/estimators/kaplan-meier.ts";

const schedule = [
  { week: 0, window: { before: 1, after: 2 } }, // days −7 … 14
  { week: 13, window: { before: 2, after: 2 } }, // days 77 … 105, planned day 91
];

describe("assigning measurements to planned weeks", () => {
  it("nearest to the planned day within the window; the doc comment's example", () => {
    const a = assignToPlannedWeeks(["a", "a", "a"], [90, 95, 200], [{ week: 0, window: { before: 0, after: 1 } }, { week: 13, window: { before: 2, after: 2 } }]);
    expect(Array.from(a.week)).toEqual([1, -1, -1]);
    expect(a.counts).toEqual({ rows: 3, used: 1, outside_window: 1, superseded: 1 });
  });

  it("at equal distance the earlier day, on the same day the first given, whatever the input order", () => {
    // day 88 and day 94 are both 3 days from 91: 88 wins; two rows on day 88: the first given wins
    const a = assignToPlannedWeeks(["a", "a", "a", "b"], [94, 88, 88, 94], schedule);
    expect(Array.from(a.week)).toEqual([-1, 1, -1, 1]);
    expect(a.counts).toEqual({ rows: 4, used: 2, outside_window: 0, superseded: 2 });
  });

  it("window ends are inclusive; just outside is not used", () => {
    const a = assignToPlannedWeeks(["a", "b", "c", "d", "e", "f"], [-7, 14, 77, 105, -8, 106], schedule);
    expect(Array.from(a.week)).toEqual([0, 0, 1, 1, -1, -1]);
    expect(a.counts.outside_window).toBe(2);
  });

  it("a day that is not a number is named", () => {
    expect(() => assignToPlannedWeeks(["a", "b"], [3, NaN], schedule)).toThrow(/measurement 1 \(participant b\) has no valid day/);
  });
});

const instrument: InstrumentView = {
  factors: [
    { id: "health", scale: { min: 1, max: 5 }, direction: "higher" },
    { id: "barriers", scale: { min: 0, max: 10 }, direction: "lower" },
  ],
  total: { method: "mean" },
};

describe("the panel: oriented scores, totals, completeness", () => {
  it("a lower-is-closer factor is reversed (min + max − x) before it enters the total", () => {
    // health 4, barriers 3 → oriented barriers 0 + 10 − 3 = 7 → mean (4 + 7)/2 = 5.5
    expect(progressionTotal(instrument, { health: 4, barriers: 3 })).toBe(5.5);
    expect(progressionTotal({ ...instrument, total: { method: "sum" } }, { health: 4, barriers: 3 })).toBe(11);
    expect(progressionTotal({ ...instrument, total: { method: "sum", factors: ["health"] } }, { health: 4 })).toBe(4);
    expect(progressionTotal(instrument, { health: 4, barriers: null })).toBeNaN();
  });

  it("builds participants × weeks per measure, NaN where not measured, and counts completeness over the randomized", () => {
    const { panel, assignment } = buildPanel({
      participants: [
        { id: "p1", arm: "usual" },
        { id: "p2", arm: "mentor" },
        { id: "p3", arm: "mentor" },
      ],
      measurements: [
        { participant: "p1", day: 0, scores: { health: 2, barriers: 8 } },
        { participant: "p1", day: 90, scores: { health: 3, barriers: 6 } },
        { participant: "p2", day: 1, scores: { health: 4 } },
        { participant: "p2", day: 50, scores: { health: 5, barriers: 0 } },
      ],
      instrument,
      schedule,
    });
    expect(assignment).toEqual({ rows: 4, used: 3, outside_window: 1, superseded: 0 });
    expect(panel.measures).toEqual(["health", "barriers", "total"]);
    expect(Array.from(panel.scores.health!)).toEqual([2, 3, 4, NaN, NaN, NaN]);
    expect(Array.from(panel.scores.barriers!)).toEqual([2, 4, NaN, NaN, NaN, NaN]);
    expect(Array.from(panel.scores.total!)).toEqual([2, 3.5, NaN, NaN, NaN, NaN]);
    expect(completeness(panel, "health")).toEqual([
      { arm: "usual", week: 0, randomized: 1, measured: 1, share: 1 },
      { arm: "usual", week: 13, randomized: 1, measured: 1, share: 1 },
      { arm: "mentor", week: 0, randomized: 2, measured: 1, share: 0.5 },
      { arm: "mentor", week: 13, randomized: 2, measured: 0, share: 0 },
    ]);
  });

  it("refuses scores off the scale, unknown factors and people who were not randomized", () => {
    const base = { participants: [{ id: "p1", arm: "usual" }], instrument, schedule };
    expect(() => buildPanel({ ...base, measurements: [{ participant: "p1", day: 0, scores: { health: 6 } }] })).toThrow(/measurement 0, factor health: 6 is not an integer from 1 to 5/);
    expect(() => buildPanel({ ...base, measurements: [{ participant: "p1", day: 0, scores: { health: 2.5 } }] })).toThrow(AnalysisError);
    expect(() => buildPanel({ ...base, measurements: [{ participant: "p1", day: 0, scores: { mood: 2 } }] })).toThrow(/unknown factor "mood"/);
    expect(() => buildPanel({ ...base, measurements: [{ participant: "p9", day: 0, scores: { health: 2 } }] })).toThrow(/p9, who is not among the randomized/);
  });

  it("the mixed model drops and names a week with no measurements in an arm (as lmer), and refuses an arm it was not told about", () => {
    const { panel } = buildPanel({
      participants: [{ id: "p1", arm: "usual" }, { id: "p2", arm: "mentor" }, { id: "p3", arm: "usual" }],
      measurements: [
        { participant: "p1", day: 0, scores: { health: 2, barriers: 8 } },
        { participant: "p1", day: 91, scores: { health: 3, barriers: 8 } },
        { participant: "p2", day: 0, scores: { health: 3, barriers: 5 } },
        { participant: "p3", day: 0, scores: { health: 4, barriers: 5 } },
        { participant: "p3", day: 91, scores: { health: 4, barriers: 2 } },
      ],
      instrument,
      schedule,
    });
    const { fit, effects } = progressionMixedModel(panel, { control: "usual" });
    expect(fit.dropped).toEqual(["mentor:week13"]);
    expect(fit.names).toEqual(["(Intercept)", "week13"]);
    expect(effects).toEqual([]);
    expect(fit.warnings.join("\n")).toMatch(/mentor:week13 is a linear combination of the others \(no data to estimate it\); dropped from the model/);
    expect(() => progressionMixedModel(panel, { control: "usual", arms: [] })).toThrow(/arm mentor is neither the control nor among the arms/);
  });
});

describe("time to the milestone", () => {
  const people = [
    { id: "a", arm: "mentor" },
    { id: "b", arm: "mentor" },
    { id: "c", arm: "usual" },
    { id: "d", arm: "usual" },
    { id: "e", arm: "usual" },
    { id: "f", arm: "usual" },
  ];
  const inst: InstrumentView = { factors: [{ id: "health", scale: { min: 1, max: 5 }, direction: "higher" }], total: { method: "sum" } };
  const sched = [{ week: 0, window: { before: 1, after: 2 } }, { week: 26, window: { before: 4, after: 4 } }];
  const m = (participant: string, day: number, health: number | null) => ({ participant, day, scores: { health } });
  const out = milestoneTimes({
    participants: people,
    measurements: [
      m("a", 0, 2), m("a", 60, 3), m("a", 182, 4), m("a", 200, 5), // event at the first ≥ 4: day 182 = week 26
      m("b", 3, 1), m("b", 140, 3), m("b", 91, 2), //               censored at the last day, 140 = week 20
      m("c", 1, 4), m("c", 100, 5), //                              at the milestone at baseline: left out
      m("d", 40, 2), m("d", 182, 5), //                             day 40 is outside week 0's window: no baseline
      m("e", 0, 2), m("e", 70, null), //                            nothing scored after the baseline: no follow-up
      m("f", -5, 3), m("f", 30, 4), //                              an unplanned conversation counts: week 30/7
    ],
    instrument: inst,
    schedule: sched,
    threshold: 4,
  });

  it("event at the first total at or above the threshold after the baseline, else censored at the last measurement", () => {
    expect(out.participants).toEqual(["a", "b", "f"]);
    expect(Array.from(out.time)).toEqual([26, 20, 30 / 7]);
    expect(Array.from(out.event)).toEqual([1, 0, 1]);
    expect(out.counts).toEqual({ no_baseline: 1, at_milestone_at_baseline: 1, no_follow_up: 1 });
  });

  it("feeds the survival estimators", () => {
    const km = kaplanMeier(out.time, out.event, out.arm);
    expect(km.arms.map((a) => a.arm)).toEqual(["mentor", "usual"]);
  });
});
