/**
 * Weekly register histories: one status code per ISO week for each participant, from 52 weeks
 * before enrollment to the end of the extract, under each arm the participant could have had.
 *
 * Before enrollment the last k weeks are on the target group's benefit, k being the covariate
 * `weeks_on_benefit_prior_52` when the protocol has it. From enrollment on, the person is on that
 * benefit (social assistance with some weeks of activation) except in spells: the main spell
 * anchored to the primary outcome (scenarios.ts `Anchor`), and a few short jobs of 1–3 weeks.
 *
 * Every random number a history needs is drawn once per person (`PersonDraws`), before any arm
 * is looked at, and the histories under the different arms are built from the same numbers
 * (common random numbers): a person's outcomes under two arms differ only through the arm, so
 * individual effects, and their average, the truth, are known exactly.
 */
import type { RandomSource } from "../design/random.ts";
import { geometricFrom } from "./draws.ts";
import { benefitCode, C } from "./register-codes.ts";
import type { Anchor } from "./scenarios.ts";

/** Weeks of history before the enrollment week. */
export const PRIOR_WEEKS = 52;

export interface PersonDraws {
  y: number;
  start: number;
  kind: number;
  duration: number;
  after: number;
  afterDuration: number;
  /** Short jobs: position, length, kept. */
  noise: Float64Array;
  /** Per week from week 0: a social-assistance week is activation when below 0.25. */
  activation: Float64Array;
  withdrawal: number;
  withdrawalWeek: number;
  emigration: number;
  emigrationWeek: number;
  death: number;
  deathWeek: number;
  loss: number;
  dropout: number;
  dropoutWeek: number;
  programme: number;
  site1: number;
  site2: number;
}

/** Draws a person's numbers, in a fixed order, from the person's own stream. */
export function drawPerson(rng: RandomSource, postWeeks: number): PersonDraws {
  const u = () => rng.nextUint32() / 0x1_0000_0000; // as `uniform`, inlined: called for every week
  const d = {
    y: u(), start: u(), kind: u(), duration: u(), after: u(), afterDuration: u(),
    noise: Float64Array.from({ length: 12 }, u),
    activation: new Float64Array(0),
    withdrawal: u(), withdrawalWeek: u(), emigration: u(), emigrationWeek: u(), death: u(), deathWeek: u(),
    loss: u(), dropout: u(), dropoutWeek: u(), programme: u(), site1: u(), site2: u(),
  };
  d.activation = Float64Array.from({ length: postWeeks }, u);
  return d;
}

export interface HistoryInput {
  draws: PersonDraws;
  targetGroup: string | undefined;
  age: number;
  /** Weeks on benefit in the 52 weeks before enrollment. */
  priorBenefitWeeks: number;
  /** Weeks from the enrollment week to the extract's last week, inclusive of both. */
  postWeeks: number;
  anchor: Anchor;
  /** Probability of the anchor event under this arm (binary anchors). */
  probability: number;
  /** How much sooner the main spell starts under this arm. */
  startScale: number;
  /** Hazard multiplier under this arm (hazard anchor). */
  hazardRatio: number;
}

export interface History {
  /** Code indices, relative weeks −52 .. postWeeks − 1. */
  codes: Uint8Array;
  /** The anchor event (binary anchors): in work or education at the week / education started in the window. */
  anchored: boolean;
}

/** A person's complete history under one arm (no withdrawal, emigration or death applied). */
export function buildHistory(input: HistoryInput): History {
  const { draws, postWeeks, anchor } = input;
  const codes = new Uint8Array(PRIOR_WEEKS + postWeeks);
  const benefit = benefitCode(input.targetGroup);
  const SELF: number = C.selfSupporting;
  const ACTIVATION: number = C.activation;
  const education = input.age < 30 ? C.educationUpperSecondary : C.educationHigher;
  const k = Math.min(PRIOR_WEEKS, Math.max(0, input.priorBenefitWeeks));
  for (let i = 0; i < PRIOR_WEEKS; i++) codes[i] = i >= PRIOR_WEEKS - k ? benefit : SELF;
  const activates = benefit === C.kontanthjaelp;
  for (let t = 0; t < postWeeks; t++) codes[PRIOR_WEEKS + t] = activates && draws.activation[t] < 0.25 ? ACTIVATION : benefit;
  // Spells as [start, end) in weeks from enrollment; `protect` keeps short jobs away from them.
  const spells: { start: number; end: number; code: number }[] = [];
  const forbidden: number[] = [];
  let anchored = false;
  const g = (u: number, mean: number) => geometricFrom(u, mean);
  if (anchor.kind === "state_at") {
    const w = anchor.week;
    anchored = draws.y < input.probability;
    if (anchored) {
      const start = Math.min(w, Math.floor(draws.start * (w + 1) * input.startScale));
      spells.push({ start, end: w + 1 + g(draws.duration, 40), code: draws.kind < anchor.education ? education : C.selfSupporting });
    } else {
      forbidden.push(w);
      if (draws.kind < 0.35) {
        const start = Math.floor(draws.start * w * 0.7);
        const room = w - start - 1;
        if (room >= 2) spells.push({ start, end: start + 1 + Math.floor(draws.duration * (room - 1)), code: C.selfSupporting });
      }
    }
  } else if (anchor.kind === "education_start") {
    anchored = draws.y < input.probability;
    const length = 8 + g(draws.duration, 40);
    let start = -1;
    if (anchored) start = anchor.from + Math.min(anchor.to - anchor.from, Math.floor(draws.start * (anchor.to - anchor.from + 1) * input.startScale));
    else if (draws.kind < 0.3) start = anchor.to + 1 + Math.floor(draws.start * 40);
    else if (draws.kind < 0.6) spells.push({ start: Math.floor(draws.start * anchor.to), end: Math.floor(draws.start * anchor.to) + 2 + g(draws.duration, 10), code: C.selfSupporting });
    if (start >= 0) {
      spells.push({ start, end: start + length, code: education });
      if (draws.after < 0.5) spells.push({ start: start + length, end: start + length + 4 + g(draws.afterDuration, 30), code: C.selfSupporting });
    }
    // No other education, so the anchor alone decides education_started in the window.
  } else {
    const h = Math.min(0.99, anchor.rate * input.hazardRatio);
    const start = Math.floor(Math.log(1 - draws.start) / Math.log(1 - h));
    spells.push({ start, end: start + 4 + g(draws.duration, 30), code: C.selfSupporting });
  }
  // Short jobs (1–3 weeks), on weeks of benefit not next to a spell nor on a forbidden week.
  const busy = new Uint8Array(postWeeks);
  for (const s of spells) for (let t = Math.max(0, s.start - 1); t < Math.min(postWeeks, s.end + 1); t++) busy[t] = 1;
  for (const t of forbidden) if (t < postWeeks) busy[t] = 1;
  for (let j = 0; j < 4; j++) {
    if (draws.noise[3 * j + 2] >= 0.35) continue;
    const start = Math.floor(draws.noise[3 * j] * postWeeks);
    const end = Math.min(postWeeks, start + 1 + Math.floor(draws.noise[3 * j + 1] * 3));
    let free = true;
    for (let t = start; t < end; t++) if (busy[t]) free = false;
    if (free) for (let t = start; t < end; t++) (codes[PRIOR_WEEKS + t] = SELF), (busy[t] = 1);
  }
  for (const s of spells) for (let t = Math.max(0, s.start); t < Math.min(postWeeks, s.end); t++) codes[PRIOR_WEEKS + t] = s.code;
  return { codes, anchored };
}

/**
 * The history as the register shows it: emigration or death codes the week they happen, with no
 * records after. `exitWeek` is relative to enrollment; null = stays.
 */
export function withExit(codes: Uint8Array, exit: { week: number; code: number } | null): Uint8Array {
  if (exit === null || PRIOR_WEEKS + exit.week >= codes.length) return codes;
  const out = codes.slice();
  out[PRIOR_WEEKS + exit.week] = exit.code;
  out.fill(C.none, PRIOR_WEEKS + exit.week + 1);
  return out;
}

/** Planned programme length under an arm, in weeks, with an early end for a dropout. */
export function programmeLength(draws: PersonDraws, weeks: [number, number], dropoutShare: number, treated: boolean): number {
  const planned = weeks[0] + Math.floor(draws.programme * (weeks[1] - weeks[0] + 1));
  return treated && draws.dropout < dropoutShare ? Math.max(1, Math.floor(draws.dropoutWeek * planned)) : planned;
}
