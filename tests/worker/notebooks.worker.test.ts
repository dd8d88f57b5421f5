import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

// The notebooks route reaches the file system by a dynamic import; inside workerd there is no
// build folder, so the Worker answers with the page that says how to build the site.
describe("notebooks on Workers", () => {
  it("answers /notebooks/ with the not-built page, and refuses traversal", async () => {
    const res = await exports.default.fetch("http://virker.test/notebooks/");
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("npm run notebooks:build");
    const bad = await exports.default.fetch("http://virker.test/notebooks/%2e%2e/wrangler.toml");
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(await bad.text()).not.toContain("compatibility_date");
  });
});
