/**
 * A seeded synthetic IPS trial (protocols/ips-severe-mental-illness.yaml: three arms, stratified
 * by site) for the package tests and the benchmark: participants allocated by the real allocator
 * from a fixed seed, outcomes drawn with known effects, a few withdrawals and missing outcomes,
 * laid out as `analysisDataset` lays out the store's data.
 */
import { readFileSync } from "node:fs";
import { allocateAll, fastStream, seedCommitment, trialDesignOf, uniform, type RandomSource } from "../../analysis/design/index.ts";
import type { ProgressionData } from "../../analysis/evidence/progression.ts";
import type { DataColumn } from "../../analysis/plan.ts";
import { normal } from "../../analysis/simulate/draws.ts";
import type { AnalysisDataSet } from "../../api/datasets/analysis-set.ts";
import type { AllocationRow } from "../../api/evidence/package.ts";
import { canonicalJson, loadProtocol, protocolHash, type Protocol } from "../../protocols/index.ts";

export interface SyntheticTrial {
  protocol: Protocol;
  protocolJson: string;
  protocolHash: string;
  seed: string;
  seedCommitment: string;
  data: AnalysisDataSet;
  allocations: AllocationRow[];
}

const pick = <T>(rng: RandomSource, values: readonly T[]) => values[Math.min(values.length - 1, Math.floor(uniform(rng) * values.length))];

export function syntheticIpsTrial(options: { n: number; seed?: number; draws?: number; dropOutcome?: string } = { n: 600 }): SyntheticTrial {
  const file = "protocols/ips-severe-mental-illness.yaml";
  const loaded = loadProtocol(readFileSync(file, "utf8"), file);
  if (!loaded.ok) throw new Error("IPS protocol does not load");
  const document = JSON.parse(JSON.stringify(loaded.protocol)) as Protocol;
  if (options.draws !== undefined) document.analysis.randomization_inference = { draws: options.draws };
  if (options.dropOutcome) {
    document.outcomes = document.outcomes.filter((o) => o.id !== options.dropOutcome);
    delete document.analysis.outcomes[options.dropOutcome];
  }
  const protocol = document;
  const rng = fastStream(options.seed ?? 7);
  const seed = "5eed".repeat(16);
  const n = options.n;
  const sites = protocol.sites.map((s) => s.id);
  const groups = ["kontanthjaelp_aktivitetsparat", "sygedagpenge", "ressourceforloeb"];
  const people = Array.from({ length: n }, (_, i) => ({
    id: `p-${String(i + 1).padStart(6, "0")}`,
    site: pick(rng, sites),
    enrolled_at: new Date(Date.UTC(2026, 3, 6) + i * 3_600_000).toISOString(),
    covariates: {
      diagnosis: pick(rng, ["schizophrenia_spectrum", "bipolar", "other"]),
      wants_ordinary_work: true,
      hours_ordinary_work: 0,
      female: uniform(rng) < 0.45,
      age_band: pick(rng, ["18-29", "30-44", "45-64"]),
      education: pick(rng, ["basic", "upper_secondary", "higher"]),
      worked_last_5y: uniform(rng) < 0.5,
      weeks_on_benefit_prior_52: Math.floor(uniform(rng) * 53),
      target_group: pick(rng, groups),
    },
  }));
  const allocated = allocateAll(trialDesignOf(protocol), seed, people);
  const effect: Record<string, number> = { ips: 0.13, ips_e: 0.12, usual: 0 };
  const num = (f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));
  const work = num((i) => (uniform(rng) < 0.45 + effect[allocated[i].arm] ? 1 : 0));
  const missing = num(() => (uniform(rng) < 0.06 ? 1 : 0));
  const withdrawn = num(() => (uniform(rng) < 0.02 ? 1 : 0));
  const weeks = num((i) => Math.min(78, Math.max(0, Math.round(20 + 60 * effect[allocated[i].arm] + 15 * (uniform(rng) + uniform(rng) - 1) * 2))));
  const time = num((i) => Math.max(1, Math.ceil(-Math.log(1 - uniform(rng)) * (60 - 120 * effect[allocated[i].arm]))));
  const columns = new Map<string, DataColumn>();
  const names: string[] = [];
  const numeric = new Set<string>();
  const add = (name: string, column: DataColumn) => {
    names.push(name);
    columns.set(name, column);
    if (column instanceof Float64Array) numeric.add(name);
  };
  add("participant_id", people.map((p) => p.id));
  add("arm", allocated.map((a) => a.arm));
  add("site", people.map((p) => p.site));
  add("stratum", allocated.map((a) => a.stratum));
  add("sequence", num((i) => allocated[i].sequence));
  add("protocol_version", num(() => 1));
  add("enrolled_at", people.map((p) => p.enrolled_at));
  add("target_group", people.map((p) => p.covariates.target_group));
  for (const c of protocol.covariates) {
    const values = people.map((p) => (p.covariates as Record<string, unknown>)[c.id]);
    if (c.type === "category") add(c.id, values.map((v) => String(v)));
    else add(c.id, Float64Array.from(values, (v) => (v === true ? 1 : v === false ? 0 : Number(v))));
  }
  add("withdrawn", withdrawn);
  add("withdrawn_on", Array.from(withdrawn, (w) => (w ? "2026-09-01" : null)));
  add("randomized_in_error", num(() => 0));
  for (const o of protocol.outcomes) {
    const gone = (i: number) => missing[i] === 1 || withdrawn[i] === 1;
    if (o.id === "time_to_job") {
      add("time_to_job_time", num((i) => (gone(i) ? NaN : Math.min(78, time[i]))));
      add("time_to_job_event", num((i) => (gone(i) ? NaN : time[i] <= 78 ? 1 : 0)));
    } else if (o.id === "weeks_self_supporting_78") add(o.id, num((i) => (gone(i) ? NaN : weeks[i])));
    else if (o.id === "weeks_on_benefit_78") add(o.id, num((i) => (gone(i) ? NaN : 78 - weeks[i])));
    else add(o.id, num((i) => (gone(i) ? NaN : o.id === "self_supporting_78w" ? (weeks[i] > 30 ? 1 : 0) : work[i])));
  }
  const records = Array.from({ length: n }, (_, i) => Object.fromEntries(names.map((name) => {
    const v = columns.get(name)![i];
    return [name, typeof v === "number" ? (Number.isNaN(v) ? null : v) : (v ?? null)];
  })));
  const allocations: AllocationRow[] = allocated.map((a, i) => ({
    participant_id: people[i].id, sequence: a.sequence, site: people[i].site, enrolled_at: people[i].enrolled_at, inputs: {}, arm: a.arm, stratum: a.stratum,
  }));
  return {
    protocol,
    protocolJson: canonicalJson(protocol),
    protocolHash: protocolHash(protocol),
    seed,
    seedCommitment: seedCommitment(seed),
    data: { rows: n, columns, names, numeric, records },
    allocations,
  };
}

/**
 * Progression measurements for a synthetic trial (its protocol's instrument and schedule): every
 * randomized participant, measured at each planned week with a falling probability (96 % at
 * baseline down to about 60 % at the last week), on a day inside the week's window; scores 1–5
 * from a person level plus, in the non-control arms, a gain that grows over the weeks on the
 * first three factors only (`gain` points at the last week) and none on the others.
 */
export function syntheticProgression(trial: Pick<SyntheticTrial, "protocol" | "allocations">, options: { seed?: number; gain?: number } = {}): ProgressionData {
  const progression = trial.protocol.progression;
  if (!progression) throw new Error(`protocol ${trial.protocol.id} has no progression instrument`);
  const rng = fastStream(options.seed ?? 23);
  const gain = options.gain ?? 0.6;
  const control = trial.protocol.arms.find((a) => a.control)!.id;
  const { factors } = progression.instrument;
  const schedule = progression.schedule;
  const last = schedule[schedule.length - 1].week;
  const participants = trial.allocations.map((a) => (a.stratum === null ? { id: a.participant_id, arm: a.arm } : { id: a.participant_id, arm: a.arm, stratum: a.stratum }));
  const measurements: ProgressionData["measurements"][number][] = [];
  for (const p of participants) {
    const level = 2.2 + normal(rng, 0, 0.6);
    schedule.forEach((s, k) => {
      if (uniform(rng) > 0.96 - (0.36 * k) / (schedule.length - 1)) return;
      const day = 7 * s.week + Math.round((uniform(rng) - 0.5) * 7 * Math.min(s.window.before, s.window.after));
      const scores: Record<string, number> = {};
      factors.forEach((f, j) => {
        const lift = p.arm !== control && j < 3 ? (gain * s.week) / last : 0;
        const raw = level + 0.012 * s.week + lift + normal(rng, 0, 0.7);
        scores[f.id] = Math.min(f.scale.max, Math.max(f.scale.min, Math.round(raw)));
      });
      measurements.push({ participant: p.id, day: Math.max(0, day), scores });
    });
  }
  return { participants, measurements };
}
