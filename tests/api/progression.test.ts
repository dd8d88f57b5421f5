/**
 * Progression measurements through `app.request`: recording one or a batch, the refusals that
 * matter (scale, unknown factor, dates, another site, no instrument), corrections as new rows,
 * the GET as the analysis reads it, the export untouched, and the trial's progression analysis
 * run on measurements recorded through the API.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fastStream } from "../../analysis/design/index.ts";
import { analyzeProgression } from "../../analysis/progression/progression-analysis.ts";
import { analyzeRecordedProgression, currentMeasurements, PROGRESSION_OUTCOME, progressionInput } from "../../api/progression/measurements.ts";
import { ALL_SITES } from "../../api/store/store.ts";
import { protocolsFromFolder } from "../../api/protocol-source-node.ts";
import { CPR_SHAPED, cprFor, harness, ipsEnrollment, NOW, type Harness } from "./harness.ts";

const TRIAL = "ips-severe-mental-illness";
const T = `/v1/trials/${TRIAL}`;
const ips = protocolsFromFolder().get(TRIAL)!.protocol;
const FACTORS = ips.progression!.instrument.factors.map((f) => f.id);
let h: Harness;
let now = NOW;
const kbh: { participant_id: string; arm: string }[] = [];
let aarhus: string;

const post = (json: unknown, token = h.tokens.kbh) => h.request(`${T}/progression`, { method: "POST", token, json });
const get = (participant: string, token = h.tokens.kbh) => h.request(`${T}/progression?participant=${participant}`, { token });
const all = (v: number) => Object.fromEntries(FACTORS.map((f) => [f, v]));

beforeAll(async () => {
  h = await harness({ clock: () => now });
  expect((await h.request("/v1/trials", { method: "POST", token: h.tokens.agency, json: { protocol_id: TRIAL } })).status).toBe(201);
  expect((await h.request(`${T}/open`, { method: "POST", token: h.tokens.agency })).status).toBe(200);
  for (let i = 0; i < 3; i++) kbh.push(await (await h.request(`${T}/enrollments`, { method: "POST", token: h.tokens.kbh, json: ipsEnrollment(cprFor(600 + i), "101") })).json());
  aarhus = (await (await h.request(`${T}/enrollments`, { method: "POST", token: h.tokens.aarhus, json: ipsEnrollment(cprFor(699), "751") })).json()).participant_id;
  now = new Date("2026-12-01T10:00:00.000Z");
});
afterAll(async () => {
  for (const body of h.bodies) expect(body).not.toMatch(CPR_SHAPED);
  await h.close();
});

describe("POST /v1/trials/{trial}/progression", () => {
  it("records one measurement as a progression row, audited, and the GET returns it as the analysis reads it", async () => {
    const p = kbh[0].participant_id;
    const res = await post({ participant_id: p, date: "2026-06-03", scored_by: "together", scores: all(2) });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.recorded).toBe(1);
    expect(body.ids[0]).toMatch(/^pm-[a-z]{16}$/);
    const rows = (await h.store.listOutcomes(TRIAL, ALL_SITES)).filter((r) => r.outcome === PROGRESSION_OUTCOME);
    expect(rows).toEqual([
      { publicId: p, outcome: "progression", timePoint: body.ids[0], value: { scores: all(2), scored_by: "together" }, observedAt: "2026-06-03", source: "site", recordedAt: now.toISOString() },
    ]);
    const audit = (await h.store.readAudit(TRIAL)).at(-1)!;
    expect(audit).toMatchObject({ action: "progression.record", target: `trial:${TRIAL}/participant:${p}/progression:${body.ids[0]}`, role: "municipality" });

    const read = await get(p);
    expect(read.status).toBe(200);
    const view = await read.json();
    expect(view.instrument).toEqual({ id: "progression-default", version: 1, illustrative: true });
    expect(view.measurements).toEqual([
      { id: body.ids[0], date: "2026-06-03", day: 2, planned_week: 0, scored_by: "together", scores: all(2), total: 2, corrects: null, reason: null, recorded_at: now.toISOString() },
    ]);
    expect((await h.store.readAudit(TRIAL)).at(-1)).toMatchObject({ action: "progression.read", target: `trial:${TRIAL}/participant:${p}` });
  });

  it("records a batch with a factor left out (no total then), or refuses the whole batch naming each row", async () => {
    const p = kbh[1].participant_id;
    const before = (await h.store.listOutcomes(TRIAL, ALL_SITES)).length;
    const refused = await post({
      measurements: [
        { participant_id: p, date: "2026-06-02", scored_by: "caseworker", scores: { health: 3 } },
        { participant_id: p, date: "2026-09-01", scored_by: "citizen", scores: { health: 6, motivation: 2.5, luck: 3 } },
        { participant_id: p, date: "2026-05-01", scored_by: "citizen", scores: { health: 3 } },
        { participant_id: p, date: "2027-01-01", scored_by: "citizen", scores: { health: 3 } },
        { participant_id: p, date: "2026-09-01", scored_by: "citizen", scores: {} },
        { participant_id: aarhus, date: "2026-09-01", scored_by: "citizen", scores: { health: 3 } },
        { participant_id: p, date: "2026-09-01", scored_by: "citizen", scores: { health: 3 }, reason: "no correction" },
      ],
    });
    expect(refused.status).toBe(422);
    const error = (await refused.json()).error;
    expect(error.message).toContain("6 måling(er) afvist");
    expect(error.issues.map((i: { path: string; code: string }) => `${i.path} ${i.code}`)).toEqual([
      "measurements.1.scores.health invalid_score",
      "measurements.1.scores.motivation invalid_score",
      "measurements.1.scores.luck unknown_factor",
      "measurements.2.date before_enrollment",
      "measurements.3.date future_date",
      "measurements.4.scores no_scores",
      "measurements.5.participant_id unknown_participant",
      "measurements.6.reason reason_without_correction",
    ]);
    expect(error.issues[0].message).toContain("række 2: health skal være et helt tal fra 1 til 5: 6");
    expect((await h.store.listOutcomes(TRIAL, ALL_SITES)).length).toBe(before);

    const ok = await post({
      measurements: [
        { participant_id: p, date: "2026-06-02", scored_by: "caseworker", scores: { health: 3, motivation: null } },
        { participant_id: p, date: "2026-09-01", scored_by: "citizen", scores: all(4) },
      ],
    });
    expect(ok.status).toBe(201);
    expect((await ok.json()).recorded).toBe(2);
    const view = await (await get(p)).json();
    expect(view.measurements.map((m: { scores: object; total: number | null; planned_week: number | null }) => [m.scores, m.total, m.planned_week])).toEqual([
      [{ health: 3 }, null, 0],
      [all(4), 4, 13],
    ]);
  });

  it("keeps corrections as new rows with a reason; the GET and the analysis use the correction", async () => {
    const p = kbh[2].participant_id;
    const first = (await (await post({ participant_id: p, date: "2026-06-04", scored_by: "together", scores: all(1) })).json()).ids[0];
    const noReason = await post({ participant_id: p, date: "2026-06-04", scored_by: "together", scores: all(3), corrects: first });
    expect(noReason.status).toBe(422);
    expect((await noReason.json()).error.issues.map((i: { code: string }) => i.code)).toEqual(["reason_required"]);
    const wrongOne = await post({ participant_id: kbh[0].participant_id, date: "2026-06-04", scored_by: "together", scores: all(3), corrects: first, reason: "tastefejl" });
    expect((await wrongOne.json()).error.issues.map((i: { code: string }) => i.code)).toEqual(["unknown_measurement"]);

    const fix = await post({ participant_id: p, date: "2026-06-04", scored_by: "together", scores: all(3), corrects: first, reason: "tastefejl i helbred" });
    expect(fix.status).toBe(201);
    const second = (await fix.json()).ids[0];
    expect((await h.store.readAudit(TRIAL)).at(-1)).toMatchObject({ action: "progression.correct", reason: "tastefejl i helbred" });
    const again = await post({ participant_id: p, date: "2026-06-04", scored_by: "together", scores: all(4), corrects: first, reason: "igen" });
    expect((await again.json()).error.issues[0]).toMatchObject({ code: "already_corrected", message: expect.stringContaining(second) });

    const stored = (await h.store.listOutcomes(TRIAL, ALL_SITES)).filter((r) => r.publicId === p);
    expect(stored.map((r) => r.timePoint)).toEqual([first, second]);
    const view = await (await get(p, h.tokens.researcher)).json();
    expect(view.measurements).toHaveLength(1);
    expect(view.measurements[0]).toMatchObject({ id: second, scores: all(3), corrects: first, reason: "tastefejl i helbred" });
  });

  it("refuses a measurement after the participant's withdrawal, naming the row", async () => {
    const p = kbh[0].participant_id;
    expect((await h.request(`${T}/withdrawals`, { method: "POST", token: h.tokens.kbh, json: { participant_id: p, effective: "2026-10-01", reason: "flyttet" } })).status).toBe(201);
    const res = await post({ measurements: [{ participant_id: p, date: "2026-09-30", scored_by: "citizen", scores: all(3) }, { participant_id: p, date: "2026-10-02", scored_by: "citizen", scores: all(3) }] });
    expect(res.status).toBe(422);
    const issues = (await res.json()).error.issues;
    expect(issues).toEqual([expect.objectContaining({ path: "measurements.1.date", code: "after_withdrawal", message: expect.stringContaining("række 2: efter udtrædelsen 2026-10-01") })]);
    expect((await get(p)).status).toBe(200);
  });

  it("refuses another site's participant (404 to read, 422 row to write), another role, and a trial without an instrument", async () => {
    expect((await get(aarhus)).status).toBe(404);
    expect((await get(aarhus, h.tokens.agency)).status).toBe(200);
    expect((await post({ participant_id: aarhus, date: "2026-06-02", scored_by: "citizen", scores: all(3) })).status).toBe(422);
    expect((await post({ participant_id: aarhus, date: "2026-06-02", scored_by: "citizen", scores: all(3) }, h.tokens.agency)).status).toBe(403);
    expect((await post({ participant_id: kbh[1].participant_id, date: "2026-06-02", scored_by: "citizen", scores: all(3), note: "fri tekst" })).status).toBe(400);
    // One measurement or a batch: the problems are named the same way.
    const bad = await post({ participant_id: kbh[1].participant_id, date: "2026-02-30", scored_by: "", scores: all(3) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.issues.map((i: { path: string }) => i.path)).toEqual(["measurements.0.date", "measurements.0.scored_by"]);
    const doc = await (await h.request("/openapi.json")).json();
    expect(Object.keys(doc.paths[`/v1/trials/{trial}/progression`])).toEqual(["post", "get"]);
    expect(doc.components.schemas.ProgressionRequest.anyOf[0]).toEqual({ $ref: "#/components/schemas/ProgressionMeasurementRequest" });
    expect((await h.request("/v1/trials", { method: "POST", token: h.tokens.agency, json: { protocol_id: "brobygning" } })).status).toBe(201);
    const none = await h.request("/v1/trials/brobygning/progression", { method: "POST", token: h.tokens.kbh, json: { participant_id: kbh[1].participant_id, date: "2026-06-02", scored_by: "citizen", scores: { health: 3 } } });
    expect(none.status).toBe(422);
    expect((await none.json()).error.message).toContain("intet progressionsværktøj");
  });

  it("leaves the analysis data set and the export as they were", async () => {
    const res = await h.request(`${T}/export?format=csv`, { token: h.tokens.researcher });
    expect(res.status).toBe(200);
    const header = (await res.text()).split("\n")[0]!;
    expect(header).not.toContain("progression");
  });
});

describe("currentMeasurements", () => {
  const m = (id: string, corrects: string | null) => ({ id, publicId: "p", date: "2026-06-01", scoredBy: "together" as const, scores: {}, corrects, reason: corrects && "r", recordedAt: "2026-06-01T10:00:00.000Z" });
  it("keeps the end of each correction chain; a row corrected twice keeps its later correction", () => {
    expect(currentMeasurements([m("a", null), m("b", "a"), m("c", "b"), m("d", null)]).map((x) => x.id)).toEqual(["c", "d"]);
    expect(currentMeasurements([m("a", null), m("b", "a"), m("c", "a")]).map((x) => x.id)).toEqual(["c"]);
  });
});

describe("fuzzing POST .../progression", () => {
  it("answers 600 bodies near the valid shape and arbitrary JSON without a 500, never keeping a bad score", async () => {
    const near = fc.record(
      {
        participant_id: fc.oneof(fc.constant(kbh[1]?.participant_id ?? ""), fc.string(), fc.integer()),
        date: fc.oneof(fc.constantFrom("2026-06-02", "2026-02-30", "2026-13-01", "2030-01-01"), fc.string(), fc.integer()),
        scored_by: fc.oneof(fc.constantFrom(...(["together", "citizen", "caseworker"] as const)), fc.string()),
        scores: fc.oneof(fc.dictionary(fc.constantFrom(...FACTORS, "total", "__proto__", "luck"), fc.oneof(fc.integer({ min: -2, max: 8 }), fc.double(), fc.constant(null), fc.string())), fc.jsonValue()),
        corrects: fc.oneof(fc.constant("pm-abcdefghijklmnop"), fc.string()),
        reason: fc.string(),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(near, fc.record({ measurements: fc.array(near, { maxLength: 4 }) }), fc.jsonValue());
    await fc.assert(
      fc.asyncProperty(body, async (json) => {
        const res = await post(json);
        expect(res.status).toBeLessThan(500);
        const text = await res.text();
        if (res.status >= 400) expect(JSON.parse(text).error.code).toEqual(expect.any(String));
      }),
      { numRuns: 600, seed: 20261123 },
    );
    for (const r of await h.store.listOutcomes(TRIAL, ALL_SITES)) {
      if (r.outcome !== PROGRESSION_OUTCOME) continue;
      for (const v of Object.values((r.value as { scores: Record<string, number> }).scores)) expect(Number.isInteger(v) && v >= 1 && v <= 5).toBe(true);
    }
  }, 120_000);
});

describe("the progression analysis on recorded measurements", () => {
  it("runs analyzeProgression on what was recorded through the API, the same as on the measurements given directly", async () => {
    let clock = new Date("2026-06-01T10:00:00.000Z");
    const g = await harness({ clock: () => clock, seed: 7 });
    try {
      expect((await g.request("/v1/trials", { method: "POST", token: g.tokens.agency, json: { protocol_id: TRIAL } })).status).toBe(201);
      expect((await g.request(`${T}/open`, { method: "POST", token: g.tokens.agency })).status).toBe(200);
      const people: { participant_id: string; arm: string }[] = [];
      for (let i = 0; i < 24; i++) {
        const [site, token] = i % 2 === 0 ? ["101", g.tokens.kbh] : ["751", g.tokens.aarhus];
        const res = await g.request(`${T}/enrollments`, { method: "POST", token, json: ipsEnrollment(cprFor(800 + i), site) });
        people.push({ ...(await res.json()), token });
      }
      clock = new Date("2027-12-31T10:00:00.000Z");
      const rng = fastStream(11);
      const draw = (mean: number) => Math.min(5, Math.max(1, Math.round(mean + (rng.nextUint32() / 2 ** 32 - 0.5) * 2)));
      const expected: { participant: string; day: number; scores: Record<string, number> }[] = [];
      for (const [k, week] of [0, 13, 26, 52, 78].entries()) {
        for (const token of [g.tokens.kbh, g.tokens.aarhus]) {
          const measurements = [];
          for (const [i, p] of people.entries()) {
            if ((p as unknown as { token: string }).token !== token) continue;
            if (k > 0 && (i + k) % 5 === 0) continue; // some conversations do not happen
            const lift = p.arm === "usual" ? 0 : 0.1 * week ** 0.5;
            const scores = Object.fromEntries(FACTORS.map((f, j) => [f, draw(2.5 + 0.002 * j * week + lift)]));
            const day = 7 * week + ((i % 3) - 1);
            const date = new Date(Date.parse("2026-06-01T00:00:00Z") + Math.max(0, day) * 86_400_000).toISOString().slice(0, 10);
            measurements.push({ participant_id: p.participant_id, date, scored_by: "together", scores });
            expected.push({ participant: p.participant_id, day: Math.max(0, day), scores });
          }
          const res = await g.request(`${T}/progression`, { method: "POST", token, json: { measurements } });
          expect(res.status).toBe(201);
        }
      }
      // A correction: the corrected scores are the ones analysed.
      const someone = people[0]!;
      const view = await (await g.request(`${T}/progression?participant=${someone.participant_id}`, { token: g.tokens.kbh })).json();
      const week13 = view.measurements.find((m: { planned_week: number }) => m.planned_week === 13);
      const fixed = all(5);
      const fix = await g.request(`${T}/progression`, { method: "POST", token: g.tokens.kbh, json: { participant_id: someone.participant_id, date: week13.date, scored_by: "together", scores: fixed, corrects: week13.id, reason: "forkert skema" } });
      expect(fix.status).toBe(201);
      const hit = expected.find((e) => e.participant === someone.participant_id && e.day === week13.day)!;
      hit.scores = fixed;

      const recorded = await analyzeRecordedProgression(g.store, TRIAL, ips);
      const enrollments = await g.store.listEnrollments(TRIAL, ALL_SITES);
      const participants = enrollments.map((e) => ({ id: e.publicId, arm: e.arm, ...(e.stratum === null ? {} : { stratum: e.stratum }) }));
      const direct = analyzeProgression(ips.progression!, ips.arms.map((a) => ({ id: a.id, control: a.control })), participants, expected.map((e) => ({ participant: e.participant, day: e.day, scores: e.scores })));
      expect(recorded).toEqual(direct);
      expect(recorded.assignment).toEqual({ rows: expected.length, used: expected.length, outside_window: 0, superseded: 0 });
      expect(recorded.completeness.length).toBeGreaterThan(0);
      expect(recorded.primary.map((e) => e.arm).sort()).toEqual(["ips", "ips_e"]);
      expect(recorded.primary.every((e) => Number.isFinite(e.estimate))).toBe(true);
      // The input keeps every randomized participant (intention to treat), in enrollment order.
      const input = progressionInput(ips, enrollments, [], await g.store.listOutcomes(TRIAL, ALL_SITES));
      expect(input.participants.map((p) => p.id)).toEqual(enrollments.map((e) => e.publicId));
      expect(input.measurements).toHaveLength(expected.length);
    } finally {
      await g.close();
    }
  });
});
