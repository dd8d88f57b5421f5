/**
 * The pages in a real browser: Chromium (Debian's, through playwright-core) against the app served
 * by @hono/node-server on 127.0.0.1, with JavaScript switched off (the pages are plain forms).
 *
 * A caseworker signs in, enrolls a citizen end to end and sees the arm; the same citizen again
 * shows the same arm as a repeat; an ineligible citizen sees the rule that failed; another
 * municipality cannot reach the participant through the pages. Every request the browser makes is
 * recorded and must stay on 127.0.0.1. A screenshot of the receipt goes to a temp folder.
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
import { cprFor, CPR_SHAPED, harness, type Harness } from "../api/harness.ts";
import { openIpsTrial } from "../pages/client.ts";

const CHROMIUM = "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available && !process.env.CI) {
  console.warn(`tests/browser/enrollment-pages.test.ts: skipped, ${CHROMIUM} is missing (apt-get install chromium); in CI these tests run`);
}

const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

describe.skipIf(!available && !process.env.CI)("enrollment pages in Chromium", () => {
  let h: Harness;
  let server: ServerType;
  let base: string;
  let browser: Browser;
  let trial: string;
  const requests: string[] = [];
  const shots = mkdtempSync(join(tmpdir(), "virker-pages-"));

  beforeAll(async () => {
    h = await harness();
    trial = await openIpsTrial(h);
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: h.app.app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => resolve(info.port));
    });
    base = `http://127.0.0.1:${port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    await h?.close();
  });

  /** A fresh browser profile without JavaScript, recording every request it makes. */
  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext({ javaScriptEnabled: false, locale: "da-DK" });
    context.on("request", (r) => requests.push(r.url()));
    return context;
  }

  async function signIn(context: BrowserContext, token: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${base}/app/sign-in`);
    await page.getByLabel("Token").fill(token);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${base}/app`);
    return page;
  }

  async function fillIps(page: Page, cpr: string, overrides: { diagnosis?: string } = {}) {
    await page.locator("#f-cpr").fill(cpr);
    await page.locator("#f-target_group").selectOption("kontanthjaelp_aktivitetsparat");
    await page.locator("#f-c_diagnosis").selectOption(overrides.diagnosis ?? "schizophrenia_spectrum");
    await page.locator('input[name="c_wants_ordinary_work"][value="true"]').check();
    await page.locator("#f-c_hours_ordinary_work").fill("0");
    await page.locator('input[name="c_female"][value="false"]').check();
    await page.locator("#f-c_age_band").selectOption("18-29");
    await page.locator("#f-c_education").selectOption("upper_secondary");
    await page.locator('input[name="c_worked_last_5y"][value="true"]').check();
    await page.locator("#f-c_weeks_on_benefit_prior_52").fill("26");
    await page.locator('input[name="consent"]').check();
  }

  it("the enrollment form, screenshot", async () => {
    const context = await newContext();
    const page = await signIn(context, h.tokens.kbh);
    await page.goto(`${base}/app/trials/${trial}/enroll`);
    // Without JavaScript, a form posted with problems comes back with each one beside its field.
    await page.locator("#f-cpr").fill("999999-9999");
    await submit(page);
    await expectLocator(page.locator("#f-cpr-error")).toContainText("CPR-nummerets fødselsdato");
    expect(await page.locator("#f-cpr").getAttribute("aria-describedby")).toContain("f-cpr-error");
    await page.screenshot({ path: join(shots, "enroll-errors.png"), fullPage: true });
    await context.close();
  });

  /** Submits with the keyboard: focus the button, press Enter. */
  async function submit(page: Page) {
    await page.getByRole("button", { name: /Indskriv og tildel arm/ }).focus();
    await Promise.all([page.waitForLoadState("domcontentloaded"), page.keyboard.press("Enter")]);
    await page.waitForLoadState("load");
  }

  let receiptUrl = "";
  let firstArm = "";

  it("a caseworker enrolls a citizen end to end and sees the arm and what it means", async () => {
    const context = await newContext();
    const page = await signIn(context, h.tokens.kbh);
    await page.getByRole("link", { name: /Indskriv en borger/ }).click();
    await expectLocator(page.locator("h1")).toContainText("Indskriv en borger");
    await fillIps(page, cprFor(42));
    await submit(page);
    await page.waitForURL(/\/participants\/p-[0-9a-z-]+\?result=new$/);
    receiptUrl = page.url().replace(/\?.*$/, "");
    const arm = page.locator("#arm");
    firstArm = (await arm.getAttribute("data-arm"))!;
    expect(["ips", "ips_e", "usual"]).toContain(firstArm);
    await expectLocator(page.locator("#receipt")).toContainText("Borgeren er indskrevet");
    expect(await page.locator("#participant-id").textContent()).toMatch(/^p-[0-9a-z]{4}(-[0-9a-z]{4}){3}$/);
    const text = await page.content();
    expect(text).not.toMatch(CPR_SHAPED);
    await page.screenshot({ path: join(shots, "receipt.png"), fullPage: true });
    expect(existsSync(join(shots, "receipt.png"))).toBe(true);
    await context.close();
  });

  it("the same citizen again shows the same arm, marked as a repeat", async () => {
    const context = await newContext();
    const page = await signIn(context, h.tokens.kbh);
    await page.goto(`${base}/app/trials/${trial}/enroll`);
    await fillIps(page, cprFor(42).replace("-", ""));
    await submit(page);
    await page.waitForURL(/result=repeat$/);
    expect(await page.locator("#arm").getAttribute("data-arm")).toBe(firstArm);
    await expectLocator(page.locator("#receipt")).toContainText("Allerede indskrevet");
    expect(page.url().replace(/\?.*$/, "")).toBe(receiptUrl);
    await context.close();
  });

  it("an ineligible citizen sees the rule that failed", async () => {
    const context = await newContext();
    const page = await signIn(context, h.tokens.kbh);
    await page.goto(`${base}/app/trials/${trial}/enroll`);
    await fillIps(page, cprFor(43), { diagnosis: "other" });
    await submit(page);
    const notice = page.locator("#ineligible");
    await expectLocator(notice).toBeVisible();
    await expectLocator(notice).toContainText("Diagnose i skizofrenispektret eller bipolar lidelse");
    expect(await notice.locator("li").count()).toBe(1);
    // Then anywhere else: no number.
    await page.goto(`${base}/app/trials/${trial}/participants`);
    expect(await page.content()).not.toMatch(CPR_SHAPED);
    await context.close();
  });

  it("another municipality cannot reach the participant through the pages", async () => {
    const context = await newContext();
    const page = await signIn(context, h.tokens.aarhus);
    const res = await page.goto(receiptUrl);
    expect(res!.status()).toBe(404);
    expect(await page.locator("#arm").count()).toBe(0);
    await page.goto(`${base}/app/trials/${trial}/participants`);
    expect(await page.content()).not.toContain(receiptUrl.split("/").pop()!);
    await context.close();
  });

  it("the agency sees the trial page with its chart, and anyone the evidence index", async () => {
    const context = await newContext();
    const page = await signIn(context, h.tokens.agency);
    await page.getByRole("link", { name: /Forsøgets side/ }).first().click();
    await page.waitForURL(`${base}/app/trials/${trial}`);
    expect(await page.locator("#seed-commitment").textContent()).toMatch(/^[0-9a-f]{64}$/);
    expect(await page.locator('figure svg path[data-arm]').count()).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: join(shots, "trial.png"), fullPage: true });
    await page.getByRole("link", { name: /Evidens/ }).click();
    await page.waitForURL(`${base}/app/evidence`);
    await expectLocator(page.locator("h1")).toContainText("Publiceret evidens");
    // Sign out with the keyboard; the start page then asks for sign-in again.
    await page.getByRole("button", { name: /Log ud/ }).focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(`${base}/app/sign-in`);
    await page.goto(`${base}/app`);
    expect(page.url()).toBe(`${base}/app/sign-in`);
    await context.close();
  });

  it("no page made a request outside 127.0.0.1", () => {
    expect(requests.length).toBeGreaterThan(10);
    for (const url of requests) expect(new URL(url).hostname, url).toBe("127.0.0.1");
  });
});

/** Minimal `expect(locator)` helpers, so that the test needs no test runner of playwright's own. */
function expectLocator(locator: ReturnType<Page["locator"]>) {
  return {
    async toContainText(text: string) {
      await locator.first().waitFor();
      expect(await locator.first().textContent()).toContain(text);
    },
    async toBeVisible() {
      await locator.first().waitFor({ state: "visible" });
    },
  };
}
