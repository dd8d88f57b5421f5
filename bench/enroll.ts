/**
 * Enrollments per second through HTTP, next to a bare Hono route in the same run (the ceiling).
 *
 *   npx tsx bench/enroll.ts [--seconds 5] [--runs 3] [--connections 8,16,32,64] [--bulk-rows 10000,100000] [--cpu-prof DIR] [--without-store-write]
 *
 * Both servers run as child processes on 127.0.0.1; this process is the load generator (keep-alive
 * connections, one request in flight per connection). The enrollment server writes to a fresh
 * DuckDB file with its WAL, so every acknowledged enrollment is durable. Prints requests/s, p50 and
 * p99 latency per connection count, and the ratio to the bare route (`--connections ""` skips this),
 * then GET audit?limit=1 on the chain those enrollments filled (8 connections).
 * Then bulk uploads, one per `--bulk-rows` size, each a CSV of that many citizens to a trial of its
 * own, timed from the first byte sent to the last byte of the per-row answer (rows/s), with every row
 * checked to be enrolled.
 * Each measurement runs `--runs` times (bare route and enrollment alternating) and a `median` line
 * follows: on a shared machine one run's rate moves by a quarter or more.
 * `--without-store-write` (a diagnostic; nothing is durable) runs the same against a server whose
 * store validates each batch write and skips it (bench/enroll-server.ts): set beside a normal run, it
 * splits an enrollment's cost into the DuckDB write and everything else.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { main } from "../api/cli/main.ts";
import { load, nextCpr, quantile, type Run } from "./http-load.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    runs: { type: "string", default: "3" },
    connections: { type: "string", default: "8,16,32,64" },
    "bulk-rows": { type: "string", default: "10000,100000" },
    "cpu-prof": { type: "string" },
    "without-store-write": { type: "boolean", default: false },
  },
});
const skipWrite = values["without-store-write"];
/** What the enrollment lines measure. */
const ENROLLMENT = skipWrite ? "no store write" : "durable enrollment";
const seconds = Number(values.seconds);
const runs = Math.max(1, Number(values.runs));
const connectionCounts = values.connections!.split(",").filter(Boolean).map(Number);

const dir = mkdtempSync(join(tmpdir(), "virker-bench-enroll-"));
const db = join(dir, "bench.duckdb");
const protocols = join(dir, "protocols");
mkdirSync(protocols);
// The IPS protocol without caps or closing dates, so the load never runs into a site's limit.
writeFileSync(
  join(protocols, "ips.yaml"),
  readFileSync("protocols/ips-severe-mental-illness.yaml", "utf8").replace(/from: "2026-\d\d-\d\d", to: "2027-08-31" \}, cap: \d+/g, 'from: "2020-01-01" }'),
);
const env = { ...process.env, VIRKER_PSEUDONYM_KEY: "b".repeat(64) };
const children: ChildProcess[] = [];

async function cli(args: string[]): Promise<string> {
  let out = "";
  if ((await main(args, { out: (t) => void (out += t), err: () => {} })) !== 0) throw new Error(`virker ${args.join(" ")} failed`);
  return out.trim();
}

function start(args: string[]): Promise<number> {
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c) => {
      out += c;
      const m = /127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on("exit", (code) => reject(new Error(`server exited (${code})`)));
  });
}

const SITES = ["101", "751", "461", "851"];

/**
 * CPU seconds (user + system) a child process has used, in all and on its main (JavaScript) thread,
 * from /proc (Linux; null elsewhere). Shown per request next to the rates: on a shared machine the
 * rate moves with the load, the CPU cost per request much less. The rest of the process's CPU is
 * DuckDB's threads and libuv's pool (DuckDB queries, COMMIT, file writes).
 */
interface Cpu {
  all: number;
  main: number;
}
function cpuSeconds(pid: number | undefined): Cpu | null {
  const ticks = (file: string) => {
    const fields = readFileSync(file, "utf8").replace(/^.*\) /, "").split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  try {
    return { all: ticks(`/proc/${pid}/stat`), main: ticks(`/proc/${pid}/task/${pid}/stat`) };
  } catch {
    return null;
  }
}

/** CPU microseconds per item (request or row) between two readings, or null. */
function cpuPer(before: Cpu | null, after: Cpu | null, items: number): Cpu | null {
  if (before === null || after === null || items === 0) return null;
  return { all: ((after.all - before.all) * 1e6) / items, main: ((after.main - before.main) * 1e6) / items };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

function medianCpu(cpus: Array<Cpu | null>): Cpu | null {
  const known = cpus.filter((c) => c !== null);
  return known.length === 0 ? null : { all: median(known.map((c) => c.all)), main: median(known.map((c) => c.main)) };
}

const cpuText = (cpu: Cpu | null, unit: string) => (cpu === null ? "" : `  server CPU ${cpu.all.toFixed(0)} µs/${unit} (main thread ${cpu.main.toFixed(0)})`);

/** One measured run: rate, latency quantiles and the server's CPU per request (null off Linux). */
interface Measured {
  rate: number;
  p50: number;
  p99: number;
  cpu: Cpu | null;
  errors: number;
}

function measured(run: Run, before: Cpu | null, after: Cpu | null): Measured {
  const sorted = run.latencies.sort((a, b) => a - b);
  return { rate: run.requests / seconds, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), cpu: cpuPer(before, after, run.requests), errors: run.errors };
}

/** The median of each figure over runs (each figure on its own). */
function medianOf(ms: Measured[]): Measured {
  return {
    rate: median(ms.map((m) => m.rate)),
    p50: median(ms.map((m) => m.p50)),
    p99: median(ms.map((m) => m.p99)),
    cpu: medianCpu(ms.map((m) => m.cpu)),
    errors: ms.reduce((n, m) => n + m.errors, 0),
  };
}

function report(label: string, connections: number, m: Measured): void {
  const cpu = cpuText(m.cpu, "request");
  console.log(
    `${label.padEnd(22)} ${String(connections).padStart(3)} conn  ${m.rate.toFixed(0).padStart(7)} req/s  p50 ${m.p50.toFixed(2).padStart(6)} ms  p99 ${m.p99.toFixed(2).padStart(7)} ms  errors ${m.errors}${cpu}`,
  );
}

try {
  const agency = await cli(["token", "create", "--db", db, "--role", "agency", "--name", "bench"]);
  const siteTokens = new Map<string, string>();
  for (const site of SITES) siteTokens.set(site, await cli(["token", "create", "--db", db, "--role", "municipality", "--site", site, "--name", `bench ${site}`]));
  // --cpu-prof DIR: the enrollment server writes a V8 CPU profile there when it stops.
  const profile = values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${values["cpu-prof"]}`] : [];
  const server = skipWrite ? ["--import", "tsx", "bench/enroll-server.ts", "--db", db] : ["api/cli/virker.mjs", "serve", "--db", db, "--port", "0"];
  const port = await start([...profile, ...server, "--protocols", protocols]);
  const barePort = await start(["--import", "tsx", "bench/bare-hono.ts"]);
  const post = async (path: string, body: unknown) =>
    (await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", headers: { authorization: `Bearer ${agency}`, "content-type": "application/json" }, body: JSON.stringify(body) })).status;
  if ((await post("/v1/trials", { protocol_id: "ips-severe-mental-illness", trial_id: "bench" })) !== 201) throw new Error("register failed");
  if ((await post("/v1/trials/bench/open", {})) !== 200) throw new Error("open failed");
  const covariates = { diagnosis: "bipolar", wants_ordinary_work: true, hours_ordinary_work: 0, female: true, age_band: "30-44", education: "basic", worked_last_5y: false, weeks_on_benefit_prior_52: 40 };
  let k = 0;
  const enrollment = () => {
    const site = SITES[k++ % SITES.length];
    const body = JSON.stringify({ cpr: nextCpr(), site, target_group: "kontanthjaelp_aktivitetsparat", covariates, consent: true });
    return { method: "POST", path: "/v1/trials/bench/enrollments", headers: { authorization: `Bearer ${siteTokens.get(site)}`, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }, body };
  };
  // Warm-up, not reported: both servers' code compiled and hot before the first measured run.
  if (connectionCounts.length > 0) {
    await load(barePort, 1, 8, () => ({ method: "GET", path: "/", headers: {} }), [200]);
    await load(port, 2, 8, enrollment, [201]);
  }
  console.log(`# ${seconds} s per run, ${runs} run(s) each, after a warm-up; machine load average at start: ${(await import("node:os")).loadavg()[0].toFixed(2)}`);
  if (skipWrite) console.log("# DIAGNOSTIC: the store validates each batch write and skips it; nothing is durable (bench/enroll-server.ts)");
  for (const connections of connectionCounts) {
    const bares: Measured[] = [];
    const enrolls: Measured[] = [];
    for (let r = 0; r < runs; r++) {
      const bareCpu0 = cpuSeconds(children[1].pid);
      const bareRun = await load(barePort, seconds, connections, () => ({ method: "GET", path: "/", headers: {} }), [200]);
      bares.push(measured(bareRun, bareCpu0, cpuSeconds(children[1].pid)));
      report("bare Hono route", connections, bares[r]);
      const cpu0 = cpuSeconds(children[0].pid);
      const run = await load(port, seconds, connections, enrollment, [201]);
      enrolls.push(measured(run, cpu0, cpuSeconds(children[0].pid)));
      report(ENROLLMENT, connections, enrolls[r]);
    }
    const bare = medianOf(bares);
    const enroll = medianOf(enrolls);
    if (runs > 1) {
      report("median: bare route", connections, bare);
      report(`median: ${skipWrite ? "no store write" : "enrollment"}`, connections, enroll);
    }
    console.log(`${"".padEnd(22)}     enrollment / bare route = ${(enroll.rate / bare.rate).toFixed(3)}${runs > 1 ? " (medians)" : ""}`);
  }
  // The audit log's first page, as a dashboard polls it: GET audit?limit=1 (agency), after the
  // enrollments above have filled the chain.
  if (connectionCounts.length > 0) {
    const audit = await load(port, seconds, 8, () => ({ method: "GET", path: "/v1/trials/bench/audit?limit=1", headers: { authorization: `Bearer ${agency}` } }), [200]);
    report("GET audit?limit=1", 8, measured(audit, null, null));
  }
  let upload = 0;
  for (const bulkRows of values["bulk-rows"]!.split(",").filter(Boolean).map(Number)) {
    const uploads: Array<{ rate: number; cpu: Cpu | null }> = [];
    for (let r = 0; r < runs; r++) {
      const trial = `bench-bulk-${++upload}`;
      if ((await post("/v1/trials", { protocol_id: "ips-severe-mental-illness", trial_id: trial })) !== 201) throw new Error("register failed");
      if ((await post(`/v1/trials/${trial}/open`, {})) !== 200) throw new Error("open failed");
      const header = "cpr,site,consent,target_group,diagnosis,wants_ordinary_work,hours_ordinary_work,female,age_band,education,worked_last_5y,weeks_on_benefit_prior_52";
      const lines = [header];
      for (let i = 0; i < bulkRows; i++) lines.push(`${nextCpr()},101,true,kontanthjaelp_aktivitetsparat,bipolar,true,0,${i % 2 === 0},30-44,basic,false,40`);
      const csv = lines.join("\n") + "\n";
      const cpu0 = cpuSeconds(children[0].pid);
      const t0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/v1/trials/${trial}/enrollments/bulk`, {
        method: "POST",
        headers: { authorization: `Bearer ${siteTokens.get("101")}`, "content-type": "text/csv" },
        body: csv,
      });
      const answer = (await res.json()) as { enrolled: number; failed: number };
      const elapsed = (performance.now() - t0) / 1000;
      if (res.status !== 200 || answer.enrolled !== bulkRows) throw new Error(`bulk upload: ${res.status}, ${answer.enrolled} of ${bulkRows} enrolled, ${answer.failed} failed`);
      const result = { rate: bulkRows / elapsed, cpu: cpuPer(cpu0, cpuSeconds(children[0].pid), bulkRows) };
      uploads.push(result);
      console.log(`${(skipWrite ? "bulk, no store write" : "bulk enrollment (CSV)").padEnd(22)} ${bulkRows} rows, ${(csv.length / 1048576).toFixed(1)} MiB  ${elapsed.toFixed(2)} s  ${result.rate.toFixed(0).padStart(7)} rows/s${cpuText(result.cpu, "row")}`);
    }
    if (runs > 1) {
      console.log(`${(skipWrite ? "median: bulk, no write" : "median: bulk (CSV)").padEnd(22)} ${bulkRows} rows  ${median(uploads.map((u) => u.rate)).toFixed(0).padStart(7)} rows/s${cpuText(medianCpu(uploads.map((u) => u.cpu)), "row")}`);
    }
  }
} finally {
  for (const child of children) child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, values["cpu-prof"] ? 3000 : 300));
  rmSync(dir, { recursive: true, force: true });
}
