/**
 * The report's plots, drawn with Observable Plot into a linkedom document (no browser, no I/O) and
 * returned as standalone SVG text: Kaplan–Meier curves per arm, a forest plot of subgroup effects,
 * effects by site with the pooled random-effects estimate, and progression trajectories. Deterministic: the same evidence
 * gives byte-identical SVG (no randomness, no clock; labels are drawn as marks, not as an HTML
 * legend, so the result is always one `<svg>`).
 */
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import type { TrajectoryPoint } from "./progression-schema.ts";
import type { ResultRow, SiteEffects, SurvivalSummary } from "./schema.ts";

const WIDTH = 640;
/** Colours that stay apart for colour-blind readers (Okabe & Ito 2008), in arm order. */
const COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];

function render(options: Record<string, unknown>): string {
  const { document } = parseHTML("<!doctype html><html><body></body></html>");
  const node = Plot.plot({ document, width: WIDTH, style: { fontSize: "12px", background: "white" }, ...options } as Plot.PlotOptions) as unknown as { outerHTML: string };
  return roundGeometry(node.outerHTML.replace(/^<svg /, '<svg xmlns="http://www.w3.org/2000/svg" '));
}

/**
 * Coordinates in attribute values rounded to two decimals (a hundredth of a pixel). Plot writes
 * them at full precision, and a coordinate with exactly ten decimals looks like a CPR number to any
 * scanner of what the server sends; it also makes the plots 8-17% smaller. Text between tags (tick
 * labels, arm names) is left alone.
 */
export function roundGeometry(svg: string): string {
  return svg.replace(/="[^"]*"/g, (attribute) => attribute.replace(/\d+\.\d{3,}/g, (n) => String(Math.round(Number(n) * 100) / 100)));
}

/** Kaplan–Meier step curves, one per arm, labelled at their right end. */
export function kaplanMeierPlot(summary: SurvivalSummary, armLabels: Readonly<Record<string, string>>, timeLabel: string): string {
  const points: { arm: string; time: number; surv: number }[] = [];
  const ends: { arm: string; time: number; surv: number }[] = [];
  for (const arm of summary.arms) {
    const curve = arm.curve ?? { time: [], surv: [] };
    const label = armLabels[arm.arm] ?? arm.arm;
    points.push({ arm: label, time: 0, surv: 1 });
    curve.time.forEach((t, i) => points.push({ arm: label, time: t, surv: curve.surv[i] }));
    const last = points[points.length - 1];
    ends.push({ ...last });
  }
  const domain = summary.arms.map((a) => armLabels[a.arm] ?? a.arm);
  return render({
    height: 320,
    marginRight: 170,
    x: { label: timeLabel, grid: true },
    y: { label: "Andel uden hændelse / Proportion without event", domain: [0, 1], grid: true },
    color: { domain, range: COLOURS },
    marks: [
      Plot.ruleY([0]),
      Plot.line(points, { x: "time", y: "surv", stroke: "arm", curve: "step-after", strokeWidth: 2 }),
      Plot.text(ends, { x: "time", y: "surv", text: "arm", fill: "arm", textAnchor: "start", dx: 6, lineWidth: 13, textOverflow: "ellipsis-end" }),
    ],
  });
}

interface ForestRow {
  label: string;
  estimate: number;
  lower: number;
  upper: number;
  kind: "estimate" | "pooled";
}

function forest(rows: ForestRow[], xLabel: string, reference: number): string {
  const labels = rows.map((r) => r.label);
  return render({
    height: 60 + 28 * rows.length,
    marginLeft: 270,
    x: { label: xLabel, grid: true },
    y: { domain: labels, label: null, tickFormat: (d: string) => (d.length > 44 ? `${d.slice(0, 43)}…` : d) },
    marks: [
      Plot.ruleX([reference], { stroke: "#888", strokeDasharray: "4,3" }),
      Plot.link(rows, { x1: "lower", x2: "upper", y1: "label", y2: "label", stroke: "#333" }),
      Plot.dot(
        rows.filter((r) => r.kind === "estimate"),
        { x: "estimate", y: "label", fill: COLOURS[0], r: 4 },
      ),
      Plot.dot(
        rows.filter((r) => r.kind === "pooled"),
        { x: "estimate", y: "label", fill: COLOURS[1], symbol: "diamond", r: 6 },
      ),
    ],
  });
}

/**
 * Forest plot of one outcome and contrast: everyone first, then each subgroup level
 * (`variable: level`), difference in means with its CI.
 */
export function subgroupForestPlot(overall: ResultRow | null, subgroups: readonly ResultRow[], xLabel: string): string {
  const rows: ForestRow[] = [];
  if (overall) rows.push({ label: "Alle / Everyone", estimate: overall.estimate, lower: overall.ci_lower, upper: overall.ci_upper, kind: "pooled" });
  for (const r of subgroups) rows.push({ label: `${r.subgroup!.variable}: ${r.subgroup!.level}`, estimate: r.estimate, lower: r.ci_lower, upper: r.ci_upper, kind: "estimate" });
  return forest(rows, xLabel, 0);
}

/** Effects by site with the pooled random-effects estimate (REML) last. */
export function siteForestPlot(effects: SiteEffects, xLabel: string): string {
  const rows: ForestRow[] = effects.sites.map((s) => ({ label: `Sted / Site ${s.site}`, estimate: s.estimate, lower: s.ci_lower, upper: s.ci_upper, kind: "estimate" }));
  if (effects.meta) rows.push({ label: "Samlet / Pooled (REML)", estimate: effects.meta.estimate, lower: effects.meta.ci_lower, upper: effects.meta.ci_upper, kind: "pooled" });
  return forest(rows, xLabel, 0);
}

/**
 * Mean progression by arm over the planned weeks: a line through the means, a dot at each, the
 * confidence interval as a vertical bar, each arm shifted a little sideways so the bars do not
 * hide one another, and the arm's name at its right end. Weeks without a mean are left out.
 */
export function trajectoryPlot(points: readonly TrajectoryPoint[], armLabels: Readonly<Record<string, string>>, yLabel: string): string {
  const arms = [...new Set(points.map((p) => p.arm))];
  const weeks = [...new Set(points.map((p) => p.week))];
  const span = Math.max(1, Math.max(...weeks) - Math.min(...weeks));
  const shift = (arm: string) => (arms.indexOf(arm) - (arms.length - 1) / 2) * span * 0.008;
  const rows = points
    .filter((p) => p.mean !== null)
    .map((p) => ({ arm: armLabels[p.arm] ?? p.arm, week: p.week + shift(p.arm), mean: p.mean!, lower: p.ci_lower, upper: p.ci_upper }));
  const ends = arms.flatMap((a) => {
    const own = rows.filter((r) => r.arm === (armLabels[a] ?? a));
    return own.length > 0 ? [own[own.length - 1]] : [];
  });
  return render({
    height: 320,
    marginRight: 170,
    // Every planned week on the axis, also those not measured yet.
    x: { label: "Uge / Week", domain: [Math.min(...weeks), Math.max(...weeks)], ticks: weeks, tickFormat: (d: number) => String(d), inset: 6 },
    y: { label: yLabel, grid: true },
    color: { domain: arms.map((a) => armLabels[a] ?? a), range: COLOURS },
    marks: [
      Plot.ruleX(rows.filter((r) => r.lower !== null && r.upper !== null), { x: "week", y1: "lower", y2: "upper", stroke: "arm", strokeOpacity: 0.7 }),
      Plot.line(rows, { x: "week", y: "mean", stroke: "arm", strokeWidth: 2 }),
      Plot.dot(rows, { x: "week", y: "mean", fill: "arm", r: 3.5 }),
      Plot.text(ends, { x: "week", y: "mean", text: "arm", fill: "arm", textAnchor: "start", dx: 8, lineWidth: 13, textOverflow: "ellipsis-end" }),
    ],
  });
}
