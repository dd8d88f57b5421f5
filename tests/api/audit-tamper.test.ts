/**
 * Tampering at the route level: the trial's audit log lives in a DuckDB file; one row is altered
 * directly in the file (as someone with file access could), and `GET .../audit/verify` then names
 * the first broken entry. Before the change it verifies.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { cprFor, harness, ipsEnrollment } from "./harness.ts";

const TRIAL = "ips-severe-mental-illness";
const T = `/v1/trials/${TRIAL}`;
const dir = mkdtempSync(join(tmpdir(), "virker-tamper-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("audit tampering through the API", () => {
  it("names the first broken entry after one audit row is altered in the database file", async () => {
    const path = join(dir, "tamper.duckdb");
    let h = await harness({ path });
    expect((await h.request("/v1/trials", { method: "POST", token: h.tokens.agency, json: { protocol_id: TRIAL } })).status).toBe(201);
    expect((await h.request(`${T}/open`, { method: "POST", token: h.tokens.agency })).status).toBe(200);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await (await h.request(`${T}/enrollments`, { method: "POST", token: h.tokens.kbh, json: ipsEnrollment(cprFor(600 + i), "101") })).json()).participant_id);
    expect((await h.request(`${T}/withdrawals`, { method: "POST", token: h.tokens.kbh, json: { participant_id: ids[1], effective: "2026-06-02", reason: "ønsker at stoppe" } })).status).toBe(201);
    const ok = await (await h.request(`${T}/audit/verify`, { token: h.tokens.researcher })).json();
    expect(ok).toMatchObject({ ok: true, count: 7 });
    // Entries: 1 register, 2 open, 3–6 enrollments, 7 withdrawal. Rewrite entry 4 to look like a repeat.
    const entries = await (await h.request(`${T}/audit`, { token: h.tokens.agency })).json();
    expect(entries.entries[3]).toMatchObject({ seq: 4, action: "enrollment.create" });
    await h.close();

    const db = await DuckDBInstance.create(path);
    const c = await db.connect();
    await c.run("UPDATE audit SET action = 'enrollment.repeat' WHERE chain = $1 AND seq = 4", [TRIAL]);
    c.closeSync();
    db.closeSync();

    // Reopened with other seeded bytes: the harness's new tokens must not collide with the first ones.
    h = await harness({ path, seed: 2 });
    try {
      const res = await h.request(`${T}/audit/verify`, { token: h.tokens.agency });
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.ok).toBe(false);
      expect(body.first_broken).toMatchObject({ seq: 4, index: 3 });
      expect(body.first_broken.message).toContain("4");
    } finally {
      await h.close();
    }
  });
});
