import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PAGE_CSP } from "../../api/pages/index.tsx";
import { csrfTokenFor } from "../../api/pages/session.ts";
import { revokeToken } from "../../api/tokens.ts";
import { harness, NOW, type Harness } from "../api/harness.ts";
import { pageClient, signedIn } from "./client.ts";

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

describe("sign-in", () => {
  it("shows a labelled token field and no token in any URL", async () => {
    const page = await pageClient(h).get("/app/sign-in");
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<html lang="da">/);
    expect(page.body).toMatch(/<label for="f-token">/);
    expect(page.body).toMatch(/<input type="password" id="f-token" name="token"/);
    expect(page.body).toMatch(/<form method="post" action="\/app\/sign-in">/);
    expect(page.headers.get("content-security-policy")).toBe(PAGE_CSP);
  });

  it("keeps the token in an HttpOnly, SameSite=Strict cookie on /app, Secure over https", async () => {
    const form = new URLSearchParams({ token: h.tokens.kbh }).toString();
    const headers = { "content-type": "application/x-www-form-urlencoded" };
    const plain = await h.app.app.request("/app/sign-in", { method: "POST", headers, body: form });
    expect(plain.status).toBe(303);
    expect(plain.headers.get("location")).toBe("/app");
    const cookie = plain.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^virker_session=vkr_/);
    expect(cookie).toMatch(/Path=\/app/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/);
    const secure = await h.app.app.request("https://virker.example/app/sign-in", { method: "POST", headers, body: form });
    expect(secure.headers.get("set-cookie")).toMatch(/Secure/);
    expect(secure.headers.get("location")).not.toContain("vkr_");
    const proxied = await h.app.app.request("/app/sign-in", { method: "POST", headers: { ...headers, "x-forwarded-proto": "https" }, body: form });
    expect(proxied.headers.get("set-cookie")).toMatch(/Secure/);
  });

  it("refuses an unknown token with 401 and sets no cookie", async () => {
    const client = pageClient(h);
    const res = await client.post("/app/sign-in", { token: "vkr_" + "A".repeat(43) }, { csrf: null });
    expect(res.status).toBe(401);
    expect(client.cookie).toBeNull();
    expect(res.body).toContain('aria-describedby="f-token-error"');
    expect(res.body).not.toContain("A".repeat(43));
  });

  it("sends a visitor without a session to sign-in, and a signed-in one to the start page", async () => {
    const anon = await pageClient(h).get("/app");
    expect(anon.status).toBe(303);
    expect(anon.location).toBe("/app/sign-in");
    const kbh = await signedIn(h, h.tokens.kbh);
    const home = await kbh.get("/app");
    expect(home.status).toBe(200);
    expect(home.body).toContain("Jobcenter København");
  });

  it("signs out (with the CSRF token) and clears the cookie", async () => {
    const kbh = await signedIn(h, h.tokens.kbh);
    const out = await kbh.post("/app/sign-out", {});
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/virker_session=;.*Max-Age=0/i);
    expect(kbh.cookie).toBeNull();
    expect((await kbh.get("/app")).status).toBe(303);
  });

  it("refuses a form posted from another site, sign-in included", async () => {
    const form = new URLSearchParams({ token: h.tokens.kbh }).toString();
    const post = (headers: Record<string, string>) =>
      h.app.app.request("http://127.0.0.1:8787/app/sign-in", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: form });
    const attempts: Record<string, string>[] = [{ origin: "https://evil.example" }, { origin: "null" }, { "sec-fetch-site": "cross-site" }];
    for (const headers of attempts) {
      const res = await post(headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.headers.get("set-cookie")).toBeNull();
    }
    expect((await post({ origin: "http://127.0.0.1:8787", "sec-fetch-site": "same-origin" })).status).toBe(303);
  });

  it("answers an unknown page with an HTML 404", async () => {
    const res = await pageClient(h).get("/app/no-such-page");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.body).toContain("findes ikke");
    // What was typed into the address is not shown back: it could be anything, a CPR number too.
    const typed = await pageClient(h).get("/app/0101901234");
    expect(typed.status).toBe(404);
    expect(typed.body).not.toContain("0101901234");
  });

  it("refuses a POST without the CSRF token, or with another session's, with 403", async () => {
    const kbh = await signedIn(h, h.tokens.kbh);
    expect((await kbh.post("/app/sign-out", {}, { csrf: null })).status).toBe(403);
    expect((await kbh.post("/app/sign-out", {}, { csrf: csrfTokenFor(h.tokens.aarhus) })).status).toBe(403);
    expect((await kbh.post("/app/sign-out", {}, { csrf: "0".repeat(64) })).status).toBe(403);
    // Still signed in.
    expect((await kbh.get("/app")).status).toBe(200);
    expect(await kbh.csrf()).toBe(csrfTokenFor(h.tokens.kbh));
  });

  it("ends the session when the token is revoked", async () => {
    const kbh = await signedIn(h, h.tokens.kbh);
    const record = (await h.store.listTokens()).find((t) => t.site === "101")!;
    await revokeToken(h.store, record.id, { reason: "left the job", at: NOW.toISOString(), actor: { tokenId: null, role: "system" } });
    const res = await kbh.get("/app");
    expect(res.status).toBe(303);
    expect(res.location).toBe("/app/sign-in");
  });
});
