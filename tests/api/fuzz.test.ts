/** Thousands of random bodies at the write routes: every answer a clean 4xx (or a success), never a 500. */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CPR_SHAPED, harness, ipsEnrollment, type Harness } from "./harness.ts";

let h: Harness;
const T = "/v1/trials/ips-severe-mental-illness";
beforeAll(async () => {
  h = await harness();
  expect((await h.request("/v1/trials", { method: "POST", token: h.tokens.agency, json: { protocol_id: "ips-severe-mental-illness" } })).status).toBe(201);
  expect((await h.request(`${T}/open`, { method: "POST", token: h.tokens.agency })).status).toBe(200);
});
afterAll(async () => {
  await h.close();
});

const targets: [string, "agency" | "kbh"][] = [
  [`${T}/enrollments`, "kbh"],
  ["/v1/trials", "agency"],
  [`${T}/amendments`, "agency"],
  [`${T}/close`, "agency"],
  [`${T}/enrollments/bulk`, "kbh"],
  [`${T}/withdrawals`, "kbh"],
  [`${T}/baseline-corrections`, "kbh"],
  [`${T}/error-flags`, "agency"],
  [`${T}/outcomes`, "kbh"],
];

/** Bodies near the valid shape (most interesting) and arbitrary JSON. */
const nearEnrollment = fc.record(
  {
    cpr: fc.oneof(fc.string(), fc.stringMatching(/^\d{6}-?\d{4}$/), fc.integer()),
    site: fc.oneof(fc.constant("101"), fc.string(), fc.integer()),
    target_group: fc.oneof(fc.constant("kontanthjaelp_aktivitetsparat"), fc.string()),
    covariates: fc.oneof(fc.constant(ipsEnrollment("", "").covariates), fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue()),
    consent: fc.oneof(fc.boolean(), fc.jsonValue()),
  },
  { requiredKeys: [] },
);

describe("fuzzing the write routes", () => {
  it("answers 3,000 random JSON bodies without a 500", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), fc.oneof(nearEnrollment, fc.jsonValue()), async ([path, who], body) => {
        const res = await h.request(path, { method: "POST", token: h.tokens[who], json: body });
        const text = await res.text();
        expect(res.status).toBeLessThan(500);
        expect(() => JSON.parse(text)).not.toThrow();
        if (res.status >= 400) expect(JSON.parse(text).error.code).toEqual(expect.any(String));
      }),
      { numRuns: 3000, seed: 20261123 },
    );
  }, 300_000);

  it("answers 1,000 random raw bodies and content types without a 500", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), fc.string({ maxLength: 300 }), fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "text/csv", "application/x-ndjson", ""), async ([path, who], raw, type) => {
        const res = await h.request(path, { method: "POST", token: h.tokens[who], headers: type ? { "content-type": type } : {}, body: raw });
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 1000, seed: 7 },
    );
  }, 300_000);

  it("never echoed a CPR-shaped value back", () => {
    for (const body of h.bodies) expect(body).not.toMatch(CPR_SHAPED);
  });
});
