import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { riskRatio } from "../../../analysis/estimators/risk-ratio.ts";
import { num, readCsv } from "./csv.ts";

const r = JSON.parse(readFileSync("tests/reference/risk-ratio/expected.json", "utf8"));
const nsw = readCsv("../shared/reference/lalonde_nsw.csv");
const z = Float64Array.from(nsw.arm, (a) => (a === "training" ? 1 : 0));

function expectRR(got: ReturnType<typeof riskRatio>, e: Record<string, number>) {
  for (const k of ["estimate", "std_error", "statistic", "ci_lower", "ci_upper"] as const) {
    expect(Math.abs(got[k] / e[k] - 1)).toBeLessThan(1e-6);
  }
  expect(Math.abs(got.p_value - e.p_value)).toBeLessThan(1e-6);
}

describe("risk ratio against the log-binomial glm (log-scale Wald CI)", () => {
  it("NSW employed78", () => expectRR(riskRatio(num(nsw.employed78), z), r.nsw_employed78));
  it("NSW employed78, 90% CI", () => expectRR(riskRatio(num(nsw.employed78), z, { level: 0.9 }), r.nsw_employed78_level_90));
  it("simulated", () => {
    const d = readCsv("tests/reference/risk-ratio/data.csv");
    expectRR(riskRatio(num(d.y), num(d.z)), r.simulated);
  });
  it("hand computation", () => {
    const est = riskRatio([1, 1, 0, 0, 1, 0, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0]);
    expect(est.estimate).toBeCloseTo(2, 12);
    expect(est.std_error).toBeCloseTo(Math.sqrt(1 / 2 - 1 / 4 + 1 - 1 / 4), 12);
    expect(est.df).toBeNull();
  });
  it("no events in an arm, non-binary outcome: named errors", () => {
    expect(() => riskRatio([0, 0, 1, 1], [0, 0, 1, 1])).toThrow(/no events in the control arm/);
    expect(() => riskRatio([0, 2, 1, 1], [0, 0, 1, 1])).toThrow(/0\/1 outcome, row 1/);
  });
});
