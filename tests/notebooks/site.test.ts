/**
 * The notebooks site, built once for real (Observable Framework, offline) from seeded evidence
 * packages in a temp folder, then:
 * - the data the build ships holds the packages' public parts only;
 * - in Chromium (Debian's, through playwright-core), each page opened from the API on 127.0.0.1:
 *   the knowledge bank's cells (intervention × target group × outcome, grouped here by the rule
 *   the page states, independently of its code) and their pooled numbers equal analysis/'s REML
 *   meta-analysis of the same packages' estimates, the plots are drawn, the business case names
 *   the cell each target group's effect comes from, a
 *   count on the business-case page changes the totals, the ICC on the design page changes the
 *   sample size; screenshots go to a temp folder; no request may leave 127.0.0.1.
 * Skipped with a message without /usr/bin/chromium locally; in CI the browser part must run.
 * Time to interactive is printed, not asserted.
 */
import { serve, type ServerType } from "@hono/node-server";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metaAnalysis } from "../../analysis/estimators/meta-analysis.ts";
import { buildNotebooks } from "../../notebooks/build.ts";
import { harness, type Harness } from "../api/harness.ts";
import { DEMO_PACKAGES, writeDemoPackages, type WrittenPackage } from "./packages.ts";

const CHROMIUM = "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available && !process.env.CI) console.warn(`tests/notebooks/site.test.ts: browser part skipped, ${CHROMIUM} is missing (apt-get install chromium); in CI it runs`);
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"];

let dir: string;
let out: string;
let packages: WrittenPackage[];
let buildMs = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "virker-notebooks-"));
  // The demo set, plus a trial with two target groups and no subgroup by target group (mixed cell).
  packages = writeDemoPackages(join(dir, "evidence"), [...DEMO_PACKAGES, { trial: "brobygning-2026", protocol: "brobygning", n: 600, seed: 15 }]);
  // A draft beside them, as the server's repository keeps one: it must not be shown.
  cpSync(packages[0].dir, join(dir, "evidence", "ev-draft"), { recursive: true });
  writeFileSync(join(dir, "evidence", "ev-draft.record.json"), JSON.stringify({ id: "ev-draft", status: "draft" }));
  writeFileSync(join(dir, "evidence", `${packages[1].trial}.record.json`), JSON.stringify({ id: packages[1].trial, status: "published" }));
  const built = await buildNotebooks({ evidence: join(dir, "evidence"), out: join(dir, "site") });
  out = built.out;
  buildMs = built.ms;
  console.log(`notebooks build: ${(buildMs / 1000).toFixed(1)} s`);
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Expected = { k: number; estimate: number; se: number; tau2: number; I2: number } | { k: 1 };

/**
 * Expected cells by the page's stated rule, from the packages' evidence and protocols: every site
 * to `arm|all|outcome`; a one-group trial's sites to its group; a several-group trial's subgroup
 * rows by target group to each level's cell, or, without them, its sites to `arm|mixed|outcome`.
 * Pooled by REML through analysis/ when k ≥ 2.
 */
function expectedCells(): Map<string, Expected> {
  const groups = new Map<string, { y: number[]; v: number[] }>();
  const add = (key: string, y: number, se: number) => {
    const g = groups.get(key) ?? { y: [], v: [] };
    g.y.push(y);
    g.v.push(se ** 2);
    groups.set(key, g);
  };
  for (const p of packages) {
    const targetGroups = p.protocol.population.target_groups ?? [];
    const byGroup = p.protocol.subgroups.filter((s) => s.variable === "target_group").map((s) => s.id ?? s.variable);
    for (const s of p.evidence.site_effects) {
      for (const site of s.sites) add(`${s.arm}|all|${s.outcome}`, site.estimate, site.std_error);
      if (targetGroups.length === 1) {
        for (const site of s.sites) add(`${s.arm}|${targetGroups[0]}|${s.outcome}`, site.estimate, site.std_error);
        continue;
      }
      const rows = p.evidence.results.filter((r) => r.outcome === s.outcome && r.contrast === s.contrast && r.subgroup !== null && byGroup.includes(r.subgroup.variable));
      // The packages report subgroups by difference in means (= risk difference for a binary outcome).
      expect(rows.every((r) => r.estimator === "difference_in_means")).toBe(true);
      if (rows.length > 0) for (const r of rows) add(`${s.arm}|${r.subgroup!.level}|${s.outcome}`, r.estimate, r.std_error!);
      else for (const site of s.sites) add(`${s.arm}|mixed|${s.outcome}`, site.estimate, site.std_error);
    }
  }
  const out = new Map<string, Expected>();
  for (const [key, g] of groups) {
    if (g.y.length < 2) {
      out.set(key, { k: 1 });
      continue;
    }
    const m = metaAnalysis(g.y, g.v, { method: "REML" });
    out.set(key, { k: g.y.length, estimate: m.pooled.estimate, se: m.pooled.std_error, tau2: m.tau2, I2: m.I2 });
  }
  return out;
}

describe("notebooks build", () => {
  it("builds every page and ships the published packages' public parts only (no drafts)", () => {
    for (const page of ["index.html", "vidensbank.html", "business-case.html", "design.html"]) expect(existsSync(join(out, page)), page).toBe(true);
    const dataDir = join(out, "_file/data");
    const file = readdirSync(dataDir).find((f) => /^packages\.[0-9a-f]+\.json$/.test(f));
    expect(file).toBeDefined();
    const data = JSON.parse(readFileSync(join(dataDir, file!), "utf8")) as { packages: { trial: string; id: string }[] };
    expect(data.packages.map((p) => p.trial).sort()).toEqual(packages.map((p) => p.trial).sort());
    for (const p of data.packages) expect(p.id).toMatch(/^ev-[0-9a-f]{32}$/);
    // Every library came from node_modules (Framework's CDN resolver writes _npm/), nothing refers to another host.
    expect(existsSync(join(out, "_npm"))).toBe(false);
    const html = readFileSync(join(out, "vidensbank.html"), "utf8");
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it("has pooled cells of every kind to check: all groups, one target group across trials, mixed", () => {
    const expected = expectedCells();
    // Two mentoring trials of six sites each; each reports all five target groups as subgroups.
    expect(expected.get("mentor|all|education_started_52w")?.k).toBe(12);
    expect(expected.get("mentor|kontanthjaelp_aktivitetsparat|education_started_52w")?.k).toBe(2);
    // Brobygning has two target groups and subgroups by age only: its sites are mixed.
    expect([...expected.keys()].some((k) => /\|mixed\|/.test(k))).toBe(true);
    expect([...expected.values()].filter((e) => e.k >= 2).length).toBeGreaterThanOrEqual(10);
  });
});

describe.skipIf(!available && !process.env.CI)("notebooks in Chromium, served by the API", () => {
  let h: Harness;
  let server: ServerType;
  let base: string;
  let browser: Browser;
  let shots: string;
  const offsite: string[] = [];
  const previous = process.env.VIRKER_NOTEBOOKS_DIR;

  beforeAll(async () => {
    process.env.VIRKER_NOTEBOOKS_DIR = out;
    h = await harness();
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: h.app.app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => resolve(info.port));
    });
    base = `http://127.0.0.1:${port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    shots = mkdtempSync(join(tmpdir(), "virker-notebooks-shots-"));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    await h?.close();
    if (previous === undefined) delete process.env.VIRKER_NOTEBOOKS_DIR;
    else process.env.VIRKER_NOTEBOOKS_DIR = previous;
    console.log(`notebooks screenshots: ${shots}`);
  });

  async function open(path: string, ready: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => void errors.push(e.message));
    page.on("request", (r) => {
      const url = r.url();
      if (!url.startsWith(`${base}/`) && !url.startsWith("data:") && !url.startsWith("blob:")) offsite.push(url);
    });
    const started = performance.now();
    const response = await page.goto(`${base}${path}`, { waitUntil: "domcontentloaded" });
    expect(response!.status(), path).toBe(200);
    await page.locator(ready).first().waitFor({ state: "visible", timeout: 30_000 });
    console.log(`time to interactive ${path}: ${Math.round(performance.now() - started)} ms`);
    expect(errors, path).toEqual([]);
    return page;
  }

  async function shot(page: Page, name: string) {
    const file = join(shots, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    expect(statSync(file).size).toBeGreaterThan(10_000);
  }

  const text = (page: Page, testid: string) => page.locator(`[data-testid=${testid}]`).first().innerText();

  it("index lists the packages", async () => {
    const page = await open("/notebooks/", "[data-testid=packages] tbody tr");
    expect(await page.locator("[data-testid=packages] tbody tr").count()).toBe(packages.length);
    await shot(page, "index");
    await page.close();
  }, 60_000);

  it("knowledge bank: the cells and their pooled numbers equal analysis/'s meta-analysis, and the forest plot is drawn", async () => {
    const page = await open("/notebooks/vidensbank", "[data-testid=pooled-table] tbody tr");
    const rows = await page.locator("[data-testid=pooled-table] tbody tr[data-cell]").evaluateAll((trs) =>
      trs.map((tr) => ({ ...(tr as HTMLElement).dataset })),
    );
    const expected = expectedCells();
    expect(rows.map((r) => r.cell).sort()).toEqual([...expected.keys()].sort());
    for (const r of rows) expect(r.group, r.cell).toBe(r.cell!.split("|")[1]);
    const pooledRows = rows.filter((r) => r.estimate !== "");
    expect(pooledRows.map((r) => r.cell).sort()).toEqual([...expected].filter(([, e]) => e.k >= 2).map(([k]) => k).sort());
    for (const r of pooledRows) {
      const e = expected.get(r.cell!)!;
      if (!("estimate" in e)) throw new Error(`${r.cell}: expected one estimate`);
      expect(Number(r.k), r.cell).toBe(e.k);
      expect(Number(r.estimate), r.cell).toBeCloseTo(e.estimate, 12);
      expect(Number(r.se), r.cell).toBeCloseTo(e.se, 12);
      expect(Number(r.tau2), r.cell).toBeCloseTo(e.tau2, 12);
      expect(Number(r.i2), r.cell).toBeCloseTo(e.I2, 9);
    }
    await page.locator("[data-testid=forest] svg").first().waitFor();
    const box = await page.locator("[data-testid=forest] svg").first().boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    await shot(page, "vidensbank");
    await page.close();
  }, 60_000);

  it("business case: changing a count changes the totals; the band is drawn", async () => {
    const page = await open("/notebooks/business-case", "[data-testid=net-total]");
    await page.locator("[data-testid=band-plot] svg").first().waitFor();
    const before = { n: await text(page, "participants"), net: await text(page, "net-total"), cost: await text(page, "cost") };
    const count = page.locator("[data-testid=counts] input[type=number]").first();
    await count.fill("250");
    await count.dispatchEvent("input");
    await page.waitForFunction((n) => document.querySelector("[data-testid=participants]")?.textContent !== n, before.n);
    expect(await text(page, "participants")).not.toBe(before.n);
    expect(await text(page, "net-total")).not.toBe(before.net);
    expect(await text(page, "cost")).not.toBe(before.cost);
    // Each target group's effect names its cell: the group's own, or the all-groups cell as a fallback.
    const keys = new Set(expectedCells().keys());
    const sources = async () => {
      const rows = await page.locator("[data-testid=effect-sources] tbody tr").evaluateAll((trs) => trs.map((tr) => ({ ...(tr as HTMLElement).dataset })));
      expect(rows.length).toBeGreaterThan(0);
      for (const s of rows) {
        const [, group] = s.successCell!.split("|");
        expect(keys.has(s.successCell!), s.successCell).toBe(true);
        if (group !== s.group) expect([group, s.fallback], s.group).toEqual(["all", "true"]);
      }
      return rows.map((s) => s.successCell!.split("|")[1] === s.group);
    };
    // The first intervention is brobygning: two target groups, no subgroup by target group, so every group falls back.
    expect(await sources()).toEqual([false, false]);
    await shot(page, "business-case");
    // Mentoring: both trials report every target group, so each group has its own cell.
    const select = page.locator("select").first();
    const labels = await select.locator("option").allInnerTexts();
    await select.selectOption({ index: labels.findIndex((l) => l.startsWith("Mentor /")) });
    await page.waitForFunction(() => document.querySelector("[data-testid=effect-sources] tbody tr")?.getAttribute("data-success-cell")?.startsWith("mentor|"));
    expect(await sources()).toEqual([true, true, true, true, true]);
    await shot(page, "business-case-mentor");
    await page.close();
  }, 60_000);

  it("design: changing the ICC changes the sample size; power by simulation and the claim are shown", async () => {
    const page = await open("/notebooks/design", "[data-testid=sample-size]");
    await page.locator("[data-testid=icc-plot] svg").first().waitFor();
    await page.getByRole("button", { name: /Simulér/ }).click();
    await page.locator("[data-testid=simulated-power]").waitFor({ timeout: 60_000 });
    expect(await text(page, "simulated-power")).toMatch(/Simuleret styrke/);
    const before = await text(page, "sample-size");
    const icc = page.locator("[data-testid=icc] input[type=number]").first();
    await icc.fill("0.15");
    await icc.dispatchEvent("input");
    await page.waitForFunction((n) => document.querySelector("[data-testid=sample-size]")?.textContent !== n, before);
    expect(Number((await text(page, "sample-size")).replace(/\./g, ""))).toBeGreaterThan(Number(before.replace(/\./g, "")));
    expect(await text(page, "power-claim")).toMatch(/^power:\n {2}mde: [0-9.]+\n {2}control_rate: 0\.3\n {2}target_n: \d+\n {2}icc: 0\.15/);
    await shot(page, "design");
    await page.close();
  }, 120_000);

  it("made no request off 127.0.0.1", () => {
    expect(offsite).toEqual([]);
  });
});
