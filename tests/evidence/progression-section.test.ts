/**
 * The evidence package's progression section: trajectories and completeness on a case small
 * enough to check by hand; every estimate equal to the existing progression analysis's on the
 * same data (ANCOVA, mixed model, primary, milestone through the survival code); and the words,
 * which call a difference only what the (adjusted) p allows and never turn progression into a job.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { progressionSection, type ProgressionData } from "../../analysis/evidence/progression.ts";
import type { ProgressionEffectRow, ProgressionSection } from "../../analysis/evidence/progression-schema.ts";
import { progressionStatements } from "../../analysis/evidence/progression-words.ts";
import { EvidenceSchema } from "../../analysis/evidence/schema.ts";
import { kaplanMeier } from "../../analysis/estimators/kaplan-meier.ts";
import { logrank } from "../../analysis/estimators/logrank.ts";
import { buildPanel, completeness } from "../../analysis/progression/panel.ts";
import { analyzeProgression } from "../../analysis/progression/progression-analysis.ts";
import { loadProtocol, type Protocol } from "../../protocols/index.ts";
import { syntheticIpsTrial, syntheticProgression } from "./synthetic-trial.ts";

function protocolFile(file: string): Protocol {
  const loaded = loadProtocol(readFileSync(file, "utf8"), file);
  if (!loaded.ok) throw new Error(file);
  return JSON.parse(JSON.stringify(loaded.protocol)) as Protocol;
}

/** Mentor-youth (two arms) cut down to two factors, weeks 0 and 13, ANCOVA only. */
function smallProtocol(): Protocol {
  const p = protocolFile("protocols/mentor-youth.yaml");
  const prog = p.progression!;
  prog.instrument.factors = prog.instrument.factors.slice(0, 2);
  prog.schedule = [{ week: 0, window: { before: 1, after: 2 } }, { week: 13, window: { before: 4, after: 4 } }];
  prog.analysis = { ...prog.analysis, primary_week: 13, estimators: ["ancova"] };
  return p;
}

const ARM = (p: Protocol, control: boolean) => p.arms.find((a) => (a.control === true) === control)!.id;

// R: qt(0.975, 1) and qt(0.975, 2).
const T1 = 12.706204736174698;
const T2 = 4.302652729749464;

describe("progression section, by hand", () => {
  const p = smallProtocol();
  const [f1, f2] = p.progression!.instrument.factors.map((f) => f.id);
  const c = ARM(p, true), t = ARM(p, false);
  const m = (participant: string, day: number, a: number, b: number) => ({ participant, day, scores: { [f1]: a, [f2]: b } });
  const data: ProgressionData = {
    participants: [
      { id: "c1", arm: c }, { id: "c2", arm: c }, { id: "c3", arm: c },
      { id: "t1", arm: t }, { id: "t2", arm: t }, { id: "t3", arm: t },
    ],
    measurements: [
      m("c1", 0, 2, 2), m("c1", 91, 3, 3),
      m("c2", 3, 1, 3), m("c2", 95, 2, 2),
      m("c3", 1, 3, 3),
      m("t1", 0, 2, 2), m("t1", 90, 4, 4),
      m("t2", 2, 1, 1), m("t2", 92, 3, 5),
      m("t3", 91, 5, 5),
      m("t3", 200, 1, 1), // outside every window
    ],
  };
  const s = progressionSection(p, data);

  it("gives the mean total by arm and week with its t interval", () => {
    const total = (arm: string, week: number) => s.trajectories.find((x) => x.measure === "total" && x.arm === arm && x.week === week)!;
    // control week 0: totals 2, 2, 3; SD √(1/3); half-width qt(.975, 2)·SD/√3
    const sd3 = Math.sqrt(1 / 3);
    expect(total(c, 0)).toMatchObject({ n: 3 });
    expect(total(c, 0).mean).toBeCloseTo(7 / 3, 12);
    expect(total(c, 0).sd).toBeCloseTo(sd3, 12);
    expect(total(c, 0).ci_lower).toBeCloseTo(7 / 3 - (T2 * sd3) / Math.sqrt(3), 9);
    // control week 13: 3, 2 → mean 2.5, SD √0.5, half-width qt(.975, 1)·√0.5/√2 = T1/2
    expect(total(c, 13).mean).toBe(2.5);
    expect(total(c, 13).ci_upper).toBeCloseTo(2.5 + T1 / 2, 9);
    // treatment week 0: 2, 1; week 13: 4, 4, 5 (t3's day 200 is outside every window)
    expect(total(t, 0).mean).toBe(1.5);
    expect(total(t, 13).mean).toBeCloseTo(13 / 3, 12);
    expect(total(t, 13).ci_upper).toBeCloseTo(13 / 3 + (T2 * sd3) / Math.sqrt(3), 9);
    // One factor: f2 for the treatment at week 13 is 4, 5, 5.
    expect(s.trajectories.find((x) => x.measure === f2 && x.arm === t && x.week === 13)!.mean).toBeCloseTo(14 / 3, 12);
  });

  it("counts completeness per arm and week over everyone randomized", () => {
    const rows = {
      [c]: [{ arm: c, week: 0, expected: 3, measured: 3, share: 1 }, { arm: c, week: 13, expected: 3, measured: 2, share: 2 / 3 }],
      [t]: [{ arm: t, week: 0, expected: 3, measured: 2, share: 2 / 3 }, { arm: t, week: 13, expected: 3, measured: 3, share: 1 }],
    };
    // In the protocol's arm order.
    expect(s.completeness).toEqual(p.arms.flatMap((a) => rows[a.id]));
    expect(s.assignment).toEqual({ rows: 11, used: 10, outside_window: 1, superseded: 0 });
  });

  it("keeps trajectories and completeness, and says why, when the effects cannot be estimated yet", () => {
    // Four completers, three ANCOVA coefficients: t2 has leverage 1, so HC2 is not defined.
    expect(s.ancova).toEqual([]);
    expect(s.primary).toEqual([]);
    expect(s.warnings.join("\n")).toMatch(/^progression ANCOVA, week 13: not estimated; .*leverage 1; HC2 standard errors are undefined$/);
    expect(s.statements.map((x) => x.kind)).toEqual(["total", "caveat"]);
    expect(s.statements[0].text.en).toBe("The effect on overall progression at week 13 cannot be estimated yet from the measurements as they stand (see the warnings below).");
    const empty = progressionSection(p, { participants: data.participants, measurements: [] });
    expect(empty.warnings).toEqual(["progression: no measurements recorded yet; effects not estimated"]);
    expect(empty.completeness.every((r) => r.measured === 0)).toBe(true);
    expect(empty.trajectories.every((r) => r.n === 0 && r.mean === null)).toBe(true);
  });
});

describe("progression section, against the progression analysis", () => {
  const trial = syntheticIpsTrial({ n: 300 });
  const protocol = trial.protocol;
  protocol.progression!.analysis.milestone = { total_at_least: 3, label: { da: "Samlet progression mindst 3", en: "Overall progression at least 3" } };
  const data = syntheticProgression(trial);
  const s = progressionSection(protocol, data);
  const arms = protocol.arms.map((a) => ({ id: a.id, control: a.control === true }));
  const analysis = analyzeProgression(protocol.progression!, arms, data.participants, data.measurements, { level: 0.95 });
  const plain = (x: unknown) => JSON.parse(JSON.stringify(x));

  it("carries the ANCOVA at the primary week, the mixed model and the primary result unchanged", () => {
    expect(s.warnings).toEqual([]);
    expect(s.ancova.length).toBe(2 * 7);
    expect(plain(s.ancova)).toEqual(plain(analysis.ancova.filter((e) => e.week === 52)));
    expect(plain(s.mixed_model)).toEqual(plain(analysis.mixed_model.flatMap((m) => m.effects)));
    expect(plain(s.primary)).toEqual(plain(analysis.primary));
    // Holm over the six factors per arm, the total outside the family.
    for (const e of s.ancova) expect(e.adjustment).toBe(e.measure === "total" ? null : "holm");
    expect(EvidenceSchema.shape.progression.parse(plain(s))).toBeDefined();
  });

  it("an interim look (nobody at week 52 yet): the effects so far, no primary result, warnings that say why", () => {
    const early = progressionSection(protocol, { participants: data.participants, measurements: data.measurements.filter((m) => m.day < 40 * 7) });
    expect(early.primary).toEqual([]);
    expect(early.ancova).toEqual([]); // only the primary week's ANCOVA is carried, and week 52 is not reached
    expect(new Set(early.mixed_model.map((e) => e.week))).toEqual(new Set(protocol.progression!.schedule.map((w) => w.week).filter((w) => w > 0 && w < 52)));
    expect(early.warnings.filter((w) => w.startsWith("progression ANCOVA, week 52: not estimated"))).toHaveLength(1);
    expect(early.warnings).toContain(
      "progression ANCOVA, week 78: not estimated; health, week 78: no one in usual, ips, ips_e measured both at baseline and at the week (yet)",
    );
    expect(early.warnings).toContain(
      "progression mixed model: no measurements yet for week52, week78, ips:week52, ips_e:week52, ips:week78, ips_e:week78; those effects are not estimated (columns dropped, as lmer does)",
    );
    expect(early.statements.filter((x) => x.kind === "total").map((x) => x.text.da)).toEqual([
      "Effekten på den samlede progression i uge 52 kan endnu ikke opgøres ud fra de målinger, der er (se advarslerne nedenfor).",
    ]);
    expect(EvidenceSchema.shape.progression.parse(plain(early))).toBeDefined();
  });

  it("carries the analysis's completeness, and trajectories whose n agrees with it", () => {
    const { panel } = buildPanel({ participants: data.participants, measurements: data.measurements, instrument: protocol.progression!.instrument, schedule: protocol.progression!.schedule });
    const expected = completeness(panel).map((r) => ({ arm: r.arm, week: r.week, expected: r.randomized, measured: r.measured, share: r.share }));
    const key = (r: { arm: string; week: number }) => `${r.arm}/${r.week}`;
    expect([...s.completeness].sort((a, b) => (key(a) < key(b) ? -1 : 1))).toEqual([...expected].sort((a, b) => (key(a) < key(b) ? -1 : 1)));
    for (const r of s.completeness) expect(s.trajectories.find((x) => x.measure === "total" && key(x) === key(r))!.n).toBe(r.measured);
  });

  it("runs the milestone through the survival code", () => {
    const times = analysis.milestone!;
    const levels = protocol.arms.map((a) => a.id);
    const km = kaplanMeier(times.time, times.event, times.arm, { levels, level: 0.95 });
    const lr = logrank(times.time, times.event, times.arm, { levels });
    expect(s.milestone!.counts).toEqual(times.counts);
    expect(s.milestone!.logrank).toEqual({ chisq: lr.chisq, df: lr.df, p_value: lr.p_value });
    expect(s.milestone!.arms.map((a) => [a.arm, a.n, a.events, a.median])).toEqual(km.arms.map((a) => [a.arm, a.n, a.events, a.median]));
    expect(s.milestone!.arms[0].curve.surv).toEqual(Array.from(km.arms[0].surv));
  });

  it("states each estimator's assumption about missing measurements", () => {
    expect(s.assumptions.ancova.en).toMatch(/completers/);
    expect(s.assumptions.mixed_model.en).toMatch(/every observed measurement/);
    for (const e of [...s.ancova, ...s.mixed_model]) expect(e.assumption).toEqual(s.assumptions[e.estimator]);
  });

  it("words the effect as moving closer to work, never as getting a job", () => {
    expectNoJobClaim(protocol, s);
    for (const st of s.statements.filter((x) => x.kind === "total")) {
      const e = s.primary.find((x) => x.arm === st.arm)!;
      expect(e.p_value < 0.05 && e.estimate > 0).toBe(true);
      expect(st.text.en).toMatch(/moved closer to work or education/);
      expect(st.text.da).toMatch(/rykkede tættere på arbejde eller uddannelse/);
    }
    const none = progressionSection(protocol, syntheticProgression(trial, { gain: 0 }));
    expectNoJobClaim(protocol, none);
    // No gain simulated (seed pinned): both totals are far from significant, and one factor's
    // unadjusted p below 0.05 does not survive Holm.
    expect(none.primary.every((e) => e.p_value > 0.5)).toBe(true);
    for (const st of none.statements.filter((x) => x.kind === "total" || x.kind === "factors")) {
      expect(st.text.en).toMatch(/^There is no evidence of a difference/);
      expect(st.text.da).toMatch(/^Der er ikke belæg for en forskel/);
      expect(st.text.en).not.toMatch(/moved closer|closer to work or education on/);
    }
    expect(none.statements.filter((x) => x.kind === "factors").map((x) => x.text.en).join(" ")).toContain("does not survive the correction");
  });
});

/** No sentence but the caveat speaks of jobs or employment; the caveat says progression is not a job. */
function expectNoJobClaim(protocol: Protocol, s: ProgressionSection) {
  const labels = protocol.progression!.instrument.factors.flatMap((f) => [f.label.da, f.label.en]);
  const strip = (text: string) => labels.reduce((t, l) => t.replaceAll(l, "").replaceAll(l.toLowerCase(), ""), text);
  for (const st of s.statements.filter((x) => x.kind !== "caveat")) {
    expect(strip(st.text.en), st.text.en).not.toMatch(/\bjobs?\b|employ|got work|into work|in work\b|hired/i);
    expect(strip(st.text.da), st.text.da).not.toMatch(/\bjob|beskæftig|i arbejde|fik arbejde|ansat/i);
  }
  const caveat = s.statements.filter((x) => x.kind === "caveat");
  expect(caveat).toHaveLength(1);
  expect(caveat[0].text.en).toContain("Moving closer is not the same as getting a job");
  expect(caveat[0].text.da).toContain("ikke det samme som at få et job");
}

describe("progression words", () => {
  const protocol = protocolFile("protocols/mentor-youth.yaml");
  const c = ARM(protocol, true), t = ARM(protocol, false);
  const effect = (measure: string, estimate: number, p: number, adjusted: number | null): ProgressionEffectRow => ({
    estimator: "ancova", term: t, measure, week: 52, arm: t, control: c, estimate, std_error: 0.1, statistic: estimate / 0.1, df: 100, p_value: p,
    p_adjusted: adjusted, adjustment: adjusted === null ? null : "holm", ci_lower: estimate - 0.2, ci_upper: estimate + 0.2, level: 0.95, n: 120, se_type: "HC2", warnings: [],
    assumption: { da: "", en: "" },
  });
  const words = (primary: ProgressionEffectRow[], ancova: ProgressionEffectRow[]) =>
    progressionStatements(protocol, { primary, ancova, milestone: null, multiplicity: "holm", primary_week: 52 });

  it("says 'no evidence of a difference' when p is not below alpha, whatever the estimate", () => {
    const [total] = words([effect("total", 0.4, 0.08, null)], []);
    expect(total.text.en).toMatch(/^There is no evidence of a difference in progression towards work or education between /);
    expect(total.text.da).toMatch(/^Der er ikke belæg for en forskel i progression mod arbejde eller uddannelse /);
    expect(total.text.en).not.toMatch(/moved closer/);
  });

  it("names no factor whose Holm-adjusted p is not below alpha, and says its unadjusted p does not survive", () => {
    const factors = words([effect("total", 0.2, 0.03, null)], [effect("health", 0.5, 0.01, 0.06), effect("skills", 0.1, 0.4, 0.8), effect("total", 0.2, 0.03, null)])[1];
    expect(factors.kind).toBe("factors");
    expect(factors.text.en).toMatch(/^There is no evidence of a difference on any single factor at week 52 .* after Holm adjustment over 2 factors\./);
    expect(factors.text.en).toContain("The unadjusted p of health is below 0.05 but does not survive the correction");
    expect(factors.text.da).toContain("Den ujusterede p for helbred er under 0,05, men holder ikke");
  });

  it("calls a factor closer or further only by its adjusted p, and says a negative total is further from work", () => {
    const [total, factors] = words([effect("total", -0.3, 0.01, null)], [effect("health", 0.5, 0.001, 0.002), effect("skills", -0.4, 0.004, 0.008)]);
    expect(total.text.en).toMatch(/ended further from work or education/);
    expect(factors.text.en).toMatch(/closer to work or education on health \(\+0\.50, p = 0\.002\), and further from it on skills \(-0\.40, p = 0\.008\) \(Holm-adjusted over 2 factors\)/);
  });
});
