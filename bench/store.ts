/**
 * Write throughput of the DuckDB store, in one run, side by side:
 *
 * 1. one transaction per enrollment (what a naive route does): C clients, each awaiting its own
 *    `store.append` of one row;
 * 2. the same clients through the group-commit queue (`api/store/commit-queue.ts`);
 * 3. bulk: large batches through one `append` each (cohort and register-based trials), with an
 *    audit entry per row, and with one audit entry per call (the upload recorded as one act).
 *
 * Every row is a full enrollment with its own hash-chained audit entry, written durably to a temp
 * file (DuckDB syncs its WAL at each COMMIT). Rows are prepared before the clock starts, so the
 * numbers are the store's, not the pseudonym HMAC's. Each mode runs `--reps` times on a fresh file;
 * medians are printed with the ratio to mode 1.
 *
 *     npx tsx bench/store.ts [--reps 5] [--clients 8,64] [--single 2000] [--queued 20000] [--bulk 200000] [--bulk-batch 20000]
 *
 * `--clients` takes a list; the per-request modes run once per client count.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { AuditDraft } from "../api/audit.ts";
import { pseudonymize, pseudonymKey, publicParticipantId } from "../api/pseudonym.ts";
import { CommitQueue } from "../api/store/commit-queue.ts";
import { openDuckDbStore, type DuckDbStore } from "../api/store/duckdb.ts";
import type { EnrollmentRecord } from "../api/store/store.ts";

const { values } = parseArgs({
  options: {
    reps: { type: "string", default: "5" },
    clients: { type: "string", default: "8,64" },
    single: { type: "string", default: "2000" },
    queued: { type: "string", default: "20000" },
    bulk: { type: "string", default: "200000" },
    "bulk-batch": { type: "string", default: "20000" },
  },
});
const reps = Number(values.reps);
const clientCounts = values.clients.split(",").map(Number);
let clients = clientCounts[0];
const sizes = { single: Number(values.single), queued: Number(values.queued), bulk: Number(values.bulk) };
const bulkBatch = Number(values["bulk-batch"]);

const loadAtStart = loadavg().map((l) => l.toFixed(2)).join(" ");
const KEY = pseudonymKey("42".repeat(32));
const SITES = ["aarhus", "odense", "aalborg", "esbjerg", "kolding", "vejle", "horsens", "randers"];
const T0 = Date.UTC(2027, 0, 4, 8, 0, 0);

function makeRows(trialId: string, n: number): Array<{ row: EnrollmentRecord; audit: AuditDraft }> {
  return Array.from({ length: n }, (_, i) => {
    const pseudonym = pseudonymize(KEY, String(1_000_000_000 + i));
    const publicId = publicParticipantId(KEY, trialId, pseudonym);
    const at = new Date(T0 + i).toISOString();
    const site = SITES[i % SITES.length];
    return {
      row: {
        sequence: i, pseudonym, publicId, site, arm: i % 2 === 0 ? "control" : "ips", stratum: `${site}|${i % 3}`,
        protocolVersion: 1, baseline: { age: 18 + (i % 47), months_unemployed: i % 36, education: "vocational" }, enrolledAt: at,
      },
      audit: { at, tokenId: "tok-bnch-bnch-bnch-bnch", role: "municipality", action: "enrollment.create", target: `participant:${publicId}`, reason: null },
    };
  });
}

const dir = mkdtempSync(join(tmpdir(), "virker-bench-store-"));
let files = 0;

async function freshStore(trialId: string): Promise<DuckDbStore> {
  const store = await openDuckDbStore({ path: join(dir, `bench-${++files}.duckdb`), warn: () => undefined });
  await store.createTrial(
    { id: trialId, seed: "ab".repeat(32), seedCommitment: "cd".repeat(32), protocolHash: "ef".repeat(32), protocolJson: "{}", at: new Date(T0).toISOString() },
    [{ at: new Date(T0).toISOString(), tokenId: null, role: "agency", action: "trial.create", target: `trial:${trialId}`, reason: null }],
  );
  return store;
}

/** C closed-loop clients share the rows; each awaits its write before taking the next row. */
async function runClients<T>(rows: T[], write: (item: T) => Promise<unknown>): Promise<number[]> {
  let next = 0;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < rows.length) {
        const item = rows[next++];
        const t = performance.now();
        await write(item);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return latencies;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

interface Result { rate: number; p50: number; p99: number; commits?: number }

async function single(): Promise<Result> {
  const store = await freshStore("single");
  const rows = makeRows("single", sizes.single);
  const t = performance.now();
  const lat = await runClients(rows, ({ row, audit }) => store.append("single", { enrollments: [row], audit: [audit] }));
  const seconds = (performance.now() - t) / 1000;
  await store.close();
  return { rate: rows.length / seconds, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), commits: rows.length };
}

async function queued(): Promise<Result> {
  const store = await freshStore("queued");
  const rows = makeRows("queued", sizes.queued);
  const q = new CommitQueue<{ row: EnrollmentRecord; audit: AuditDraft }, number>({
    maxBatch: 256,
    commit: async (trialId, items) => {
      await store.append(trialId, { enrollments: items.map((i) => i.row), audit: items.map((i) => i.audit) });
      return items.map((i) => i.row.sequence);
    },
  });
  const t = performance.now();
  const lat = await runClients(rows, (item) => q.submit("queued", item));
  const seconds = (performance.now() - t) / 1000;
  await store.close();
  return { rate: rows.length / seconds, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), commits: q.stats().commits };
}

/** Bulk calls with an audit entry per row, or one audit entry per call (the upload as one act). */
async function bulk(auditPerRow: boolean): Promise<Result> {
  const store = await freshStore("bulk");
  const rows = makeRows("bulk", sizes.bulk);
  const lat: number[] = [];
  const t = performance.now();
  for (let i = 0; i < rows.length; i += bulkBatch) {
    const part = rows.slice(i, i + bulkBatch);
    const s = performance.now();
    const audit = auditPerRow
      ? part.map((p) => p.audit)
      : [{ ...part[0].audit, action: "enrollment.bulk", target: `upload:bench/part-${i / bulkBatch + 1}` }];
    await store.append("bulk", { enrollments: part.map((p) => p.row), audit });
    lat.push(performance.now() - s);
  }
  const seconds = (performance.now() - t) / 1000;
  await store.close();
  return { rate: rows.length / seconds, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), commits: lat.length };
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

async function main(): Promise<void> {
  const perRequest = { "one transaction per row": single, "group commit (queue)": queued } as const;
  const bulkModes = { "bulk, audit entry per row": () => bulk(true), "bulk, audit entry per call": () => bulk(false) } as const;
  const results: Record<string, Result[]> = {};
  for (let r = 0; r < reps; r++) {
    for (const c of clientCounts) {
      clients = c;
      for (const [name, fn] of Object.entries(perRequest)) (results[`${name}, ${c} clients`] ??= []).push(await fn());
    }
    for (const [name, fn] of Object.entries(bulkModes)) (results[name] ??= []).push(await fn());
  }
  const base = median(results[`one transaction per row, ${clientCounts[0]} clients`].map((x) => x.rate));
  console.log(`DuckDB store write throughput; ${reps} reps; durable temp file; Node ${process.version}; load average at start ${loadAtStart}`);
  console.log("ratio: to one transaction per row with the first client count");
  console.log("mode                                     rows/rep   median rows/s    ratio   p50 ms    p99 ms   commits/rep   all reps rows/s");
  for (const [name, rs] of Object.entries(results)) {
    const rows = name.startsWith("one") ? sizes.single : name.startsWith("group") ? sizes.queued : sizes.bulk;
    const rate = median(rs.map((x) => x.rate));
    const unit = name.startsWith("bulk") ? `(latency per ${fmt(bulkBatch)}-row call)` : "(latency per request)";
    console.log(
      `${name.padEnd(39)}  ${fmt(rows).padStart(8)}   ${fmt(rate).padStart(13)}   ${(rate / base).toFixed(1).padStart(5)}x` +
        `   ${median(rs.map((x) => x.p50)).toFixed(2).padStart(7)}   ${median(rs.map((x) => x.p99)).toFixed(2).padStart(7)}` +
        `   ${fmt(median(rs.map((x) => x.commits ?? 0))).padStart(11)}   ${rs.map((x) => fmt(x.rate)).join(", ")}  ${unit}`,
    );
  }
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
