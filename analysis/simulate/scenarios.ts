/**
 * Scenarios: the simulated world behind each shipped protocol. Who the citizens are (target-group
 * mix, ages, sexes, baseline covariates), what usual services achieve, what the intervention adds
 * (taken from the literature where there is any, cited below; everything else is marked
 * illustrative), for whom it adds more, and how people leave a trial early.
 *
 * Heterogeneity ("for whom"): each scenario names one pre-specified subgroup variable, the
 * modifier, whose levels get different effects on the primary outcome (`relative`, scaled so the
 * average effect over the participants is the literature's). The modifier is drawn independently
 * of every other subgroup variable, so no other subgroup's effect on the primary outcome differs,
 * not even marginally: a correct analysis finds the modifier and nothing else.
 */
import type { CovariateValue, Protocol, TargetGroup } from "../../protocols/index.ts";
import type { RandomSource } from "../design/random.ts";
import { bernoulli, between, clamp, normal, weighted } from "./draws.ts";

/** What a covariate draw can see: the citizen drawn so far. */
export interface DrawContext {
  rng: RandomSource;
  age: number;
  sex: "female" | "male";
  site: string;
  targetGroup: string | undefined;
  covariates: Record<string, CovariateValue | undefined>;
}

/** A covariate draw; `undefined` leaves an optional covariate out. */
export type CovariateDraw = (ctx: DrawContext) => CovariateValue | undefined;

/**
 * How the register history is anchored to the primary outcome, so that the primary outcome's
 * truth is exact and the history agrees with it:
 * - `state_at`: in work or education at `week` (a site-recorded binary outcome); the person's
 *   main spell (job, or education with probability `education`) covers that week exactly when
 *   the outcome is 1.
 * - `education_start`: an education spell starts in weeks `from`..`to` exactly when the outcome
 *   is 1 (the register derivation `education_started`).
 * - `hazard`: no binary anchor (a continuous primary outcome); a first job spell starts with the
 *   weekly hazard `rate`, multiplied by `ratio[arm]` for the arm.
 */
export type Anchor =
  | { kind: "state_at"; week: number; education: number }
  | { kind: "education_start"; from: number; to: number }
  | { kind: "hazard"; rate: number; ratio: Record<string, number> };

export interface Scenario {
  /** Where the numbers come from. */
  sources: string[];
  /** Weights of the target groups among eligible citizens (the protocol's groups). */
  targetGroups: Partial<Record<TargetGroup, number>>;
  /** Age at enrollment, in whole years, given the target group (clamped to the protocol's range). */
  age: (rng: RandomSource, targetGroup: string | undefined) => number;
  femaleShare: number;
  /** Draws of covariates the defaults do not cover well (see citizens.ts for the defaults). */
  covariates: Record<string, CovariateDraw>;
  primary: {
    /** Usual services' rate (binary) or mean (continuous) of the primary outcome. */
    control: number;
    /** Average effect of each intervention arm on the primary outcome (risk difference or points). */
    effects: Record<string, number>;
    /** Continuous outcomes: residual standard deviation. */
    sd?: number;
    /** Continuous outcomes: a baseline covariate the outcome follows, `slope · (x − centre)`. */
    follows?: { covariate: string; slope: number; centre: number };
    /** Continuous outcomes: the scale's ends (values are clamped to them). */
    range?: [number, number];
  };
  /** Shifts of the control log-odds (binary primary) or mean (continuous), by `variable=value`. */
  baseline: Record<string, number>;
  /** The one subgroup variable whose levels get different effects, and their relative sizes. */
  modifier: { variable: string; relative: Record<string, number> };
  /** Standard deviation of site shifts on the log-odds (0: none), and of cluster shifts. */
  siteSd: number;
  cluster?: { covariate: string; sd: number };
  anchor: Anchor;
  /** How much sooner the main spell starts under each arm (1 = as usual services). */
  startScale: Record<string, number>;
  /** Planned programme length in weeks, as [shortest, longest]. */
  programmeWeeks: [number, number];
  /** Probabilities: withdrawing consent, no site-recorded follow-up, emigrating, dying (within the follow-up), dropping out of the programme (intervention arms). */
  attrition: { withdrawal: number; lossToFollowUp: number; emigration: number; death: number; dropout: number };
}

const PRIOR_WEEKS: Partial<Record<TargetGroup, [number, number]>> = {
  kontanthjaelp_jobparat: [20, 52],
  kontanthjaelp_aktivitetsparat: [40, 52],
  uddannelseshjaelp_uddannelsesparat: [10, 52],
  uddannelseshjaelp_aabenlyst_uddannelsesparat: [8, 40],
  uddannelseshjaelp_aktivitetsparat: [30, 52],
  sygedagpenge: [8, 40],
  ressourceforloeb: [52, 52],
  jobafklaringsforloeb: [45, 52],
  ledighedsydelse: [30, 52],
  dagpenge: [4, 40],
  ingen_ydelse: [0, 0],
};

/** Weeks on a public benefit in the year before enrollment, by target group (illustrative). */
export const priorBenefitWeeks: CovariateDraw = ({ rng, targetGroup }) => {
  const [lo, hi] = PRIOR_WEEKS[targetGroup as TargetGroup] ?? [26, 52];
  return between(rng, lo, hi);
};

const categorical = (weights: Record<string, number>): CovariateDraw => ({ rng }) => weighted(rng, weights);
const flag = (p: number): CovariateDraw => ({ rng }) => bernoulli(rng, p);
const adultAge = (mean: number, sd: number, lo: number, hi: number) => (rng: RandomSource) => Math.round(clamp(normal(rng, mean, sd), lo, hi));

/**
 * IPS for people with severe mental illness. Effects: Christensen TN, Wallstrøm IG, Stenager E,
 * et al. JAMA Psychiatry 2019;76(12):1232-40 (Danish IPS trial, 720 participants): competitive
 * employment or education at 18 months 59.9% (IPS), 59.1% (IPS-E), 46.5% (services as usual).
 * Target-group mix, ages, baseline shifts, the education modifier and attrition: illustrative.
 */
const ips: Scenario = {
  sources: [
    "Christensen TN et al. JAMA Psychiatry 2019;76(12):1232-40: employment or education at 18 months 59.9% (IPS), 59.1% (IPS-E), 46.5% (usual services)",
    "Everything else illustrative",
  ],
  targetGroups: {
    kontanthjaelp_aktivitetsparat: 0.38,
    uddannelseshjaelp_aktivitetsparat: 0.12,
    sygedagpenge: 0.1,
    ressourceforloeb: 0.2,
    jobafklaringsforloeb: 0.08,
    ingen_ydelse: 0.12,
  },
  // Education benefit is for the under-30s; the trial's participants were 32 on average.
  age: (rng, group) => (group?.startsWith("uddannelseshjaelp") ? between(rng, 18, 29) : adultAge(36, 10, 18, 64)(rng)),
  femaleShare: 0.42,
  covariates: {
    diagnosis: categorical({ schizophrenia_spectrum: 0.62, bipolar: 0.33, other: 0.05 }),
    wants_ordinary_work: flag(0.97),
    hours_ordinary_work: ({ rng }) => (bernoulli(rng, 0.95) ? 0 : between(rng, 4, 20)),
    // The modifier: drawn on its own, independent of age, sex, diagnosis and target group.
    education: categorical({ basic: 0.45, upper_secondary: 0.4, higher: 0.15 }),
    worked_last_5y: flag(0.55),
    weeks_on_benefit_prior_52: priorBenefitWeeks,
  },
  primary: { control: 0.465, effects: { ips: 0.599 - 0.465, ips_e: 0.591 - 0.465 } },
  baseline: {
    "target_group=sygedagpenge": 0.6,
    "target_group=ingen_ydelse": 0.3,
    "target_group=uddannelseshjaelp_aktivitetsparat": 0.2,
    "target_group=jobafklaringsforloeb": -0.2,
    "target_group=ressourceforloeb": -0.5,
    "worked_last_5y=true": 0.5,
    "diagnosis=bipolar": 0.3,
  },
  modifier: { variable: "education", relative: { basic: 1.4, upper_secondary: 0.9, higher: 0.3 } },
  siteSd: 0.15,
  anchor: { kind: "state_at", week: 78, education: 0.2 },
  startScale: { ips: 0.7, ips_e: 0.7, usual: 1 },
  programmeWeeks: [78, 78],
  attrition: { withdrawal: 0.03, lossToFollowUp: 0.08, emigration: 0.01, death: 0.006, dropout: 0.15 },
};

/**
 * Mentoring for young people. Effect: a national mentor trial found education starts of 16% with
 * a mentor vs 12% without (see the protocol and ../shared/CONTEXT.md). Everything else, including
 * the larger effect at ages 18–24, is illustrative.
 */
const mentor: Scenario = {
  sources: ["National mentor trial: education started within a year 16% (mentor) vs 12% (usual services)", "Everything else illustrative"],
  targetGroups: {
    kontanthjaelp_jobparat: 0.15,
    kontanthjaelp_aktivitetsparat: 0.15,
    uddannelseshjaelp_uddannelsesparat: 0.3,
    uddannelseshjaelp_aabenlyst_uddannelsesparat: 0.15,
    uddannelseshjaelp_aktivitetsparat: 0.25,
  },
  // The modifier is the age band: age is drawn on its own, independent of target group and education.
  age: (rng) => between(rng, 18, 29),
  femaleShare: 0.45,
  covariates: {
    education: categorical({ basic: 0.55, upper_secondary_started: 0.3, upper_secondary: 0.15 }),
    current_mentor: flag(0.1),
    in_education: flag(0.05),
    weeks_on_benefit_prior_52: priorBenefitWeeks,
    lives_with_parents: ({ rng, age }) => (bernoulli(rng, 0.1) ? undefined : bernoulli(rng, age < 22 ? 0.6 : 0.25)),
  },
  primary: { control: 0.12, effects: { mentor: 0.04 } },
  baseline: {
    "target_group=uddannelseshjaelp_aabenlyst_uddannelsesparat": 0.6,
    "target_group=uddannelseshjaelp_uddannelsesparat": 0.3,
    "target_group=uddannelseshjaelp_aktivitetsparat": -0.5,
    "target_group=kontanthjaelp_aktivitetsparat": -0.6,
    "education=upper_secondary_started": 0.3,
  },
  modifier: { variable: "age_band", relative: { "18-24": 1.5, "25-29": 0.35 } },
  siteSd: 0.15,
  anchor: { kind: "education_start", from: 0, to: 52 },
  startScale: { mentor: 0.85, usual: 1 },
  programmeWeeks: [26, 52],
  attrition: { withdrawal: 0.03, lossToFollowUp: 0.06, emigration: 0.01, death: 0.001, dropout: 0.2 },
};

/**
 * Bridge-building to vocational education. About +15 points on education started is not from an
 * RCT (../shared/CONTEXT.md): illustrative, like every number here. Teams are randomized, so team
 * shifts on the log-odds (sd 0.4, an intra-cluster correlation of about 0.05) make the clustering
 * matter.
 */
const brobygning: Scenario = {
  sources: ["About +15 points on education started by week 25 (illustrative, not from an RCT)", "Everything else illustrative"],
  targetGroups: { uddannelseshjaelp_uddannelsesparat: 0.65, uddannelseshjaelp_aabenlyst_uddannelsesparat: 0.35 },
  age: (rng) => weighted(rng, { a: 0.35, b: 0.4, c: 0.25 }) === "a" ? between(rng, 18, 20) : between(rng, 21, 29),
  // The modifier is gender: sex is drawn on its own.
  femaleShare: 0.45,
  covariates: {
    completed_upper_secondary: flag(0.08),
    months_since_dropout: ({ rng }) => (bernoulli(rng, 0.5) ? between(rng, 0, 24) : undefined),
    lives_with_parents: ({ rng, age }) => bernoulli(rng, age < 21 ? 0.65 : 0.3),
  },
  primary: { control: 0.3, effects: { brobygning: 0.15 } },
  baseline: { "target_group=uddannelseshjaelp_aabenlyst_uddannelsesparat": 0.5, "lives_with_parents=true": 0.2 },
  modifier: { variable: "gender", relative: { male: 1.3, female: 0.65 } },
  siteSd: 0,
  cluster: { covariate: "team", sd: 0.4 },
  anchor: { kind: "education_start", from: 0, to: 25 },
  startScale: { brobygning: 0.8, usual: 1 },
  programmeWeeks: [10, 20],
  attrition: { withdrawal: 0.03, lossToFollowUp: 0.07, emigration: 0.01, death: 0.001, dropout: 0.2 },
};

/**
 * Volunteer mentors, a stepped wedge. All illustrative. No site shifts and no time trend: the plan
 * estimates a plain difference in means, which a stepped wedge only leaves unbiased when neither
 * the site nor the calendar moves the outcome (a model with period effects is not in the plan).
 */
const volunteer: Scenario = {
  sources: ["All numbers illustrative: +5 points on the 0–100 progression score after 26 weeks"],
  targetGroups: { kontanthjaelp_aktivitetsparat: 0.65, ressourceforloeb: 0.35 },
  age: adultAge(42, 11, 25, 64),
  femaleShare: 0.5,
  covariates: {
    in_addiction_treatment: flag(0.08),
    // The modifier: drawn on its own, independent of target group and gender.
    years_on_benefit: ({ rng }) => Math.round(clamp(Math.exp(normal(rng, Math.log(5.5), 0.8)), 0, 50) * 10) / 10,
    progression_baseline: ({ rng }) => Math.round(clamp(normal(rng, 40, 15), 0, 100)),
  },
  primary: { control: 45, effects: { volunteer_mentor: 5 }, sd: 12, follows: { covariate: "progression_baseline", slope: 0.6, centre: 40 }, range: [0, 100] },
  baseline: { "target_group=ressourceforloeb": -4 },
  modifier: { variable: "years_on_benefit", relative: { "<5": 1.6, ">=5": 0.6 } },
  siteSd: 0,
  anchor: { kind: "hazard", rate: 0.006, ratio: { volunteer_mentor: 1.3, usual: 1 } },
  startScale: { volunteer_mentor: 1, usual: 1 },
  programmeWeeks: [26, 26],
  attrition: { withdrawal: 0.03, lossToFollowUp: 0.08, emigration: 0.005, death: 0.004, dropout: 0.25 },
};

export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  "ips-severe-mental-illness": ips,
  "mentor-youth": mentor,
  brobygning,
  "volunteer-mentors": volunteer,
};

/** The scenario of a shipped protocol. */
export function scenarioFor(protocol: Protocol): Scenario {
  const s = SCENARIOS[protocol.id];
  if (!s) throw new RangeError(`no simulation scenario for protocol ${JSON.stringify(protocol.id)}; pass one (known: ${Object.keys(SCENARIOS).join(", ")})`);
  return s;
}
