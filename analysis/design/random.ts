/**
 * Random sources for assignment. Two kinds behind one interface:
 *
 * - `keyedStream(seed, message)`: a cryptographic stream for live allocation. Block j of the stream
 *   is HMAC-SHA-256(seed, "virker/v1|" + message + "|" + j), read as eight 32-bit words. Without the
 *   trial's 256-bit seed nobody can predict it; with the seed anyone can re-derive every draw.
 * - `fastStream(seed)`: xoroshiro128+ (pure-rand's, word for word), for the millions of draws of randomization
 *   inference and power simulation, where unpredictability is not needed but speed is.
 *
 * `randomInt(n)` is unbiased (rejection sampling), so an arm's chance is exactly its ratio share.
 * The exact algorithms are part of the trial's audit trail: an auditor re-implementing allocation
 * from the revealed seed needs the message format, the word order (big-endian) and `randomInt`.
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";

export interface RandomSource {
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number;
}

const TWO32 = 0x1_0000_0000;

/**
 * A uniform integer in [0, n), without modulo bias. For n ≤ 2^21 this is Lemire's multiply-and-
 * reject method (ACM TOMACS 2019, doi:10.1145/3230636): take a 32-bit draw x, write x·n = hi·2^32 +
 * lo (exact in a double), return hi unless lo < (2^32 − n) mod n, in which case draw again. For
 * larger n: draw again while x ≥ 2^32 − (2^32 mod n), then return x mod n. Both accept exactly
 * ⌊2^32 / n⌋ draws per outcome, so every outcome has the same chance.
 */
export function randomInt(rng: RandomSource, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > TWO32) throw new RangeError(`invalid n; not an integer in [1, 2^32]: ${n}`);
  if (n === 1) return 0;
  if (n <= 0x20_0000) {
    for (;;) {
      const m = rng.nextUint32() * n;
      const hi = Math.floor(m / TWO32);
      const lo = m - hi * TWO32;
      if (lo >= n || lo >= (TWO32 - n) % n) return hi;
    }
  }
  const limit = TWO32 - (TWO32 % n);
  for (;;) {
    const x = rng.nextUint32();
    if (x < limit) return x % n;
  }
}

/** A uniform number in [0, 1) with 32 bits of resolution. */
export function uniform(rng: RandomSource): number {
  return rng.nextUint32() / 0x1_0000_0000;
}

/** Fisher–Yates shuffle in place of the first `length` entries. */
export function shuffle(rng: RandomSource, values: { [i: number]: number; length: number }, length = values.length): void {
  const fast = length <= 0x20_0000 ? fastState(rng) : null;
  if (fast) {
    // The same draws with the fast generator stepped inline (re-randomization of a simple design).
    for (let i = length - 1; i > 0; i--) {
      const j = fastBelow(fast, i + 1);
      const t = values[i];
      values[i] = values[j];
      values[j] = t;
    }
    return;
  }
  for (let i = length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const t = values[i];
    values[i] = values[j];
    values[j] = t;
  }
}

const SEED_RE = /^[0-9a-fA-F]{64}$/;

/** Thrown for a trial seed that is not 256 bits of hex. */
export class SeedError extends Error {
  override name = "SeedError";
}

/**
 * Validates a trial seed: 256 bits as 64 hex digits (either case). Returns its 32 bytes. The
 * message says what is wrong without echoing the seed (a seed is a secret until it is revealed).
 */
export function parseSeed(seedHex: string): Uint8Array {
  if (typeof seedHex !== "string") throw new SeedError(`invalid seed; expected 64 hex digits (256 bits), got ${seedHex === null ? "null" : typeof seedHex} (ugyldigt seed: forventede 64 hex-cifre)`);
  const trimmed = seedHex.startsWith("0x") ? seedHex.slice(2) : seedHex;
  if (!SEED_RE.test(trimmed)) {
    const bad = [...trimmed].findIndex((c) => !/[0-9a-fA-F]/.test(c));
    const why = bad >= 0 ? `character ${bad + 1} is not a hex digit (tegn ${bad + 1} er ikke et hex-ciffer)` : `${trimmed.length} hex digits, not 64 (${trimmed.length} hex-cifre, ikke 64)`;
    throw new SeedError(`invalid seed; expected 64 hex digits (256 bits): ${why} (ugyldigt seed)`);
  }
  return hexToBytes(trimmed.toLowerCase());
}

/** The published commitment to a seed: SHA-256 of the seed's 32 bytes, hex. */
export function seedCommitment(seedHex: string): string {
  return bytesToHex(sha256(parseSeed(seedHex)));
}

/** Draws a fresh seed from a cryptographic source (Web Crypto, present in Node, Workers and browsers). */
export function newSeed(random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n))): string {
  return bytesToHex(random(32));
}

/** The keyed cryptographic stream for live allocation. */
export function keyedStream(seed: Uint8Array, message: string): RandomSource {
  const prefix = `virker/v1|${message}|`;
  let block = 0;
  let words: Uint32Array | null = null;
  let used = 8;
  return {
    nextUint32() {
      if (used === 8) {
        const mac = hmac(sha256, seed, utf8ToBytes(prefix + block++));
        words = new Uint32Array(8);
        const view = new DataView(mac.buffer, mac.byteOffset, mac.byteLength);
        for (let i = 0; i < 8; i++) words[i] = view.getUint32(i * 4, false);
        used = 0;
      }
      return words![used++];
    },
  };
}

/**
 * The fast seeded generator for batch re-randomization: xoroshiro128+ (Blackman & Vigna 2018,
 * doi:10.48550/arXiv.1805.01407) on 32-bit halves, seeded by a 32-bit integer, the low 32 bits of
 * each 64-bit output per call. It is pure-rand's `xoroshiro128plus(seed)` word for word (tested
 * against it), stepped here over an Int32Array so that the hot loops of re-randomization inline
 * it. Not for live allocation: its future is predictable from its past.
 */
export function fastStream(seed: number): RandomSource {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`invalid fast-stream seed; not an integer: ${seed}`);
  return new FastStream(seed | 0);
}

class FastStream implements RandomSource {
  /** [s01, s00, s11, s10]: the high and low halves of the two 64-bit state words. */
  readonly state: Int32Array;
  constructor(seed: number) {
    this.state = Int32Array.of(-1, ~seed, seed, 0);
  }
  nextUint32(): number {
    return fastWord(this.state);
  }
}

/** The state of a fast stream, for a hot loop that steps it inline (`fastWord`, `fastBelow`); null for any other source. */
export function fastState(rng: RandomSource): Int32Array | null {
  return rng instanceof FastStream ? rng.state : null;
}

/** One step of a fast stream's state: its next 32-bit word, as `nextUint32` gives it. */
export function fastWord(s: Int32Array): number {
  const s01 = s[0];
  const s00 = s[1];
  const s11 = s[2];
  const s10 = s[3];
  const out = (s00 + s10) | 0;
  const a0 = s10 ^ s00;
  const a1 = s11 ^ s01;
  s[1] = (s00 << 24) ^ (s01 >>> 8) ^ a0 ^ (a0 << 16);
  s[0] = (s01 << 24) ^ (s00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
  s[3] = (a1 << 5) ^ (a0 >>> 27);
  s[2] = (a0 << 5) ^ (a1 >>> 27);
  return out >>> 0;
}

/**
 * `randomInt(stream, n)` for a fast stream's state and 1 < n ≤ 2^21, without the checks: the same
 * words, the same multiply-and-reject, the same result (tested against `randomInt`).
 */
export function fastBelow(s: Int32Array, n: number): number {
  for (;;) {
    const m = fastWord(s) * n;
    const hi = Math.floor(m / TWO32);
    const lo = m - hi * TWO32;
    if (lo >= n || lo >= (TWO32 - n) % n) return hi;
  }
}
