/**
 * Progression measurements through the Worker (api/worker.ts inside workerd): the trial's Durable
 * Object stores them as outcome rows and reads them back, corrections applied, as the DuckDB store does.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { setWorkerParts } from "../../api/worker.ts";
import { ipsEnrollment, seededBytes } from "./parity-sequence.ts";
import { WORKER_TEST_NOW } from "./test-bindings.ts";
import { makeToken, request } from "./worker-harness.ts";

const TRIAL = "/v1/trials/ips-progression";
const tokens: Record<string, string> = {};
const today = WORKER_TEST_NOW.toISOString().slice(0, 10);
let participant = "";

beforeAll(async () => {
  setWorkerParts({ clock: () => WORKER_TEST_NOW, random: seededBytes(12) });
  tokens.agency = await makeToken({ role: "agency", name: "STAR" });
  tokens.kbh = await makeToken({ role: "municipality", site: "101", name: "Jobcenter København" });
  tokens.aarhus = await makeToken({ role: "municipality", site: "751", name: "Jobcenter Aarhus" });
  expect((await request("/v1/trials", { token: tokens.agency, json: { protocol_id: "ips-severe-mental-illness", trial_id: "ips-progression" } })).status).toBe(201);
  expect((await request(`${TRIAL}/open`, { method: "POST", token: tokens.agency })).status).toBe(200);
  participant = ((await (await request(`${TRIAL}/enrollments`, { token: tokens.kbh, json: ipsEnrollment(4101, "101") })).json()) as { participant_id: string }).participant_id;
});

describe("progression in the trial's object", () => {
  it("records, corrects and reads back a measurement; another site gets 404", async () => {
    const first = await request(`${TRIAL}/progression`, { token: tokens.kbh, json: { participant_id: participant, date: today, scored_by: "together", scores: { health: 2, motivation: 3 } } });
    expect(first.status).toBe(201);
    const [id] = ((await first.json()) as { ids: string[] }).ids;
    const fix = await request(`${TRIAL}/progression`, { token: tokens.kbh, json: { participant_id: participant, date: today, scored_by: "together", scores: { health: 3, motivation: 3 }, corrects: id, reason: "tastefejl" } });
    expect(fix.status).toBe(201);
    const read = await request(`${TRIAL}/progression?participant=${participant}`, { method: "GET", token: tokens.kbh });
    expect(read.status).toBe(200);
    const view = (await read.json()) as { measurements: { scores: Record<string, number>; corrects: string | null; day: number; planned_week: number | null }[] };
    expect(view.measurements).toHaveLength(1);
    expect(view.measurements[0]).toMatchObject({ scores: { health: 3, motivation: 3 }, corrects: id, day: 0, planned_week: 0 });
    expect((await request(`${TRIAL}/progression?participant=${participant}`, { method: "GET", token: tokens.aarhus })).status).toBe(404);
  });
});
