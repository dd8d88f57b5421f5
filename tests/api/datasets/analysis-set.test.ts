/**
 * The analysis data set on a real (in-memory) DuckDB store: four participants enrolled through the
 * API, then corrections, a withdrawal, an error flag, recorded outcomes and register-derived
 * outcomes written to the store; every expected cell is written out by hand below.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DuckDBConnection } from "@duckdb/node-api";
import { analysisDataset, type AnalysisDataSet } from "../../../api/datasets/analysis-set.ts";
import { protocolOfVersion } from "../../../api/enrollment/service.ts";
import { pseudonymKey } from "../../../api/pseudonym.ts";
import { nodeRegisterBackend } from "../../../api/register/backend-node.ts";
import { DEFAULT_CODEBOOK_PATH, loadCodebookFile } from "../../../api/register/index.ts";
import { ensureRegisterSchema } from "../../../api/register/schema.ts";
import { registerOutcomeReader, type RegisterBackend } from "../../../api/register-port.ts";
import type { DuckDbStore } from "../../../api/store/duckdb.ts";
import { ALL_SITES, siteScope, type AuditDraft } from "../../../api/store/store.ts";
import type { Protocol } from "../../../protocols/index.ts";
import { cprFor, harness, ipsEnrollment, NOW, type Harness } from "../harness.ts";

const TRIAL = "ips-severe-mental-illness";
let h: Harness;
let protocol: Protocol;
let registers: RegisterBackend;
/** The data set as the routes build it: register outcomes through the Node register backend. */
const dataset = (scope = ALL_SITES) => analysisDataset(h.store, TRIAL, protocol, scope, { registerOutcomes: registerOutcomeReader(registers, TRIAL) });
/** Public ids in enrollment order, and pseudonyms. */
const ids: string[] = [];
const pseudonyms: string[] = [];
const at = NOW.toISOString();
const audit = (action: string): AuditDraft[] => [{ at, tokenId: null, role: "system", action, target: `trial:${TRIAL}`, reason: null }];

beforeAll(async () => {
  h = await harness();
  const store = h.store as DuckDbStore;
  registers = nodeRegisterBackend({ store, connect: () => store.connect(), key: pseudonymKey("a".repeat(64)), codebook: await loadCodebookFile(DEFAULT_CODEBOOK_PATH), clock: () => NOW });
  expect((await h.request("/v1/trials", { method: "POST", token: h.tokens.agency, json: { protocol_id: TRIAL } })).status).toBe(201);
  expect((await h.request(`/v1/trials/${TRIAL}/open`, { method: "POST", token: h.tokens.agency })).status).toBe(200);
  const plan: [string, string, Record<string, unknown>][] = [
    ["101", h.tokens.kbh, {}],
    ["751", h.tokens.aarhus, { target_group: "sygedagpenge" }],
    ["101", h.tokens.kbh, { covariates: { ...ipsEnrollment("", "101").covariates, diagnosis: "schizophrenia_spectrum", education: "higher" } }],
    ["751", h.tokens.aarhus, {}],
  ];
  for (const [k, [site, token, overrides]] of plan.entries()) {
    const res = await h.request(`/v1/trials/${TRIAL}/enrollments`, { method: "POST", token, json: ipsEnrollment(cprFor(40 + k), site, overrides) });
    expect(res.status).toBe(201);
    ids.push((await res.json()).participant_id);
  }
  const enrolled = await h.store.listEnrollments(TRIAL, ALL_SITES);
  for (const e of enrolled) pseudonyms.push(e.pseudonym);
  protocol = protocolOfVersion((await h.store.getTrial(TRIAL))!).protocol;

  await h.store.append(TRIAL, {
    baselineCorrections: [
      { publicId: ids[1], baseline: { hours_ordinary_work: 10 }, reason: "tastefejl", at },
      { publicId: ids[2], baseline: { female: false }, reason: "forkert køn registreret", at },
    ],
    withdrawals: [{ publicId: ids[2], effective: "2026-06-15", reason: "ønsker ikke at deltage", at }],
    errorFlags: [{ publicId: ids[3], reason: "var ikke berettiget", at }],
    outcomes: [
      { publicId: ids[0], outcome: "work_or_education_78w", timePoint: "week-78", value: 1, observedAt: "2027-12-01", source: "site", recordedAt: at },
      { publicId: ids[1], outcome: "work_or_education_78w", timePoint: "week-78", value: 0, observedAt: "2027-12-01", source: "site", recordedAt: at },
      // Observed after the withdrawal's effective day (2026-06-15): left out of the data set.
      { publicId: ids[2], outcome: "work_or_education_78w", timePoint: "week-78", value: 1, observedAt: "2026-06-16", source: "site", recordedAt: at },
      // On the effective day itself: kept.
      { publicId: ids[2], outcome: "weeks_self_supporting_78", timePoint: null, value: 3, observedAt: "2026-06-15", source: "site", recordedAt: at },
    ],
    audit: audit("test.setup"),
  });
  // A second correction of the same field, and a re-recorded outcome value: the latest wins.
  await h.store.append(TRIAL, {
    baselineCorrections: [{ publicId: ids[1], baseline: { hours_ordinary_work: 12 }, reason: "igen", at }],
    outcomes: [{ publicId: ids[1], outcome: "work_or_education_78w", timePoint: "week-78", value: true, observedAt: "2027-12-02", source: "site", recordedAt: at }],
    audit: audit("test.setup"),
  });
  // Register-derived values, as the register module stores them (by pseudonym).
  const connection: DuckDBConnection = await (h.store as DuckDbStore).connect();
  try {
    await ensureRegisterSchema(connection);
    const insert = (outcome: string, pseudonym: string, value: number | null, event: number | null) =>
      connection.run(
        "INSERT INTO register_outcomes VALUES ($1, $2, $3, $4, $5, NULL, 'x', 1, '{}', 'sha', 'sha', $6)",
        [TRIAL, outcome, pseudonym, value, event, at],
      );
    await insert("time_to_job", pseudonyms[0], 12, 1);
    await insert("time_to_job", pseudonyms[1], 78, 0);
    await insert("self_supporting_78w", pseudonyms[3], 1, null);
    await insert("weeks_on_benefit_78", pseudonyms[2], 30, null);
    // Another trial's value for the same person never leaks in.
    await insert("weeks_on_benefit_78", pseudonyms[0], 99, null);
    await connection.run("UPDATE register_outcomes SET trial_id = 'other-trial' WHERE value = 99");
  } finally {
    connection.closeSync();
  }
});
afterAll(async () => {
  await registers.close();
  await h.close();
});

const col = (d: AnalysisDataSet, name: string) => Array.from(d.columns.get(name) as ArrayLike<unknown>);

describe("analysisDataset", () => {
  it("has one row per participant in allocation order, with the documented columns", async () => {
    const d = await dataset();
    expect(d.rows).toBe(4);
    expect(d.names).toEqual([
      "participant_id", "arm", "site", "stratum", "sequence", "protocol_version", "enrolled_at", "target_group",
      "diagnosis", "wants_ordinary_work", "hours_ordinary_work", "female", "age_band", "education", "worked_last_5y", "weeks_on_benefit_prior_52",
      "withdrawn", "withdrawn_on", "randomized_in_error",
      "work_or_education_78w", "self_supporting_78w", "weeks_self_supporting_78", "weeks_on_benefit_78", "time_to_job_time", "time_to_job_event",
    ]);
    expect(col(d, "participant_id")).toEqual(ids);
    expect(col(d, "sequence")).toEqual([1, 2, 3, 4]);
    expect(col(d, "site")).toEqual(["101", "751", "101", "751"]);
    expect(col(d, "target_group")).toEqual(["kontanthjaelp_aktivitetsparat", "sygedagpenge", "kontanthjaelp_aktivitetsparat", "kontanthjaelp_aktivitetsparat"]);
    const enrolled = await h.store.listEnrollments(TRIAL, ALL_SITES);
    expect(col(d, "arm")).toEqual(enrolled.map((e) => e.arm));
    expect(col(d, "stratum")).toEqual(enrolled.map((e) => e.stratum));
    expect(d.columns.get("arm")).not.toBeInstanceOf(Float64Array);
  });

  it("applies baseline corrections (latest wins), booleans as 0/1, categories as text", async () => {
    const d = await dataset();
    expect(d.columns.get("hours_ordinary_work")).toBeInstanceOf(Float64Array);
    expect(col(d, "hours_ordinary_work")).toEqual([0, 12, 0, 0]);
    expect(col(d, "education")).toEqual(["basic", "basic", "higher", "basic"]);
    expect(col(d, "female")).toEqual([1, 1, 0, 1]);
    expect(col(d, "worked_last_5y")).toEqual([0, 0, 0, 0]);
    expect(col(d, "diagnosis")).toEqual(["bipolar", "bipolar", "schizophrenia_spectrum", "bipolar"]);
    expect(col(d, "weeks_on_benefit_prior_52")).toEqual([40, 40, 40, 40]);
    // The allocation record itself is unchanged.
    const enrolled = await h.store.listEnrollments(TRIAL, ALL_SITES);
    expect(enrolled[1].baseline.hours_ordinary_work).toBe(0);
  });

  it("marks withdrawals and randomized-in-error flags without dropping anyone", async () => {
    const d = await dataset();
    expect(col(d, "withdrawn")).toEqual([0, 0, 1, 0]);
    expect(col(d, "withdrawn_on")).toEqual([null, null, "2026-06-15", null]);
    expect(col(d, "randomized_in_error")).toEqual([0, 0, 0, 1]);
  });

  it("fills recorded outcomes (latest wins) and register-derived outcomes; missing is NaN", async () => {
    const d = await dataset();
    expect(col(d, "work_or_education_78w")).toEqual([1, 1, NaN, NaN]);
    expect(col(d, "self_supporting_78w")).toEqual([NaN, NaN, NaN, 1]);
    expect(col(d, "weeks_on_benefit_78")).toEqual([NaN, NaN, 30, NaN]);
    expect(col(d, "weeks_self_supporting_78")).toEqual([NaN, NaN, 3, NaN]);
    expect(col(d, "time_to_job_time")).toEqual([12, 78, NaN, NaN]);
    expect(col(d, "time_to_job_event")).toEqual([1, 0, NaN, NaN]);
  });

  it("gives the same data as row objects, missing as null", async () => {
    const d = await dataset();
    expect(d.records).toHaveLength(4);
    expect(d.records[2]).toMatchObject({ participant_id: ids[2], site: "101", female: 0, withdrawn: 1, withdrawn_on: "2026-06-15", work_or_education_78w: null, weeks_on_benefit_78: 30 });
    expect(Object.keys(d.records[0])).toEqual(d.names);
    expect(JSON.stringify(d.records)).not.toMatch(new RegExp(pseudonyms[0]));
  });

  it("sees only the scope's participants", async () => {
    const d = await dataset(siteScope("101"));
    expect(d.rows).toBe(2);
    expect(col(d, "participant_id")).toEqual([ids[0], ids[2]]);
    expect(col(d, "withdrawn")).toEqual([0, 1]);
    expect(col(d, "time_to_job_time")).toEqual([12, NaN]);
    expect(col(d, "weeks_on_benefit_78")).toEqual([NaN, 30]);
  });

  it("leaves register outcomes missing where the server has no register backend", async () => {
    const d = await analysisDataset(h.store, TRIAL, protocol, ALL_SITES);
    expect(col(d, "time_to_job_time")).toEqual([NaN, NaN, NaN, NaN]);
    expect(col(d, "weeks_on_benefit_78")).toEqual([NaN, NaN, NaN, NaN]);
    // A value the site recorded for a register outcome stays.
    expect(col(d, "weeks_self_supporting_78")).toEqual([NaN, NaN, 3, NaN]);
  });

  it("takes register values from any injected reader", async () => {
    const d = await analysisDataset(h.store, TRIAL, protocol, ALL_SITES, {
      registerOutcomes: async (outcome) => (outcome === "weeks_self_supporting_78" ? [{ pseudonym: pseudonyms[1], value: 7, event: null, reason: null }] : null),
    });
    expect(col(d, "weeks_self_supporting_78")).toEqual([NaN, 7, 3, NaN]);
    expect(col(d, "time_to_job_time")).toEqual([NaN, NaN, NaN, NaN]);
  });
});
