import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { designArms, loadProtocol, subgroupId, subgroupLevelOf, subgroupLevels, type Protocol, type Subgroup } from "../../protocols/index.ts";

const hyp = { da: "x", en: "x" };

describe("subgroup levels", () => {
  it("cut points name left-closed intervals", () => {
    const young: Subgroup = { id: "young", variable: "age", cuts: [25], hypothesis: hyp };
    expect(subgroupId(young)).toBe("young");
    expect(subgroupLevels(young)).toEqual(["<25", ">=25"]);
    expect(subgroupLevelOf(young, 24.9)).toBe("<25");
    expect(subgroupLevelOf(young, 25)).toBe(">=25");
    const three: Subgroup = { variable: "x", cuts: [0, 10], hypothesis: hyp };
    expect(subgroupId(three)).toBe("x");
    expect(subgroupLevels(three)).toEqual(["<0", "[0,10)", ">=10"]);
    expect([-1, 0, 9.99, 10, 11].map((v) => subgroupLevelOf(three, v))).toEqual(["<0", "[0,10)", "[0,10)", ">=10", ">=10"]);
    expect(subgroupLevelOf(three, null)).toBeUndefined();
    expect(subgroupLevelOf(three, "5")).toBeUndefined();
  });

  it("levels match as written, booleans as 0/1 or true/false", () => {
    const g: Subgroup = { variable: "nodegr", levels: [0, 1], hypothesis: hyp };
    expect(subgroupLevels(g)).toEqual(["0", "1"]);
    expect([0, 1, true, false, "1", 2].map((v) => subgroupLevelOf(g, v))).toEqual(["0", "1", "1", "0", "1", undefined]);
    const c: Subgroup = { variable: "gender", levels: ["female", "male"], hypothesis: hyp };
    expect(subgroupLevelOf(c, "male")).toBe("male");
    expect(subgroupLevelOf(c, "other")).toBeUndefined();
  });
});

describe("designArms", () => {
  it("gives id, ratio and control in protocol order", () => {
    const r = loadProtocol(readFileSync("protocols/ips-severe-mental-illness.yaml", "utf8"));
    if (!r.ok) throw new Error("invalid");
    const p: Protocol = r.protocol;
    expect(designArms(p)).toEqual([
      { id: "ips", ratio: 1, control: false },
      { id: "ips_e", ratio: 1, control: false },
      { id: "usual", ratio: 1, control: true },
    ]);
  });
});
