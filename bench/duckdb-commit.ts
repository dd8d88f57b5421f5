/**
 * What one DuckDB write transaction of the store costs, by batch size: the floor under enrollment
 * throughput. Each commit is what the store does for a batch of enrollments: BEGIN, the enrollment
 * rows and their audit entries through the store's own Appender writers (each ends in a flush),
 * COMMIT (the write-ahead log synced). Rows and audit hashes are made before the clock starts.
 *
 *     npx tsx bench/duckdb-commit.ts [--batches 1,8,64,5000] [--rows 20000] [--no-constraints]
 *
 * Prints per commit the medians of BEGIN, append + flush and COMMIT (wall time as the caller sees
 * it), then the CPU per commit on the JavaScript thread (append + flush run there, synchronously) and
 * in the whole process (COMMIT runs on libuv's pool), and per row. `--no-constraints` runs the same
 * on copies of the two tables without any constraints (UNIQUE, PRIMARY KEY, NOT NULL), for
 * comparison only (the store never runs that way).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { linkAudit, type AuditEntry } from "../api/audit.ts";
import { pseudonymize, pseudonymKey, publicParticipantId } from "../api/pseudonym.ts";
import { appendAuditRows, appendEnrollments, nodeSha256Hex } from "../api/store/duckdb-rows.ts";
import { migrate } from "../api/store/duckdb-schema.ts";
import type { EnrollmentRecord } from "../api/store/store.ts";

const { values } = parseArgs({
  options: { batches: { type: "string", default: "1,8,64,5000" }, rows: { type: "string", default: "20000" }, "no-constraints": { type: "boolean", default: false } },
});
const batches = values.batches.split(",").map(Number);
const totalRows = Number(values.rows);
const KEY = pseudonymKey("42".repeat(32));
const T0 = Date.UTC(2027, 0, 4, 8, 0, 0);
const TRIAL = "bench";

type Row = EnrollmentRecord & { baselineJson: string };

function makeRows(n: number): { rows: Row[]; audit: AuditEntry[] } {
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const pseudonym = pseudonymize(KEY, String(1_000_000_000 + i));
    const baseline = { diagnosis: "bipolar", wants_ordinary_work: true, hours_ordinary_work: 0, female: i % 2 === 0, age_band: "30-44", education: "basic", worked_last_5y: false, weeks_on_benefit_prior_52: 40, target_group: "kontanthjaelp_aktivitetsparat" };
    rows.push({
      sequence: i + 1, pseudonym, publicId: publicParticipantId(KEY, TRIAL, pseudonym), site: "101", arm: i % 2 === 0 ? "ips" : "usual", stratum: "site=101",
      protocolVersion: 1, baseline, baselineJson: JSON.stringify(baseline), enrolledAt: new Date(T0 + i).toISOString(),
    });
  }
  const audit = linkAudit(TRIAL, null, rows.map((r) => ({ at: r.enrolledAt, tokenId: "tok-bnch", role: "municipality" as const, action: "enrollment.create", target: `trial:${TRIAL}/participant:${r.publicId}`, reason: null })), nodeSha256Hex);
  return { rows, audit };
}

async function open(path: string): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  await migrate(conn, path);
  if (values["no-constraints"]) {
    for (const table of ["enrollments", "audit"]) {
      await conn.run(`CREATE TABLE ${table}_plain AS SELECT * FROM ${table} LIMIT 0`);
      await conn.run(`DROP TABLE ${table}`);
      await conn.run(`ALTER TABLE ${table}_plain RENAME TO ${table}`);
    }
  }
  return { instance, conn };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dir = mkdtempSync(join(tmpdir(), "virker-bench-commit-"));
console.log(`DuckDB write transactions of the store${values["no-constraints"] ? " WITHOUT constraints (comparison only)" : ""}; durable temp file; Node ${process.version}; load average at start ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
console.log("rows/commit  commits   BEGIN ms  append+flush ms  COMMIT ms   JS-thread CPU ms/commit  process CPU ms/commit   process CPU µs/row   rows/s");
try {
  const { rows, audit } = makeRows(totalRows);
  for (const batch of batches) {
    const { instance, conn } = await open(join(dir, `b${batch}.duckdb`));
    const enrollments = await conn.createAppender("enrollments");
    const audits = await conn.createAppender("audit");
    const begin = await conn.prepare("BEGIN TRANSACTION");
    const commit = await conn.prepare("COMMIT");
    const commits = Math.max(1, Math.floor(Math.min(totalRows, batch === 1 ? 2000 : totalRows) / batch));
    const t = { begin: [] as number[], append: [] as number[], commit: [] as number[] };
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    for (let k = 0; k < commits; k++) {
      const slice = rows.slice(k * batch, (k + 1) * batch);
      const entries = audit.slice(k * batch, (k + 1) * batch);
      let at = performance.now();
      await begin.run();
      t.begin.push(performance.now() - at);
      at = performance.now();
      appendEnrollments(enrollments, TRIAL, slice);
      appendAuditRows(audits, entries);
      t.append.push(performance.now() - at);
      at = performance.now();
      await commit.run();
      t.commit.push(performance.now() - at);
    }
    const wall = performance.now() - w0;
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    const n = commits * batch;
    const processMs = (cpu.user + cpu.system) / 1000;
    console.log(
      `${String(batch).padStart(11)}  ${String(commits).padStart(7)}  ${median(t.begin).toFixed(2).padStart(9)}  ${median(t.append).toFixed(2).padStart(15)}  ${median(t.commit).toFixed(2).padStart(9)}  ${(elu.active / commits).toFixed(2).padStart(24)}  ${(processMs / commits).toFixed(2).padStart(21)}  ${((processMs * 1000) / n).toFixed(1).padStart(19)}  ${((n / wall) * 1000).toFixed(0).padStart(7)}`,
    );
    enrollments.closeSync();
    audits.closeSync();
    begin.destroySync();
    commit.destroySync();
    conn.closeSync();
    instance.closeSync();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
