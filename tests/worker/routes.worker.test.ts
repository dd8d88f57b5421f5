/**
 * The route tests that matter most, against the Worker as deployed (api/worker.ts inside workerd):
 * each trial's requests are served by its Durable Object.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { setWorkerParts, trialOfPath } from "../../api/worker.ts";
import { cprFor, ipsEnrollment, seededBytes } from "./parity-sequence.ts";
import { WORKER_TEST_NOW } from "./test-bindings.ts";
import { bodies, CPR_SHAPED, makeToken, request } from "./worker-harness.ts";

const TRIAL = "/v1/trials/ips-routes";
const tokens: Record<string, string> = {};

beforeAll(async () => {
  setWorkerParts({ clock: () => WORKER_TEST_NOW, random: seededBytes(11) });
  tokens.agency = await makeToken({ role: "agency", name: "STAR" });
  tokens.researcher = await makeToken({ role: "researcher", name: "Forsker" });
  tokens.kbh = await makeToken({ role: "municipality", site: "101", name: "Jobcenter København" });
  tokens.aarhus = await makeToken({ role: "municipality", site: "751", name: "Jobcenter Aarhus" });
  const reg = await request("/v1/trials", { token: tokens.agency, json: { protocol_id: "ips-severe-mental-illness", trial_id: "ips-routes" } });
  expect(reg.status).toBe(201);
  expect(JSON.stringify(await reg.json())).not.toMatch(/"seed"/);
  expect((await request(`${TRIAL}/open`, { method: "POST", token: tokens.agency })).status).toBe(200);
});

describe("the Worker serves the app", () => {
  it("health, protocols and the OpenAPI description", async () => {
    expect((await request("/health")).status).toBe(200);
    const list = (await (await request("/v1/protocols")).json()) as { protocols?: Array<{ id: string }> } | Array<{ id: string }>;
    expect(JSON.stringify(list)).toContain("ips-severe-mental-illness");
    const doc = (await (await request("/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain("/v1/trials/{trial}/enrollments");
  });

  it("lists the trial in the registry and summarizes it from its object", async () => {
    const one = await request(TRIAL, { token: tokens.agency });
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ id: "ips-routes", status: "open" });
    const all = await request("/v1/trials", { token: tokens.agency });
    expect(JSON.stringify(await all.json())).toContain("ips-routes");
    expect((await request("/v1/trials/no-such-trial", { token: tokens.agency })).status).toBe(404);
  });
});

describe("enrollment through the trial's object", () => {
  it("201 with the arm; the same citizen again (CPR with or without the dash): 200 with the same allocation", async () => {
    const first = await request(`${TRIAL}/enrollments`, { token: tokens.kbh, json: ipsEnrollment(1, "101") });
    expect(first.status).toBe(201);
    const a = (await first.json()) as { arm: string; participant_id: string; sequence: number; repeat: boolean };
    expect(["ips", "ips_e", "usual"]).toContain(a.arm);
    expect(a).toMatchObject({ repeat: false });
    expect(a.participant_id).toMatch(/^p-/);
    const again = await request(`${TRIAL}/enrollments`, { token: tokens.kbh, json: { ...ipsEnrollment(1, "101"), cpr: cprFor(1).replace("-", "") } });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ participant_id: a.participant_id, arm: a.arm, sequence: a.sequence, repeat: true });
  });

  it("refuses another site's enrollment (403), the public (401), a researcher (403), an unknown token (401)", async () => {
    expect((await request(`${TRIAL}/enrollments`, { token: tokens.kbh, json: ipsEnrollment(2, "751") })).status).toBe(403);
    expect((await request(`${TRIAL}/enrollments`, { json: ipsEnrollment(2, "101") })).status).toBe(401);
    expect((await request(`${TRIAL}/enrollments`, { token: tokens.researcher, json: ipsEnrollment(2, "101") })).status).toBe(403);
    expect((await request(`${TRIAL}/enrollments`, { token: `vkr_${"x".repeat(43)}`, json: ipsEnrollment(2, "101") })).status).toBe(401);
  });

  it("a municipality sees only its own site's participants; the researcher sees all", async () => {
    for (let n = 10; n < 16; n++) {
      const site = n % 2 === 0 ? "101" : "751";
      const res = await request(`${TRIAL}/enrollments`, { token: site === "101" ? tokens.kbh : tokens.aarhus, json: ipsEnrollment(n, site) });
      expect(res.status).toBe(201);
    }
    const sitesOf = async (token: string) => {
      const body = (await (await request(`${TRIAL}/enrollments`, { token })).json()) as { participants: Array<{ site: string }> };
      return body.participants.map((p) => p.site);
    };
    const kbh = await sitesOf(tokens.kbh);
    const aarhus = await sitesOf(tokens.aarhus);
    const all = await sitesOf(tokens.researcher);
    expect(new Set(kbh)).toEqual(new Set(["101"]));
    expect(new Set(aarhus)).toEqual(new Set(["751"]));
    expect(all.length).toBe(kbh.length + aarhus.length);
  });

  it("answers 501 with a JSON error for what needs the Node server (register import, Parquet export)", async () => {
    const reg = await request(`${TRIAL}/registers?format=csv&person_key=pseudonym`, { token: tokens.researcher, body: "person,week,code\n" });
    expect(reg.status).toBe(501);
    expect(await reg.json()).toMatchObject({ error: { code: "not_implemented" } });
    const parquet = await request(`${TRIAL}/export?format=parquet`, { token: tokens.researcher });
    expect(parquet.status).toBe(501);
    expect(await parquet.json()).toMatchObject({ error: { code: "not_implemented" } });
  });
});

describe("audit", () => {
  it("the trial's chain verifies, for the agency and researchers only", async () => {
    expect((await request(`${TRIAL}/audit/verify`, { token: tokens.kbh })).status).toBe(403);
    const verify = (await (await request(`${TRIAL}/audit/verify`, { token: tokens.researcher })).json()) as { ok: boolean; count: number };
    expect(verify.ok).toBe(true);
    expect(verify.count).toBeGreaterThan(8);
    const log = (await (await request(`${TRIAL}/audit`, { token: tokens.agency })).json()) as { entries: Array<{ action: string }> };
    const actions = log.entries.map((e) => e.action);
    expect(actions).toContain("enrollment.create");
    expect(actions).toContain("enrollment.repeat");
  });
});

describe("privacy", () => {
  it("no response of the Worker held a CPR-shaped string", () => {
    expect(bodies.length).toBeGreaterThan(20);
    for (const body of bodies) expect(body).not.toMatch(CPR_SHAPED);
  });
});

describe("routing", () => {
  it("sends a trial's API routes and staff pages to its object, and nothing else", () => {
    expect(trialOfPath("/v1/trials/ips-routes")).toBe("ips-routes");
    expect(trialOfPath("/v1/trials/ips-routes/enrollments/bulk")).toBe("ips-routes");
    expect(trialOfPath("/app/trials/ips-routes/enroll")).toBe("ips-routes");
    expect(trialOfPath("/v1/trials")).toBeNull();
    expect(trialOfPath("/v1/trials/")).toBeNull();
    expect(trialOfPath("/v1/trials/%E0%A4%A")).toBeNull();
    expect(trialOfPath("/v1/trials/..%2F..")).toBeNull();
    expect(trialOfPath("/v1/protocols/ips")).toBeNull();
  });
});
