/**
 * The staff and public pages (/app) on the Worker as deployed: sign-in, the start page and the
 * evidence index are served by the Worker itself; a trial's pages by that trial's Durable Object.
 * A caseworker signs in, enrolls through the form, sees their own site's participants and nobody
 * else's; the agency sees the trial page; the public sees the published evidence.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker, { setWorkerParts } from "../../api/worker.ts";
import { DurableStore } from "../../api/store/durable.ts";
import { ALL_SITES } from "../../api/store/store.ts";
import type { Harness } from "../api/harness.ts";
import { ipsForm, pageClient, type PageClient } from "../pages/client.ts";
import { expectStatus, runIpsTrial, type IpsTrial } from "./ips-trial.ts";
import { cprFor, seededBytes } from "./parity-sequence.ts";
import { WORKER_TEST_NOW } from "./test-bindings.ts";
import { CPR_SHAPED, makeToken, request } from "./worker-harness.ts";

const TRIAL_ID = "ips-pages";
const tokens: Record<string, string> = {};
let trial: IpsTrial;
let packageId = "";
let enrolledByForm = "";
const clients: PageClient[] = [];

/** The page client of tests/pages, talking to the Worker's entry point instead of an app in Node. */
function workerPages(): PageClient {
  const through = { app: { app: { request: (path: string, init?: RequestInit) => worker.fetch(new Request(`http://virker.test${path}`, init), env) } } };
  const client = pageClient(through as unknown as Harness);
  clients.push(client);
  return client;
}

async function signedIn(token: string): Promise<PageClient> {
  const client = workerPages();
  const res = await client.post("/app/sign-in", { token }, { csrf: null });
  expect(res.status).toBe(303);
  expect(res.location).toBe("/app");
  expect(client.cookie).not.toBeNull();
  return client;
}

beforeAll(async () => {
  setWorkerParts({ clock: () => WORKER_TEST_NOW, random: seededBytes(14) });
  tokens.agency = await makeToken({ role: "agency", name: "STAR" });
  tokens.researcher = await makeToken({ role: "researcher", name: "Forsker" });
  tokens.kbh = await makeToken({ role: "municipality", site: "101", name: "Jobcenter København" });
  tokens.aarhus = await makeToken({ role: "municipality", site: "751", name: "Jobcenter Aarhus" });
  trial = await runIpsTrial(TRIAL_ID, { agency: tokens.agency, kbh: tokens.kbh, aarhus: tokens.aarhus }, { perSite: 24, firstPerson: 8000, seed: 14 });
});

describe("pages on the Worker", () => {
  it("sign-in: the form, a refused token (401), a session cookie for a valid one", async () => {
    const anonymous = workerPages();
    const form = await anonymous.get("/app/sign-in");
    expect(form.status).toBe(200);
    expect(form.body).toContain('name="token"');
    expect(form.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect((await anonymous.get("/app")).location).toBe("/app/sign-in");
    expect((await anonymous.post("/app/sign-in", { token: `vkr_${"x".repeat(43)}` }, { csrf: null })).status).toBe(401);
    await signedIn(tokens.kbh);
  });

  it("the start page lists the trial with the links of the role", async () => {
    const kbh = await signedIn(tokens.kbh);
    const home = await kbh.get("/app");
    expect(home.status).toBe(200);
    expect(home.body).toContain(`/app/trials/${TRIAL_ID}/enroll`);
    expect(home.body).toContain(`/app/trials/${TRIAL_ID}/participants`);
    const agency = await signedIn(tokens.agency);
    const agencyHome = await agency.get("/app");
    expect(agencyHome.body).toContain(`href="/app/trials/${TRIAL_ID}"`);
    expect(agencyHome.body).not.toContain(`/app/trials/${TRIAL_ID}/enroll`);
  });

  it("a caseworker enrolls through the form (in the trial's object) and gets the arm", async () => {
    const kbh = await signedIn(tokens.kbh);
    const form = await kbh.get(`/app/trials/${TRIAL_ID}/enroll`);
    expect(form.status).toBe(200);
    expect(form.body).toContain('name="cpr"');
    const posted = await kbh.post(`/app/trials/${TRIAL_ID}/enroll`, ipsForm(cprFor(8300)));
    // The object's 303 comes back as it is (the Worker follows no redirect on the way).
    expect(posted.status).toBe(303);
    expect(posted.location).toMatch(new RegExp(`^/app/trials/${TRIAL_ID}/participants/p-[0-9a-z-]{19}\\?result=new$`));
    const result = await kbh.get(posted.location!);
    expect(result.status).toBe(200);
    const list = (await (await request(`/v1/trials/${TRIAL_ID}/enrollments`, { token: tokens.kbh })).json()) as { participants: { participant_id: string; arm: string }[] };
    expect(list.participants).toHaveLength(25);
    const newest = list.participants.find((p) => !trial.participants["101"].includes(p.participant_id))!;
    expect(result.body).toContain(newest.participant_id);
    expect(["ips", "ips_e", "usual"]).toContain(newest.arm);
    enrolledByForm = newest.participant_id;
  });

  it("a caseworker records an outcome through the participant page; another site's participant is refused", async () => {
    const kbh = await signedIn(tokens.kbh);
    const form = { outcome: "work_or_education_78w", value: "1", observed_at: WORKER_TEST_NOW.toISOString().slice(0, 10) };
    const posted = await kbh.post(`/app/trials/${TRIAL_ID}/participants/${enrolledByForm}/outcomes`, form);
    expect(posted.status).toBe(303);
    expect(posted.location).toBe(`/app/trials/${TRIAL_ID}/participants/${enrolledByForm}?done=outcome`);
    // Read back from the trial's object itself, not through the pages.
    const store = new DurableStore(env, { namespace: "" });
    const rowsOf = async (id: string) => (await store.listOutcomes(TRIAL_ID, ALL_SITES)).filter((r) => r.publicId === id);
    const other = trial.participants["751"][1];
    const before = (await rowsOf(other)).length;
    const refused = await kbh.post(`/app/trials/${TRIAL_ID}/participants/${other}/outcomes`, form);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.body).not.toContain(other);
    expect(await rowsOf(other)).toHaveLength(before);
    const recorded = await rowsOf(enrolledByForm);
    expect(recorded.map((r) => [r.publicId, r.outcome, r.value])).toEqual([[enrolledByForm, "work_or_education_78w", 1]]);
  });

  it("the participant list shows the own site's participants only; another site's participant is not found", async () => {
    const kbh = await signedIn(tokens.kbh);
    const list = await kbh.get(`/app/trials/${TRIAL_ID}/participants`);
    expect(list.status).toBe(200);
    expect(list.body).toContain('id="participants"');
    for (const id of trial.participants["101"]) expect(list.body).toContain(id);
    for (const id of trial.participants["751"]) expect(list.body).not.toContain(id);
    const own = await kbh.get(`/app/trials/${TRIAL_ID}/participants/${trial.participants["101"][0]}`);
    expect(own.status).toBe(200);
    expect(own.body).toContain(trial.participants["101"][0]);
    const other = await kbh.get(`/app/trials/${TRIAL_ID}/participants/${trial.participants["751"][0]}`);
    expect(other.status).toBe(404);
    expect(other.body).not.toContain(trial.participants["751"][0]);
    const aarhus = await signedIn(tokens.aarhus);
    const theirs = await aarhus.get(`/app/trials/${TRIAL_ID}/participants`);
    for (const id of trial.participants["101"]) expect(theirs.body).not.toContain(id);
  });

  it("the trial page: for the agency and researchers, not for a municipality", async () => {
    const agency = await signedIn(tokens.agency);
    const page = await agency.get(`/app/trials/${TRIAL_ID}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('id="by-site-and-arm"');
    const kbh = await signedIn(tokens.kbh);
    expect((await kbh.get(`/app/trials/${TRIAL_ID}`)).status).toBe(403);
  });

  it("the evidence index (public) lists a package published on the Worker, with its report link", async () => {
    const before = await workerPages().get("/app/evidence");
    expect(before.status).toBe(200);
    await expectStatus(request(`/v1/trials/${TRIAL_ID}/close`, { token: tokens.agency, json: {} }), 200);
    const drafted = await expectStatus(request(`/v1/trials/${TRIAL_ID}/analyses`, { token: tokens.researcher, json: { draws: 100 } }), 201);
    packageId = ((await drafted.json()) as { id: string }).id;
    expect(before.body).not.toContain(packageId);
    expect((await workerPages().get("/app/evidence")).body).not.toContain(packageId);
    await expectStatus(request(`/v1/evidence/${packageId}/publish`, { method: "POST", token: tokens.agency }), 200);
    const after = await workerPages().get("/app/evidence");
    expect(after.status).toBe(200);
    expect(after.body).toContain(`data-package="${packageId}"`);
    expect(after.body).toContain(`/v1/evidence/${packageId}/report.html`);
  });

  it("no page held a CPR-shaped string", () => {
    const bodies = clients.flatMap((c) => c.bodies);
    expect(bodies.length).toBeGreaterThan(20);
    for (const body of bodies) expect(body).not.toMatch(CPR_SHAPED);
  });
});
