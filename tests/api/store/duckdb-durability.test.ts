import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { DuckDBInstance } from "@duckdb/node-api";
import { verifyChain } from "../../../api/audit.ts";
import { openDuckDbStore } from "../../../api/store/duckdb.ts";
import { ALL_SITES, StoreError, type Store } from "../../../api/store/store.ts";
import { CPR_SHAPED, enrollmentOf } from "./contract.ts";

// DuckDB-only behaviour: crashes, a damaged write-ahead log, the head file, limits, the file's contents.

const root = mkdtempSync(join(tmpdir(), "virker-duckdb-durability-"));
let counter = 0;
const freshPath = () => join(root, `store-${process.pid}-${++counter}.duckdb`);
const quiet = { warn: () => undefined };

afterAll(() => rmSync(root, { recursive: true, force: true }));

const draft = (i: number) => ({
  at: new Date(Date.UTC(2027, 0, 1) + i).toISOString(), tokenId: "tok-a", role: "municipality" as const,
  action: "enrollment.create", target: `n:${i}`, reason: null,
});

/** Writes `batches` batches of `size` enrollments into trial t1 of a fresh store; returns the open store. */
async function filled(path: string, batches: number, size: number): Promise<Store> {
  const store = await openDuckDbStore({ path, ...quiet });
  await store.createTrial(
    { id: "t1", seed: "aa".repeat(32), seedCommitment: "bb".repeat(32), protocolHash: "cc".repeat(32), protocolJson: "{}", at: draft(0).at },
    [{ ...draft(0), action: "trial.create" }],
  );
  let seq = 0;
  for (let b = 0; b < batches; b++) {
    const rows = Array.from({ length: size }, () => enrollmentOf("t1", seq, "aarhus", seq++));
    await store.append("t1", { enrollments: rows, audit: rows.map((r) => draft(r.sequence + 1)) });
  }
  return store;
}

/** Copies the files of an open store: what a crash at this moment would leave on disk. */
function crashImage(path: string, to: string): void {
  for (const [from, dest] of [[path, to], [`${path}.wal`, `${to}.wal`], [`${path}.heads`, `${to}.heads`]]) {
    if (existsSync(from)) copyFileSync(from, dest);
  }
}

/** Runs crash-writer.ts in a child process and SIGKILLs it after `acks` acknowledged enrollments. */
function killWriterAfter(path: string, acks: number): Promise<Set<number>> {
  const script = fileURLToPath(new URL("./crash-writer.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script, path], { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"] });
  const acked = new Set<number>();
  let stderr = "";
  let buffer = "";
  let killed = false;
  return new Promise((resolve, reject) => {
    child.stderr.on("data", (d) => (stderr += String(d)));
    child.stdout.on("data", (d) => {
      buffer += String(d);
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith("ack ")) acked.add(Number(line.slice(4)));
      }
      if (!killed && acked.size >= acks) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    child.on("error", reject);
    child.on("exit", (_code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`writer exited on its own after ${acked.size} acks: ${stderr.slice(0, 2000)}`));
      else resolve(acked);
    });
  });
}

describe("DuckDB adapter: durability and a damaged write-ahead log", () => {
  it("SIGKILL while writing: every acknowledged enrollment is there after restart, twice over", async () => {
    const path = freshPath();
    const first = await killWriterAfter(path, 300);
    const second = await killWriterAfter(path, 300);
    const store = await openDuckDbStore({ path, ...quiet });
    const rows = await store.listEnrollments("t1", ALL_SITES);
    const sequences = new Set(rows.map((r) => r.sequence));
    for (const s of [...first, ...second]) expect(sequences.has(s), `acknowledged sequence ${s}`).toBe(true);
    // No gaps, no doubles: sequences are exactly 0..n-1.
    expect(rows.map((r) => r.sequence)).toEqual(rows.map((_, i) => i));
    expect(new Set(rows.map((r) => r.pseudonym)).size).toBe(rows.length);
    expect(verifyChain(await store.readAudit("t1"))).toMatchObject({ ok: true, count: rows.length + 1 });
    await store.close();
  });

  it("a crash image (files as left at a kill) opens with every committed row", async () => {
    const path = freshPath();
    const store = await filled(path, 30, 4);
    const image = freshPath();
    crashImage(path, image);
    expect(existsSync(`${image}.wal`)).toBe(true);
    const reopened = await openDuckDbStore({ path: image, ...quiet });
    expect(await reopened.countEnrollments("t1", ALL_SITES)).toBe(120);
    expect(verifyChain(await reopened.readAudit("t1"))).toMatchObject({ ok: true, count: 121 });
    await reopened.close();
    await store.close();
  });

  it("a damaged WAL never opens silently with fewer rows: every byte position tried fails loudly or loses nothing", async () => {
    const path = freshPath();
    const store = await filled(path, 40, 3);
    const image = freshPath();
    crashImage(path, image);
    await store.close();
    const wal = readFileSync(`${image}.wal`);
    const positions = new Set<number>();
    for (let p = 0; p < wal.length; p += Math.max(1, Math.floor(wal.length / 60))) positions.add(p);
    positions.add(wal.length - 1);
    let loud = 0;
    for (const pos of positions) {
      const damaged = freshPath();
      copyFileSync(image, damaged);
      copyFileSync(`${image}.heads`, `${damaged}.heads`);
      const bytes = Buffer.from(wal);
      bytes[pos] ^= 0x5a;
      writeFileSync(`${damaged}.wal`, bytes);
      try {
        const s = await openDuckDbStore({ path: damaged, ...quiet });
        // Opened: then nothing may be missing.
        expect(await s.countEnrollments("t1", ALL_SITES), `byte ${pos} of ${wal.length}`).toBe(120);
        await s.close();
      } catch (e) {
        expect(e, `byte ${pos}`).toBeInstanceOf(StoreError);
        expect((e as StoreError).code).toBe("corrupt");
        expect((e as Error).message).not.toMatch(CPR_SHAPED);
        loud += 1;
      }
    }
    expect(loud).toBeGreaterThan(positions.size / 2);
  });

  it("a truncated or missing WAL fails loudly instead of dropping the last commits", async () => {
    const path = freshPath();
    const store = await filled(path, 20, 2);
    const image = freshPath();
    crashImage(path, image);
    await store.close();
    const wal = readFileSync(`${image}.wal`);
    for (const variant of ["truncated", "missing"] as const) {
      const damaged = freshPath();
      copyFileSync(image, damaged);
      copyFileSync(`${image}.heads`, `${damaged}.heads`);
      if (variant === "truncated") writeFileSync(`${damaged}.wal`, wal.subarray(0, Math.floor(wal.length * 0.6)));
      await expect(openDuckDbStore({ path: damaged, ...quiet }), variant).rejects.toMatchObject({ code: "corrupt" });
      await expect(openDuckDbStore({ path: damaged, ...quiet }), variant).rejects.toThrow(/committed up to seq 41/);
    }
  });

  it("warns when the head file is missing but the database has data, then starts a new one", async () => {
    const path = freshPath();
    const store = await filled(path, 2, 2);
    await store.close();
    rmSync(`${path}.heads`);
    const warnings: string[] = [];
    const again = await openDuckDbStore({ path, warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(existsSync(`${path}.heads`)).toBe(true);
    await again.close();
    // With the new head file in place, the next open is checked again.
    const third = await openDuckDbStore({ path, warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    await third.close();
  });

  it("refuses an older copy of the database (heads ahead of the data)", async () => {
    const path = freshPath();
    const store = await filled(path, 3, 2);
    const old = freshPath();
    crashImage(path, old);
    const rows = [enrollmentOf("t1", 100, "aarhus", 100)];
    await store.append("t1", { enrollments: rows, audit: [draft(100)] });
    await store.close();
    copyFileSync(`${path}.heads`, `${old}.heads`);
    await expect(openDuckDbStore({ path: old, ...quiet })).rejects.toMatchObject({ code: "corrupt" });
  });
});

describe("DuckDB adapter: limits", () => {
  it("refuses a batch over a configured maxBatchRows, writing nothing", async () => {
    const store = await openDuckDbStore({ path: ":memory:", limits: { maxBatchRows: 10 } });
    await store.createTrial(
      { id: "t1", seed: "aa".repeat(32), seedCommitment: "bb".repeat(32), protocolHash: "cc".repeat(32), protocolJson: "{}", at: draft(0).at },
      [{ ...draft(0), action: "trial.create" }],
    );
    const rows = Array.from({ length: 10 }, (_, s) => enrollmentOf("t1", s, "aarhus", s));
    await expect(store.append("t1", { enrollments: rows, audit: [draft(1)] })).rejects.toMatchObject({ code: "too_large" });
    await store.append("t1", { enrollments: rows.slice(0, 9), audit: [draft(1)] });
    expect(await store.countEnrollments("t1", ALL_SITES)).toBe(9);
    await store.close();
  });
});

describe("DuckDB adapter: privacy of the file", () => {
  it("the raw-bytes scan would see a CPR written into a VARCHAR (the scan is not blind)", async () => {
    const path = freshPath();
    const db = await DuckDBInstance.create(path);
    const c = await db.connect();
    await c.run("CREATE TABLE leak (note VARCHAR)");
    await c.run("INSERT INTO leak VALUES ('born 010190-1234 in Aarhus')");
    const wal = readFileSync(`${path}.wal`).toString("latin1");
    expect(wal).toMatch(CPR_SHAPED);
    c.closeSync();
    db.closeSync();
  });

  it("no column of any table holds a CPR-shaped value after a realistic session", async () => {
    const path = freshPath();
    const store = await filled(path, 20, 10);
    await store.append("t1", {
      withdrawals: [{ publicId: enrollmentOf("t1", 3, "aarhus", 3).publicId, effective: "2027-02-01", reason: "flyttet", at: draft(1).at }],
      audit: [{ ...draft(1), action: "participant.withdraw" }],
    });
    await store.close();
    const db = await DuckDBInstance.create(path);
    const c = await db.connect();
    const tables = (await c.runAndReadAll("SELECT table_name FROM information_schema.tables")).getRows().map(([t]) => String(t));
    expect(tables).toContain("enrollments");
    for (const table of tables) {
      const rows = (await c.runAndReadAll(`SELECT * FROM "${table}"`)).getRowsJson();
      expect(JSON.stringify(rows), table).not.toMatch(CPR_SHAPED);
    }
    c.closeSync();
    db.closeSync();
  });
});
