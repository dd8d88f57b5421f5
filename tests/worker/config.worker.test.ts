/**
 * The Worker's configuration: the pseudonym key is a secret it must have, a deployment keeps the
 * key it started with, and token administration exists only with its own secret.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../api/worker.ts";

const get = (path: string, e: object, init: RequestInit = {}) => worker.fetch(new Request(`http://virker.test${path}`, init), e as typeof env);

describe("Worker configuration", () => {
  it("answers 503 with a bilingual message when VIRKER_PSEUDONYM_KEY is not set", async () => {
    const res = await get("/health", { ...env, VIRKER_PSEUDONYM_KEY: undefined, VIRKER_NAMESPACE: "nokey-" });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("misconfigured");
    expect(body.error.message).toContain("VIRKER_PSEUDONYM_KEY");
  });

  it("refuses a different pseudonym key than the deployment was made with (503), keeps serving with the right one", async () => {
    const first = { ...env, VIRKER_NAMESPACE: "rekey-" };
    expect((await get("/health", first)).status).toBe(200);
    const other = { ...env, VIRKER_NAMESPACE: "rekey-", VIRKER_PSEUDONYM_KEY: "ab".repeat(32) };
    const res = await get("/health", other);
    expect(res.status).toBe(503);
    expect(JSON.stringify(await res.json())).toMatch(/pseudonym key differs/);
    expect((await get("/health", first)).status).toBe(200);
  });

  it("token administration: 404 without its secret, 401 with a wrong admin token", async () => {
    const spec = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ role: "agency", name: "x" }) };
    expect((await get("/v1/admin/tokens", { ...env, VIRKER_ADMIN_TOKEN: undefined }, spec)).status).toBe(404);
    const wrong = { ...spec, headers: { ...spec.headers, authorization: `Bearer ${"w".repeat(40)}` } };
    expect((await get("/v1/admin/tokens", env, wrong)).status).toBe(401);
    const bad = { ...spec, headers: { ...spec.headers, authorization: `Bearer ${env.VIRKER_ADMIN_TOKEN}` }, body: JSON.stringify({ role: "municipality", name: "no site" }) };
    expect((await get("/v1/admin/tokens", env, bad)).status).toBe(400);
  });
});
