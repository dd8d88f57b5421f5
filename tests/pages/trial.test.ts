import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cprFor, CPR_SHAPED, harness, ipsEnrollment, type Harness } from "../api/harness.ts";
import { openIpsTrial, pageClient, signedIn } from "./client.ts";

let h: Harness;
let trial: string;
beforeEach(async () => {
  h = await harness();
  trial = await openIpsTrial(h);
});
afterEach(async () => {
  await h.close();
});

async function enroll(n: number, site: "101" | "751") {
  for (let i = 0; i < n; i++) {
    const res = await h.request(`/v1/trials/${trial}/enrollments`, { method: "POST", token: site === "101" ? h.tokens.kbh : h.tokens.aarhus, json: ipsEnrollment(cprFor(500 + i + (site === "751" ? 100 : 0)), site) });
    expect(res.status).toBe(201);
  }
}

describe("the trial page", () => {
  it("shows the seed commitment, the protocol hash, amendments with reasons and enrollment by site and arm", async () => {
    await enroll(6, "101");
    await enroll(3, "751");
    const record = (await h.store.getTrial(trial))!;
    const amended = JSON.parse(record.versions[0].protocolJson);
    amended.sites[0].cap = 350;
    const amend = await h.request(`/v1/trials/${trial}/amendments`, { method: "POST", token: h.tokens.agency, json: { protocol: amended, reason: "København får flere pladser" } });
    expect(amend.status).toBe(201);
    const after = (await h.store.getTrial(trial))!;

    const agency = await signedIn(h, h.tokens.agency);
    const page = await agency.get(`/app/trials/${trial}`);
    expect(page.status).toBe(200);
    const html = page.body;
    expect(html).toContain(`<code id="seed-commitment">${record.seedCommitment}</code>`);
    expect(html).toContain(`<code id="protocol-hash">${after.versions[1].protocolHash}</code>`);
    expect(html).toContain("København får flere pladser");
    expect(html).toContain('<dd id="enrolled">9</dd>');
    // One panel per protocol site, a line per arm where anyone is enrolled.
    expect([...html.matchAll(/<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="280"/g)]).toHaveLength(4);
    expect([...html.matchAll(/<path d="M[^"]+" fill="none"/g)].length).toBeGreaterThanOrEqual(3);
    // The table of site × arm adds up.
    const cells = [...html.matchAll(/<tr><th scope="row">København[\s\S]*?<\/tr>/g)][0][0];
    expect([...cells.matchAll(/<td class="num">(\d+)<\/td>/g)].map((m) => Number(m[1]))).toEqual(expect.arrayContaining([6]));
    // No outcomes before the analysis, and never a seed.
    expect(html).not.toContain(record.seed);
    expect(html).not.toContain("work_or_education_78w");
    expect(html).not.toMatch(CPR_SHAPED);
  });

  it("is for the agency and researchers: a municipality gets 403, the public 401", async () => {
    const researcher = await signedIn(h, h.tokens.researcher);
    expect((await researcher.get(`/app/trials/${trial}`)).status).toBe(200);
    const kbh = await signedIn(h, h.tokens.kbh);
    const refused = await kbh.get(`/app/trials/${trial}`);
    expect(refused.status).toBe(403);
    expect(refused.body).not.toContain("seed-commitment");
    expect((await pageClient(h).get(`/app/trials/${trial}`)).status).toBe(401);
    expect((await researcher.get("/app/trials/no-such-trial")).status).toBe(404);
  });

  it("lists every trial on the agency's start page, and only the site's trials for a municipality", async () => {
    const agency = await signedIn(h, h.tokens.agency);
    await h.request("/v1/trials", { method: "POST", token: h.tokens.agency, json: { protocol_id: "mentor-youth" } });
    const home = await agency.get("/app");
    expect(home.body).toContain(`href="/app/trials/${trial}"`);
    expect(home.body).toContain('href="/app/trials/mentor-youth"');
    const kbh = await signedIn(h, h.tokens.kbh);
    const kbhHome = await kbh.get("/app");
    expect(kbhHome.body).toContain(`href="/app/trials/${trial}/enroll"`);
  });
});
