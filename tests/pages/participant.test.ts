import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { siteScope } from "../../api/store/store.ts";
import { cprFor, CPR_SHAPED, harness, type Harness } from "../api/harness.ts";
import { ipsForm, openIpsTrial, signedIn, type PageClient } from "./client.ts";

let h: Harness;
let trial: string;
let kbh: PageClient;
let path: string;
beforeEach(async () => {
  h = await harness();
  trial = await openIpsTrial(h);
  kbh = await signedIn(h, h.tokens.kbh);
  const res = await kbh.post(`/app/trials/${trial}/enroll`, ipsForm(cprFor(5)));
  path = res.location!.replace(/\?.*$/, "");
});
afterEach(async () => {
  await h.close();
});

describe("withdrawal form", () => {
  it("records a withdrawal through the API, audited, and the page then shows it", async () => {
    const res = await kbh.post(`${path}/withdrawal`, { effective: "2026-06-15", reason: "Flyttet til en anden kommune" });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`${path}?done=withdrawal`);
    const page = await kbh.get(res.location!);
    expect(page.body).toContain("Udtrædelsen er registreret");
    expect(page.body).toContain("Udtrådt med virkning fra 2026-06-15");
    const withdrawals = await h.store.listWithdrawals(trial, siteScope("101"));
    expect(withdrawals).toHaveLength(1);
    expect(withdrawals[0]).toMatchObject({ effective: "2026-06-15", reason: "Flyttet til en anden kommune" });
    const audit = await h.store.readAudit(trial);
    expect(audit.map((e) => e.action)).toContain("participant.withdraw");
    expect(audit.map((e) => e.action)).toContain("participant.read");
    expect((await kbh.get(`/app/trials/${trial}/participants`)).body).toContain("Udtrådt");
  });

  it("puts the API's refusals beside the fields: a day before enrollment, a reason too short", async () => {
    const res = await kbh.post(`${path}/withdrawal`, { effective: "2026-05-01", reason: "x" });
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/id="f-reason-error"/);
    expect(res.body).toMatch(/id="f-reason"[^>]*aria-describedby="f-reason-hint f-reason-error" aria-invalid="true"/);
    const early = await kbh.post(`${path}/withdrawal`, { effective: "2026-05-01", reason: "Ønsker ikke at deltage" });
    expect(early.status).toBe(422);
    expect(early.body).toContain("udtrædelsen kan ikke gælde før indskrivningen");
    expect(await h.store.listWithdrawals(trial, siteScope("101"))).toHaveLength(0);
  });

  it("refuses a reason with a CPR number and does not show it back afterwards", async () => {
    const res = await kbh.post(`${path}/withdrawal`, { effective: "2026-06-15", reason: `Se sag ${cprFor(77)}` });
    expect(res.status).toBe(422);
    expect(res.body).toContain("CPR");
    expect(await h.store.listWithdrawals(trial, siteScope("101"))).toHaveLength(0);
    expect((await kbh.get(path)).body).not.toMatch(CPR_SHAPED);
  });

  it("needs the CSRF token", async () => {
    expect((await kbh.post(`${path}/withdrawal`, { effective: "2026-06-15", reason: "Flyttet" }, { csrf: null })).status).toBe(403);
    expect(await h.store.listWithdrawals(trial, siteScope("101"))).toHaveLength(0);
  });
});

describe("outcome form", () => {
  it("offers the outcomes the site records (not the register's) and records one through the API", async () => {
    const page = await kbh.get(path);
    expect(page.body).toContain('name="outcome" value="work_or_education_78w"');
    expect(page.body).not.toContain('value="self_supporting_78w"');
    const res = await kbh.post(`${path}/outcomes`, { outcome: "work_or_education_78w", value: "1", observed_at: "2027-11-29" });
    expect(res.status).toBe(303);
    expect((await kbh.get(res.location!)).body).toContain("Effektmålet er registreret");
    const outcomes = await h.store.listOutcomes(trial, siteScope("101"));
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ outcome: "work_or_education_78w", value: 1, timePoint: "week-78", observedAt: "2027-11-29", source: "site" });
  });

  it("shows the API's refusal beside the field: no value chosen, observed before enrollment", async () => {
    const none = await kbh.post(`${path}/outcomes`, { outcome: "work_or_education_78w", observed_at: "2027-11-29" });
    expect(none.status).toBe(400);
    expect(none.body).toMatch(/id="f-work_or_education_78w-value-error"/);
    const early = await kbh.post(`${path}/outcomes`, { outcome: "work_or_education_78w", value: "0", observed_at: "2026-01-01" });
    expect(early.status).toBe(422);
    expect(early.body).toMatch(/id="f-work_or_education_78w-observed_at-error">række 1: observeret før indskrivningen/);
    expect(early.body).toMatch(/<input type="radio" name="value" value="0" checked=""/);
    expect(await h.store.listOutcomes(trial, siteScope("101"))).toHaveLength(0);
  });

  it("refuses an outcome after the withdrawal day, as the API does", async () => {
    await kbh.post(`${path}/withdrawal`, { effective: "2026-07-01", reason: "Ønsker ikke at deltage" });
    const res = await kbh.post(`${path}/outcomes`, { outcome: "work_or_education_78w", value: "1", observed_at: "2027-11-29" });
    expect(res.status).toBe(422);
    expect(res.body).toContain("observeret efter udtrædelsen 2026-07-01");
  });
});
