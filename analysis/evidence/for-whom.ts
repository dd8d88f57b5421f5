/**
 * "For whom" in plain words, Danish and English, that never overclaim.
 *
 * Rule: for each outcome × contrast × pre-specified subgroup variable, the interaction p-value is
 * adjusted over the family of subgroup variables by the protocol's first multiplicity method
 * (Holm by default, else Benjamini–Hochberg). The text calls the effect different across the
 * variable's levels only when that adjusted p is below the protocol's alpha, and then names the
 * level with the larger estimated effect. Otherwise it says there is no evidence that the effect
 * differs, and, when the unadjusted p alone was below alpha, says so and that it does not survive
 * the correction. Subgroup estimates are never described as effects "for" a group on their own.
 */
import { multiplicityMethods, subgroupId, subgroupLevels, TARGET_GROUPS, type Protocol } from "../../protocols/index.ts";
import type { Evidence, ForWhom } from "./schema.ts";

/** Lower-cases the first letter only when the second is lower case too, so "IPS" and "CPR" stay. */
export const lowerFirst = (text: string) => (text.length > 1 && text[1] === text[1].toLowerCase() ? text[0].toLowerCase() + text.slice(1) : text);

/** A p-value for a sentence: "= 0.012", or "< 0.001"; Danish with a decimal comma. */
export const fmt = (p: number, locale: "da" | "en") => {
  const text = p < 0.001 ? "0.001" : p.toFixed(3);
  const shown = p < 0.001 ? `< ${text}` : `= ${text}`;
  return locale === "da" ? shown.replace(".", ",") : shown;
};

function variableLabel(protocol: Protocol, id: string): { da: string; en: string } {
  const subgroup = protocol.subgroups.find((s) => (s.id ?? s.variable) === id);
  const variable = subgroup?.variable ?? id;
  if (variable === "site") return { da: "sted (kommune)", en: "site (municipality)" };
  if (variable === "target_group") return { da: "målgruppe", en: "target group" };
  const covariate = protocol.covariates.find((c) => c.id === variable);
  return covariate ? { da: lowerFirst(covariate.label.da), en: lowerFirst(covariate.label.en) } : { da: id, en: id };
}

function levelLabel(protocol: Protocol, id: string, level: string): { da: string; en: string } {
  const subgroup = protocol.subgroups.find((s) => (s.id ?? s.variable) === id);
  const variable = subgroup?.variable ?? id;
  if (variable === "target_group" && level in TARGET_GROUPS) return TARGET_GROUPS[level as keyof typeof TARGET_GROUPS];
  const covariate = protocol.covariates.find((c) => c.id === variable);
  if (covariate?.type === "category") {
    const found = covariate.levels.find((l) => typeof l !== "string" && l.value === level);
    if (found && typeof found !== "string") return found.label;
  }
  if (covariate?.type === "boolean") {
    if (level === "1" || level === "true") return { da: `${covariate.label.da}: ja`, en: `${covariate.label.en}: yes` };
    if (level === "0" || level === "false") return { da: `${covariate.label.da}: nej`, en: `${covariate.label.en}: no` };
  }
  return { da: `${variable} ${level}`, en: `${variable} ${level}` };
}

export function forWhom(protocol: Protocol, evidence: Pick<Evidence, "heterogeneity" | "results">): ForWhom[] {
  const method = multiplicityMethods(protocol)[0];
  const alpha = protocol.analysis.alpha;
  const methodName = { holm: { da: "Holm", en: "Holm" }, bh: { da: "Benjamini–Hochberg", en: "Benjamini–Hochberg" } }[method];
  return evidence.heterogeneity.map((h) => {
    const adjusted = method === "holm" ? h.p_holm : h.p_bh;
    const differs = adjusted < alpha;
    const outcome = protocol.outcomes.find((o) => o.id === h.outcome)!;
    const [arm] = h.contrast.split(" vs ");
    const armLabel = protocol.arms.find((a) => a.id === arm)!.label;
    const variable = variableLabel(protocol, h.variable);
    let da: string;
    let en: string;
    if (differs) {
      const levels = evidence.results.filter((r) => r.outcome === h.outcome && r.contrast === h.contrast && r.subgroup?.variable === h.variable);
      // The largest effect is named only when every level has its row (a level whose outcome is the
      // same in both arms has none: see the warnings).
      const declared = protocol.subgroups.find((s) => subgroupId(s) === h.variable);
      const top = declared && levels.length === subgroupLevels(declared).length ? levels.reduce((a, b) => (b.estimate > a.estimate ? b : a)) : null;
      const largest = top === null ? null : levelLabel(protocol, h.variable, top.subgroup!.level);
      da = `Effekten af ${armLabel.da} på ${lowerFirst(outcome.label.da)} er forskellig efter ${variable.da}${largest ? `: størst for ${largest.da}` : ""} (interaktion, ${methodName.da}-justeret p ${fmt(adjusted, "da")}).`;
      en = `The effect of ${armLabel.en} on ${lowerFirst(outcome.label.en)} differs by ${variable.en}${largest ? `: largest for ${largest.en}` : ""} (interaction, ${methodName.en}-adjusted p ${fmt(adjusted, "en")}).`;
    } else {
      da = `Der er ikke belæg for, at effekten af ${armLabel.da} på ${lowerFirst(outcome.label.da)} er forskellig efter ${variable.da} (interaktion, ${methodName.da}-justeret p ${fmt(adjusted, "da")}).`;
      en = `There is no evidence that the effect of ${armLabel.en} on ${lowerFirst(outcome.label.en)} differs by ${variable.en} (interaction, ${methodName.en}-adjusted p ${fmt(adjusted, "en")}).`;
      if (h.interaction_p_value < alpha) {
        da += ` Den ujusterede p ${fmt(h.interaction_p_value, "da")} er under ${String(alpha).replace(".", ",")}, men holder ikke efter korrektion for, at flere undergrupper blev testet.`;
        en += ` The unadjusted p ${fmt(h.interaction_p_value, "en")} is below ${alpha} but does not survive the correction for testing several subgroups.`;
      }
    }
    return { outcome: h.outcome, contrast: h.contrast, variable: h.variable, adjusted_p_value: adjusted, method, differs, text: { da, en } };
  });
}
