/**
 * The progression section of the report and its tables: the sentences first, then the mean
 * trajectories by arm (plot and table), completeness per arm and week, the ANCOVA effects per
 * factor and for the total at the primary week with the adjusted p, the assumption behind each
 * estimator, the mixed model's arm × week effects and the time to the milestone.
 */
import type { Protocol } from "../../protocols/index.ts";
import { kaplanMeierPlot, trajectoryPlot } from "./plots.ts";
import type { ProgressionSection } from "./progression-schema.ts";
import type { Cell, Table } from "./tables.ts";

export function progressionTables(section: ProgressionSection): Table[] {
  const tables: Table[] = [];
  const push = (name: string, da: string, en: string, columns: string[], rows: Cell[][]) => {
    if (rows.length > 0) tables.push({ name, title: { da, en }, columns, rows });
  };
  const contrast = (e: { arm: string; control: string }) => `${e.arm} vs ${e.control}`;
  push("progression-trajectories", "Progression: gennemsnit efter arm og uge", "Progression: means by arm and week",
    ["measure", "arm", "week", "n", "mean", "sd", "ci_lower", "ci_upper"],
    section.trajectories.map((t) => [t.measure, t.arm, t.week, t.n, t.mean, t.sd, t.ci_lower, t.ci_upper]));
  push("progression-completeness", "Progression: fuldstændighed efter arm og uge", "Progression: completeness by arm and week",
    ["arm", "week", "expected", "measured", "share"],
    section.completeness.map((c) => [c.arm, c.week, c.expected, c.measured, c.share]));
  push("progression-effects", `Progression: effekter i uge ${section.primary_week} (ANCOVA)`, `Progression: effects at week ${section.primary_week} (ANCOVA)`,
    ["measure", "contrast", "week", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "p_adjusted", "adjustment", "df", "n", "se_type"],
    section.ancova.map((e) => [e.measure, contrast(e), e.week, e.estimate, e.std_error, e.ci_lower, e.ci_upper, e.p_value, e.p_adjusted, e.adjustment, e.df, e.n, e.se_type]));
  push("progression-mixed-model", "Progression: arm × uge (mixed model)", "Progression: arm × week (mixed model)",
    ["measure", "contrast", "week", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "p_adjusted", "adjustment", "df", "n"],
    section.mixed_model.map((e) => [e.measure, contrast(e), e.week, e.estimate, e.std_error, e.ci_lower, e.ci_upper, e.p_value, e.p_adjusted, e.adjustment, e.df, e.n]));
  const m = section.milestone;
  push("progression-milestone", "Progression: tid til milepæl", "Progression: time to milestone",
    ["arm", "n", "events", "median_weeks", "median_ci_lower", "median_ci_upper", "logrank_chisq", "logrank_df", "logrank_p_value"],
    (m?.arms ?? []).map((a) => [a.arm, a.n, a.events, a.median, a.median_ci_lower, a.median_ci_upper, m!.logrank?.chisq ?? null, m!.logrank?.df ?? null, m!.logrank?.p_value ?? null]));
  push("progression-assumptions", "Progression: antagelser", "Progression: assumptions",
    ["estimator", "assumption_da", "assumption_en"],
    Object.entries(section.assumptions).map(([k, a]) => [k, a.da, a.en]));
  return tables;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The report's progression section; `table(name)` renders one of `progressionTables` as HTML. */
export function progressionHtml(protocol: Protocol, section: ProgressionSection, armLabels: Readonly<Record<string, string>>, table: (name: string) => string): string {
  const instrument = protocol.progression!.instrument;
  const parts: string[] = [];
  parts.push(`<h2 id="progression">Progression mod arbejde eller uddannelse <span class="en">/ Progression towards work or education</span></h2>
<p>${esc(instrument.title.da)}, version ${instrument.version}. Højere er tættere på arbejde eller uddannelse. <span class="en" lang="en">${esc(instrument.title.en)}, version ${instrument.version}. Higher is closer to work or education.</span></p>
${instrument.illustrative ? `<p class="warn">${esc(instrument.source.da)}<br><span lang="en">${esc(instrument.source.en)}</span></p>` : ""}
<ul class="progression">${section.statements.map((s) => `<li data-statement="${s.kind}">${esc(s.text.da)}<br><span class="en" lang="en">${esc(s.text.en)}</span></li>`).join("\n")}</ul>`);
  const total = section.trajectories.filter((t) => t.measure === "total");
  if (total.some((t) => t.mean !== null)) {
    const percent = Math.round(100 * section.level);
    parts.push(`<figure data-plot="progression-trajectories"><figcaption>${esc(instrument.total.label.da)}: gennemsnit efter arm og uge med ${percent} %-konfidensinterval, blandt de målte <span class="en">/ ${esc(instrument.total.label.en)}: mean by arm and week with ${percent}% confidence interval, among those measured</span></figcaption>${trajectoryPlot(total, armLabels, "Samlet progression / Overall progression")}</figure>`);
  }
  parts.push(table("progression-completeness"));
  parts.push(table("progression-effects") + table("progression-mixed-model") + table("progression-assumptions"));
  const m = section.milestone;
  if (m && m.arms.length > 0) {
    const survival = { outcome: "progression-milestone", arms: m.arms.map((a) => ({ ...a, at: [], rmst: null })), logrank: m.logrank ?? { chisq: NaN, df: 0, p_value: NaN } };
    parts.push(`<figure data-plot="progression-milestone"><figcaption>${esc(m.label.da)} <span class="en">/ ${esc(m.label.en)}</span></figcaption>${kaplanMeierPlot(survival, armLabels, "Uger / Weeks")}</figure>${table("progression-milestone")}`);
  }
  parts.push(table("progression-trajectories"));
  parts.push(section.warnings.map((w) => `<p class="warn">${esc(w)}</p>`).join(""));
  return parts.join("\n");
}
