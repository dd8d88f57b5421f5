/**
 * `report.html`: the evidence package for people, in Danish with English alongside. One
 * self-contained file: CSS inline, plots inline SVG, no script, no font, image or link that would
 * make the page fetch anything. Its tables are `evidenceTables` (the same objects the package
 * writes as CSV), each marked `data-table="<name>"`; plots are marked `data-plot="<name>"`.
 */
import type { Protocol } from "../../protocols/index.ts";
import { kaplanMeierPlot, siteForestPlot, subgroupForestPlot } from "./plots.ts";
import { progressionHtml } from "./progression-report.ts";
import { primaryEffects } from "./ratings.ts";
import type { Evidence } from "./schema.ts";
import { evidenceTables, type Cell, type Table } from "./tables.ts";

export interface ReportContext {
  trialId: string;
  seedCommitment: string;
  /** The revealed seed; null while the trial still enrolls (the allocation must stay concealed). */
  seed: string | null;
  createdAt: string;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function show(v: Cell): string {
  if (v === null) return "–";
  if (typeof v === "string") return esc(v);
  if (!Number.isFinite(v)) return "–";
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 0.001 || a >= 1e6) ? v.toExponential(2) : a >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

function tableHtml(t: Table): string {
  return `<section class="table"><h3>${esc(t.title.da)} <span class="en">/ ${esc(t.title.en)}</span></h3>
<div class="scroll"><table data-table="${t.name}"><thead><tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join("")}</tr></thead>
<tbody>${t.rows.map((r) => `<tr>${r.map((c) => `<td${typeof c === "number" ? ' class="num"' : ""}>${show(c)}</td>`).join("")}</tr>`).join("\n")}</tbody></table></div>
<p class="file">tables/${t.name}.csv</p></section>`;
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1000px;padding:1.5rem;color:#1a1a1a;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:2px solid #0072B2;padding-bottom:.2rem}
h3{font-size:1rem;margin:1.2rem 0 .4rem}.en{color:#555;font-weight:normal}
.meta{color:#444;font-size:.9rem}.meta code{word-break:break-all}
table{border-collapse:collapse;font-size:.82rem;width:100%}th,td{border-bottom:1px solid #ddd;padding:.25rem .4rem;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#f2f5f8}.scroll{overflow-x:auto}
.file{font-size:.75rem;color:#777;margin:.2rem 0}
.ratings{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:.8rem}
.rating{border:1px solid #ccd;border-radius:6px;padding:.7rem}.rating .value{font-size:1.15rem;font-weight:600}
.rating .rule{font-size:.78rem;color:#444}
.flow{display:flex;flex-wrap:wrap;gap:.6rem;align-items:stretch}.box{border:1px solid #889;border-radius:4px;padding:.5rem .7rem;font-size:.85rem;background:#fafbfc}
figure{margin:1rem 0}figure svg{max-width:100%;height:auto}
.warn{background:#fff8e5;border-left:4px solid #E69F00;padding:.4rem .8rem;font-size:.82rem}
.forwhom li,.progression li{margin:.3rem 0}.headline li{margin:.4rem 0;font-size:1.05rem}
`;

export function reportHtml(protocol: Protocol, evidence: Evidence, context: ReportContext): string {
  const tables = evidenceTables(protocol, evidence);
  const byName = new Map(tables.map((t) => [t.name, t]));
  const table = (name: string) => (byName.has(name) ? tableHtml(byName.get(name)!) : "");
  const armLabels = Object.fromEntries(protocol.arms.map((a) => [a.id, `${a.label.da} / ${a.label.en}`]));
  const outcomeLabel = (id: string) => {
    const o = protocol.outcomes.find((x) => x.id === id);
    return o ? `${o.label.da} / ${o.label.en}` : id;
  };
  const parts: string[] = [];
  parts.push(`<h1>${esc(protocol.title.da)}</h1><p class="en" lang="en">${esc(protocol.title.en)}</p>
<p class="meta">Forsøg / trial <code>${esc(context.trialId)}</code> · protokol / protocol <code>${esc(protocol.id)}</code> v${protocol.version}, SHA-256 <code>${esc(evidence.protocol.hash)}</code><br>
Lavet / made ${esc(context.createdAt)}${evidence.predecessor ? ` · genanalyse af / re-analysis of <code>${esc(evidence.predecessor)}</code>` : ""}<br>
Seed-forpligtelse / seed commitment <code>${esc(context.seedCommitment)}</code>${context.seed ? `<br>Afsløret seed / revealed seed <code>${esc(context.seed)}</code>` : "<br>Seed afsløres, når forsøget er lukket / the seed is revealed once the trial is closed"}</p>`);

  // The headline: the primary outcome's main effect per contrast, in words, with its interval.
  const primary = protocol.outcomes.find((o) => o.id === protocol.analysis.primary_outcome);
  const headline = primaryEffects(protocol, evidence).map((r) => {
    const points = primary?.type === "binary" && (r.estimator === "risk_difference" || r.estimator === "difference_in_means");
    const scale = (v: number) => (points ? 100 * v : v);
    const unit = points ? { da: " procentpoint", en: " percentage points" } : r.estimator === "cox_hazard_ratio" ? { da: " (hazard ratio)", en: " (hazard ratio)" } : { da: primary?.unit ? ` ${primary.unit}` : "", en: primary?.unit ? ` ${primary.unit}` : "" };
    const num = (v: number, locale: "da" | "en") => {
      const text = (r.estimator === "cox_hazard_ratio" ? v : scale(v)).toFixed(points ? 1 : 3);
      const signed = r.estimator === "cox_hazard_ratio" || v < 0 ? text : `+${text}`;
      return locale === "da" ? signed.replace(".", ",") : signed;
    };
    const ri = evidence.randomization_inference.find((x) => x.contrast === r.contrast);
    // No draw as extreme as the observed: p is below 1 / draws, not 0.
    const riP = ri ? (ri.p_value === 0 ? `&lt; ${show(1 / ri.draws)}` : show(ri.p_value)) : "";
    const label = (id: string, l: "da" | "en") => protocol.arms.find((a) => a.id === id)?.label[l] ?? id;
    return `<li data-contrast="${esc(r.contrast)}">${esc(label(r.arm, "da"))} mod ${esc(label(r.control, "da"))}: <strong>${num(r.estimate, "da")}${esc(unit.da)}</strong> (95 %-KI ${num(r.ci_lower, "da")} til ${num(r.ci_upper, "da")}; p ${show(r.p_value)}${ri ? `; randomiseringsinferens p ${riP}` : ""})<br>
<span class="en" lang="en">${esc(label(r.arm, "en"))} vs ${esc(label(r.control, "en"))}: <strong>${num(r.estimate, "en")}${esc(unit.en)}</strong> (95% CI ${num(r.ci_lower, "en")} to ${num(r.ci_upper, "en")}; p ${show(r.p_value)}${ri ? `; randomization inference p ${riP}` : ""})</span></li>`;
  });
  if (headline.length > 0) {
    parts.push(`<h2>Hovedresultat <span class="en">/ Main result</span></h2><p>${esc(primary ? `${primary.label.da}` : "")} <span class="en">/ ${esc(primary ? primary.label.en : "")}</span></p><ul class="headline">${headline.join("\n")}</ul>`);
  }

  const ratings = evidence.ratings ?? [];
  if (ratings.length > 0) {
    parts.push(`<h2>Hvor sikre er vi? <span class="en">/ How sure are we?</span></h2><div class="ratings">${ratings
      .map((r) => `<div class="rating" data-rating="${esc(r.scheme)}"><div class="value">${esc(r.label.da)}</div><div class="en">${esc(r.label.en)}</div>
<p class="rule">${esc(r.rule.da)}</p><p class="rule en" lang="en">${esc(r.rule.en)}</p>
<ul class="rule">${r.criteria.map((c) => `<li>${c.met ? "✓" : "✗"} ${esc(c.name)}: ${esc(c.detail)}</li>`).join("")}</ul></div>`)
      .join("")}</div>`);
  }

  if (evidence.consort) {
    const c = evidence.consort;
    parts.push(`<h2>Deltagere <span class="en">/ Participants</span></h2><div class="flow">
<div class="box">Vurderet / assessed: ${c.assessed ?? "ikke registreret / not recorded"}</div>
<div class="box">Egnede / eligible: ${c.eligible ?? "ikke registreret / not recorded"}</div>
<div class="box">Randomiseret / randomized: ${c.randomized}</div>
${c.arms.map((a) => `<div class="box"><strong>${esc(armLabels[a.arm] ?? a.arm)}</strong><br>tildelt / allocated ${a.allocated}<br>udtrådt / withdrawn ${a.withdrawn}<br>tabt / lost to follow-up ${a.lost_to_follow_up}<br>analyseret / analysed ${a.analysed}</div>`).join("")}
</div>${table("consort")}`);
  }

  parts.push(`<h2>Hvad virker? <span class="en">/ What works?</span></h2>
<p>Primært udfald / primary outcome: <strong>${esc(outcomeLabel(protocol.analysis.primary_outcome))}</strong>. Alle effekter er intention-to-treat: alle randomiserede i den arm, de blev tildelt. <span class="en" lang="en">All effects are intention-to-treat: everyone randomized, in the arm they were assigned.</span></p>
${table("effects")}${table("randomization-inference")}`);

  for (const s of evidence.survival) {
    parts.push(`<figure data-plot="kaplan-meier-${esc(s.outcome)}"><figcaption>Kaplan–Meier: ${esc(outcomeLabel(s.outcome))} (log-rank p ${show(s.logrank.p_value)})</figcaption>${kaplanMeierPlot(s, armLabels, "Uger / Weeks")}</figure>`);
  }
  if (evidence.survival.length > 0) parts.push(table("survival") + table("survival-at"));
  if (evidence.progression && protocol.progression) parts.push(progressionHtml(protocol, evidence.progression, armLabels, table));

  parts.push(`<h2>For hvem? <span class="en">/ For whom?</span></h2>`);
  const forWhom = evidence.for_whom ?? [];
  if (forWhom.length > 0) {
    parts.push(`<ul class="forwhom">${forWhom.map((f) => `<li>${esc(f.text.da)}<br><span class="en" lang="en">${esc(f.text.en)}</span></li>`).join("")}</ul>`);
  } else parts.push("<p>Ingen forhåndsdefinerede undergrupper. <span class=\"en\">No pre-specified subgroups.</span></p>");
  const contrasts = new Set(evidence.results.filter((r) => r.subgroup !== null).map((r) => `${r.outcome}|${r.contrast}`));
  for (const key of contrasts) {
    const [outcome, contrast] = key.split("|");
    const rows = evidence.results.filter((r) => r.outcome === outcome && r.contrast === contrast);
    // Subgroup effects are differences in means (risk differences for a 0/1 outcome): everyone on the same scale.
    const overall = rows.find((r) => r.subgroup === null && r.estimator === "difference_in_means") ?? rows.find((r) => r.subgroup === null && r.estimator === "risk_difference") ?? null;
    const tests = evidence.heterogeneity.filter((h) => h.outcome === outcome && h.contrast === contrast);
    const method = (evidence.for_whom ?? []).find((f) => f.outcome === outcome && f.contrast === contrast)?.method ?? "holm";
    const adjusted = tests.map((h) => `${esc(h.variable)} p ${show(method === "holm" ? h.p_holm : h.p_bh)}`).join("; ");
    const caption = `${esc(outcomeLabel(outcome))}: ${esc(contrast)}${adjusted ? `<br><small>Interaktion, ${method === "holm" ? "Holm" : "Benjamini–Hochberg"}-justeret / interaction, adjusted: ${adjusted}</small>` : ""}`;
    parts.push(`<figure data-plot="forest-${esc(outcome)}-${esc(contrast.replace(/ /g, "-"))}"><figcaption>${caption}</figcaption>${subgroupForestPlot(overall, rows.filter((r) => r.subgroup !== null), "Forskel i gennemsnit / Difference in means")}</figure>`);
  }
  parts.push(table("subgroups") + table("heterogeneity"));

  if (evidence.site_effects.length > 0) {
    parts.push(`<h2>Effekter efter sted <span class="en">/ Effects by site</span></h2><p>Tilfældige effekter (REML) over stederne; τ² er variansen mellem steder, I² andelen af variationen, der skyldes forskelle mellem steder. <span class="en" lang="en">Random effects (REML) across sites; τ² is the between-site variance, I² the share of variation due to differences between sites.</span></p>`);
    for (const s of evidence.site_effects) {
      parts.push(`<figure data-plot="sites-${esc(s.outcome)}-${esc(s.contrast.replace(/ /g, "-"))}"><figcaption>${esc(outcomeLabel(s.outcome))}: ${esc(s.contrast)}${s.meta ? ` (τ² ${show(s.meta.tau2)}, I² ${show(s.meta.I2)} %, Q p ${show(s.meta.Q_p_value)})` : ""}</figcaption>${siteForestPlot(s, "Forskel / Difference")}</figure>`);
    }
    parts.push(table("sites") + table("meta-analysis"));
  }

  parts.push(`<h2>Hvad koster det? <span class="en">/ What does it cost?</span></h2><p>Omkostninger pr. deltager fra protokollen; gevinsten er sparet offentlig forsørgelse (uger som selvforsørgende × ugesats), diskonteret. <span class="en" lang="en">Costs per participant from the protocol; the gain is public benefit saved (weeks self-supporting × weekly rate), discounted.</span></p>${table("cost-effectiveness")}
${(evidence.cost_effectiveness ?? []).flatMap((c) => c.notes).map((n) => `<p class="warn">${esc(n)}</p>`).join("")}`);

  parts.push(`<h2>Kontroller <span class="en">/ Checks</span></h2>${table("balance")}${table("attrition")}`);

  const warnings = [...evidence.warnings, ...evidence.results.flatMap((r) => r.warnings.map((w) => `${r.outcome} ${r.contrast} ${r.estimator}${r.subgroup ? ` (${r.subgroup.variable} ${r.subgroup.level})` : ""}: ${w}`))];
  if (warnings.length > 0) parts.push(`<h2>Advarsler <span class="en">/ Warnings</span></h2>${[...new Set(warnings)].map((w) => `<p class="warn">${esc(w)}</p>`).join("")}`);
  parts.push(`<h2>Tabeller <span class="en">/ Tables</span></h2>${table("ratings")}
<p class="meta">Alle tal kan genberegnes: <code>npx virker verify &lt;pakke&gt;</code> kontrollerer manifest og signatur, genskaber hver tildeling fra seed og design og genkører analysen. <span class="en" lang="en">Every number can be re-derived: <code>npx virker verify &lt;package&gt;</code> checks the manifest and signature, re-derives every allocation from the seed and the design and re-runs the analysis.</span></p>`);

  return `<!doctype html>
<html lang="da"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(protocol.title.da)} · evidens / evidence</title><style>${CSS}</style></head>
<body>
${parts.join("\n")}
</body></html>
`;
}
