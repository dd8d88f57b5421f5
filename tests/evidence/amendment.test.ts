/**
 * A trial amended partway through enrollment (a site leaves, the contact changes) still gives a
 * package that `virker verify` accepts: amendments may not change arms, ratios or design (the
 * amendments route refuses), and the enrollment service replays every earlier allocation under
 * the current version after an amendment, so re-deriving the whole allocation list under the
 * current version is what the service itself did. Allocations before the amendment carry version
 * 1 in data.csv, those after it version 2.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { main } from "../../api/cli/main.ts";
import { parseCsv } from "../../api/evidence/csv.ts";
import { cprFor, ipsEnrollment } from "../api/harness.ts";
import { evidenceApp } from "./evidence-app.ts";

const root = mkdtempSync(join(tmpdir(), "virker-amended-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

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
  const dir = join(root, pkg.id);
  for (const path of [...pkg.files.map((f) => f.path), "manifest.json", "signature.json"]) {
    const url = path.startsWith("tables/") ? `/v1/evidence/${pkg.id}/tables/${path.slice(7)}` : `/v1/evidence/${pkg.id}/${path}`;
    const f = await e.request(url, { token: e.tokens.researcher });
    expect(f.status, path).toBe(200);
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), new Uint8Array(await f.arrayBuffer()));
  }
  const data = parseCsv(await (await e.request(`/v1/evidence/${pkg.id}/data.csv`, { token: e.tokens.researcher })).text());
  const version = data.header.indexOf("protocol_version");
  const sequence = data.header.indexOf("sequence");
  const byVersion = (v: string) => data.rows.filter((r) => r[version] === v).map((r) => Number(r[sequence]));
  expect(byVersion("1")).toHaveLength(30);
  expect(byVersion("2")).toHaveLength(30);
  expect(Math.max(...byVersion("1"))).toBeLessThan(Math.min(...byVersion("2")));
  let out = "", err = "";
  const code = await main(["verify", dir, "--key", e.signer.publicKey], { out: (t) => void (out += t), err: (t) => void (err += t) });
  expect(err).toBe("");
  expect(out).toContain("60 allocations re-derived from the seed");
  expect(code).toBe(0);
  await e.close();
}, 120_000);
