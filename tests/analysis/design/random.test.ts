import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { fastStream, keyedStream, parseSeed, randomInt, SeedError, seedCommitment, shuffle, type RandomSource } from "../../../analysis/design/index.ts";
import { fastBelow, fastState } from "../../../analysis/design/random.ts";
import { pchisqUpper } from "../../../analysis/distributions.ts";

const ZERO_SEED = "0".repeat(64);

describe("seeds", () => {
  it("commits to a seed with SHA-256 of its 32 bytes", () => {
    // sha256 of 32 zero bytes, a published test value.
    expect(seedCommitment(ZERO_SEED)).toBe("66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925");
    // And against node's own SHA-256 for another seed, hashing the bytes (not the hex text).
    const seed = "0123456789abcdef".repeat(4);
    expect(seedCommitment(seed)).toBe(createHash("sha256").update(Buffer.from(seed, "hex")).digest("hex"));
  });
  it("accepts either case (and a 0x prefix) for the same seed", () => {
    const seed = "0123456789abcdef".repeat(4);
    expect(seedCommitment(seed.toUpperCase())).toBe(seedCommitment(seed));
    expect(seedCommitment(`0x${seed}`)).toBe(seedCommitment(seed));
  });
  it("refuses seeds that are not 256 bits of hex, saying what is wrong in Danish and English", () => {
    expect(() => parseSeed("abc")).toThrow(SeedError);
    expect(() => parseSeed("abc")).toThrow(/invalid seed.*3 hex digits, not 64.*hex-cifre/);
    expect(() => parseSeed("a".repeat(63) + "g")).toThrow(/character 64 is not a hex digit/);
    expect(() => parseSeed("a".repeat(65))).toThrow(/65 hex digits/);
    expect(() => parseSeed(undefined as unknown as string)).toThrow(/invalid seed/);
  });
});

describe("keyed stream", () => {
  it("is HMAC-SHA-256(seed, 'virker/v1|<message>|<block>') read as big-endian 32-bit words (node:crypto as reference)", () => {
    const seedHex = "5eed".repeat(16);
    const stream = keyedStream(parseSeed(seedHex), "allocation|7");
    const got = Array.from({ length: 20 }, () => stream.nextUint32());
    const expected: number[] = [];
    for (let block = 0; expected.length < 20; block++) {
      const mac = createHmac("sha256", Buffer.from(seedHex, "hex")).update(`virker/v1|allocation|7|${block}`).digest();
      for (let i = 0; i < 8; i++) expected.push(mac.readUInt32BE(i * 4));
    }
    expect(got).toEqual(expected.slice(0, 20));
  });
  it("differs by seed and by message", () => {
    const take = (seed: string, msg: string) => {
      const r = keyedStream(parseSeed(seed), msg);
      return Array.from({ length: 8 }, () => r.nextUint32());
    };
    expect(take("a".repeat(64), "allocation|1")).not.toEqual(take("a".repeat(64), "allocation|2"));
    expect(take("a".repeat(64), "allocation|1")).not.toEqual(take("b".repeat(64), "allocation|1"));
  });
});

/** A source that replays fixed words, to check randomInt's arithmetic by hand. */
function words(...values: number[]): RandomSource {
  let i = 0;
  return { nextUint32: () => values[i++] };
}

describe("randomInt", () => {
  it("returns the high word of x·n and rejects exactly the biased low words (hand-checked)", () => {
    // n = 3: 2^32 mod 3 = 1, so the single draw with low word 0 (x = 0) is rejected, nothing else.
    expect(randomInt(words(0, 0x8000_0000), 3)).toBe(1); // 0 rejected; 2^31·3 = 1.5·2^32 → 1
    expect(randomInt(words(0xffff_ffff), 3)).toBe(2);
    expect(randomInt(words(0x5555_5556), 3)).toBe(1); // 0x5555_5556·3 = 2^32 + 2 → hi 1, lo 2 ≥ 1
    // n = 6: (2^32 − 6) mod 6 = 4; x = 0 gives lo 0 < 4 and x = 0x2AAA_AAAB gives lo 2 < 4: both rejected.
    expect(randomInt(words(0, 0x2aaa_aaab, 0x2aaa_aaac), 6)).toBe(1); // 0x2AAA_AAAC·6 = 2^32 + 8 → hi 1
  });
  it("is uniform over 0..n-1 for n that do not divide 2^32, small and large", () => {
    for (const n of [6, 1_000_003, 3_000_000_019]) {
      const rng = fastStream(n % 1000);
      const bins = 6;
      const counts = new Array(bins).fill(0);
      const draws = 60_000;
      for (let i = 0; i < draws; i++) counts[Math.floor((randomInt(rng, n) * bins) / n)]++;
      const chisq = counts.reduce((s, c) => s + (c - draws / bins) ** 2 / (draws / bins), 0);
      expect(pchisqUpper(chisq, bins - 1)).toBeGreaterThan(0.001);
    }
  });
  it("refuses n outside [1, 2^32]", () => {
    expect(() => randomInt(fastStream(1), 0)).toThrow(RangeError);
    expect(() => randomInt(fastStream(1), 2.5)).toThrow(RangeError);
  });
});

describe("fast stream", () => {
  const SEEDS = [0, 1, 7, -1, 123_456_789, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 40 + 5, -(2 ** 33) - 3];
  it("is pure-rand's xoroshiro128plus(seed | 0) word for word", () => {
    for (const seed of SEEDS) {
      const reference = xoroshiro128plus(seed | 0);
      const ours = fastStream(seed);
      const expected = Array.from({ length: 2000 }, () => reference.next() >>> 0);
      expect(Array.from({ length: 2000 }, () => ours.nextUint32()), `seed ${seed}`).toEqual(expected);
    }
  });
  it("steps inline (fastBelow on its state) exactly as randomInt steps it through nextUint32", () => {
    for (const seed of SEEDS.slice(0, 4)) {
      const a = fastStream(seed);
      const b = fastStream(seed);
      const state = fastState(b)!;
      for (let i = 0; i < 5000; i++) {
        // Small n (blocks, shuffles) and large ones up to 2^21, where rejection is common.
        const n = i % 3 === 0 ? 2 + (i % 11) : i % 3 === 1 ? 1 + ((i * 7919) % 2_097_152) : 2_097_152 - (i % 5);
        if (n === 1) continue;
        expect(fastBelow(state, n)).toBe(randomInt(a, n));
      }
      expect(b.nextUint32()).toBe(a.nextUint32());
    }
    expect(fastState(keyedStream(parseSeed(ZERO_SEED), "x"))).toBeNull();
  });
});

describe("shuffle", () => {
  it("gives the same permutation from a fast stream as from the same words through nextUint32", () => {
    for (const [seed, n] of [[3, 2], [4, 7], [5, 1000], [6, 6001]]) {
      const words = fastStream(seed);
      const through: RandomSource = { nextUint32: () => words.nextUint32() };
      const a = Int32Array.from({ length: n }, (_, i) => i);
      const b = Int32Array.from({ length: n }, (_, i) => i);
      shuffle(fastStream(seed), a);
      shuffle(through, b);
      expect(a).toEqual(b);
      expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
      if (n > 6) expect(a.some((v, i) => v !== i)).toBe(true);
    }
  });
});
