/**
 * Concurrency inside workerd: 2,000 enrollment requests at once for 500 people (each person four
 * times, from one site's token) into one trial. The trial's object is the single writer, so there
 * must be exactly 500 allocations with sequence numbers 1..500, every repeat answered with its
 * person's one allocation, and a chain that verifies.
 */
import { describe, expect, it } from "vitest";
import { setWorkerParts } from "../../api/worker.ts";
import { ipsEnrollment, seededBytes } from "./parity-sequence.ts";
import { WORKER_TEST_NOW } from "./test-bindings.ts";
import { makeToken, request } from "./worker-harness.ts";

const TRIAL = "/v1/trials/ips-concurrency";
/** Sites with room under the protocol's caps: 101 (300), 751 (180), 461 and 851 (120). */
const SITES = [
  { site: "101", people: 200 },
  { site: "751", people: 150 },
  { site: "461", people: 75 },
  { site: "851", people: 75 },
];

describe("concurrency inside workerd", () => {
  it("2,000 concurrent enrollments for 500 people: 500 allocations, no doubles", async () => {
    setWorkerParts({ clock: () => WORKER_TEST_NOW, random: seededBytes(23) });
    const agency = await makeToken({ role: "agency", name: "STAR" });
    const researcher = await makeToken({ role: "researcher", name: "Forsker" });
    expect((await request("/v1/trials", { token: agency, json: { protocol_id: "ips-severe-mental-illness", trial_id: "ips-concurrency" } })).status).toBe(201);
    expect((await request(`${TRIAL}/open`, { method: "POST", token: agency })).status).toBe(200);
    const people: Array<{ person: number; site: string; token: string }> = [];
    let person = 1000;
    for (const s of SITES) {
      const token = await makeToken({ role: "municipality", site: s.site, name: `Jobcenter ${s.site}` });
      for (let i = 0; i < s.people; i++) people.push({ person: person++, site: s.site, token });
    }
    expect(people).toHaveLength(500);
    // Four rounds of everyone, interleaved so that repeats race the first enrollment.
    const calls = [0, 1, 2, 3].flatMap((round) => people.map((p, i) => people[(i * 7 + round * 131) % people.length]));
    expect(calls).toHaveLength(2_000);
    const results = await Promise.all(
      calls.map(async (p) => {
        const res = await request(`${TRIAL}/enrollments`, { token: p.token, json: ipsEnrollment(p.person, p.site) });
        return { person: p.person, status: res.status, body: (await res.json()) as { participant_id: string; arm: string; sequence: number; repeat: boolean } };
      }),
    );
    expect(results.filter((r) => r.status !== 200 && r.status !== 201)).toEqual([]);
    expect(results.filter((r) => r.status === 201)).toHaveLength(500);
    expect(results.filter((r) => r.status === 200 && r.body.repeat)).toHaveLength(1_500);
    const byPerson = new Map<number, Set<string>>();
    for (const r of results) {
      const seen = byPerson.get(r.person) ?? new Set<string>();
      seen.add(`${r.body.participant_id} ${r.body.arm} ${r.body.sequence}`);
      byPerson.set(r.person, seen);
    }
    expect(byPerson.size).toBe(500);
    for (const seen of byPerson.values()) expect(seen.size).toBe(1);
    const sequences = results.filter((r) => r.status === 201).map((r) => r.body.sequence).sort((a, b) => a - b);
    expect(sequences).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    const summary = (await (await request(TRIAL, { token: agency })).json()) as { enrolled: number };
    expect(summary.enrolled).toBe(500);
    const verify = (await (await request(`${TRIAL}/audit/verify`, { token: researcher })).json()) as { ok: boolean; count: number };
    expect(verify).toMatchObject({ ok: true });
    expect(verify.count).toBeGreaterThanOrEqual(2 + 2_000);
  });
});
