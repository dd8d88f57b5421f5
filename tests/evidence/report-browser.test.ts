/**
 * A published report in a real browser: Chromium (Debian's, through playwright-core) opens
 * report.html as the API serves it on 127.0.0.1, finds the plots and tables (progression's too,
 * from measurements recorded through the API), takes a screenshot
 * (to a temp folder, path printed), and fails if any request left 127.0.0.1 — the report must be
 * self-contained. Skipped with a message without /usr/bin/chromium locally; in CI it must run.
 */
import { serve, type ServerType } from "@hono/node-server";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollIpsTrial, evidenceApp, recordIpsProgression, type EvidenceApp } from "./evidence-app.ts";

const CHROMIUM = "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available && !process.env.CI) console.warn(`tests/evidence/report-browser.test.ts: skipped, ${CHROMIUM} is missing (apt-get install chromium); in CI it runs`);

const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"];

describe.skipIf(!available && !process.env.CI)("published report in Chromium", () => {
  let e: EvidenceApp;
  let server: ServerType;
  let base: string;
  let browser: Browser;
  let id: string;

  beforeAll(async () => {
    e = await evidenceApp();
    await enrollIpsTrial(e, 40, 5);
    await recordIpsProgression(e, 7);
    const draft = await (await e.request("/v1/trials/ips-severe-mental-illness/analyses", { method: "POST", token: e.tokens.researcher, json: { draws: 500 } })).json();
    id = draft.id;
    expect((await e.request(`/v1/evidence/${id}/publish`, { method: "POST", token: e.tokens.agency })).status).toBe(200);
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: e.app.app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => resolve(info.port));
    });
    base = `http://127.0.0.1:${port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    await e?.close();
  });

  it("shows the plots and tables, and makes no request off 127.0.0.1", async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const requests: string[] = [];
    page.on("request", (r) => void requests.push(r.url()));
    const response = await page.goto(`${base}/v1/evidence/${id}/report.html`, { waitUntil: "load" });
    expect(response!.status()).toBe(200);
    expect(await page.title()).toContain("evidens / evidence");
    const plots = await page.locator("figure[data-plot] svg").count();
    expect(plots).toBeGreaterThanOrEqual(3);
    expect(await page.locator("figure[data-plot^='forest-'] svg").count()).toBeGreaterThan(0);
    expect(await page.locator("figure[data-plot^='sites-'] svg").count()).toBeGreaterThan(0);
    for (const table of ["consort", "effects", "subgroups", "heterogeneity", "balance", "attrition", "cost-effectiveness", "ratings"]) {
      expect(await page.locator(`table[data-table='${table}'] tbody tr`).count(), table).toBeGreaterThan(0);
    }
    // Progression: the trajectory plot, its tables and the sentences, the caveat last.
    expect(await page.locator("figure[data-plot='progression-trajectories'] svg").count()).toBe(1);
    for (const table of ["progression-completeness", "progression-effects", "progression-mixed-model", "progression-trajectories"]) {
      expect(await page.locator(`table[data-table='${table}'] tbody tr`).count(), table).toBeGreaterThan(0);
    }
    expect(await page.locator("ul.progression li[data-statement='total']").count()).toBe(2);
    expect(await page.locator("ul.progression li").last().getAttribute("data-statement")).toBe("caveat");
    expect(await page.locator(".rating").count()).toBe(4);
    expect(await page.locator("ul.headline li").count()).toBe(2);
    const box = await page.locator("figure[data-plot] svg").first().boundingBox();
    expect(box!.width).toBeGreaterThan(200);
    const shot = join(mkdtempSync(join(tmpdir(), "virker-report-")), "report.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    console.log(`report screenshot: ${shot}`);
    expect(requests.filter((u) => !u.startsWith(`${base}/`))).toEqual([]);
    await page.close();
  });
});
