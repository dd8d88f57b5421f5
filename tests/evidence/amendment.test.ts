/**
 * Packages of amended trials verify, each allocation re-derived under the protocol version it was
 * made under (protocol-versions.json):
 * - an IPS trial amended partway through enrollment (a site leaves, the contact changes):
 *   allocations under versions 1 and 2, the design unchanged;
 * - a stepped-wedge trial (volunteer mentors, the sites are its units): an amendment adding a site
 *   is refused (it would give the units other steps), one that leaves the sites is accepted and
 *   the package verifies; a forged protocol.json with the sites moved is caught allocation by
 *   allocation.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { createToken } from "../../api/tokens.ts";
import { main } from "../../api/cli/main.ts";
import { parseCsv } from "../../api/evidence/csv.ts";
import { sha256Hex } from "../../api/evidence/signing.ts";
import { cprFor, ipsEnrollment, NOW, seededBytes } from "../api/harness.ts";
import { evidenceApp, type EvidenceApp } from "./evidence-app.ts";

const root = mkdtempSync(join(tmpdir(), "virker-amended-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Downloads every file of a package as served into a folder. */
async function download(e: EvidenceApp, pkg: { id: string; files: { path: string }[] }): Promise<string> {
  const dir = join(root, pkg.id);
  for (const path of [...pkg.files.map((f) => f.path), "manifest.json", "signature.json"]) {
    const url = path.startsWith("tables/") ? `/v1/evidence/${pkg.id}/tables/${path.slice(7)}` : `/v1/evidence/${pkg.id}/${path}`;
    const f = await e.request(url, { token: e.tokens.researcher });
    expect(f.status, path).toBe(200);
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), new Uint8Array(await f.arrayBuffer()));
  }
  return dir;
}

/** Re-hashes the folder's files into its manifest and re-signs it with the server's own key. */
async function resign(e: EvidenceApp, dir: string): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { files: { path: string; sha256: string; bytes: number }[] };
  manifest.files = manifest.files.filter((f) => existsSync(join(dir, f.path)));
  for (const f of manifest.files) {
    const bytes = readFileSync(join(dir, f.path));
    f.sha256 = await sha256Hex(new Uint8Array(bytes));
    f.bytes = bytes.length;
  }
  const bytes = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, "manifest.json"), bytes);
  writeFileSync(join(dir, "signature.json"), JSON.stringify({ algorithm: "Ed25519", key_id: e.signer.keyId, public_key: e.signer.publicKey, signature: await e.signer.sign(bytes) }));
}

async function verify(dir: string, key: string) {
  let out = "", err = "";
  const code = await main(["verify", dir, "--key", key], { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

it("verifies the package of a trial amended partway through enrollment", async () => {
  const e = await evidenceApp();
  const T = "/v1/trials/ips-severe-mental-illness";
  const status = async (r: Promise<Response>) => (await r).status;
  expect(await status(e.request("/v1/trials", { method: "POST", token: e.tokens.agency, json: { protocol_id: "ips-severe-mental-illness" } }))).toBe(201);
  expect(await status(e.request(`${T}/open`, { method: "POST", token: e.tokens.agency, json: {} }))).toBe(200);
  const enroll = async (from: number) => {
    for (let i = 0; i < 15; i++) {
      expect(await status(e.request(`${T}/enrollments`, { method: "POST", token: e.tokens.kbh, json: ipsEnrollment(cprFor(from + i), "101") }))).toBe(201);
      expect(await status(e.request(`${T}/enrollments`, { method: "POST", token: e.tokens.aarhus, json: ipsEnrollment(cprFor(from + 500 + i), "751") }))).toBe(201);
    }
  };
  await enroll(100);
  const { protocol } = await (await e.request("/v1/protocols/ips-severe-mental-illness")).json();
  const amended = { ...protocol, sites: protocol.sites.filter((s: { id: string }) => s.id !== "461"), contact: { ...protocol.contact, name: "Ny kontakt" } };
  expect(await status(e.request(`${T}/amendments`, { method: "POST", token: e.tokens.agency, json: { protocol: amended, reason: "Odense udtræder / Odense leaves" } }))).toBe(201);
  await enroll(200);
  expect(await status(e.request(`${T}/close`, { method: "POST", token: e.tokens.agency, json: {} }))).toBe(200);
  const res = await e.request(`${T}/analyses`, { method: "POST", token: e.tokens.researcher, json: { draws: 50 } });
  expect(res.status).toBe(201);
  const pkg = (await res.json()) as { id: string; files: { path: string }[] };
  const dir = await download(e, pkg);
  const data = parseCsv(await (await e.request(`/v1/evidence/${pkg.id}/data.csv`, { token: e.tokens.researcher })).text());
  const version = data.header.indexOf("protocol_version");
  const sequence = data.header.indexOf("sequence");
  const byVersion = (v: string) => data.rows.filter((r) => r[version] === v).map((r) => Number(r[sequence]));
  expect(byVersion("1")).toHaveLength(30);
  expect(byVersion("2")).toHaveLength(30);
  expect(Math.max(...byVersion("1"))).toBeLessThan(Math.min(...byVersion("2")));
  const r = await verify(dir, e.signer.publicKey);
  expect(r.err).toBe("");
  expect(r.out).toContain("60 allocations re-derived from the seed, each under the protocol version it was made under (version 1: 30, version 2: 30)");
  expect(r.code).toBe(0);
  // A pinned key may begin with "-" (base64url): it is taken as the key, here a wrong one.
  const dashed = await verify(dir, `-${e.signer.publicKey.slice(1)}`);
  expect(dashed.err).not.toMatch(/ambiguous/);
  expect(dashed.err).toMatch(/^mismatch: .*key/m);
  expect(dashed.code).toBe(1);

  // data.csv claiming another version for an allocation than the versions' sequences give.
  const rows = readFileSync(join(dir, "data.csv"), "utf8").split("\n");
  const at = 1 + data.rows.findIndex((row) => row[version] === "1");
  const cells = rows[at].split(",");
  cells[version] = "2";
  rows[at] = cells.join(",");
  writeFileSync(join(dir, "data.csv"), rows.join("\n"));
  await resign(e, dir);
  const changed = await verify(dir, e.signer.publicKey);
  expect(changed.code).toBe(1);
  expect(changed.err).toContain(`mismatch: data.csv row ${at + 1} (${cells[0]}): protocol version 2, protocol-versions.json says the allocation was made under version 1`);
  await e.close();
}, 120_000);

it("re-derives a stepped wedge's allocations after an amendment (a new site is refused; a forged site order is caught)", async () => {
  const e = await evidenceApp();
  const T = "/v1/trials/volunteer-mentors";
  const status = async (r: Promise<Response>) => (await r).status;
  expect(await status(e.request("/v1/trials", { method: "POST", token: e.tokens.agency, json: { protocol_id: "volunteer-mentors" } }))).toBe(201);
  expect(await status(e.request(`${T}/open`, { method: "POST", token: e.tokens.agency, json: {} }))).toBe(200);
  const { protocol } = await (await e.request("/v1/protocols/volunteer-mentors")).json();
  const random = seededBytes(9);
  const system = { tokenId: null, role: "system" as const };
  for (const [k, site] of (protocol.sites as { id: string }[]).map((s) => s.id).entries()) {
    const token = (await createToken(e.store, { role: "municipality", site, name: `Jobcenter ${site}`, at: NOW.toISOString(), actor: system, random })).token;
    for (let i = 0; i < 4; i++) {
      const body = { cpr: cprFor(3000 + 10 * k + i), site, target_group: "kontanthjaelp_aktivitetsparat", consent: true,
        covariates: { gender: i % 2 ? "female" : "male", age_band: "40-54", in_addiction_treatment: false, years_on_benefit: 3, progression_baseline: 40 } };
      const res = await e.request(`${T}/enrollments`, { method: "POST", token, json: body });
      expect(res.status, await res.clone().text()).toBe(201);
    }
  }
  // A municipality joining the rollout would move the sites' steps, so earlier allocations would
  // no longer replay: the amendment is refused. A new contact and a site's full name are not.
  const added = { ...protocol, sites: [...protocol.sites, { ...protocol.sites[0], id: "410", name: "Middelfart" }] };
  expect(await status(e.request(`${T}/amendments`, { method: "POST", token: e.tokens.agency, json: { protocol: added, reason: "Middelfart tilslutter sig / Middelfart joins" } }))).toBe(422);
  const amended = { ...protocol, contact: { ...protocol.contact, name: "Ny kontakt" }, sites: protocol.sites.map((s: { name: string }, i: number) => (i === 0 ? { ...s, name: `${s.name} Kommune` } : s)) };
  expect(await status(e.request(`${T}/amendments`, { method: "POST", token: e.tokens.agency, json: { protocol: amended, reason: "ny kontakt / new contact" } }))).toBe(201);
  expect(await status(e.request(`${T}/close`, { method: "POST", token: e.tokens.agency, json: {} }))).toBe(200);
  const res = await e.request(`${T}/analyses`, { method: "POST", token: e.tokens.researcher, json: { draws: 20 } });
  expect(res.status, await res.clone().text()).toBe(201);
  const pkg = (await res.json()) as { id: string; files: { path: string }[] };
  expect(pkg.files.map((f) => f.path)).toContain("protocol-versions.json");
  const dir = await download(e, pkg);
  const r = await verify(dir, e.signer.publicKey);
  expect(r.err).toBe("");
  expect(r.out).toContain("32 allocations re-derived from the seed, each under the protocol version it was made under (version 1: 32)");
  expect(r.code).toBe(0);

  // A forger who moves the sites in protocol.json (re-signing the manifest with their own key)
  // gives the units other steps: verify names the allocations the seed no longer gives.
  rmSync(join(dir, "protocol-versions.json"));
  const frozen = JSON.parse(readFileSync(join(dir, "protocol.json"), "utf8"));
  frozen.sites = [frozen.sites[1], frozen.sites[0], ...frozen.sites.slice(2)];
  writeFileSync(join(dir, "protocol.json"), `${JSON.stringify(frozen)}\n`);
  await resign(e, dir);
  const forged = await verify(dir, e.signer.publicKey);
  expect(forged.code).toBe(1);
  expect(forged.err).toMatch(/^mismatch: allocations\.csv row \d+ \([^)]+\): arm (volunteer_mentor|usual), the seed and design give (volunteer_mentor|usual)$/m);
  await e.close();
}, 120_000);
