/**
 * A simulated trial, in two steps so that the arms can come from anywhere:
 *
 * 1. `simulatePopulation(protocol, options)`: the citizens, the enrollment schedule, and for every
 *    participant the complete register history and outcomes under each arm, from which the truth
 *    is computed (truth.ts). Nothing here depends on who gets which arm.
 * 2. `realize(population, arms)`: given each participant's arm (from the API during a
 *    demonstration, or from `allocate`), the observed data: withdrawals, emigration, deaths and
 *    loss to follow-up applied; the analysis data set `analysis/plan.ts` reads; the register
 *    extract in the long layout (person, ISO week, code).
 *
 * `simulateTrial` does both, allocating with the protocol's own design (analysis/design
 * `Allocator`) under a seed derived from the simulation seed. Same seed, same trial, byte for byte.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { subgroupLevelOf, type Outcome, type Protocol } from "../../protocols/index.ts";
import { Allocator, trialDesignOf } from "../design/index.ts";
import { fastStream } from "../design/random.ts";
import { childSeed, normal } from "./draws.ts";
import { drawCitizen, failureKinds, type Citizen } from "./citizens.ts";
import { buildHistory, drawPerson, programmeLength, PRIOR_WEEKS, withExit, type PersonDraws } from "./histories.ts";
import { C, CODES } from "./register-codes.ts";
import { deriveOutcome, type DerivedValue } from "./register-outcomes.ts";
import { scenarioFor, type Scenario } from "./scenarios.ts";
import { buildSchedule, planCitizens, type EnrollmentAttempt } from "./schedule.ts";
import { computeTruth, type Truth } from "./truth.ts";
import { addDays, mondayOfWeek, weekLabel, weekOfDate } from "./weeks.ts";

export interface SimulateOptions {
  /** Eligible citizens to enroll. */
  n: number;
  /** A 32-bit integer; everything random follows from it. */
  seed: number;
  /** Share of first enrollment attempts that are ineligible (default 0.08). */
  ineligibleShare?: number;
  /** Repeat enrollments of already enrolled citizens (default 1). */
  duplicates?: number;
  /** Citizens who come but do not consent (default 1). */
  withoutConsent?: number;
  /** The simulated world; default the protocol's (scenarios.ts). */
  scenario?: Scenario;
}

export interface Participant {
  citizen: Citizen;
  /** Relative to the enrollment week, the week index of which is `w0`. */
  w0: number;
  enrolledOn: string;
  draws: PersonDraws;
  /** Individual effect modifiers: the primary outcome's control probability (or mean) and the effect per arm. */
  base: number;
  effects: Record<string, number>;
  /** Per arm: the complete history and the complete outcome values (by outcome id). */
  potential: Record<string, { codes: Uint8Array; programmeWeeks: number; outcomes: Record<string, DerivedValue> }>;
  withdrawalWeek: number | null;
  exit: { week: number; code: number } | null;
  lost: boolean;
}

export interface SimulatedPopulation {
  protocol: Protocol;
  scenario: Scenario;
  seed: number;
  citizens: Citizen[];
  schedule: EnrollmentAttempt[];
  /** Enrolled participants, in enrollment order (the schedule's `enrolled` attempts). */
  participants: Participant[];
  /** The extract's first and last ISO week (week indices). */
  extract: { first: number; last: number };
  truth: Truth;
}

/** Weeks of follow-up the protocol's outcomes need after enrollment. */
export function followUpWeeks(protocol: Protocol, scenario: Scenario): number {
  let h = scenario.anchor.kind === "state_at" ? scenario.anchor.week : scenario.anchor.kind === "education_start" ? scenario.anchor.to : 0;
  for (const o of protocol.outcomes) {
    if (o.time) h = Math.max(h, "week" in o.time ? o.time.week : o.time.to);
    if (o.source.type !== "register") continue;
    const p = o.source.params as Record<string, number>;
    if (o.source.derivation === "time_to_self_support") h = Math.max(h, (p.horizon ?? 104) + p.min_weeks);
    if (o.source.derivation === "retention") h = Math.max(h, (p.programme_weeks ?? scenario.programmeWeeks[1]) + (p.weeks_after ?? 13));
  }
  return h + 1;
}

function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function baselineShift(scenario: Scenario, c: Citizen): number {
  let s = 0;
  for (const [key, shift] of Object.entries(scenario.baseline)) {
    const [variable, value] = key.split("=");
    const v = variable === "target_group" ? c.targetGroup : variable === "site" ? c.site : c.covariates[variable];
    if (v !== undefined && String(v) === value) s += shift;
  }
  return s;
}

/** The modifier's level for a citizen (its subgroup's level name). */
export function modifierLevel(protocol: Protocol, scenario: Scenario, c: Citizen): string | undefined {
  const sg = protocol.subgroups.find((s) => (s.id ?? s.variable) === scenario.modifier.variable || s.variable === scenario.modifier.variable);
  if (!sg) throw new RangeError(`the scenario's modifier ${scenario.modifier.variable} is not a subgroup of ${protocol.id}`);
  const v = sg.variable === "target_group" ? c.targetGroup : sg.variable === "site" ? c.site : c.covariates[sg.variable];
  return subgroupLevelOf(sg, v);
}

function siteOutcome(outcome: Outcome, scenario: Scenario, p: Participant, arm: string, history: { codes: Uint8Array; anchored: boolean }, programmeWeeks: number, isPrimary: boolean, treated: boolean): number {
  const at = outcome.time ? ("week" in outcome.time ? outcome.time.week : outcome.time.to) : 0;
  if (outcome.type === "binary") {
    if (isPrimary && scenario.anchor.kind === "state_at") return history.anchored ? 1 : 0;
    // A course completed: an education spell of at least 20 weeks that began by week at − 20.
    let run = 0;
    for (let t = 0; t <= at && PRIOR_WEEKS + t < history.codes.length; t++) {
      const code = history.codes[PRIOR_WEEKS + t];
      run = code === C.educationUpperSecondary || code === C.educationHigher ? run + 1 : 0;
      if (run >= 20) return 1;
    }
    return 0;
  }
  if (outcome.type === "continuous") {
    const z = Math.sqrt(-2 * Math.log(1 - p.draws.site1)) * Math.cos(2 * Math.PI * p.draws.site2);
    const y = p.base + (p.effects[arm] ?? 0) + (scenario.primary.sd ?? 1) * z;
    const [lo, hi] = scenario.primary.range ?? [-Infinity, Infinity];
    return Math.round(Math.min(hi, Math.max(lo, y)) * 10) / 10;
  }
  // Counts recorded by the site (sessions): weekly contact while in the programme, none under usual services.
  return treated ? Math.round(Math.min(programmeWeeks, at) * (0.5 + 0.5 * p.draws.site1)) : 0;
}

/** Step 1: see the module comment. */
export function simulatePopulation(protocol: Protocol, options: SimulateOptions): SimulatedPopulation {
  const scenario = options.scenario ?? scenarioFor(protocol);
  if (!Number.isSafeInteger(options.seed)) throw new RangeError(`invalid seed; not an integer: ${options.seed}`);
  if (!Number.isInteger(options.n) || options.n < 2) throw new RangeError(`invalid n; not an integer ≥ 2: ${options.n}`);
  const master = fastStream(options.seed);
  const planRng = fastStream(childSeed(master));
  const citizenRng = fastStream(childSeed(master));
  const scheduleRng = fastStream(childSeed(master));
  const personRng = fastStream(childSeed(master));
  const siteRng = fastStream(childSeed(master));

  const share = options.ineligibleShare ?? 0.08;
  if (!(share >= 0 && share < 1)) throw new RangeError(`invalid ineligibleShare; not in [0, 1): ${share}`);
  const kinds = failureKinds(protocol);
  const counts = { eligible: options.n, ineligible: kinds.length ? Math.round((options.n * share) / (1 - share)) : 0, noConsent: options.withoutConsent ?? 1 };
  const plans = planCitizens(protocol, planRng, counts, kinds);
  const taken = new Set<string>();
  const citizens = plans.map((plan) => drawCitizen(protocol, scenario, plan, citizenRng, taken));
  for (const c of citizens.slice(counts.eligible + counts.ineligible)) c.consent = false;
  const schedule = buildSchedule(protocol, citizens, scheduleRng, options.duplicates ?? 1);

  const control = protocol.arms.find((a) => a.control)!.id;
  const arms = protocol.arms.map((a) => a.id);
  const H = followUpWeeks(protocol, scenario);
  const enrolled = schedule.filter((a) => a.expect === "enrolled").map((a) => citizens[a.citizen]);
  const w0s = enrolled.map((c) => weekOfDate(c.at.slice(0, 10)));
  const extract = { first: Math.min(...w0s) - PRIOR_WEEKS, last: Math.max(...w0s) + H };

  // Site and cluster shifts on the log-odds.
  const shifts = new Map<string, number>();
  for (const s of protocol.sites) shifts.set(`site=${s.id}`, scenario.siteSd * normal(siteRng));
  const clusterOf = (c: Citizen) => (scenario.cluster ? `cluster=${String(c.covariates[scenario.cluster.covariate])}` : "");
  if (scenario.cluster) for (const c of enrolled) if (!shifts.has(clusterOf(c))) shifts.set(clusterOf(c), scenario.cluster.sd * normal(siteRng));
  const linear = enrolled.map((c) => baselineShift(scenario, c) + (shifts.get(`site=${c.site}`) ?? 0) + (shifts.get(clusterOf(c)) ?? 0));

  // Effects by the modifier's level, scaled so their mean over the participants is the scenario's.
  const relative = enrolled.map((c) => {
    const level = modifierLevel(protocol, scenario, c);
    const r = level === undefined ? undefined : scenario.modifier.relative[level];
    if (r === undefined) throw new RangeError(`modifier ${scenario.modifier.variable}: no relative effect for level ${JSON.stringify(level)}`);
    return r;
  });
  const meanRelative = relative.reduce((a, b) => a + b, 0) / relative.length;
  const binary = scenario.anchor.kind !== "hazard";
  // Binary: calibrate the intercept so the mean control probability is the scenario's rate exactly.
  let alpha = 0;
  if (binary) {
    let lo = -20, hi = 20;
    for (let it = 0; it < 100; it++) {
      alpha = (lo + hi) / 2;
      const mean = linear.reduce((s, x) => s + logistic(alpha + x), 0) / linear.length;
      if (mean < scenario.primary.control) lo = alpha;
      else hi = alpha;
    }
  }
  const follows = scenario.primary.follows;

  const participants: Participant[] = enrolled.map((c, j) => {
    const w0 = w0s[j];
    const postWeeks = extract.last - w0 + 1;
    const draws = drawPerson(fastStream(childSeed(personRng)), postWeeks);
    const base = binary
      ? logistic(alpha + linear[j])
      : scenario.primary.control + linear[j] + (follows ? follows.slope * (Number(c.covariates[follows.covariate]) - follows.centre) : 0);
    const effects: Record<string, number> = { [control]: 0 };
    for (const arm of arms) if (arm !== control) effects[arm] = ((scenario.primary.effects[arm] ?? 0) * relative[j]) / meanRelative;
    if (binary)
      for (const arm of arms)
        if (!(base + effects[arm] >= 0 && base + effects[arm] <= 1))
          throw new RangeError(`scenario for ${protocol.id}: probability ${base + effects[arm]} outside [0, 1] under ${arm}; reduce the effects or the baseline shifts`);
    const a = scenario.attrition;
    const H1 = Math.max(1, H - 1);
    const withdrawalWeek = draws.withdrawal < a.withdrawal ? 1 + Math.floor(draws.withdrawalWeek * H1) : null;
    const exit =
      draws.death < a.death ? { week: 1 + Math.floor(draws.deathWeek * H1), code: C.dead } : draws.emigration < a.emigration ? { week: 1 + Math.floor(draws.emigrationWeek * H1), code: C.emigrated } : null;
    const p: Participant = { citizen: c, w0, enrolledOn: c.at.slice(0, 10), draws, base, effects, potential: {}, withdrawalWeek, exit, lost: draws.loss < a.lossToFollowUp };
    const prior = c.covariates.weeks_on_benefit_prior_52;
    for (const arm of arms) {
      const treated = arm !== control;
      const history = buildHistory({
        draws,
        targetGroup: c.targetGroup,
        age: c.age,
        priorBenefitWeeks: typeof prior === "number" ? prior : c.targetGroup === "ingen_ydelse" ? 0 : 40,
        postWeeks,
        anchor: scenario.anchor,
        probability: binary ? base + effects[arm] : 0,
        startScale: scenario.startScale[arm] ?? 1,
        hazardRatio: scenario.anchor.kind === "hazard" ? (scenario.anchor.ratio[arm] ?? 1) : 1,
      });
      const programmeWeeks = programmeLength(draws, scenario.programmeWeeks, a.dropout, treated);
      const outcomes: Record<string, DerivedValue> = {};
      for (const o of protocol.outcomes) {
        outcomes[o.id] =
          o.source.type === "register"
            ? deriveOutcome(o, { codes: history.codes, first: -PRIOR_WEEKS, last: postWeeks - 1, withdrawal: null, programmeEnd: programmeWeeks })
            : { value: siteOutcome(o, scenario, p, arm, history, programmeWeeks, o.id === protocol.analysis.primary_outcome, treated), event: null };
      }
      p.potential[arm] = { codes: history.codes, programmeWeeks, outcomes };
    }
    return p;
  });

  const population: SimulatedPopulation = { protocol, scenario, seed: options.seed, citizens, schedule, participants, extract, truth: undefined as unknown as Truth };
  population.truth = computeTruth(population);
  return population;
}

/** One participant as observed. */
export interface ObservedParticipant {
  participant: Participant;
  arm: string;
  enrolledOn: string;
  withdrawnOn: string | null;
  programmeEndOn: string;
  /** By outcome id; null = not observed. */
  outcomes: Record<string, DerivedValue>;
  /** The register history as the extract shows it (emigration and death applied). */
  codes: Uint8Array;
}

export interface SimulatedData {
  observed: ObservedParticipant[];
  /** The analysis data set: arm, site, target_group, enrolled_at, the covariates, the outcome columns. */
  dataSet: { rows: number; columns: Map<string, Float64Array | (string | null)[]> };
  /** The register extract, long layout: person (fake CPR), ISO week, code. */
  registerRows(): { person: string; week: string; code: string }[];
}

function weekDay(w0: number, week: number, weekday: number): string {
  return addDays(mondayOfWeek(w0 + week), weekday - 1);
}

/**
 * Step 2: the observed data given the participants' arms: a list in the order of
 * `population.participants`, or a map from the (fake) CPR number of the enrollment request to the
 * arm the API answered; participants missing from the map (never enrolled) are left out.
 */
export function realize(population: SimulatedPopulation, arms: readonly string[] | ReadonlyMap<string, string>): SimulatedData {
  const { protocol } = population;
  let chosen: { p: Participant; arm: string }[];
  if (Array.isArray(arms)) {
    if (arms.length !== population.participants.length) throw new RangeError(`expected ${population.participants.length} arms, got ${arms.length}`);
    chosen = population.participants.map((p, j) => ({ p, arm: (arms as readonly string[])[j] }));
  } else {
    const byCpr = arms as ReadonlyMap<string, string>;
    chosen = population.participants.filter((p) => byCpr.has(p.citizen.cpr)).map((p) => ({ p, arm: byCpr.get(p.citizen.cpr)! }));
  }
  const observed: ObservedParticipant[] = chosen.map(({ p, arm }, j) => {
    const pot = p.potential[arm];
    if (!pot) throw new RangeError(`participant ${j}: ${JSON.stringify(arm)} is not an arm of ${protocol.id}`);
    const codes = withExit(pot.codes, p.exit);
    const last = population.extract.last - p.w0;
    const outcomes: Record<string, DerivedValue> = {};
    for (const o of protocol.outcomes) {
      if (o.source.type === "register") {
        outcomes[o.id] = deriveOutcome(o, { codes, first: -PRIOR_WEEKS, last, withdrawal: p.withdrawalWeek, programmeEnd: pot.programmeWeeks });
      } else {
        const at = o.time ? ("week" in o.time ? o.time.week : o.time.to) : 0;
        const gone = p.lost || (p.withdrawalWeek !== null && p.withdrawalWeek <= at) || (p.exit !== null && p.exit.week <= at);
        outcomes[o.id] = gone ? { value: null, event: null } : pot.outcomes[o.id];
      }
    }
    return {
      participant: p,
      arm,
      enrolledOn: p.enrolledOn,
      withdrawnOn: p.withdrawalWeek === null ? null : weekDay(p.w0, p.withdrawalWeek, 3),
      programmeEndOn: weekDay(p.w0, pot.programmeWeeks, 1),
      outcomes,
      codes,
    };
  });

  const columns = new Map<string, Float64Array | (string | null)[]>();
  const n = observed.length;
  columns.set("participant", observed.map((o, j) => `sim-${String(j + 1).padStart(6, "0")}`));
  columns.set("person", observed.map((o) => o.participant.citizen.cpr));
  columns.set("arm", observed.map((o) => o.arm));
  columns.set("site", observed.map((o) => o.participant.citizen.site));
  columns.set("target_group", observed.map((o) => o.participant.citizen.targetGroup ?? null));
  columns.set("enrolled_at", observed.map((o) => o.participant.citizen.at));
  columns.set("enrolled_on", observed.map((o) => o.enrolledOn));
  columns.set("withdrawn_on", observed.map((o) => o.withdrawnOn));
  columns.set("programme_end_on", observed.map((o) => o.programmeEndOn));
  for (const c of protocol.covariates) {
    const values = observed.map((o) => o.participant.citizen.covariates[c.id]);
    if (c.type === "category" || c.type === "date") columns.set(c.id, values.map((v) => (v === undefined || v === null ? null : String(v))));
    else columns.set(c.id, Float64Array.from(values, (v) => (v === undefined || v === null ? NaN : v === true ? 1 : v === false ? 0 : Number(v))));
  }
  for (const o of protocol.outcomes) {
    if (o.type === "time_to_event") {
      const cols = o.columns ?? { time: `${o.id}_time`, event: `${o.id}_event` };
      columns.set(cols.time, Float64Array.from(observed, (x) => x.outcomes[o.id].value ?? NaN));
      columns.set(cols.event, Float64Array.from(observed, (x) => x.outcomes[o.id].event ?? NaN));
    } else columns.set(o.column ?? o.id, Float64Array.from(observed, (x) => x.outcomes[o.id].value ?? NaN));
  }

  return {
    observed,
    dataSet: { rows: n, columns },
    registerRows() {
      const rows: { person: string; week: string; code: string }[] = [];
      const none: number = C.none;
      const codes: readonly string[] = CODES;
      for (const o of observed) {
        const start = o.participant.w0 - PRIOR_WEEKS;
        for (let i = 0; i < o.codes.length; i++) if (o.codes[i] !== none) rows.push({ person: o.participant.citizen.cpr, week: weekLabel(start + i), code: codes[o.codes[i]] });
      }
      return rows;
    },
  };
}

/** The allocation seed of a simulated trial: 64 hex digits derived from the simulation seed. */
export function allocationSeed(protocolId: string, seed: number): string {
  return bytesToHex(sha256(utf8ToBytes(`virker/simulate|allocation|${protocolId}|${seed}`)));
}

/** Allocates the participants in enrollment order with the protocol's design. */
export function allocate(population: SimulatedPopulation, seedHex = allocationSeed(population.protocol.id, population.seed)): string[] {
  const allocator = new Allocator(trialDesignOf(population.protocol), seedHex);
  return population.participants.map((p) => allocator.allocate({ site: p.citizen.site, covariates: p.citizen.covariates, enrolled_at: p.citizen.at }).arm);
}

export interface SimulatedTrial extends SimulatedData {
  population: SimulatedPopulation;
  arms: string[];
  allocationSeed: string;
  truth: Truth;
}

/** Both steps, with the protocol's own design allocating. */
export function simulateTrial(protocol: Protocol, options: SimulateOptions): SimulatedTrial {
  const population = simulatePopulation(protocol, options);
  const seedHex = allocationSeed(protocol.id, options.seed);
  const arms = allocate(population, seedHex);
  return { ...realize(population, arms), population, arms, allocationSeed: seedHex, truth: population.truth };
}
