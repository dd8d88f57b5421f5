/**
 * The report's plots against golden SVG files: same input, byte-identical SVG. Inputs are written
 * out here, not computed, so a plot changes only when the drawing code does.
 */
import { describe, expect, it } from "vitest";
import { kaplanMeierPlot, roundGeometry, siteForestPlot, subgroupForestPlot, trajectoryPlot } from "../../analysis/evidence/plots.ts";
import type { TrajectoryPoint } from "../../analysis/evidence/progression-schema.ts";
import type { ResultRow, SiteEffects, SurvivalSummary } from "../../analysis/evidence/schema.ts";
import { CPR_SHAPED } from "../api/harness.ts";
import { expectGolden } from "./golden.ts";

const survival: SurvivalSummary = {
  outcome: "time_to_job",
  logrank: { chisq: 4.2, df: 1, p_value: 0.04 },
  arms: [
    { arm: "ips", n: 5, events: 4, median: 10, median_ci_lower: 4, median_ci_upper: null, at: [], rmst: null, curve: { time: [4, 8, 10, 16, 20], surv: [0.8, 0.6, 0.4, 0.2, 0.2] } },
    { arm: "usual", n: 5, events: 3, median: 20, median_ci_lower: 12, median_ci_upper: null, at: [], rmst: null, curve: { time: [6, 12, 20, 26], surv: [0.8, 0.6, 0.4, 0.4] } },
  ],
};

const row = (level: string | null, estimate: number, lo: number, hi: number): ResultRow => ({
  outcome: "y", contrast: "ips vs usual", arm: "ips", control: "usual", subgroup: level === null ? null : { variable: level.split("=")[0], level: level.split("=")[1] },
  estimator: "difference_in_means", scale: "", estimate, std_error: 0.05, ci_lower: lo, ci_upper: hi, p_value: 0.01, df: 100, n: 200, se_type: "HC2", warnings: [],
});

const sites: SiteEffects = {
  outcome: "y", contrast: "ips vs usual", arm: "ips", control: "usual",
  sites: [
    { site: "101", estimate: 0.12, std_error: 0.05, ci_lower: 0.02, ci_upper: 0.22, n: 120 },
    { site: "147", estimate: 0.05, std_error: 0.06, ci_lower: -0.07, ci_upper: 0.17, n: 90 },
    { site: "751", estimate: 0.2, std_error: 0.07, ci_lower: 0.06, ci_upper: 0.34, n: 80 },
  ],
  meta: { method: "REML", estimate: 0.11, std_error: 0.04, ci_lower: 0.03, ci_upper: 0.19, p_value: 0.006, tau2: 0.001, se_tau2: 0.002, I2: 12, H2: 1.1, Q: 2.3, Q_df: 2, Q_p_value: 0.3, prediction_lower: 0, prediction_upper: 0.22 },
};

const point = (arm: string, week: number, n: number, mean: number | null, half: number | null): TrajectoryPoint => ({
  measure: "total", arm, week, n, mean, sd: null, ci_lower: mean === null || half === null ? null : mean - half, ci_upper: mean === null || half === null ? null : mean + half,
});
const trajectories: TrajectoryPoint[] = [
  point("ips", 0, 95, 2.4, 0.14), point("ips", 13, 86, 2.5, 0.14), point("ips", 26, 78, 2.7, 0.16), point("ips", 52, 71, 3.2, 0.16), point("ips", 78, 0, null, null),
  point("usual", 0, 99, 2.2, 0.14), point("usual", 13, 82, 2.2, 0.16), point("usual", 26, 82, 2.5, 0.15), point("usual", 52, 1, 2.7, null), point("usual", 78, 0, null, null),
];

describe("plots", () => {
  it("draws Kaplan–Meier curves as one deterministic SVG", () => {
    const svg = kaplanMeierPlot(survival, { ips: "IPS", usual: "Sædvanlig / Usual" }, "Uger / Weeks");
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" ')).toBe(true);
    expect(svg).toBe(kaplanMeierPlot(survival, { ips: "IPS", usual: "Sædvanlig / Usual" }, "Uger / Weeks"));
    expect(svg).toContain(">IPS<");
    expectGolden("kaplan-meier.svg", svg);
  });
  it("draws the forest plot of subgroup effects", () => {
    const svg = subgroupForestPlot(row(null, 0.1, 0.04, 0.16), [row("female=0", 0.08, 0, 0.16), row("female=1", 0.13, 0.04, 0.22)], "Forskel / Difference");
    expect(svg).toContain("female: 1");
    expectGolden("subgroup-forest.svg", svg);
  });
  it("draws mean progression by arm over the weeks with interval bars, leaving out weeks without a mean", () => {
    const svg = trajectoryPlot(trajectories, { ips: "IPS", usual: "Sædvanlig / Usual" }, "Samlet progression / Overall progression");
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" ')).toBe(true);
    expect(svg).toContain(">Sædvanlig / Usual<");
    expect(svg).toContain(">78<");
    // One dot per mean: 4 for IPS, 4 for usual care; one interval bar per mean with an interval (4 + 3).
    expect(svg.match(/<circle /g)).toHaveLength(8);
    expectGolden("progression-trajectories.svg", svg);
  });
  it("draws effects by site with the pooled estimate", () => {
    const svg = siteForestPlot(sites, "Forskel / Difference");
    expect(svg).toContain("Samlet / Pooled (REML)");
    expectGolden("site-forest.svg", svg);
  });
});

describe("plot geometry", () => {
  it("is rounded to hundredths in attributes only, so no coordinate looks like a CPR number", () => {
    // Plot wrote this coordinate with exactly ten decimals: a CPR-shaped run of digits in a report.
    const svg = '<svg><circle r="4" cy="179" cx="468.8911268047" /><path d="M441.245439729495,151L-0.3333333,2" /><text>0.12345</text></svg>';
    expect(svg).toMatch(CPR_SHAPED);
    const rounded = roundGeometry(svg);
    expect(rounded).toBe('<svg><circle r="4" cy="179" cx="468.89" /><path d="M441.25,151L-0.33,2" /><text>0.12345</text></svg>');
    expect(rounded).not.toMatch(CPR_SHAPED);
  });
  it("leaves no attribute number with more than two decimals in any plot", () => {
    const plots = [
      kaplanMeierPlot(survival, { ips: "IPS", usual: "Sædvanlig / Usual" }, "Uger / Weeks"),
      subgroupForestPlot(row(null, 0.1, 0.04, 0.16), [row("female=0", 0.08, 0, 0.16), row("female=1", 0.13, 0.04, 0.22)], "Forskel / Difference"),
      trajectoryPlot(trajectories, { ips: "IPS", usual: "Sædvanlig / Usual" }, "Samlet progression / Overall progression"),
      siteForestPlot(sites, "Forskel / Difference"),
    ];
    for (const svg of plots) for (const attribute of svg.match(/="[^"]*"/g) ?? []) expect(attribute).not.toMatch(/\d\.\d{3}/);
  });
});

describe("golden files", () => {
  it("fail on a changed plot and write <name>-changed.svg beside the golden one", async () => {
    const { existsSync, readFileSync, rmSync } = await import("node:fs");
    const svg = siteForestPlot({ ...sites, meta: { ...sites.meta!, estimate: 0.3 } }, "Forskel / Difference");
    expect(() => expectGolden("site-forest.svg", svg)).toThrow(/site-forest.svg changed/);
    const changed = "tests/golden/evidence/site-forest-changed.svg";
    expect(existsSync(changed)).toBe(true);
    expect(readFileSync(changed, "utf8")).toBe(svg);
    rmSync(changed);
  });
});
