/**
 * The pages' arithmetic in Node, on hand-made packages with hand-computed answers: the knowledge
 * bank's grouping rule (which estimates go to which intervention × target group × outcome cell),
 * its REML pooling, filters and weighted vote count, and the business case's totals, break-even
 * and per-group effects with their fallback. The browser modules are plain JavaScript importing
 * the analysis bundle the build makes.
 */
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { metaAnalysis } from "../../analysis/estimators/meta-analysis.ts";
import { bundleLibraries } from "../../notebooks/build.ts";

/* eslint-disable @typescript-eslint/no-explicit-any */
let knowledge: any;
let business: any;

beforeAll(async () => {
  await bundleLibraries();
  knowledge = await import(pathToFileURL(resolve("notebooks/src/components/knowledge.js")).href);
  business = await import(pathToFileURL(resolve("notebooks/src/components/business-case.js")).href);
}, 60_000);

const bi = (s: string) => ({ da: s, en: s });

function pkg(trial: string, opts: { groups: string[]; age: { min: number; max: number }; sites: [string, number, number][]; p: number; estimate: number; weight: number }) {
  return {
    id: `ev-${trial}`,
    trial,
    protocol: {
      id: "p",
      target_groups: opts.groups,
      age: opts.age,
      sites: opts.sites.map(([id]) => ({ id, name: `Kommune ${id}` })),
      arms: [{ id: "mentor", label: bi("Mentor"), control: false, cost: 1000 }, { id: "usual", label: bi("Usual"), control: true, cost: 0 }],
      outcomes: [{ id: "job", label: bi("Job"), type: "binary", benefit: "higher", role: "primary", time: { week: 52 } }],
      primary_outcome: "job",
      alpha: 0.05,
    },
    results: [{ outcome: "job", contrast: "mentor vs usual", arm: "mentor", control: "usual", subgroup: null, estimator: "risk_difference", estimate: opts.estimate, std_error: 0.02, ci_lower: 0, ci_upper: 0, p_value: opts.p, n: 400 }],
    ratings: [{ scheme: "jobeffekter_weight", value: opts.weight, label: bi("w") }, { scheme: "danish_evidence_level", value: "moderate", label: bi("Moderat") }],
    for_whom: [],
    site_effects: [{ outcome: "job", contrast: "mentor vs usual", arm: "mentor", control: "usual", sites: opts.sites.map(([site, estimate, se]) => ({ site, estimate, std_error: se, ci_lower: estimate - 2 * se, ci_upper: estimate + 2 * se, n: 100 })), meta: null }],
  };
}

const A = pkg("a", { groups: ["kontanthjaelp_jobparat"], age: { min: 18, max: 29 }, sites: [["101", 0.05, 0.03], ["751", 0.09, 0.04]], p: 0.01, estimate: 0.07, weight: 1 });
const B = pkg("b", { groups: ["sygedagpenge"], age: { min: 30, max: 64 }, sites: [["101", -0.01, 0.05], ["461", 0.02, 0.03]], p: 0.4, estimate: 0.01, weight: 0.5 });

describe("knowledge bank", () => {
  it("pools every site of every trial by REML in the all-groups cell and counts weighted votes", () => {
    const cells = knowledge.knowledgeCells([A, B]);
    // One target group each: their sites go to their group's cell, and every site to the all-groups cell.
    expect(cells.map((c: { key: string }) => c.key)).toEqual(["mentor|all|job", "mentor|kontanthjaelp_jobparat|job", "mentor|sygedagpenge|job"]);
    expect(cells[1].estimates.map((e: { estimate: number }) => e.estimate)).toEqual([0.05, 0.09]);
    const [cell] = cells;
    const m = metaAnalysis([0.05, 0.09, -0.01, 0.02], [0.03 ** 2, 0.04 ** 2, 0.05 ** 2, 0.03 ** 2], { method: "REML" });
    expect(cell.pooled.pooled.estimate).toBe(m.pooled.estimate);
    expect(cell.pooled.tau2).toBe(m.tau2);
    expect(cell.participants).toBe(400);
    // Weighted share: A positive significant (1), B not (0.5): 1 / 1.5 ≥ 55 %.
    expect(cell.vote.positive).toBe(1);
    expect(cell.vote.total).toBe(1.5);
    expect(cell.vote.established).toBe(true);
    // With equal weights the share is 50 %: not established.
    const equal = knowledge.knowledgeCells([A, { ...B, ratings: [{ scheme: "jobeffekter_weight", value: 1, label: bi("w") }] }])[0];
    expect(equal.vote.share).toBe(0.5);
    expect(equal.vote.established).toBe(false);
  });

  it("filters by target group, age band and municipality", () => {
    expect(knowledge.knowledgeCells([A, B], { targetGroup: "sygedagpenge" })[0].trials.map((t: { trial: string }) => t.trial)).toEqual(["b"]);
    expect(knowledge.knowledgeCells([A, B], { ageBand: "18-29" })[0].trials.map((t: { trial: string }) => t.trial)).toEqual(["a"]);
    const kbh = knowledge.knowledgeCells([A, B], { municipality: "101" })[0];
    expect(kbh.estimates.map((e: { site: string }) => e.site)).toEqual(["101", "101"]);
    expect(kbh.pooled.k).toBe(2);
    // One site alone is shown, not pooled.
    expect(knowledge.knowledgeCells([A, B], { municipality: "461" })[0].pooled).toBeNull();
  });
});

/**
 * Three packages for the grouping rule. P has two target groups and reports subgroup estimates by
 * target group; Q has one target group; R has two and reports subgroups by gender only.
 */
function multi(trial: string, groups: string[], sites: [string, number, number][], subgroups: { id: string; variable: string }[], levels: [string, number, number, number][]) {
  const base = pkg(trial, { groups, age: { min: 18, max: 64 }, sites, p: 0.2, estimate: 0.04, weight: 1 });
  const row = (level: string, estimate: number, se: number, n: number) => ({ ...base.results[0], subgroup: { variable: "target_group", level }, estimator: "difference_in_means", estimate, std_error: se, ci_lower: estimate - 1.96 * se, ci_upper: estimate + 1.96 * se, p_value: 0.3, n });
  const het = { outcome: "job", contrast: "mentor vs usual", variable: "target_group", interaction_p_value: 0.41, p_holm: 0.82, p_bh: 0.46 };
  return {
    ...base,
    protocol: { ...base.protocol, subgroups },
    results: [...base.results, ...levels.map(([level, e, se, n]) => row(level, e, se, n))],
    heterogeneity: levels.length ? [het] : [],
    for_whom: levels.length ? [{ outcome: "job", contrast: "mentor vs usual", variable: "target_group", adjusted_p_value: 0.82, method: "holm", differs: false, text: bi("no evidence that it differs by target group") }] : [],
  };
}
const AKT = "kontanthjaelp_aktivitetsparat";
const P = multi("p", [AKT, "ressourceforloeb"], [["101", 0.03, 0.03], ["751", 0.04, 0.05]], [{ id: "target_group", variable: "target_group" }], [[AKT, 0.02, 0.03, 150], ["ressourceforloeb", 0.05, 0.04, 90]]);
const Q = pkg("q", { groups: [AKT], age: { min: 18, max: 64 }, sites: [["461", 0.12, 0.03]], p: 0.01, estimate: 0.12, weight: 1 });
const R = multi("r", [AKT, "sygedagpenge"], [["101", 0.06, 0.04], ["851", 0.01, 0.02]], [{ id: "gender", variable: "gender" }], []);

describe("knowledge bank by target group", () => {
  const byKey = (cells: { key: string }[]) => new Map(cells.map((c) => [c.key, c]));

  it("puts each estimate in its cell: one-group sites, the package's own subgroup estimates, else mixed", () => {
    const cells = knowledge.knowledgeCells([P, Q, R]);
    expect(cells.map((c: { key: string }) => c.key)).toEqual([
      "mentor|all|job",
      `mentor|${AKT}|job`,
      "mentor|ressourceforloeb|job",
      "mentor|mixed|job",
    ]);
    const cell = byKey(cells);
    const est = (key: string) => (cell.get(key) as any).estimates.map((e: { trial: string; estimate: number }) => [e.trial, e.estimate]);
    // P's whole-trial estimate for the group and Q's only site; R says nothing per group, so it is not here.
    expect(est(`mentor|${AKT}|job`)).toEqual([["p", 0.02], ["q", 0.12]]);
    expect(est("mentor|ressourceforloeb|job")).toEqual([["p", 0.05]]);
    expect(est("mentor|mixed|job")).toEqual([["r", 0.06], ["r", 0.01]]);
    expect(est("mentor|all|job")).toEqual([["p", 0.03], ["p", 0.04], ["q", 0.12], ["r", 0.06], ["r", 0.01]]);
    // No cell claims anything for sickness benefit: only R has that group, and R has no estimate by group.
    expect(cell.has("mentor|sygedagpenge|job")).toBe(false);
    // P's contribution carries its heterogeneity row and its "for whom" sentence.
    const akt = cell.get(`mentor|${AKT}|job`) as any;
    const p = akt.trials.find((t: { trial: string }) => t.trial === "p");
    expect(p.source).toBe("subgroup");
    expect(p.heterogeneity).toMatchObject({ p_holm: 0.82, p_bh: 0.46 });
    expect(p.groupFinding.differs).toBe(false);
    expect(akt.participants).toBe(150 + 100);
  });

  it("pools a group cell by REML: 0.02 and 0.12, SE 0.03 each: τ² = 0.1²/2 − 0.03² = 0.0041, estimate 0.07, SE 0.05, I² 82 %", () => {
    // With two equal sampling variances v, REML's τ² is the sample variance minus v, and the
    // weights are equal: the pooled estimate is the mean, its variance (v + τ²) / 2.
    const cell = byKey(knowledge.knowledgeCells([P, Q, R])).get(`mentor|${AKT}|job`) as any;
    expect(cell.pooled.k).toBe(2);
    expect(cell.pooled.tau2).toBeCloseTo(0.0041, 8);
    expect(cell.pooled.pooled.estimate).toBeCloseTo(0.07, 8);
    expect(cell.pooled.pooled.std_error).toBeCloseTo(0.05, 8);
    expect(cell.pooled.I2).toBeCloseTo(82, 6);
    const m = metaAnalysis([0.02, 0.12], [0.03 ** 2, 0.03 ** 2], { method: "REML" });
    expect(cell.pooled.pooled.estimate).toBe(m.pooled.estimate);
    expect(cell.pooled.tau2).toBe(m.tau2);
    // A cell with one estimate is shown, not pooled.
    expect((byKey(knowledge.knowledgeCells([P, Q, R])).get("mentor|ressourceforloeb|job") as any).pooled).toBeNull();
  });

  it("the mixed and all-groups cells pool their site estimates through analysis/", () => {
    const cell = byKey(knowledge.knowledgeCells([P, Q, R]));
    const mixed = metaAnalysis([0.06, 0.01], [0.04 ** 2, 0.02 ** 2], { method: "REML" });
    expect((cell.get("mentor|mixed|job") as any).pooled.pooled.estimate).toBe(mixed.pooled.estimate);
    const all = metaAnalysis([0.03, 0.04, 0.12, 0.06, 0.01], [0.03, 0.05, 0.03, 0.04, 0.02].map((x) => x ** 2), { method: "REML" });
    expect((cell.get("mentor|all|job") as any).pooled.tau2).toBe(all.tau2);
  });

  it("a target-group filter shows that group's cell and the mixed cell of trials with the group; a municipality sends several-group trials to mixed", () => {
    const akt = knowledge.knowledgeCells([P, Q, R], { targetGroup: AKT });
    expect(akt.map((c: { key: string }) => c.key)).toEqual([`mentor|${AKT}|job`, "mentor|mixed|job"]);
    expect(knowledge.knowledgeCells([P, Q, R], { targetGroup: "sygedagpenge" }).map((c: { key: string }) => c.key)).toEqual(["mentor|mixed|job"]);
    // Subgroup estimates cover the whole trial: within one municipality they cannot be used.
    const kbh = knowledge.knowledgeCells([P, Q, R], { municipality: "101" });
    expect(kbh.map((c: { key: string }) => c.key)).toEqual(["mentor|all|job", "mentor|mixed|job"]);
    expect(kbh[1].estimates.map((e: { trial: string; site: string }) => `${e.trial}:${e.site}`)).toEqual(["p:101", "r:101"]);
  });
});

describe("business case", () => {
  const success = { estimate: 0.1, std_error: 0.02 };
  const weeks = { estimate: 5.2, std_error: 1, benefit: "higher", window: 52 };
  const input = {
    counts: { a: 100, b: 50 },
    rates: { a: 2000, b: 1000 },
    cost: 10_000,
    horizon: 52,
    success: { a: success, b: success },
    weeks: { a: { ...weeks, key: "w" }, b: { ...weeks, key: "w" } },
  };

  it("totals by hand: 0.1 week gained per week, savings at each group's rate, break-even at 60 weeks", () => {
    const r = business.businessCase(input);
    expect(r.n).toBe(150);
    expect(r.point.persons).toBeCloseTo(15, 12);
    expect(r.point.weeks).toBeCloseTo(780, 9);
    expect(r.point.savings).toBeCloseTo(100 * 0.1 * 52 * 2000 + 50 * 0.1 * 52 * 1000, 6);
    expect(r.point.cost).toBe(1_500_000);
    expect(r.point.net).toBeCloseTo(-200_000, 6);
    expect(r.breakEvenWeeks).toBeCloseTo(60, 9);
    // A benefit-lower outcome (weeks on benefit) gains when the effect is negative.
    const down = { ...weeks, estimate: -5.2, benefit: "lower" };
    const lower = business.businessCase({ ...input, weeks: { a: down, b: down } });
    expect(lower.point.weeks).toBeCloseTo(780, 9);
  });

  it("per-group effects: b gains 0.2 week per week, a 0.1: 1,040 weeks, net +60,000 kr., break-even at 50 weeks", () => {
    const r = business.businessCase({ ...input, success: { a: success, b: { estimate: 0.2, std_error: 0.05 } }, weeks: { a: weeks, b: { ...weeks, estimate: 10.4 } } });
    expect(r.point.persons).toBeCloseTo(100 * 0.1 + 50 * 0.2, 12);
    expect(r.point.weeks).toBeCloseTo(100 * 0.1 * 52 + 50 * 0.2 * 52, 9);
    expect(r.point.savings).toBeCloseTo(520 * 2000 + 520 * 1000, 6);
    expect(r.point.net).toBeCloseTo(60_000, 6);
    // 1,500,000 kr. / (100 × 0.1 × 2,000 + 50 × 0.2 × 1,000 kr. per week) = 50 weeks.
    expect(r.breakEvenWeeks).toBeCloseTo(50, 9);
  });

  it("takes a group's own cell where one exists and falls back, saying so, to the all-groups cell", () => {
    const own = business.pooledEffect([P, Q, R], "mentor", "job", AKT);
    expect(own.key).toBe(`mentor|${AKT}|job`);
    expect(own.fallback).toBe(false);
    expect(own.estimate).toBeCloseTo(0.07, 8);
    expect(own.k).toBe(2);
    const single = business.pooledEffect([P, Q, R], "mentor", "job", "ressourceforloeb");
    expect([single.key, single.estimate, single.std_error, single.fallback]).toEqual(["mentor|ressourceforloeb|job", 0.05, 0.04, false]);
    const back = business.pooledEffect([P, Q, R], "mentor", "job", "sygedagpenge");
    expect(back.key).toBe("mentor|all|job");
    expect(back.fallback).toBe(true);
    const all = metaAnalysis([0.03, 0.04, 0.12, 0.06, 0.01], [0.03, 0.05, 0.03, 0.04, 0.02].map((x) => x ** 2), { method: "REML" });
    expect(back.estimate).toBe(all.pooled.estimate);
    expect(back.window).toBe(52);
    const byGroup = business.effectsByGroup([P, Q, R], "mentor", "job", [AKT, "sygedagpenge"]);
    expect(Object.values(byGroup).map((e: any) => e.key)).toEqual([`mentor|${AKT}|job`, "mentor|all|job"]);
  });

  it("the persons interval adds variances per distinct cell", () => {
    // Same cell for both groups: 150 × (0.1 ± 1.96 × 0.02).
    const same = business.personsInterval({ a: 100, b: 50 }, { a: { ...success, key: "x" }, b: { ...success, key: "x" } });
    expect(same.lower).toBeCloseTo(15 - 1.96 * 3, 9);
    // Two cells: SE = √((100 × 0.02)² + (50 × 0.02)²) = √5.
    const two = business.personsInterval({ a: 100, b: 50 }, { a: { ...success, key: "x" }, b: { ...success, key: "y" } });
    expect(two.upper).toBeCloseTo(15 + 1.96 * Math.sqrt(5), 9);
  });

  it("the band is seeded, holds the point estimate and widens with the horizon", () => {
    const a = business.uncertaintyBand(input, { seed: 7, draws: 500, horizons: [26, 104] });
    const b = business.uncertaintyBand(input, { seed: 7, draws: 500, horizons: [26, 104] });
    expect(a).toEqual(b);
    for (const row of a) {
      expect(row.lower).toBeLessThan(row.net);
      expect(row.upper).toBeGreaterThan(row.net);
    }
    expect(a[1].upper - a[1].lower).toBeGreaterThan(a[0].upper - a[0].lower);
    // The band is linear in the horizon: at 104 weeks it is four times as wide as at 26.
    expect(a[1].upper - a[1].lower).toBeCloseTo(4 * (a[0].upper - a[0].lower), 6);
    // The savings per week are ~ N(150 × 0.1 × 1,666.7, (150 × 1/52 × 1,666.7)²) with one shared cell:
    // at 52 weeks the band is ±1.96 × 150 × 1,666.7 kr. ≈ ±490,000 kr. around the net (within sampling error of 500 draws).
    const wide = business.uncertaintyBand(input, { seed: 7, draws: 500, horizons: [52] })[0];
    expect((wide.upper - wide.lower) / 2).toBeGreaterThan(0.85 * 1.96 * 150 * (5000 / 3));
    expect((wide.upper - wide.lower) / 2).toBeLessThan(1.15 * 1.96 * 150 * (5000 / 3));
  });
});
