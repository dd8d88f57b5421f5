/**
 * Evidence routes through `app.request` on a real DuckDB store: a researcher's analysis gives a
 * signed draft, invisible to the public; the agency publishes it once; the public reads the
 * report, evidence.json and tables but never the person-level files; a re-analysis after closing
 * links its predecessor and reveals the seed; and the package as served passes `virker verify`,
 * allocations re-derived from the store's real allocations; the trial's progression measurements,
 * recorded through the API, give the package its progression section and person-level
 * progression.csv, re-run by verify.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EvidenceSchema } from "../../analysis/evidence/schema.ts";
import { seedCommitment } from "../../analysis/design/index.ts";
import { main } from "../../api/cli/main.ts";
import { ALL_SITES } from "../../api/store/store.ts";
import { cprFor } from "../api/harness.ts";
import { enrollIpsTrial, evidenceApp, recordIpsProgression, type EvidenceApp } from "./evidence-app.ts";

const T = "/v1/trials/ips-severe-mental-illness";
let e: EvidenceApp;
let first: string;
let recorded: Map<string, number>;
const root = mkdtempSync(join(tmpdir(), "virker-evidence-routes-"));

beforeAll(async () => {
  e = await evidenceApp();
  await enrollIpsTrial(e, 36);
  recorded = await recordIpsProgression(e);
}, 60_000);
afterAll(async () => {
  await e.close();
  rmSync(root, { recursive: true, force: true });
});

describe("evidence routes", () => {
  it("lets only a researcher run the analysis, and gives a draft the public cannot see", async () => {
    for (const token of [null, e.tokens.agency, e.tokens.kbh]) expect((await e.request(`${T}/analyses`, { method: "POST", token, json: { draws: 200 } })).status).toBeGreaterThanOrEqual(401);
    const res = await e.request(`${T}/analyses`, { method: "POST", token: e.tokens.researcher, json: { draws: 200 } });
    expect(res.status).toBe(201);
    const draft = await res.json();
    first = draft.id;
    expect(draft).toMatchObject({ trial: "ips-severe-mental-illness", status: "draft", predecessor: null });
    expect((await (await e.request("/v1/evidence")).json()).packages).toEqual([]);
    expect((await e.request(`/v1/evidence/${first}/report.html`)).status).toBe(404);
    expect((await (await e.request("/v1/evidence", { token: e.tokens.researcher })).json()).packages.map((p: { id: string }) => p.id)).toEqual([first]);
    // An open trial's package keeps the seed concealed.
    const seed = await (await e.request(`/v1/evidence/${first}/seed.json`, { token: e.tokens.researcher })).json();
    expect(seed.seed).toBeNull();
    const audit = await (await e.request(`${T}/audit`, { token: e.tokens.researcher })).text();
    expect(audit).toContain("evidence.analysis");
  });

  it("publishes once (agency), then serves the aggregate files to everyone and the person-level ones to insiders", async () => {
    expect((await e.request(`/v1/evidence/${first}/publish`, { method: "POST", token: e.tokens.researcher })).status).toBe(403);
    const res = await e.request(`/v1/evidence/${first}/publish`, { method: "POST", token: e.tokens.agency });
    expect(res.status).toBe(200);
    expect((await res.json()).status).toBe("published");
    expect((await e.request(`/v1/evidence/${first}/publish`, { method: "POST", token: e.tokens.agency })).status).toBe(409);
    const report = await e.request(`/v1/evidence/${first}/report.html`);
    expect(report.status).toBe(200);
    expect(report.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await report.text()).toContain('data-table="effects"');
    const evidence = EvidenceSchema.parse(await (await e.request(`/v1/evidence/${first}/evidence.json`)).json());
    expect(evidence.consort!.randomized).toBe(72);
    expect(evidence.warnings.join("\n")).toContain("outcome self_supporting_78w: no participant has a value yet; not analysed");
    // The progression section from the measurements recorded through the API.
    const progression = evidence.progression!;
    expect(progression.completeness.map((c) => [c.arm, c.week, c.expected, c.measured])).toEqual(
      ["ips", "ips_e", "usual"].flatMap((arm) => [0, 13, 26, 52, 78].map((week) => [arm, week, evidence.consort!.arms.find((a) => a.arm === arm)!.allocated, recorded.get(`${arm}/${week}`) ?? 0])),
    );
    expect(progression.warnings).toEqual([]);
    expect(progression.primary.map((p) => p.arm)).toEqual(["ips", "ips_e"]);
    expect(progression.primary.every((p) => p.estimate > 0.5)).toBe(true);
    expect(progression.statements.find((s) => s.kind === "total")!.text.en).toMatch(/^Participants in IPS moved closer to work or education/);
    expect(await (await e.request(`/v1/evidence/${first}/tables/progression-completeness.csv`)).text()).toMatch(/^arm,week,expected,measured,share\n/);
    const table = await e.request(`/v1/evidence/${first}/tables/effects.csv`);
    expect(table.status).toBe(200);
    expect((await table.text()).split("\n")[0]).toBe("outcome,contrast,estimator,scale,estimate,std_error,ci_lower,ci_upper,p_value,df,n,se_type");
    for (const file of ["data.csv", "allocations.csv", "progression.csv"]) {
      expect((await e.request(`/v1/evidence/${first}/${file}`)).status).toBe(401);
      expect((await e.request(`/v1/evidence/${first}/${file}`, { token: e.tokens.kbh })).status).toBe(403);
      expect((await e.request(`/v1/evidence/${first}/${file}`, { token: e.tokens.researcher })).status).toBe(200);
    }
    expect((await (await e.request("/v1/evidence")).json()).packages.map((p: { id: string }) => p.id)).toEqual([first]);
    const keys = await (await e.request("/v1/keys")).json();
    expect(keys.keys).toEqual([{ kid: e.signer.keyId, alg: "Ed25519", public_key: e.signer.publicKey, jwk: { kty: "OKP", crv: "Ed25519", x: e.signer.publicKey } }]);
  });

  it("re-analyses a closed trial as a new package that links its predecessor, reveals the seed and verifies", async () => {
    expect((await e.request(`${T}/close`, { method: "POST", token: e.tokens.agency, json: {} })).status).toBe(200);
    expect((await e.request(`${T}/analyses`, { method: "POST", token: e.tokens.researcher, json: { draws: 200, assessed: 80, eligible: 90 } })).status).toBe(400);
    const res = await e.request(`${T}/analyses`, { method: "POST", token: e.tokens.researcher, json: { draws: 200, assessed: 95, eligible: 80 } });
    expect(res.status).toBe(201);
    const second = await res.json();
    const consort = (await (await e.request(`/v1/evidence/${second.id}/evidence.json`, { token: e.tokens.researcher })).json()).consort;
    expect([consort.assessed, consort.eligible, consort.randomized]).toEqual([95, 80, 72]);
    expect(second.predecessor).toBe(first);
    expect(second.id).not.toBe(first);
    const seed = await (await e.request(`/v1/evidence/${second.id}/seed.json`, { token: e.tokens.researcher })).json();
    expect(seedCommitment(seed.seed)).toBe(seed.commitment);
    // Download every file as served and verify the folder.
    const dir = join(root, second.id);
    for (const path of [...second.files.map((f: { path: string }) => f.path), "manifest.json", "signature.json"]) {
      const url = path.startsWith("tables/") ? `/v1/evidence/${second.id}/tables/${path.slice(7)}` : `/v1/evidence/${second.id}/${path}`;
      const r = await e.request(url, { token: e.tokens.researcher });
      expect(r.status, path).toBe(200);
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), new Uint8Array(await r.arrayBuffer()));
    }
    // No CPR number and no pseudonym anywhere in the package: participants are known by their public ids.
    const usedCprs = Array.from({ length: 36 }, (_, i) => [cprFor(11 * 1000 + i), cprFor(11 * 1000 + i + 500)]).flat();
    const pseudonyms = (await e.store.listEnrollments("ips-severe-mental-illness", ALL_SITES)).map((x) => x.pseudonym);
    for (const path of [...second.files.map((f: { path: string }) => f.path), "manifest.json", "signature.json"]) {
      const text = readFileSync(join(dir, path), "utf8");
      // CPR-shaped and not the digits of a decimal number (numbers keep full precision for verify).
      expect(text, path).not.toMatch(/(?<![0-9A-Za-z.])\d{6}-?\d{4}(?![0-9A-Za-z.])/);
      for (const cpr of usedCprs) expect(text.includes(cpr) || text.includes(cpr.replace("-", "")), path).toBe(false);
      for (const p of pseudonyms) expect(text.includes(p), path).toBe(false);
    }
    let out = "", err = "";
    const code = await main(["verify", dir, "--key", e.signer.publicKey], { out: (t) => void (out += t), err: (t) => void (err += t) });
    expect(err).toBe("");
    expect(out).toContain("72 allocations re-derived from the seed");
    expect(out).toMatch(/progression re-run from progression\.csv: \d+ measurements/);
    expect(code).toBe(0);
  });
});
