/**
 * Per-token rate limit on enrollment: the token bucket's arithmetic by hand, and 429 with
 * Retry-After through the app (a clock the test moves), per token, enrollment routes only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_RATE_LIMIT, TokenBuckets } from "../../api/rate-limit.ts";
import { CPR_SHAPED, cprFor, harness, ipsEnrollment, NOW, type Harness } from "./harness.ts";

describe("TokenBuckets", () => {
  it("grants a burst, then refills at perSecond, per key", () => {
    const b = new TokenBuckets({ perSecond: 2, burst: 3 });
    expect([b.take("a", 0), b.take("a", 0), b.take("a", 0)]).toEqual([0, 0, 0]);
    // Empty: one token comes back after 1/2 s, so wait ceil(0.5) = 1 s.
    expect(b.take("a", 0)).toBe(1);
    expect(b.take("b", 0)).toBe(0);
    // 250 ms later: 0.5 tokens, still refused.
    expect(b.take("a", 250)).toBe(1);
    // 500 ms after the start: 1 token.
    expect(b.take("a", 500)).toBe(0);
    // 10 s later the bucket is full again (3, not 20).
    expect([b.take("a", 10_500), b.take("a", 10_500), b.take("a", 10_500), b.take("a", 10_500)]).toEqual([0, 0, 0, 1]);
  });

  it("asks for whole seconds: at 0.2 tokens/s an empty bucket waits 5 s", () => {
    const b = new TokenBuckets({ perSecond: 0.2, burst: 1 });
    expect(b.take("a", 0)).toBe(0);
    expect(b.take("a", 0)).toBe(5);
    expect(b.take("a", 4000)).toBe(1);
    expect(b.take("a", 5000)).toBe(0);
  });

  it("has defaults that 500 simultaneous requests of one token (the concurrency test) stay under", () => {
    expect(DEFAULT_RATE_LIMIT.burst).toBeGreaterThanOrEqual(500);
    expect(() => new TokenBuckets({ perSecond: 0 })).toThrow(RangeError);
  });
});

describe("rate limit through the app", () => {
  let h: Harness;
  let now = NOW.getTime();
  const T = "/v1/trials/ips-severe-mental-illness";
  const enroll = (n: number, token = h.tokens.kbh, site = "101") => h.request(`${T}/enrollments`, { method: "POST", token, json: ipsEnrollment(cprFor(n), site) });
  beforeAll(async () => {
    h = await harness({ clock: () => new Date(now), rateLimit: { perSecond: 1, burst: 3 } });
    expect((await h.request("/v1/trials", { method: "POST", token: h.tokens.agency, json: { protocol_id: "ips-severe-mental-illness" } })).status).toBe(201);
    expect((await h.request(`${T}/open`, { method: "POST", token: h.tokens.agency })).status).toBe(200);
  });
  afterAll(async () => {
    for (const body of h.bodies) expect(body).not.toMatch(CPR_SHAPED);
    await h.close();
  });

  it("answers 429 with Retry-After once a token's bucket is empty; other tokens and other routes go on", async () => {
    expect([(await enroll(1)).status, (await enroll(2)).status, (await enroll(3)).status]).toEqual([201, 201, 201]);
    const refused = await enroll(4);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect((await refused.json()).error.code).toBe("rate_limited");
    // A bulk upload counts as one request too.
    expect((await h.request(`${T}/enrollments/bulk`, { method: "POST", token: h.tokens.kbh, headers: { "content-type": "text/csv" }, body: "cpr,site,consent" })).status).toBe(429);
    // Another municipality's token has its own bucket; reads are not limited.
    expect((await enroll(5, h.tokens.aarhus, "751")).status).toBe(201);
    expect((await h.request(`${T}/enrollments`, { token: h.tokens.kbh })).status).toBe(200);
    // One second later one request passes again.
    now += 1000;
    expect((await enroll(4)).status).toBe(201);
    expect((await enroll(6)).status).toBe(429);
  });
});
