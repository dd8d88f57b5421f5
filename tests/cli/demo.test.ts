/**
 * `virker demo` (what `npm start` runs), small: every shipped protocol becomes a trial enrolled
 * through the HTTP API on simulated time, followed up, analysed and published; a second start
 * reuses the data; no CPR reaches the output or the state file.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../api/cli/main.ts";
import { openDuckDbStore } from "../../api/store/duckdb.ts";
import { CPR_SHAPED } from "../api/harness.ts";
import { startShell } from "../readme/readme.ts";

const dir = mkdtempSync(join(tmpdir(), "virker-demo-"));
const db = join(dir, "virker.duckdb");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]) {
  let out = "";
  let err = "";
  const code = await main(args, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe("virker demo", () => {
  it("simulates, analyses and publishes a trial per shipped protocol through the API", async () => {
    const r = await run(["demo", "--db", db, "--port", "0", "--scale", "0.15", "--exit", "--fresh"]);
    expect(r.err).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    for (const id of ["brobygning", "ips-severe-mental-illness", "mentor-youth", "volunteer-mentors"]) {
      expect(r.out).toMatch(new RegExp(`${id}: \\d+ enrolled, 1 repeat requests, [1-9]\\d* refused`));
    }
    expect(r.out.match(/evidence: http:\/\/127\.0\.0\.1:\d+\/v1\/evidence\/ev-[0-9a-f]{32}\/report\.html/g)).toHaveLength(4);
    expect(r.out).toMatch(/agency\s+Styrelsen \(demo\)\s+vkr_/);
    expect(r.out).toMatch(/API docs:\s+http:\/\/127\.0\.0\.1:\d+\/docs/);
    expect(r.out).toMatch(/enrollment: http:\/\/127\.0\.0\.1:\d+\/app\/trials\/mentor-youth\/enroll/);
    const state = JSON.parse(readFileSync(join(dir, "demo.json"), "utf8"));
    expect(state.trials).toHaveLength(4);
    expect(existsSync(join(dir, "evidence"))).toBe(true);
    expect(r.out + r.err + JSON.stringify(state)).not.toMatch(CPR_SHAPED);
  }, 180_000);

  it("reuses the data on the next start", async () => {
    const r = await run(["demo", "--db", db, "--port", "0", "--exit"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/reusing the demo data/);
    expect(r.out).not.toMatch(/simulation finished/);
    expect(r.out.match(/report\.html/g)).toHaveLength(4);
  }, 60_000);

  it("keeps the audit log in time order after the simulation: the clock continues from the simulated end", async () => {
    const state = JSON.parse(readFileSync(join(dir, "demo.json"), "utf8")) as { tokens: { role: string; token: string }[] };
    const researcher = state.tokens.find((t) => t.role === "researcher")!.token;
    const server = await startShell(`node api/cli/virker.mjs demo --db ${db} --port 0`, { cwd: process.cwd(), ready: /API docs:\s+http:\/\/127\.0\.0\.1:(\d+)/ });
    try {
      const port = server.match[1];
      // A researcher's read of person-level data is audited at the server's time.
      const res = await fetch(`http://127.0.0.1:${port}/v1/trials/mentor-youth/enrollments?limit=1`, { headers: { authorization: `Bearer ${researcher}` } });
      expect(res.status).toBe(200);
    } finally {
      await server.stop();
    }
    const store = await openDuckDbStore({ path: db, warn: () => {} });
    try {
      const entries = await store.readAudit("mentor-youth");
      const last = entries[entries.length - 1];
      expect(last.action).toMatch(/read|list|enrollments/);
      for (const chain of ["registry", ...(await store.listTrialIds())]) {
        const chainEntries = await store.readAudit(chain);
        for (let i = 1; i < chainEntries.length; i++) expect(chainEntries[i].at >= chainEntries[i - 1].at, `${chain} entry ${chainEntries[i].seq} at ${chainEntries[i].at} after ${chainEntries[i - 1].at}`).toBe(true);
      }
    } finally {
      await store.close();
    }
  }, 60_000);
});
