import { describe, expect, it } from "vitest";
import { attrition, classifyAttrition, observedFromValues, WWC_ATTRITION_BOUNDARY, wwcAttritionBoundary } from "../../../analysis/estimators/attrition.ts";
import { AnalysisError } from "../../../analysis/estimate.ts";

describe("the WWC boundary table (Standards Handbook 4.1, Table II.1)", () => {
  it("covers overall attrition 0–65 % with the handbook's anchor rows", () => {
    expect(WWC_ATTRITION_BOUNDARY).toHaveLength(66);
    expect(WWC_ATTRITION_BOUNDARY[0]).toEqual({ overall: 0, cautious: 5.7, optimistic: 10.0 });
    expect(WWC_ATTRITION_BOUNDARY[10]).toEqual({ overall: 10, cautious: 6.3, optimistic: 10.9 });
    expect(WWC_ATTRITION_BOUNDARY[30]).toEqual({ overall: 30, cautious: 4.1, optimistic: 8.2 });
    expect(WWC_ATTRITION_BOUNDARY[57]).toEqual({ overall: 57, cautious: 0.0, optimistic: 2.1 });
    expect(WWC_ATTRITION_BOUNDARY[58]).toEqual({ overall: 58, cautious: null, optimistic: 1.9 });
    expect(WWC_ATTRITION_BOUNDARY[65]).toEqual({ overall: 65, cautious: null, optimistic: 0.3 });
  });
  it("the cautious boundary is never above the optimistic one; both fall after their peak", () => {
    for (const row of WWC_ATTRITION_BOUNDARY) if (row.cautious !== null) expect(row.cautious).toBeLessThan(row.optimistic);
    for (let i = 11; i < 66; i++) expect(WWC_ATTRITION_BOUNDARY[i].optimistic).toBeLessThanOrEqual(WWC_ATTRITION_BOUNDARY[i - 1].optimistic);
    for (let i = 11; i < 58; i++) expect(WWC_ATTRITION_BOUNDARY[i].cautious!).toBeLessThanOrEqual(WWC_ATTRITION_BOUNDARY[i - 1].cautious!);
  });
});

describe("classification", () => {
  it("looks up the row by overall attrition rounded to a whole percent", () => {
    expect(wwcAttritionBoundary(0.304, "cautious")).toBeCloseTo(0.041, 12);
    expect(wwcAttritionBoundary(0.305, "cautious")).toBeCloseTo(0.040, 12); // 30.5 → 31
    expect(wwcAttritionBoundary(0.575, "cautious")).toBeNull(); // 57.5 → 58: beyond the cautious table
    expect(wwcAttritionBoundary(0.66, "optimistic")).toBeNull();
  });
  it("a differential on the boundary is low, just above it is high", () => {
    expect(classifyAttrition(0.08, 0.063, "cautious")).toBe("low");
    expect(classifyAttrition(0.08, 0.0631, "cautious")).toBe("high");
    expect(classifyAttrition(0.3, 0.06, "cautious")).toBe("high");
    expect(classifyAttrition(0.3, 0.06, "optimistic")).toBe("low");
    expect(classifyAttrition(0.6, 0, "cautious")).toBe("high");
    expect(classifyAttrition(0.6, 0.01, "optimistic")).toBe("low");
    expect(classifyAttrition(0.7, 0, "optimistic")).toBe("high");
  });
  it("rejects rates outside [0, 1]", () => {
    expect(() => wwcAttritionBoundary(12, "cautious")).toThrow(AnalysisError);
    expect(() => classifyAttrition(0.1, -0.1, "cautious")).toThrow(AnalysisError);
  });
});

describe("attrition of an outcome", () => {
  it("hand-computed: control 3 of 4 observed, treatment 2 of 4", () => {
    const r = attrition([1, 1, 1, 0, 1, 1, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1], { outcome: "employed_w52", armNames: ["control", "ips"] });
    expect(r).toMatchObject({ arm: "ips", control: "control", randomized_treatment: 4, randomized_control: 4, observed_treatment: 2, observed_control: 3 });
    expect(r.attrition_control).toBe(0.25);
    expect(r.attrition_treatment).toBe(0.5);
    expect(r.overall).toBe(0.375);
    expect(r.differential).toBe(0.25);
    // 37.5 % rounds to the 38 % row: cautious 2.9, optimistic 6.5 points.
    expect(r.cautious.max_differential).toBeCloseTo(0.029, 14);
    expect(r.optimistic.max_differential).toBeCloseTo(0.065, 14);
    expect(r.cautious.attrition).toBe("high");
    expect(r.optimistic.attrition).toBe("high");
  });

  it("a trial with 1,000 per arm, 12 % and 8 % lost: overall 10 %, differential 4 points → low under both", () => {
    const n = 2000;
    const arm = new Int8Array(n), seen = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      arm[i] = i < 1000 ? 1 : 0;
      seen[i] = i < 1000 ? (i < 120 ? 0 : 1) : i < 1080 ? 0 : 1;
    }
    const r = attrition(seen, arm, { outcome: "self_supporting_weeks" });
    expect(r.overall).toBeCloseTo(0.1, 14);
    expect(r.differential).toBeCloseTo(0.04, 14);
    expect(r.cautious.attrition).toBe("low");
    expect(r.optimistic.attrition).toBe("low");
  });

  it("only the two arms of the contrast count; observation flags can come from NaN outcomes", () => {
    const y = [1, NaN, 0, 1, NaN, NaN, 5, 6];
    const arm = [0, 0, 1, 1, 2, 2, 2, 2];
    const r = attrition(observedFromValues(y), arm, { outcome: "y", treatment: 1, control: 0 });
    expect(r.overall).toBe(0.25);
    expect(r.attrition_treatment).toBe(0);
    expect(r.attrition_control).toBe(0.5);
  });

  it("an arm with no one randomized is an error naming the outcome and arm", () => {
    expect(() => attrition([1, 1], [0, 0], { outcome: "employed_w52", armNames: ["control", "mentor"] })).toThrow(/employed_w52: arm mentor has no one randomized/);
    expect(() => attrition([1], [0, 1], { outcome: "x" })).toThrow(AnalysisError);
  });
});
