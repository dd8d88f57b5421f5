/**
 * Test fixtures with no Node or DuckDB imports, shared by the Node tests (tests/api/harness.ts)
 * and the tests that run inside workerd (tests/worker/).
 */
import { fastStream } from "../analysis/design/index.ts";

/** Seeded bytes: deterministic tokens and trial seeds. */
export function seededBytes(seed: number): (n: number) => Uint8Array {
  const rng = fastStream(seed);
  return (n) => Uint8Array.from({ length: n }, () => rng.nextUint32() & 0xff);
}

/** A valid CPR for someone born in the 1970s–90s (7th digit 0–3: 1900s), unique per n < 250,000. */
export function cprFor(n: number): string {
  const day = String((n % 28) + 1).padStart(2, "0");
  const month = String((Math.floor(n / 28) % 12) + 1).padStart(2, "0");
  const year = String(70 + (Math.floor(n / 336) % 30)).padStart(2, "0");
  const serial = String(Math.floor(n / 10080)).padStart(4, "0");
  return `${day}${month}${year}-${serial}`;
}
