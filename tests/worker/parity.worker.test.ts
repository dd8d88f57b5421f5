/**
 * Parity, Worker side: the sequence of parity-sequence.ts through the Worker (the trial's Durable
 * Object allocates) gives exactly what the Node server on DuckDB gave in this same run
 * (parity.global-setup.ts provides it before the Worker tests): identical arms, sequences, strata,
 * participant ids, seed commitment and audit chain, hashes included (the clock is pinned, so
 * timestamps agree as well).
 */
import { describe, expect, inject, it } from "vitest";
import { setWorkerParts } from "../../api/worker.ts";
import { PARITY_SEED, PARITY_TOKENS, runParitySequence, seededBytes, type ParityRecord } from "./parity-sequence.ts";
import { WORKER_TEST_NOW } from "./test-bindings.ts";
import { makeToken, request } from "./worker-harness.ts";

describe("parity with the Node server (Worker side)", () => {
  it("the Worker on Durable Objects gives what the Node server on DuckDB gives", async () => {
    setWorkerParts({ clock: () => WORKER_TEST_NOW, random: seededBytes(PARITY_SEED) });
    const tokens: Record<string, string> = {};
    for (const t of PARITY_TOKENS) tokens[t.key] = await makeToken({ role: t.role, ...("site" in t ? { site: t.site } : {}), name: t.name });
    const record = await runParitySequence(request, tokens);
    const expected: ParityRecord = inject("nodeParity");
    expect(record.seedCommitment).toBe(expected.seedCommitment);
    expect(record.allocations).toEqual(expected.allocations);
    expect(record.audit).toEqual(expected.audit);
  });
});
