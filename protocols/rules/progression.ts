/** The cross-field rule of a protocol's progression instrument. */
import { arr, isObj, msg, num, obj, show, str, type Obj, type PathSegment, type RuleIssue } from "./document.ts";

/**
 * Progression: unique factor ids, scales with min < max and anchors on the scale at both ends,
 * a total over declared factors, planned weeks that increase from a baseline at week 0 with
 * windows that do not overlap (so a measurement belongs to at most one planned week), a primary
 * week that is a planned follow-up week, and a milestone inside the total's range.
 */
export function progressionInstrument(doc: Obj): RuleIssue[] {
  if (!isObj(doc.progression)) return [];
  const prog = doc.progression;
  const issues: RuleIssue[] = [];
  const instrument = obj(prog.instrument);
  const at = (...p: PathSegment[]): PathSegment[] => ["progression", ...p];
  const ids = new Set<string>();
  const ranges = new Map<string, { min: number; max: number }>();
  arr(instrument.factors).forEach((f, i) => {
    const factor = obj(f);
    const id = str(factor.id);
    if (id !== undefined) {
      if (ids.has(id)) issues.push({ path: at("instrument", "factors", i, "id"), message: msg(`faktoren ${show(id)} er angivet mere end én gang`, `factor ${show(id)} is declared more than once`) });
      if (id === "total") issues.push({ path: at("instrument", "factors", i, "id"), message: msg(`"total" er et reserveret navn`, `"total" is a reserved name`) });
      ids.add(id);
    }
    const scale = obj(factor.scale);
    const min = num(scale.min);
    const max = num(scale.max);
    if (min === undefined || max === undefined) return;
    if (!(min < max)) {
      issues.push({ path: at("instrument", "factors", i, "scale", "max"), message: msg(`skalaens max (${max}) skal være større end min (${min})`, `the scale's max (${max}) must exceed its min (${min})`) });
      return;
    }
    if (id !== undefined && !ranges.has(id)) ranges.set(id, { min, max });
    const values = new Set<number>();
    arr(scale.anchors).forEach((a, j) => {
      const v = num(obj(a).value);
      if (v === undefined) return;
      if (v < min || v > max) issues.push({ path: at("instrument", "factors", i, "scale", "anchors", j, "value"), message: msg(`ankeret ${v} ligger uden for skalaen ${min}–${max}`, `anchor ${v} is outside the scale ${min}–${max}`) });
      if (values.has(v)) issues.push({ path: at("instrument", "factors", i, "scale", "anchors", j, "value"), message: msg(`ankeret ${v} er angivet to gange`, `anchor ${v} is given twice`) });
      values.add(v);
    });
    if (Array.isArray(scale.anchors) && (!values.has(min) || !values.has(max)))
      issues.push({ path: at("instrument", "factors", i, "scale", "anchors"), message: msg(`skalaens ender (${min} og ${max}) skal begge have et anker`, `both ends of the scale (${min} and ${max}) need an anchor`) });
  });
  const total = obj(instrument.total);
  const seen = new Set<string>();
  arr(total.factors).forEach((f, j) => {
    if (typeof f !== "string") return;
    if (!ids.has(f)) issues.push({ path: at("instrument", "total", "factors", j), message: msg(`${show(f)} er ikke en angivet faktor`, `${show(f)} is not a declared factor`) });
    if (seen.has(f)) issues.push({ path: at("instrument", "total", "factors", j), message: msg(`${show(f)} er angivet to gange`, `${show(f)} is listed twice`) });
    seen.add(f);
  });

  const schedule = arr(prog.schedule);
  const weeks: number[] = [];
  let previous: { week: number; end: number } | undefined;
  schedule.forEach((w, k) => {
    const planned = obj(w);
    const wk = num(planned.week);
    if (wk === undefined) return;
    weeks.push(wk);
    const window = obj(planned.window);
    const before = num(window.before) ?? 0;
    const after = num(window.after) ?? 0;
    if (previous !== undefined) {
      if (wk <= previous.week)
        issues.push({ path: at("schedule", k, "week"), message: msg(`de planlagte uger skal være stigende: uge ${wk} efter uge ${previous.week}`, `planned weeks must increase: week ${wk} after week ${previous.week}`) });
      else if (wk - before <= previous.end)
        issues.push({ path: at("schedule", k, "window", "before"), message: msg(`vinduet om uge ${wk} (fra uge ${wk - before}) overlapper vinduet om uge ${previous.week} (til uge ${previous.end})`, `the window around week ${wk} (from week ${wk - before}) overlaps the window around week ${previous.week} (to week ${previous.end})`) });
    }
    previous = { week: wk, end: wk + after };
  });
  if (schedule.length > 0 && !weeks.includes(0))
    issues.push({ path: at("schedule"), message: msg(`uge 0 (baseline) skal være blandt de planlagte uger`, `week 0 (the baseline) must be among the planned weeks`) });
  const analysis = obj(prog.analysis);
  const primary = num(analysis.primary_week);
  if (primary !== undefined && weeks.length > 0) {
    if (primary === 0) issues.push({ path: at("analysis", "primary_week"), message: msg(`den primære uge skal være en opfølgningsuge, ikke baseline (uge 0)`, `the primary week must be a follow-up week, not the baseline (week 0)`) });
    else if (!weeks.includes(primary))
      issues.push({ path: at("analysis", "primary_week"), message: msg(`uge ${primary} er ikke en planlagt måleuge (planlagt: ${weeks.join(", ")})`, `week ${primary} is not a planned measurement week (planned: ${weeks.join(", ")})`) });
  }
  const threshold = num(obj(analysis.milestone).total_at_least);
  const inTotal = (arr(total.factors).length > 0 ? arr(total.factors).filter((f): f is string => typeof f === "string") : [...ids]).map((f) => ranges.get(f));
  if (threshold !== undefined && inTotal.length > 0 && inTotal.every((r) => r !== undefined)) {
    let lo = inTotal.reduce((s, r) => s + r!.min, 0);
    let hi = inTotal.reduce((s, r) => s + r!.max, 0);
    if (total.method === "mean") [lo, hi] = [lo / inTotal.length, hi / inTotal.length];
    if (!(threshold > lo && threshold <= hi))
      issues.push({ path: at("analysis", "milestone", "total_at_least"), message: msg(`milepælen ${threshold} skal ligge over totalens minimum (${lo}) og højst på dens maksimum (${hi})`, `the milestone ${threshold} must lie above the total's minimum (${lo}) and at most at its maximum (${hi})`) });
  }
  return issues;
}
