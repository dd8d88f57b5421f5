/**
 * Ratings of the trial's evidence, each returned with the rule that produced it and every
 * criterion as met or not, so a reader can check it by hand. All rest on the primary outcome.
 *
 * 1. What Works Clearinghouse study rating (Procedures and Standards Handbook v5.0, RCTs):
 *    attrition of every contrast low under the WWC boundary → "meets standards without
 *    reservations"; high attrition → "meets standards with reservations" only if baseline
 *    equivalence holds on the analytic sample (every covariate |g| ≤ 0.25, and those with
 *    0.05 < |g| ≤ 0.25 among the primary analysis's adjustment covariates); else "does not meet".
 *    The boundary is the optimistic one when the primary outcome comes from a register (attrition
 *    unlikely to depend on the intervention), else the cautious one.
 * 2. EEF security padlocks, 0–5 (Education Endowment Foundation, "Classifying the security of
 *    EEF findings", 2019). The rating is the lowest of: design (randomized: 5); MDES in standard
 *    deviations at the achieved sample (M √(1/(p(1−p)N)), M = z(1−α/2) + z(0.8), worst contrast):
 *    < 0.2 → 5, < 0.3 → 4, < 0.4 → 3, < 0.5 → 2, < 0.6 → 1, else 0; overall attrition of the
 *    primary outcome (worst contrast): ≤ 10 % → 5, ≤ 20 % → 4, ≤ 30 % → 3, ≤ 40 % → 2,
 *    ≤ 50 % → 1, else 0. Then one padlock less for imbalance (any |g| > 0.10 on the randomized
 *    sample) and one less for threats to validity (more than 1 % randomized in error, or a design
 *    warning: the analysis could not follow the design's strata or clusters). Never below 0.
 * 3. Danish evidence level of this one trial (stærk / moderat / indikation / modstridende /
 *    usikker): conflicting when primary effects are significant in opposite directions across
 *    contrasts, or site effects significant in both directions with significant heterogeneity
 *    (Q p < α); strong when the primary effect is significant (p < α, and randomization-inference
 *    p < α where it was run), WWC without reservations and ≥ 4 padlocks; moderate when significant,
 *    WWC met (with or without reservations) and ≥ 3 padlocks; indication when significant with
 *    weaker quality; uncertain when no primary contrast is significant.
 * 4. jobeffekter.dk weight: an RCT weighs 1; one that does not meet the WWC standards counts as a
 *    good quasi-experiment, 0.5. The study counts as "positive and significant" towards the
 *    knowledge bank's 55 % rule when a primary contrast is significant in the beneficial direction.
 */
import type { Protocol } from "../../protocols/index.ts";
import { qnorm } from "../distributions.ts";
import type { Consort, Evidence, Rating, ResultRow } from "./schema.ts";

type Inputs = Pick<Evidence, "results" | "attrition" | "balance" | "site_effects" | "randomization_inference" | "warnings">;

/** Whether an effect row is in the outcome's beneficial direction. */
export function beneficial(protocol: Protocol, row: ResultRow): boolean {
  const outcome = protocol.outcomes.find((o) => o.id === row.outcome)!;
  const ratio = row.estimator === "risk_ratio" || row.estimator === "cox_hazard_ratio";
  const sign = ratio ? row.estimate - 1 : row.estimate;
  // A hazard ratio above 1 shortens the time to the event.
  const higherIsBetter = row.estimator === "cox_hazard_ratio" ? outcome.benefit === "lower" : outcome.benefit === "higher";
  return higherIsBetter ? sign > 0 : sign < 0;
}

/** The primary outcome's main effect per contrast: the first estimator of the plan that gave a row. */
export function primaryEffects(protocol: Protocol, evidence: Pick<Evidence, "results">): ResultRow[] {
  const id = protocol.analysis.primary_outcome;
  const order = ["difference_in_means", "risk_difference", "lm_lin", "risk_ratio", "cox_hazard_ratio", "rmst_difference"];
  const rows = evidence.results.filter((r) => r.outcome === id && r.subgroup === null && order.includes(r.estimator));
  const byArm = new Map<string, ResultRow>();
  for (const r of rows) {
    const current = byArm.get(r.arm);
    if (!current || order.indexOf(r.estimator) < order.indexOf(current.estimator)) byArm.set(r.arm, r);
  }
  return protocol.arms.filter((a) => byArm.has(a.id)).map((a) => byArm.get(a.id)!);
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

export function wwcRating(protocol: Protocol, evidence: Inputs): Rating {
  const primary = protocol.outcomes.find((o) => o.id === protocol.analysis.primary_outcome)!;
  const assumption = primary.source.type === "register" ? "optimistic" : "cautious";
  const rows = evidence.attrition.filter((a) => a.outcome === primary.id);
  const low = rows.length > 0 && rows.every((a) => a[assumption].attrition === "low");
  const analytic = evidence.balance.filter((b) => b.sample === `analytic:${primary.id}`);
  const sample = analytic.length > 0 ? analytic : evidence.balance.filter((b) => b.sample === "randomized");
  const adjusted = protocol.analysis.outcomes[primary.id]?.covariates ?? protocol.analysis.adjustment_covariates;
  const usesLin = (protocol.analysis.outcomes[primary.id]?.estimators ?? []).includes("lm_lin");
  const equivalence = sample.every((b) => b.band === "satisfies" || (b.band === "adjustment_required" && usesLin && adjusted.includes(b.covariate)));
  const value = low ? "meets_without_reservations" : equivalence ? "meets_with_reservations" : "does_not_meet";
  const labels = {
    meets_without_reservations: { da: "Opfylder standarderne uden forbehold", en: "Meets standards without reservations" },
    meets_with_reservations: { da: "Opfylder standarderne med forbehold", en: "Meets standards with reservations" },
    does_not_meet: { da: "Opfylder ikke standarderne", en: "Does not meet standards" },
  } as const;
  return {
    scheme: "wwc",
    value,
    label: labels[value],
    rule: {
      da: `Randomiseret forsøg: lavt frafald (WWC-grænsen, ${assumption === "optimistic" ? "optimistisk" : "forsigtig"} antagelse) giver "uden forbehold"; højt frafald giver "med forbehold" kun hvis baseline-ækvivalens holder (|g| ≤ 0,25, og 0,05 < |g| ≤ 0,25 kun for justerede kovariater).`,
      en: `Randomized trial: low attrition (WWC boundary, ${assumption} assumption) meets standards without reservations; high attrition meets them with reservations only if baseline equivalence holds (|g| ≤ 0.25, and 0.05 < |g| ≤ 0.25 only for adjusted covariates).`,
    },
    criteria: [
      ...rows.map((a) => ({ name: `attrition ${a.contrast}`, met: a[assumption].attrition === "low", detail: `overall ${pct(a.overall)}, differential ${pct(a.differential)}, boundary ${a[assumption].max_differential === null ? "none" : pct(a[assumption].max_differential!)}` })),
      { name: `baseline equivalence (${analytic.length > 0 ? "analytic sample" : "randomized"})`, met: equivalence, detail: `largest |g| ${Math.max(0, ...sample.map((b) => Math.abs(b.hedges_g))).toFixed(3)}` },
    ],
  };
}

export function eefPadlocks(protocol: Protocol, evidence: Inputs, consort: Consort): Rating {
  const primary = protocol.analysis.primary_outcome;
  const control = consort.arms.find((a) => protocol.arms.find((p) => p.control)!.id === a.arm)!;
  const M = qnorm(1 - protocol.analysis.alpha / 2) + qnorm(0.8);
  let mdes = 0;
  for (const a of consort.arms) {
    if (a === control) continue;
    const n = a.allocated + control.allocated;
    const p = a.allocated / n;
    mdes = Math.max(mdes, M * Math.sqrt(1 / (p * (1 - p) * n)));
  }
  const attrition = Math.max(0, ...evidence.attrition.filter((a) => a.outcome === primary).map((a) => a.overall));
  const mdesLocks = mdes < 0.2 ? 5 : mdes < 0.3 ? 4 : mdes < 0.4 ? 3 : mdes < 0.5 ? 2 : mdes < 0.6 ? 1 : 0;
  const attritionLocks = attrition <= 0.1 ? 5 : attrition <= 0.2 ? 4 : attrition <= 0.3 ? 3 : attrition <= 0.4 ? 2 : attrition <= 0.5 ? 1 : 0;
  const maxG = Math.max(0, ...evidence.balance.filter((b) => b.sample === "randomized").map((b) => Math.abs(b.hedges_g)));
  const inError = consort.arms.reduce((s, a) => s + a.randomized_in_error, 0) / Math.max(1, consort.randomized);
  const designWarning = evidence.warnings.some((w) => w.startsWith("design:"));
  const imbalance = maxG > 0.1;
  const threats = inError > 0.01 || designWarning;
  const value = Math.max(0, Math.min(5, mdesLocks, attritionLocks) - (imbalance ? 1 : 0) - (threats ? 1 : 0));
  return {
    scheme: "eef_padlocks",
    value,
    label: { da: `${value} af 5 hængelåse`, en: `${value} of 5 padlocks` },
    rule: {
      da: "Laveste af design (randomiseret: 5), MDES (< 0,2: 5; < 0,3: 4; < 0,4: 3; < 0,5: 2; < 0,6: 1) og frafald (≤ 10 %: 5; ≤ 20 %: 4; ≤ 30 %: 3; ≤ 40 %: 2; ≤ 50 %: 1); minus 1 ved ubalance (|g| > 0,10) og minus 1 ved trusler (> 1 % fejlrandomiseret eller analysen kunne ikke følge designet).",
      en: "Lowest of design (randomized: 5), MDES (< 0.2: 5; < 0.3: 4; < 0.4: 3; < 0.5: 2; < 0.6: 1) and attrition (≤ 10 %: 5; ≤ 20 %: 4; ≤ 30 %: 3; ≤ 40 %: 2; ≤ 50 %: 1); minus 1 for imbalance (|g| > 0.10) and minus 1 for threats (> 1 % randomized in error, or the analysis could not follow the design).",
    },
    criteria: [
      { name: "design", met: true, detail: "randomized: 5" },
      { name: "mdes", met: mdesLocks === 5, detail: `MDES ${mdes.toFixed(3)} SD: ${mdesLocks}` },
      { name: "attrition", met: attritionLocks === 5, detail: `overall ${pct(attrition)}: ${attritionLocks}` },
      { name: "balance", met: !imbalance, detail: `largest |g| ${maxG.toFixed(3)}` },
      { name: "threats", met: !threats, detail: `randomized in error ${pct(inError)}${designWarning ? "; design warning" : ""}` },
    ],
  };
}

export function danishEvidenceLevel(protocol: Protocol, evidence: Inputs, wwc: Rating, eef: Rating): Rating {
  const alpha = protocol.analysis.alpha;
  const effects = primaryEffects(protocol, evidence);
  const riOk = (row: ResultRow) => {
    const ri = evidence.randomization_inference.find((r) => r.contrast === row.contrast);
    return ri === undefined || ri.p_value < alpha;
  };
  const significant = effects.filter((r) => r.p_value < alpha && riOk(r));
  const directions = new Set(significant.map((r) => beneficial(protocol, r)));
  const sites = evidence.site_effects.filter((s) => s.outcome === protocol.analysis.primary_outcome);
  const siteConflict = sites.some((s) => s.meta !== null && s.meta.Q_p_value < alpha && s.sites.some((x) => x.ci_lower > 0) && s.sites.some((x) => x.ci_upper < 0));
  const padlocks = Number(eef.value);
  let value: "strong" | "moderate" | "indication" | "conflicting" | "uncertain";
  if (directions.size > 1 || siteConflict) value = "conflicting";
  else if (significant.length === 0) value = "uncertain";
  else if (wwc.value === "meets_without_reservations" && padlocks >= 4) value = "strong";
  else if (wwc.value !== "does_not_meet" && padlocks >= 3) value = "moderate";
  else value = "indication";
  const labels = {
    strong: { da: "Stærk evidens", en: "Strong evidence" },
    moderate: { da: "Moderat evidens", en: "Moderate evidence" },
    indication: { da: "Indikation", en: "Indication" },
    conflicting: { da: "Modstridende evidens", en: "Conflicting evidence" },
    uncertain: { da: "Usikker evidens", en: "Uncertain evidence" },
  } as const;
  const direction = significant.length > 0 && directions.size === 1 ? ([...directions][0] ? "gavnlig / beneficial" : "skadelig / harmful") : "ingen / none";
  return {
    scheme: "danish_evidence_level",
    value,
    label: labels[value],
    rule: {
      da: "Modstridende: signifikante effekter i modsat retning (kontraster eller steder med signifikant heterogenitet). Usikker: ingen signifikant primær effekt. Stærk: signifikant, WWC uden forbehold og ≥ 4 hængelåse. Moderat: signifikant, WWC opfyldt og ≥ 3 hængelåse. Ellers indikation.",
      en: "Conflicting: significant effects in opposite directions (contrasts, or sites with significant heterogeneity). Uncertain: no significant primary effect. Strong: significant, WWC without reservations and ≥ 4 padlocks. Moderate: significant, WWC met and ≥ 3 padlocks. Otherwise indication.",
    },
    criteria: [
      ...effects.map((r) => ({ name: `primary ${r.contrast}`, met: r.p_value < alpha && riOk(r), detail: `${r.estimator} ${r.estimate.toPrecision(4)}, p ${r.p_value.toPrecision(3)}` })),
      { name: "direction", met: directions.size <= 1, detail: direction },
      { name: "sites agree", met: !siteConflict, detail: sites.length === 0 ? "one site" : sites.map((s) => `Q p ${s.meta?.Q_p_value.toPrecision(3) ?? "–"}`).join(", ") },
    ],
  };
}

export function jobeffekterWeight(protocol: Protocol, evidence: Inputs, wwc: Rating): Rating {
  const alpha = protocol.analysis.alpha;
  const weight = wwc.value === "does_not_meet" ? 0.5 : 1;
  const positive = primaryEffects(protocol, evidence).some((r) => r.p_value < alpha && beneficial(protocol, r));
  return {
    scheme: "jobeffekter_weight",
    value: weight,
    label: { da: `Vægt ${String(weight).replace(".", ",")}${positive ? ", positiv signifikant effekt" : ""}`, en: `Weight ${weight}${positive ? ", positive significant effect" : ""}` },
    rule: {
      da: "Randomiseret forsøg vægter 1; et forsøg der ikke opfylder WWC-standarderne tæller som et godt kvasi-eksperiment, 0,5. En effekt regnes for fastslået, når den vægtede andel af studier med positiv signifikant effekt er mindst 55 %.",
      en: "A randomized trial weighs 1; one that does not meet the WWC standards counts as a good quasi-experiment, 0.5. An effect is established when the weighted share of studies with a positive significant effect is at least 55 %.",
    },
    criteria: [
      { name: "design", met: weight === 1, detail: String(wwc.value) },
      { name: "positive significant", met: positive, detail: positive ? "yes" : "no" },
    ],
  };
}

export function ratings(protocol: Protocol, evidence: Inputs, consort: Consort): Rating[] {
  const wwc = wwcRating(protocol, evidence);
  const eef = eefPadlocks(protocol, evidence, consort);
  return [wwc, eef, danishEvidenceLevel(protocol, evidence, wwc, eef), jobeffekterWeight(protocol, evidence, wwc)];
}
