import { describe, expect, it } from "vitest";
import { logrank } from "../../../analysis/estimators/logrank.ts";
import { close, readCsv, readJson, root } from "./reference-data.ts";

const v = readCsv(`${root}../shared/reference/veteran.csv`);
const expected = readJson(`${root}../shared/reference/expected.json`);

describe("log-rank against survival::survdiff", () => {
  it("veteran trial: chi-square and p", () => {
    const lr = logrank(v.time as number[], v.status as number[], v.arm as string[]);
    expect(close(lr.chisq, expected.veteran_logrank.chisq)).toBe(true);
    expect(Math.abs(lr.p_value - expected.veteran_logrank.p_value)).toBeLessThan(1e-6);
    expect(lr.df).toBe(1);
    expect(lr.observed.reduce((a, b) => a + b, 0)).toBeCloseTo(lr.expected.reduce((a, b) => a + b, 0), 10);
  });

  it("two arms by hand: (O − E)² / V", () => {
    // a: 1, 3 events; b: 2 event, 4 censored. Times 1 (n 4: a2 b2, d 1), 2 (n 3: a1 b2), 3 (n 2: a1 b1).
    const lr = logrank([1, 3, 2, 4], [1, 1, 1, 0], ["a", "a", "b", "b"]);
    const Ea = 1 * (2 / 4) + 1 * (1 / 3) + 1 * (1 / 2);
    const Va = (1 * 3 / 3) * (2 / 4) * (2 / 4) + (1 * 2 / 2) * (1 / 3) * (2 / 3) + (1 * 1 / 1) * (1 / 2) * (1 / 2);
    expect(lr.expected[0]).toBeCloseTo(Ea, 14);
    expect(lr.chisq).toBeCloseTo((2 - Ea) ** 2 / Va, 12);
  });

  it("bad data", () => {
    expect(() => logrank([1, 2], [1, 1], ["a", "a"])).toThrow(/at least two arms/);
    expect(() => logrank([1, 2], [0, 0], ["a", "b"])).toThrow(/no events/);
  });
});
