import { readFileSync } from "node:fs";

/** Reads a small R-written CSV (quoted strings, numbers, NA) into columns. */
export function readCsv(path: string): Record<string, (number | string)[]> {
  const lines = readFileSync(path, "utf8").trim().split(/\r?\n/);
  const split = (line: string) => line.split(",").map((c) => c.replace(/^"(.*)"$/, "$1"));
  const header = split(lines[0]);
  const cols: Record<string, (number | string)[]> = Object.fromEntries(header.map((h) => [h, []]));
  for (const line of lines.slice(1)) {
    const cells = split(line);
    header.forEach((h, j) => {
      const c = cells[j];
      const x = Number(c);
      cols[h].push(c === "NA" ? NaN : c !== "" && Number.isFinite(x) && !/^".*"$/.test(c) ? x : c);
    });
  }
  return cols;
}

export const num = (c: (number | string)[]) => Float64Array.from(c as number[]);

/** Relative closeness for estimates, absolute for p-values. */
export function expectClose(actual: number, expected: number, rel = 1e-6): void {
  const tol = rel * Math.max(1, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`expected ${expected}, got ${actual} (diff ${actual - expected}, tol ${tol})`);
  }
}

export interface RFields { estimate: number; std_error: number; p_value: number; ci_lower: number; ci_upper: number; df: number }

export function expectMatchesR(
  got: { estimate: number; std_error: number; p_value: number; ci_lower: number; ci_upper: number; df: number | null },
  r: RFields,
): void {
  const rel = (a: number, b: number) => {
    if (!(Math.abs(a - b) <= 1e-6 * Math.abs(b) + 1e-12)) throw new Error(`expected ${b}, got ${a} (rel ${(a - b) / b})`);
  };
  rel(got.estimate, r.estimate);
  rel(got.std_error, r.std_error);
  rel(got.ci_lower, r.ci_lower);
  rel(got.ci_upper, r.ci_upper);
  rel(got.df ?? Infinity, r.df);
  if (!(Math.abs(got.p_value - r.p_value) <= 1e-6)) throw new Error(`p: expected ${r.p_value}, got ${got.p_value}`);
}
