/**
 * The simulated enrollment schedule through the real API (Hono app on an in-memory DuckDB, the
 * clock set to each attempt's time): eligible citizens get 201 and an arm, the ineligible 422
 * naming the rule they were made to fail, the one without consent 422, the repeat 200 with the
 * original arm; the arms the API gives are what `realize` turns into the observed data. No
 * response carries a CPR-shaped value.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { realize, simulatePopulation, type SimulatedPopulation } from "../../../analysis/simulate/index.ts";
import { loadProtocol } from "../../../protocols/index.ts";
import { CPR_SHAPED, harness, type Harness } from "../../api/harness.ts";

const TRIAL = "/v1/trials/ips-severe-mental-illness";
let now = new Date("2026-03-01T08:00:00.000Z");
let h: Harness;
let pop: SimulatedPopulation;

beforeAll(async () => {
  h = await harness({ clock: () => now });
  const loaded = loadProtocol(readFileSync("protocols/ips-severe-mental-illness.yaml", "utf8"), "ips");
  if (!loaded.ok) throw new Error("protocol");
  pop = simulatePopulation(loaded.protocol, { n: 60, seed: 31, ineligibleShare: 0.15, duplicates: 3, withoutConsent: 3 });
  expect((await h.request("/v1/trials", { method: "POST", token: h.tokens.agency, json: { protocol_id: "ips-severe-mental-illness" } })).status).toBe(201);
  expect((await h.request(`${TRIAL}/open`, { method: "POST", token: h.tokens.agency })).status).toBe(200);
});

afterAll(async () => {
  await h?.close();
});

describe("the simulated schedule through the enrollment API", () => {
  it("gets the answers the schedule expects, at the two sites the harness has tokens for", async () => {
    const tokens: Record<string, string> = { "101": h.tokens.kbh, "751": h.tokens.aarhus };
    const arms = new Map<number, string>();
    const status = { enrolled: 201, repeat: 200, ineligible: 422, no_consent: 422 } as const;
    let tried = 0;
    const seen = new Set<string>();
    for (const attempt of pop.schedule) {
      const token = tokens[attempt.site];
      if (!token) continue;
      now = new Date(attempt.at);
      const res = await h.request(`${TRIAL}/enrollments`, { method: "POST", token, json: attempt.body });
      const body = await res.json();
      expect(res.status, `${attempt.expect} ${JSON.stringify(body)}`).toBe(status[attempt.expect]);
      if (attempt.expect === "enrolled") arms.set(attempt.citizen, body.arm);
      if (attempt.expect === "repeat") {
        expect(body.repeat).toBe(true);
        expect(body.arm).toBe(arms.get(attempt.citizen));
      }
      if (attempt.expect === "ineligible") {
        expect(JSON.stringify(body)).toContain(pop.citizens[attempt.citizen].madeToFail!);
      }
      tried++;
      seen.add(attempt.expect);
    }
    expect(tried).toBeGreaterThan(20);
    expect([...seen].sort()).toEqual(["enrolled", "ineligible", "no_consent", "repeat"]);
    for (const text of h.bodies) expect(text).not.toMatch(CPR_SHAPED);

    // The API's arms, for the participants it enrolled, give the observed data.
    const byCpr = new Map([...arms].map(([citizen, arm]) => [pop.citizens[citizen].cpr, arm]));
    const data = realize(pop, byCpr);
    expect(data.dataSet.rows).toBe(arms.size);
    expect(data.observed.map((o) => o.arm)).toEqual(data.observed.map((o) => byCpr.get(o.participant.citizen.cpr)));
    expect([...new Set(data.dataSet.columns.get("arm") as string[])].sort()).toEqual(["ips", "ips_e", "usual"]);
  });
});
