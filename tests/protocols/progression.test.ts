import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import {
  ProgressionInstrumentSchema,
  formatProblem,
  loadProtocol,
  protocolJsonSchema,
  totalFactors,
  totalRange,
  type Protocol,
} from "../../protocols/index.ts";
import { baseProtocol, load, problemsOf } from "./fixtures.ts";

const DEFAULT = "protocols/instruments/progression-default.yaml";
const defaultInstrument = () => parse(readFileSync(DEFAULT, "utf8"));

function withProgression(mutate: (p: Record<string, any>) => void = () => {}): Record<string, any> {
  const doc = baseProtocol();
  doc.progression = {
    instrument: defaultInstrument(),
    schedule: [
      { week: 0, window: { before: 1, after: 2 } },
      { week: 13, window: { before: 4, after: 4 } },
      { week: 26, window: { before: 6, after: 6 } },
    ],
    analysis: { primary_week: 26 },
  };
  mutate(doc.progression);
  return doc;
}

function expectProblem(mutate: (p: Record<string, any>) => void, path: string, text: string) {
  const { problems } = problemsOf(withProgression(mutate));
  const hit = problems.find((p) => p.path === path && p.message.includes(text));
  expect(hit, `no problem at ${path} containing "${text}"; got:\n${problems.map((p) => `${p.path}: ${p.message}`).join("\n")}`).toBeDefined();
}

function loadFile(file: string): Protocol {
  const r = loadProtocol(readFileSync(file, "utf8"), file);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  return r.protocol;
}

describe("the default progression instrument", () => {
  it("is a valid instrument, marked illustrative in the data and in a comment", () => {
    const parsed = ProgressionInstrumentSchema.parse(defaultInstrument());
    expect(parsed.illustrative).toBe(true);
    expect(readFileSync(DEFAULT, "utf8")).toMatch(/^# illustrative:/m);
    expect(parsed.factors.map((f) => f.id)).toEqual(["health", "social_situation", "motivation", "job_seeking", "skills", "everyday_coping"]);
    for (const f of parsed.factors) {
      expect(f.label.da.length).toBeGreaterThan(0);
      expect(f.scale.anchors.map((a) => a.value)).toContain(f.scale.min);
      expect(f.scale.anchors.map((a) => a.value)).toContain(f.scale.max);
    }
  });

  it.each(["protocols/ips-severe-mental-illness.yaml", "protocols/mentor-youth.yaml"])("%s carries a verbatim copy of it", (file) => {
    const written = parse(readFileSync(file, "utf8")).progression.instrument;
    expect(written).toEqual(defaultInstrument());
    const p = loadFile(file);
    expect(p.progression!.schedule[0]!.week).toBe(0);
    expect(p.progression!.analysis).toMatchObject({ primary_week: 52, estimators: ["ancova", "mixed_model"], baseline: "constrained", multiplicity: "holm" });
  });

  it("totals: the mean of six 1–5 factors ranges over 1–5; a sum of two 0–10 factors over 0–20", () => {
    const inst = ProgressionInstrumentSchema.parse(defaultInstrument());
    expect(totalFactors(inst)).toHaveLength(6);
    expect(totalRange(inst)).toEqual({ min: 1, max: 5 });
    const two = ProgressionInstrumentSchema.parse({
      ...defaultInstrument(),
      factors: defaultInstrument().factors.slice(0, 3).map((f: any) => ({ ...f, scale: { min: 0, max: 10, anchors: [{ value: 0, label: f.label }, { value: 10, label: f.label }] } })),
      total: { method: "sum", label: { da: "Sum", en: "Sum" }, factors: ["health", "motivation"] },
    });
    expect(totalFactors(two)).toEqual(["health", "motivation"]);
    expect(totalRange(two)).toEqual({ min: 0, max: 20 });
  });
});

describe("progression in a protocol", () => {
  it("a protocol with a progression section loads, defaults applied", () => {
    const r = load(withProgression());
    expect(r.ok ? [] : r.problems.map(formatProblem)).toEqual([]);
    if (r.ok) expect(r.protocol.progression!.analysis).toMatchObject({ estimators: ["ancova", "mixed_model"], baseline: "constrained", multiplicity: "holm" });
  });

  it("is optional: protocols without it are unchanged", () => {
    expect(load(baseProtocol()).ok).toBe(true);
  });

  it("unknown keys and bad shapes are reported with their path", () => {
    const { problems } = problemsOf(withProgression((p) => { p.instrument.factors[0].direction = "up"; p.schedule[1].window.after = -1; p.analysis.extra = 1; }));
    const paths = problems.map((p) => p.path);
    expect(paths).toContain("progression.instrument.factors[0].direction");
    expect(paths).toContain("progression.schedule[1].window.after");
    expect(paths).toContain("progression.analysis.extra");
  });

  it("factor ids are unique and 'total' is reserved", () => {
    expectProblem((p) => (p.instrument.factors[2].id = "health"), "progression.instrument.factors[2].id", `factor "health" is declared more than once`);
    expectProblem((p) => (p.instrument.factors[1].id = "total"), "progression.instrument.factors[1].id", `"total" is a reserved name`);
  });

  it("scales: min below max, anchors on the scale, both ends anchored, no anchor twice", () => {
    expectProblem((p) => (p.instrument.factors[0].scale.max = 1), "progression.instrument.factors[0].scale.max", "the scale's max (1) must exceed its min (1)");
    expectProblem((p) => (p.instrument.factors[0].scale.anchors[1].value = 7), "progression.instrument.factors[0].scale.anchors[1].value", "anchor 7 is outside the scale 1–5");
    expectProblem((p) => p.instrument.factors[0].scale.anchors.pop(), "progression.instrument.factors[0].scale.anchors", "both ends of the scale (1 and 5) need an anchor");
    expectProblem((p) => (p.instrument.factors[0].scale.anchors[1].value = 1), "progression.instrument.factors[0].scale.anchors[1].value", "anchor 1 is given twice");
  });

  it("the total names declared factors, each once", () => {
    expectProblem((p) => (p.instrument.total.factors = ["health", "wellbeing"]), "progression.instrument.total.factors[1]", `"wellbeing" is not a declared factor`);
    expectProblem((p) => (p.instrument.total.factors = ["health", "health"]), "progression.instrument.total.factors[1]", `"health" is listed twice`);
  });

  it("week 0 (the baseline) is planned", () => {
    expectProblem((p) => p.schedule.shift(), "progression.schedule", "week 0 (the baseline) must be among the planned weeks");
  });

  it("planned weeks increase and their windows do not overlap (touching ends overlap: windows are closed)", () => {
    expectProblem((p) => (p.schedule[2].week = 13), "progression.schedule[2].week", "planned weeks must increase: week 13 after week 13");
    // 13 + 4 = 17 and 26 − 9 = 17: both windows hold week 17
    expectProblem((p) => (p.schedule[2].window.before = 9), "progression.schedule[2].window.before", "the window around week 26 (from week 17) overlaps the window around week 13 (to week 17)");
    expect(load(withProgression((p) => (p.schedule[2].window.before = 8.5))).ok).toBe(true);
  });

  it("the primary week is a planned follow-up week", () => {
    expectProblem((p) => (p.analysis.primary_week = 52), "progression.analysis.primary_week", "week 52 is not a planned measurement week (planned: 0, 13, 26)");
    expectProblem((p) => (p.analysis.primary_week = 0), "progression.analysis.primary_week", "the primary week must be a follow-up week, not the baseline (week 0)");
  });

  it("a milestone lies inside the total's range", () => {
    const label = { da: "Tæt på arbejde", en: "Close to work" };
    expect(load(withProgression((p) => (p.analysis.milestone = { total_at_least: 4, label }))).ok).toBe(true);
    expectProblem((p) => (p.analysis.milestone = { total_at_least: 6, label }), "progression.analysis.milestone.total_at_least", "the milestone 6 must lie above the total's minimum (1) and at most at its maximum (5)");
    expectProblem((p) => (p.analysis.milestone = { total_at_least: 1, label }), "progression.analysis.milestone.total_at_least", "above the total's minimum (1)");
  });

  it("the JSON Schema export describes the progression section", () => {
    const schema = protocolJsonSchema() as { properties: Record<string, any> };
    const prog = schema.properties.progression;
    expect(prog).toBeDefined();
    expect(JSON.stringify(prog)).toContain("primary_week");
    expect(JSON.stringify(prog)).toContain("anchors");
  });
});

it("the progression example in protocols/README.md is valid inside a protocol", () => {
  const readme = readFileSync("protocols/README.md", "utf8");
  const section = readme.slice(readme.indexOf("## Progression"));
  const block = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
  const doc = baseProtocol();
  doc.progression = parse(block).progression;
  const r = load(doc);
  expect(r.ok ? [] : r.problems.map(formatProblem)).toEqual([]);
});
