/**
 * Progression in plain words, Danish and English, that keep "moved closer to work" apart from
 * "got a job".
 *
 * Rules:
 * - Progression is how close to work or education the citizen and caseworker judge the citizen to
 *   be. A progression effect is worded as moving closer to (or further from) work or education,
 *   never as getting a job or being employed; one `caveat` sentence says so and points to the
 *   employment outcomes. Only the caveat speaks of jobs, and only to say progression is not one.
 * - The total at the primary week (the protocol's first estimator) is called a difference only
 *   when its p is below the protocol's alpha; otherwise "no evidence of a difference".
 * - A factor is named only when its p adjusted over the factors (Holm or BH, as the protocol says)
 *   is below alpha; a factor whose unadjusted p alone is below alpha is said not to survive the
 *   correction.
 * - The milestone's time-to-event comparison is worded the same way (log-rank p).
 */
import type { Protocol } from "../../protocols/index.ts";
import { fmt as formatP, lowerFirst } from "./for-whom.ts";
import type { ProgressionEffectRow, ProgressionSection, ProgressionStatement } from "./progression-schema.ts";

const number = (v: number, locale: "da" | "en") => (locale === "da" ? v.toFixed(2).replace(".", ",") : v.toFixed(2));
const signed = (v: number, locale: "da" | "en") => (v > 0 ? "+" : "") + number(v, locale);
const METHOD = { holm: "Holm", bh: "Benjamini–Hochberg" } as const;

export function progressionStatements(
  protocol: Protocol,
  section: Pick<ProgressionSection, "primary" | "ancova" | "milestone" | "multiplicity" | "primary_week">,
): ProgressionStatement[] {
  const progression = protocol.progression;
  if (!progression) return [];
  const alpha = protocol.analysis.alpha;
  const arm = (id: string) => protocol.arms.find((a) => a.id === id)?.label ?? { da: id, en: id };
  const factor = (id: string) => progression.instrument.factors.find((f) => f.id === id)?.label ?? { da: id, en: id };
  const week = section.primary_week;
  const out: ProgressionStatement[] = [];

  for (const e of section.primary) {
    const a = arm(e.arm), c = arm(e.control);
    const ci = (l: "da" | "en") => `${l === "da" ? "95 %-KI" : "95% CI"} ${signed(e.ci_lower, l)} ${l === "da" ? "til" : "to"} ${signed(e.ci_upper, l)}`;
    const how = { da: e.estimator === "ancova" ? "ANCOVA" : "mixed model", en: e.estimator === "ancova" ? "ANCOVA" : "mixed model" };
    let da: string, en: string;
    if (e.p_value < alpha && e.estimate > 0) {
      da = `Deltagerne i ${a.da} rykkede tættere på arbejde eller uddannelse end deltagerne i ${lowerFirst(c.da)}: den samlede progression i uge ${week} var ${signed(e.estimate, "da")} point (${ci("da")}; p ${formatP(e.p_value, "da")}; ${how.da}).`;
      en = `Participants in ${a.en} moved closer to work or education than those in ${lowerFirst(c.en)}: overall progression at week ${week} differed by ${signed(e.estimate, "en")} points (${ci("en")}; p ${formatP(e.p_value, "en")}; ${how.en}).`;
    } else if (e.p_value < alpha) {
      da = `Deltagerne i ${a.da} endte længere fra arbejde eller uddannelse end deltagerne i ${lowerFirst(c.da)}: den samlede progression i uge ${week} var ${signed(e.estimate, "da")} point (${ci("da")}; p ${formatP(e.p_value, "da")}; ${how.da}).`;
      en = `Participants in ${a.en} ended further from work or education than those in ${lowerFirst(c.en)}: overall progression at week ${week} differed by ${signed(e.estimate, "en")} points (${ci("en")}; p ${formatP(e.p_value, "en")}; ${how.en}).`;
    } else {
      da = `Der er ikke belæg for en forskel i progression mod arbejde eller uddannelse mellem ${a.da} og ${lowerFirst(c.da)} i uge ${week} (${signed(e.estimate, "da")} point, ${ci("da")}; p ${formatP(e.p_value, "da")}; ${how.da}).`;
      en = `There is no evidence of a difference in progression towards work or education between ${a.en} and ${lowerFirst(c.en)} at week ${week} (${signed(e.estimate, "en")} points, ${ci("en")}; p ${formatP(e.p_value, "en")}; ${how.en}).`;
    }
    out.push({ kind: "total", arm: e.arm, text: { da, en } });
  }

  if (section.primary.length === 0) {
    out.push({
      kind: "total",
      arm: null,
      text: {
        da: `Effekten på den samlede progression i uge ${week} kan endnu ikke opgøres ud fra de målinger, der er (se advarslerne nedenfor).`,
        en: `The effect on overall progression at week ${week} cannot be estimated yet from the measurements as they stand (see the warnings below).`,
      },
    });
  }

  const arms = [...new Set(section.ancova.map((e) => e.arm))];
  for (const id of arms) {
    const family = section.ancova.filter((e): e is ProgressionEffectRow & { p_adjusted: number } => e.arm === id && e.p_adjusted !== null);
    if (family.length === 0) continue;
    const method = METHOD[section.multiplicity];
    const a = arm(id), c = arm(family[0].control);
    const found = family.filter((e) => e.p_adjusted < alpha);
    const nearly = family.filter((e) => e.p_adjusted >= alpha && e.p_value < alpha);
    const list = (es: typeof family, l: "da" | "en") => es.map((e) => `${lowerFirst(factor(e.measure)[l])} (${signed(e.estimate, l)}, p ${formatP(e.p_adjusted, l)})`).join("; ");
    let da: string, en: string;
    if (found.length > 0) {
      const closer = found.filter((e) => e.estimate > 0), further = found.filter((e) => e.estimate <= 0);
      const parts = { da: [] as string[], en: [] as string[] };
      if (closer.length > 0) (parts.da.push(`tættere på arbejde eller uddannelse på ${list(closer, "da")}`), parts.en.push(`closer to work or education on ${list(closer, "en")}`));
      if (further.length > 0) (parts.da.push(`længere fra på ${list(further, "da")}`), parts.en.push(`further from it on ${list(further, "en")}`));
      da = `Enkelte faktorer i uge ${week}, ${a.da} mod ${lowerFirst(c.da)}: ${parts.da.join(", og ")} (${method}-justeret over ${family.length} faktorer).`;
      en = `Single factors at week ${week}, ${a.en} against ${lowerFirst(c.en)}: ${parts.en.join(", and ")} (${method}-adjusted over ${family.length} factors).`;
    } else {
      da = `Der er ikke belæg for en forskel på nogen enkelt faktor i uge ${week} mellem ${a.da} og ${lowerFirst(c.da)}, efter ${method}-justering over ${family.length} faktorer.`;
      en = `There is no evidence of a difference on any single factor at week ${week} between ${a.en} and ${lowerFirst(c.en)}, after ${method} adjustment over ${family.length} factors.`;
    }
    if (nearly.length > 0) {
      da += ` Den ujusterede p for ${nearly.map((e) => lowerFirst(factor(e.measure).da)).join(", ")} er under ${String(alpha).replace(".", ",")}, men holder ikke efter korrektion for, at flere faktorer blev testet.`;
      en += ` The unadjusted p of ${nearly.map((e) => lowerFirst(factor(e.measure).en)).join(", ")} is below ${alpha} but does not survive the correction for testing several factors.`;
    }
    out.push({ kind: "factors", arm: id, text: { da, en } });
  }

  const m = section.milestone;
  if (m && m.logrank) {
    const p = m.logrank.p_value;
    const differs = p < alpha;
    out.push({
      kind: "milestone",
      arm: null,
      text: differs
        ? { da: `Tiden til milepælen "${m.label.da}" er forskellig mellem armene (log-rank p ${formatP(p, "da")}).`, en: `The time to the milestone "${m.label.en}" differs between the arms (log-rank p ${formatP(p, "en")}).` }
        : { da: `Der er ikke belæg for en forskel mellem armene i tiden til milepælen "${m.label.da}" (log-rank p ${formatP(p, "da")}).`, en: `There is no evidence of a difference between the arms in the time to the milestone "${m.label.en}" (log-rank p ${formatP(p, "en")}).` },
    });
  }

  out.push({
    kind: "caveat",
    arm: null,
    text: {
      da: "Progression er, hvor tæt på arbejde eller uddannelse borgeren og sagsbehandleren vurderer, at borgeren er. At rykke tættere på er ikke det samme som at få et job; om deltagerne kom i arbejde, viser beskæftigelsesudfaldene ovenfor.",
      en: "Progression is how close to work or education the citizen and caseworker judge the citizen to be. Moving closer is not the same as getting a job; whether participants got work is shown by the employment outcomes above.",
    },
  });
  return out;
}
