/**
 * Every command the README shows is run here, in the order a newcomer would use them, on fresh
 * folders under the system temp directory: the demo (`npm start`), tokens, the server and the
 * trial's life through curl, the CLI, the notebooks build, the Worker's dev server and a dry-run
 * deploy, and each benchmark at a small size (a smoke run: it must work, its figures are not
 * checked). A command that cannot run here (it needs a Cloudflare account, or it is `npm test`
 * itself) names who runs it, and the test checks that claim where it can. A README command with
 * no entry here, or an entry whose command left the README, fails the first test.
 *
 * Placeholders are filled in the way a reader would: `localhost:8787` is the test server's port,
 * `…` a CPR or a package id, `[--option]` either dropped or given a value. `npx virker` is run
 * literally once (the package's own bin resolves) and then as `node api/cli/virker.mjs`, the
 * same file, to save npm's start-up on each call.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { signerFromJwk } from "../../api/evidence/signing.ts";
import { pseudonymKey } from "../../api/pseudonym.ts";
import { CPR_SHAPED, cprFor, ipsEnrollment } from "../api/harness.ts";
import { readmeCommands, shell, startShell, type ShellResult } from "./readme.ts";

const ROOT = process.cwd();
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const work = mkdtempSync(join(tmpdir(), "virker-readme-"));
const demoDb = join(work, "demo", "virker.duckdb");
const apiDb = join(work, "api", "virker.duckdb");
mkdirSync(join(work, "demo"));
mkdirSync(join(work, "api"));
const hasR = existsSync("/usr/bin/Rscript") || existsSync("/usr/local/bin/Rscript");

const state: { env: Record<string, string>; port?: number; server?: { stop: () => Promise<void> }; packageId?: string; publicKey?: string } = { env: {} };
afterAll(async () => {
  await state.server?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The CLI without npm's start-up (the bin in package.json is this file). */
const cli = (command: string) => command.replace(/^npx virker /, "node api/cli/virker.mjs ");
/** A curl line against the test server, failing on an HTTP error, without the progress meter. */
const api = (command: string) => command.replace(/^curl /, "curl -sS --fail-with-body ").replaceAll("localhost:8787", `127.0.0.1:${state.port}`);

function ok(r: ShellResult, what: string): ShellResult {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`);
  expect(r.stdout + r.stderr).not.toMatch(CPR_SHAPED);
  return r;
}
const inRoot = (command: string, timeoutMs?: number) => shell(command, { cwd: ROOT, env: state.env, timeoutMs });
const inWork = (command: string) => shell(command, { cwd: work, env: state.env });

interface Step {
  /** The command exactly as the README shows it (continuations joined, comment removed). */
  readme: string;
  /** Runs it; absent when `by` names who does. */
  run?: () => Promise<void>;
  /** Who runs it when this test does not, checked by `check`. */
  by?: string;
  check?: () => void;
}

const IPS = "ips-severe-mental-illness";

/** The IPS simulator's people as a bulk-enrollment CSV for site 101 (cpr, site, consent, target_group, covariates). */
function cohortFromSimulation(dir: string): string[] {
  const [header, ...rows] = readFileSync(join(dir, "participants.csv"), "utf8").trim().split("\n").map((l) => l.split(","));
  const col = (name: string) => header.indexOf(name);
  const covariates = ["diagnosis", "wants_ordinary_work", "hours_ordinary_work", "female", "age_band", "education", "worked_last_5y", "weeks_on_benefit_prior_52"];
  const booleans = new Set(["wants_ordinary_work", "female", "worked_last_5y"]);
  const lines = [["cpr", "site", "consent", "target_group", ...covariates].join(",")];
  const cprs: string[] = [];
  for (const r of rows) {
    cprs.push(r[col("person")]);
    lines.push([r[col("person")], "101", "true", r[col("target_group")], ...covariates.map((c) => (booleans.has(c) ? String(r[col(c)] === "1") : r[col(c)]))].join(","));
  }
  writeFileSync(join(work, "cohort.csv"), lines.join("\n") + "\n");
  return cprs;
}

const steps: Step[] = [
  {
    readme: "npm install && npm start",
    // `npm install` is CI's `npm ci` on a clean clone (.ci/run); the demo runs small, on its own folder.
    run: async () => {
      const r = ok(await inRoot(`npm start -- --db ${demoDb} --port 0 --scale 0.1 --exit --fresh`, 240_000), "npm start");
      expect(r.stdout.match(/\/v1\/evidence\/ev-[0-9a-f]{32}\/report\.html/g)?.length).toBeGreaterThanOrEqual(4);
      expect(r.stdout).toMatch(/API docs:\s+http:\/\/127\.0\.0\.1:\d+\/docs/);
    },
  },
  {
    readme: "npx virker demo [--fresh] [--port 8787] [--db data/virker.duckdb] [--seed 2026] [--scale 1]",
    // The second start on the same folder reuses the data (what `npm start` does every later time).
    run: async () => {
      const r = ok(await inRoot(cli(`npx virker demo --port 0 --db ${demoDb} --seed 2026 --exit`), 120_000), "virker demo");
      expect(r.stdout).toMatch(/reusing the demo data/);
    },
  },
  {
    readme: "npm test",
    by: ".ci/run on a clean clone",
    check: () => expect(readFileSync(join(ROOT, ".ci/run"), "utf8")).toMatch(/^\s*npm test\b/m),
  },
  {
    readme: 'npx virker token create --role agency --name "STAR"',
    run: async () => {
      // Literally through npx once: the package's own bin must resolve.
      const r = ok(await inRoot(`npx virker token create --role agency --name "STAR" --db ${apiDb}`), "token create");
      state.env.AGENCY = r.stdout.trim();
      expect(state.env.AGENCY).toMatch(/^vkr_/);
    },
  },
  {
    readme: 'npx virker token create --role municipality --site 101 --name "Jobcenter København"',
    run: async () => {
      state.env.KBH = ok(await inRoot(cli(`npx virker token create --role municipality --site 101 --name "Jobcenter København" --db ${apiDb}`)), "token create").stdout.trim();
    },
  },
  {
    readme: 'npx virker token create --role researcher --name "Forsker"',
    run: async () => {
      state.env.RESEARCHER = ok(await inRoot(cli(`npx virker token create --role researcher --name "Forsker" --db ${apiDb}`)), "token create").stdout.trim();
    },
  },
  {
    readme: "npx virker serve [--db data/virker.duckdb] [--port 8787] [--protocols DIR] [--codebook FILE]",
    run: async () => {
      const server = await startShell(cli(`npx virker serve --db ${apiDb} --port 0 --protocols protocols --codebook api/register/default-codebook.yaml`), { cwd: ROOT, ready: /virker serving on http:\/\/127\.0\.0\.1:(\d+)/ });
      state.server = server;
      state.port = Number(server.match[1]);
    },
  },
  {
    readme: `curl -X POST localhost:8787/v1/trials -H "authorization: Bearer $AGENCY" -H 'content-type: application/json' -d '{"protocol_id":"${IPS}"}'`,
    run: async () => {
      const r = ok(await inWork(api(`curl -X POST localhost:8787/v1/trials -H "authorization: Bearer $AGENCY" -H 'content-type: application/json' -d '{"protocol_id":"${IPS}"}'`)), "register");
      expect(JSON.parse(r.stdout).seed_commitment).toMatch(/^[0-9a-f]{64}$/);
    },
  },
  {
    readme: `curl -X POST localhost:8787/v1/trials/${IPS}/open -H "authorization: Bearer $AGENCY"`,
    run: async () => void ok(await inWork(api(`curl -X POST localhost:8787/v1/trials/${IPS}/open -H "authorization: Bearer $AGENCY"`)), "open"),
  },
  {
    readme: `curl -X POST localhost:8787/v1/trials/${IPS}/enrollments -H "authorization: Bearer $KBH" -H 'content-type: application/json' -d '{"cpr":"…","site":"101","target_group":"kontanthjaelp_aktivitetsparat","covariates":{…},"consent":true}'`,
    run: async () => {
      const covariates = JSON.stringify(ipsEnrollment(cprFor(1), "101").covariates);
      const body = `{"cpr":"…","site":"101","target_group":"kontanthjaelp_aktivitetsparat","covariates":{…},"consent":true}`.replace('"…"', JSON.stringify(cprFor(1))).replace("{…}", covariates);
      const command = api(`curl -X POST localhost:8787/v1/trials/${IPS}/enrollments -H "authorization: Bearer $KBH" -H 'content-type: application/json' -d '${body}'`);
      // The caller's own CPR is in the command, not in the answer.
      const r = await inWork(command);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(CPR_SHAPED);
      expect(JSON.parse(r.stdout)).toMatchObject({ site: "101", arm: expect.any(String) });
    },
  },
  {
    readme: "npx virker simulate --protocol protocols/mentor-youth.yaml --n 500 --seed 1 --out sim/",
    run: async () => {
      ok(await inWork(`node ${ROOT}/api/cli/virker.mjs simulate --protocol ${ROOT}/protocols/mentor-youth.yaml --n 500 --seed 1 --out sim/`), "simulate");
      expect(readdirSync(join(work, "sim")).sort()).toEqual(["enrollments.json", "participants.csv", "register.csv", "truth.json"]);
      // The cohort and register extract of the steps below: the IPS simulator's people.
      ok(await inWork(`node ${ROOT}/api/cli/virker.mjs simulate --protocol ${ROOT}/protocols/${IPS}.yaml --n 60 --seed 2 --out ips-sim/`), "simulate ips");
      cohortFromSimulation(join(work, "ips-sim"));
      writeFileSync(join(work, "extract.csv"), readFileSync(join(work, "ips-sim", "register.csv")));
    },
  },
  {
    readme: `curl -X POST localhost:8787/v1/trials/${IPS}/enrollments/bulk -H "authorization: Bearer $KBH" -H 'content-type: text/csv' --data-binary @cohort.csv`,
    run: async () => {
      const r = ok(await inWork(api(`curl -X POST localhost:8787/v1/trials/${IPS}/enrollments/bulk -H "authorization: Bearer $KBH" -H 'content-type: text/csv' --data-binary @cohort.csv`)), "bulk");
      const results = (JSON.parse(r.stdout) as { results: { status: number; participant_id?: string; arm?: string }[] }).results;
      // The simulator's people were eligible on its own dates; enrolled today, one may have aged out.
      const refused = results.filter((x) => x.status !== 201) as unknown as { status: number; error: { issues: { code: string }[] } }[];
      expect(refused.filter((x) => x.status !== 422 || x.error.issues.some((i) => i.code !== "age")), "rows refused for another reason than age").toEqual([]);
      expect(results.length - refused.length).toBeGreaterThanOrEqual(50);
      // Outcomes as the site records them, so that the analysis below has data (not a README command).
      const today = new Date().toISOString().slice(0, 10);
      const values = results.filter((x) => x.status === 201).map((x, i) => ({ participant_id: x.participant_id, outcome: "work_or_education_78w", value: (i * 7 + (x.arm === "usual" ? 0 : 3)) % 5 < 2 ? 1 : 0, observed_at: today }));
      const res = await fetch(`http://127.0.0.1:${state.port}/v1/trials/${IPS}/outcomes`, { method: "POST", headers: { authorization: `Bearer ${state.env.KBH}`, "content-type": "application/json" }, body: JSON.stringify({ values }) });
      expect(res.status).toBe(201);
    },
  },
  {
    readme: `curl -X POST "localhost:8787/v1/trials/${IPS}/registers?person_key=cpr" -H "authorization: Bearer $RESEARCHER" -H 'content-type: text/csv' --data-binary @extract.csv`,
    run: async () => {
      const r = ok(await inWork(api(`curl -X POST "localhost:8787/v1/trials/${IPS}/registers?person_key=cpr" -H "authorization: Bearer $RESEARCHER" -H 'content-type: text/csv' --data-binary @extract.csv`)), "registers");
      // The extract's people are the cohort's: every enrolled person is found in it.
      const report = JSON.parse(r.stdout) as { import: { participants: { total: number; inExtract: number } } };
      expect(report.import.participants.total).toBeGreaterThanOrEqual(50);
      expect(report.import.participants.inExtract).toBeGreaterThanOrEqual(50);
    },
  },
  {
    readme: `curl -X POST localhost:8787/v1/trials/${IPS}/analyses -H "authorization: Bearer $RESEARCHER"`,
    run: async () => {
      const r = ok(await inWork(api(`curl -X POST localhost:8787/v1/trials/${IPS}/analyses -H "authorization: Bearer $RESEARCHER"`)), "analyses");
      state.packageId = (JSON.parse(r.stdout) as { id: string }).id;
      expect(state.packageId).toMatch(/^ev-[0-9a-f]{32}$/);
    },
  },
  {
    readme: 'curl -X POST localhost:8787/v1/evidence/ev-…/publish -H "authorization: Bearer $AGENCY"',
    run: async () => {
      const r = ok(await inWork(api(`curl -X POST localhost:8787/v1/evidence/${state.packageId}/publish -H "authorization: Bearer $AGENCY"`)), "publish");
      expect(JSON.parse(r.stdout).status).toBe("published");
    },
  },
  {
    readme: "curl localhost:8787/v1/evidence",
    run: async () => {
      const r = ok(await inWork(api("curl localhost:8787/v1/evidence")), "evidence list");
      expect(r.stdout).toContain(state.packageId);
    },
  },
  {
    readme: "curl localhost:8787/v1/evidence/ev-…/report.html",
    run: async () => {
      const r = ok(await inWork(api(`curl localhost:8787/v1/evidence/${state.packageId}/report.html`)), "report");
      expect(r.stdout).toMatch(/<html[\s>]/);
    },
  },
  {
    readme: "curl localhost:8787/v1/keys",
    run: async () => {
      const r = ok(await inWork(api("curl localhost:8787/v1/keys")), "keys");
      state.publicKey = (JSON.parse(r.stdout) as { keys: { public_key: string }[] }).keys[0].public_key;
    },
  },
  {
    readme: "npx virker verify <package-dir> [--key <public key>]",
    run: async () => {
      const r = ok(await inRoot(cli(`npx virker verify ${join(work, "api", "evidence", state.packageId!)}`)), "verify");
      expect(r.stdout).toMatch(/^OK: /m);
    },
  },
  {
    readme: "npx virker verify data/evidence/ev-… [--key <public key from /v1/keys>]",
    run: async () => {
      ok(await inRoot(cli(`npx virker verify ${join(work, "api", "evidence", state.packageId!)} --key ${state.publicKey}`)), "verify --key");
      // A key that did not sign it is refused.
      const other = await inRoot(cli(`npx virker verify ${join(work, "api", "evidence", state.packageId!)} --key ${"A".repeat(43)}`));
      expect(other.code).toBe(1);
    },
  },
  {
    readme: "npx virker import register --trial <id> --file extract.csv [--codebook FILE] [--person-key cpr|pseudonym] [--layout long|wide]",
    // The CLI import writes to the database directly, so the server stops first (one writer).
    run: async () => {
      await state.server?.stop();
      state.server = undefined;
      ok(await inWork(`node ${ROOT}/api/cli/virker.mjs import register --trial ${IPS} --file extract.csv --codebook ${ROOT}/api/register/default-codebook.yaml --person-key cpr --layout long --db ${apiDb}`), "import register");
    },
  },
  {
    readme: "npx virker key create signing|pseudonym",
    run: async () => {
      const signing = JSON.parse(ok(await inRoot(cli("npx virker key create signing")), "key create signing").stdout) as Record<string, string>;
      expect(signing).toMatchObject({ kty: "OKP", crv: "Ed25519", d: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
      const signer = await signerFromJwk(signing as unknown as JsonWebKey);
      expect(signer.publicKey).toBe(signing.x);
      const pseudonym = ok(await inRoot(cli("npx virker key create pseudonym")), "key create pseudonym").stdout.trim();
      expect(pseudonym).toMatch(/^[0-9a-f]{64}$/);
      expect(pseudonymKey(pseudonym).bytes).toHaveLength(32);
    },
  },
  {
    readme: "npx virker protocol validate protocols/*.yaml",
    run: async () => void ok(await inRoot(cli("npx virker protocol validate protocols/*.yaml")), "protocol validate"),
  },
  {
    readme: "npx virker protocol hash protocols/mentor-youth.yaml",
    run: async () => expect(ok(await inRoot(cli("npx virker protocol hash protocols/mentor-youth.yaml")), "protocol hash").stdout.trim()).toMatch(/^[0-9a-f]{64}$/),
  },
  {
    readme: "npx virker allocate --protocol P.yaml --seed <64 hex> --participants people.csv [--out allocations.csv]",
    run: async () => {
      writeFileSync(join(work, "people.csv"), ["id,site", ...Array.from({ length: 20 }, (_, i) => `P${i + 1},${i % 2 ? "101" : "751"}`)].join("\n") + "\n");
      ok(await inWork(`node ${ROOT}/api/cli/virker.mjs allocate --protocol ${ROOT}/protocols/${IPS}.yaml --seed ${"0123456789abcdef".repeat(4)} --participants people.csv --out allocations.csv`), "allocate");
      expect(readFileSync(join(work, "allocations.csv"), "utf8").trim().split("\n")).toHaveLength(21);
    },
  },
  {
    readme: "npx virker analyze --protocol protocols/examples/nsw-lalonde.yaml --data ../shared/reference/lalonde_nsw.csv --out out/",
    run: async () => {
      ok(await inRoot(cli(`npx virker analyze --protocol protocols/examples/nsw-lalonde.yaml --data ../shared/reference/lalonde_nsw.csv --out ${join(work, "out")}/`)), "analyze");
      expect(existsSync(join(work, "out", "evidence.json"))).toBe(true);
    },
  },
  {
    readme: "npm run notebooks:build -- --evidence DIR --out DIR",
    run: async () => {
      ok(await inRoot(`npm run notebooks:build -- --evidence ${join(work, "demo", "evidence")} --out ${join(work, "notebooks")}`, 240_000), "notebooks:build");
      expect(existsSync(join(work, "notebooks", "index.html"))).toBe(true);
    },
  },
  {
    readme: "npm run notebooks:build",
    by: "the line above with its default folders (data/evidence/ into notebooks/dist/), left out so the test writes nothing into the working tree",
    check: () => expect(readFileSync(join(ROOT, "notebooks/build.ts"), "utf8")).toMatch(/data\/evidence/),
  },
  {
    readme: "npm run dev:worker",
    run: async () => {
      const dev = await startShell("npm run dev:worker", { cwd: ROOT, ready: /Ready on http:\/\/127\.0\.0\.1:8788/, timeoutMs: 90_000 });
      try {
        const res = await fetch("http://127.0.0.1:8788/v1/protocols");
        expect(res.status).toBe(200);
        // The dev-only signing key is set, so analyses can be signed on the dev Worker.
        const keys = (await (await fetch("http://127.0.0.1:8788/v1/keys")).json()) as { keys: { alg: string }[] };
        expect(keys.keys).toEqual([expect.objectContaining({ alg: "Ed25519" })]);
      } finally {
        await dev.stop();
      }
    },
  },
  { readme: "npx wrangler login", by: "whoever deploys: it needs a Cloudflare account and the network" },
  { readme: "npx wrangler secret put VIRKER_PSEUDONYM_KEY", by: "whoever deploys (a Cloudflare account)" },
  { readme: "npx wrangler secret put VIRKER_ADMIN_TOKEN", by: "whoever deploys (a Cloudflare account)" },
  { readme: "npx wrangler secret put VIRKER_SIGNING_KEY", by: "whoever deploys (a Cloudflare account)" },
  {
    readme: "npx wrangler deploy",
    // Without an account: bundle exactly what would be uploaded, and stop there.
    run: async () => {
      ok(await inRoot(`WRANGLER_SEND_METRICS=false npx wrangler deploy --dry-run --outdir ${join(work, "worker-bundle")}`, 180_000), "wrangler deploy --dry-run");
      expect(existsSync(join(work, "worker-bundle", "worker.js"))).toBe(true);
    },
  },
  {
    readme: "npm run bench:estimators -- /tmp/bench-1m.csv --r",
    run: async () => {
      if (!hasR) return console.warn("README bench:estimators: R is not installed here, so it is not run");
      ok(await inWork(`Rscript ${ROOT}/../shared/bench/make_data.R 2000 bench-small.csv`), "make_data.R");
      const r = ok(await inRoot(`npm run bench:estimators -- ${join(work, "bench-small.csv")} --runs 1 --r`, 180_000), "bench:estimators");
      expect(r.stdout).toMatch(/\t/);
    },
  },
  { readme: "npm run bench:enroll", run: async () => void ok(await inRoot("npm run bench:enroll -- --seconds 0.5 --runs 1 --connections 8 --bulk-rows 1000", 180_000), "bench:enroll") },
  {
    readme: "npm run bench:enroll -- --without-store-write",
    run: async () => {
      const r = ok(await inRoot("npm run bench:enroll -- --seconds 0.5 --runs 1 --connections 8 --bulk-rows 1000 --without-store-write", 180_000), "bench:enroll --without-store-write");
      expect(r.stdout).toMatch(/^no store write\s+8 conn/m);
    },
  },
  { readme: "npx tsx bench/duckdb-commit.ts", run: async () => expect(ok(await inRoot("npx tsx bench/duckdb-commit.ts --batches 1,8 --rows 100", 120_000), "duckdb-commit").stdout).toMatch(/^\s+8\s+12\s/m) },
  { readme: "npm run bench:register -- --persons 100000 --weeks 100", run: async () => void ok(await inRoot("npm run bench:register -- --persons 300 --weeks 80", 120_000), "bench:register") },
  { readme: "npx tsx bench/predictability.ts", run: async () => expect(ok(await inRoot("npx tsx bench/predictability.ts", 120_000), "predictability").stdout).toMatch(/\|/) },
  { readme: "npm run bench:worker", run: async () => void ok(await inRoot("npm run bench:worker -- --seconds 0.5 --connections 8", 240_000), "bench:worker") },
  { readme: "npm run bench:evidence", run: async () => void ok(await inRoot("npm run bench:evidence -- --n 600 --draws 200 --runs 1", 120_000), "bench:evidence") },
  { readme: "npx tsx bench/notebooks.ts", by: "the notebooks' Chromium test opens the same pages (tests/browser/); the benchmark's five timed loads per page are left to whoever measures" },
];

describe("README", () => {
  it("every shell command it shows is run below, or names who runs it", () => {
    const commands = readmeCommands(README);
    expect(commands.length).toBeGreaterThan(20);
    const known = new Set(steps.map((s) => s.readme));
    expect(commands.filter((c) => !known.has(c)), "README commands without a step here").toEqual([]);
    expect(steps.map((s) => s.readme).filter((c) => !commands.includes(c)), "steps whose command left the README").toEqual([]);
    for (const s of steps) {
      expect(s.run !== undefined || s.by !== undefined, s.readme).toBe(true);
      s.check?.();
    }
  });

  describe.sequential("commands, in a newcomer's order", () => {
    for (const s of steps.filter((x) => x.run)) it(s.readme, () => s.run!(), 300_000);
  });
});
