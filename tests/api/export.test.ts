/**
 * `GET /v1/trials/{trial}/export`: CSV and Parquet of the analysis data set, read back with DuckDB;
 * researcher only; audited; no CPR-shaped text; the temporary Parquet file is removed.
 */
import { readdirSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CPR_SHAPED, cprFor, harness, ipsEnrollment, type Harness } from "./harness.ts";

const TRIAL = "ips-severe-mental-illness";
const T = `/v1/trials/${TRIAL}`;
let h: Harness;
const ids: string[] = [];
const arms: string[] = [];
const dir = mkdtempSync(join(tmpdir(), "virker-export-test-"));

async function readBack(file: string, sql: string): Promise<unknown[][]> {
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql.replace("$FILE", `'${file}'`))).getRows();
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

const exportTempDirs = () => readdirSync(tmpdir()).filter((f) => f.startsWith("virker-export-") && !dir.endsWith(f));

beforeAll(async () => {
  h = await harness();
  expect((await h.request("/v1/trials", { method: "POST", token: h.tokens.agency, json: { protocol_id: TRIAL } })).status).toBe(201);
  expect((await h.request(`${T}/open`, { method: "POST", token: h.tokens.agency })).status).toBe(200);
  for (let i = 0; i < 3; i++) {
    const [site, token] = i === 1 ? ["751", h.tokens.aarhus] : ["101", h.tokens.kbh];
    const p = await (await h.request(`${T}/enrollments`, { method: "POST", token, json: ipsEnrollment(cprFor(500 + i), site, i === 2 ? { target_group: "sygedagpenge" } : {}) })).json();
    ids.push(p.participant_id);
    arms.push(p.arm);
  }
  const post = (path: string, json: unknown, token = h.tokens.kbh) => h.request(`${T}/${path}`, { method: "POST", token, json });
  expect((await post("withdrawals", { participant_id: ids[2], effective: "2026-07-01", reason: "flyttet, kommune, \"ukendt\"" })).status).toBe(201);
  expect((await post("baseline-corrections", { participant_id: ids[0], baseline: { hours_ordinary_work: 2.5 }, reason: "rettet" })).status).toBe(201);
  expect((await post("outcomes", { values: [{ participant_id: ids[0], outcome: "work_or_education_78w", value: 1, observed_at: "2027-12-01" }] })).status).toBe(201);
  expect((await post("error-flags", { participant_id: ids[1], reason: "ikke berettiget" }, h.tokens.aarhus)).status).toBe(201);
});
afterAll(async () => {
  for (const body of h.bodies) expect(body).not.toMatch(CPR_SHAPED);
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("GET /v1/trials/{trial}/export", () => {
  it("gives the researcher the data set as CSV that DuckDB reads back", async () => {
    const res = await h.request(`${T}/export?format=csv`, { token: h.tokens.researcher });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(res.headers.get("content-disposition")).toContain(`${TRIAL}-analysis.csv`);
    const text = await res.text();
    expect(text.split("\n")[0]).toBe(
      "participant_id,arm,site,stratum,sequence,protocol_version,enrolled_at,target_group,diagnosis,wants_ordinary_work,hours_ordinary_work,female,age_band,education,worked_last_5y,weeks_on_benefit_prior_52," +
        "withdrawn,withdrawn_on,randomized_in_error,work_or_education_78w,self_supporting_78w,weeks_self_supporting_78,weeks_on_benefit_78,time_to_job_time,time_to_job_event",
    );
    const file = join(dir, "export.csv");
    writeFileSync(file, text);
    const rows = await readBack(file, "SELECT participant_id, arm, site, sequence, target_group, hours_ordinary_work, female, withdrawn, withdrawn_on, randomized_in_error, work_or_education_78w, time_to_job_time FROM read_csv($FILE, header = true, all_varchar = true) ORDER BY sequence");
    expect(rows).toEqual([
      [ids[0], arms[0], "101", "1", "kontanthjaelp_aktivitetsparat", "2.5", "1", "0", null, "0", "1", null],
      [ids[1], arms[1], "751", "2", "kontanthjaelp_aktivitetsparat", "0", "1", "0", null, "1", null, null],
      [ids[2], arms[2], "101", "3", "sygedagpenge", "0", "1", "1", "2026-07-01", "0", null, null],
    ]);
  });

  it("gives Parquet written by DuckDB, numbers as DOUBLE, missing as NULL, and removes the temporary file", async () => {
    const res = await h.request(`${T}/export?format=parquet`, { token: h.tokens.researcher });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.apache.parquet");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe("PAR1");
    const file = join(dir, "export.parquet");
    writeFileSync(file, bytes);
    const rows = await readBack(file, "SELECT participant_id, arm, site, sequence, hours_ordinary_work, withdrawn, withdrawn_on, work_or_education_78w, typeof(sequence), typeof(arm) FROM read_parquet($FILE) ORDER BY sequence");
    expect(rows).toEqual([
      [ids[0], arms[0], "101", 1, 2.5, 0, null, 1, "DOUBLE", "VARCHAR"],
      [ids[1], arms[1], "751", 2, 0, 0, null, null, "DOUBLE", "VARCHAR"],
      [ids[2], arms[2], "101", 3, 0, 1, "2026-07-01", null, "DOUBLE", "VARCHAR"],
    ]);
    await new Promise((r) => setTimeout(r, 50));
    expect(exportTempDirs()).toEqual([]);
  });

  it("audits every export as a read of person-level data", async () => {
    const entries = (await h.store.readAudit(TRIAL)).filter((e) => e.action === "dataset.export");
    expect(entries.length).toBeGreaterThanOrEqual(2);
    expect(entries[0]).toMatchObject({ role: "researcher", target: `trial:${TRIAL}`, reason: "csv, 3 rows" });
  });

  it("is for researchers only; bad format 400; unknown trial 404", async () => {
    expect((await h.request(`${T}/export`, { token: h.tokens.agency })).status).toBe(403);
    expect((await h.request(`${T}/export`, { token: h.tokens.kbh })).status).toBe(403);
    expect((await h.request(`${T}/export`)).status).toBe(401);
    expect((await h.request(`${T}/export?format=xlsx`, { token: h.tokens.researcher })).status).toBe(400);
    expect((await h.request(`/v1/trials/nope/export`, { token: h.tokens.researcher })).status).toBe(404);
  });
});
