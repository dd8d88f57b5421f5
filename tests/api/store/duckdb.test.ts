import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
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
