/**
 * Randomization inference for the primary outcome: two-sided p-values of the difference in means
 * between each treated arm and control, the share of re-randomizations — drawn by the trial's own
 * design (`Rerandomizer`) over the realized participants — whose difference is at least as far
 * from zero as the observed one (outcomes held fixed: the sharp null of no effect for anyone).
 *
 * Each draw re-runs the whole trial once and serves every contrast; one pass over the participants
 * per draw gives every arm's mean. The draws may be split over S independent streams (stream j
 * draws ⌊D/S⌋ or ⌈D/S⌉ of them from the fast generator seeded `seed + j`), so that they can run in
 * parallel; the p-value is the pooled share. With S = 1 it is one stream seeded `seed`. The result
 * depends on the seed, D and S only, never on where the streams ran.
 */
import { outcomeColumns, type Protocol } from "../protocols/index.ts";
import { designVariables, fastStream, Rerandomizer, trialDesignOf, type DesignParticipant } from "./design/index.ts";
import type { RandomizationInference } from "./evidence/schema.ts";
import type { DataSet } from "./plan.ts";

export interface RandomizationSettings {
  draws: number;
  seed: number;
  streams: number;
}

/** One stream's result: per treated arm (protocol order), the observed difference and the extreme count. */
export interface RandomizationCounts {
  stream: number;
  draws: number;
  observed: number[];
  extreme: number[];
  design: string;
}

/** Draws of stream j: the first D mod S streams take one more. */
export function streamDraws(settings: RandomizationSettings, stream: number): number {
  const { draws, streams } = settings;
  return Math.floor(draws / streams) + (stream < draws % streams ? 1 : 0);
}

/** The design variables besides the site that a re-randomization codes (strata, factors, unit). */
function designCovariates(protocol: Protocol): string[] {
  const { strata, factors, unit } = designVariables(protocol.design);
  const inputs = new Set([...strata, ...factors, ...(unit === null ? [] : [unit])]);
  return protocol.covariates.map((c) => c.id).filter((c) => inputs.has(c));
}

/** The data columns `randomizationCounts` reads: what a worker needs to be sent. */
export function randomizationColumns(protocol: Protocol): string[] {
  const primary = protocol.outcomes.find((o) => o.id === protocol.analysis.primary_outcome)!;
  const columns = outcomeColumns(primary);
  return ["arm", "site", "enrolled_at", ...designCovariates(protocol), ...("value" in columns ? [columns.value] : [])];
}

export function randomizationCounts(protocol: Protocol, data: DataSet, settings: RandomizationSettings, stream: number): RandomizationCounts {
  const armIds = protocol.arms.map((a) => a.id);
  const control = protocol.arms.find((a) => a.control)!.id;
  const treated = armIds.filter((a) => a !== control);
  const primary = protocol.outcomes.find((o) => o.id === protocol.analysis.primary_outcome)!;
  const columns = outcomeColumns(primary);
  if (!("value" in columns)) throw new Error("randomization inference needs a primary outcome with values");
  const raw = data.columns.get(columns.value)!;
  const y = raw instanceof Float64Array ? raw : Float64Array.from(raw, (v) => (v === null || v === "" ? NaN : Number(v)));
  const text = (name: string) => {
    const column = data.columns.get(name);
    if (!column) return null;
    return column instanceof Float64Array ? Array.from(column, (v) => (Number.isNaN(v) ? null : String(v))) : column;
  };
  const armColumn = text("arm")!;
  const site = text("site");
  const enrolled = text("enrolled_at");
  // Only the variables the design reads are coded.
  const covariates = designCovariates(protocol).filter((c) => data.columns.has(c)).map((c) => [c, data.columns.get(c)!] as const);
  const participants: DesignParticipant[] = Array.from({ length: data.rows }, (_, i) => ({
    site: site?.[i] ?? protocol.sites[0].id,
    covariates: Object.fromEntries(covariates.map(([c, column]) => {
      const v = column[i];
      return [c, typeof v === "number" ? (Number.isNaN(v) ? null : v) : v];
    })),
    enrolled_at: enrolled?.[i] ?? undefined,
  }));
  const realized = Int8Array.from(armColumn, (a) => armIds.indexOf(a!));
  const rr = new Rerandomizer(trialDesignOf(protocol), participants, { realized });
  const c = armIds.indexOf(control);
  const contrasts = treated.map((arm) => armIds.indexOf(arm));
  const k = armIds.length;
  const sums = new Float64Array(k);
  const counts = new Float64Array(k);
  // A participant without the outcome adds 0 to its arm's sum and 0 to its count: one sequential
  // pass, and the same sums as adding the observed values alone in the same order.
  const value = Float64Array.from(y, (v) => (Number.isNaN(v) ? 0 : v));
  const weight = Float64Array.from(y, (v) => (Number.isNaN(v) ? 0 : 1));
  // Integer outcomes (0/1, counts, weeks) under 2^53 in all sum exactly in any order, so four
  // interleaved sets of sums (independent additions the processor can overlap) give the same sums
  // as one pass; other outcomes keep the one pass in participant order.
  const exact = value.every((v) => Number.isInteger(v)) && value.reduce((t, v) => t + Math.abs(v), 0) <= Number.MAX_SAFE_INTEGER;
  const laneSums = new Float64Array(4 * k);
  const laneCounts = new Float64Array(4 * k);
  const means = (assign: Int8Array) => {
    sums.fill(0);
    counts.fill(0);
    let i = 0;
    if (exact) {
      laneSums.fill(0);
      laneCounts.fill(0);
      for (const end = assign.length - (assign.length % 4); i < end; i += 4) {
        const a0 = assign[i];
        const a1 = assign[i + 1] + k;
        const a2 = assign[i + 2] + 2 * k;
        const a3 = assign[i + 3] + 3 * k;
        laneSums[a0] += value[i];
        laneCounts[a0] += weight[i];
        laneSums[a1] += value[i + 1];
        laneCounts[a1] += weight[i + 1];
        laneSums[a2] += value[i + 2];
        laneCounts[a2] += weight[i + 2];
        laneSums[a3] += value[i + 3];
        laneCounts[a3] += weight[i + 3];
      }
      for (let a = 0; a < k; a++) {
        sums[a] = laneSums[a] + laneSums[a + k] + laneSums[a + 2 * k] + laneSums[a + 3 * k];
        counts[a] = laneCounts[a] + laneCounts[a + k] + laneCounts[a + 2 * k] + laneCounts[a + 3 * k];
      }
    }
    for (; i < assign.length; i++) {
      const a = assign[i];
      sums[a] += value[i];
      counts[a] += weight[i];
    }
  };
  means(realized);
  const observed = contrasts.map((a) => sums[a] / counts[a] - sums[c] / counts[c]);
  const threshold = observed.map((o) => Math.abs(o) - 1e-9 * Math.max(1, Math.abs(o)));
  const extreme = new Array<number>(contrasts.length).fill(0);
  const out = new Int8Array(data.rows);
  const rng = fastStream(settings.seed + stream);
  const draws = streamDraws(settings, stream);
  for (let d = 0; d < draws; d++) {
    rr.draw(rng, out);
    means(out);
    const base = sums[c] / counts[c];
    for (let t = 0; t < contrasts.length; t++) if (Math.abs(sums[contrasts[t]] / counts[contrasts[t]] - base) >= threshold[t]) extreme[t]++;
  }
  return { stream, draws, observed, extreme, design: rr.description };
}

export function combineRandomizationCounts(protocol: Protocol, parts: readonly RandomizationCounts[], settings: RandomizationSettings): RandomizationInference[] {
  if (parts.length !== settings.streams || parts.some((p, j) => p.stream !== j || p.draws !== streamDraws(settings, j))) {
    throw new Error(`randomization inference: expected ${settings.streams} streams of ${settings.draws} draws in all`);
  }
  const control = protocol.arms.find((a) => a.control)!.id;
  const treated = protocol.arms.map((a) => a.id).filter((a) => a !== control);
  return treated.map((arm, t) => ({
    outcome: protocol.analysis.primary_outcome,
    contrast: `${arm} vs ${control}`,
    statistic: "difference in means",
    observed: parts[0].observed[t],
    p_value: parts.reduce((s, p) => s + p.extreme[t], 0) / settings.draws,
    draws: settings.draws,
    design: parts[0].design,
    seed: settings.streams === 1 ? String(settings.seed) : `${settings.seed} (${settings.streams} streams: seeds ${settings.seed}..${settings.seed + settings.streams - 1})`,
  }));
}
