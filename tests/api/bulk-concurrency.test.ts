/**
 * Bulk uploads and single enrollments at the same time, for overlapping citizens: the two share
 * one allocation order per trial, so every citizen is allocated exactly once, sequences are
 * 1..n without gaps, and every repeat (from either route) hears the first arm.
 */
import { describe, expect, it } from "vitest";
import { ALL_SITES } from "../../api/store/store.ts";
import { fastStream, randomInt } from "../../analysis/design/index.ts";
import { cprFor, harness, ipsEnrollment } from "./harness.ts";

const TRIAL = "ips-severe-mental-illness";
const HEADER = "cpr,site,consent,target_group,diagnosis,wants_ordinary_work,hours_ordinary_work,female,age_band,education,worked_last_5y,weeks_on_benefit_prior_52";
const line = (n: number) => `${cprFor(n)},101,true,kontanthjaelp_aktivitetsparat,bipolar,true,0,false,30-44,basic,false,40`;

describe("bulk and single enrollment together", () => {
  it("allocates each of 250 citizens once across 3 bulk files and 500 single requests sent at once", async () => {
    const h = await harness();
    try {
      expect((await h.request("/v1/trials", { method: "POST", token: h.tokens.agency, json: { protocol_id: TRIAL } })).status).toBe(201);
      expect((await h.request(`/v1/trials/${TRIAL}/open`, { method: "POST", token: h.tokens.agency })).status).toBe(200);
      // Site 101 has a cap of 300 in the protocol: 250 citizens stay under it.
      const rng = fastStream(5);
      const pick = () => 7000 + randomInt(rng, 250);
      const files = [0, 1, 2].map(() => [HEADER, ...Array.from({ length: 120 }, () => line(pick()))].join("\n"));
      const singles = Array.from({ length: 500 }, () => pick());
      const bulk = files.map(async (body) => {
        const r = await h.app.app.request(`/v1/trials/${TRIAL}/enrollments/bulk`, { method: "POST", headers: { authorization: `Bearer ${h.tokens.kbh}`, "content-type": "text/csv" }, body });
        return r.json();
      });
      const single = singles.map(async (n) => {
        const r = await h.app.app.request(`/v1/trials/${TRIAL}/enrollments`, {
          method: "POST",
          headers: { authorization: `Bearer ${h.tokens.kbh}`, "content-type": "application/json" },
          body: JSON.stringify(ipsEnrollment(cprFor(n), "101")),
        });
        return { n, status: r.status, body: await r.json() };
      });
      const [bulkOut, singleOut] = await Promise.all([Promise.all(bulk), Promise.all(single)]);
      const stored = await h.store.listEnrollments(TRIAL, ALL_SITES);
      const distinct = new Set([...singles, ...files.flatMap((f) => f.split("\n").slice(1).map((l) => l.slice(0, 11)))].map((x) => (typeof x === "number" ? cprFor(x) : x)));
      expect(stored).toHaveLength(distinct.size);
      expect(stored.map((e) => e.sequence)).toEqual(Array.from({ length: stored.length }, (_, k) => k + 1));
      const armOf = new Map(stored.map((e) => [e.publicId, e.arm]));
      let created = 0;
      for (const r of singleOut) {
        expect([200, 201]).toContain(r.status);
        if (r.status === 201) created++;
        expect(armOf.get(r.body.participant_id)).toBe(r.body.arm);
      }
      for (const out of bulkOut) {
        expect(out.failed).toBe(0);
        created += out.enrolled;
        for (const row of out.results) expect(armOf.get(row.participant_id)).toBe(row.arm);
      }
      // Exactly one "new" answer per citizen, whichever route got there first.
      expect(created).toBe(distinct.size);
    } finally {
      await h.close();
    }
  });
});
