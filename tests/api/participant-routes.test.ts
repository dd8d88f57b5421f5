/**
 * Withdrawals, baseline corrections, randomized-in-error flags and recorded outcome values through
 * `app.request`: success, the failures that matter, own-site only, audit entries, and that the
 * allocation never changes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_SITES } from "../../api/store/store.ts";
import { CPR_SHAPED, cprFor, harness, ipsEnrollment, type Harness } from "./harness.ts";

const TRIAL = "ips-severe-mental-illness";
const T = `/v1/trials/${TRIAL}`;
let h: Harness;
/** Copenhagen's participants 0..4, Aarhus's participant. */
const kbh: { participant_id: string; arm: string }[] = [];
let aarhus: string;

const post = (path: string, json: unknown, token = h.tokens.kbh) => h.request(`${T}/${path}`, { method: "POST", token, json });

beforeAll(async () => {
  h = await harness();
  expect((await h.request("/v1/trials", { method: "POST", token: h.tokens.agency, json: { protocol_id: TRIAL } })).status).toBe(201);
  expect((await h.request(`${T}/open`, { method: "POST", token: h.tokens.agency })).status).toBe(200);
  for (let i = 0; i < 5; i++) kbh.push(await (await post("enrollments", ipsEnrollment(cprFor(300 + i), "101"))).json());
  aarhus = (await (await post("enrollments", ipsEnrollment(cprFor(399), "751"), h.tokens.aarhus)).json()).participant_id;
});
afterAll(async () => {
  for (const body of h.bodies) expect(body).not.toMatch(CPR_SHAPED);
  await h.close();
});

describe("POST /v1/trials/{trial}/withdrawals", () => {
  it("records the withdrawal with reason and effective day; the participant stays enrolled with the same arm", async () => {
    const res = await post("withdrawals", { participant_id: kbh[0].participant_id, effective: "2026-06-20", reason: "ønsker at stoppe" });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ participant_id: kbh[0].participant_id, effective: "2026-06-20", reason: "ønsker at stoppe", at: "2026-06-01T10:00:00.000Z" });
    const stored = await h.store.listEnrollments(TRIAL, ALL_SITES);
    expect(stored.find((e) => e.publicId === kbh[0].participant_id)?.arm).toBe(kbh[0].arm);
    expect(await h.store.listWithdrawals(TRIAL, ALL_SITES)).toEqual([expect.objectContaining({ publicId: kbh[0].participant_id, effective: "2026-06-20" })]);
    const audit = (await h.store.readAudit(TRIAL)).at(-1)!;
    expect(audit).toMatchObject({ action: "participant.withdraw", target: `trial:${TRIAL}/participant:${kbh[0].participant_id}`, reason: "ønsker at stoppe", role: "municipality" });
  });

  it("refuses a second withdrawal (409), a day before enrollment (422), a bad date or missing reason (400)", async () => {
    expect((await post("withdrawals", { participant_id: kbh[0].participant_id, effective: "2026-07-01", reason: "igen igen" })).status).toBe(409);
    const early = await post("withdrawals", { participant_id: kbh[1].participant_id, effective: "2026-05-31", reason: "for tidligt" });
    expect(early.status).toBe(422);
    expect((await early.json()).error.issues[0].path).toBe("effective");
    expect((await post("withdrawals", { participant_id: kbh[1].participant_id, effective: "2026-02-30", reason: "ugyldig dato" })).status).toBe(400);
    expect((await post("withdrawals", { participant_id: kbh[1].participant_id, effective: "2026-06-02" })).status).toBe(400);
  });

  it("refuses a reason holding a CPR-shaped number (422) without echoing it", async () => {
    const res = await post("withdrawals", { participant_id: kbh[1].participant_id, effective: "2026-06-02", reason: `borger ${cprFor(301)} flyttet` });
    expect(res.status).toBe(422);
    expect(await res.text()).not.toMatch(CPR_SHAPED);
  });

  it("does not let one municipality touch another's participant (404, as if unknown)", async () => {
    expect((await post("withdrawals", { participant_id: aarhus, effective: "2026-06-02", reason: "forsøg" })).status).toBe(404);
    expect((await post("withdrawals", { participant_id: "p-0000-0000-0000-0000", effective: "2026-06-02", reason: "ukendt" })).status).toBe(404);
    expect((await post("withdrawals", { participant_id: kbh[1].participant_id, effective: "2026-06-02", reason: "forsker" }, h.tokens.researcher)).status).toBe(403);
    expect((await h.request(`${T}/withdrawals`, { method: "POST", json: { participant_id: kbh[1].participant_id, effective: "2026-06-02", reason: "anonym" } })).status).toBe(401);
  });

  it("lets the agency withdraw any site's participant", async () => {
    expect((await post("withdrawals", { participant_id: aarhus, effective: "2026-06-02", reason: "styrelsen" }, h.tokens.agency)).status).toBe(201);
  });
});

describe("POST /v1/trials/{trial}/baseline-corrections", () => {
  it("records a correction as a new row and answers with the baseline as it now stands; the allocation is untouched", async () => {
    const res = await post("baseline-corrections", { participant_id: kbh[1].participant_id, baseline: { hours_ordinary_work: 4, education: "higher" }, reason: "tastefejl" });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.corrected).toEqual({ hours_ordinary_work: 4, education: "higher" });
    expect(body.baseline).toMatchObject({ hours_ordinary_work: 4, education: "higher", diagnosis: "bipolar", target_group: "kontanthjaelp_aktivitetsparat" });
    const again = await (await post("baseline-corrections", { participant_id: kbh[1].participant_id, baseline: { hours_ordinary_work: 6 }, reason: "igen" })).json();
    expect(again.baseline).toMatchObject({ hours_ordinary_work: 6, education: "higher" });
    const stored = (await h.store.listEnrollments(TRIAL, ALL_SITES)).find((e) => e.publicId === kbh[1].participant_id)!;
    expect(stored.baseline.hours_ordinary_work).toBe(0);
    expect(stored.arm).toBe(kbh[1].arm);
    expect(await h.store.listBaselineCorrections(TRIAL, ALL_SITES)).toHaveLength(2);
    expect((await h.store.readAudit(TRIAL)).at(-1)).toMatchObject({ action: "participant.correct_baseline", reason: "igen" });
  });

  it("re-validates against the protocol's covariate types and names each problem (400)", async () => {
    const res = await post("baseline-corrections", {
      participant_id: kbh[2].participant_id,
      baseline: { hours_ordinary_work: 200, education: "phd", female: "maybe", shoe_size: 44, target_group: "astronaut" },
      reason: "forkert",
    });
    expect(res.status).toBe(400);
    const paths = (await res.json()).error.issues.map((i: { path: string }) => i.path).sort();
    expect(paths).toEqual(["baseline.education", "baseline.female", "baseline.hours_ordinary_work", "baseline.shoe_size", "baseline.target_group"]);
    expect((await post("baseline-corrections", { participant_id: kbh[2].participant_id, baseline: {}, reason: "intet" })).status).toBe(400);
    // Clearing a required covariate is refused.
    expect((await post("baseline-corrections", { participant_id: kbh[2].participant_id, baseline: { diagnosis: null }, reason: "slet" })).status).toBe(400);
  });

  it("is own-site only for a municipality", async () => {
    expect((await post("baseline-corrections", { participant_id: aarhus, baseline: { hours_ordinary_work: 1 }, reason: "forsøg" })).status).toBe(404);
    expect((await post("baseline-corrections", { participant_id: kbh[2].participant_id, baseline: { hours_ordinary_work: 1 }, reason: "forsker" }, h.tokens.researcher)).status).toBe(403);
  });
});

describe("POST /v1/trials/{trial}/error-flags", () => {
  it("records a flag once; never deleted; the participant stays", async () => {
    const res = await post("error-flags", { participant_id: kbh[3].participant_id, reason: "var ikke i målgruppen" });
    expect(res.status).toBe(201);
    expect((await post("error-flags", { participant_id: kbh[3].participant_id, reason: "igen igen" })).status).toBe(409);
    expect(await h.store.listErrorFlags(TRIAL, ALL_SITES)).toEqual([expect.objectContaining({ publicId: kbh[3].participant_id, reason: "var ikke i målgruppen" })]);
    expect((await h.store.listEnrollments(TRIAL, ALL_SITES)).some((e) => e.publicId === kbh[3].participant_id)).toBe(true);
    expect((await post("error-flags", { participant_id: aarhus, reason: "andet sted" })).status).toBe(404);
    expect((await post("error-flags", { participant_id: aarhus, reason: "styrelsen" }, h.tokens.agency)).status).toBe(201);
    expect((await post("error-flags", { participant_id: kbh[4].participant_id, reason: "x" })).status).toBe(400);
  });
});

describe("POST /v1/trials/{trial}/outcomes", () => {
  it("records a batch of values checked against the outcome types, with audit entries", async () => {
    const res = await post("outcomes", {
      values: [
        { participant_id: kbh[1].participant_id, outcome: "work_or_education_78w", value: true, observed_at: "2027-12-01" },
        { participant_id: kbh[2].participant_id, outcome: "work_or_education_78w", value: 0, observed_at: "2027-12-01T09:30:00Z", time_point: "week-78" },
      ],
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ recorded: 2, at: "2026-06-01T10:00:00.000Z" });
    const stored = await h.store.listOutcomes(TRIAL, ALL_SITES);
    expect(stored.map((o) => [o.publicId, o.value, o.timePoint, o.source])).toEqual([
      [kbh[1].participant_id, 1, "week-78", "site"],
      [kbh[2].participant_id, 0, "week-78", "site"],
    ]);
    expect((await h.store.readAudit(TRIAL)).filter((e) => e.action === "outcome.record")).toHaveLength(2);
  });

  it("refuses the whole batch (422) naming each bad row: type, register outcome, unknown or other site's participant, after withdrawal, before enrollment", async () => {
    const before = (await h.store.listOutcomes(TRIAL, ALL_SITES)).length;
    const res = await post("outcomes", {
      values: [
        { participant_id: kbh[1].participant_id, outcome: "work_or_education_78w", value: 1, observed_at: "2027-12-02" },
        { participant_id: kbh[1].participant_id, outcome: "work_or_education_78w", value: 2, observed_at: "2027-12-02" },
        { participant_id: kbh[1].participant_id, outcome: "self_supporting_78w", value: 1, observed_at: "2027-12-02" },
        { participant_id: aarhus, outcome: "work_or_education_78w", value: 1, observed_at: "2027-12-02" },
        { participant_id: kbh[0].participant_id, outcome: "work_or_education_78w", value: 1, observed_at: "2026-06-21" },
        { participant_id: kbh[1].participant_id, outcome: "work_or_education_78w", value: 1, observed_at: "2026-05-01" },
        { participant_id: kbh[1].participant_id, outcome: "no_such_outcome", value: 1, observed_at: "2027-12-02" },
      ],
    });
    expect(res.status).toBe(422);
    const issues = (await res.json()).error.issues as { path: string; code: string; message: string }[];
    expect(issues.map((i) => [i.path, i.code])).toEqual([
      ["values.1.value", "invalid_value"],
      ["values.2.value", "invalid_value"],
      ["values.3.participant_id", "unknown_participant"],
      ["values.4.observed_at", "after_withdrawal"],
      ["values.5.observed_at", "before_enrollment"],
      ["values.6.value", "invalid_value"],
    ]);
    expect(issues[3].message).toContain("2026-06-20");
    expect(issues[1].message).toContain("register");
    expect((await h.store.listOutcomes(TRIAL, ALL_SITES)).length).toBe(before);
  });

  it("checks a batch of many distinct participants the same way (read as one list)", async () => {
    const unknown = Array.from({ length: 65 }, (_, k) => `p-0000-0000-0000-${String(k).padStart(4, "0")}`);
    const values = [
      { participant_id: kbh[1].participant_id, outcome: "work_or_education_78w", value: 1, observed_at: "2027-12-03" },
      ...unknown.map((id) => ({ participant_id: id, outcome: "work_or_education_78w", value: 1, observed_at: "2027-12-03" })),
      { participant_id: aarhus, outcome: "work_or_education_78w", value: 1, observed_at: "2027-12-03" },
      { participant_id: kbh[0].participant_id, outcome: "work_or_education_78w", value: 1, observed_at: "2026-06-21" },
    ];
    const res = await post("outcomes", { values });
    expect(res.status).toBe(422);
    const issues = (await res.json()).error.issues as { path: string; code: string }[];
    expect(issues).toHaveLength(67);
    expect(issues[0]).toEqual(expect.objectContaining({ path: "values.1.participant_id", code: "unknown_participant" }));
    expect(issues[65]).toEqual(expect.objectContaining({ path: "values.66.participant_id", code: "unknown_participant" }));
    expect(issues[66]).toEqual(expect.objectContaining({ path: "values.67.observed_at", code: "after_withdrawal" }));
  });

  it("accepts a value observed on the withdrawal's effective day", async () => {
    const res = await post("outcomes", { values: [{ participant_id: kbh[0].participant_id, outcome: "work_or_education_78w", value: 0, observed_at: "2026-06-20" }] });
    expect(res.status).toBe(201);
  });

  it("refuses bad shapes (400), other roles (403) and unknown trials (404)", async () => {
    expect((await post("outcomes", { values: [] })).status).toBe(400);
    expect((await post("outcomes", { values: [{ participant_id: kbh[1].participant_id, outcome: "work_or_education_78w", value: 1, observed_at: "1.12.2027" }] })).status).toBe(400);
    expect((await post("outcomes", { values: [{ participant_id: kbh[1].participant_id, outcome: "work_or_education_78w", value: 1, observed_at: "2027-12-01", extra: 1 }] })).status).toBe(400);
    expect((await post("outcomes", { values: [{ participant_id: kbh[1].participant_id, outcome: "work_or_education_78w", value: 1, observed_at: "2027-12-01" }] }, h.tokens.researcher)).status).toBe(403);
    expect((await h.request("/v1/trials/nope/outcomes", { method: "POST", token: h.tokens.kbh, json: { values: [{ participant_id: "p", outcome: "x", value: 1, observed_at: "2027-12-01" }] } })).status).toBe(404);
  });
});
