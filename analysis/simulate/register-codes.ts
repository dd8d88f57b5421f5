/**
 * The weekly status codes the simulator writes, from the default DREAM-style code book
 * (api/register/default-codebook.yaml; a test checks each code's category there), and the
 * register category of each, for the simulator's own derivations.
 */
export type WeekCategory = "benefit" | "self_supporting" | "education" | "emigrated" | "dead";

/** Code index → code; the histories hold indices. */
export const CODES = ["000", "130", "131", "890", "740", "741", "781", "111", "521", "652", "651", "997", "999"] as const;
export type Code = (typeof CODES)[number];

export const CODE_CATEGORY: Readonly<Record<Code, WeekCategory>> = {
  "000": "self_supporting",
  "130": "benefit",
  "131": "benefit",
  "890": "benefit",
  "740": "benefit",
  "741": "benefit",
  "781": "benefit",
  "111": "benefit",
  "521": "benefit",
  "652": "education",
  "651": "education",
  "997": "emigrated",
  "999": "dead",
};

export const C = {
  selfSupporting: 0,
  kontanthjaelp: 1,
  uddannelseshjaelp: 2,
  sygedagpenge: 3,
  ressourceforloeb: 4,
  jobafklaring: 5,
  ledighedsydelse: 6,
  dagpenge: 7,
  activation: 8,
  educationUpperSecondary: 9,
  educationHigher: 10,
  emigrated: 11,
  dead: 12,
  /** No record that week (after emigration or death). */
  none: 255,
} as const;

/** Category of each code index (255 = no record). */
export const CATEGORY_OF: readonly WeekCategory[] = CODES.map((c) => CODE_CATEGORY[c]);

/** The benefit a target group is paid, as a code index; self-support for `ingen_ydelse`. */
export function benefitCode(targetGroup: string | undefined): number {
  if (targetGroup === undefined) return C.kontanthjaelp;
  if (targetGroup.startsWith("kontanthjaelp")) return C.kontanthjaelp;
  if (targetGroup.startsWith("uddannelseshjaelp")) return C.uddannelseshjaelp;
  const map: Record<string, number> = {
    sygedagpenge: C.sygedagpenge,
    ressourceforloeb: C.ressourceforloeb,
    jobafklaringsforloeb: C.jobafklaring,
    ledighedsydelse: C.ledighedsydelse,
    dagpenge: C.dagpenge,
    ingen_ydelse: C.selfSupporting,
  };
  return map[targetGroup] ?? C.kontanthjaelp;
}
