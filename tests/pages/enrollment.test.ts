import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { siteScope } from "../../api/store/store.ts";
import { cprFor, CPR_SHAPED, harness, ipsEnrollment, type Harness } from "../api/harness.ts";
import { ipsForm, openIpsTrial, pageClient, signedIn, type PageClient } from "./client.ts";

let h: Harness;
let trial: string;
beforeEach(async () => {
  h = await harness();
  trial = await openIpsTrial(h);
});
afterEach(async () => {
  await h.close();
});

/** Follows a 303 from a POST. */
async function follow(client: PageClient, res: { status: number; location: string | null }) {
  expect(res.status).toBe(303);
  return client.get(res.location!);
}

/** Every `aria-describedby` in a page names elements that exist on it. */
function describedByResolves(html: string) {
  const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
  for (const m of html.matchAll(/aria-describedby="([^"]+)"/g)) for (const id of m[1].split(" ")) expect(ids, `aria-describedby ${id}`).toContain(id);
}

/** Every input, select and textarea that a person fills in has a label or sits in a fieldset with a legend. */
function everyInputLabelled(html: string) {
  const labelled = new Set([...html.matchAll(/<label for="([^"]+)"/g)].map((m) => m[1]));
  for (const m of html.matchAll(/<(input|select|textarea)\b([^>]*)>/g)) {
    const attrs = m[2];
    if (/type="(hidden|radio|checkbox)"/.test(attrs)) continue; // radios/checkboxes sit inside their <label>
    const id = /\sid="([^"]+)"/.exec(attrs)?.[1];
    expect(id, `${m[0]} has an id`).toBeDefined();
    expect(labelled, `${m[0]} has a label`).toContain(id);
  }
}

describe("the enrollment form", () => {
  it("is generated from the protocol's covariates with the right input per type, labels Danish first", async () => {
    const kbh = await signedIn(h, h.tokens.kbh);
    const page = await kbh.get(`/app/trials/${trial}/enroll`);
    expect(page.status).toBe(200);
    const html = page.body;
    // number with min/max, integer with step 1
    expect(html).toMatch(/<input type="number" id="f-c_hours_ordinary_work" name="c_hours_ordinary_work" value="" step="any" min="0" max="80"/);
    expect(html).toMatch(/<input type="number" id="f-c_weeks_on_benefit_prior_52" name="c_weeks_on_benefit_prior_52" value="" step="1" min="0" max="53"/);
    // boolean as yes/no radios in a fieldset with a legend
    expect(html).toMatch(/<legend>Ønsker ordinært arbejde eller uddannelse<span lang="en" class="en">Wants ordinary work or education<\/span>/);
    expect(html).toMatch(/<input type="radio" id="f-c_wants_ordinary_work" name="c_wants_ordinary_work" value="true" required=""\/>/);
    // category with its levels and their labels
    expect(html).toMatch(/<select id="f-c_diagnosis" name="c_diagnosis" required="">/);
    expect(html).toContain('<option value="bipolar">Bipolar lidelse (F31) (Bipolar disorder (F31))</option>');
    expect(html).toContain('<option value="18-29">18-29</option>');
    // target groups of the protocol only, CPR, consent
    expect(html).toContain('<option value="sygedagpenge">');
    expect(html).not.toContain('<option value="dagpenge">');
    expect(html).toMatch(/<input type="text" id="f-cpr" name="cpr" value="" autocomplete="off"/);
    expect(html).toMatch(/<input type="checkbox" id="f-consent" name="consent" value="yes"/);
    expect(html).toContain('class="required"');
    expect(html).toMatch(/<input type="hidden" name="_csrf" value="[0-9a-f]{64}"\/>/);
    everyInputLabelled(html);
  });

  it("is for municipalities: the agency gets 403, the public 401", async () => {
    const agency = await signedIn(h, h.tokens.agency);
    expect((await agency.get(`/app/trials/${trial}/enroll`)).status).toBe(403);
    expect((await pageClient(h).get(`/app/trials/${trial}/enroll`)).status).toBe(401);
    expect((await pageClient(h).post(`/app/trials/${trial}/enroll`, ipsForm(cprFor(1)), { csrf: null })).status).toBe(401);
  });
});

describe("enrolling through the form", () => {
  it("allocates, redirects to a receipt with the arm and what it means, and never shows the CPR afterwards", async () => {
    const kbh = await signedIn(h, h.tokens.kbh);
    const cpr = cprFor(7);
    const posted = await kbh.post(`/app/trials/${trial}/enroll`, ipsForm(cpr));
    expect(posted.status).toBe(303);
    expect(posted.location).toMatch(new RegExp(`^/app/trials/${trial}/participants/p-[0-9a-z-]{19}\\?result=new$`));
    expect(posted.location).not.toMatch(CPR_SHAPED);
    const receipt = await kbh.get(posted.location!);
    expect(receipt.status).toBe(200);
    expect(receipt.headers.get("cache-control")).toBe("no-store");
    const stored = await h.store.listEnrollments(trial, siteScope("101"));
    expect(stored).toHaveLength(1);
    const arm = stored[0].arm;
    expect(receipt.body).toContain(`data-arm="${arm}"`);
    expect(receipt.body).toContain(stored[0].publicId);
    expect(receipt.body).toContain("Borgeren er indskrevet");
    expect(receipt.body).toContain("Hvad det betyder");
    const label = { ips: "IPS", ips_e: "IPS-E (IPS med kognitiv træning)", usual: "Sædvanlig indsats" }[arm]!;
    expect(receipt.body).toContain(label);
    // The site's list and the home page afterwards.
    await kbh.get(`/app/trials/${trial}/participants`);
    await kbh.get("/app");
    for (const body of kbh.bodies) expect(body).not.toMatch(CPR_SHAPED);
    for (const body of kbh.bodies) expect(body).not.toContain(cpr.replace("-", ""));
  });

  it("shows the same arm, marked as a repeat, when the same citizen is enrolled again", async () => {
    const kbh = await signedIn(h, h.tokens.kbh);
    const first = await follow(kbh, await kbh.post(`/app/trials/${trial}/enroll`, ipsForm(cprFor(3))));
    // Another citizen in between, then the first again (without the hyphen this time).
    await kbh.post(`/app/trials/${trial}/enroll`, ipsForm(cprFor(4)));
    const again = await kbh.post(`/app/trials/${trial}/enroll`, ipsForm(cprFor(3).replace("-", ""), { c_age_band: "45-64" }));
    expect(again.location).toMatch(/result=repeat$/);
    const repeat = await kbh.get(again.location!);
    const armOf = (html: string) => /data-arm="([^"]+)"/.exec(html)![1];
    expect(armOf(repeat.body)).toBe(armOf(first.body));
    expect(repeat.body).toContain("Allerede indskrevet (gentagelse)");
    expect(await h.store.countEnrollments(trial, siteScope("101"))).toBe(2);
  });

  it("lists each failed rule for an ineligible citizen and enrolls nobody", async () => {
    const kbh = await signedIn(h, h.tokens.kbh);
    const res = await kbh.post(`/app/trials/${trial}/enroll`, ipsForm(cprFor(9), { c_diagnosis: "other", c_hours_ordinary_work: "12" }));
    expect(res.status).toBe(422);
    expect(res.body).toContain("Borgeren opfylder ikke forsøgets kriterier");
    expect(res.body).toContain('data-rule="smi_diagnosis"');
    expect(res.body).toContain('data-rule="in_ordinary_work"');
    expect(res.body).toContain("Diagnose i skizofrenispektret eller bipolar lidelse");
    expect(res.body).toContain("Er allerede i ordinært arbejde");
    expect(await h.store.countEnrollments(trial, siteScope("101"))).toBe(0);
    // The age rule too: someone born in 2010 is 15 or 16 on 2026-06-01.
    const young = await kbh.post(`/app/trials/${trial}/enroll`, ipsForm("010110-4000"));
    expect(young.status).toBe(422);
    expect(young.body).toContain('data-rule="age"');
    // Nothing after the POSTs shows the numbers.
    expect((await kbh.get("/app")).body).not.toMatch(CPR_SHAPED);
  });

  it("puts every problem beside its field, in Danish and English, linked with aria-describedby", async () => {
    const kbh = await signedIn(h, h.tokens.kbh);
    const form = ipsForm("311399-1234", { c_diagnosis: "", c_hours_ordinary_work: "abc", c_weeks_on_benefit_prior_52: "2.5", consent: "" });
    delete (form as Record<string, string>).consent;
    delete (form as Record<string, string>).c_female;
    const res = await kbh.post(`/app/trials/${trial}/enroll`, form);
    expect(res.status).toBe(400);
    const html = res.body;
    expect(html).toMatch(/id="f-cpr"[^>]*aria-describedby="f-cpr-hint f-cpr-error" aria-invalid="true"/);
    expect(html).toMatch(/<span class="error" id="f-cpr-error">CPR-nummerets fødselsdato findes ikke i kalenderen<span lang="en" class="en">the CPR number&#39;s date of birth is not a real calendar date<\/span>/);
    expect(html).toMatch(/id="f-c_diagnosis-error">mangler \(påkrævet\)<span lang="en" class="en">missing \(required\)/);
    expect(html).toMatch(/id="f-c_hours_ordinary_work-error">forventede et tal/);
    expect(html).toMatch(/id="f-c_weeks_on_benefit_prior_52-error">forventede et heltal, fik 2.5/);
    expect(html).toMatch(/id="f-consent-error">borgeren skal give samtykke/);
    expect(html).toContain("Formularen har 6 fejl");
    // The summary links to each field, in the form's order; every link has its target.
    const links = [...html.matchAll(/<li><a href="#(f-[^"]+)">/g)].map((m) => m[1]);
    expect(links).toEqual(["f-cpr", "f-c_diagnosis", "f-c_hours_ordinary_work", "f-c_female", "f-c_weeks_on_benefit_prior_52", "f-consent"]);
    // A yes/no question is a radio group whose error is linked to the group.
    expect(html).toMatch(/<fieldset class="choice" role="radiogroup" aria-describedby="f-c_female-error" aria-invalid="true"><legend>Kvinde/);
    for (const id of links) expect(html).toContain(`id="${id}"`);
    // What the caseworker typed comes back (in this answer only), so nothing need be typed twice.
    expect(html).toContain('value="abc"');
    expect(html).toMatch(/<option value="30-44" selected="">/);
    describedByResolves(html);
    everyInputLabelled(html);
    expect(await h.store.countEnrollments(trial, siteScope("101"))).toBe(0);
  });

  it("accepts a Danish decimal comma", async () => {
    const kbh = await signedIn(h, h.tokens.kbh);
    const res = await kbh.post(`/app/trials/${trial}/enroll`, ipsForm(cprFor(11), { c_hours_ordinary_work: "0,0" }));
    expect(res.status).toBe(303);
  });

  it("refuses a form without the CSRF token with 403 and enrolls nobody", async () => {
    const kbh = await signedIn(h, h.tokens.kbh);
    const res = await kbh.post(`/app/trials/${trial}/enroll`, ipsForm(cprFor(12)), { csrf: null });
    expect(res.status).toBe(403);
    expect(res.body).not.toMatch(CPR_SHAPED);
    expect(await h.store.countEnrollments(trial, siteScope("101"))).toBe(0);
  });

  it("says so when the trial is closed", async () => {
    const kbh = await signedIn(h, h.tokens.kbh);
    await h.request(`/v1/trials/${trial}/close`, { method: "POST", token: h.tokens.agency });
    const page = await kbh.get(`/app/trials/${trial}/enroll`);
    expect(page.body).toContain("Forsøget er ikke åbent for indskrivning");
    expect(page.body).not.toContain('name="cpr"');
    const res = await kbh.post(`/app/trials/${trial}/enroll`, ipsForm(cprFor(13)));
    expect(res.status).toBe(409);
    expect(await h.store.countEnrollments(trial, siteScope("101"))).toBe(0);
  });
});

describe("a municipality's pages show its own site only", () => {
  it("enrolls at the caseworker's own site whatever the form says", async () => {
    const aarhus = await signedIn(h, h.tokens.aarhus);
    const res = await aarhus.post(`/app/trials/${trial}/enroll`, { ...ipsForm(cprFor(20)), site: "101" });
    expect(res.status).toBe(303);
    expect(await h.store.countEnrollments(trial, siteScope("101"))).toBe(0);
    expect(await h.store.countEnrollments(trial, siteScope("751"))).toBe(1);
  });

  it("cannot open, list, withdraw or record outcomes for another site's participant", async () => {
    const kbh = await signedIn(h, h.tokens.kbh);
    const aarhus = await signedIn(h, h.tokens.aarhus);
    const receipt = await kbh.post(`/app/trials/${trial}/enroll`, ipsForm(cprFor(21)));
    const path = receipt.location!.replace(/\?.*$/, "");
    const id = path.split("/").pop()!;
    expect((await kbh.get(path)).status).toBe(200);
    const other = await aarhus.get(path);
    expect(other.status).toBe(404);
    expect(other.body).not.toContain("data-arm");
    const list = await aarhus.get(`/app/trials/${trial}/participants`);
    expect(list.status).toBe(200);
    expect(list.body).not.toContain(id);
    expect((await aarhus.post(`${path}/withdrawal`, { effective: "2026-06-02", reason: "moved away" })).status).toBe(404);
    expect((await aarhus.post(`${path}/outcomes`, { outcome: "work_or_education_78w", value: "1", observed_at: "2026-06-02" })).status).toBe(404);
    expect(await h.store.listWithdrawals(trial, siteScope("101"))).toHaveLength(0);
    expect(await h.store.listOutcomes(trial, siteScope("101"))).toHaveLength(0);
  });
});

describe("the participant list", () => {
  it("pages through the site's participants", async () => {
    const kbh = await signedIn(h, h.tokens.kbh);
    for (let i = 0; i < 30; i++) {
      const res = await h.request(`/v1/trials/${trial}/enrollments`, { method: "POST", token: h.tokens.kbh, json: ipsEnrollment(cprFor(100 + i), "101") });
      expect(res.status).toBe(201);
    }
    expect(await h.store.countEnrollments(trial, siteScope("101"))).toBe(30);
    const first = await kbh.get(`/app/trials/${trial}/participants`);
    expect(first.body).toContain("30 deltagere i alt");
    expect([...first.body.matchAll(/<tr><td class="num">/g)]).toHaveLength(25);
    const next = /href="([^"]+\?after=\d+)" rel="next"/.exec(first.body)![1];
    const second = await kbh.get(next.replace(/&amp;/g, "&"));
    expect([...second.body.matchAll(/<tr><td class="num">/g)]).toHaveLength(5);
    expect(second.body).not.toContain('rel="next"');
    for (const body of kbh.bodies) expect(body).not.toMatch(CPR_SHAPED);
  });
});

