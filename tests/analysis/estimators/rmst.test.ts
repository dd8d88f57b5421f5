import { describe, expect, it } from "vitest";
import { kaplanMeier } from "../../../analysis/estimators/kaplan-meier.ts";
import { restrictedMean, rmstDifference } from "../../../analysis/estimators/rmst.ts";
import { close, readCsv, readJson, root } from "./reference-data.ts";

const v = readCsv(`${root}../shared/reference/veteran.csv`);
const expected = readJson(`${root}../shared/reference/expected.json`).veteran_rmst_365;

describe("RMST against print(survfit, rmean = 365)", () => {
  it("veteran trial per arm, and the difference", () => {
    const r = rmstDifference(v.time as number[], v.status as number[], v.arm as string[], 365);
    const [st, te] = r.arms;
    expect(close(st.rmean, expected.standard)).toBe(true);
    expect(close(te.rmean, expected.test)).toBe(true);
    expect(close(st.std_error, expected.standard_se)).toBe(true);
    expect(close(te.std_error, expected.test_se)).toBe(true);
    expect(r.difference.term).toBe("test vs standard");
    expect(close(r.difference.estimate, expected.test - expected.standard)).toBe(true);
    expect(close(r.difference.std_error, Math.hypot(expected.test_se, expected.standard_se))).toBe(true);
    expect(r.difference.df).toBeNull();
  });

  it("by hand: area under the step curve and its variance", () => {
    // 1, 2, 3 events, 4 censored; tau = 3.5: S = 1 on [0,1), .75 on [1,2), .5 on [2,3), .25 after.
    const a = kaplanMeier([1, 2, 3, 4], [1, 1, 1, 0]).arms[0];
    const r = restrictedMean(a, 3.5);
    expect(r.rmean).toBeCloseTo(1 + 0.75 + 0.5 + 0.25 * 0.5, 14);
    const A1 = 0.75 + 0.5 + 0.125, A2 = 0.5 + 0.125, A3 = 0.125;
    const v = A1 ** 2 / (4 * 3) + A2 ** 2 / (3 * 2) + A3 ** 2 / (2 * 1);
    expect(r.std_error).toBeCloseTo(Math.sqrt(v), 14);
    expect(r.extended).toBe(false);
    expect(() => restrictedMean(a, 0)).toThrow(/invalid tau/);
  });
});

describe("RMST difference options", () => {
  it("picks the named arms among three and warns when tau is past an arm's last time", () => {
    const time = [1, 2, 3, 1, 2, 4, 2, 3, 5];
    const event = [1, 1, 1, 1, 1, 1, 1, 1, 0];
    const arm = ["a", "a", "a", "b", "b", "b", "c", "c", "c"];
    const r = rmstDifference(time, event, arm, 4.5, { treatment: "c", control: "b" });
    expect(r.difference.term).toBe("c vs b");
    expect(r.difference.estimate).toBeCloseTo(r.arms[2].rmean - r.arms[1].rmean, 14);
    expect(r.difference.warnings.join(" ")).toMatch(/after the last observed time in arm b/);
    expect(() => rmstDifference(time, event, arm, 4, { treatment: "d" })).toThrow(/arm "d" not found/);
  });
});
