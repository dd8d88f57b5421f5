/**
 * The protocol language: one zod schema for a protocol file (`protocols/*.yaml`).
 *
 * This schema checks the shape of every field (types, enums, required keys; unknown keys are
 * errors so that a typo never passes). Rules that relate one field to another (one control arm,
 * strata that name declared covariates, the primary outcome exists, ...) live in
 * `cross-field.ts` and run on the same document, so a file gets every problem reported at once.
 *
 * Labels that people read carry Danish and English text: `{ da: "...", en: "..." }`.
 * The format is documented with an annotated example in `protocols/README.md`.
 */
import { z } from "zod";
import { DesignSchema, type DesignArm } from "./design-schema.ts";
import { ProgressionSchema } from "./progression-schema.ts";

/** Text people read, in Danish and English. */
export const LabelSchema = z.strictObject({ da: z.string().min(1), en: z.string().min(1) });
export type Label = z.infer<typeof LabelSchema>;

/** Identifiers that become column names and URL segments: lowercase, digits, `_` and `-`. */
const slug = z.string().regex(/^[a-z][a-z0-9_-]*$/, "forventede en identifikator med små bogstaver (a-z, 0-9, _ eller -, begynder med et bogstav) / expected a lowercase identifier (a-z, 0-9, _ or -, starting with a letter)");
/** Identifiers that become data columns (no `-`). */
const columnId = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, "forventede en identifikator (bogstaver, cifre og _, begynder med et bogstav) / expected an identifier (letters, digits and _, starting with a letter)");
const isoDate = z.iso.date("forventede en ISO-dato ÅÅÅÅ-MM-DD / expected an ISO date YYYY-MM-DD");
const week = z.number().int().min(0).max(5200);

// ---------------------------------------------------------------------------------------------
// Population

/**
 * Target groups of the Danish benefit system (see ../shared/CONTEXT.md). Ids are ASCII so they
 * can travel through CSV files and URLs; `TARGET_GROUPS` gives the Danish and English names.
 */
export const TARGET_GROUPS = {
  kontanthjaelp_jobparat: { da: "Kontanthjælp, jobparat", en: "Social assistance, job-ready" },
  kontanthjaelp_aktivitetsparat: { da: "Kontanthjælp, aktivitetsparat", en: "Social assistance, activity-ready" },
  uddannelseshjaelp_uddannelsesparat: { da: "Uddannelseshjælp, uddannelsesparat", en: "Education benefit, education-ready" },
  uddannelseshjaelp_aabenlyst_uddannelsesparat: {
    da: "Uddannelseshjælp, åbenlyst uddannelsesparat",
    en: "Education benefit, obviously education-ready",
  },
  uddannelseshjaelp_aktivitetsparat: { da: "Uddannelseshjælp, aktivitetsparat", en: "Education benefit, activity-ready" },
  sygedagpenge: { da: "Sygedagpenge", en: "Sickness benefit" },
  ressourceforloeb: { da: "Ressourceforløb", en: "Resource programme" },
  jobafklaringsforloeb: { da: "Jobafklaringsforløb", en: "Job-clarification programme" },
  ledighedsydelse: { da: "Ledighedsydelse (visiteret til fleksjob)", en: "Benefit while waiting for a flex job" },
  dagpenge: { da: "Dagpenge", en: "Unemployment insurance benefit" },
  ingen_ydelse: { da: "Ingen offentlig ydelse", en: "No public benefit" },
} as const satisfies Record<string, Label>;
export type TargetGroup = keyof typeof TARGET_GROUPS;
export const TargetGroupSchema = z.enum(Object.keys(TARGET_GROUPS) as [TargetGroup, ...TargetGroup[]]);

/** A value a rule compares with. */
const RuleValue = z.union([z.string(), z.number(), z.boolean()]);

/**
 * The eligibility rule language. A condition is a comparison on one variable (a declared
 * covariate, or one of the built-ins `age`, `site`, `target_group`) or a combination:
 *
 *   { covariate: x, op: eq | ne | lt | le | gt | ge, value: v }
 *   { covariate: x, op: in | not_in, value: [v, ...] }
 *   { covariate: x, op: between, value: [low, high] }      inclusive at both ends
 *   { all: [condition, ...] }   { any: [condition, ...] }   { not: condition }
 *
 * A comparison on a missing value is unknown (`all`, `any` and `not` follow three-valued logic),
 * except on an optional covariate, where it is false: an absent optional value neither includes
 * nor excludes anyone.
 * An inclusion rule passes only when true; an exclusion rule passes only when false.
 */
export type Condition =
  | { covariate: string; op: "eq" | "ne" | "lt" | "le" | "gt" | "ge"; value: string | number | boolean }
  | { covariate: string; op: "in" | "not_in"; value: (string | number | boolean)[] }
  | { covariate: string; op: "between"; value: [number | string, number | string] }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ covariate: z.string().min(1), op: z.enum(["eq", "ne", "lt", "le", "gt", "ge"]), value: RuleValue }),
    z.strictObject({ covariate: z.string().min(1), op: z.enum(["in", "not_in"]), value: z.array(RuleValue).min(1) }),
    z.strictObject({
      covariate: z.string().min(1),
      op: z.literal("between"),
      value: z.tuple([z.union([z.number(), z.string()]), z.union([z.number(), z.string()])]),
    }),
    z.strictObject({ all: z.array(ConditionSchema).min(1) }),
    z.strictObject({ any: z.array(ConditionSchema).min(1) }),
    z.strictObject({ not: ConditionSchema }),
  ]),
);

/** A named eligibility rule: its id and label appear in the message when it fails. */
export const RuleSchema = z.strictObject({ id: slug, label: LabelSchema, when: ConditionSchema });
export type Rule = z.infer<typeof RuleSchema>;

export const PopulationSchema = z.strictObject({
  description: LabelSchema,
  /** Benefit groups that may enter; absent = no target-group restriction (e.g. non-Danish data). */
  target_groups: z.array(TargetGroupSchema).min(1).optional(),
  /** Age in whole years at enrollment, inclusive at both ends. */
  age: z.strictObject({ min: z.number().int().min(0).max(120), max: z.number().int().min(0).max(120) }).optional(),
  inclusion: z.array(RuleSchema).default([]),
  exclusion: z.array(RuleSchema).default([]),
});

// ---------------------------------------------------------------------------------------------
// Arms, sites, covariates

export const ArmSchema = z.strictObject({
  id: slug,
  label: LabelSchema,
  description: LabelSchema.optional(),
  /** Integer allocation ratio (checked in cross-field.ts, so a bad value gets a clear message). */
  ratio: z.number(),
  /** The one control arm: usual services ("sædvanlig indsats"). */
  control: z.boolean().default(false),
  cost: z.strictObject({
    /** Cost per participant in DKK, over and above usual services for intervention arms. */
    dkk_per_participant: z.number().min(0),
    covers: LabelSchema,
  }),
});
export type Arm = z.infer<typeof ArmSchema>;

export const SiteSchema = z.strictObject({
  /** Municipality code (3 digits, e.g. "101" København) or another jobcentre id; text, quoted. */
  id: z.string().min(1, "forventede et stedets id / expected a site id"),
  name: z.string().min(1),
  enrollment: z.strictObject({ from: isoDate, to: isoDate.optional() }),
  /** Most participants the site may enroll. */
  cap: z.number().int().positive().optional(),
});
export type Site = z.infer<typeof SiteSchema>;

const covariateBase = { id: columnId, label: LabelSchema, required: z.boolean().default(true) };
const CategoryLevel = z.union([z.string(), z.strictObject({ value: z.string(), label: LabelSchema })]);

export const CovariateSchema = z.discriminatedUnion("type", [
  z.strictObject({ ...covariateBase, type: z.literal("number"), min: z.number().optional(), max: z.number().optional(), unit: z.string().optional() }),
  z.strictObject({ ...covariateBase, type: z.literal("integer"), min: z.number().int().optional(), max: z.number().int().optional(), unit: z.string().optional() }),
  /** Booleans accept true/false and 0/1. */
  z.strictObject({ ...covariateBase, type: z.literal("boolean") }),
  z.strictObject({ ...covariateBase, type: z.literal("category"), levels: z.array(CategoryLevel).min(1) }),
  z.strictObject({ ...covariateBase, type: z.literal("date"), min: isoDate.optional(), max: isoDate.optional() }),
]);
export type Covariate = z.infer<typeof CovariateSchema>;
export type CovariateType = Covariate["type"];

/** The values a category covariate allows. */
export function categoryLevels(covariate: Extract<Covariate, { type: "category" }>): string[] {
  return covariate.levels.map((level) => (typeof level === "string" ? level : level.value));
}

// ---------------------------------------------------------------------------------------------
// Outcomes

const window = z.strictObject({ from: week, to: week });

/**
 * Register derivations and their parameters (weeks counted from the enrollment week, which is
 * week 0). The register import (api/register/) implements them; names and parameters agree.
 */
export const DerivationParamSchemas = {
  self_supporting_at_week: z.strictObject({ week }),
  weeks_self_supporting: window,
  weeks_on_benefit: z.strictObject({ from: week, to: week, benefit_types: z.array(z.string().min(1)).min(1).optional() }),
  /** Time to the first self-supporting spell of at least `min_weeks` consecutive weeks. */
  time_to_self_support: z.strictObject({ min_weeks: z.number().int().min(1).max(520), from: week.optional(), horizon: week.optional() }),
  /** Self-supporting `weeks_after` weeks after the programme ended (KL's retention measure). */
  /** With `programme_weeks`, read at the planned end for everyone in every arm (intention to treat). */
  retention: z.strictObject({ weeks_after: z.number().int().min(0).max(520).default(13), programme_weeks: week.optional() }),
  education_started: window,
} as const;
export type DerivationName = keyof typeof DerivationParamSchemas;
export const DERIVATION_NAMES = Object.keys(DerivationParamSchemas) as DerivationName[];

/** The outcome type each derivation produces. */
export const DERIVATION_OUTCOME_TYPE: Record<DerivationName, OutcomeType> = {
  self_supporting_at_week: "binary",
  weeks_self_supporting: "count",
  weeks_on_benefit: "count",
  time_to_self_support: "time_to_event",
  retention: "binary",
  education_started: "binary",
};

export const OUTCOME_TYPES = ["binary", "continuous", "count", "time_to_event"] as const;
export type OutcomeType = (typeof OUTCOME_TYPES)[number];

export const OutcomeSourceSchema = z.discriminatedUnion("type", [
  /** Recorded by the site (through the API) or present in the data set as a column. */
  z.strictObject({ type: z.literal("site") }),
  /** Derived from a register extract; parameters are checked per derivation in cross-field.ts. */
  z.strictObject({ type: z.literal("register"), derivation: z.enum(DERIVATION_NAMES as [DerivationName, ...DerivationName[]]), params: z.record(z.string(), z.unknown()).default({}) }),
]);

export const OutcomeSchema = z.strictObject({
  id: columnId,
  label: LabelSchema,
  type: z.enum(OUTCOME_TYPES),
  /** Weeks from enrollment: a time point `{week}` or a window `{from, to}`. */
  time: z.union([z.strictObject({ week }), window]).optional(),
  source: OutcomeSourceSchema,
  role: z.enum(["primary", "secondary"]),
  /** Which direction is better: of the value, or for time-to-event of the time. */
  benefit: z.enum(["higher", "lower"]),
  unit: z.string().optional(),
  /** The data column holding the value (binary, continuous, count); default the outcome id. */
  column: columnId.optional(),
  /** Time-to-event columns; default `<id>_time` and `<id>_event` (1 = event, 0 = censored). */
  columns: z.strictObject({ time: columnId, event: columnId }).optional(),
});
export type Outcome = z.infer<typeof OutcomeSchema>;

/** Data columns of an outcome, defaults applied. */
export function outcomeColumns(outcome: Outcome): { value: string } | { time: string; event: string } {
  if (outcome.type === "time_to_event") return outcome.columns ?? { time: `${outcome.id}_time`, event: `${outcome.id}_event` };
  return { value: outcome.column ?? outcome.id };
}

// ---------------------------------------------------------------------------------------------
// Subgroups, analysis plan, power, economics

/**
 * A pre-specified subgroup. `levels` for `site`, categorical and boolean variables; `cuts` for
 * numeric ones: cut points c1 < c2 < ... give the intervals x < c1, c1 <= x < c2, ..., x >= ck.
 */
/**
 * The variable is `site`, `target_group` (the benefit group given at enrollment) or a declared
 * covariate.
 */
export const SubgroupSchema = z.strictObject({
  /** Subgroup id; default the variable (needed when one variable is cut two ways). */
  id: columnId.optional(),
  variable: z.string().min(1),
  levels: z.array(z.union([z.string(), z.number(), z.boolean()])).min(2).optional(),
  cuts: z.array(z.number()).min(1).optional(),
  hypothesis: LabelSchema,
});
export type Subgroup = z.infer<typeof SubgroupSchema>;

export const ESTIMATORS = ["difference_in_means", "lm_lin", "risk_difference", "risk_ratio", "kaplan_meier", "logrank", "rmst", "cox"] as const;
export type Estimator = (typeof ESTIMATORS)[number];
/** `survival` is the bundle kaplan_meier + logrank + rmst + cox. */
export const SURVIVAL_BUNDLE: Estimator[] = ["kaplan_meier", "logrank", "rmst", "cox"];

/** Which estimators fit which outcome type. */
export const ESTIMATORS_FOR_TYPE: Record<OutcomeType, readonly Estimator[]> = {
  binary: ["difference_in_means", "lm_lin", "risk_difference", "risk_ratio"],
  continuous: ["difference_in_means", "lm_lin"],
  count: ["difference_in_means", "lm_lin"],
  time_to_event: SURVIVAL_BUNDLE,
};

export const OutcomeAnalysisSchema = z.strictObject({
  estimators: z.array(z.enum([...ESTIMATORS, "survival"])).min(1),
  /** Covariates for `lm_lin`; default the plan's `adjustment_covariates`. */
  covariates: z.array(z.string()).optional(),
  /** Restricted mean survival time horizon, in the outcome's time unit (needed by `rmst`). */
  rmst_tau: z.number().positive().optional(),
  /** Times at which survival is reported. */
  time_points: z.array(z.number().positive()).min(1).optional(),
});

const MultiplicityMethod = z.enum(["holm", "bh"]);

export const AnalysisSchema = z.strictObject({
  primary_outcome: z.string(),
  /** Per outcome id: the estimators and their settings. Every outcome has an entry. */
  outcomes: z.record(z.string(), OutcomeAnalysisSchema),
  adjustment_covariates: z.array(z.string()).default([]),
  alpha: z.number().gt(0).lt(1).default(0.05),
  /** Adjustment over the family of subgroup interaction tests: one method or several. */
  multiplicity: z.union([MultiplicityMethod, z.array(MultiplicityMethod).min(1)]).default("holm"),
  randomization_inference: z.strictObject({ draws: z.number().int().min(100).max(10_000_000) }).optional(),
  /**
   * Treatment received, where the trial records it: a 0/1 data column (1 = took up an intervention,
   * e.g. met the IPS consultant; a control participant with 1 crossed over). With it, each contrast
   * also gets the complier average causal effect by 2SLS (assignment as the instrument).
   */
  compliance: z.strictObject({ column: columnId }).optional(),
});

export const PowerSchema = z.strictObject({
  /** The outcome the claim is about; default the primary outcome. */
  outcome: z.string().optional(),
  /** Minimum detectable effect in the outcome's units (proportion points for binary outcomes). */
  mde: z.number().positive(),
  control_rate: z.number().gt(0).lt(1).optional(),
  control_sd: z.number().positive().optional(),
  target_n: z.number().int().positive(),
  /** Intra-cluster correlation: needed for cluster and stepped-wedge designs. */
  icc: z.number().min(0).lt(1).optional(),
  alpha: z.number().gt(0).lt(1).default(0.05),
  power: z.number().gt(0).lt(1).default(0.8),
});

export const EconomicsSchema = z.strictObject({
  /** DKK per week: what a week of self-support instead of benefit is worth to the public purse. */
  weekly_benefit_dkk: z.number().positive(),
  /** Yearly discount rate, e.g. 0.035. */
  discount_rate: z.number().min(0).lt(1),
  price_year: z.number().int().min(1900).max(2200).optional(),
});

// ---------------------------------------------------------------------------------------------
// The protocol

export const ProtocolSchema = z.strictObject({
  id: slug,
  version: z.number().int().positive(),
  title: LabelSchema,
  sponsor: z.string().min(1),
  registry: z
    .strictObject({
      aea_rct: z.string().regex(/^AEARCTR-\d{7}$/, "forventede AEARCTR-0000000 / expected AEARCTR-0000000").optional(),
      clinicaltrials_gov: z.string().regex(/^NCT\d{8}$/, "forventede NCT00000000 / expected NCT00000000").optional(),
      osf: z.string().min(1).optional(),
    })
    .optional(),
  contact: z.strictObject({ name: z.string().min(1), email: z.email(), phone: z.string().optional() }),
  population: PopulationSchema,
  arms: z.array(ArmSchema).min(2),
  design: DesignSchema,
  sites: z.array(SiteSchema).min(1),
  covariates: z.array(CovariateSchema).default([]),
  outcomes: z.array(OutcomeSchema).min(1),
  subgroups: z.array(SubgroupSchema).default([]),
  analysis: AnalysisSchema,
  power: PowerSchema.optional(),
  economics: EconomicsSchema.optional(),
  /** A repeated progression outcome: instrument, planned weeks, analysis (progression-schema.ts). */
  progression: ProgressionSchema.optional(),
});

/** A validated protocol, defaults applied. */
export type Protocol = z.output<typeof ProtocolSchema>;
/** A protocol as written (defaults not yet applied). */
export type ProtocolInput = z.input<typeof ProtocolSchema>;

/** The estimators of one outcome, the `survival` bundle expanded. */
export function outcomeEstimators(protocol: Protocol, outcomeId: string): Estimator[] {
  const entry = protocol.analysis.outcomes[outcomeId];
  if (!entry) return [];
  const out: Estimator[] = [];
  for (const name of entry.estimators) for (const e of name === "survival" ? SURVIVAL_BUNDLE : [name]) if (!out.includes(e)) out.push(e);
  return out;
}

/** The multiplicity methods as a list. */
export function multiplicityMethods(protocol: Protocol): ("holm" | "bh")[] {
  const m = protocol.analysis.multiplicity;
  return typeof m === "string" ? [m] : m;
}

/** The arms as the assignment designs see them (id, ratio, control), in protocol order. */
export function designArms(protocol: Protocol): DesignArm[] {
  return protocol.arms.map((a) => ({ id: a.id, ratio: a.ratio, control: a.control }));
}

/** A subgroup's id: its `id`, or its variable. */
export function subgroupId(subgroup: Subgroup): string {
  return subgroup.id ?? subgroup.variable;
}

/**
 * The level names of a subgroup, in order. With `levels` they are the levels as text
 * (`true`/`false` and `0`/`1` as written). With cut points c1 < ... < ck they name the intervals:
 * `<c1`, `[c1,c2)`, ..., `>=ck` (left-closed, right-open).
 */
export function subgroupLevels(subgroup: Subgroup): string[] {
  if (subgroup.levels) return subgroup.levels.map(String);
  const cuts = subgroup.cuts ?? [];
  if (cuts.length === 0) return [];
  const out = [`<${cuts[0]}`];
  for (let i = 1; i < cuts.length; i++) out.push(`[${cuts[i - 1]},${cuts[i]})`);
  out.push(`>=${cuts[cuts.length - 1]}`);
  return out;
}

/**
 * The level a value falls in, as named by `subgroupLevels`; undefined for a missing value or one
 * outside the declared levels. Booleans match `true`/`1` and `false`/`0` either way.
 */
export function subgroupLevelOf(subgroup: Subgroup, value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (subgroup.levels) {
    const asBool = (v: unknown) => (v === true || v === 1 || v === "1" || v === "true" ? "1" : v === false || v === 0 || v === "0" || v === "false" ? "0" : undefined);
    for (const level of subgroup.levels) {
      if (String(level) === String(value)) return String(level);
      const a = asBool(level);
      if (a !== undefined && a === asBool(value)) return String(level);
    }
    return undefined;
  }
  if (typeof value !== "number" || !Number.isFinite(value)) return undefined;
  const cuts = subgroup.cuts ?? [];
  const names = subgroupLevels(subgroup);
  let k = 0;
  while (k < cuts.length && value >= cuts[k]!) k++;
  return names[k];
}
