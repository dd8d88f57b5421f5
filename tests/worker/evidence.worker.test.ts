/**
 * Evidence packages on the Worker as deployed (api/worker.ts inside workerd): the analysis runs in
 * the trial's Durable Object and stores its signed package in the R2 bucket; the Worker itself
 * lists, publishes and serves it. The package as served verifies (signature with the key of
 * /v1/keys, allocations re-derived from the revealed seed, every number re-run).
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { seedCommitment } from "../../analysis/design/index.ts";
import { verifyPackage } from "../../api/evidence/verify.ts";
import worker, { setWorkerParts } from "../../api/worker.ts";
import { buildWorkerApp } from "../../api/worker/compose.ts";
import { expectStatus as ok, runIpsTrial, type IpsTrial } from "./ips-trial.ts";
import { cprFor, seededBytes } from "./parity-sequence.ts";
import { WORKER_TEST_BINDINGS, WORKER_TEST_NOW } from "./test-bindings.ts";
import { makeToken, request } from "./worker-harness.ts";

const TRIAL_ID = "ips-evidence";
const TRIAL = `/v1/trials/${TRIAL_ID}`;
const PER_SITE = 30;
const tokens: Record<string, string> = {};
let draft: { id: string; trial: string; status: string; predecessor: string | null; files: { path: string }[] };
let trial: IpsTrial;

beforeAll(async () => {
  setWorkerParts({ clock: () => WORKER_TEST_NOW, random: seededBytes(13) });
  tokens.agency = await makeToken({ role: "agency", name: "STAR" });
  tokens.researcher = await makeToken({ role: "researcher", name: "Forsker" });
  tokens.kbh = await makeToken({ role: "municipality", site: "101", name: "Jobcenter København" });
  tokens.aarhus = await makeToken({ role: "municipality", site: "751", name: "Jobcenter Aarhus" });
  trial = await runIpsTrial(TRIAL_ID, { agency: tokens.agency, kbh: tokens.kbh, aarhus: tokens.aarhus }, { perSite: PER_SITE, firstPerson: 7000, seed: 13 });
  await ok(request(`${TRIAL}/close`, { token: tokens.agency, json: {} }), 200);
});

describe("evidence packages on the Worker", () => {
  it("a researcher's analysis in the trial's object gives a signed draft that only insiders see", async () => {
    for (const token of [undefined, tokens.agency, tokens.kbh]) expect((await request(`${TRIAL}/analyses`, { token, json: { draws: 200 } })).status).toBeGreaterThanOrEqual(401);
    const res = await ok(request(`${TRIAL}/analyses`, { token: tokens.researcher, json: { draws: 200 } }), 201);
    draft = (await res.json()) as typeof draft;
    expect(draft).toMatchObject({ trial: TRIAL_ID, status: "draft", predecessor: null });
    expect(draft.id).toMatch(/^ev-[0-9a-f]{32}$/);
    // Listed by the Worker (another isolate than the object that drafted it): the repository is shared.
    const listed = (await (await request(`/v1/evidence?trial=${TRIAL_ID}`, { token: tokens.researcher })).json()) as { packages: { id: string }[] };
    expect(listed.packages.map((p) => p.id)).toEqual([draft.id]);
    const publicList = (await (await request(`/v1/evidence?trial=${TRIAL_ID}`)).json()) as { packages: unknown[] };
    expect(publicList.packages).toEqual([]);
    expect((await request(`/v1/evidence/${draft.id}/report.html`)).status).toBe(404);
  });

  it("the agency publishes once; then everyone reads the aggregate files, only insiders the person-level ones", async () => {
    expect((await request(`/v1/evidence/${draft.id}/publish`, { method: "POST", token: tokens.researcher })).status).toBe(403);
    const published = (await (await ok(request(`/v1/evidence/${draft.id}/publish`, { method: "POST", token: tokens.agency }), 200)).json()) as { status: string; published_at: string };
    expect(published).toMatchObject({ status: "published", published_at: WORKER_TEST_NOW.toISOString() });
    expect((await request(`/v1/evidence/${draft.id}/publish`, { method: "POST", token: tokens.agency })).status).toBe(409);

    const evidence = (await (await ok(request(`/v1/evidence/${draft.id}/evidence.json`), 200)).json()) as { consort: { randomized: number } };
    expect(evidence.consort.randomized).toBe(2 * PER_SITE);
    const report = await ok(request(`/v1/evidence/${draft.id}/report.html`), 200);
    expect(report.headers.get("content-type")).toMatch(/^text\/html/);
    expect(report.headers.get("cache-control")).toContain("immutable");
    expect(await report.text()).toContain('data-table="effects"');
    const manifest = (await (await ok(request(`/v1/evidence/${draft.id}/manifest.json`), 200)).json()) as { files: { path: string }[] };
    expect(manifest.files.map((f) => f.path)).toEqual(draft.files.map((f) => f.path));
    expect((await request(`/v1/evidence/${draft.id}/tables/effects.csv`)).status).toBe(200);
    for (const file of ["data.csv", "allocations.csv"]) {
      expect((await request(`/v1/evidence/${draft.id}/${file}`)).status, file).toBe(401);
      expect((await request(`/v1/evidence/${draft.id}/${file}`, { token: tokens.kbh })).status, file).toBe(403);
      expect((await request(`/v1/evidence/${draft.id}/${file}`, { token: tokens.researcher })).status, file).toBe(200);
    }
    const audit = (await (await request(`${TRIAL}/audit`, { token: tokens.researcher })).json()) as { entries: { action: string }[] };
    expect(audit.entries.map((e) => e.action)).toEqual(expect.arrayContaining(["evidence.analysis", "evidence.publish"]));
  });

  it("the package as served verifies with the key of /v1/keys, which is the secret's public half", async () => {
    const keys = (await (await request("/v1/keys")).json()) as { keys: { public_key: string }[] };
    expect(keys.keys.map((k) => k.public_key)).toEqual([JSON.parse(WORKER_TEST_BINDINGS.VIRKER_SIGNING_KEY).x]);
    const files = new Map<string, Uint8Array>();
    for (const path of [...draft.files.map((f) => f.path), "manifest.json", "signature.json"]) {
      const res = await ok(request(`/v1/evidence/${draft.id}/${path}`, { token: tokens.researcher }), 200);
      files.set(path, new Uint8Array(await res.arrayBuffer()));
    }
    const seed = JSON.parse(new TextDecoder().decode(files.get("seed.json"))) as { seed: string; commitment: string };
    expect(await seedCommitment(seed.seed)).toBe(seed.commitment);
    const result = await verifyPackage(files, { trustedPublicKey: keys.keys[0].public_key });
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    // The check can fail: one changed byte in the data, or another trusted key, is caught.
    const data = files.get("data.csv")!.slice();
    data[data.length - 2] = data[data.length - 2] === 0x31 ? 0x30 : 0x31;
    expect((await verifyPackage(new Map([...files, ["data.csv", data]]), { trustedPublicKey: keys.keys[0].public_key })).ok).toBe(false);
    expect((await verifyPackage(files, { trustedPublicKey: "A".repeat(43) })).ok).toBe(false);
    // No CPR number of the trial's people anywhere in the package.
    const text = [...files.values()].map((b) => new TextDecoder().decode(b)).join("\n");
    expect(trial.people).toHaveLength(2 * PER_SITE);
    for (const n of trial.people) expect(text.includes(cprFor(n)) || text.includes(cprFor(n).replace("-", ""))).toBe(false);
  });
});

describe("configuration", () => {
  it("without VIRKER_SIGNING_KEY analyses answer 501 and published packages are still read", async () => {
    const app = await buildWorkerApp({ ...env, VIRKER_SIGNING_KEY: undefined });
    const headers = { authorization: `Bearer ${tokens.researcher}`, "content-type": "application/json" };
    const res = await app.app.request(`${TRIAL}/analyses`, { method: "POST", headers, body: "{}" });
    expect(res.status).toBe(501);
    expect(await res.json()).toMatchObject({ error: { code: "not_implemented" } });
    const listed = (await (await app.app.request(`/v1/evidence?trial=${TRIAL_ID}`)).json()) as { packages: { id: string }[] };
    expect(listed.packages.map((p) => p.id)).toEqual([draft.id]);
    expect((await (await app.app.request("/v1/keys")).json()) as unknown).toEqual({ keys: [] });
  });

  it("another deployment on the same bucket (VIRKER_NAMESPACE) sees none of these packages", async () => {
    const other = await worker.fetch(new Request(`http://virker.test/v1/evidence/${draft.id}`), { ...env, VIRKER_NAMESPACE: "other-deployment" });
    expect(other.status).toBe(404);
    const listed = (await (await worker.fetch(new Request("http://virker.test/v1/evidence"), { ...env, VIRKER_NAMESPACE: "other-deployment" })).json()) as { packages: unknown[] };
    expect(listed.packages).toEqual([]);
    expect((await request(`/v1/evidence/${draft.id}`)).status).toBe(200);
  });

  it("a malformed key, or a key without the R2 bucket, answers 503 misconfigured", async () => {
    for (const broken of [
      { ...env, VIRKER_SIGNING_KEY: "{not json" },
      { ...env, VIRKER_SIGNING_KEY: JSON.stringify({ kty: "OKP", crv: "Ed25519", x: "ZTeuxXHICqHEkb5PzHwenuQi0-wGjG3jVcDo0FTSG4o" }) },
      { ...env, VIRKER_EVIDENCE: undefined },
    ]) {
      const res = await worker.fetch(new Request("http://virker.test/v1/evidence"), broken);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("misconfigured");
      expect(body.error.message).toMatch(/VIRKER_SIGNING_KEY|VIRKER_EVIDENCE/);
      expect(body.error.message).not.toContain("bNONYeTPiYft8aay2XI3vdOBApsekA1hUofTrl8h-Qc");
    }
  });
});
