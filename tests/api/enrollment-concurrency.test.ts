/**
 * 10,000 concurrent enrollment requests for 2,000 distinct citizens across 20 sites: exactly 2,000
 * allocations, no doubles, and every repeat hears the first arm.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ProtocolEntry } from "../../api/context.ts";
import { ALL_SITES } from "../../api/store/store.ts";
import { createToken } from "../../api/tokens.ts";
import { fastStream, randomInt } from "../../analysis/design/index.ts";
import { loadProtocol, protocolHash, validateProtocolData } from "../../protocols/index.ts";
import { cprFor, harness, ipsEnrollment, NOW, seededBytes } from "./harness.ts";

function twentySiteProtocol(): ProtocolEntry {
  const loaded = loadProtocol(readFileSync("protocols/ips-severe-mental-illness.yaml", "utf8"));
  if (!loaded.ok) throw new Error("IPS protocol must load");
  const doc = structuredClone(loaded.document) as { id: string; sites: unknown[] };
  doc.id = "ips-twenty-sites";
  doc.sites = Array.from({ length: 20 }, (_, i) => ({ id: `s${String(i + 1).padStart(2, "0")}`, name: `Jobcenter ${i + 1}`, enrollment: { from: "2026-01-01" } }));
  const parsed = validateProtocolData(doc);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return { id: doc.id, hash: protocolHash(doc), protocol: parsed.protocol, source: "" };
}

describe("concurrent enrollment", () => {
  it("allocates each of 2,000 citizens exactly once under 10,000 concurrent requests", async () => {
    const entry = twentySiteProtocol();
    const h = await harness({ protocols: { list: () => [entry], get: (id) => (id === entry.id ? entry : undefined) } });
    try {
      expect((await h.request("/v1/trials", { method: "POST", token: h.tokens.agency, json: { protocol_id: entry.id } })).status).toBe(201);
      expect((await h.request(`/v1/trials/${entry.id}/open`, { method: "POST", token: h.tokens.agency })).status).toBe(200);
      const random = seededBytes(99);
      const siteTokens: string[] = [];
      for (let s = 1; s <= 20; s++) {
        const site = `s${String(s).padStart(2, "0")}`;
        siteTokens.push((await createToken(h.store, { role: "municipality", site, name: site, at: NOW.toISOString(), actor: { tokenId: null, role: "system" }, random })).token);
      }
      // Citizen i belongs to site i % 20; 10,000 requests, five per citizen, in a shuffled order.
      const order = Int32Array.from({ length: 10_000 }, (_, k) => k % 2000);
      const rng = fastStream(12);
      for (let k = order.length - 1; k > 0; k--) {
        const j = randomInt(rng, k + 1);
        [order[k], order[j]] = [order[j], order[k]];
      }
      const responses = await Promise.all(
        Array.from(order, async (i) => {
          const site = `s${String((i % 20) + 1).padStart(2, "0")}`;
          const res = await h.app.app.request(`/v1/trials/${entry.id}/enrollments`, {
            method: "POST",
            headers: { authorization: `Bearer ${siteTokens[i % 20]}`, "content-type": "application/json" },
            body: JSON.stringify(ipsEnrollment(cprFor(i), site)),
          });
          return { i, status: res.status, body: await res.json() };
        }),
      );
      expect(responses.filter((r) => r.status !== 200 && r.status !== 201)).toEqual([]);
      expect(responses.filter((r) => r.status === 201)).toHaveLength(2000);
      const first = new Map<number, { arm: string; id: string }>();
      for (const r of responses.filter((x) => x.status === 201)) first.set(r.i, { arm: r.body.arm, id: r.body.participant_id });
      expect(first.size).toBe(2000);
      for (const r of responses) expect({ arm: r.body.arm, id: r.body.participant_id }).toEqual(first.get(r.i));
      const stored = await h.store.listEnrollments(entry.id, ALL_SITES, { limit: 5000 });
      expect(stored).toHaveLength(2000);
      expect(new Set(stored.map((e) => e.sequence)).size).toBe(2000);
      expect(Math.max(...stored.map((e) => e.sequence))).toBe(2000);
      expect(new Set(stored.map((e) => e.pseudonym)).size).toBe(2000);
    } finally {
      await h.close();
    }
  }, 120_000);
});
