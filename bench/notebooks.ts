/**
 * The notebooks site: build time (cold, without Framework's cache, and warm) over the seeded demo
 * packages of tests/notebooks, and each page's time to interactive in Chromium served by the API
 * on 127.0.0.1 (from navigation until the page's main output is visible), median of five loads,
 * each in a fresh browser context (nothing cached). The machine's load average is printed before
 * and after: on a shared machine the figures mean little without it.
 *
 *   npx tsx bench/notebooks.ts [--packages N]   (N copies of the demo set, default 1)
 */
import { serve, type ServerType } from "@hono/node-server";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { buildNotebooks } from "../notebooks/build.ts";
import { harness } from "../tests/api/harness.ts";
import { writeDemoPackages } from "../tests/notebooks/packages.ts";

const load = () => loadavg().map((x) => x.toFixed(2)).join(", ");
console.log(`load average (1, 5, 15 min): ${load()}`);
const copiesArg = process.argv.indexOf("--packages");
const copies = copiesArg >= 0 ? Number(process.argv[copiesArg + 1]) : 1;
const dir = mkdtempSync(join(tmpdir(), "virker-bench-notebooks-"));
const evidence = join(dir, "evidence");
const written = writeDemoPackages(evidence);
for (let c = 1; c < copies; c++) for (const p of written) cpSync(p.dir, join(evidence, `${p.trial}-copy${c}`), { recursive: true });

rmSync(new URL("../notebooks/src/.observablehq/cache", import.meta.url), { recursive: true, force: true });
const cold = await buildNotebooks({ evidence, out: join(dir, "site") });
const warm = await buildNotebooks({ evidence, out: join(dir, "site") });
console.log(`packages: ${written.length * copies}`);
console.log(`build, cold: ${(cold.ms / 1000).toFixed(1)} s; warm: ${(warm.ms / 1000).toFixed(1)} s`);

process.env.VIRKER_NOTEBOOKS_DIR = warm.out;
const h = await harness();
let server!: ServerType;
const port = await new Promise<number>((resolve) => {
  server = serve({ fetch: h.app.app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => resolve(info.port));
});
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
});
const pages: [string, string][] = [
  ["/notebooks/", "[data-testid=packages] tbody tr"],
  ["/notebooks/vidensbank", "[data-testid=forest] svg"],
  ["/notebooks/business-case", "[data-testid=band-plot] svg"],
  ["/notebooks/design", "[data-testid=icc-plot] svg"],
];
for (const [path, ready] of pages) {
  const times: number[] = [];
  let requests = 0;
  let bytes = 0;
  for (let i = 0; i < 5; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const started = performance.now();
    await page.goto(`http://127.0.0.1:${port}${path}`, { waitUntil: "domcontentloaded" });
    await page.locator(ready).first().waitFor({ state: "visible" });
    times.push(performance.now() - started);
    // What the page fetched (the same every load): unlike the times, not moved by the machine's load.
    [requests, bytes] = await page.evaluate(() => {
      const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")] as PerformanceResourceTiming[];
      return [entries.length, entries.reduce((s, e) => s + e.encodedBodySize, 0)];
    });
    await context.close();
  }
  times.sort((a, b) => a - b);
  console.log(`time to interactive ${path}: median ${Math.round(times[2])} ms (min ${Math.round(times[0])}, max ${Math.round(times[4])}); ${requests} requests, ${Math.round(bytes / 1024)} kB`);
}
console.log(`load average (1, 5, 15 min): ${load()}`);
await browser.close();
await new Promise<void>((done) => server.close(() => done()));
await h.close();
rmSync(dir, { recursive: true, force: true });
