/**
 * Parity, Node side: the sequence of parity-sequence.ts through the Node app on DuckDB enrolls as
 * scheduled and gives the same record twice (seeded randomness, pinned clock), so the record the
 * Worker tests compare with (parity.global-setup.ts) is a function of the code alone.
 */
import { describe, expect, it } from "vitest";
import { nodeParityRecord } from "./parity-node.ts";

describe("parity with the Worker (Node side)", () => {
  it("enrolls as scheduled and is reproducible", async () => {
    const record = await nodeParityRecord();
    expect(record.allocations.filter((a) => a.status === 201)).toHaveLength(48);
    expect(record.allocations.filter((a) => a.repeat)).toHaveLength(3);
    expect(new Set(record.allocations.filter((a) => a.status === 201).map((a) => a.sequence)).size).toBe(48);
    expect(await nodeParityRecord()).toEqual(record);
  });
});
