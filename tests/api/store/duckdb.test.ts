import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { verifyChain } from "../../../api/audit.ts";
import { DuckDBInstance } from "@duckdb/node-api";
import { openDuckDbStore } from "../../../api/store/duckdb.ts";
import type { Store } from "../../../api/store/store.ts";
import { storeContract, type StoreHarness } from "./contract.ts";

const root = mkdtempSync(join(tmpdir(), "virker-duckdb-test-"));
let counter = 0;
const freshPath = () => join(root, `store-${process.pid}-${++counter}.duckdb`);
const quiet = { warn: () => undefined };

afterAll(() => rmSync(root, { recursive: true, force: true }));

const filesOf = (path: string) => [path, `${path}.wal`, `${path}.heads`];

async function harness(): Promise<StoreHarness> {
  const path = freshPath();
  let store: Store = await openDuckDbStore({ path, ...quiet });
  const reopen = async () => {
    await store.close();
    store = await openDuckDbStore({ path, ...quiet });
    h.store = store;
    return store;
  };
  const h: StoreHarness = {
    store,
    reopen,
    rawContents: async () => filesOf(path).filter(existsSync).map((f) => readFileSync(f)),
    tamperAudit: async (chain, seq, field, value) => {
      await store.close();
      const db = await DuckDBInstance.create(path);
      const c = await db.connect();
      await c.run(`UPDATE audit SET ${field} = $1 WHERE chain = $2 AND seq = $3`, [value, chain, BigInt(seq)]);
      c.closeSync();
      db.closeSync();
      store = await openDuckDbStore({ path, ...quiet });
      h.store = store;
      return store;
    },
    dispose: async () => {
      await store.close();
      for (const f of filesOf(path)) rmSync(f, { force: true });
    },
  };
  return h;
}

storeContract("DuckDB (temp file)", harness);

// The same contract with what a Durable Object adapter will look like from outside: no reopen, no
// raw file, no tampering hook, and small batches.
storeContract("DuckDB (in memory, batches of at most 500 rows)", async () => {
  const store = await openDuckDbStore({ path: ":memory:", limits: { maxBatchRows: 500 } });
  return { store, dispose: () => store.close() };
});

describe("DuckDB enrollment write path", () => {
  const at = "2027-01-04T08:00:00.000Z";
  const trial = { id: "t1", seed: "ab".repeat(32), seedCommitment: "cd".repeat(32), protocolHash: "ef".repeat(32), protocolJson: "{}", at };
  const draft = (target: string) => ({ at, tokenId: "tok-1", role: "municipality" as const, action: "enrollment.create", target, reason: null });

  // A small group commit and a bulk-sized batch.
  it.each([3, 600])("keeps awkward text exactly (quotes, backslashes, JSON syntax, Danish letters, astral characters) and the pseudonym bytes (%i rows)", async (n) => {
    const path = freshPath();
    const store = await openDuckDbStore({ path, ...quiet });
    await store.createTrial(trial, [{ ...draft("trial:t1"), role: "agency", action: "trial.create" }]);
    const baseline = { note: `it's "quoted" \\ '); DROP TABLE audit; -- ${"{"}"a":[1]} æøå Å 🙂`, n: 1.5, b: false, z: null };
    const rows = Array.from({ length: n }, (_, i) => ({
      sequence: i, pseudonym: i.toString(16).padStart(64, "0"), publicId: `p-aaaa-bbbb-cccc-${String(i).padStart(4, "0")}`, site: "s1", arm: "ips",
      stratum: i === 1 ? null : `st"${i}`, protocolVersion: 1, baseline, enrolledAt: at,
    }));
    const entries = await store.append("t1", { enrollments: rows, audit: rows.map((r) => draft(`trial:t1/participant:${r.publicId}'`)) });
    await store.close();
    const reopened = await openDuckDbStore({ path, ...quiet });
    expect(await reopened.listEnrollments("t1", { kind: "all" })).toEqual(rows);
    const audit = await reopened.readAudit("t1");
    expect(audit.slice(1)).toEqual(entries);
    expect(verifyChain(audit)).toMatchObject({ ok: true, count: n + 1 });
    await reopened.close();
  });

  it("after a refused duplicate the chain head stays put and the next batch lands", async () => {
    const store = await openDuckDbStore({ path: freshPath(), ...quiet });
    await store.createTrial(trial, [{ ...draft("trial:t1"), role: "agency", action: "trial.create" }]);
    const row = (i: number, pseudonym = `${i % 10}`.repeat(64)) => ({
      sequence: i, pseudonym, publicId: `p-aaaa-bbbb-cccc-00${i}`, site: "s1", arm: "ips", stratum: null, protocolVersion: 1, baseline: {}, enrolledAt: at,
    });
    await store.append("t1", { enrollments: [row(0)], audit: [draft("a")] });
    const head = await store.auditHead("t1");
    await expect(store.append("t1", { enrollments: [row(1), row(2, "0".repeat(64))], audit: [draft("b"), draft("c")] })).rejects.toMatchObject({ code: "duplicate" });
    expect(await store.auditHead("t1")).toEqual(head);
    expect(await store.countEnrollments("t1", { kind: "all" })).toBe(1);
    await store.append("t1", { enrollments: [row(1)], audit: [draft("b")] });
    expect(verifyChain(await store.readAudit("t1"))).toMatchObject({ ok: true, count: 3 });
    expect((await store.listEnrollments("t1", { kind: "all" })).map((e) => e.sequence)).toEqual([0, 1]);
    await store.close();
  });
});

describe("DuckDB cached reads (trial records, chain heads)", () => {
  const at = "2027-01-04T08:00:00.000Z";
  const draft = (action: string) => ({ at, tokenId: null, role: "agency" as const, action, target: "trial:t1", reason: null });

  it("getTrial shows an amendment and a status change at once; a caller's edits to its copy change nothing", async () => {
    const store = await openDuckDbStore({ path: freshPath(), ...quiet });
    expect(await store.getTrial("t1")).toBeNull();
    await store.createTrial({ id: "t1", seed: "ab".repeat(32), seedCommitment: "cd".repeat(32), protocolHash: "ef".repeat(32), protocolJson: "{}", at }, [draft("trial.create")]);
    const first = await store.getTrial("t1");
    expect(first).toMatchObject({ status: "registered", versions: [{ version: 1 }] });
    first!.versions.push({ ...first!.versions[0], version: 9 });
    first!.statusHistory.push({ status: "closed", reason: null, at });
    expect((await store.getTrial("t1"))!.versions.map((v) => v.version)).toEqual([1]);
    // Reads racing the change must not put the old record back.
    const racing = Promise.all([store.getTrial("t1"), store.setTrialStatus("t1", { status: "open", reason: null, at }, [draft("trial.open")]), store.getTrial("t1")]);
    await racing;
    expect((await store.getTrial("t1"))!.status).toBe("open");
    await store.amendTrial("t1", { protocolHash: "aa".repeat(32), protocolJson: '{"v":2}', reason: "fix", at }, [draft("trial.amend")]);
    const after = await store.getTrial("t1");
    expect(after!.versions.map((v) => [v.version, v.protocolJson])).toEqual([[1, "{}"], [2, '{"v":2}']]);
    expect(after!.statusHistory.map((s) => s.status)).toEqual(["open"]);
    expect(await store.auditHead("t1")).toMatchObject({ seq: 3 });
    await store.close();
  });
});
