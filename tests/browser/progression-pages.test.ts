/**
 * The progression form and chart in a real browser: Chromium (Debian's, through playwright-core)
 * against the app served by @hono/node-server on 127.0.0.1, with JavaScript switched off.
 *
 * A caseworker records two conversations on the participant page with the keyboard and the
 * factor choices, sees the chart of the citizen's own factors and the table; a score left out
 * leaves that factor's point out; another municipality cannot reach the form. Every request stays
 * on 127.0.0.1. A screenshot of the chart goes to a temp folder.
 *
 * Without /usr/bin/chromium the tests are skipped locally (with a message); in CI they must run.
 */
import { serve, type ServerType } from "@hono/node-server";
import { existsSync, mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CPR_SHAPED, cprFor, harness, ipsEnrollment, NOW, type Harness } from "../api/harness.ts";
import { openIpsTrial } from "../pages/client.ts";

const CHROMIUM = "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available && !process.env.CI) {
  console.warn(`tests/browser/progression-pages.test.ts: skipped, ${CHROMIUM} is missing (apt-get install chromium); in CI these tests run`);
}

const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"];
const FACTORS = ["health", "social_situation", "motivation", "job_seeking", "skills", "everyday_coping"];

describe.skipIf(!available && !process.env.CI)("progression form and chart in Chromium", () => {
  let h: Harness;
  let now = NOW;
  let server: ServerType;
  let base: string;
  let browser: Browser;
  let participantUrl: string;
  const requests: string[] = [];
  const shots = mkdtempSync(join(tmpdir(), "virker-progression-"));

  beforeAll(async () => {
    h = await harness({ clock: () => now });
    const trial = await openIpsTrial(h);
    const enrolled = await (await h.request(`/v1/trials/${trial}/enrollments`, { method: "POST", token: h.tokens.kbh, json: ipsEnrollment(cprFor(4242), "101") })).json();
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: h.app.app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => resolve(info.port));
    });
    base = `http://127.0.0.1:${port}`;
    participantUrl = `${base}/app/trials/${trial}/participants/${enrolled.participant_id}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    await h?.close();
  });

  async function signIn(token: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ javaScriptEnabled: false, locale: "da-DK" });
    context.on("request", (r) => requests.push(r.url()));
    const page = await context.newPage();
    await page.goto(`${base}/app/sign-in`);
    await page.getByLabel("Token").fill(token);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${base}/app`);
    return { context, page };
  }

  async function record(page: Page, date: string | null, scores: Record<string, number>) {
    await page.goto(participantUrl);
    if (date !== null) await page.locator("#f-progression-date").fill(date);
    for (const [f, v] of Object.entries(scores)) await page.locator(`input[name="score_${f}"][value="${v}"]`).check();
    await page.getByRole("button", { name: /Registrér måling/ }).focus();
    await Promise.all([page.waitForURL(/done=progression$/), page.keyboard.press("Enter")]);
  }

  it("a caseworker records two conversations and sees the citizen's factors over time", async () => {
    const { context, page } = await signIn(h.tokens.kbh);
    await page.goto(participantUrl);
    await expect(page.locator("#progression-none").count()).resolves.toBe(1);
    await record(page, null, Object.fromEntries(FACTORS.map((f, i) => [f, 1 + (i % 3)])));
    now = new Date("2026-09-01T10:00:00.000Z");
    const second = Object.fromEntries(FACTORS.filter((f) => f !== "skills").map((f, i) => [f, 3 + (i % 3)]));
    await record(page, "2026-08-31", second);
    expect(await page.locator(".notice.good").textContent()).toContain("Målingen er registreret");
    const chart = page.locator("#progression-chart");
    expect(await chart.locator("svg[data-factor]").count()).toBe(FACTORS.length + 1);
    expect(await chart.locator('svg[data-factor="health"] circle').count()).toBe(2);
    // Skills was left out the second time: one point; the total needs every factor: one point.
    expect(await chart.locator('svg[data-factor="skills"] circle').count()).toBe(1);
    expect(await chart.locator('svg[data-factor="total"] circle').count()).toBe(1);
    expect(await page.locator("#progression-measurements tbody tr").count()).toBe(2);
    expect(await page.content()).not.toMatch(CPR_SHAPED);
    await chart.screenshot({ path: join(shots, "progression-chart.png") });
    expect(existsSync(join(shots, "progression-chart.png"))).toBe(true);
    await context.close();
  });

  it("shows a refusal beside the date: a day after today", async () => {
    const { context, page } = await signIn(h.tokens.kbh);
    await page.goto(participantUrl);
    await page.locator("#f-progression-date").fill("2027-01-01");
    await page.locator('input[name="score_health"][value="3"]').check();
    await page.getByRole("button", { name: /Registrér måling/ }).click();
    await page.waitForLoadState("load");
    expect(await page.locator("#f-progression-date-error").textContent()).toContain("efter i dag");
    expect(await page.locator("#progression-measurements tbody tr").count()).toBe(2);
    await context.close();
  });

  it("another municipality cannot reach the form", async () => {
    const { context, page } = await signIn(h.tokens.aarhus);
    const res = await page.goto(participantUrl);
    expect(res!.status()).toBe(404);
    expect(await page.locator("#progression-chart").count()).toBe(0);
    await context.close();
  });

  it("no page made a request outside 127.0.0.1", () => {
    expect(requests.length).toBeGreaterThan(5);
    for (const url of requests) expect(new URL(url).hostname, url).toBe("127.0.0.1");
  });
});
