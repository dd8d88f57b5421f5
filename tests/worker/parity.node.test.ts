/**
 * Parity, Node side: the sequence of parity-sequence.ts through the Node app on DuckDB must give
 * exactly tests/worker/parity.json. The Worker side (parity.worker.test.ts) must give the same
 * file, so the two servers agree byte for byte: arms, sequence numbers, strata, participant ids,
 * seed commitment and every audit entry with its hash. A missing file is written here (locally);
 * in CI it is an error.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createApp } from "../../api/app.ts";
import { protocolsFromFolder } from "../../api/protocol-source-node.ts";
import { keyFingerprint, pseudonymKey } from "../../api/pseudonym.ts";
import { openDuckDbStore } from "../../api/store/duckdb.ts";
import { createToken } from "../../api/tokens.ts";
import { PARITY_SEED, PARITY_TOKENS, runParitySequence, seededBytes } from "./parity-sequence.ts";
import { WORKER_TEST_BINDINGS, WORKER_TEST_NOW } from "./test-bindings.ts";

const GOLDEN = fileURLToPath(new URL("./parity.json", import.meta.url));

describe("parity with the Worker (Node side)", () => {
  it("the Node server on DuckDB gives tests/worker/parity.json", async () => {
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
      const record = await runParitySequence(async (path, init) => {
        const headers = new Headers();
        if (init.token) headers.set("authorization", `Bearer ${init.token}`);
        if (init.json !== undefined) headers.set("content-type", "application/json");
        return app.app.request(path, { method: init.method ?? "GET", headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) });
      }, tokens);
      expect(record.allocations.filter((a) => a.status === 201)).toHaveLength(48);
      expect(record.allocations.filter((a) => a.repeat)).toHaveLength(3);
      const text = `${JSON.stringify(record, null, 1)}\n`;
      if (!existsSync(GOLDEN)) {
        if (process.env.CI) throw new Error(`missing ${GOLDEN}; run the Node parity test locally to create it`);
        writeFileSync(GOLDEN, text);
      }
      expect(JSON.parse(text)).toEqual(JSON.parse(readFileSync(GOLDEN, "utf8")));
    } finally {
      await app.close();
      await store.close();
    }
  });
});
