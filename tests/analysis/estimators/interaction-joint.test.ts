/**
 * The joint interaction test against R (tests/reference/interaction-joint/make.R: lm_robust HC2,
 * F on the z:g terms), and with two levels the same p as the single interaction t-test.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { jointInteractionTest } from "../../../analysis/estimators/interaction-joint.ts";
import { subgroupAnalysis } from "../../../analysis/estimators/interaction.ts";
import { readTable } from "../../../api/datasets/table.ts";

describe("joint interaction test", () => {
  it("reproduces R's F and p for three and four levels", async () => {
    const t = await readTable("tests/reference/interaction-joint/data.csv");
    const expected = JSON.parse(readFileSync("tests/reference/interaction-joint/expected.json", "utf8"));
    const y = t.columns.get("y") as Float64Array;
    const z = t.columns.get("z") as Float64Array;
    for (const g of ["g3", "g4"]) {
      const r = jointInteractionTest(y, z, t.columns.get(g) as string[], { variable: g });
      expect(r.df1).toBe(expected[g].df1);
      expect(r.df2).toBe(expected[g].df2);
      expect(Math.abs(r.F - expected[g].F)).toBeLessThan(1e-9 * Math.max(1, expected[g].F));
      expect(Math.abs(r.p_value - expected[g].p_value)).toBeLessThan(1e-9);
    }
  });
  it("equals the interaction t-test with two levels", async () => {
    const t = await readTable("tests/reference/interaction-joint/data.csv");
    const y = t.columns.get("y") as Float64Array;
    const z = t.columns.get("z") as Float64Array;
    const g = (t.columns.get("g3") as string[]).map((v) => (v === "c" ? "c" : "ab"));
    const joint = jointInteractionTest(y, z, g);
    const single = subgroupAnalysis(y, z, g);
    expect(Math.abs(joint.p_value - single.interaction_p_value)).toBeLessThan(1e-12);
    expect(() => jointInteractionTest(y, z, g.map(() => "one"))).toThrow(/single level/);
  });
});
