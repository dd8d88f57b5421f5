/**
 * Enrollments per second into ONE trial through the Worker under `wrangler dev` (local workerd, one
 * Durable Object for the trial), next to the Node server on DuckDB in the same run.
 *
 *   npx tsx bench/worker-enroll.ts [--seconds 5] [--connections 8,32]
 *
 * These are local-workerd figures on this machine, not production Cloudflare figures: there, each
 * request also crosses the network to the trial object's location, and the object's storage
 * commits are replicated. Both servers run on 127.0.0.1 as child processes; this process is the
 * load generator (keep-alive connections, one request in flight per connection). Both get the same
 * protocol: the shipped IPS protocol with its site caps and closing dates lifted, so the load never
 * runs into a site's limit. wrangler runs on a temporary copy of the sources (with that protocol)
 * and persists to a temporary folder; no network is used (the offline settings of STACK.md).
 * Next to the enrollments, each server's ceilings in the same run: GET /health (no store) and a
 * read of one audit entry (through the trial's store; on the Worker, inside its object).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { main } from "../api/cli/main.ts";
import { load, nextCpr, quantile, type Run } from "./http-load.ts";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" }, connections: { type: "string", default: "8,32" } } });
const seconds = Number(values.seconds);
const connectionCounts = values.connections!.split(",").map(Number);

const root = resolve(".");
const dir = mkdtempSync(join(tmpdir(), "virker-bench-worker-"));
const IPS = readFileSync("protocols/ips-severe-mental-illness.yaml", "utf8").replace(/from: "2026-\d\d-\d\d", to: "2027-08-31" \}, cap: \d+/g, 'from: "2020-01-01" }');
const KEY = "b".repeat(64);
const ADMIN = "bench-only-admin-token-not-a-secret-0";
const children: ChildProcess[] = [];

// The Node server's protocol folder and database.
const protocols = join(dir, "protocols");
mkdirSync(protocols);
writeFileSync(join(protocols, "ips.yaml"), IPS);
const db = join(dir, "bench.duckdb");

// The Worker's sources: a copy, with the same protocol in place of the shipped one.
const src = join(dir, "worker-src");
mkdirSync(src);
for (const part of ["api", "analysis", "protocols", "wrangler.toml", "package.json", "tsconfig.json"]) cpSync(join(root, part), join(src, part), { recursive: true });
writeFileSync(join(src, "protocols", "ips-severe-mental-illness.yaml"), IPS);
symlinkSync(join(root, "node_modules"), join(src, "node_modules"));

const offline = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
};

async function cli(args: string[]): Promise<string> {
  let out = "";
  if ((await main(args, { out: (t) => void (out += t), err: () => {} })) !== 0) throw new Error(`virker ${args.join(" ")} failed`);
  return out.trim();
}

/** Starts a child and resolves with the port it prints as 127.0.0.1:PORT. */
function start(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; ready?: RegExp }): Promise<number> {
  const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  children.push(child);
  return new Promise((resolvePort, reject) => {
    let out = "";
    let ready = options.ready === undefined;
    if (ready) resolvePort(0);
    const seen = (c: Buffer) => {
      // After start-up the output is drained, not kept: wrangler logs every request.
      if (ready) return;
      out += c;
      const m = options.ready!.exec(out);
      if (m) {
        ready = true;
        resolvePort(Number(m[1]));
      }
    };
    child.stdout!.on("data", seen);
    child.stderr!.on("data", seen);
    child.on("exit", (code) => {
      if (!ready) reject(new Error(`${command} exited (${code}):\n${out.slice(-2000)}`));
    });
  });
}

/** A port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = net.createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => done(port));
    });
  });
}

/** Polls a URL until it answers 200 (at most two minutes). */
async function waitFor(url: string): Promise<void> {
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer within two minutes`);
}


function report(label: string, connections: number, run: Run, unit = "enrollments/s"): void {
  const sorted = run.latencies.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(56)} ${String(connections).padStart(3)} conn  ${(run.requests / seconds).toFixed(0).padStart(6)} ${unit.padEnd(13)}  ` +
      `p50 ${quantile(sorted, 0.5).toFixed(2).padStart(6)} ms  p99 ${quantile(sorted, 0.99).toFixed(2).padStart(7)} ms  errors ${run.errors}`,
  );
}

const SITES = ["101", "751", "461", "851"];
const covariates = { diagnosis: "bipolar", wants_ordinary_work: true, hours_ordinary_work: 0, female: true, age_band: "30-44", education: "basic", worked_last_5y: false, weeks_on_benefit_prior_52: 40 };

async function prepare(port: number, agency: string, trial: string): Promise<void> {
  const post = async (path: string, body?: unknown) =>
    (await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", headers: { authorization: `Bearer ${agency}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) })).status;
  if ((await post("/v1/trials", { protocol_id: "ips-severe-mental-illness", trial_id: trial })) !== 201) throw new Error(`register ${trial} failed`);
  if ((await post(`/v1/trials/${trial}/open`, {})) !== 200) throw new Error(`open ${trial} failed`);
}

async function measure(label: string, port: number, siteTokens: Map<string, string>, trial: string, agency: string): Promise<void> {
  for (const connections of connectionCounts) {
    // Ceilings of the same server: a route without the store, and a read served by the trial's store.
    report(`${label}: GET /health`, connections, await load(port, seconds, connections, () => ({ method: "GET", path: "/health", headers: {} }), [200]), "requests/s");
    const read = { method: "GET", path: `/v1/trials/${trial}/audit?limit=1`, headers: { authorization: `Bearer ${agency}` } };
    report(`${label}: GET one audit entry`, connections, await load(port, seconds, connections, () => read, [200]), "requests/s");
    let k = 0;
    const run = await load(port, seconds, connections, () => {
      const site = SITES[k++ % SITES.length];
      const body = JSON.stringify({ cpr: nextCpr(), site, target_group: "kontanthjaelp_aktivitetsparat", covariates, consent: true });
      return { path: `/v1/trials/${trial}/enrollments`, headers: { authorization: `Bearer ${siteTokens.get(site)}`, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }, body };
    }, [201]);
    report(`${label}: POST enrollment`, connections, run);
  }
}

try {
  // Node server on DuckDB.
  const agency = await cli(["token", "create", "--db", db, "--role", "agency", "--name", "bench"]);
  const nodeTokens = new Map<string, string>();
  for (const site of SITES) nodeTokens.set(site, await cli(["token", "create", "--db", db, "--role", "municipality", "--site", site, "--name", `bench ${site}`]));
  const nodePort = await start(process.execPath, ["api/cli/virker.mjs", "serve", "--db", db, "--port", "0", "--protocols", protocols], { env: { VIRKER_PSEUDONYM_KEY: KEY }, ready: /127\.0\.0\.1:(\d+)/ });
  await prepare(nodePort, agency, "bench");

  // The Worker under wrangler dev (local workerd), quiet: it would otherwise log every request.
  const workerPort = await freePort();
  await start(
    join(root, "node_modules/.bin/wrangler"),
    ["dev", "--local", "--ip", "127.0.0.1", "--port", String(workerPort), "--show-interactive-dev-session=false", "--log-level", "warn", "--persist-to", join(dir, "wrangler-state"), "--var", `VIRKER_PSEUDONYM_KEY:${KEY}`, "--var", `VIRKER_ADMIN_TOKEN:${ADMIN}`],
    { cwd: src, env: offline },
  );
  await waitFor(`http://127.0.0.1:${workerPort}/health`);
  const adminToken = async (spec: object) => {
    const res = await fetch(`http://127.0.0.1:${workerPort}/v1/admin/tokens`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: JSON.stringify(spec) });
    if (res.status !== 201) throw new Error(`admin token: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  };
  const workerAgency = await adminToken({ role: "agency", name: "bench" });
  const workerTokens = new Map<string, string>();
  for (const site of SITES) workerTokens.set(site, await adminToken({ role: "municipality", site, name: `bench ${site}` }));
  await prepare(workerPort, workerAgency, "bench");

  console.log(`# ${seconds} s per run, one trial per server; machine load average at start: ${(await import("node:os")).loadavg()[0].toFixed(2)}`);
  console.log("# Worker figures are local workerd (wrangler dev) on this machine, not production Cloudflare.");
  await measure("Node server, DuckDB", nodePort, nodeTokens, "bench", agency);
  await measure("Worker, one Durable Object (local)", workerPort, workerTokens, "bench", workerAgency);
} finally {
  for (const child of children) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  await new Promise((r) => setTimeout(r, 500));
  rmSync(dir, { recursive: true, force: true });
}
