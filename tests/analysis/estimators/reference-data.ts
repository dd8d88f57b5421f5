/** Reads the reference CSVs (plain, quoted strings without embedded commas) and JSON files. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../../", import.meta.url));

export function readCsv(path: string): Record<string, (string | number)[]> {
  const lines = readFileSync(path, "utf8").trim().split(/\r?\n/);
  const header = lines[0].split(",").map((h) => h.replace(/^"|"$/g, ""));
  const out: Record<string, (string | number)[]> = Object.fromEntries(header.map((h) => [h, []]));
  for (const line of lines.slice(1)) {
    const cells = line.split(",");
    header.forEach((h, j) => {
      const c = cells[j];
      out[h].push(c.startsWith('"') ? c.slice(1, -1) : c === "NA" ? NaN : Number(c));
    });
  }
  return out;
}

export function readJson(path: string): any {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** |actual − expected| ≤ tol · max(1, |expected|)… relative for large values, absolute near 0. */
export function close(actual: number, expected: number, tol = 1e-6): boolean {
  if (expected === actual) return true;
  return Math.abs(actual - expected) <= tol * Math.max(Math.abs(expected), 1e-300) || Math.abs(actual - expected) <= 1e-12;
}
