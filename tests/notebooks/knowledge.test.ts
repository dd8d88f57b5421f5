/**
 * The pages' arithmetic in Node, on hand-made packages with hand-computed answers: the knowledge
 * bank's filters and weighted vote count, and the business case's totals and break-even. The
 * browser modules are plain JavaScript importing the analysis bundle the build makes.
 */
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { metaAnalysis } from "../../analysis/estimators/meta-analysis.ts";
import { bundleAnalysis } from "../../notebooks/build.ts";

/* eslint-disable @typescript-eslint/no-explicit-any */
let knowledge: any;
let business: any;

beforeAll(async () => {
  await bundleAnalysis();
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
  it("pools every site of every trial by REML and counts weighted votes", () => {
    const [cell] = knowledge.knowledgeCells([A, B]);
    expect(cell.key).toBe("mentor|job");
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

describe("business case", () => {
  const input = {
    counts: { a: 100, b: 50 },
    rates: { a: 2000, b: 1000 },
    cost: 10_000,
    horizon: 52,
    success: { estimate: 0.1, std_error: 0.02 },
    weeks: { estimate: 5.2, std_error: 1, benefit: "higher", window: 52 },
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
    const lower = business.businessCase({ ...input, weeks: { ...input.weeks, estimate: -5.2, benefit: "lower" } });
    expect(lower.point.weeks).toBeCloseTo(780, 9);
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
  });
});
