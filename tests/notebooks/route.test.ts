import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenAPIHono } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppEnv } from "../../api/context.ts";
import { notebookRoutes, safeSegments } from "../../api/routes/notebooks.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "virker-nb-route-"));
  mkdirSync(join(dir, "site/_npm"), { recursive: true });
  writeFileSync(join(dir, "site/index.html"), "<h1>index</h1>");
  writeFileSync(join(dir, "site/vidensbank.html"), "<h1>vidensbank</h1>");
  writeFileSync(join(dir, "site/_npm/x.0123abcd.js"), "export const x = 1;");
  writeFileSync(join(dir, "secret.txt"), "outside");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function appFor(root: string) {
  const app = new OpenAPIHono<AppEnv>();
  notebookRoutes(app, { root });
  return app;
}

describe("GET /notebooks/", () => {
  it("serves the index, clean URLs and hashed assets with a same-origin CSP", async () => {
    const app = appFor(join(dir, "site"));
    const index = await app.request("/notebooks/");
    expect(index.status).toBe(200);
    expect(await index.text()).toContain("index");
    expect(index.headers.get("content-security-policy")).toContain("default-src 'self'");
    const page = await app.request("/notebooks/vidensbank");
    expect(await page.text()).toContain("vidensbank");
    const js = await app.request("/notebooks/_npm/x.0123abcd.js");
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect((await app.request("/notebooks")).status).toBe(301);
    expect((await app.request("/notebooks/nope")).status).toBe(404);
  });

  it("refuses paths that leave the folder", async () => {
    const app = appFor(join(dir, "site"));
    for (const path of ["/notebooks/%2e%2e/secret.txt", "/notebooks/..%2Fsecret.txt", "/notebooks/_npm/..%5C..%5Csecret.txt", "/notebooks/%00"]) {
      const res = await app.request(path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(await res.text(), path).not.toContain("outside");
    }
    expect(safeSegments("a/../b")).toBeNull();
    expect(safeSegments(".hidden")).toBeNull();
    expect(safeSegments("a/b/")).toEqual(["a", "b"]);
  });

  it("answers 404 with how to build when there is no build", async () => {
    const res = await appFor(join(dir, "missing")).request("/notebooks/");
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("npm run notebooks:build");
  });
});
