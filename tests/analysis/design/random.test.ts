import { describe, expect, it } from "vitest";
import { fastStream, keyedStream, parseSeed, randomInt, seedCommitment } from "../../../analysis/design/index.ts";
import { pchisqUpper } from "../../../analysis/distributions.ts";

const ZERO_SEED = "0".repeat(64);

describe("seeds", () => {
  it("commits to a seed with SHA-256 of its 32 bytes", () => {
    // sha256 of 32 zero bytes, a published test value.
    expect(seedCommitment(ZERO_SEED)).toBe("66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925");
  });
  it("refuses seeds that are not 256 bits of lowercase hex", () => {
    expect(() => parseSeed("abc")).toThrow(/64 lowercase hex/);
    expect(() => parseSeed("G".repeat(64))).toThrow(/64 lowercase hex/);
  });
});

describe("keyed stream", () => {
  it("is reproducible from the seed and differs by seed and message", () => {
    const take = (seed: string, msg: string) => {
      const r = keyedStream(parseSeed(seed), msg);
      return Array.from({ length: 20 }, () => r.nextUint32());
    };
    const seedA = "a".repeat(64);
    expect(take(seedA, "allocation|0")).toEqual(take(seedA, "allocation|0"));
    expect(take(seedA, "allocation|0")).not.toEqual(take(seedA, "allocation|1"));
    expect(take(seedA, "allocation|0")).not.toEqual(take("b".repeat(64), "allocation|0"));
  });
});

describe("randomInt", () => {
  it("is uniform over 0..n-1 for an n that does not divide 2^32", () => {
    const rng = fastStream(7);
    const n = 6;
    const counts = new Array(n).fill(0);
    const draws = 60_000;
    for (let i = 0; i < draws; i++) counts[randomInt(rng, n)]++;
    const chisq = counts.reduce((s, c) => s + (c - draws / n) ** 2 / (draws / n), 0);
    expect(pchisqUpper(chisq, n - 1)).toBeGreaterThan(0.001);
  });
});
