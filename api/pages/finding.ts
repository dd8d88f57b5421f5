/**
 * The one-line "what works for whom" finding of an evidence package, in Danish and English, read
 * from its `evidence.json` and the trial's protocol: the primary outcome's overall effect for each
 * arm against control (the first estimate the plan lists, with its 95 % interval), then the first
 * "for whom" verdict on the primary outcome that found a difference, or that none was found.
 *
 * Pure; numbers are shown, never recomputed. A binary outcome's difference is in percentage points.
 */
import type { Evidence } from "../../analysis/evidence/schema.ts";
import type { Label, Protocol } from "../../protocols/index.ts";

/** The parts of `evidence.json` a finding reads (the schema's own types, so a rename breaks the build). */
type Findable = Partial<Pick<Evidence, "results" | "for_whom">>;

const da = new Intl.NumberFormat("da-DK", { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const en = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const da2 = new Intl.NumberFormat("da-DK", { maximumFractionDigits: 2, minimumFractionDigits: 2 });
const en2 = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 2, minimumFractionDigits: 2 });
const signed = (f: Intl.NumberFormat, x: number) => (x > 0 ? "+" : x < 0 ? "−" : "") + f.format(Math.abs(x));
const plain = (f: Intl.NumberFormat, x: number) => (x < 0 ? "−" : "") + f.format(Math.abs(x));

/** The finding, or null when the package has no overall estimate of the primary outcome. */
export function evidenceFinding(evidence: unknown, protocol: Protocol): Label | null {
  if (!evidence || typeof evidence !== "object") return null;
  const e = evidence as Findable;
  const primary = protocol.outcomes.find((o) => o.role === "primary");
  if (!primary || !Array.isArray(e.results)) return null;
  const label = (armId: string): Label => protocol.arms.find((a) => a.id === armId)?.label ?? { da: armId, en: armId };
  const seen = new Set<string>();
  const parts: Label[] = [];
  for (const r of e.results) {
    if (r.outcome !== primary.id || r.subgroup !== null || seen.has(r.contrast)) continue;
    if (![r.estimate, r.ci_lower, r.ci_upper].every(Number.isFinite)) continue;
    seen.add(r.contrast);
    const ratio = /ratio/.test(r.scale);
    const points = primary.type === "binary" && !ratio;
    const k = points ? 100 : 1;
    const [fd, fe] = points ? [da, en] : [da2, en2];
    const value = (f: Intl.NumberFormat, x: number) => (ratio ? plain(f, x) : signed(f, x * k));
    const unitDa = points ? " procentpoint" : ratio ? ` (${r.scale})` : "";
    const unitEn = points ? " percentage points" : ratio ? ` (${r.scale})` : "";
    parts.push({
      da: `${label(r.arm).da} mod ${label(r.control).da}: ${value(fd, r.estimate)}${unitDa} (95 %-KI ${value(fd, r.ci_lower)} til ${value(fd, r.ci_upper)})`,
      en: `${label(r.arm).en} vs ${label(r.control).en}: ${value(fe, r.estimate)}${unitEn} (95% CI ${value(fe, r.ci_lower)} to ${value(fe, r.ci_upper)})`,
    });
  }
  if (parts.length === 0) return null;
  const verdicts = (Array.isArray(e.for_whom) ? e.for_whom : []).filter((f) => f.outcome === primary.id);
  const differs = verdicts.find((f) => f.differs);
  const whom: Label | null = differs ? differs.text : verdicts.length > 0 ? { da: "Ingen påvist forskel mellem undergrupperne.", en: "No difference shown between subgroups." } : null;
  return {
    da: `${primary.label.da}: ${parts.map((p) => p.da).join("; ")}.${whom ? ` ${whom.da}` : ""}`,
    en: `${primary.label.en}: ${parts.map((p) => p.en).join("; ")}.${whom ? ` ${whom.en}` : ""}`,
  };
}
