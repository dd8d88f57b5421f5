/**
 * Register benchmark: makes (or reuses) a synthetic extract of persons × weeks, imports it into a
 * fresh DuckDB file and derives five outcomes for the trial's participants.
 *
 *   npx tsx bench/register.ts --persons 100000 --weeks 100 [--layout wide|long] [--format csv|parquet]
 *                             [--seed 1] [--threads N] [--memory-limit 1.5GB]
 *
 * Prints `import <s> s`, `derive <s> s` and the peak resident memory of the process (DuckDB runs
 * inside it). Goal on a 2-core machine: derive ≤ 10 s (stretch ≤ 5 s), memory < 2 GB.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { pseudonymKey, pseudonymize } from "../api/pseudonym.ts";
import { loadCodebook } from "../api/register/codebook.ts";
import { deriveOutcomes, type OutcomeSpec, type RegisterParticipant } from "../api/register/derive.ts";
import { importRegister } from "../api/register/import.ts";
import { weekLabel } from "../api/register/iso-week.ts";
import { extractWeeks, syntheticCpr, writeExtract, type ExtractSpec } from "./register-extract.ts";

const { values: args } = parseArgs({
  options: {
    persons: { type: "string", default: "100000" },
    weeks: { type: "string", default: "100" },
    layout: { type: "string", default: "wide" },
    format: { type: "string", default: "csv" },
    seed: { type: "string", default: "1" },
    threads: { type: "string" },
    "memory-limit": { type: "string" },
  },
});

const spec: ExtractSpec = {
  persons: Number(args.persons),
  weeks: Number(args.weeks),
  seed: Number(args.seed),
  layout: args.layout === "long" ? "long" : "wide",
  format: args.format === "parquet" ? "parquet" : "csv",
};
if (!(spec.persons > 0 && spec.weeks >= 80)) throw new Error("--persons must be positive and --weeks at least 80 (the outcomes reach week 78)");

const dir = join(tmpdir(), "virker-bench");
mkdirSync(dir, { recursive: true });
const file = join(dir, `register-${spec.layout}-${spec.persons}x${spec.weeks}-seed${spec.seed}.${spec.format}`);
const dbFile = join(dir, "register-bench.duckdb");
for (const f of [dbFile, `${dbFile}.wal`]) rmSync(f, { force: true });

const instance = await DuckDBInstance.create(dbFile, {
  ...(args.threads ? { threads: args.threads } : {}),
  ...(args["memory-limit"] ? { memory_limit: args["memory-limit"] } : {}),
});
const connection = await instance.connect();

if (existsSync(file)) {
  console.log(`reusing ${file}`);
} else {
  const t = performance.now();
  await writeExtract(connection, file, spec);
  console.log(`generate ${((performance.now() - t) / 1000).toFixed(2)} s → ${file}`);
}

// The trial: 98 % of the extract's people, plus 1 % who are not in it. Enrollment is spread over
// the first 20 weeks of the extract; the programme lasts 26 weeks; 2 % withdraw.
const key = pseudonymKey(new Uint8Array(32).map((_, i) => (i * 37 + 11) & 255));
const weeks = extractWeeks(spec);
const mondayOf = (w: number) => new Date(Date.UTC(1970, 0, 5) + w * 7 * 86_400_000).toISOString().slice(0, 10);
const participants: RegisterParticipant[] = [];
const inExtract = Math.floor(spec.persons * 0.98);
for (let i = 0; i < inExtract + Math.floor(spec.persons * 0.01); i++) {
  const id = i < inExtract ? i : spec.persons + i;
  const w0 = weeks[0] + (i % 20);
  participants.push({
    pseudonym: pseudonymize(key, syntheticCpr(id)),
    enrolledOn: mondayOf(w0),
    programmeEndOn: mondayOf(w0 + 26),
    withdrawnOn: i % 50 === 7 ? mondayOf(w0 + 30) : null,
  });
}

const codebook = loadCodebook(readFileSync(new URL("../api/register/default-codebook.yaml", import.meta.url), "utf8"));
let lastPhase = "";
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const t0 = performance.now();
const c0 = cpu();
const report = await importRegister(connection, {
  trial: "bench",
  file,
  codebook,
  participants: participants.map((p) => p.pseudonym),
  personKey: { kind: "cpr", key: key.bytes },
  onProgress: (e) => {
    if (e.phase !== lastPhase) {
      lastPhase = e.phase;
      process.stderr.write(`  ${e.phase} ${((performance.now() - t0) / 1000).toFixed(2)} s\n`);
    }
  },
});
const importSeconds = (performance.now() - t0) / 1000;
console.log(`import ${importSeconds.toFixed(2)} s`);
console.log(`  cpu ${(cpu() - c0).toFixed(2)} s (all threads; wall time above depends on what else the machine runs)`);
console.log(
  `  ${report.records} records, ${report.personWeeks} participant-weeks (${report.gapWeeks} gaps), ` +
    `${report.persons.inExtract} persons (${report.persons.notInTrial} not in trial), ` +
    `${report.participants.notInExtract} participants not in extract, weeks ${report.firstWeek}..${report.lastWeek} (${weekLabel(weeks[0])} first)`,
);

const outcomes: OutcomeSpec[] = [
  { name: "self_supporting_week_52", derivation: "self_supporting_at_week", params: { week: 52 } },
  { name: "weeks_self_supporting_0_51", derivation: "weeks_self_supporting", params: { from: 0, to: 51 } },
  { name: "weeks_on_benefit_0_51", derivation: "weeks_on_benefit", params: { from: 0, to: 51 } },
  { name: "time_to_self_support_4", derivation: "time_to_self_support", params: { min_weeks: 4 } },
  { name: "retention_13", derivation: "retention", params: { weeks_after: 13 } },
];
const t1 = performance.now();
const c1 = cpu();
let lastOutcome = t1;
const derived = await deriveOutcomes(connection, {
  trial: "bench",
  participants,
  outcomes,
  onProgress: (e) => {
    const now = performance.now();
    process.stderr.write(`  ${e.done === 0 ? "setup" : outcomes[e.done - 1].name} ${((now - lastOutcome) / 1000).toFixed(2)} s\n`);
    lastOutcome = now;
  },
});
const deriveSeconds = (performance.now() - t1) / 1000;
console.log(`derive ${deriveSeconds.toFixed(2)} s`);
console.log(`  cpu ${(cpu() - c1).toFixed(2)} s (all threads)`);
const load = readFileSync("/proc/loadavg", "utf8").split(" ")[0];
for (const o of derived.outcomes) {
  console.log(`  ${o.name}: ${o.withValue}/${o.participants} with a value${o.events !== undefined ? `, ${o.events} events` : ""}`);
}

const status = readFileSync("/proc/self/status", "utf8");
const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
console.log(`peak memory ${(peakKb / 1024).toFixed(0)} MB (resident, Node and DuckDB); load average ${load}`);
connection.closeSync();
instance.closeSync();
for (const f of [dbFile, `${dbFile}.wal`]) rmSync(f, { force: true });
