import { describe, expect, it } from "vitest";
import { createApp } from "../../api/app.ts";

describe("app", () => {
  it("answers /health without a server", async () => {
    const res = await createApp().request("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });
});
