/**
 * Random sources for assignment. Two kinds behind one interface:
 *
 * - `keyedStream(seed, message)`: a cryptographic stream for live allocation. Block j of the stream
 *   is HMAC-SHA-256(seed, "virker/v1|" + message + "|" + j), read as eight 32-bit words. Without the
 *   trial's 256-bit seed nobody can predict it; with the seed anyone can re-derive every draw.
 * - `fastStream(seed)`: xoroshiro128+ from pure-rand, for the millions of draws of randomization
 *   inference and power simulation, where unpredictability is not needed but speed is.
 *
 * `randomInt(n)` is unbiased (rejection sampling), so an arm's chance is exactly its ratio share.
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

export interface RandomSource {
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number;
}

/** A uniform integer in [0, n), without modulo bias. */
export function randomInt(rng: RandomSource, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 0x1_0000_0000) throw new RangeError(`invalid n; not an integer in [1, 2^32]: ${n}`);
  if (n === 1) return 0;
  // Accept only draws below the largest multiple of n that fits in 2^32.
  const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
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
  for (let i = length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const t = values[i];
    values[i] = values[j];
    values[j] = t;
  }
}

const SEED_RE = /^[0-9a-f]{64}$/;

/** Validates a trial seed: 256 bits as 64 lowercase hex digits. Returns its bytes. */
export function parseSeed(seedHex: string): Uint8Array {
  if (typeof seedHex !== "string" || !SEED_RE.test(seedHex)) {
    throw new Error(`invalid seed; not 64 lowercase hex digits (256 bits): ${typeof seedHex === "string" ? `${seedHex.length} characters` : typeof seedHex}`);
  }
  return hexToBytes(seedHex);
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

/** The fast seeded generator for batch re-randomization. */
export function fastStream(seed: number): RandomSource {
  const g = xoroshiro128plus(seed | 0);
  return { nextUint32: () => g.next() >>> 0 };
}
