/**
 * The parity sequence (parity-sequence.ts) through the Node app on an in-memory DuckDB store, with
 * the Worker tests' pinned clock, key and seeded randomness. Node only.
 */
import { createApp } from "../../api/app.ts";
import { protocolsFromFolder } from "../../api/protocol-source-node.ts";
import { keyFingerprint, pseudonymKey } from "../../api/pseudonym.ts";
import { openDuckDbStore } from "../../api/store/duckdb.ts";
import { createToken } from "../../api/tokens.ts";
import { PARITY_SEED, PARITY_TOKENS, runParitySequence, seededBytes, type ParityRecord } from "./parity-sequence.ts";
import { WORKER_TEST_BINDINGS, WORKER_TEST_NOW } from "./test-bindings.ts";

export async function nodeParityRecord(): Promise<ParityRecord> {
  const store = await openDuckDbStore({ path: ":memory:", warn: () => {} });
  const key = pseudonymKey(WORKER_TEST_BINDINGS.VIRKER_PSEUDONYM_KEY);
  await store.bindKeyFingerprint(keyFingerprint(key));
  const random = seededBytes(PARITY_SEED);
  const clock = () => WORKER_TEST_NOW;
  const app = createApp({ store, key, protocols: protocolsFromFolder(), clock, random, report: () => {} });
  try {
    const tokens: Record<string, string> = {};
    for (const t of PARITY_TOKENS) {
      const made = await createToken(store, {
        role: t.role, site: "site" in t ? t.site : null, name: t.name, at: WORKER_TEST_NOW.toISOString(), actor: { tokenId: null, role: "system" }, random,
      });
      tokens[t.key] = made.token;
    }
    return await runParitySequence(async (path, init) => {
      const headers = new Headers();
      if (init.token) headers.set("authorization", `Bearer ${init.token}`);
      if (init.json !== undefined) headers.set("content-type", "application/json");
      return app.app.request(path, { method: init.method ?? "GET", headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) });
    }, tokens);
  } finally {
    await app.close();
    await store.close();
  }
}
