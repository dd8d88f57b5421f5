// Number formatting in Danish (decimal comma, thousands dot), used on every page.
// One formatter per number of digits: constructing an Intl.NumberFormat costs more than formatting.
const formatters = new Map();
const nf = (digits) => {
  let f = formatters.get(digits);
  if (!f) formatters.set(digits, (f = new Intl.NumberFormat("da-DK", {minimumFractionDigits: digits, maximumFractionDigits: digits})));
  return f;
};

export function num(x, digits = 2) {
  return x === null || x === undefined || !Number.isFinite(x) ? "–" : nf(digits).format(x);
}

export function dkk(x) {
  return x === null || x === undefined || !Number.isFinite(x) ? "–" : `${nf(0).format(Math.round(x))} kr.`;
}

export function pct(x, digits = 1) {
  return x === null || x === undefined || !Number.isFinite(x) ? "–" : `${nf(digits).format(100 * x)} %`;
}

/** An estimate on its outcome's scale: percentage points for a binary outcome. */
export function effect(x, type, digits = 3) {
  return type === "binary" ? `${num(100 * x, 1)} pp` : num(x, digits);
}

export const TARGET_GROUPS = {
  kontanthjaelp_jobparat: "Kontanthjælp, jobparat / social assistance, job-ready",
  kontanthjaelp_aktivitetsparat: "Kontanthjælp, aktivitetsparat / social assistance, activity-ready",
  uddannelseshjaelp_uddannelsesparat: "Uddannelseshjælp, uddannelsesparat / education benefit, education-ready",
  uddannelseshjaelp_aabenlyst_uddannelsesparat: "Uddannelseshjælp, åbenlyst uddannelsesparat / education benefit, clearly education-ready",
  uddannelseshjaelp_aktivitetsparat: "Uddannelseshjælp, aktivitetsparat / education benefit, activity-ready",
  sygedagpenge: "Sygedagpenge / sickness benefit",
  ressourceforloeb: "Ressourceforløb / resource programme",
  jobafklaringsforloeb: "Jobafklaringsforløb / job-clarification programme",
  ledighedsydelse: "Ledighedsydelse / benefit while waiting for a flex job",
  dagpenge: "Dagpenge / unemployment insurance",
  ingen_ydelse: "Ingen ydelse / no benefit"
};

export const targetGroupLabel = (g) => TARGET_GROUPS[g] ?? g;

/** A knowledge-bank cell's target group, including the all-groups and mixed-groups cells (knowledge.js). */
export const cellGroupLabel = (g) =>
  g === "all" ? "Alle målgrupper / All target groups" : g === "mixed" ? "Blandede målgrupper / Mixed target groups" : targetGroupLabel(g);
