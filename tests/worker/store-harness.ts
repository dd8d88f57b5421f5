/**
 * The Store contract's harness for the Durable Object adapter, inside workerd: every harness gets
 * its own object namespace (fresh objects), "reopen" aborts the objects so they are rebuilt from
 * their SQLite storage, and the raw contents are every stored value of every object it used.
 */
import { abortAllDurableObjects, env, runInDurableObject } from "cloudflare:test";
import { DurableStore, registryObjectName, trialObjectName } from "../../api/store/durable.ts";
import type { StoreHarness } from "../api/store/contract.ts";

let counter = 0;

type Sql = { exec(q: string, ...b: unknown[]): { toArray(): Record<string, unknown>[] } };

function objectsOf(namespace: string, trialIds: string[]) {
  const stubs = trialIds.map((id) => env.VIRKER_TRIALS.get(env.VIRKER_TRIALS.idFromName(trialObjectName(namespace, id))));
  stubs.push(env.VIRKER_REGISTRY.get(env.VIRKER_REGISTRY.idFromName(registryObjectName(namespace))));
  return stubs;
}

/** Every value stored by one object, as bytes (BLOBs as they are, text as UTF-8). */
async function dump(stub: DurableObjectStub): Promise<Uint8Array> {
  return runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql as unknown as Sql;
    const parts: Uint8Array[] = [];
    const text = new TextEncoder();
    const tables = sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray().map((r) => String(r.name));
    for (const table of tables) {
      if (table.startsWith("_cf_") || table.startsWith("sqlite_")) continue;
      for (const row of sql.exec(`SELECT * FROM "${table}"`).toArray()) {
        for (const value of Object.values(row)) {
          parts.push(value instanceof ArrayBuffer ? new Uint8Array(value) : text.encode(`${String(value)}\n`));
        }
      }
    }
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  });
}

export async function durableHarness(options: { rpcPageSize?: number } = {}): Promise<StoreHarness> {
  const namespace = `contract-${++counter}-`;
  const h: StoreHarness = {
    store: new DurableStore(env, { namespace, ...options }),
    reopen: async () => {
      await h.store.close();
      await abortAllDurableObjects();
      h.store = new DurableStore(env, { namespace, ...options });
      return h.store;
    },
    rawContents: async () => {
      const trials = await h.store.listTrialIds();
      return Promise.all(objectsOf(namespace, trials).map(dump));
    },
    tamperAudit: async (chain, seq, field, value) => {
      const [stub] = objectsOf(namespace, [chain]);
      await runInDurableObject(stub, (_instance, state) => {
        (state.storage.sql as unknown as Sql).exec(`UPDATE audit SET ${field} = ? WHERE seq = ?`, value, seq);
      });
      return h.store;
    },
    dispose: async () => {
      await h.store.close();
    },
  };
  return h;
}
