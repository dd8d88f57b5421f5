import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { protocolsFromFolder } from "../../api/protocol-source-node.ts";
import { CPR_SHAPED, cprFor, harness, ipsEnrollment, type Harness } from "./harness.ts";

let h: Harness;
const TRIAL = "/v1/trials/ips-severe-mental-illness";

beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
});

async function registerAndOpen() {
  const reg = await h.request("/v1/trials", { method: "POST", token: h.tokens.agency, json: { protocol_id: "ips-severe-mental-illness" } });
  expect(reg.status).toBe(201);
  const open = await h.request(`${TRIAL}/open`, { method: "POST", token: h.tokens.agency });
  expect(open.status).toBe(200);
  return reg.json();
}

describe("health, docs and protocols", () => {
  it("serves /health, /openapi.json and a self-contained /docs", async () => {
    expect((await h.request("/health")).status).toBe(200);
    const doc = await (await h.request("/openapi.json")).json();
    expect(Object.keys(doc.paths)).toContain("/v1/trials/{trial}/enrollments");
    const docs = await (await h.request("/docs")).text();
    expect(docs).toContain("/openapi.json");
    expect(docs).not.toMatch(/(src|href)="https?:/);
  });
  it("lists the shipped protocols and returns one with its hash; 404 for an unknown one", async () => {
    const list = await (await h.request("/v1/protocols")).json();
    expect(list.protocols.map((p: { id: string }) => p.id)).toContain("ips-severe-mental-illness");
    const one = await h.request("/v1/protocols/mentor-youth");
    expect(one.status).toBe(200);
    expect((await one.json()).hash).toMatch(/^[0-9a-f]{64}$/);
    const missing = await h.request("/v1/protocols/no-such-protocol");
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe("not_found");
  });
});

describe("trials", () => {
  it("registers only for the agency, returns the seed commitment and never the seed", async () => {
    expect((await h.request("/v1/trials", { method: "POST", json: { protocol_id: "ips-severe-mental-illness" } })).status).toBe(401);
    expect((await h.request("/v1/trials", { method: "POST", token: h.tokens.kbh, json: { protocol_id: "ips-severe-mental-illness" } })).status).toBe(403);
    const summary = await registerAndOpen();
    expect(summary.seed_commitment).toMatch(/^[0-9a-f]{64}$/);
    expect(summary.status).toBe("registered");
    expect(JSON.stringify(summary)).not.toContain("seed\"");
    const again = await h.request("/v1/trials", { method: "POST", token: h.tokens.agency, json: { protocol_id: "ips-severe-mental-illness" } });
    expect(again.status).toBe(409);
    const pub = await (await h.request(TRIAL)).json();
    expect(pub.status).toBe("open");
    expect(pub.protocol_hash).toBe(summary.protocol_hash);
  });
  it("refuses a protocol file with a CPR-shaped number, even in a comment (422, nothing stored); a file without its text registers", async () => {
    const ips = protocolsFromFolder().get("ips-severe-mental-illness")!;
    const commented = { ...ips, id: "commented", source: `${ips.source}# EAN 5798000000001\n` };
    const textless = { ...ips, id: "textless", source: "" };
    const other = await harness({ protocols: { list: () => [commented, textless], get: (id) => [commented, textless].find((e) => e.id === id) } });
    try {
      const refused = await other.request("/v1/trials", { method: "POST", token: other.tokens.agency, json: { protocol_id: "commented", trial_id: "commented" } });
      expect(refused.status).toBe(422);
      expect((await refused.json()).error.message).toMatch(/the protocol file commented contains a CPR-shaped number \(comments included\)/);
      expect((await other.request("/v1/trials/commented")).status).toBe(404);
      expect((await other.request("/v1/trials", { method: "POST", token: other.tokens.agency, json: { protocol_id: "textless", trial_id: "textless" } })).status).toBe(201);
      expect((await other.store.getTrial("textless"))!.versions[0].source).toBeNull();
    } finally {
      await other.close();
    }
  });
  it("refuses an amendment that changes the design, accepts one that does not", async () => {
    const { protocol } = await (await h.request("/v1/protocols/ips-severe-mental-illness")).json();
    const changedDesign = { ...protocol, design: { ...protocol.design, block_sizes: [3] } };
    const bad = await h.request(`${TRIAL}/amendments`, { method: "POST", token: h.tokens.agency, json: { protocol: changedDesign, reason: "smaller blocks" } });
    expect(bad.status).toBe(422);
    const newContact = { ...protocol, contact: { ...protocol.contact, name: "Ny kontakt" } };
    const ok = await h.request(`${TRIAL}/amendments`, { method: "POST", token: h.tokens.agency, json: { protocol: newContact, reason: "new contact person" } });
    expect(ok.status).toBe(201);
    const body = await ok.json();
    expect(body.protocol_version).toBe(2);
    expect(body.amendments[0].reason).toBe("new contact person");
  });
});

describe("enrollment", () => {
  it("enrolls at the caller's own site: 201 with the arm; the same citizen again: 200 with the same arm", async () => {
    const first = await h.request(`${TRIAL}/enrollments`, { method: "POST", token: h.tokens.kbh, json: ipsEnrollment(cprFor(1), "101") });
    expect(first.status).toBe(201);
    const a = await first.json();
    expect(["ips", "ips_e", "usual"]).toContain(a.arm);
    expect(a.repeat).toBe(false);
    expect(a.participant_id).toMatch(/^p-/);
    const again = await h.request(`${TRIAL}/enrollments`, { method: "POST", token: h.tokens.kbh, json: ipsEnrollment(cprFor(1).replace("-", ""), "101") });
    expect(again.status).toBe(200);
    const b = await again.json();
    expect(b).toMatchObject({ participant_id: a.participant_id, arm: a.arm, sequence: a.sequence, repeat: true });
  });
  it("refuses another site's enrollment (403) and the public (401)", async () => {
    expect((await h.request(`${TRIAL}/enrollments`, { method: "POST", token: h.tokens.kbh, json: ipsEnrollment(cprFor(2), "751") })).status).toBe(403);
    expect((await h.request(`${TRIAL}/enrollments`, { method: "POST", json: ipsEnrollment(cprFor(2), "101") })).status).toBe(401);
    expect((await h.request(`${TRIAL}/enrollments`, { method: "POST", token: h.tokens.researcher, json: ipsEnrollment(cprFor(2), "101") })).status).toBe(403);
    expect((await h.request(`${TRIAL}/enrollments`, { method: "POST", token: "vkr_" + "x".repeat(43), json: ipsEnrollment(cprFor(2), "101") })).status).toBe(401);
  });
  it("names every failed eligibility rule (422)", async () => {
    const res = await h.request(`${TRIAL}/enrollments`, {
      method: "POST",
      token: h.tokens.kbh,
      json: ipsEnrollment(cprFor(3), "101", { covariates: { ...ipsEnrollment("", "").covariates, diagnosis: "other", hours_ordinary_work: 10 } }),
    });
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["in_ordinary_work", "smi_diagnosis"]);
  });
  it("refuses bad input with 400 and the problems: bad CPR, wrong types, unknown fields, malformed JSON", async () => {
    const badCpr = await h.request(`${TRIAL}/enrollments`, { method: "POST", token: h.tokens.kbh, json: ipsEnrollment("320190-1234", "101") });
    expect(badCpr.status).toBe(400);
    expect((await badCpr.json()).error.issues[0].path).toBe("cpr");
    const wrongType = await h.request(`${TRIAL}/enrollments`, { method: "POST", token: h.tokens.kbh, json: { ...ipsEnrollment(cprFor(4), "101"), consent: "yes" } });
    expect(wrongType.status).toBe(400);
    const unknown = await h.request(`${TRIAL}/enrollments`, { method: "POST", token: h.tokens.kbh, json: { ...ipsEnrollment(cprFor(4), "101"), extra: 1 } });
    expect(unknown.status).toBe(400);
    const malformed = await h.request(`${TRIAL}/enrollments`, { method: "POST", token: h.tokens.kbh, headers: { "content-type": "application/json" }, body: "{not json" });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.code).toBe("bad_request");
  });
  it("refuses bodies over the limit with 413, also when chunked", async () => {
    const big = JSON.stringify({ ...ipsEnrollment(cprFor(5), "101"), pad: "x".repeat(2 * 1024 * 1024) });
    const res = await h.request(`${TRIAL}/enrollments`, { method: "POST", token: h.tokens.kbh, headers: { "content-type": "application/json" }, body: big });
    expect(res.status).toBe(413);
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(new TextEncoder().encode("x".repeat(64 * 1024)));
        controller.close();
      },
    });
    const chunked = await h.request(`${TRIAL}/enrollments`, { method: "POST", token: h.tokens.kbh, headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit);
    expect(chunked.status).toBe(413);
  });
  it("lets a municipality list only its own site, the researcher all", async () => {
    await h.request(`${TRIAL}/enrollments`, { method: "POST", token: h.tokens.aarhus, json: ipsEnrollment(cprFor(6), "751") });
    const kbh = await (await h.request(`${TRIAL}/enrollments`, { token: h.tokens.kbh })).json();
    expect(kbh.participants.length).toBeGreaterThan(0);
    expect(kbh.participants.every((p: { site: string }) => p.site === "101")).toBe(true);
    const all = await (await h.request(`${TRIAL}/enrollments`, { token: h.tokens.researcher })).json();
    expect(new Set(all.participants.map((p: { site: string }) => p.site))).toEqual(new Set(["101", "751"]));
    expect((await h.request(`${TRIAL}/enrollments`)).status).toBe(401);
  });
  it("refuses enrollment when the trial is closed (409)", async () => {
    expect((await h.request(`${TRIAL}/close`, { method: "POST", token: h.tokens.agency })).status).toBe(200);
    const res = await h.request(`${TRIAL}/enrollments`, { method: "POST", token: h.tokens.kbh, json: ipsEnrollment(cprFor(7), "101") });
    expect(res.status).toBe(409);
    // A repeat still gets its original allocation.
    expect((await h.request(`${TRIAL}/enrollments`, { method: "POST", token: h.tokens.kbh, json: ipsEnrollment(cprFor(1), "101") })).status).toBe(200);
  });
});

describe("audit", () => {
  it("keeps a chain that verifies, for the agency and researchers only", async () => {
    expect((await h.request(`${TRIAL}/audit/verify`, { token: h.tokens.kbh })).status).toBe(403);
    const verify = await (await h.request(`${TRIAL}/audit/verify`, { token: h.tokens.researcher })).json();
    expect(verify.ok).toBe(true);
    const log = await (await h.request(`${TRIAL}/audit`, { token: h.tokens.agency })).json();
    const actions = log.entries.map((e: { action: string }) => e.action);
    expect(actions).toContain("enrollment.create");
    expect(actions).toContain("enrollment.repeat");
    expect(actions).toContain("enrollment.list");
    expect(JSON.stringify(log)).not.toMatch(CPR_SHAPED);
  });
});

describe("privacy", () => {
  it("never put a CPR-shaped string in any response these tests produced", () => {
    expect(h.bodies.length).toBeGreaterThan(20);
    for (const body of h.bodies) expect(body).not.toMatch(CPR_SHAPED);
  });
});
