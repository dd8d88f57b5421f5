import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { differenceInMeansBlocked } from "../../../analysis/estimators/difference-in-means-blocked.ts";
import { AnalysisError } from "../../../analysis/estimate.ts";
import { expectMatchesR, num, readCsv } from "./csv.ts";

const dir = "tests/reference/";
const json = (c: string) => JSON.parse(readFileSync(`${dir}${c}/expected.json`, "utf8"));

describe("blocked difference in means against estimatr", () => {
  it("unequal block sizes and treated proportions (design Blocked, df N - 2B)", () => {
    const d = readCsv(`${dir}dim-blocked/data.csv`);
    const r = json("dim-blocked");
    expectMatchesR(differenceInMeansBlocked(num(d.y), num(d.z), d.block as string[]), r.blocked);
    expectMatchesR(differenceInMeansBlocked(num(d.y), num(d.z), d.block as string[], { level: 0.9 }), r.blocked_level_90);
  });
  it("matched pairs (df B - 1)", () => {
    const d = readCsv(`${dir}dim-matched-pairs/pairs.csv`);
    const est = differenceInMeansBlocked(num(d.y), num(d.z), d.pair as string[]);
    expectMatchesR(est, json("dim-matched-pairs").pairs);
    expect(est.se_type).toBe("matched_pair");
  });
  it("pairs mixed with a larger block: matched-pair variance and a warning", () => {
    const d = readCsv(`${dir}dim-matched-pairs/mixed.csv`);
    const est = differenceInMeansBlocked(num(d.y), num(d.z), d.pair as string[]);
    expectMatchesR(est, json("dim-matched-pairs").mixed);
    expect(est.warnings.join()).toMatch(/matched-pairs variance/);
  });
  it("matched pairs of clusters", () => {
    const d = readCsv(`${dir}dim-matched-pairs/pairs-clustered.csv`);
    const est = differenceInMeansBlocked(num(d.y), num(d.z), d.pair as string[], { clusters: d.cl as string[] });
    expectMatchesR(est, json("dim-matched-pairs").pairs_clustered);
  });
  it("block-clustered (CR2 per block, df clusters - 2B)", () => {
    const d = readCsv(`${dir}dim-clustered/data.csv`);
    const est = differenceInMeansBlocked(num(d.y), num(d.z), d.block as string[], { clusters: d.cl as string[] });
    expectMatchesR(est, json("dim-clustered").block_clustered);
  });
  it("integer block codes give the same result as strings", () => {
    const d = readCsv(`${dir}dim-blocked/data.csv`);
    const codes = Int32Array.from(d.block as string[], (b) => Number(b.slice(1)));
    expectMatchesR(differenceInMeansBlocked(num(d.y), num(d.z), codes), json("dim-blocked").blocked);
  });
});

describe("blocked difference in means: bad data is named", () => {
  const y = [1, 2, 3, 4, 5, 6, 7, 8];
  it("a block missing an arm", () => {
    expect(() => differenceInMeansBlocked(y, [0, 0, 1, 1, 0, 0, 0, 0], ["a", "a", "a", "a", "b", "b", "b", "b"])).toThrow(/block b has no treated/);
  });
  it("a block of one", () => {
    expect(() => differenceInMeansBlocked(y, [0, 0, 1, 1, 0, 1, 0, 1], ["a", "a", "a", "a", "b", "b", "b", "c"])).toThrow(/block c has a single unit/);
  });
  it("a block with one treated outside matched pairs", () => {
    expect(() => differenceInMeansBlocked(y, [0, 0, 1, 1, 0, 0, 0, 1], ["a", "a", "a", "a", "b", "b", "b", "b"])).toThrow(AnalysisError);
  });
  it("a NaN outcome", () => {
    expect(() => differenceInMeansBlocked([1, NaN, 3, 4], [0, 0, 1, 1], [1, 1, 1, 1])).toThrow(/row 1/);
  });
  it("a constant outcome", () => {
    expect(() => differenceInMeansBlocked([1, 1, 1, 1, 2, 2, 2, 2], [0, 0, 1, 1, 0, 0, 1, 1], [1, 1, 1, 1, 2, 2, 2, 2])).toThrow(/standard error is 0/);
  });
  it("hand computation: two blocks of four", () => {
    // Block 1: τ = 3.5 - 1.5 = 2, SE² = 0.5/2 + 0.5/2 = 0.5; block 2: τ = 7.5 - 5.5 = 2, same.
    const est = differenceInMeansBlocked(y, [0, 0, 1, 1, 0, 0, 1, 1], [1, 1, 1, 1, 2, 2, 2, 2]);
    expect(est.estimate).toBeCloseTo(2, 12);
    expect(est.std_error).toBeCloseTo(Math.sqrt(0.25 * 0.5 + 0.25 * 0.5), 12);
    expect(est.df).toBe(4);
  });
});
