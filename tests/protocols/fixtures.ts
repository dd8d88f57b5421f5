/** A small valid protocol to mutate in tests, and helpers to load it. */
import { stringify } from "yaml";
import { loadProtocol, formatProblem, type ProtocolProblem } from "../../protocols/index.ts";

export function baseProtocol(): Record<string, any> {
  return {
    id: "test-trial",
    version: 1,
    title: { da: "Testforsøg", en: "Test trial" },
    sponsor: "Testmyndighed",
    contact: { name: "Test", email: "test@virker.example" },
    population: {
      description: { da: "Unge", en: "Young people" },
      target_groups: ["kontanthjaelp_jobparat", "uddannelseshjaelp_uddannelsesparat"],
      age: { min: 18, max: 29 },
      inclusion: [
        { id: "wants_work", label: { da: "Ønsker arbejde", en: "Wants work" }, when: { covariate: "wants_work", op: "eq", value: true } },
      ],
      exclusion: [
        { id: "in_education", label: { da: "I uddannelse", en: "In education" }, when: { covariate: "education", op: "eq", value: "enrolled" } },
      ],
    },
    arms: [
      { id: "mentor", label: { da: "Mentor", en: "Mentor" }, ratio: 1, cost: { dkk_per_participant: 20000, covers: { da: "Mentor", en: "Mentor" } } },
      { id: "usual", label: { da: "Sædvanlig indsats", en: "Usual services" }, ratio: 1, control: true, cost: { dkk_per_participant: 0, covers: { da: "Intet", en: "Nothing" } } },
    ],
    design: { type: "stratified", strata: ["site", "gender"], block_sizes: [2, 4] },
    sites: [
      { id: "101", name: "København", enrollment: { from: "2026-01-01", to: "2026-12-31" }, cap: 100 },
      { id: "751", name: "Aarhus", enrollment: { from: "2026-01-01" } },
    ],
    covariates: [
      { id: "gender", type: "category", levels: ["female", "male"], label: { da: "Køn", en: "Gender" } },
      { id: "education", type: "category", levels: ["basic", "upper_secondary", "enrolled"], label: { da: "Uddannelse", en: "Education" } },
      { id: "wants_work", type: "boolean", label: { da: "Ønsker arbejde", en: "Wants work" } },
      { id: "prior_weeks", type: "integer", min: 0, max: 53, label: { da: "Uger på ydelse", en: "Weeks on benefit" } },
      { id: "score", type: "number", min: 0, max: 100, required: false, label: { da: "Score", en: "Score" } },
      { id: "referred", type: "date", min: "2020-01-01", required: false, label: { da: "Henvist", en: "Referred" } },
    ],
    outcomes: [
      {
        id: "education_started",
        label: { da: "Uddannelse påbegyndt", en: "Education started" },
        type: "binary",
        time: { from: 0, to: 52 },
        source: { type: "register", derivation: "education_started", params: { from: 0, to: 52 } },
        role: "primary",
        benefit: "higher",
      },
      {
        id: "time_to_job",
        label: { da: "Tid til job", en: "Time to job" },
        type: "time_to_event",
        source: { type: "register", derivation: "time_to_self_support", params: { min_weeks: 4 } },
        role: "secondary",
        benefit: "lower",
      },
      { id: "earnings", label: { da: "Indkomst", en: "Earnings" }, type: "continuous", time: { week: 52 }, source: { type: "site" }, role: "secondary", benefit: "higher" },
    ],
    subgroups: [
      { variable: "gender", levels: ["female", "male"], hypothesis: { da: "Ens", en: "Same" } },
      { id: "long_on_benefit", variable: "prior_weeks", cuts: [26], hypothesis: { da: "Større", en: "Larger" } },
    ],
    analysis: {
      primary_outcome: "education_started",
      outcomes: {
        education_started: { estimators: ["risk_difference", "risk_ratio"] },
        time_to_job: { estimators: ["survival"], rmst_tau: 52, time_points: [13, 26, 52] },
        earnings: { estimators: ["difference_in_means", "lm_lin"] },
      },
      adjustment_covariates: ["prior_weeks"],
      alpha: 0.05,
      multiplicity: ["holm", "bh"],
      randomization_inference: { draws: 1000 },
    },
    power: { mde: 0.04, control_rate: 0.12, target_n: 2362 },
    economics: { weekly_benefit_dkk: 1510, discount_rate: 0.035 },
  };
}

export function load(doc: unknown, file = "test.yaml") {
  return loadProtocol(stringify(doc), file);
}

/** The problems of a document that must be invalid, formatted. */
export function problemsOf(doc: unknown): { problems: ProtocolProblem[]; lines: string[] } {
  const result = load(doc);
  if (result.ok) throw new Error("expected the protocol to be invalid, but it loaded");
  return { problems: result.problems, lines: result.problems.map(formatProblem) };
}
