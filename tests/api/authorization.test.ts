/**
 * The authorization matrix, generated from the route table: every route in /openapi.json × every
 * role (the public, agency, researcher, and a municipality acting on another site's data). A route
 * without a policy below fails the test, so a new route cannot slip through untested.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CPR_SHAPED, cprFor, harness, ipsEnrollment, type Harness } from "./harness.ts";

type Caller = "public" | "agency" | "researcher" | "municipality";
interface Policy {
  /** Who may succeed. */
  allowed: Caller[];
  /** A sample request; `other` asks for the other municipality's site where a site is involved. */
  sample: (n: number) => { path: string; body?: unknown };
}

const T = "/v1/trials/ips-severe-mental-illness";
/** Participants of Aarhus (site 751): the Copenhagen token must never change or read them. */
const aarhus: string[] = [];
const POLICIES: Record<string, Policy> = {
  "GET /health": { allowed: ["public", "agency", "researcher", "municipality"], sample: () => ({ path: "/health" }) },
  "GET /openapi.json": { allowed: ["public", "agency", "researcher", "municipality"], sample: () => ({ path: "/openapi.json" }) },
  "GET /docs": { allowed: ["public", "agency", "researcher", "municipality"], sample: () => ({ path: "/docs" }) },
  "GET /v1/protocols": { allowed: ["public", "agency", "researcher", "municipality"], sample: () => ({ path: "/v1/protocols" }) },
  "GET /v1/protocols/{id}": { allowed: ["public", "agency", "researcher", "municipality"], sample: () => ({ path: "/v1/protocols/mentor-youth" }) },
  "GET /v1/trials": { allowed: ["public", "agency", "researcher", "municipality"], sample: () => ({ path: "/v1/trials" }) },
  "GET /v1/trials/{trial}": { allowed: ["public", "agency", "researcher", "municipality"], sample: () => ({ path: T }) },
  "POST /v1/trials": { allowed: ["agency"], sample: (n) => ({ path: "/v1/trials", body: { protocol_id: "mentor-youth", trial_id: `matrix-${n}` } }) },
  "POST /v1/trials/{trial}/open": { allowed: ["agency"], sample: () => ({ path: "/v1/trials/matrix-target/open", body: {} }) },
  "POST /v1/trials/{trial}/close": { allowed: ["agency"], sample: () => ({ path: "/v1/trials/matrix-target/close", body: {} }) },
  "POST /v1/trials/{trial}/amendments": { allowed: ["agency"], sample: () => ({ path: "/v1/trials/matrix-target/amendments", body: { protocol: {}, reason: "matrix" } }) },
  "POST /v1/trials/{trial}/enrollments": { allowed: [], sample: (n) => ({ path: `${T}/enrollments`, body: ipsEnrollment(cprFor(5000 + n), "751") }) },
  "GET /v1/trials/{trial}/enrollments": { allowed: ["agency", "researcher", "municipality"], sample: () => ({ path: `${T}/enrollments` }) },
  "POST /v1/trials/{trial}/enrollments/bulk": { allowed: [], sample: (n) => ({ path: `${T}/enrollments/bulk`, body: [ipsEnrollment(cprFor(7000 + n), "751")] }) },
  // The writes about a participant are allowed to the agency and the participant's own
  // municipality; the sample is Aarhus's participant, so Copenhagen's token must not succeed.
  "POST /v1/trials/{trial}/withdrawals": { allowed: ["agency"], sample: () => ({ path: `${T}/withdrawals`, body: { participant_id: aarhus[0], effective: "2026-06-01", reason: "matrix" } }) },
  "POST /v1/trials/{trial}/baseline-corrections": {
    allowed: ["agency"],
    sample: () => ({ path: `${T}/baseline-corrections`, body: { participant_id: aarhus[1], baseline: { hours_ordinary_work: 1 }, reason: "matrix" } }),
  },
  "POST /v1/trials/{trial}/error-flags": { allowed: ["agency"], sample: () => ({ path: `${T}/error-flags`, body: { participant_id: aarhus[2], reason: "matrix" } }) },
  "POST /v1/trials/{trial}/outcomes": {
    allowed: [],
    sample: () => ({ path: `${T}/outcomes`, body: { values: [{ participant_id: aarhus[1], outcome: "work_or_education_78w", value: 1, observed_at: "2026-06-01" }] } }),
  },
  "POST /v1/trials/{trial}/progression": {
    allowed: [],
    sample: () => ({ path: `${T}/progression`, body: { participant_id: aarhus[1], date: "2026-06-01", scored_by: "together", scores: { health: 3 } } }),
  },
  "GET /v1/trials/{trial}/progression": { allowed: ["agency", "researcher"], sample: () => ({ path: `${T}/progression?participant=${aarhus[1]}` }) },
  "GET /v1/trials/{trial}/export": { allowed: ["researcher"], sample: () => ({ path: `${T}/export` }) },
  "GET /v1/trials/{trial}/audit": { allowed: ["agency", "researcher"], sample: () => ({ path: `${T}/audit` }) },
  "GET /v1/trials/{trial}/audit/verify": { allowed: ["agency", "researcher"], sample: () => ({ path: `${T}/audit/verify` }) },
  "POST /v1/trials/{trial}/registers": { allowed: ["agency", "researcher"], sample: () => ({ path: `${T}/registers`, body: {} }) },
  // Evidence packages: researchers analyse, the agency publishes, everyone reads what is published
  // (person-level files and drafts only for researchers and the agency; tests/evidence/routes.test.ts).
  "GET /v1/keys": { allowed: ["public", "agency", "researcher", "municipality"], sample: () => ({ path: "/v1/keys" }) },
  "POST /v1/trials/{trial}/analyses": { allowed: ["researcher"], sample: () => ({ path: `${T}/analyses`, body: { draws: 0 } }) },
  "POST /v1/evidence/{id}/publish": { allowed: ["agency"], sample: () => ({ path: `/v1/evidence/ev-${"0".repeat(32)}/publish`, body: {} }) },
  "GET /v1/evidence": { allowed: ["public", "agency", "researcher", "municipality"], sample: () => ({ path: "/v1/evidence" }) },
  "GET /v1/evidence/{id}": { allowed: ["public", "agency", "researcher", "municipality"], sample: () => ({ path: `/v1/evidence/ev-${"0".repeat(32)}` }) },
  "GET /v1/evidence/{id}/{file}": { allowed: ["agency", "researcher"], sample: () => ({ path: `/v1/evidence/ev-${"0".repeat(32)}/data.csv` }) },
  "GET /v1/evidence/{id}/tables/{table}": { allowed: ["public", "agency", "researcher", "municipality"], sample: () => ({ path: `/v1/evidence/ev-${"0".repeat(32)}/tables/effects.csv` }) },
};

let h: Harness;
let routes: string[];
beforeAll(async () => {
  h = await harness();
  const reg = (body: unknown) => h.request("/v1/trials", { method: "POST", token: h.tokens.agency, json: body });
  expect((await reg({ protocol_id: "ips-severe-mental-illness" })).status).toBe(201);
  expect((await reg({ protocol_id: "mentor-youth", trial_id: "matrix-target" })).status).toBe(201);
  expect((await h.request(`${T}/open`, { method: "POST", token: h.tokens.agency })).status).toBe(200);
  // Aarhus (751) has participants; Copenhagen's token must never reach them.
  for (let i = 0; i < 3; i++) {
    const res = await h.request(`${T}/enrollments`, { method: "POST", token: h.tokens.aarhus, json: ipsEnrollment(cprFor(900 + i), "751") });
    expect(res.status).toBe(201);
    aarhus.push((await res.json()).participant_id);
  }
  const doc = await (await h.request("/openapi.json")).json();
  routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  routes.push("GET /health", "GET /openapi.json", "GET /docs");
});
afterAll(async () => {
  await h.close();
});

describe("authorization matrix", () => {
  it("has a policy for every route in the route table", () => {
    expect(routes.filter((r) => !POLICIES[r])).toEqual([]);
  });

  it("gives no success to a role the policy forbids, and none on another site's data", async () => {
    const callers: [Caller, string | null][] = [
      ["public", null],
      ["agency", h.tokens.agency],
      ["researcher", h.tokens.researcher],
      ["municipality", h.tokens.kbh],
    ];
    let n = 0;
    const violations: string[] = [];
    for (const route of routes) {
      const policy = POLICIES[route];
      const method = route.split(" ")[0];
      for (const [caller, token] of callers) {
        const { path, body } = policy.sample(n++);
        const res = await h.request(path, { method, token, ...(body !== undefined ? { json: body } : {}) });
        const text = await res.text();
        const success = res.status >= 200 && res.status < 300;
        if (!policy.allowed.includes(caller) && success) violations.push(`${caller} ${route} → ${res.status}`);
        if (!policy.allowed.includes(caller) && !success && res.status >= 500) violations.push(`${caller} ${route} → ${res.status}`);
        // A municipality never sees another site's participants, even where it may list its own.
        if (caller === "municipality" && success && /"participant_id":"[^"]+","arm":"[^"]+","sequence":\d+,"site":"751"/.test(text)) {
          violations.push(`${caller} ${route} showed a participant of site 751`);
        }
        expect(text).not.toMatch(CPR_SHAPED);
      }
    }
    expect(violations).toEqual([]);
  });
});
