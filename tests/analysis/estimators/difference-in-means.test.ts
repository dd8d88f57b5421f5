import { describe, expect, it } from "vitest";
import { differenceInMeans, riskDifference } from "../../../analysis/estimators/difference-in-means.ts";

describe("difference in means: hand computations", () => {
  it("Neyman SE and Welch df", () => {
    // Control 1, 2, 3: mean 2, s² 1; treated 4, 6, 8: mean 6, s² 4.
    const est = differenceInMeans([1, 2, 3, 4, 6, 8], [0, 0, 0, 1, 1, 1]);
    expect(est.estimate).toBe(4);
    const v = 4 / 3 + 1 / 3;
    expect(est.std_error).toBeCloseTo(Math.sqrt(v), 14);
    expect(est.df).toBeCloseTo((v * v) / ((4 / 3) ** 2 / 2 + (1 / 3) ** 2 / 2), 12);
    expect(est.se_type).toBe("neyman");
  });
  it("typed arrays and plain arrays agree", () => {
    const a = differenceInMeans([1, 2, 3, 4, 6, 8], [0, 0, 0, 1, 1, 1]);
    const b = differenceInMeans(Float64Array.of(1, 2, 3, 4, 6, 8), Uint8Array.of(0, 0, 0, 1, 1, 1));
    expect(b).toEqual(a);
  });
});

describe("difference in means: bad data is named", () => {
  it("an arm with no one or one person", () => {
    expect(() => differenceInMeans([1, 2, 3], [0, 0, 0], { outcome: "employed52" })).toThrow(/employed52: the treated arm has 0 people/);
    expect(() => differenceInMeans([1, 2, 3], [0, 0, 1])).toThrow(/treated arm has 1 person/);
  });
  it("a constant outcome", () => {
    expect(() => differenceInMeans([5, 5, 5, 5], [0, 0, 1, 1])).toThrow(/constant within both arms/);
  });
  it("NaN cells and bad treatment codes", () => {
    expect(() => differenceInMeans([1, NaN, 3, 4], [0, 0, 1, 1])).toThrow(/row 1: NaN/);
    expect(() => differenceInMeans([1, 2, 3, 4], [0, 2, 1, 1])).toThrow(/treatment must be 0 or 1, row 1/);
    expect(() => differenceInMeans([1, 2, 3], [0, 1])).toThrow(/3 values but treatment has 2/);
  });
  it("risk difference refuses a non-binary outcome", () => {
    expect(() => riskDifference([0, 1, 2, 1], [0, 0, 1, 1])).toThrow(/0\/1 outcome, row 2/);
  });
});
